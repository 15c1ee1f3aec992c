//! `tribench report`: each run's report (priced and split by freshness when the models file
//! knows its model), and optionally one HTML file of them all.

use super::*;
use crate::args::ReportArgs;
use tribench_analysis::{render_report, report_with_models};

pub fn report(a: ReportArgs) -> Result<ExitCode> {
    let format = ReportFormat::from_flags(a.json, a.markdown, a.wide);
    let models = crate::settings::models_file(a.models.as_deref())?;
    let dates = tribench_analysis::read_task_dates(a.task_dates.as_deref())?;
    let mut html_runs = Vec::new();
    for (i, dir) in a.runs.iter().enumerate() {
        let r = report_with_models(read_run(dir)?, &models, a.cutoff.as_deref(), &dates);
        notes(r.priced_note(dir).as_slice());
        if i > 0 && !a.json {
            println!();
        }
        print!("{}", render_report(&r.report, format)?);
        html_runs.push((r.report, r.model));
    }
    if let Some(path) = &a.html {
        std::fs::write(path, tribench_analysis::render_html(&html_runs))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
