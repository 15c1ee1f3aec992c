//! `tribench import`: another harness's results as a tribench run (or, for Aider leaderboard
//! rows, their intervals).

use super::*;
use crate::args::{ImportArgs, ImportKind};
use tribench_store::import;

pub fn import(a: ImportArgs) -> Result<ExitCode> {
    let imported = match a.kind {
        ImportKind::AiderLeaderboard => {
            let l = tribench_analysis::leaderboard(&import::read_aider_leaderboard(&a.source)?);
            match a.json {
                true => println!("{}", serde_json::to_string_pretty(&l)?),
                false => print!("{}", tribench_analysis::render_leaderboard(&l)),
            }
            return Ok(ExitCode::SUCCESS);
        }
        ImportKind::Swebench => import::import_swebench(&a.source, &a.dataset),
        ImportKind::TerminalBench => import::import_terminal_bench(&a.source),
        ImportKind::Harbor => import::import_harbor(&a.source),
        ImportKind::Aider => import::import_aider(&a.source),
    }
    .with_context(|| format!("cannot import {}", a.source.display()))?;
    let Some(run_dir) = &a.run_dir else {
        bail!("--run-dir is required: the import becomes a new run directory");
    };
    imported.write(run_dir)?;
    for n in &imported.notes {
        eprintln!("note: {n}");
    }
    eprintln!(
        "imported {} trials into {}",
        imported.trials.len(),
        run_dir.display()
    );
    if a.json || a.report {
        print_report(run_dir, a.json)?;
        return Ok(ExitCode::SUCCESS);
    }
    let r = tribench_analysis::build_report(&read_run(run_dir)?);
    let model = (r.manifest.model.as_ref())
        .map(|m| format!("model {}, ", m.id))
        .unwrap_or_default();
    let (id, s) = (&r.manifest.run_id, &r.total.score);
    println!(
        "{model}run {id}: resolved {} of {} tasks, {:.1}% [95% CI {:.1}, {:.1}]",
        s.successes,
        r.total.tasks,
        s.rate * 100.0,
        s.low * 100.0,
        s.high * 100.0
    );
    println!(
        "the full report: tribench report {}",
        shell_word(&run_dir.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}
