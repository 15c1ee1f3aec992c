//! `tribench replay`: a recorded run's actions (or final patches) again, without the model,
//! and whether the outcomes repeat.

use super::*;
use crate::args::ReplayArgs;
use crate::settings::RunSettings;
use std::sync::Arc;
use tribench_agents::llm::ReplayAgent;
use tribench_engine::EngineError;

pub async fn replay(a: ReplayArgs) -> Result<ExitCode> {
    let source = read_run(&a.source)?;
    let paths: Vec<PathBuf> = (source.manifest.datasets.iter())
        .map(|d| PathBuf::from(&d.path))
        .collect();
    let suites = load_suites(&paths, false)?;
    let agent: Arc<dyn tribench_agents::Agent> = Arc::new(match a.patches {
        true => ReplayAgent::from_patches(a.source.clone()),
        false => ReplayAgent::new(a.source.clone()),
    });
    let s = RunSettings::resolve(&a.exec, &a.run_dir, &paths)?;
    let mut cfg = s.engine;
    cfg.max_tries = source.manifest.max_tries;
    cfg.progress = progress_mode(a.exec.quiet);
    match tribench_engine::run(suites, agent, cfg, shutdown_signal()).await {
        Ok(_) => {}
        Err(EngineError::Interrupted { .. }) => return Ok(ExitCode::from(INTERRUPTED)),
        Err(e) => return Err(e.into()),
    }
    let c = tribench_analysis::replay_comparison(&source, &RunData::load(&a.run_dir)?);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&c)?);
    } else {
        print!("{}", tribench_analysis::render_replay(&c, a.patches));
    }
    Ok(if c.differ == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
