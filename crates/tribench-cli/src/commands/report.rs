//! `tribench report`: each run's report (priced and split by freshness when the models file
//! knows its model), and optionally one HTML file of them all.

use super::*;
use crate::args::ReportArgs;
use tribench_analysis::{render_report, report_with_models, ModelsFile};

pub fn report(a: ReportArgs) -> Result<ExitCode> {
    let format = match (a.json, a.markdown, a.wide) {
        (true, _, _) => ReportFormat::Json,
        (_, true, _) => ReportFormat::Markdown,
        (_, _, true) => ReportFormat::WideTable,
        _ => ReportFormat::Table,
    };
    let models = match crate::settings::models_path(a.models.as_deref()) {
        Some(p) => ModelsFile::load(&p)?,
        None => ModelsFile::default(),
    };
    let dates = match &a.task_dates {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            tribench_analysis::task_dates_from(&text)
                .with_context(|| format!("{}: not JSON or JSONL", p.display()))?
        }
        None => Default::default(),
    };
    let mut html_runs = Vec::new();
    for (i, dir) in a.runs.iter().enumerate() {
        let r = report_with_models(read_run(dir)?, &models, a.cutoff.as_deref(), &dates);
        if let (Some(m), true) = (&r.model, r.priced > 0) {
            let (n, dir, id) = (r.priced, dir.display(), &m.id);
            eprintln!("note: priced {n} trials of {dir} at {id}'s prices from the models file");
        }
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
