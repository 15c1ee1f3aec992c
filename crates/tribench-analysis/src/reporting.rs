//! A run's report as `tribench report` gives it: priced from the models file when the run's
//! model is listed there, split by task freshness at a cutoff (given, or the model's training
//! cutoff), and rendered in the format asked for.

use crate::{build_report, freshness, price_trials, ModelEntry, ModelsFile, Report, RunData};
use std::collections::HashMap;

/// How a report is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Table,
    /// Every column of the score table.
    WideTable,
    Json,
    Markdown,
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
