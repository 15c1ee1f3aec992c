//! Engine tests: real sandboxes, real pytest, real SQLite; only the agent is scripted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod any_family;
mod common;
mod compose;
mod escapes;
mod forge;
mod fuzz;
mod harbor;
mod llm;
mod model_errors;
mod polyglot_grading;
mod polyglot_references;
mod run_settings;
mod sandbox_tools;
mod swebench;
mod terminal;

use async_trait::async_trait;
use common::*;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tribench_agents::{Agent, AgentError, AgentSession, AgentTask, TurnOutcome};
use tribench_engine::EngineConfig;
use tribench_families::load_suite;
use tribench_sandbox::{ExecRequest, Isolation, Sandbox};
use tribench_store::RunStore;
use tribench_types::{Outcome, Timeouts, TrialRecord};

#[tokio::test]
async fn the_agent_cannot_read_tests_or_the_reference_and_has_no_network() {
    if !matches!(Isolation::detect(), Isolation::Bwrap(_)) {
        assert!(std::env::var_os("CI").is_none(), "CI must have bubblewrap");
        return;
    }
    let suite = tempfile::tempdir().unwrap();
    let ex = python_exercise(suite.path(), "secret", GOOD_TEST);
    let run = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (agent, seen) = probing(format!(
        "ls -a; cat secret_test.py; cat .meta/example.py; cat {test}; cat {example}; \
         python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3); print('NETWORK-REACHED')\"",
        test = ex.join("secret_test.py").display(),
        example = ex.join(".meta/example.py").display(),
    ));
    let mut cfg = config(&run.path().join("r"));
    cfg.max_tries = Some(1);
    let trials = run_with(suite.path(), agent, cfg).await;
    let seen = last_seen(&seen);
    assert!(
        seen.contains("secret.py"),
        "the solution file is visible: {seen}"
    );
    assert!(
        !seen.contains("assert answer() == 42"),
        "the agent read the tests: {seen}"
    );
    assert!(
        !seen.contains("return 42"),
        "the agent read the reference solution: {seen}"
    );
    assert!(
        !seen.contains("NETWORK-REACHED"),
        "the agent reached the network: {seen}"
    );
    assert!(
        !seen.lines().any(|l| l == ".meta" || l == ".docs"),
        "withheld folders listed: {seen}"
    );
    // ...and the tests did run at grading time.
    assert_eq!(trials[0].outcome, Outcome::Unresolved);
    assert_eq!(trials[0].tries[0].tests.len(), 1);
    drop(listener);
}

#[tokio::test]
async fn a_failed_first_try_gets_clean_feedback_and_a_second_try() {
    let suite = tempfile::tempdir().unwrap();
    python_exercise(suite.path(), "two-tries", GOOD_TEST);
    let run = tempfile::tempdir().unwrap();
    let feedback = Arc::new(Mutex::new(String::new()));
    let fb = feedback.clone();
    let agent = scripted(move |turn, message, sb| {
        let fb = fb.clone();
        Box::pin(async move {
            if turn == 1 {
                sb.write_file("two_tries.py", b"def answer():\n    return 41\n")
                    .await?;
            } else {
                *fb.lock().unwrap() = message;
                sb.write_file("two_tries.py", b"def answer():\n    return 42\n")
                    .await?;
            }
            Ok(TurnOutcome::default())
        })
    });
    let trials = run_with(suite.path(), agent, config(&run.path().join("r"))).await;
    let t = &trials[0];
    assert_eq!(t.outcome, Outcome::Resolved);
    assert_eq!(t.passed_on_try, Some(2));
    assert_eq!(t.tries.len(), 2);
    assert_eq!(t.tries[0].outcome, Outcome::Unresolved);
    let feedback = feedback.lock().unwrap().clone();
    assert!(feedback.contains("assert 41 == 42"), "{feedback}");
    assert!(
        !feedback.contains("/trial-"),
        "absolute sandbox paths leaked: {feedback}"
    );
    assert!(!regex_like_timing(&feedback), "timings leaked: {feedback}");
    assert!(feedback.lines().count() <= 52);
    // The diff and per-try outputs are stored.
    let run_dir = run.path().join("r");
    let diff =
        std::fs::read_to_string(run_dir.join(format!("trials/{}/diff.patch", t.trial_id))).unwrap();
    assert!(diff.contains("+    return 42"), "{diff}");
    assert!(run_dir
        .join(format!("trials/{}/test-output-2.txt", t.trial_id))
        .is_file());
}

fn regex_like_timing(s: &str) -> bool {
    s.split_whitespace().any(|w| {
        w.ends_with('s') && w.trim_end_matches('s').parse::<f64>().is_ok() && w.contains('.')
    })
}

#[tokio::test]
async fn hanging_tests_are_killed_and_recorded_as_test_timeout() {
    let suite = tempfile::tempdir().unwrap();
    python_exercise(
        suite.path(),
        "hangs",
        "import time\n\ndef test_answer():\n    time.sleep(600)\n",
    );
    let run = tempfile::tempdir().unwrap();
    let mut cfg = config(&run.path().join("r"));
    cfg.timeouts.test_sec = 2;
    let started = std::time::Instant::now();
    let trials = run_with(suite.path(), oracle(), cfg).await;
    assert_eq!(trials[0].outcome, Outcome::TestTimeout);
    assert!(trials[0].error.as_deref().unwrap_or("").contains("2s"));
    // Two tries of at most ~2 s each, not ten minutes.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[tokio::test]
async fn huge_and_invalid_utf8_test_output_is_capped_and_recorded() {
    let suite = tempfile::tempdir().unwrap();
    let body = "import sys\n\ndef test_answer():\n    sys.stdout.buffer.write(b'\\xff\\xfe' + b'y' * 50_000_000)\n    assert answer() == 42\n";
    python_exercise(suite.path(), "noisy", body);
    let run = tempfile::tempdir().unwrap();
    let mut cfg = config(&run.path().join("r"));
    cfg.max_tries = Some(1);
    let trials = run_with(suite.path(), oracle(), cfg).await;
    let t = &trials[0];
    assert_eq!(t.outcome, Outcome::Resolved, "{t:?}");
    let out = run
        .path()
        .join("r")
        .join(t.tries[0].output_artifact.as_ref().unwrap());
    let size = std::fs::metadata(out).unwrap().len();
    assert!(size < 4 * 1024 * 1024, "artifact is {size} bytes");
}

#[tokio::test]
async fn a_panicking_agent_is_a_harness_error_and_the_run_goes_on() {
    let suite = tempfile::tempdir().unwrap();
    python_exercise(suite.path(), "boom", GOOD_TEST);
    python_exercise(suite.path(), "fine", GOOD_TEST);
    let run = tempfile::tempdir().unwrap();
    let agent = scripted(|_, message, sb| {
        Box::pin(async move {
            if message.contains("boom.py") {
                panic!("scripted agent bug");
            }
            sb.write_file("fine.py", b"def answer():\n    return 42\n")
                .await?;
            Ok(TurnOutcome::default())
        })
    });
    let mut cfg = config(&run.path().join("r"));
    cfg.infra_retries = 0;
    let trials = run_with(suite.path(), agent, cfg).await;
    let get = |id: &str| trials.iter().find(|t| t.task_id == id).unwrap();
    assert_eq!(get("python/boom").outcome, Outcome::HarnessError);
    assert!(get("python/boom")
        .error
        .as_deref()
        .unwrap()
        .contains("panicked"));
    assert_eq!(get("python/fine").outcome, Outcome::Resolved);
}

#[tokio::test]
async fn rerunning_a_run_directory_runs_only_what_is_missing() {
    let suite = tempfile::tempdir().unwrap();
    python_exercise(suite.path(), "a", GOOD_TEST);
    python_exercise(suite.path(), "b", GOOD_TEST);
    let run = tempfile::tempdir().unwrap();
    let dir = run.path().join("r");
    let mut cfg = config(&dir);
    cfg.attempts = 2;
    let first = run_with(suite.path(), oracle(), cfg.clone()).await;
    assert_eq!(first.len(), 4);
    cfg.attempts = 3;
    let summary = run_suite(suite.path(), oracle(), cfg).await.unwrap();
    assert_eq!((summary.skipped, summary.ran), (4, 2));
    let after = trials_in(&dir);
    assert_eq!(after.len(), 6);
    for t in &first {
        let same = after.iter().find(|a| a.trial_id == t.trial_id).unwrap();
        assert_eq!(same.ended_at, t.ended_at, "trial {} ran twice", t.trial_id);
    }
    // A different agent on the same directory is refused.
    let err = run_suite(
        suite.path(),
        Arc::from(tribench_agents::by_name("nop").unwrap()),
        config(&dir),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("different run"), "{err}");
}

#[tokio::test]
async fn the_same_task_in_two_suites_is_refused_before_anything_runs() {
    let suite = tempfile::tempdir().unwrap();
    python_exercise(suite.path(), "twice", GOOD_TEST);
    let run = tempfile::tempdir().unwrap();
    let dir = run.path().join("r");
    let s = load_suite(suite.path()).unwrap();
    let err = tribench_engine::run(
        vec![s.clone(), s],
        oracle(),
        config(&dir),
        std::future::pending(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("python/twice"), "{err}");
    assert!(!dir.join("trials.sqlite").exists());
}
