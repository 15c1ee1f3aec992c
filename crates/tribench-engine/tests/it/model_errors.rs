//! A model endpoint that cannot be used is `model_error`, an infrastructure failure with its
//! cause: never a score of 0 for the agent. Real local HTTP servers (and a closed port) stand in
//! for the endpoint; sandboxes and grading are real.

use super::*;
use serde_json::json;
use tribench_agents::llm::scripted::{Reply, ScriptedServer};
use tribench_agents::llm::Mode;
use tribench_engine::EngineError;

fn agent_at(base_url: &str, retries: u32) -> Arc<dyn Agent> {
    let mut cfg = model_at(base_url, 10);
    cfg.max_retries = retries;
    llm_agent(cfg, Mode::Tools)
}

/// A port nothing listens on.
fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}/v1")
}

fn suite_of(n: usize) -> tempfile::TempDir {
    let names: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
    python_suite(
        &names
            .iter()
            .map(|n| (n.as_str(), GOOD_TEST))
            .collect::<Vec<_>>(),
    )
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_model_error_and_the_run_stops_after_n_in_a_row() {
    let suite = suite_of(4);
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("r");
    let mut cfg = config(&dir);
    cfg.jobs = 1;
    cfg.max_tries = Some(1);
    cfg.max_consecutive_model_errors = 2;
    let err = run_suite(suite.path(), agent_at(&closed_port_url(), 1), cfg.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(err, EngineError::ModelUnreachable { count: 2, .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains("--retry-errors"), "{msg}");
    assert!(msg.to_lowercase().contains("refused"), "{msg}");
    // What finished is kept; the rest never ran.
    let recorded = trials_in(&dir);
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    for t in &recorded {
        assert_eq!(t.outcome, Outcome::ModelError, "{t:?}");
        assert!(t.outcome.is_infrastructure());
        let e = t.error.as_deref().unwrap();
        assert!(e.to_lowercase().contains("connection refused"), "{e}");
        // Retried: by the client, and the trial once more by the engine.
        assert!(e.contains("failed 2 times"), "{e}");
        assert_eq!(t.infra_retries, 1);
        // The cause is in the trajectory too.
        let traj: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("trials/{}/trajectory.json", t.trial_id)))
                .unwrap(),
        )
        .unwrap();
        let step_error = traj["steps"][0]["error"].as_str().unwrap_or("");
        assert!(
            step_error.to_lowercase().contains("connection refused"),
            "{traj}"
        );
        // ...and the trial says what it ran against.
        let m = t.model.as_ref().unwrap();
        assert_eq!(m.id, "scripted-model");
        assert!(m.endpoint.starts_with("http://127.0.0.1:"));
    }

    // The endpoint is back: the same run with --retry-errors finishes, reruning the failures.
    let mut script = Vec::new();
    for _ in 0..4 {
        script.push(Reply::tool(
            "bash",
            json!({"command": "for f in m*.py; do printf 'def answer():\\n    return 42\\n' > $f; done"}),
        ));
        script.push(Reply::tool("submit", json!({})));
    }
    let server = ScriptedServer::start(script).await.unwrap();
    cfg.retry_errors = true;
    let summary = run_suite(suite.path(), agent_at(&server.base_url, 1), cfg)
        .await
        .unwrap();
    assert_eq!((summary.skipped, summary.ran), (0, 4));
    let after = trials_in(&dir);
    assert_eq!(after.len(), 4);
    assert!(
        after.iter().all(|t| t.outcome == Outcome::Resolved),
        "{after:?}"
    );
    assert!(after
        .iter()
        .all(|t| t.model.as_ref().unwrap().endpoint == server.base_url));
}

#[tokio::test]
async fn a_refused_key_stops_the_run_at_the_first_trial_with_the_servers_message() {
    let suite = suite_of(3);
    let server = ScriptedServer::start(vec![Reply::Status {
        status: 401,
        retry_after: None,
        body: r#"{"error": {"message": "Incorrect API key provided"}}"#.into(),
    }])
    .await
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("r");
    let mut cfg = config(&dir);
    cfg.jobs = 1;
    cfg.max_tries = Some(1);
    let err = run_suite(suite.path(), agent_at(&server.base_url, 3), cfg)
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::ModelRefused { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("401") && msg.contains("Incorrect API key provided"),
        "{msg}"
    );
    // One request: neither the client nor the engine retried a refusal, and no other trial ran.
    assert_eq!(server.received().len(), 1);
    let recorded = trials_in(&dir);
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].outcome, Outcome::ModelError);
    assert_eq!(recorded[0].infra_retries, 0);
}

#[tokio::test]
async fn an_unknown_model_404_stops_the_run_too() {
    let suite = suite_of(2);
    let server = ScriptedServer::start(vec![Reply::Status {
        status: 404,
        retry_after: None,
        body: "The model `scripted-model` does not exist.".into(),
    }])
    .await
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut cfg = config(&work.path().join("r"));
    cfg.jobs = 1;
    let err = run_suite(suite.path(), agent_at(&server.base_url, 3), cfg)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_reply_cut_off_mid_body_or_not_json_is_retried_like_a_dropped_connection() {
    let suite = suite_of(1);
    let mut script = vec![
        Reply::CutOff,
        Reply::Raw {
            status: 200,
            body: "<html><body>502 Bad Gateway</body></html>".into(),
        },
    ];
    script.extend(solves("m0.py"));
    let server = ScriptedServer::start(script).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("r");
    let mut cfg = config(&dir);
    cfg.max_tries = Some(1);
    cfg.infra_retries = 0;
    let trials = run_with(suite.path(), agent_at(&server.base_url, 2), cfg).await;
    let t = &trials[0];
    assert_eq!(t.outcome, Outcome::Resolved, "{t:?}");
    let traj: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("trials/{}/trajectory.json", t.trial_id)))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(traj["steps"][0]["attempts"], 3, "{traj}");
}

#[tokio::test]
async fn replies_that_stay_broken_are_a_model_error_naming_the_cause() {
    let suite = suite_of(1);
    let server = ScriptedServer::start(vec![Reply::CutOff, Reply::CutOff])
        .await
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut cfg = config(&work.path().join("r"));
    cfg.max_tries = Some(1);
    cfg.infra_retries = 0;
    let trials = run_with(suite.path(), agent_at(&server.base_url, 1), cfg).await;
    let t = &trials[0];
    assert_eq!(t.outcome, Outcome::ModelError, "{t:?}");
    let e = t.error.as_deref().unwrap();
    assert!(e.contains("cut off"), "{e}");
}

#[tokio::test]
async fn an_endpoint_that_never_answers_is_a_model_error_not_the_agents_timeout() {
    // The request timeout is longer than the agent's time: the agent's deadline comes first,
    // but the agent never had a reply to work with.
    let suite = suite_of(2);
    let server = ScriptedServer::start(vec![Reply::Silent, Reply::Silent, Reply::Silent])
        .await
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("r");
    let mut cfg = config(&dir);
    cfg.jobs = 1;
    cfg.max_tries = Some(1);
    cfg.infra_retries = 0;
    cfg.timeouts.agent_sec = 2;
    cfg.max_consecutive_model_errors = 2;
    let agent = llm_agent(model_at(&server.base_url, 600), Mode::Tools);
    let err = run_suite(suite.path(), agent, cfg).await.unwrap_err();
    // It counts toward --max-consecutive-model-errors.
    assert!(
        matches!(err, EngineError::ModelUnreachable { count: 2, .. }),
        "{err}"
    );
    let recorded = trials_in(&dir);
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    for t in &recorded {
        assert_eq!(t.outcome, Outcome::ModelError, "{t:?}");
        let e = t.error.as_deref().unwrap();
        assert!(e.contains("sent no reply") && e.contains("600 s"), "{e}");
    }
}

#[tokio::test]
async fn a_silent_endpoint_past_the_request_timeout_is_retried_then_a_model_error() {
    let suite = suite_of(1);
    let mut script = vec![Reply::Silent];
    script.extend(solves("m0.py"));
    let server = ScriptedServer::start(script).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("r");
    let mut cfg = config(&dir);
    cfg.max_tries = Some(1);
    cfg.infra_retries = 0;
    let trials = run_with(suite.path(), agent_at_timeout(&server.base_url, 1, 1), cfg).await;
    // The silent request timed out after 1 s and the retry was answered.
    assert_eq!(trials[0].outcome, Outcome::Resolved, "{:?}", trials[0]);
    let server = ScriptedServer::start(vec![Reply::Silent, Reply::Silent])
        .await
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut cfg = config(&work.path().join("r"));
    cfg.max_tries = Some(1);
    cfg.infra_retries = 0;
    let trials = run_with(suite.path(), agent_at_timeout(&server.base_url, 1, 1), cfg).await;
    let t = &trials[0];
    assert_eq!(t.outcome, Outcome::ModelError, "{t:?}");
    assert!(t.error.as_deref().unwrap().contains("timed out"), "{t:?}");
}

fn agent_at_timeout(base_url: &str, retries: u32, timeout_sec: u64) -> Arc<dyn Agent> {
    let mut cfg = model_at(base_url, timeout_sec);
    cfg.max_retries = retries;
    llm_agent(cfg, Mode::Tools)
}

#[tokio::test]
async fn a_400_bad_request_stops_the_run_with_the_endpoints_answer() {
    let suite = suite_of(3);
    let server = ScriptedServer::start(vec![Reply::Status {
        status: 400,
        retry_after: None,
        body: r#"{"error": {"message": "Unrecognized request argument supplied: seedz", "type": "invalid_request_error", "code": null}}"#.into(),
    }])
    .await
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("r");
    let mut cfg = config(&dir);
    cfg.jobs = 1;
    cfg.max_tries = Some(1);
    let err = run_suite(suite.path(), agent_at(&server.base_url, 3), cfg)
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::ModelRefused { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("400") && msg.contains("seedz"), "{msg}");
    assert_eq!(server.received().len(), 1);
    let recorded = trials_in(&dir);
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].outcome, Outcome::ModelError);
}

#[tokio::test]
async fn a_400_saying_the_context_is_too_long_is_the_agents_context_exhausted() {
    let suite = suite_of(1);
    let server = ScriptedServer::start(vec![Reply::Status {
        status: 400,
        retry_after: None,
        body: r#"{"error": {"message": "Please reduce the length of the messages.", "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}"#.into(),
    }])
    .await
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut cfg = config(&work.path().join("r"));
    cfg.max_tries = Some(1);
    let trials = run_with(suite.path(), agent_at(&server.base_url, 3), cfg).await;
    assert_eq!(
        trials[0].outcome,
        Outcome::ContextExhausted,
        "{:?}",
        trials[0]
    );
}

#[tokio::test]
async fn a_runaway_reply_is_cut_at_the_cap_and_is_a_model_error() {
    let suite = suite_of(1);
    let server = ScriptedServer::start(vec![Reply::Huge(17 * 1024 * 1024)])
        .await
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("r");
    let mut cfg = config(&dir);
    cfg.max_tries = Some(1);
    cfg.infra_retries = 0;
    let trials = run_with(suite.path(), agent_at(&server.base_url, 3), cfg).await;
    let t = &trials[0];
    assert_eq!(t.outcome, Outcome::ModelError, "{t:?}");
    let e = t.error.as_deref().unwrap();
    assert!(e.contains("more than 16777216 bytes"), "{e}");
    // Not retried: the same request would run away again.
    assert_eq!(server.received().len(), 1);
    let traj = std::fs::read(dir.join(format!("trials/{}/trajectory.json", t.trial_id))).unwrap();
    assert!(traj.len() < 100_000, "{} bytes of trajectory", traj.len());
}
