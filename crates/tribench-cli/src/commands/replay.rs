//! `tribench replay`: a recorded run's actions (or final patches) again, without the model,
//! and whether the outcomes repeat.

use super::*;
use crate::args::ReplayArgs;
use crate::settings::RunSettings;

pub async fn replay(a: ReplayArgs) -> Result<ExitCode> {
    let source = read_run(&a.source)?;
    let recorded = tribench_agents::llm::replayable(&a.source, &source.trials, !a.patches)?;
    let paths = source.dataset_paths();
    let suites = load_suites(&paths, false)?;
    let agent = tribench_agents::build::replay_agent(a.source.clone(), a.patches, recorded);
    let s = RunSettings::resolve(&a.exec, &a.run_dir, &paths)?;
    let mut cfg = s.engine; // s keeps the staged image context alive for the run
    cfg.max_tries = source.manifest.max_tries;
    match tribench_engine::run(suites, agent, cfg, invocation::shutdown_signal()).await {
        Err(EngineError::Interrupted { .. }) => return Ok(ExitCode::from(INTERRUPTED)),
        done => done?,
    };
    let c = tribench_analysis::replay_comparison(&source, &RunData::load(&a.run_dir)?);
    emit(a.json, &c, |c| {
        tribench_analysis::render_replay(c, a.patches)
    })?;
    Ok(ExitCode::from(u8::from(c.differ != 0)))
}
