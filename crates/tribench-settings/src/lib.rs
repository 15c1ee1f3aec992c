//! tribench's run settings as layers (uv's `uv-settings` is the model): what a flag, the
//! `[run]` table of tribench.toml or a `TRIBENCH_<NAME>` variable may each say, how one layer
//! goes over another, where tribench.toml is found and what it may hold, and the engine
//! configuration a resolved layer gives (each default stays its owner's). The CLI's settings.rs
//! decides the order.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use tribench_agents::build::{LlmSettings, Prices};
use tribench_engine::{shipped, EngineConfig};
use tribench_families::polyglot::image;
use tribench_families::swebench::parse::GradingMode;

/// Settings that cannot be read, named by where they came from.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("--config {}: no such file", .0.display())]
    NoConfig(PathBuf),
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Toml { path: PathBuf, message: String },
    #[error("{name}={value:?}: {message}")]
    Env {
        name: String,
        value: String,
        message: String,
    },
    #[error("output_cap 0 would keep no output at all: give at least 1 byte")]
    OutputCapZero,
    /// A setting outside the values it can take (`jobs 0`, a negative cost limit...).
    #[error("{0}")]
    OutOfRange(String),
    #[error(transparent)]
    Models(#[from] tribench_analysis::ModelsError),
    #[error(transparent)]
    Certificates(#[from] tribench_engine::certs::CertError),
    #[error("{0}")]
    Shipped(String),
    #[error(transparent)]
    Family(#[from] tribench_families::FamilyError),
}

type Result<T, E = SettingsError> = std::result::Result<T, E>;

/// The run settings, as flags and as tribench.toml's `[run]` table (same names, underscores);
/// each also from a `TRIBENCH_<NAME>` variable. `None`: this source does not say; the default
/// is the engine's (the CLI's settings.rs resolves them).
#[derive(clap::Args, serde::Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RunLayer {
    /// Trials run at once (default: one per core, at least 2).
    #[arg(short = 'j', long)]
    pub jobs: Option<usize>,
    /// Seconds the agent may work on a trial, all tries together (default: 1800).
    #[arg(long, value_name = "SECONDS")]
    pub agent_timeout: Option<u64>,
    /// Seconds one run of a task's tests may take before it is killed (`test_timeout`;
    /// default: 180).
    #[arg(long, value_name = "SECONDS")]
    pub test_timeout: Option<u64>,
    /// Seconds preparing a task's sandbox may take (default: 300).
    #[arg(long, value_name = "SECONDS")]
    pub setup_timeout: Option<u64>,
    /// Extra starts a trial gets when it ends in an infrastructure error (default: 1).
    #[arg(long)]
    pub infra_retries: Option<u32>,
    /// Run commands unconfined even when bubblewrap is installed.
    #[arg(long, num_args = 0, default_missing_value = "true")]
    pub no_isolation: Option<bool>,
    /// Folder holding the JavaScript test tools (tools/js after `npm install`).
    #[arg(long)]
    pub js_tools: Option<PathBuf>,
    /// Where per-trial sandboxes are created (default: the system temp directory).
    #[arg(long)]
    pub sandbox_dir: Option<PathBuf>,
    /// Where workspace tasks (polyglot) run: local folders (the default), or containers of the
    /// toolchain image built from images/polyglot. Terminal tasks always run in containers.
    #[arg(long, value_enum)]
    pub sandbox: Option<SandboxChoice>,
    /// SWE-bench verdicts: `official` (the default) reproduces the swebench 5.x grader, its
    /// parser faults included (leaderboard comparable); `strict` fixes them.
    #[arg(long, value_enum)]
    pub grading_mode: Option<GradingModeArg>,
    /// Network for the agent: `task` (the default) gives it to tasks whose definition allows
    /// it (Terminal-Bench's allow_internet) and keeps local workspaces offline; `off` gives it
    /// to none; `on` to local workspaces too. Grading is always offline; an agent program
    /// installed in the sandbox still reaches its model.
    #[arg(long, value_enum)]
    pub network: Option<NetworkChoice>,
    /// The run's seed: recorded in the manifest and sent to the model with every request, for
    /// endpoints that honour it (default: none sent, 0 recorded).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Bytes of a command's output (stdout and stderr each) kept in logs and shown to the
    /// grader; the rest is cut (default: the sandbox's cap, 1 MiB).
    #[arg(long, value_name = "BYTES")]
    pub output_cap: Option<usize>,
    /// Pull named images (official SWE-bench images) that are not present locally.
    #[arg(long, num_args = 0, default_missing_value = "true")]
    pub pull: Option<bool>,
    /// Build Terminal-Bench tasks from their Dockerfile even when they name a prebuilt image.
    #[arg(long, num_args = 0, default_missing_value = "true")]
    pub force_build: Option<bool>,
}

#[derive(clap::ValueEnum, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum GradingModeArg {
    Official,
    Strict,
}

#[derive(clap::ValueEnum, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SandboxChoice {
    Local,
    Docker,
}

#[derive(clap::ValueEnum, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum NetworkChoice {
    Task,
    Off,
    On,
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
                Some(v) => v.parse().map(Some).map_err(|e: T::Err| SettingsError::Env {
                    name,
                    value: v,
                    message: e.to_string(),
                }),
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
            return Err(SettingsError::NoConfig(f.to_path_buf()));
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
    let text = std::fs::read_to_string(p).map_err(|source| SettingsError::Read {
        path: p.to_path_buf(),
        source,
    })?;
    let mut cfg: FileConfig = toml::from_str(&text).map_err(|e| SettingsError::Toml {
        path: p.to_path_buf(),
        message: e.to_string(),
    })?;
    let base = p.parent().unwrap_or(Path::new("."));
    for c in &mut cfg.build.ca_certificates {
        if c.is_relative() {
            *c = base.join(&*c);
        }
    }
    cfg.run = cfg.run.relative_to(base);
    Ok(cfg)
}

/// The layers of a run over suites `suites`: the tribench.toml that applies (see
/// [`config_path`]; `found` is shown its path before it is read), and `flags` over its `[run]`
/// table over the `TRIBENCH_<NAME>` variables `var` reads.
pub fn layered(
    flags: RunLayer,
    config: Option<&Path>,
    suites: &[PathBuf],
    var: &dyn Fn(&str) -> Option<String>,
    found: impl FnOnce(&Path),
) -> Result<(FileConfig, RunLayer)> {
    let path = config_path(config, suites)?;
    if let Some(p) = &path {
        found(p);
    }
    let mut file = file_config(path.as_deref())?;
    let layer = flags
        .over(std::mem::take(&mut file.run))
        .over(RunLayer::from_env(var)?);
    Ok((file, layer))
}

/// The engine configuration a resolved layer gives: each setting it names, the engine's own
/// default for the rest.
pub fn engine_config(l: RunLayer, run_dir: &Path) -> Result<EngineConfig> {
    let mut cfg = EngineConfig::new(run_dir);
    let out_of_range = |m: String| Err(SettingsError::OutOfRange(m));
    match l.jobs {
        Some(0) => return out_of_range("jobs 0 would run no trial: give at least 1".into()),
        Some(j) if j > MAX_JOBS => {
            return out_of_range(format!("jobs {j}: at most {MAX_JOBS} trials run at once"))
        }
        Some(j) => cfg.jobs = j,
        None => {}
    }
    for (name, v) in [
        ("agent_timeout", l.agent_timeout),
        ("test_timeout", l.test_timeout),
        ("setup_timeout", l.setup_timeout),
    ] {
        if v == Some(0) {
            return out_of_range(format!(
                "{name} 0 would end every trial at once: give at least 1 second"
            ));
        }
    }
    let t = &mut cfg.timeouts;
    t.agent_sec = l.agent_timeout.unwrap_or(t.agent_sec);
    t.test_sec = l.test_timeout.unwrap_or(t.test_sec);
    t.setup_sec = l.setup_timeout.unwrap_or(t.setup_sec);
    cfg.infra_retries = l.infra_retries.unwrap_or(cfg.infra_retries);
    cfg.sandbox_base = l.sandbox_dir;
    cfg.js_tools = match l.js_tools {
        Some(p) => Some(p.canonicalize().unwrap_or(p)),
        None => shipped::js_tools(),
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
        Some(0) => return Err(SettingsError::OutputCapZero),
        Some(c) => cfg.output_cap = c,
        None => {}
    }
    cfg.no_isolation = l.no_isolation.unwrap_or(cfg.no_isolation);
    cfg.pull_images = l.pull.unwrap_or(cfg.pull_images);
    cfg.force_build = l.force_build.unwrap_or(cfg.force_build);
    Ok(cfg)
}

/// Most trials a run takes at once (`jobs`): more than any machine has cores for.
pub const MAX_JOBS: usize = 1024;

/// The models file: `--models`, else `$TRIBENCH_MODELS`, else `./models.toml` when present.
pub fn models_path(flag: Option<&Path>) -> Option<PathBuf> {
    flag.map(Path::to_path_buf)
        .or_else(|| std::env::var_os("TRIBENCH_MODELS").map(PathBuf::from))
        .or_else(|| Some(PathBuf::from("models.toml")).filter(|p| p.is_file()))
}

/// The models file [`models_path`] names, read; empty when there is none.
pub fn models_file(flag: Option<&Path>) -> Result<tribench_analysis::ModelsFile> {
    Ok(match models_path(flag) {
        Some(p) => tribench_analysis::ModelsFile::load(&p)?,
        None => tribench_analysis::ModelsFile::default(),
    })
}

/// Settings of the `llm` agent.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct LlmArgs {
    /// Model id the endpoint serves.
    #[arg(long)]
    pub model: Option<String>,
    /// OpenAI-compatible endpoint, e.g. http://gpu-box:8000/v1.
    #[arg(long)]
    pub base_url: Option<String>,
    /// Environment variable holding the API key (the key is never written anywhere).
    #[arg(long)]
    pub api_key_env: Option<String>,
    /// tools (native tool calls), text (one fenced bash block per reply), or interactive (a
    /// terminal the model types into and reads; container tasks). Default: tools.
    #[arg(long)]
    pub mode: Option<String>,
    /// Sampling temperature sent with every request (default: the endpoint's own).
    #[arg(long)]
    pub temperature: Option<f64>,
    /// Nucleus sampling: the probability mass sampled from (default: the endpoint's own).
    #[arg(long)]
    pub top_p: Option<f64>,
    /// Cap on tokens the model may write per reply (default: the endpoint's own).
    #[arg(long)]
    pub max_tokens: Option<u64>,
    /// Model calls per trial before `limit_reached` (default: 100).
    #[arg(long)]
    pub max_steps: Option<u32>,
    /// USD per trial before `limit_reached` (default: 5).
    #[arg(long)]
    pub max_cost: Option<f64>,
    /// Requests in flight to the endpoint at once (default: 8).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Seconds one model request may take before it is retried; an endpoint that never
    /// answers is then a model_error, not the agent's timeout (default: 600).
    #[arg(long, value_name = "SECONDS")]
    pub request_timeout: Option<u64>,
    /// On context overflow, drop the oldest command outputs and go on instead of ending the
    /// trial as context_exhausted.
    #[arg(long)]
    pub trim_history: bool,
    /// Folder with system.md and/or instance.md replacing the default prompts.
    #[arg(long)]
    pub prompts: Option<PathBuf>,
    /// Models file with prices for cost accounting (default: $TRIBENCH_MODELS, else
    /// ./models.toml if present).
    #[arg(long = "models")]
    pub models: Option<PathBuf>,
}

/// The llm agent's settings: its flags, the run's seed, and the model's prices from the
/// models file when it lists the model.
pub fn llm_settings(a: &LlmArgs, seed: Option<u64>) -> Result<LlmSettings, SettingsError> {
    check_llm_args(a)?;
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
        request_timeout_sec: a.request_timeout,
        trim_history: a.trim_history,
        prompts: a.prompts.clone(),
        prices,
    })
}

/// Refuses sampling and limit flags the endpoint or the agent cannot honour: a NaN temperature
/// would be sent as null, a negative cost limit stops before the first call.
fn check_llm_args(a: &LlmArgs) -> Result<(), SettingsError> {
    let bad = |m: String| Err(SettingsError::OutOfRange(m));
    if let Some(t) = a.temperature.filter(|t| !(0.0..=2.0).contains(t)) {
        return bad(format!("--temperature {t}: give a number within 0..2"));
    }
    if let Some(p) = a.top_p.filter(|p| !(*p > 0.0 && *p <= 1.0)) {
        return bad(format!(
            "--top-p {p}: give a probability mass above 0, at most 1"
        ));
    }
    if a.max_tokens == Some(0) {
        return bad("--max-tokens 0 would let the model write nothing: give at least 1".into());
    }
    if let Some(c) = a.max_cost.filter(|c| !(c.is_finite() && *c >= 0.0)) {
        return bad(format!("--max-cost {c}: give 0 or more USD"));
    }
    if a.max_steps == Some(0) {
        return bad("--max-steps 0 would allow no model call: give at least 1".into());
    }
    if a.concurrency == Some(0) {
        return bad("--concurrency 0 would send no request: give at least 1".into());
    }
    if a.request_timeout == Some(0) {
        return bad(
            "--request-timeout 0 would end every model request at once: give at least 1".into(),
        );
    }
    if let Some(p) = a.prompts.as_ref().filter(|p| !p.is_dir()) {
        return bad(format!(
            "--prompts {}: no such folder (it holds system.md and/or instance.md)",
            p.display()
        ));
    }
    Ok(())
}

impl FileConfig {
    /// The engine configuration of `layer` resolved over this file: its image names and CA
    /// certificates (with `extra_certs`), and with `sandbox = docker` the polyglot toolchain
    /// image staged (the returned folder must outlive the run).
    pub fn engine_config(
        self,
        layer: RunLayer,
        run_dir: &Path,
        extra_certs: &[PathBuf],
    ) -> Result<(EngineConfig, Option<tempfile::TempDir>), SettingsError> {
        let docker = layer.sandbox == Some(SandboxChoice::Docker);
        let mut engine = engine_config(layer, run_dir)?;
        engine.image_map = self.images;
        let certs = [self.build.ca_certificates.as_slice(), extra_certs].concat();
        engine.ca_certificates = tribench_engine::certs::read_ca_certificates(&certs)?;
        if !docker {
            return Ok((engine, None));
        }
        let find = |rel: &str| {
            let missing = || SettingsError::Shipped(format!("{rel} not found next to tribench"));
            shipped::shipped(rel).ok_or_else(missing)
        };
        let (dockerfile, js) = (find("images/polyglot/Dockerfile")?, find("tools/js")?);
        let (dir, spec) = image::stage_toolchain_image(&dockerfile, &js)?;
        engine.workspace_image = Some(spec);
        engine.workspace_image_js_tools = Some(PathBuf::from(image::IMAGE_JS_TOOLS));
        Ok((engine, Some(dir)))
    }
}

#[cfg(test)]
mod tests;
