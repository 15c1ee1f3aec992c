//! `tribench import`: another harness's results as a tribench run (or, for Aider leaderboard
//! rows, their intervals).

use super::*;
use crate::args::{ImportArgs, ImportKind};
use tribench_store::import;

pub fn import(a: ImportArgs) -> Result<ExitCode> {
    let imported = match a.kind {
        ImportKind::AiderLeaderboard => {
            let l = tribench_analysis::leaderboard(&import::read_aider_leaderboard(&a.source)?);
            emit(a.json, &l, tribench_analysis::render_leaderboard)?;
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
    notes(&imported.notes);
    eprintln!(
        "imported {} trials into {}",
        imported.trials.len(),
        run_dir.display()
    );
    if a.json || a.report {
        print_report(run_dir, a.json)?;
        return Ok(ExitCode::SUCCESS);
    }
    let report = tribench_analysis::build_report(&read_run(run_dir)?);
    println!("{}", tribench_analysis::summary_line(&report));
    println!(
        "the full report: tribench report {}",
        tribench_sandbox::shell_quote(&run_dir.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}
