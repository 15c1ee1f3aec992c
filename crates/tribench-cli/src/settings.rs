//! The one place that resolves how tribench runs (uv's `settings.rs` is the model): each
//! setting comes from its flag, else tribench.toml's `[run]` table, else a `TRIBENCH_<NAME>`
//! environment variable, else the default its owner keeps (the engine's [`EngineConfig::new`],
//! the agent's `Limits`, the sandbox's output cap). Clap carries no defaults of these.

use crate::args::{ExecArgs, LlmArgs};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use tribench_agents::build::{LlmSettings, Prices};
use tribench_engine::{shipped, EngineConfig, ProgressMode};
use tribench_families::swebench::parse::GradingMode;
pub use tribench_settings::models_path;
use tribench_settings::{
    config_path, engine_config, file_config, FileConfig, RunLayer, SandboxChoice,
};

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
        engine.progress = ProgressMode::for_stderr(exec.quiet);
        engine.image_map = file.images;
        let mut certs = file.build.ca_certificates;
        certs.extend(exec.ca_cert.iter().cloned());
        engine.ca_certificates = tribench_engine::certs::read_ca_certificates(&certs)?;
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

/// The polyglot toolchain image staged from the Dockerfile and test tools shipped with
/// tribench (keep the returned folder alive for the run).
fn polyglot_image() -> Result<(tempfile::TempDir, tribench_sandbox::ImageSpec)> {
    let find =
        |rel| shipped::shipped(rel).with_context(|| format!("{rel} not found next to tribench"));
    let (dockerfile, js) = (find("images/polyglot/Dockerfile")?, find("tools/js")?);
    Ok(tribench_families::polyglot::image::stage_toolchain_image(
        &dockerfile,
        &js,
    )?)
}
