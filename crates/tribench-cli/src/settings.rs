//! The one place that resolves how tribench runs (uv's `settings.rs` is the model): each
//! setting comes from its flag, else tribench.toml's `[run]` table, else a `TRIBENCH_<NAME>`
//! environment variable, else the default its owner keeps (the engine's [`EngineConfig::new`],
//! the agent's `Limits`, the sandbox's output cap). Clap carries no defaults of these.

use crate::args::ExecArgs;
use anyhow::Result;
use std::path::{Path, PathBuf};
use tribench_engine::{EngineConfig, ProgressMode};
use tribench_families::swebench::parse::GradingMode;
use tribench_settings::{engine_config, FileConfig, RunLayer};
pub use tribench_settings::{llm_settings, models_file};

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
        let seed = layer.seed;
        let (mut engine, image) = file.engine_config(layer, run_dir, &exec.ca_cert)?;
        engine.progress = ProgressMode::for_stderr(exec.quiet);
        engine.shard = exec.shard;
        Ok(RunSettings {
            engine,
            seed,
            _image_context: image,
        })
    }

    /// Only the grading mode, for grading recorded logs (nothing runs).
    pub fn resolve_grading_mode(exec: &ExecArgs, suite: &Path) -> Result<GradingMode> {
        let (_, layer) = layers(exec, &[suite.to_path_buf()])?;
        Ok(engine_config(layer, Path::new("."))?.grading_mode)
    }
}

/// The tribench.toml that applies (named on stderr), and the flags over it over the environment.
fn layers(exec: &ExecArgs, suites: &[PathBuf]) -> Result<(FileConfig, RunLayer)> {
    let var = |k: &str| std::env::var(k).ok();
    let found = |p: &Path| eprintln!("settings from {}", p.display());
    let config = exec.config.as_deref();
    Ok(tribench_settings::layered(
        exec.run.clone(),
        config,
        suites,
        &var,
        found,
    )?)
}
