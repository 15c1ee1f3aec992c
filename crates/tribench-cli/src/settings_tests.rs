//! The resolver: a flag beats tribench.toml, which beats the environment, which beats the
//! default its owner keeps; bad input names where it came from.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::args::{Cli, Command, ExecArgs};
use clap::Parser;
use std::collections::HashMap;
use std::path::Path;
use tribench_engine::EngineConfig;
use tribench_settings::{engine_config, file_config, GradingModeArg, NetworkChoice, RunLayer};

fn exec_of(args: &[&str]) -> ExecArgs {
    let mut argv = vec!["tribench", "run"];
    argv.extend_from_slice(args);
    match Cli::parse_from(argv).command {
        Some(Command::Run(r)) => r.exec,
        _ => panic!("not a run"),
    }
}

fn env_of(pairs: &[(&str, &str)]) -> RunLayer {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    RunLayer::from_env(&|k| map.get(k).cloned()).unwrap()
}

fn toml_layer(dir: &Path, text: &str) -> RunLayer {
    let p = dir.join("tribench.toml");
    std::fs::write(&p, text).unwrap();
    file_config(Some(&p)).unwrap().run
}

#[test]
fn flag_beats_toml_beats_env_beats_default() {
    let dir = tempfile::tempdir().unwrap();
    let defaults = EngineConfig::new("r");
    let env = env_of(&[
        ("TRIBENCH_AGENT_TIMEOUT", "11"),
        ("TRIBENCH_TEST_TIMEOUT", "12"),
        ("TRIBENCH_SETUP_TIMEOUT", "13"),
        ("TRIBENCH_SEED", "5"),
    ]);
    let file = toml_layer(
        dir.path(),
        "[run]\nagent_timeout = 21\ntest_timeout = 22\nseed = 6\nsandbox_dir = \"boxes\"\n",
    );
    let flags = exec_of(&["--agent-timeout", "31"]).run;
    let cfg = engine_config(flags.over(file).over(env), Path::new("r")).unwrap();
    assert_eq!(cfg.timeouts.agent_sec, 31, "the flag");
    assert_eq!(cfg.timeouts.test_sec, 22, "tribench.toml");
    assert_eq!(cfg.timeouts.setup_sec, 13, "the environment");
    assert_eq!(cfg.seed, Some(6));
    // Paths in tribench.toml are relative to it.
    assert_eq!(cfg.sandbox_base, Some(dir.path().join("boxes")));
    // Nothing given anywhere: the engine's own defaults, written once there.
    let none = engine_config(RunLayer::default(), Path::new("r")).unwrap();
    assert_eq!(none.timeouts, defaults.timeouts);
    assert_eq!(
        (none.seed, none.output_cap, none.infra_retries, none.jobs),
        (
            defaults.seed,
            defaults.output_cap,
            defaults.infra_retries,
            defaults.jobs
        )
    );
    assert!(!none.network && none.allow_network);
}

#[test]
fn every_run_setting_reaches_the_engine_config() {
    let exec = exec_of(&[
        "-j",
        "3",
        "--agent-timeout",
        "7",
        "--test-timeout",
        "8",
        "--setup-timeout",
        "9",
        "--infra-retries",
        "0",
        "--sandbox-dir",
        "/tmp/x",
        "--grading-mode",
        "strict",
        "--network",
        "off",
        "--seed",
        "42",
        "--output-cap",
        "4096",
        "--no-isolation",
        "--pull",
        "--force-build",
    ]);
    let cfg = engine_config(exec.run, Path::new("r")).unwrap();
    assert_eq!(cfg.jobs, 3);
    assert_eq!(
        (
            cfg.timeouts.agent_sec,
            cfg.timeouts.test_sec,
            cfg.timeouts.setup_sec
        ),
        (7, 8, 9)
    );
    assert_eq!(cfg.infra_retries, 0);
    assert_eq!(cfg.sandbox_base.as_deref(), Some(Path::new("/tmp/x")));
    assert_eq!(cfg.grading_mode.as_str(), "strict");
    assert!(!cfg.network && !cfg.allow_network);
    assert_eq!((cfg.seed, cfg.output_cap), (Some(42), 4096));
    assert!(cfg.no_isolation && cfg.pull_images && cfg.force_build);
    let on = engine_config(exec_of(&["--network", "on"]).run, Path::new("r")).unwrap();
    assert!(on.network && on.allow_network);
}

#[test]
fn the_environment_and_toml_give_enums_and_switches_too() {
    let env = env_of(&[
        ("TRIBENCH_GRADING_MODE", "strict"),
        ("TRIBENCH_NETWORK", "on"),
        ("TRIBENCH_PULL", "true"),
        ("TRIBENCH_JOBS", ""),
    ]);
    assert_eq!(env.grading_mode, Some(GradingModeArg::Strict));
    assert_eq!(env.network, Some(NetworkChoice::On));
    assert_eq!((env.pull, env.jobs), (Some(true), None));
    let dir = tempfile::tempdir().unwrap();
    let file = toml_layer(
        dir.path(),
        "[run]\nnetwork = \"off\"\nno_isolation = true\n",
    );
    let l = file.over(env);
    assert_eq!(
        l.network,
        Some(NetworkChoice::Off),
        "the file beats the environment"
    );
    assert_eq!(l.no_isolation, Some(true));
    assert_eq!(l.grading_mode, Some(GradingModeArg::Strict));
}

#[test]
fn bad_values_are_errors_naming_their_source() {
    let err = RunLayer::from_env(&|k| (k == "TRIBENCH_JOBS").then(|| "many".to_string()))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("TRIBENCH_JOBS=\"many\": "), "{err}");
    let err = RunLayer::from_env(&|k| (k == "TRIBENCH_NETWORK").then(|| "maybe".to_string()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("TRIBENCH_NETWORK") && err.contains("maybe"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("tribench.toml");
    for bad in [
        "[run]\nagent_timeout = \"soon\"\n",
        "[run]\nagent_timout = 5\n",
        "[run\n",
    ] {
        std::fs::write(&p, bad).unwrap();
        let err = file_config(Some(&p)).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}: ", p.display())),
            "the error names the file: {err}"
        );
    }
    let err = engine_config(exec_of(&["--output-cap", "0"]).run, Path::new("r"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("output_cap 0"), "{err}");
}

#[test]
fn help_texts_state_the_defaults_their_owners_keep() {
    use clap::CommandFactory;
    let d = EngineConfig::new("r");
    let l = tribench_agents::llm::Limits::default();
    let mut cmd = Cli::command();
    let help = cmd
        .find_subcommand_mut("run")
        .unwrap()
        .render_long_help()
        .to_string();
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for stated in [
        format!("(default: {})", d.timeouts.agent_sec),
        format!("default: {})", d.timeouts.test_sec),
        format!("(default: {})", d.timeouts.setup_sec),
        format!("(default: {})", d.infra_retries),
        format!("(default: {})", d.max_consecutive_model_errors),
        format!("(default: {})", l.max_steps),
        format!("(default: {})", l.max_cost_usd),
        format!("(default: {})", d.attempts),
        format!(
            "(default: {})",
            tribench_agents::llm::ModelConfig::new("u", "m").concurrency
        ),
        format!("cap, {} MiB)", d.output_cap >> 20),
    ] {
        assert!(flat.contains(&stated), "run --help lacks {stated}:\n{help}");
    }
}
