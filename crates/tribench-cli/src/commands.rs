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
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tribench_analysis::{ReportFormat, RunData};
use tribench_engine::{invocation, EngineError};
use tribench_families::Suite;

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

/// Prints each note on stderr as `note: ...`.
fn notes(notes: &[String]) {
    notes
        .iter()
        .for_each(|n| eprintln!("note: {}", tribench_analysis::terminal_text(n)));
}

/// Prints each line on stderr.
fn notes_plain(lines: &[String]) {
    lines
        .iter()
        .for_each(|l| eprintln!("{}", tribench_analysis::terminal_text(l)));
}

/// The suites of `paths` (see [`invocation::load_suites`]), the notes of those skipped printed.
fn load_suites(paths: &[PathBuf], skip_unsupported: bool) -> Result<Vec<Suite>> {
    let (suites, skipped) = invocation::load_suites(paths, skip_unsupported)?;
    notes(&skipped);
    Ok(suites)
}

/// Prints `value` as JSON with `--json`, else as `render` writes it.
fn emit<T: serde::Serialize>(
    json: bool,
    value: &T,
    render: impl FnOnce(&T) -> String,
) -> Result<()> {
    match json {
        true => println!("{}", serde_json::to_string_pretty(value)?),
        false => print!("{}", render(value)),
    }
    Ok(())
}

fn read_run(dir: &Path) -> Result<RunData> {
    RunData::load(dir).with_context(|| format!("cannot read run {}", dir.display()))
}

/// The report of a run, as a table or JSON.
fn print_report(run_dir: &Path, json: bool) -> Result<()> {
    let format = ReportFormat::from_flags(json, false, false);
    let report = tribench_analysis::build_report(&read_run(run_dir)?);
    print!("{}", tribench_analysis::render_report(&report, format)?);
    Ok(())
}

/// The report of the run, then exit 4 when every trial of it ended in an infrastructure error
/// (`then` says what to do about it).
fn finish(run_dir: &Path, json: bool, then: &str) -> Result<ExitCode> {
    print_report(run_dir, json)?;
    let why = tribench_analysis::all_infrastructure(run_dir, then)
        .with_context(|| format!("cannot read run {}", run_dir.display()))?;
    Ok(why.map_or(ExitCode::SUCCESS, |why| {
        eprintln!("error: {why}");
        ExitCode::from(ALL_INFRASTRUCTURE)
    }))
}
