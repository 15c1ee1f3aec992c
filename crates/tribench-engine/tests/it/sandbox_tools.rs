//! The agent's commands and grading see the same Python and test tools in the local sandbox,
//! and the run manifest records which.

use super::*;
use serde_json::json;
use tribench_agents::llm::scripted::{Reply, ScriptedServer};
use tribench_agents::llm::{Mode, ModelConfig};

#[tokio::test]
async fn the_agent_runs_the_python_and_pytest_that_grading_runs() {
    let suite = tempfile::tempdir().unwrap();
    python_exercise(suite.path(), "answer", GOOD_TEST);
    let probe = "python3 -c 'import sys, pytest; print(\"AGENT\", sys.version.split()[0], pytest.__version__)'; \
                 python3 -m pytest --version 2>&1 | head -1";
    let server = ScriptedServer::start(solves_after(
        vec![Reply::tool("bash", json!({ "command": probe }))],
        "answer.py",
    ))
    .await
    .unwrap();
    let mut model = ModelConfig::new(&server.base_url, "scripted-model");
    model.max_retries = 1;
    let agent = llm_agent(model, Mode::Tools);
    let run = tempfile::tempdir().unwrap();
    let dir = run.path().join("r");
    let mut cfg = config(&dir);
    cfg.max_tries = Some(1);
    let trials = run_with(suite.path(), agent, cfg).await;
    assert_eq!(trials[0].outcome, Outcome::Resolved, "{:?}", trials[0]);

    let received = server.received();
    let seen: String = received.last().unwrap().body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let agent_line = seen
        .lines()
        .find(|l| l.starts_with("AGENT "))
        .unwrap_or_else(|| panic!("the agent's python3 has no pytest: {seen}"));
    let mut parts = agent_line.split_whitespace().skip(1);
    let (py, pytest) = (parts.next().unwrap(), parts.next().unwrap());

    // Grading ran the same interpreter and pytest (pytest's header names both).
    let artifact = trials[0].tries[0].output_artifact.clone().unwrap();
    let log = std::fs::read_to_string(dir.join("trials").join(&trials[0].trial_id).join(&artifact))
        .or_else(|_| std::fs::read_to_string(dir.join(&artifact)))
        .unwrap();
    assert!(
        log.contains(&format!("Python {py}, pytest-{pytest}")),
        "grading ran another Python than the agent's {py}/{pytest}: {log}"
    );

    // The manifest names the interpreter, and it is the one the agent ran.
    let manifest = RunStore::open_for_reading(&dir)
        .unwrap()
        .read_manifest()
        .unwrap()
        .unwrap();
    let recorded = manifest
        .environment
        .tools
        .get("python3")
        .cloned()
        .unwrap_or_default();
    assert!(
        recorded.contains(&format!("Python {py}, pytest {pytest}")),
        "manifest says {recorded:?}, the agent ran Python {py} with pytest {pytest}"
    );
}
