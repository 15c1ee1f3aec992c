//! The model client against a local server speaking the OpenAI protocol.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::json;
use tribench_agents::llm::scripted::{Reply, ScriptedServer};
use tribench_agents::llm::{ChatClient, ClientError, ModelConfig};

fn config(base: &str) -> ModelConfig {
    let mut c = ModelConfig::new(base, "scripted-model");
    c.request_timeout_sec = 2;
    c.max_retries = 2;
    c
}

fn user() -> Vec<serde_json::Value> {
    vec![json!({"role": "user", "content": "hi"})]
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_then_succeeds() {
    let server = ScriptedServer::start(vec![
        Reply::Status {
            status: 429,
            retry_after: Some(1),
            body: "slow down".into(),
        },
        Reply::text("hello"),
    ])
    .await
    .unwrap();
    let mut cfg = config(&server.base_url);
    cfg.concurrency = 4;
    cfg.price_input_per_mtok = Some(1.0);
    cfg.price_output_per_mtok = Some(2.0);
    let client = ChatClient::new(cfg).unwrap();
    let started = std::time::Instant::now();
    let c = client.chat(&user(), None).await.unwrap();
    assert_eq!(c.attempts, 2);
    assert_eq!(c.message["content"], "hello");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "Retry-After was not honoured"
    );
    assert_eq!(c.usage.prompt_tokens, 100);
    assert!((c.cost_usd - (100.0 * 1.0 + 20.0 * 2.0) / 1e6).abs() < 1e-12);
    assert_eq!(server.received().len(), 2);
    // The rate limit shrank the concurrency, and the success gave it back.
    assert_eq!(client.current_concurrency(), 4);
}

#[tokio::test]
async fn a_hanging_server_is_timed_out_retried_and_reported() {
    let hang = std::time::Duration::from_secs(30);
    let server = ScriptedServer::start(vec![
        Reply::Hang(hang),
        Reply::Hang(hang),
        Reply::Hang(hang),
    ])
    .await
    .unwrap();
    let client = ChatClient::new(config(&server.base_url)).unwrap();
    match client.chat(&user(), None).await {
        Err(ClientError::GaveUp { attempts, last }) => {
            assert_eq!(attempts, 3);
            assert!(last.contains("timed out"), "{last}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.received().len(), 3);
}

#[tokio::test]
async fn context_overflow_and_other_refusals_are_told_apart() {
    let server = ScriptedServer::start(vec![
        Reply::Status {
            status: 400,
            retry_after: None,
            body: "{\"error\": \"This model's maximum context length is 8192 tokens\"}".into(),
        },
        Reply::Status {
            status: 401,
            retry_after: None,
            body: "bad key".into(),
        },
    ])
    .await
    .unwrap();
    let client = ChatClient::new(config(&server.base_url)).unwrap();
    assert!(matches!(
        client.chat(&user(), None).await,
        Err(ClientError::ContextExhausted(_))
    ));
    assert!(matches!(
        client.chat(&user(), None).await,
        Err(ClientError::Rejected { status: 401, .. })
    ));
}

#[tokio::test]
async fn the_api_key_comes_from_the_environment_and_goes_only_in_the_header() {
    std::env::set_var("TRIBENCH_TEST_CLIENT_KEY", "sk-client-test-123");
    let server = ScriptedServer::start(vec![Reply::text("ok")])
        .await
        .unwrap();
    let mut cfg = config(&server.base_url);
    cfg.api_key_env = Some("TRIBENCH_TEST_CLIENT_KEY".into());
    cfg.temperature = Some(0.0);
    cfg.seed = Some(7);
    cfg.extra_body.insert("top_k".into(), json!(20));
    let client = ChatClient::new(cfg).unwrap();
    client.chat(&user(), None).await.unwrap();
    let r = &server.received()[0];
    assert_eq!(
        r.authorization.as_deref(),
        Some("Bearer sk-client-test-123")
    );
    assert!(!r.body.to_string().contains("sk-client-test-123"));
    assert_eq!(r.body["temperature"], 0.0);
    assert_eq!(r.body["seed"], 7);
    assert_eq!(r.body["top_k"], 20);
    assert!(!client.config().sampling().to_string().contains("sk-"));
    let mut missing = config(&server.base_url);
    missing.api_key_env = Some("TRIBENCH_TEST_UNSET_KEY_VAR".into());
    assert!(ChatClient::new(missing).is_err());
}

#[test]
fn the_shipped_agent_definitions_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../agents");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let a = tribench_agents::cli::CliAgent::load(
            &entry.path(),
            "m".into(),
            "http://127.0.0.1:1/v1".into(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()));
        use tribench_agents::Agent;
        assert!(a.needs_network());
        names.push(a.name().to_string());
    }
    names.sort();
    assert_eq!(names, ["aider", "generic", "mini-swe-agent"]);
}

#[tokio::test]
async fn a_cost_from_prices_of_zero_is_a_known_zero_and_without_prices_it_is_not() {
    let server = ScriptedServer::start(vec![Reply::text("a"), Reply::text("b")])
        .await
        .unwrap();
    let mut free = config(&server.base_url);
    free.price_input_per_mtok = Some(0.0);
    free.price_output_per_mtok = Some(0.0);
    let c = ChatClient::new(free)
        .unwrap()
        .chat(&user(), None)
        .await
        .unwrap();
    assert_eq!(c.cost_usd, 0.0);
    assert!(c.priced, "prices of zero still price the call");
    let c = ChatClient::new(config(&server.base_url))
        .unwrap()
        .chat(&user(), None)
        .await
        .unwrap();
    assert!(!c.priced, "no prices: the zero is not a cost");
}

#[tokio::test]
async fn a_reply_past_the_size_cap_is_refused_without_reading_it_all() {
    let server = ScriptedServer::start(vec![Reply::Huge(17 * 1024 * 1024), Reply::Huge(4096)])
        .await
        .unwrap();
    let client = ChatClient::new(config(&server.base_url)).unwrap();
    let e = client.chat(&user(), None).await.unwrap_err();
    assert!(
        matches!(e, ClientError::TooLarge { status: 200, .. }),
        "{e}"
    );
    assert!(e.is_endpoint_failure());
    let mut small = config(&server.base_url);
    small.max_reply_bytes = 1000;
    let e = ChatClient::new(small)
        .unwrap()
        .chat(&user(), None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("more than 1000 bytes"), "{e}");
}

#[tokio::test]
async fn a_400_is_a_refusal_for_good_unless_its_code_says_the_context_is_full() {
    let server = ScriptedServer::start(vec![
        Reply::Status {
            status: 400,
            retry_after: None,
            body: r#"{"error": {"message": "Please reduce the length of the messages.", "code": "context_length_exceeded"}}"#.into(),
        },
        Reply::Status {
            status: 400,
            retry_after: None,
            body: r#"{"error": {"message": "'tools' is not supported by this model"}}"#.into(),
        },
    ])
    .await
    .unwrap();
    let client = ChatClient::new(config(&server.base_url)).unwrap();
    let e = client.chat(&user(), None).await.unwrap_err();
    assert!(matches!(e, ClientError::ContextExhausted(_)), "{e}");
    let e = client.chat(&user(), None).await.unwrap_err();
    assert!(e.is_fatal(), "{e}");
    assert!(
        e.to_string().contains(
            "refused the request (400): {\"error\": {\"message\": \"'tools' is not supported"
        ),
        "{e}"
    );
    assert_eq!(server.received().len(), 2);
}

#[test]
fn a_run_that_recorded_no_trial_has_nothing_to_replay() {
    let d = tempfile::tempdir().unwrap();
    for actions in [true, false] {
        let e = tribench_agents::llm::replayable(d.path(), &[], actions).unwrap_err();
        assert!(e.to_string().contains("nothing to replay"), "{e}");
    }
}
