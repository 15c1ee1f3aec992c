//! `tribench run`: an agent on suites (default: the bundled ones with the oracle), then the
//! report, and SWE-bench's own files for SWE-bench suites.

use super::*;
use crate::args::RunArgs;
use crate::settings::{self, RunSettings};
use tribench_engine::shipped;

pub async fn run(a: RunArgs) -> Result<ExitCode> {
    let named = super::datasets::suites(&a.data).await?;
    let (paths, bundled) = shipped::suites_or_bundled(&[a.suites.clone(), named].concat());
    let (suites, skipped) = invocation::run_suites(&paths, bundled).await?;
    notes(&skipped);
    let agent_choice = shipped::agent_choice(&a.agent)?;
    let run_dir = (a.run_dir.clone()).unwrap_or_else(|| shipped::default_run_dir(&a.agent));
    let s = RunSettings::resolve(&a.exec, &run_dir, &paths)?;
    let llm = settings::llm_settings(&a.llm, s.seed)?;
    let agent = tribench_agents::build::build_agent(&agent_choice, &llm)?;
    let mut cfg = s.engine;
    cfg.attempts = a.attempts.unwrap_or(cfg.attempts);
    (cfg.max_tries, cfg.retry_errors) = (a.tries, a.retry_errors);
    cfg.max_consecutive_model_errors =
        (a.max_consecutive_model_errors).unwrap_or(cfg.max_consecutive_model_errors);
    let (dir, attempts) = (run_dir.display(), cfg.attempts);
    let tasks: usize = suites.iter().map(|s| s.tasks.len()).sum();
    eprintln!("run directory {dir} ({tasks} tasks x {attempts} attempts; rerun with --run-dir {dir} to resume)");
    let swebench_ids = tribench_grading::swebench_ids(&suites);
    match tribench_engine::run(suites, agent, cfg, invocation::shutdown_signal()).await {
        Ok(summary) => notes_plain(summary.resumed_line().as_slice()),
        Err(EngineError::Interrupted { done }) => {
            let resume = invocation::resume_command(std::env::args(), &run_dir);
            eprintln!("interrupted after recording {done} trials in this invocation; to resume:\n  {resume}");
            return Ok(ExitCode::from(INTERRUPTED));
        }
        Err(e @ (EngineError::ModelRefused { .. } | EngineError::ModelUnreachable { .. })) => {
            // What finished is kept and reported; the message says how to finish the run.
            print_report(&run_dir, a.json)?;
            eprintln!("error: {e}");
            return Ok(ExitCode::from(MODEL_STOPPED));
        }
        Err(e) => return Err(e.into()),
    }
    let model = tribench_agents::build::model_name(&a.agent, a.llm.model.as_deref());
    tribench_grading::export_agent_run(&run_dir, &swebench_ids, &model)?;
    finish(
        &run_dir,
        a.json,
        "rerun the same command with --retry-errors",
    )
}
