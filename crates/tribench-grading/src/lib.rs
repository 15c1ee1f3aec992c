//! SWE-bench predictions graded as the official harness grades them: which predictions (a
//! predictions file, or the built-in `gold` and `nop`) are graded on which instances of a
//! suite, the grading run, and SWE-bench's own files written beside it. Also the two ways of
//! looking again at grading without running an agent: the audit of a graded run (where the
//! official and strict verdicts part) and recorded logs re-graded.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tribench_agents::Predictions;
use tribench_engine::{EngineConfig, EngineError, RunSummary};
use tribench_families::swebench::parse::GradingMode;
use tribench_families::swebench::regrade::{regrade_logs, Regraded};
use tribench_families::swebench::{audit::Audit, selection, selection::Selection, SwebenchTask};
use tribench_families::Suite;
use tribench_store::swebench_export::{write_swebench_outputs, RunReportInput};
use tribench_store::RunStore;
use tribench_types::FamilyKind;

/// Why grading could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum GradingError {
    /// What is wrong with the suite, the predictions or the selection, in the user's words.
    #[error("{0}")]
    Plan(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Store(#[from] tribench_store::StoreError),
    #[error(transparent)]
    Family(#[from] tribench_families::FamilyError),
}

/// What a grading run grades: the suite kept to the instances graded, their predictions, and
/// the selection the official run report counts over.
pub struct GradePlan {
    pub suite: Suite,
    pub predictions: Predictions,
    pub selection: Selection,
}

impl GradePlan {
    /// The plan of grading `predictions` (a predictions file, `gold` or `nop`) on `suite`, or
    /// on its instances of `only` when that is not empty.
    pub fn new(mut suite: Suite, predictions: &str, only: &[String]) -> Result<Self, GradingError> {
        if suite.family != FamilyKind::Swebench {
            let path = suite.path.display();
            let why = format!("{path} is not a SWE-bench suite: grade takes SWE-bench instances");
            return Err(GradingError::Plan(why));
        }
        let swebench: Vec<_> = suite.tasks.iter().filter_map(SwebenchTask::of).collect();
        let predictions = match selection::builtin_patches(predictions, &swebench) {
            Some(patches) => Predictions::new(predictions, patches.into_iter().collect()),
            None => Predictions::load(Path::new(predictions)).map_err(GradingError::Plan)?,
        };
        let dataset: Vec<String> = suite.tasks.iter().map(|t| t.info.id.clone()).collect();
        let predicted: Vec<String> = predictions.ids().map(str::to_string).collect();
        let selection = selection::select_predictions(&dataset, &predicted, only).map_err(|u| {
            let unknown = u.join(", ");
            GradingError::Plan(format!(
                "--instance-id names instances not in the suite: {unknown}"
            ))
        })?;
        suite
            .tasks
            .retain(|t| selection.submitted.contains(&t.info.id));
        if suite.tasks.is_empty() {
            let why = "no prediction matches an instance of the suite";
            return Err(GradingError::Plan(why.into()));
        }
        Ok(GradePlan {
            suite,
            predictions,
            selection,
        })
    }

    /// The note naming predictions of instances outside the suite (the first five), if any.
    pub fn ignored_note(&self) -> Option<String> {
        let ignored = &self.selection.ignored;
        let first: Vec<&str> = ignored.iter().take(5).map(String::as_str).collect();
        (!ignored.is_empty()).then(|| {
            let n = ignored.len();
            let first = first.join(", ");
            format!("{n} prediction(s) name instances not in the suite, ignored: {first}")
        })
    }

    /// The model the predictions name (`model_name_or_path`).
    pub fn model(&self) -> &str {
        self.predictions.model_name()
    }

    /// What grading the plan with `cfg` will do, for stderr: how many predictions of which
    /// model, where, how many at once and in which mode.
    pub fn announce(&self, cfg: &EngineConfig) -> String {
        let (n, model, dir) = (self.suite.tasks.len(), self.model(), cfg.run_dir.display());
        let (jobs, mode) = (cfg.jobs, cfg.grading_mode.as_str());
        format!("grading {n} predictions of {model} in {dir} ({jobs} at once, {mode} mode)")
    }

    /// Grades the plan into `cfg.run_dir`, then writes SWE-bench's files beside the run (the
    /// run report named by `run_id`, else by the run's own id).
    pub async fn run(
        self,
        cfg: EngineConfig,
        run_id: Option<&str>,
        shutdown: impl Future<Output = ()>,
    ) -> Result<Graded, GradingError> {
        let (run_dir, model) = (cfg.run_dir.clone(), self.model().to_string());
        let sel = self.selection;
        let t0 = std::time::Instant::now();
        let summary =
            tribench_engine::run(vec![self.suite], Arc::new(self.predictions), cfg, shutdown)
                .await?;
        let seconds = t0.elapsed().as_secs_f64();
        let run_id = run_id.unwrap_or(&summary.manifest.run_id);
        let ids = (sel.report_ids.as_slice(), sel.submitted.as_slice());
        let report = export_swebench(&run_dir, ids, &model, Some(run_id))?;
        Ok(Graded {
            summary,
            report,
            seconds,
        })
    }
}

/// A finished grading run.
pub struct Graded {
    pub summary: RunSummary,
    /// SWE-bench's run report.
    pub report: PathBuf,
    /// How long this invocation graded.
    pub seconds: f64,
}

impl Graded {
    /// How fast this invocation graded with `jobs` at once; `None` when it graded nothing.
    pub fn rate_line(&self, jobs: usize) -> Option<String> {
        let (ran, s) = (self.summary.ran, self.seconds);
        let rate = ran as f64 * 60.0 / s.max(1e-9);
        (ran > 0).then(|| {
            format!("graded {ran} instances in {s:.1} s with {jobs} at once: {rate:.1} instances/minute")
        })
    }
}

/// Writes SWE-bench's own files beside a run (per-instance reports and the run report named
/// `<model>.<run_id>.json`, the run's recorded id when none is given) for the instances `ids`
/// (reported on, submitted); returns the run report's path.
pub fn export_swebench(
    run_dir: &Path,
    ids: (&[String], &[String]),
    model: &str,
    run_id: Option<&str>,
) -> Result<PathBuf, GradingError> {
    let store = RunStore::open_for_reading(run_dir)?;
    let recorded = (store.read_manifest()?).map_or_else(|| "run".into(), |m| m.run_id);
    let input = RunReportInput {
        dataset_ids: ids.0,
        submitted_ids: ids.1,
        model,
        run_id: run_id.unwrap_or(&recorded),
    };
    Ok(write_swebench_outputs(&store, &input)?)
}

/// SWE-bench's own files beside an agent run whose SWE-bench instances are `ids` (each run
/// instance reported on and counted as submitted), by `model`; nothing when it ran none.
pub fn export_agent_run(
    run_dir: &Path,
    ids: &[String],
    model: &str,
) -> Result<Option<PathBuf>, GradingError> {
    match ids.is_empty() {
        true => Ok(None),
        false => export_swebench(run_dir, (ids, ids), model, None).map(Some),
    }
}

/// The ids of the SWE-bench instances among `suites`, for [`export_swebench`] after an agent
/// run (each instance run is reported and counted as submitted).
pub fn swebench_ids(suites: &[Suite]) -> Vec<String> {
    (suites.iter().filter(|s| s.family == FamilyKind::Swebench))
        .flat_map(|s| s.tasks.iter().map(|t| t.info.id.clone()))
        .collect()
}

/// The audit of a graded run: each trial's recorded grading, official against strict.
pub fn audit(run: &Path) -> Result<Audit, GradingError> {
    let store = RunStore::open_for_reading(run)?;
    let mut audit = Audit::default();
    for t in store.trials()? {
        if let Some(g) = RunStore::read_grading(run, &t.trial_id)? {
            audit.add(&t.task_id, &t.trial_id, &g);
        }
    }
    Ok(audit)
}

/// The verdicts of the recorded logs in `logs` of the suite's SWE-bench instances (those of
/// `only`, when not empty), graded in `mode` on every core: no sandbox, no patch. Also the
/// lines that tell the user how it went (for stderr).
pub fn regrade(
    suite: &Suite,
    only: &[String],
    logs: &Path,
    mode: GradingMode,
) -> Result<(Regraded, Vec<String>), GradingError> {
    let tasks: Vec<_> = (suite.tasks.iter())
        .filter(|t| only.is_empty() || only.contains(&t.info.id))
        .filter_map(SwebenchTask::of)
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let r = regrade_logs(&tasks, logs, mode, threads)?;
    let mut lines = Vec::new();
    if !r.missing.is_empty() {
        let (n, logs) = (r.missing.len(), logs.display());
        lines.push(format!("note: {n} instance(s) have no log in {logs}"));
    }
    let resolved = r.reports.values().filter(|r| r.resolved).count();
    let (n, mode) = (r.reports.len(), mode.as_str());
    lines.push(format!(
        "{resolved} of {n} graded logs resolved ({mode} mode)"
    ));
    Ok((r, lines))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tribench_families::load_suite;

    fn sample(name: &str) -> Suite {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites");
        load_suite(&root.join(name)).unwrap()
    }

    #[test]
    fn gold_grades_every_instance_and_a_selection_narrows_it() {
        let suite = sample("swebench-sample");
        let all: Vec<String> = suite.tasks.iter().map(|t| t.info.id.clone()).collect();
        let plan = GradePlan::new(suite.clone(), "gold", &[]).unwrap();
        assert_eq!(plan.selection.submitted, all);
        assert_eq!(plan.suite.tasks.len(), all.len());
        assert_eq!(plan.model(), "gold");
        assert_eq!(plan.ignored_note(), None);
        let only = vec![all[0].clone()];
        let plan = GradePlan::new(suite, "nop", &only).unwrap();
        assert_eq!(plan.suite.tasks.len(), 1);
        assert_eq!(plan.selection.report_ids, only);
    }

    #[test]
    fn an_agent_run_without_swebench_instances_gets_no_swebench_files() {
        let missing = Path::new("/nonexistent/run");
        assert_eq!(export_agent_run(missing, &[], "m").unwrap(), None);
        assert!(export_agent_run(missing, &["a__b-1".into()], "m").is_err());
    }

    #[test]
    fn a_plan_announces_its_size_model_place_and_mode() {
        let plan = GradePlan::new(sample("swebench-sample"), "gold", &[]).unwrap();
        let mut cfg = EngineConfig::new("runs/g");
        (cfg.jobs, cfg.grading_mode) = (3, GradingMode::Official);
        let n = plan.suite.tasks.len();
        assert_eq!(
            plan.announce(&cfg),
            format!("grading {n} predictions of gold in runs/g (3 at once, official mode)")
        );
    }

    #[test]
    fn unknown_instances_and_other_families_are_refused() {
        let err = GradePlan::new(sample("swebench-sample"), "gold", &["nope__x-1".into()]);
        let err = err.err().unwrap().to_string();
        assert_eq!(
            err,
            "--instance-id names instances not in the suite: nope__x-1"
        );
        let err = GradePlan::new(sample("polyglot-sample"), "gold", &[]);
        let err = err.err().unwrap().to_string();
        assert!(err.ends_with("is not a SWE-bench suite: grade takes SWE-bench instances"));
    }

    #[test]
    fn regrading_an_empty_folder_finds_every_log_missing() {
        let suite = sample("swebench-sample");
        let logs = tempfile::tempdir().unwrap();
        let (r, lines) = regrade(&suite, &[], logs.path(), GradingMode::Official).unwrap();
        assert!(r.reports.is_empty());
        assert_eq!(r.missing.len(), suite.tasks.len());
        let n = suite.tasks.len();
        assert!(lines[0].starts_with(&format!("note: {n} instance(s) have no log in ")));
        assert_eq!(lines[1], "0 of 0 graded logs resolved (official mode)");
    }
}
