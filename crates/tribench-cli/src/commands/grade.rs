//! `tribench grade`: SWE-bench predictions graded as the official harness grades them, with
//! its output files beside the run; `--audit`, where the official and strict verdicts part;
//! `--logs`, recorded test logs re-graded without running anything.

use super::*;
use crate::args::GradeArgs;
use crate::settings::RunSettings;
use tribench_engine::shipped;
use tribench_grading as grading;

pub async fn grade(a: GradeArgs) -> Result<ExitCode> {
    if let Some(run) = &a.audit {
        emit(a.json, &grading::audit(run)?, |a| a.render())?;
        return Ok(ExitCode::SUCCESS);
    }
    const NEEDS: &str = "grade needs --suite and --predictions (or --audit RUN_DIR)";
    let Some(suite_path) = &a.suite else {
        bail!(NEEDS)
    };
    let suite = load_suites(std::slice::from_ref(suite_path), false)?.remove(0);
    if let Some(logs) = &a.logs {
        let mode = RunSettings::resolve_grading_mode(&a.exec, &suite.path)?;
        let (r, lines) = grading::regrade(&suite, &a.instance_ids, logs, mode)?;
        notes_plain(&lines);
        println!("{}", serde_json::to_string(&r.reports)?);
        return Ok(ExitCode::SUCCESS);
    }
    let Some(pred) = &a.predictions else {
        bail!(NEEDS)
    };
    let plan = grading::GradePlan::new(suite, pred, &a.instance_ids)?;
    notes(plan.ignored_note().as_slice());
    let run_dir = (a.run_dir.clone()).unwrap_or_else(|| shipped::grade_run_dir(plan.model()));
    let s = RunSettings::resolve(&a.exec, &run_dir, std::slice::from_ref(&plan.suite.path))?;
    let (jobs, cfg) = (s.engine.jobs, s.engine); // s keeps the staged image context alive
    eprintln!("{}", plan.announce(&cfg));
    let graded = match plan
        .run(cfg, a.run_id.as_deref(), invocation::shutdown_signal())
        .await
    {
        Ok(graded) => graded,
        Err(grading::GradingError::Engine(EngineError::Interrupted { done })) => {
            eprintln!(
                "interrupted after grading {done} instances; rerun the same command to finish"
            );
            return Ok(ExitCode::from(INTERRUPTED));
        }
        Err(e) => return Err(e.into()),
    };
    notes_plain(graded.rate_line(jobs).as_slice());
    eprintln!("official run report: {}", graded.report.display());
    finish(
        &run_dir,
        a.json,
        "grade again into a new --run-dir (a rerun of this one keeps the recorded errors)",
    )
}
