//! What each subcommand does: resolve its settings, make one library call, print. The
//! behaviour lives in the library crates; this module keeps what several commands share.

mod compare;
mod datasets;
mod grade;
mod import;
mod matrix;
mod power;
mod replay;
mod report;
mod run;
mod scale;
mod trajectory;
mod trials;
mod validate;
mod view;

use crate::args::{Cli, Command};
use anyhow::{bail, Context, Result};
use clap::Parser;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tribench_analysis::{ReportFormat, RunData};
use tribench_engine::ProgressMode;
use tribench_families::{load_suite, FamilyError, Suite};

/// Exit code of a run stopped by Ctrl-C or SIGTERM (128 + SIGINT).
const INTERRUPTED: u8 = 130;
/// Exit code of a run stopped because the model endpoint refused or stayed unreachable.
const MODEL_STOPPED: u8 = 3;
/// Exit code of a run whose every trial ended in an infrastructure error.
const ALL_INFRASTRUCTURE: u8 = 4;

pub async fn dispatch(cli: Cli) -> Result<ExitCode> {
    // No subcommand: `tribench run` with its defaults (bundled suites, oracle).
    let command = match cli.command {
        Some(c) => c,
        None => match Cli::parse_from(["tribench", "run"]).command {
            Some(c) => c,
            None => bail!("internal: `tribench run` did not parse as the run command"),
        },
    };
    match command {
        Command::Run(a) => run::run(*a).await,
        Command::Validate(a) => validate::validate(a).await,
        Command::Report(a) => report::report(a),
        Command::Compare(a) => compare::compare(a),
        Command::Power(a) => power::power(a),
        Command::Import(a) => import::import(a),
        Command::Matrix(a) => matrix::matrix(a),
        Command::Trajectory(a) => trajectory::trajectory(a),
        Command::Trials(a) => trials::trials(a),
        Command::Replay(a) => replay::replay(a).await,
        Command::Grade(a) => grade::grade(datasets::grade_suite(*a).await?).await,
        Command::Datasets(a) => datasets::datasets(a).await,
        Command::View(a) => view::view(a).await,
        Command::Merge(a) => scale::merge(a),
        Command::Slurm(crate::args::SlurmCommand::Render(a)) => scale::slurm_render(*a),
        Command::K8s(crate::args::K8sCommand::Render(a)) => scale::k8s_render(*a),
    }
}

/// Resolves when the user asks the run to stop (Ctrl-C or SIGTERM).
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
    eprintln!("\nstopping: killing running trials; finished trials are kept (rerun to resume)");
}

fn load_suites(paths: &[PathBuf], skip_unsupported: bool) -> Result<Vec<Suite>> {
    let mut suites = Vec::new();
    for p in paths {
        match load_suite(p) {
            Ok(s) => suites.push(s),
            Err(FamilyError::Unsupported { path, what }) if skip_unsupported => {
                let path = path.display();
                eprintln!("note: skipping {path} ({what} suites are not supported yet)");
            }
            Err(e) => return Err(e).with_context(|| format!("cannot load suite {}", p.display())),
        }
    }
    if suites.is_empty() {
        bail!("no suite to run: pass --suite PATH (no bundled suites/ folder was found)");
    }
    Ok(suites)
}

/// Progress on stderr: a bar on a terminal, plain lines elsewhere, nothing with --quiet.
fn progress_mode(quiet: bool) -> ProgressMode {
    if quiet {
        ProgressMode::Off
    } else if std::io::stderr().is_terminal() {
        ProgressMode::Bar
    } else {
        ProgressMode::Lines
    }
}

/// Quotes an argument for a POSIX shell when it needs it.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:+@%,".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn read_run(dir: &Path) -> Result<RunData> {
    RunData::load(dir).with_context(|| format!("cannot read run {}", dir.display()))
}

/// The report of a run, as a table or JSON.
fn print_report(run_dir: &Path, json: bool) -> Result<()> {
    let format = if json {
        ReportFormat::Json
    } else {
        ReportFormat::Table
    };
    let report = tribench_analysis::build_report(&read_run(run_dir)?);
    print!("{}", tribench_analysis::render_report(&report, format)?);
    Ok(())
}

/// Fails the command (exit 4) when every trial of the run ended in an infrastructure error.
fn check_infrastructure(run_dir: &Path, then: &str) -> Result<ExitCode> {
    let why = tribench_analysis::all_infrastructure(run_dir, then)
        .with_context(|| format!("cannot read run {}", run_dir.display()))?;
    Ok(match why {
        Some(why) => {
            eprintln!("error: {why}");
            ExitCode::from(ALL_INFRASTRUCTURE)
        }
        None => ExitCode::SUCCESS,
    })
}

/// Writes SWE-bench's own files beside the run (per-instance reports and the run report named
/// `<model>.<run_id>.json`, the run's id when none is given) and returns the run report's path.
fn export_swebench(
    run_dir: &Path,
    ids: (&[String], &[String]),
    model: &str,
    run_id: Option<&str>,
) -> Result<PathBuf> {
    use tribench_store::swebench_export::{write_swebench_outputs, RunReportInput};
    let store = tribench_store::RunStore::open_for_reading(run_dir)?;
    let recorded = store
        .read_manifest()?
        .map_or_else(|| "run".into(), |m| m.run_id);
    let (dataset_ids, submitted_ids, run_id) = (ids.0, ids.1, run_id.unwrap_or(&recorded));
    Ok(write_swebench_outputs(
        &store,
        &RunReportInput {
            dataset_ids,
            submitted_ids,
            model,
            run_id,
        },
    )?)
}
