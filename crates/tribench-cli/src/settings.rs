//! The one place that resolves how tribench runs (uv's `settings.rs` is the model): each
//! setting comes from its flag, else tribench.toml's `[run]` table, else a `TRIBENCH_<NAME>`
//! environment variable, else the default its owner keeps (the engine's [`EngineConfig::new`],
//! the agent's `Limits`, the sandbox's output cap). Clap carries no defaults of these.
//! Also where shipped folders (suites, agents, tools) are found.

pub use crate::args::RunLayer;
use crate::args::{ExecArgs, GradingModeArg, LlmArgs, NetworkChoice, SandboxChoice};
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use tribench_agents::build::{AgentChoice, LlmSettings, Prices};
use tribench_engine::EngineConfig;
use tribench_families::swebench::parse::GradingMode;

/// Places to look for a folder shipped with tribench: the current directory, then the source
/// tree the binary was built in (`target/<profile>/tribench` → repository root).
fn shipped(rel: &str) -> Option<PathBuf> {
    let mut candidates = vec![PathBuf::from(rel)];
    if let Ok(exe) = std::env::current_exe() {
        for up in exe.ancestors().skip(1).take(4) {
            candidates.push(up.join(rel));
        }
    }
    candidates
        .into_iter()
        .find(|p| p.exists())
        .and_then(|p| p.canonicalize().ok())
}

/// A shipped agent definition: `agents/<name>.toml`.
pub fn shipped_agent(name: &str) -> Option<PathBuf> {
    shipped(&format!("agents/{name}.toml"))
}

/// The bundled sample suites: every folder under `suites/`.
pub fn bundled_suites() -> Vec<PathBuf> {
    let Some(dir) = shipped("suites") else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// What `tribench.toml` may set. Flags override it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Image names a task's Dockerfile uses in `FROM`, mapped to local images.
    #[serde(default)]
    pub images: std::collections::HashMap<String, String>,
    #[serde(default)]
    pub build: BuildConfig,
    /// `[run]`: the run settings, named as their flags (`agent_timeout = 600`).
    #[serde(default)]
    pub run: RunLayer,
}

/// `[build]`: how images are built and containers set up.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildConfig {
    /// CA certificates (PEM files, relative to the tribench.toml) trusted in image builds and
    /// task containers: a TLS-intercepting proxy's.
    #[serde(default)]
    pub ca_certificates: Vec<PathBuf>,
}

#[rustfmt::skip]
macro_rules! each_field {
    ($m:ident) => {
        $m!(jobs, agent_timeout, test_timeout, setup_timeout, infra_retries, sandbox_dir,
            js_tools, sandbox, grading_mode, network, seed, output_cap, no_isolation, pull,
            force_build)
    };
}

impl RunLayer {
    /// This layer where it says something, `lower` elsewhere.
    pub fn over(self, lower: RunLayer) -> RunLayer {
        macro_rules! merge {
            ($($f:ident),*) => { RunLayer { $($f: self.$f.or(lower.$f)),* } };
        }
        each_field!(merge)
    }

    /// What `TRIBENCH_<NAME>` variables say, read through `var` (the process environment in
    /// use, a map in tests). A value that does not parse is an error naming the variable.
    pub fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<RunLayer> {
        fn get<T: FromStr>(var: &dyn Fn(&str) -> Option<String>, field: &str) -> Result<Option<T>>
        where
            T::Err: std::fmt::Display,
        {
            let name = format!("TRIBENCH_{}", field.to_ascii_uppercase());
            match var(&name).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => v
                    .parse()
                    .map(Some)
                    .map_err(|e| anyhow::anyhow!("{name}={v:?}: {e}")),
            }
        }
        macro_rules! read {
            ($($f:ident),*) => { RunLayer { $($f: get(var, stringify!($f))?),* } };
        }
        Ok(each_field!(read))
    }

    /// Paths in a tribench.toml are relative to the file.
    fn relative_to(mut self, base: &Path) -> RunLayer {
        for p in [&mut self.sandbox_dir, &mut self.js_tools]
            .into_iter()
            .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        self
    }
}

macro_rules! value_enum_from_str {
    ($($t:ty),*) => {$(
        impl FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                <$t as clap::ValueEnum>::from_str(s, true)
            }
        }
    )*};
}
value_enum_from_str!(SandboxChoice, GradingModeArg, NetworkChoice);

/// Which tribench.toml applies: `--config FILE` when given; else the first found beside a suite
/// (in the suite's folder, then the folder holding it), then in the current directory.
pub fn config_path(flag: Option<&Path>, suites: &[PathBuf]) -> Result<Option<PathBuf>> {
    if let Some(f) = flag {
        if !f.is_file() {
            bail!("--config {}: no such file", f.display());
        }
        return Ok(Some(f.to_path_buf()));
    }
    let mut candidates = Vec::new();
    for s in suites {
        let s = s.canonicalize().unwrap_or_else(|_| s.clone());
        let dir = if s.is_dir() {
            s.clone()
        } else {
            s.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        candidates.push(dir.join("tribench.toml"));
        if let Some(parent) = dir.parent() {
            candidates.push(parent.join("tribench.toml"));
        }
    }
    candidates.push(PathBuf::from("tribench.toml"));
    Ok(candidates.into_iter().find(|p| p.is_file()))
}

/// Reads a tribench.toml; relative paths in it are made relative to the file.
pub fn file_config(path: Option<&Path>) -> Result<FileConfig> {
    let Some(p) = path else {
        return Ok(FileConfig::default());
    };
    let text =
        std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
    let mut cfg: FileConfig =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
    let base = p.parent().unwrap_or(Path::new("."));
    for c in &mut cfg.build.ca_certificates {
        if c.is_relative() {
            *c = base.join(&*c);
        }
    }
    cfg.run = cfg.run.relative_to(base);
    Ok(cfg)
}

/// The resolved settings of one engine run.
pub struct RunSettings {
    pub engine: EngineConfig,
    /// The seed to send the model with every request, when one was given anywhere.
    pub seed: Option<u64>,
    /// The staged polyglot image context `engine` refers to (kept alive for the run).
    pub _image_context: Option<tempfile::TempDir>,
}

impl RunSettings {
    /// Resolves the settings of a run into `run_dir` of `suites`: flags over the tribench.toml
    /// that applies over the process environment over the defaults.
    pub fn resolve(exec: &ExecArgs, run_dir: &Path, suites: &[PathBuf]) -> Result<RunSettings> {
        let (file, layer) = layers(exec, suites)?;
        let mut engine = engine_config(layer.clone(), run_dir)?;
        engine.image_map = file.images;
        let mut certs = file.build.ca_certificates;
        certs.extend(exec.ca_cert.iter().cloned());
        engine.ca_certificates = tribench_engine::certs::read_ca_certificates(&certs)?;
        engine.shard = exec.shard;
        let mut image_context = None;
        if layer.sandbox == Some(SandboxChoice::Docker) {
            let (dir, spec) = polyglot_image()?;
            engine.workspace_image = Some(spec);
            engine.workspace_image_js_tools = Some(PathBuf::from(
                tribench_families::polyglot::image::IMAGE_JS_TOOLS,
            ));
            image_context = Some(dir);
        }
        Ok(RunSettings {
            engine,
            seed: layer.seed,
            _image_context: image_context,
        })
    }

    /// Only the grading mode, for grading recorded logs (nothing runs).
    pub fn resolve_grading_mode(exec: &ExecArgs, suite: &Path) -> Result<GradingMode> {
        let (_, layer) = layers(exec, &[suite.to_path_buf()])?;
        Ok(engine_config(layer, Path::new("."))?.grading_mode)
    }
}

/// The tribench.toml that applies, and the run settings of flags over it over the environment.
fn layers(exec: &ExecArgs, suites: &[PathBuf]) -> Result<(FileConfig, RunLayer)> {
    let path = config_path(exec.config.as_deref(), suites)?;
    if let Some(p) = &path {
        eprintln!("settings from {}", p.display());
    }
    let mut file = file_config(path.as_deref())?;
    let env = RunLayer::from_env(&|k| std::env::var(k).ok())?;
    let layer = exec
        .run
        .clone()
        .over(std::mem::take(&mut file.run))
        .over(env);
    Ok((file, layer))
}

/// Which agent `--agent` names: `cli:NAME|PATH` is an agent program's definition file (a path,
/// or agents/NAME.toml shipped with tribench); anything else a named agent.
pub fn agent_choice(name: &str) -> Result<AgentChoice> {
    let Some(which) = name.strip_prefix("cli:") else {
        return Ok(AgentChoice::Named(name.to_string()));
    };
    let path = PathBuf::from(which);
    if path.is_file() {
        return Ok(AgentChoice::Program(path));
    }
    match shipped_agent(which) {
        Some(p) => Ok(AgentChoice::Program(p)),
        None => bail!("no agent definition {which:?}: give a .toml path or one of agents/*.toml"),
    }
}

/// The llm agent's settings: its flags, the run's seed, and the model's prices from the
/// models file when it lists the model.
pub fn llm_settings(a: &LlmArgs, seed: Option<u64>) -> Result<LlmSettings> {
    let mut prices = Prices::default();
    if let (Some(model), Some(p)) = (&a.model, models_path(a.models.as_deref())) {
        if let Some(m) = tribench_analysis::ModelsFile::load(&p)?.get(model) {
            prices = Prices {
                input_per_mtok: m.price_input_per_mtok,
                output_per_mtok: m.price_output_per_mtok,
                cached_per_mtok: m.price_cached_per_mtok,
            };
        }
    }
    Ok(LlmSettings {
        model: a.model.clone(),
        base_url: a.base_url.clone(),
        api_key_env: a.api_key_env.clone(),
        mode: a.mode.clone(),
        temperature: a.temperature,
        top_p: a.top_p,
        max_tokens: a.max_tokens,
        seed,
        max_steps: a.max_steps,
        max_cost_usd: a.max_cost,
        concurrency: a.concurrency,
        trim_history: a.trim_history,
        prompts: a.prompts.clone(),
        prices,
    })
}

/// The engine configuration a resolved layer gives: each setting it names, the engine's own
/// default for the rest.
pub fn engine_config(l: RunLayer, run_dir: &Path) -> Result<EngineConfig> {
    let mut cfg = EngineConfig::new(run_dir);
    if let Some(j) = l.jobs {
        cfg.jobs = j.max(1);
    }
    let t = &mut cfg.timeouts;
    t.agent_sec = l.agent_timeout.unwrap_or(t.agent_sec);
    t.test_sec = l.test_timeout.unwrap_or(t.test_sec);
    t.setup_sec = l.setup_timeout.unwrap_or(t.setup_sec);
    cfg.infra_retries = l.infra_retries.unwrap_or(cfg.infra_retries);
    cfg.sandbox_base = l.sandbox_dir;
    cfg.js_tools = match l.js_tools {
        Some(p) => Some(p.canonicalize().unwrap_or(p)),
        None => shipped("tools/js").filter(|p| p.join("node_modules").is_dir()),
    };
    if let Some(m) = l.grading_mode {
        cfg.grading_mode = match m {
            GradingModeArg::Official => GradingMode::Official,
            GradingModeArg::Strict => GradingMode::Strict,
        };
    }
    match l.network {
        Some(NetworkChoice::Task) | None => {}
        Some(NetworkChoice::Off) => (cfg.network, cfg.allow_network) = (false, false),
        Some(NetworkChoice::On) => (cfg.network, cfg.allow_network) = (true, true),
    }
    cfg.seed = l.seed.or(cfg.seed);
    match l.output_cap {
        Some(0) => bail!("output_cap 0 would keep no output at all: give at least 1 byte"),
        Some(c) => cfg.output_cap = c,
        None => {}
    }
    cfg.no_isolation = l.no_isolation.unwrap_or(cfg.no_isolation);
    cfg.pull_images = l.pull.unwrap_or(cfg.pull_images);
    cfg.force_build = l.force_build.unwrap_or(cfg.force_build);
    Ok(cfg)
}

/// The models file: `--models`, else `$TRIBENCH_MODELS`, else `./models.toml` when present.
pub fn models_path(flag: Option<&Path>) -> Option<PathBuf> {
    flag.map(Path::to_path_buf)
        .or_else(|| std::env::var_os("TRIBENCH_MODELS").map(PathBuf::from))
        .or_else(|| Some(PathBuf::from("models.toml")).filter(|p| p.is_file()))
}

/// The polyglot toolchain image staged from the Dockerfile and test tools shipped with
/// tribench (keep the returned folder alive for the run).
fn polyglot_image() -> Result<(tempfile::TempDir, tribench_sandbox::ImageSpec)> {
    let dockerfile = shipped("images/polyglot/Dockerfile")
        .ok_or_else(|| anyhow::anyhow!("images/polyglot/Dockerfile not found next to tribench"))?;
    let js = shipped("tools/js")
        .ok_or_else(|| anyhow::anyhow!("tools/js not found next to tribench"))?;
    Ok(tribench_families::polyglot::image::stage_toolchain_image(
        &dockerfile,
        &js,
    )?)
}

/// `runs/<YYYY-MM-DD-HHMMSS>-<agent>`.
pub fn default_run_dir(agent: &str) -> PathBuf {
    let stamp = chrono::Local::now().format("%Y-%m-%d-%H%M%S");
    PathBuf::from("runs").join(format!("{stamp}-{agent}"))
}
