//! `tribench grade`: SWE-bench predictions graded as the official harness grades them, with
//! its output files beside the run; `--audit`, where the official and strict verdicts part;
//! `--logs`, recorded test logs re-graded without running anything.

use super::*;
use crate::args::GradeArgs;
use crate::settings::{self, RunSettings};
use std::sync::Arc;
use tribench_agents::Predictions;
use tribench_engine::EngineError;
use tribench_families::swebench::{audit::Audit, regrade, selection};
use tribench_store::RunStore;
use tribench_types::FamilyKind;

pub async fn grade(a: GradeArgs) -> Result<ExitCode> {
    if let Some(run) = &a.audit {
        return audit(run, a.json);
    }
    let Some(suite_path) = a.suite.as_deref() else {
        bail!("grade needs --suite and --predictions (or --audit RUN_DIR)");
    };
    let mut suite = load_suite(suite_path)
        .with_context(|| format!("cannot load suite {}", suite_path.display()))?;
    if let Some(logs) = &a.logs {
        return regrade_logs(&suite, logs, &a);
    }
    let Some(pred) = &a.predictions else {
        bail!("grade needs --suite and --predictions (or --audit RUN_DIR)");
    };
    if suite.family != FamilyKind::Swebench {
        bail!(
            "{} is not a SWE-bench suite: grade takes SWE-bench instances",
            suite_path.display()
        );
    }
    let swebench: Vec<_> = suite.tasks.iter().filter_map(|t| t.swebench()).collect();
    let predictions = match selection::builtin_patches(pred, &swebench) {
        Some(patches) => Predictions::new(pred.clone(), patches.into_iter().collect()),
        None => Predictions::load(Path::new(pred)).map_err(anyhow::Error::msg)?,
    };
    let dataset_ids: Vec<String> = suite.tasks.iter().map(|t| t.info.id.clone()).collect();
    let predicted: Vec<String> = predictions.ids().map(str::to_string).collect();
    let sel =
        selection::select_predictions(&dataset_ids, &predicted, &a.instance_ids).map_err(|u| {
            anyhow::anyhow!(
                "--instance-id names instances not in the suite: {}",
                u.join(", ")
            )
        })?;
    if !sel.ignored.is_empty() {
        let (n, first) = (
            sel.ignored.len(),
            sel.ignored.iter().take(5).cloned().collect::<Vec<_>>(),
        );
        eprintln!(
            "note: {n} prediction(s) name instances not in the suite, ignored: {}",
            first.join(", ")
        );
    }
    suite.tasks.retain(|t| sel.submitted.contains(&t.info.id));
    if suite.tasks.is_empty() {
        bail!("no prediction matches an instance of the suite");
    }
    let model = predictions.model_name().to_string();
    let run_dir = (a.run_dir.clone()).unwrap_or_else(|| {
        settings::default_run_dir(&format!("grade-{}", model.replace('/', "__")))
    });
    let s = RunSettings::resolve(&a.exec, &run_dir, std::slice::from_ref(&suite.path))?;
    let mut cfg = s.engine;
    cfg.progress = progress_mode(a.exec.quiet);
    let (n, jobs, mode) = (suite.tasks.len(), cfg.jobs, cfg.grading_mode.as_str());
    eprintln!(
        "grading {n} predictions of {model} in {} ({jobs} at once, {mode} mode)",
        run_dir.display()
    );
    let t0 = std::time::Instant::now();
    let summary = match tribench_engine::run(
        vec![suite],
        Arc::new(predictions),
        cfg,
        shutdown_signal(),
    )
    .await
    {
        Ok(s) => s,
        Err(EngineError::Interrupted { done }) => {
            eprintln!(
                "interrupted after grading {done} instances; rerun the same command to finish"
            );
            return Ok(ExitCode::from(INTERRUPTED));
        }
        Err(e) => return Err(e.into()),
    };
    let elapsed = t0.elapsed().as_secs_f64();
    if summary.ran > 0 {
        let rate = summary.ran as f64 * 60.0 / elapsed.max(1e-9);
        eprintln!(
            "graded {} instances in {elapsed:.1} s with {jobs} at once: {rate:.1} instances/minute",
            summary.ran
        );
    }
    let ids = (sel.report_ids.as_slice(), sel.submitted.as_slice());
    let run_id = a.run_id.as_deref().or(Some(&summary.manifest.run_id));
    let report_path = export_swebench(&run_dir, ids, &model, run_id)?;
    eprintln!("official run report: {}", report_path.display());
    print_report(&run_dir, a.json)?;
    check_infrastructure(
        &run_dir,
        "grade again into a new --run-dir (a rerun of this one keeps the recorded errors)",
    )
}

fn audit(run: &Path, json: bool) -> Result<ExitCode> {
    let store = RunStore::open_for_reading(run)?;
    let mut audit = Audit::default();
    for t in store.trials()? {
        let path = run
            .join(RunStore::trial_dir_rel(&t.trial_id))
            .join("grading.json");
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let g = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        audit.add(&t.task_id, &t.trial_id, &g);
    }
    match json {
        true => println!("{}", serde_json::to_string_pretty(&audit)?),
        false => print!("{}", audit.render()),
    }
    Ok(ExitCode::SUCCESS)
}

/// Grades recorded logs: no sandbox, no patch, the verdict only.
fn regrade_logs(suite: &Suite, logs: &Path, a: &GradeArgs) -> Result<ExitCode> {
    let mode = RunSettings::resolve_grading_mode(&a.exec, &suite.path)?;
    let tasks: Vec<_> = (suite.tasks.iter())
        .filter(|t| a.instance_ids.is_empty() || a.instance_ids.contains(&t.info.id))
        .filter_map(|t| t.swebench())
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let r = regrade::regrade_logs(&tasks, logs, mode, threads)?;
    if !r.missing.is_empty() {
        eprintln!(
            "note: {} instance(s) have no log in {}",
            r.missing.len(),
            logs.display()
        );
    }
    let resolved = r.reports.values().filter(|r| r.resolved).count();
    eprintln!(
        "{resolved} of {} graded logs resolved ({} mode)",
        r.reports.len(),
        mode.as_str()
    );
    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer(&mut w, &r.reports)?;
    std::io::Write::write_all(&mut w, b"\n")?;
    std::io::Write::flush(&mut w)?;
    Ok(ExitCode::SUCCESS)
}
