//! Flags out of range are refused up front with a message naming the flag and its range: never
//! a panic, never a silent substitute, never a number computed from nothing.

use crate::common::*;
use std::process::Output;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `args` (with `env`) and asserts a clean refusal (exit 2, no panic) whose message says
/// `want`.
fn refused(args: &[&str], env: &[(&str, &str)], want: &str) {
    let mut c = tribench();
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(err.contains(want), "{args:?}: wanted {want:?} in {err}");
}

#[test]
fn statistics_flags_out_of_range_are_refused_not_panics() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["power", "--tasks", "89", "--power", "3"],
            "'--power <POWER>': 3 is not strictly between 0 and 1",
        ),
        (&["power", "--tasks", "89", "--power=-1"], "--power"),
        (&["power", "--tasks", "89", "--power", "1"], "--power"),
        (&["power", "--tasks", "89", "--power", "0"], "--power"),
        (&["power", "--tasks", "89", "--alpha", "3"], "--alpha"),
        (&["power", "--tasks", "89", "--alpha", "0"], "--alpha"),
        (&["power", "--tasks", "89", "--alpha", "1.5"], "--alpha"),
        (
            &["power", "--tasks", "89", "--correlation", "2"],
            "--correlation",
        ),
        (&["power", "--tasks", "89", "--icc", "2"], "--icc"),
        (&["power", "--tasks", "89", "--effect", "0"], "--effect"),
        (&["power", "--tasks", "89", "--effect", "inf"], "--effect"),
        (
            &["power", "--tasks", "89", "--base-rate", "0"],
            "--base-rate",
        ),
        (
            &["power", "--tasks", "89", "--base-rate", "1"],
            "--base-rate",
        ),
        (
            &["power", "--tasks", "89", "--alpha", "0.5", "--power", "0.1"],
            "--power must be strictly between alpha/2 and 1",
        ),
        (&["compare", "a", "b", "--force", "--alpha", "3"], "--alpha"),
        (&["compare", "a", "b", "--force", "--alpha=-1"], "--alpha"),
        (
            &["compare", "a", "b", "--force", "--alpha", "nan"],
            "--alpha",
        ),
        (&["matrix", "a", "b", "--draws", "0"], "within 1..100000"),
        (
            &["matrix", "a", "b", "--draws", "100000000"],
            "within 1..100000",
        ),
        (&["matrix", "a", "b", "--alpha", "3"], "--alpha"),
        (&["report", "r", "--cutoff", "yesterday"], "YYYY-MM-DD"),
        (&["report", "r", "--cutoff", "2025-13-45"], "no month 13"),
        (&["report", "r", "--cutoff", "99999-01-01"], "YYYY-MM-DD"),
        (
            &[
                "slurm",
                "render",
                "--shards",
                "100000000",
                "--run-root",
                "/tmp/x",
            ],
            "1..=10000",
        ),
        (
            &[
                "k8s",
                "render",
                "--shards",
                "0",
                "--run-root",
                "/tmp/x",
                "--image",
                "i",
                "--pvc",
                "p",
            ],
            "1..=10000",
        ),
    ];
    for (args, want) in cases {
        refused(args, &[], want);
    }
}

#[test]
fn run_flags_out_of_range_are_refused_before_anything_runs() {
    let suite = python_suite(&[("two", PASSES)]);
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("run");
    let s = suite.path().to_str().unwrap();
    let r = run_dir.to_str().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let toml = empty.join("tribench.toml");
    std::fs::write(&toml, "[run]\njobs = 0\n").unwrap();
    let t = toml.to_str().unwrap();
    let base = ["run", "-s", s, "--run-dir", r];
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (vec!["--attempts", "100000000"], vec![], "1..=1000"),
        (vec!["--tries", "0"], vec![], "tries of at least 1"),
        (vec!["--jobs", "0"], vec![], "jobs 0 would run no trial"),
        (
            vec![],
            vec![("TRIBENCH_JOBS", "0")],
            "jobs 0 would run no trial",
        ),
        (vec!["--config", t], vec![], "jobs 0 would run no trial"),
        (vec!["--test-timeout", "0"], vec![], "test_timeout 0"),
        (vec!["--setup-timeout", "0"], vec![], "setup_timeout 0"),
        (vec!["--agent-timeout", "0"], vec![], "agent_timeout 0"),
        (vec!["--max-cost=-1"], vec![], "--max-cost -1"),
        (vec!["--temperature", "nan"], vec![], "--temperature NaN"),
        (vec!["--temperature", "inf"], vec![], "--temperature inf"),
        (vec!["--top-p", "5"], vec![], "--top-p 5"),
        (vec!["--max-tokens", "0"], vec![], "--max-tokens 0"),
        (
            vec!["--prompts", "/nonexistent/prompts"],
            vec![],
            "no such folder",
        ),
    ];
    for (extra, env, want) in cases {
        let args = [base.as_slice(), extra.as_slice()].concat();
        refused(&args, &env, want);
        assert!(!run_dir.exists(), "{args:?} started a run");
    }
}

#[test]
fn a_models_file_with_a_negative_or_nan_price_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for price in ["-2.5", "nan"] {
        let models = tmp.path().join("models.toml");
        std::fs::write(
            &models,
            format!("[[model]]\nid = \"m\"\nprice_input_per_mtok = {price}\nprice_output_per_mtok = 1.0\n"),
        )
        .unwrap();
        let m = models.to_str().unwrap();
        refused(&["report", "r", "--models", m], &[], "is not a price");
    }
}

/// Finding 11: usage counts no endpoint could mean (negative, 1e30) leave tokens and cost
/// unknown, even with prices known; they are never recorded as 0 tokens at $0.
#[test]
fn garbage_token_counts_from_the_endpoint_are_unknown_not_zero() {
    use tribench_agents::llm::scripted::Reply;
    let body = serde_json::json!({
        "id": "x", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "submit", "arguments": "{}"}}]}}],
        "usage": {"prompt_tokens": -5, "completion_tokens": 1e30, "total_tokens": 0},
    });
    let model = scripted(vec![Reply::Raw {
        status: 200,
        body: body.to_string(),
    }]);
    let suite = python_suite(&[("one", PASSES)]);
    let work = tempfile::tempdir().unwrap();
    let models = work.path().join("models.toml");
    std::fs::write(
        &models,
        "[[model]]\nid = \"m\"\nprice_input_per_mtok = 1.0\nprice_output_per_mtok = 2.0\n",
    )
    .unwrap();
    let run_dir = work.path().join("run");
    let out = output_ok(
        llm_run_cmd(suite.path(), &run_dir, "m", &model.server.base_url)
            .args(["--tries", "1", "-q", "--models"])
            .arg(&models),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("tokens     unknown"), "{text}");
    assert!(text.contains("cost       unknown"), "{text}");
    assert!(!text.contains("$0.0000"), "{text}");
    let v = report_json(&run_dir);
    assert!(
        v["total"]["efficiency"]["cost_usd_per_trial"].is_null(),
        "{v}"
    );
    assert_eq!(v["total"]["efficiency"]["tokens_unknown_trials"], 1);
}

/// Finding 4: `matrix` of runs that share no task refuses, as `compare` does, instead of
/// printing a grid of scores from nothing.
#[test]
fn matrix_of_runs_sharing_no_task_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let mut runs = Vec::new();
    for name in ["alpha", "bravo"] {
        let suite = python_suite(&[(name, PASSES)]);
        let run_dir = work.path().join(name);
        output_ok(run_cmd(suite.path(), &run_dir).args(["-q", "--agent", "oracle"]));
        runs.push(run_dir);
    }
    let out = tribench().arg("matrix").args(&runs).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("the runs share no task"), "{err}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// compare's decision flags and validate's repeat count: refused before any run is read or
/// any task runs.
#[test]
fn decision_and_repeat_flags_out_of_range_are_refused() {
    let cases: &[(&[&str], &str)] = &[
        (&["compare", "a", "b", "--min-effect=-5"], "--min-effect"),
        (
            &["compare", "a", "b", "--min-effect", "NaN"],
            "--min-effect",
        ),
        (
            &["compare", "a", "b", "--rule-points", "0"],
            "--rule-points",
        ),
        (&["compare", "a", "b", "--rule-tasks=-2"], "--rule-tasks"),
        (
            &["compare", "a", "b", "--rule-tasks", "inf"],
            "--rule-tasks",
        ),
        (&["validate", "suites/none", "--repeat", "0"], "--repeat"),
    ];
    for (args, want) in cases {
        refused(args, &[], want);
    }
}

/// A path or name holding terminal control codes reaches stderr as escapes: an error message
/// quoting it cannot clear the screen or retitle the window.
#[test]
fn an_error_quoting_a_hostile_name_prints_it_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let evil = dir.path().join("evil\u{1b}[2J\u{1b}]0;owned\u{7}");
    std::fs::create_dir(&evil).unwrap();
    let out = tribench()
        .args(["validate", evil.to_str().unwrap()])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("evil\\u{1b}[2J"), "{err:?}");
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
}
