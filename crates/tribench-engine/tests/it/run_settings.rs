//! Each trial records what it ran against, and a run directory reused with other settings is
//! refused with every difference named by its flag.

use super::*;

use tribench_agents::llm::scripted::ScriptedServer;
use tribench_agents::llm::{Limits, Mode, ModelConfig, Prompts};
use tribench_engine::EngineError;

fn agent(
    base_url: &str,
    model: &str,
    temperature: Option<f64>,
    limits: Limits,
    prompts: Prompts,
) -> Arc<dyn Agent> {
    let mut cfg = ModelConfig::new(base_url, model);
    cfg.request_timeout_sec = 10;
    cfg.max_retries = 0;
    cfg.temperature = temperature;
    llm_agent_with(cfg, Mode::Tools, limits, prompts)
}

async fn try_run(
    suite: &Path,
    agent: Arc<dyn Agent>,
    dir: &Path,
) -> Result<tribench_engine::RunSummary, EngineError> {
    let mut cfg = config(dir);
    cfg.max_tries = Some(1);
    run_suite(suite, agent, cfg).await
}

#[tokio::test]
async fn trials_record_their_model_and_a_reused_run_with_other_settings_names_each_difference() {
    let suite = tempfile::tempdir().unwrap();
    python_exercise(suite.path(), "answer", GOOD_TEST);
    let server = ScriptedServer::start(solves("answer.py")).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("r");
    let url = server.base_url.clone();
    let qwen = |url: &str| {
        agent(
            url,
            "qwen",
            Some(0.2),
            Limits::default(),
            Prompts::default(),
        )
    };
    try_run(suite.path(), qwen(&url), &dir).await.unwrap();
    let trials = trials_in(&dir);
    assert_eq!(trials[0].outcome, Outcome::Resolved, "{:?}", trials[0]);
    let m = trials[0].model.as_ref().unwrap();
    assert_eq!((m.id.as_str(), m.endpoint.as_str()), ("qwen", url.as_str()));
    assert_eq!(m.sampling.temperature, Some(0.2));

    // Another model and temperature: refused, both named.
    let err = try_run(
        suite.path(),
        agent(&url, "llama", None, Limits::default(), Prompts::default()),
        &dir,
    )
    .await
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, EngineError::ManifestMismatch { .. }), "{msg}");
    assert!(msg.contains("--model: qwen in the run, llama now"), "{msg}");
    assert!(
        msg.contains("--temperature: 0.2 in the run, unset now"),
        "{msg}"
    );

    // Other limits and other prompts are differences too.
    let limits = Limits {
        max_steps: 7,
        ..Limits::default()
    };
    let prompts = Prompts {
        system: "Be brief.".into(),
        ..Prompts::default()
    };
    let msg = try_run(
        suite.path(),
        agent(&url, "qwen", Some(0.2), limits, prompts),
        &dir,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(msg.contains("--max-steps: 100 in the run, 7 now"), "{msg}");
    assert!(msg.contains("--prompts: prompts "), "{msg}");
    assert!(!msg.contains("--model"), "{msg}");

    // Another agent altogether.
    let msg = try_run(
        suite.path(),
        Arc::from(tribench_agents::by_name("nop").unwrap()),
        &dir,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(msg.contains("--agent: llm in the run, nop now"), "{msg}");

    // The same settings at another endpoint resume the run (nothing is left to run).
    let summary = try_run(suite.path(), qwen("http://127.0.0.1:9/v1"), &dir)
        .await
        .unwrap();
    assert_eq!((summary.skipped, summary.ran), (1, 0));
}

#[tokio::test]
async fn a_changed_suite_is_named() {
    let suite = tempfile::tempdir().unwrap();
    python_exercise(suite.path(), "answer", GOOD_TEST);
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("r");
    try_run(suite.path(), oracle(), &dir).await.unwrap();
    python_exercise(suite.path(), "another", GOOD_TEST);
    let msg = try_run(suite.path(), oracle(), &dir)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("its tasks changed (checksum") && msg.contains("in the run"),
        "{msg}"
    );
}
