//! The `tribench` binary: parses arguments, calls the library crates, prints.

mod args;
#[cfg(test)]
mod args_tests;
mod commands;
mod settings;
#[cfg(test)]
mod settings_tests;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never into a log file or a pipe.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(commands::dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            // The cause may quote a task, a model or a file name: printed, never obeyed.
            eprintln!(
                "error: {}",
                tribench_analysis::terminal_text(&format!("{e:#}"))
            );
            ExitCode::from(2)
        }
    }
}
