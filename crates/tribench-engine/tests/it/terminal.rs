//! Terminal tasks on a real Docker engine. Skipped outside CI when no engine answers.

use super::*;

/// A Harbor-format task. `test_sh` is the verifier; the image has python3 and pytest.
fn python_task(
    root: &Path,
    id: &str,
    memory_mb: u64,
    dockerfile_extra: &str,
    test_sh: &str,
    solve_sh: &str,
) -> PathBuf {
    let d = harbor_task(
        root,
        id,
        &format!("memory_mb = {memory_mb}\n[metadata]\ncategory = \"test\"\n"),
        &format!("Do task {id}.\n"),
        Some(&format!("FROM debian:bookworm\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-pytest && rm -rf /var/lib/apt/lists/*\n{dockerfile_extra}WORKDIR /app\n")),
        test_sh,
        solve_sh,
    );
    std::fs::write(d.join("tests/secret_check.txt"), "the tests' own data\n").unwrap();
    d
}

/// A task of [`python_task`]'s (512 MB) that the agent solves by creating /app/done.
fn done_task(root: &Path, id: &str) -> PathBuf {
    python_task(root, id, 512, "", REWARD_IF_DONE, TOUCH_DONE)
}

const REWARD_IF_DONE: &str = "#!/bin/bash\nif [ -f /app/done ]; then echo 1 > /logs/verifier/reward.txt; else echo 0 > /logs/verifier/reward.txt; fi\n";
const TOUCH_DONE: &str = "#!/bin/bash\ntouch /app/done\n";

#[tokio::test]
async fn the_agent_cannot_see_tests_or_solution_and_they_are_there_for_grading() {
    if !docker_available() {
        return;
    }
    let suite = tempfile::tempdir().unwrap();
    done_task(suite.path(), "peek");
    let (agent, seen) = probing(
        "ls /tests /solution 2>&1; cat /tests/secret_check.txt 2>&1; pwd; touch /app/done".into(),
    );
    let run = tempfile::tempdir().unwrap();
    let trials = run_with(suite.path(), agent, config(&run.path().join("r"))).await;
    let seen = last_seen(&seen);
    assert!(!seen.contains("the tests' own data"), "{seen}");
    assert!(seen.contains("No such file"), "{seen}");
    assert!(
        seen.contains("/app"),
        "the agent starts in the image's WORKDIR: {seen}"
    );
    assert_eq!(trials[0].outcome, Outcome::Resolved, "{:?}", trials[0]);
    assert_eq!(trials[0].tries[0].reward, Some(1.0));
}

#[tokio::test]
async fn a_memory_hog_is_contained_and_recorded_and_the_next_trial_runs_normally() {
    if !docker_available() {
        return;
    }
    let suite = tempfile::tempdir().unwrap();
    // The verifier itself blows the memory limit; the kill is recorded as the task's result.
    python_task(
        suite.path(),
        "a-hog",
        128,
        "",
        "#!/bin/bash\ntail /dev/zero\necho 0 > /logs/verifier/reward.txt\n",
        "#!/bin/bash\ntrue\n",
    );
    done_task(suite.path(), "b-fine");
    let run = tempfile::tempdir().unwrap();
    let mut cfg = config(&run.path().join("r"));
    cfg.jobs = 1;
    let trials = run_with(suite.path(), oracle(), cfg).await;
    let get = |id: &str| by_task(&trials, id);
    assert_eq!(
        get("a-hog").outcome,
        Outcome::Unresolved,
        "{:?}",
        get("a-hog")
    );
    assert!(get("a-hog").tries[0].exit_code.is_some());
    assert_eq!(
        get("b-fine").outcome,
        Outcome::Resolved,
        "{:?}",
        get("b-fine")
    );
}

#[tokio::test]
async fn broken_images_and_silent_verifiers_are_clear_errors() {
    if !docker_available() {
        return;
    }
    let suite = tempfile::tempdir().unwrap();
    python_task(
        suite.path(),
        "bad-build",
        512,
        "RUN exit 3\n",
        REWARD_IF_DONE,
        "#!/bin/bash\ntrue\n",
    );
    python_task(
        suite.path(),
        "silent",
        512,
        "",
        "#!/bin/bash\necho nothing to see\n",
        "#!/bin/bash\ntrue\n",
    );
    let run = tempfile::tempdir().unwrap();
    let dir = run.path().join("r");
    let mut cfg = config(&dir);
    cfg.infra_retries = 0;
    let trials = run_with(suite.path(), oracle(), cfg).await;
    let get = |id: &str| by_task(&trials, id);
    let bad = get("bad-build");
    assert_eq!(bad.outcome, Outcome::EnvironmentError);
    assert!(
        bad.error.as_deref().unwrap().contains("building image"),
        "{:?}",
        bad.error
    );
    let log = std::fs::read_to_string(dir.join(format!("trials/{}/build-log.txt", bad.trial_id)))
        .unwrap();
    assert!(
        log.contains("exit 3") || log.contains("returned a non-zero code"),
        "{log}"
    );
    let silent = get("silent");
    assert_eq!(silent.outcome, Outcome::EnvironmentError);
    let msg = silent.error.as_deref().unwrap();
    assert!(
        msg.contains("task silent") && msg.contains("no /logs/verifier/reward.txt"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_scripted_model_solves_a_terminal_task_through_tool_calls() {
    use tribench_agents::llm::scripted::{Reply, ScriptedServer};
    use tribench_agents::llm::Mode;
    if !docker_available() {
        return;
    }
    let suite = tempfile::tempdir().unwrap();
    done_task(suite.path(), "make-done");
    done_task(suite.path(), "make-done-too");
    // Two trials share the script in order: the first solves, the second only looks.
    let server = ScriptedServer::start(vec![
        Reply::tool(
            "bash",
            serde_json::json!({"command": "pwd && touch /app/done"}),
        ),
        Reply::tool("submit", serde_json::json!({})),
        Reply::tool("read_file", serde_json::json!({"path": "/etc/hostname"})),
        Reply::tool("submit", serde_json::json!({})),
    ])
    .await
    .unwrap();
    let agent = llm_agent(model_at(&server.base_url, 5), Mode::Tools);
    let run = tempfile::tempdir().unwrap();
    let mut c = config(&run.path().join("r"));
    c.jobs = 1;
    let trials = run_with(suite.path(), agent, c).await;
    let get = |id: &str| by_task(&trials, id);
    assert_eq!(
        get("make-done").outcome,
        Outcome::Resolved,
        "{:?}",
        get("make-done")
    );
    assert_eq!(
        get("make-done-too").outcome,
        Outcome::Unresolved,
        "{:?}",
        get("make-done-too")
    );
}

#[tokio::test]
async fn interactive_mode_drives_an_interactive_program_in_the_container() {
    use tribench_agents::llm::scripted::{Reply, ScriptedServer};
    use tribench_agents::llm::Mode;
    if !docker_available() {
        return;
    }
    let suite = tempfile::tempdir().unwrap();
    done_task(suite.path(), "repl");
    let server = ScriptedServer::start(vec![
        Reply::tool("send_keys", serde_json::json!({"keys": "python3\n", "wait_ms": 1500})),
        Reply::tool("send_keys", serde_json::json!({"keys": "open('/app/done', 'w').write('from the repl')\n", "wait_ms": 500})),
        Reply::tool("read_screen", serde_json::json!({})),
        Reply::tool("send_keys", serde_json::json!({"key": "ctrl-d", "wait_ms": 500})),
        Reply::tool("submit", serde_json::json!({})),
    ])
    .await
    .unwrap();
    let agent = llm_agent(model_at(&server.base_url, 10), Mode::Interactive);
    let run = tempfile::tempdir().unwrap();
    let dir = run.path().join("r");
    let trials = run_with(suite.path(), agent, config(&dir)).await;
    assert_eq!(trials[0].outcome, Outcome::Resolved, "{:?}", trials[0]);
    // The model saw the REPL's prompt on the screen.
    let traj: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            dir.join(format!("trials/{}/trajectory.json", trials[0].trial_id)),
        )
        .unwrap(),
    )
    .unwrap();
    let screen = traj["steps"][2]["results"][0]["output"].as_str().unwrap();
    assert!(screen.contains(">>> open('/app/done'"), "{screen}");
    assert!(server.received()[0].body["tools"]
        .to_string()
        .contains("send_keys"));
}
