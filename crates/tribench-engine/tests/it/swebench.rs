//! SWE-bench through the engine with the `llm` agent: a scripted model works in the checkout,
//! its change is taken as a patch and graded in a fresh sandbox.

use super::*;
use serde_json::json;
use tribench_agents::llm::scripted::{Reply, ScriptedServer};
use tribench_agents::llm::{ChatClient, Limits, LlmAgent, Mode, ModelConfig, Prompts};

/// The sample suite's textkit instances (Go, run locally), in a folder of their own.
fn textkit_suite(dir: &Path) {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites/swebench-sample");
    let lines: Vec<String> = std::fs::read_to_string(sample.join("instances.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"tribench-samples/textkit\""))
        .map(str::to_string)
        .collect();
    std::fs::write(dir.join("instances.jsonl"), lines.join("\n") + "\n").unwrap();
    std::fs::create_dir_all(dir.join("repos")).unwrap();
    std::fs::copy(
        sample.join("repos/tribench-samples__textkit.bundle"),
        dir.join("repos/tribench-samples__textkit.bundle"),
    )
    .unwrap();
    let table = std::fs::read_to_string(sample.join("swebench.toml")).unwrap();
    let textkit = &table[table
        .find("[[spec]]\nrepo = \"tribench-samples/textkit\"")
        .unwrap()..];
    std::fs::write(dir.join("swebench.toml"), textkit).unwrap();
}

fn agent(server: &ScriptedServer) -> Arc<dyn Agent> {
    let mut cfg = ModelConfig::new(&server.base_url, "scripted-model");
    cfg.request_timeout_sec = 5;
    cfg.max_retries = 1;
    Arc::new(LlmAgent::new(
        Arc::new(ChatClient::new(cfg).unwrap()),
        Mode::Tools,
        Limits::default(),
        Prompts::default(),
    ))
}

async fn run_one(
    script: Vec<Reply>,
    instance: &str,
) -> (TrialRecord, PathBuf, tempfile::TempDir, ScriptedServer) {
    let work = tempfile::tempdir().unwrap();
    let suite = work.path().join("suite");
    std::fs::create_dir_all(&suite).unwrap();
    textkit_suite(&suite);
    let server = ScriptedServer::start(script).await.unwrap();
    let dir = work.path().join("run");
    let mut s = load_suite(&suite).unwrap();
    s.tasks.retain(|t| t.info.id == instance);
    tribench_engine::run(
        vec![s],
        agent(&server),
        config(&dir),
        std::future::pending(),
    )
    .await
    .unwrap();
    let trials = RunStore::open_for_reading(&dir).unwrap().trials().unwrap();
    (trials[0].clone(), dir, work, server)
}

fn tool_outputs(server: &ScriptedServer) -> String {
    let last = server.received().last().unwrap().body["messages"].clone();
    last.as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().unwrap_or("").to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_scripted_model_fixes_an_instance_and_its_patch_is_graded_fresh() {
    let script = vec![
        Reply::tool(
            "bash",
            json!({"command": "git log --all --oneline; git tag; echo TAGS-END"}),
        ),
        Reply::tool(
            "str_replace",
            json!({"path": "wrap.go", "old_str": "len(line)+1+len(w) < width", "new_str": "len(line)+1+len(w) <= width"}),
        ),
        Reply::tool("submit", json!({})),
    ];
    let (t, dir, _w, server) = run_one(script, "tribench-samples__textkit-2").await;
    assert_eq!(t.outcome, Outcome::Resolved, "{t:?}");
    // What the model saw of git: the past, not the fix or anything after it.
    let seen = tool_outputs(&server);
    assert!(seen.contains("Truncate by runes"), "{seen}");
    assert!(!seen.contains("Allow lines of exactly"), "{seen}");
    assert!(!seen.contains("Collapse and trim"), "{seen}");
    assert!(!seen.contains("v0.3.1"), "{seen}");
    let trial = dir.join("trials").join(&t.trial_id);
    let diff = std::fs::read_to_string(trial.join("diff.patch")).unwrap();
    assert!(
        diff.contains("+\t\tcase len(line)+1+len(w) <= width:"),
        "{diff}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(trial.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["tribench-samples__textkit-2"]["resolved"], true);
    // The official files are written by the CLI; the engine's trial holds the grading record.
    let grading: serde_json::Value =
        serde_json::from_slice(&std::fs::read(trial.join("grading.json")).unwrap()).unwrap();
    assert_eq!(grading["strict"]["resolved"], true);
}

#[tokio::test]
async fn editing_the_tests_instead_of_the_code_does_not_resolve() {
    // The model deletes the test it cannot pass; grading restores the test files and applies
    // the hidden test patch, in a sandbox the model never touched.
    let script = vec![
        Reply::tool(
            "write_file",
            json!({"path": "wrap_test.go", "content": "package textkit\n"}),
        ),
        Reply::tool("bash", json!({"command": "go test ./... 2>&1 | tail -1"})),
        Reply::tool("submit", json!({})),
    ];
    let (t, dir, _w, _s) = run_one(script, "tribench-samples__textkit-2").await;
    assert_eq!(t.outcome, Outcome::Unresolved, "{t:?}");
    let grading: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("trials").join(&t.trial_id).join("grading.json")).unwrap(),
    )
    .unwrap();
    let why = grading["suspicious"][0].as_str().unwrap();
    assert!(why.starts_with("wrap_test.go"), "{why}");
}

#[tokio::test]
async fn an_agent_that_changes_nothing_is_empty_patch() {
    let (t, _d, _w, _s) = run_one(
        vec![Reply::tool("submit", json!({}))],
        "tribench-samples__textkit-3",
    )
    .await;
    assert_eq!(t.outcome, Outcome::EmptyPatch, "{t:?}");
    // The tests still ran: an empty patch that resolved would mean a broken task.
    assert!(t.tries[0]
        .tests
        .iter()
        .any(|x| x.name == "TestSlugifyPunctuation"));
}
