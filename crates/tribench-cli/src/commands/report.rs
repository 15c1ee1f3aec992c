//! `tribench report`: each run's report (priced and split by freshness when the models file
//! knows its model), and optionally one HTML file of them all.

use super::*;
use crate::args::ReportArgs;
use tribench_analysis::ModelsFile;

pub fn report(a: ReportArgs) -> Result<ExitCode> {
    let format = match (a.json, a.markdown, a.wide) {
        (true, _, _) => Format::Json,
        (_, true, _) => Format::Markdown,
        (_, _, true) => Format::WideTable,
        _ => Format::Table,
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
        let mut run = read_run(dir)?;
        let entry = models.for_run(&run).cloned();
        if let Some(m) = &entry {
            let priced = tribench_analysis::price_trials(&mut run, m);
            if priced > 0 {
                let (dir, id) = (dir.display(), &m.id);
                eprintln!(
                    "note: priced {priced} trials of {dir} at {id}'s prices from the models file"
                );
            }
        }
        let mut r = tribench_analysis::build_report(&run);
        let cutoff =
            (a.cutoff.clone()).or_else(|| entry.as_ref().and_then(|m| m.training_cutoff.clone()));
        if let Some(c) = cutoff {
            r.freshness = Some(tribench_analysis::freshness(&run.trials, &c, &dates));
        }
        if i > 0 && !a.json {
            println!();
        }
        print(&r, format)?;
        html_runs.push((r, entry));
    }
    if let Some(path) = &a.html {
        std::fs::write(path, tribench_analysis::render_html(&html_runs))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
