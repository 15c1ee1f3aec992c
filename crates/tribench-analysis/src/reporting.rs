//! A run's report as `tribench report` gives it: priced from the models file when the run's
//! model is listed there, split by task freshness at a cutoff (given, or the model's training
//! cutoff), and rendered in the format asked for.

use crate::{build_report, freshness, price_trials, ModelEntry, ModelsFile, Report, RunData};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// How a report is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Table,
    /// Every column of the score table.
    WideTable,
    Json,
    Markdown,
}

impl ReportFormat {
    /// The format flags ask for: JSON over Markdown over the wide table over the table.
    pub fn from_flags(json: bool, markdown: bool, wide: bool) -> ReportFormat {
        match (json, markdown, wide) {
            (true, _, _) => ReportFormat::Json,
            (_, true, _) => ReportFormat::Markdown,
            (_, _, true) => ReportFormat::WideTable,
            _ => ReportFormat::Table,
        }
    }
}

/// The report of `run` in `format`.
pub fn render_report(r: &Report, format: ReportFormat) -> Result<String, serde_json::Error> {
    Ok(match format {
        ReportFormat::Json => serde_json::to_string_pretty(r)? + "\n",
        ReportFormat::Markdown => crate::render_markdown(r),
        ReportFormat::Table => crate::render_table(r),
        ReportFormat::WideTable => crate::render_table_with(r, crate::RenderOptions { wide: true }),
    })
}

/// A run's report with what the models file knows: its model's entry, and how many trials
/// were priced from it (trials that recorded no cost).
pub struct PricedReport {
    pub report: Report,
    pub model: Option<ModelEntry>,
    pub priced: usize,
}

/// Builds the report of `run`: priced from `models`, with freshness at `cutoff` (else the
/// model's training cutoff) using `dates` for tasks whose run did not record them.
pub fn report_with_models(
    mut run: RunData,
    models: &ModelsFile,
    cutoff: Option<&str>,
    dates: &HashMap<String, String>,
) -> PricedReport {
    let model = models.for_run(&run).cloned();
    let priced = model.as_ref().map_or(0, |m| price_trials(&mut run, m));
    let mut report = build_report(&run);
    let cutoff = cutoff.or_else(|| model.as_ref()?.training_cutoff.as_deref());
    if let Some(c) = cutoff {
        report.freshness = Some(freshness(&run.trials, c, dates));
    }
    PricedReport {
        report,
        model,
        priced,
    }
}

/// A task dates file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TaskDatesError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not JSON or JSONL", path.display())]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// The task dates a file gives (`--task-dates`: JSON or JSONL rows); none without a file.
pub fn read_task_dates(path: Option<&Path>) -> Result<HashMap<String, String>, TaskDatesError> {
    let Some(path) = path else {
        return Ok(HashMap::new());
    };
    let text = std::fs::read_to_string(path).map_err(|source| TaskDatesError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    freshness::task_dates_from(&text).map_err(|source| TaskDatesError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

impl PricedReport {
    /// The note saying that trials of the run in `dir` were priced from the models file.
    pub fn priced_note(&self, dir: &Path) -> Option<String> {
        let (m, n, dir) = (self.model.as_ref()?, self.priced, dir.display());
        let id = &m.id;
        (n > 0).then(|| format!("priced {n} trials of {dir} at {id}'s prices from the models file"))
    }
}

/// A report in one line: `model M, run ID: resolved S of N tasks, P% [95% CI L, H]`.
pub fn summary_line(r: &Report) -> String {
    let model = (r.manifest.model.as_ref())
        .map(|m| format!("model {}, ", m.id))
        .unwrap_or_default();
    let (id, s) = (&r.manifest.run_id, &r.total.score);
    let rate = match s.rate {
        Some(rate) => format!(
            "{:.1}% [95% CI {:.1}, {:.1}]",
            rate * 100.0,
            s.low * 100.0,
            s.high * 100.0
        ),
        None => "score n/a (no trials)".into(),
    };
    let mut line = format!(
        "{model}run {id}: resolved {} of {} tasks, {rate}",
        s.successes, r.total.tasks,
    );
    // A run that lists fewer trials than it says it had (a SWE-bench report whose
    // total_instances counts instances it never ran): the figure over all of them, as the
    // other harness reports it, next to the one over what was recorded.
    if let Some(over_all) = r.score_over_expected {
        line.push_str(&format!(
            "; INCOMPLETE: {} of {} trials recorded, {:.1}% counting the missing ones as failures",
            r.recorded_trials,
            r.expected_trials,
            over_all * 100.0
        ));
    }
    line
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn report_format_flags_json_first_then_markdown_then_wide() {
        assert_eq!(
            ReportFormat::from_flags(true, true, true),
            ReportFormat::Json
        );
        assert_eq!(
            ReportFormat::from_flags(false, true, true),
            ReportFormat::Markdown
        );
        assert_eq!(
            ReportFormat::from_flags(false, false, true),
            ReportFormat::WideTable
        );
        assert_eq!(
            ReportFormat::from_flags(false, false, false),
            ReportFormat::Table
        );
    }

    #[test]
    fn task_dates_come_from_json_or_jsonl_and_bad_files_are_named() {
        assert!(read_task_dates(None).unwrap().is_empty());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("dates.jsonl");
        let row = r#"{"instance_id": "a__b-1", "created_at": "2024-05-01T00:00:00Z"}"#;
        std::fs::write(&p, format!("{row}\n")).unwrap();
        assert_eq!(read_task_dates(Some(&p)).unwrap().len(), 1);
        std::fs::write(&p, "not json").unwrap();
        let err = read_task_dates(Some(&p)).unwrap_err().to_string();
        assert!(err.ends_with("dates.jsonl: not JSON or JSONL"), "{err}");
        let missing = dir.path().join("none.json");
        let err = read_task_dates(Some(&missing)).unwrap_err().to_string();
        assert!(err.starts_with("cannot read "), "{err}");
    }
}
