//! The argument tree itself: every flag explains itself, and each command shows only options
//! that apply to it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::args::Cli;
use clap::CommandFactory;

fn undocumented(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
    let here = format!("{path} {}", cmd.get_name()).trim().to_string();
    for arg in cmd.get_arguments() {
        let id = arg.get_id().as_str();
        if id == "help" || id == "version" {
            continue;
        }
        if arg.get_help().is_none() && arg.get_long_help().is_none() {
            out.push(format!("{here} {id}"));
        }
    }
    for sub in cmd.get_subcommands() {
        if sub.get_about().is_none() && sub.get_name() != "help" {
            out.push(format!("{here} {} (command)", sub.get_name()));
        }
        undocumented(sub, &here, out);
    }
}

#[test]
fn every_argument_and_command_has_help_text() {
    let cmd = Cli::command();
    cmd.clone().debug_assert();
    let mut missing = Vec::new();
    undocumented(&cmd, "", &mut missing);
    assert!(missing.is_empty(), "arguments without help: {missing:#?}");
}

#[test]
fn grade_help_shows_only_grading_options() {
    let mut cmd = Cli::command();
    let grade = cmd.find_subcommand_mut("grade").unwrap();
    let help = grade.render_long_help().to_string();
    for absent in ["--agent-timeout", "--js-tools", "--sandbox <"] {
        assert!(
            !help.contains(absent),
            "grade --help shows {absent}:\n{help}"
        );
    }
    for present in [
        "--predictions",
        "--grading-mode",
        "--test-timeout",
        "--jobs",
    ] {
        assert!(
            help.contains(present),
            "grade --help lacks {present}:\n{help}"
        );
    }
}
