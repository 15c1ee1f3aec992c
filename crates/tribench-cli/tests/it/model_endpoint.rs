//! A model endpoint that cannot be used, as a user meets it from the command line: a closed port
//! and a server answering 401 are `model_error` with their cause in the report, the run stops
//! early with a message saying what to do, and rerunning with a good endpoint and
//! `--retry-errors` finishes the run.

use super::*;
use tribench_agents::llm::scripted::Reply;

fn suite_of(n: usize) -> tempfile::TempDir {
    let names: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
    python_suite(
        &names
            .iter()
            .map(|n| (n.as_str(), PASSES))
            .collect::<Vec<_>>(),
    )
}

fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}/v1")
}

/// `n` exercises and a run directory for them.
struct Trials {
    suite: tempfile::TempDir,
    _work: tempfile::TempDir,
    run_dir: PathBuf,
}

fn trials(n: usize) -> Trials {
    let work = tempfile::tempdir().unwrap();
    Trials {
        suite: suite_of(n),
        run_dir: work.path().join("run"),
        _work: work,
    }
}

impl Trials {
    /// The llm agent over the exercises, one try each, asking the model at `base_url`.
    fn llm_run(&self, base_url: &str, extra: &[&str]) -> std::process::Output {
        llm_run_cmd(self.suite.path(), &self.run_dir, "scripted-model", base_url)
            .args(["--tries", "1"])
            .args(extra)
            .output()
            .unwrap()
    }
}

/// A model that solves any exercise of `suite_of` in two calls, `trials` times over (one trial
/// at a time).
fn good_model(trials: usize) -> Scripted {
    let mut script = Vec::new();
    for _ in 0..trials {
        script.push(Reply::tool(
            "bash",
            serde_json::json!({"command": "for f in m*.py; do printf 'def answer():\\n    return 42\\n' > $f; done"}),
        ));
        script.push(Reply::tool("submit", serde_json::json!({})));
    }
    scripted(script)
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn outcomes(run_dir: &Path) -> Vec<String> {
    trial_outcomes(run_dir)
        .into_iter()
        .map(|(_, o)| o)
        .collect()
}

#[test]
fn a_closed_port_stops_the_run_early_and_a_rerun_with_retry_errors_finishes_it() {
    let t = trials(3);
    let out = t.llm_run(
        &closed_port_url(),
        &[
            "-j",
            "2",
            "--infra-retries",
            "0",
            "--max-consecutive-model-errors",
            "2",
        ],
    );
    // The report wraps long lines: compare with runs of blanks as one space.
    let stdout = flat(&String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}\n{stdout}");
    assert!(
        stderr.contains("2 trials in a row could not use the model endpoint")
            && stderr.contains("--retry-errors"),
        "{stderr}"
    );
    // The report of what finished: model_error as infrastructure, with its cause.
    assert!(stdout.contains("model_error 2 (infra)"), "{stdout}");
    assert!(
        stdout.contains("model_error (2): the model endpoint failed 5 times")
            && stdout.to_lowercase().contains("connection refused"),
        "{stdout}"
    );
    assert_eq!(
        outcomes(&t.run_dir),
        ["model_error", "model_error"],
        "{stdout}"
    );

    // The endpoint is back (elsewhere): the same command with --retry-errors finishes the run.
    let model = good_model(3);
    let out = t.llm_run(
        &model.server.base_url,
        &["-j", "1", "--retry-errors", "--json"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v = stdout_json(&out);
    assert_eq!(v["total"]["score"]["successes"], 3, "{v}");
    assert_eq!(outcomes(&t.run_dir), ["resolved", "resolved", "resolved"]);
    drop(model);
}

#[test]
fn a_server_answering_401_stops_the_run_at_the_first_trial_with_its_message() {
    let t = trials(3);
    let bad = scripted(vec![Reply::Status {
        status: 401,
        retry_after: None,
        body: r#"{"error": {"message": "Incorrect API key provided: sk-te***"}}"#.into(),
    }]);
    let out = t.llm_run(&bad.server.base_url, &["-j", "1"]);
    let stdout = flat(&String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}\n{stdout}");
    assert!(
        stderr.contains("401") && stderr.contains("Incorrect API key provided"),
        "{stderr}"
    );
    assert_eq!(bad.server.received().len(), 1, "a refusal was retried");
    assert!(stdout.contains("model_error 1 (infra)"), "{stdout}");
    assert!(stdout.contains("Incorrect API key provided"), "{stdout}");
    assert_eq!(outcomes(&t.run_dir), ["model_error"]);
    drop(bad);

    let good = good_model(3);
    let out = t.llm_run(
        &good.server.base_url,
        &["-j", "1", "--retry-errors", "--json"],
    );
    succeeded(&out);
    assert_eq!(outcomes(&t.run_dir), ["resolved", "resolved", "resolved"]);
}

#[test]
fn a_run_where_every_trial_is_a_model_error_exits_non_zero_and_says_so() {
    let t = trials(1);
    let out = t.llm_run(&closed_port_url(), &["--infra-retries", "0", "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("every trial (1) ended in an infrastructure error (model_error 1)"),
        "{stderr}"
    );
    let v = stdout_json(&out);
    assert_eq!(v["outcomes"][0]["outcome"], "model_error");
    assert!(v["outcomes"][0]["causes"][0]["error"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("connection refused"));
}

#[test]
fn zero_attempts_is_refused() {
    let suite = suite_of(1);
    let out = tribench()
        .args(["run", "-k", "0", "-s"])
        .arg(suite.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--attempts") && stderr.contains('0'),
        "{stderr}"
    );
}

/// The warning that an infrastructure error is retried reaches a pipe (a CI log) as plain text:
/// no colour codes, and the error as its text, not a debug `Some("…")`.
#[test]
fn log_lines_written_to_a_pipe_are_plain_text() {
    let t = trials(1);
    let out = t.llm_run(&closed_port_url(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("retrying after an infrastructure error"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(!stderr.contains("Some(\""), "{stderr}");
}
