//! The viewer on real run directories: runs made by the engine on real Python exercises, with
//! the oracle agent and with the llm agent talking to a scripted model server (the one fake),
//! served over real HTTP and driven in a real headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod browser;
mod http;

use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use tribench_agents::llm::scripted::{Reply, ScriptedServer};
use tribench_agents::llm::{ChatClient, Limits, LlmAgent, Mode, ModelConfig, Prompts};
use tribench_agents::Agent;
use tribench_engine::EngineConfig;
use tribench_types::Timeouts;

/// A model reply that must stay text on every page.
pub const XSS: &str = "<script>alert(1)</script> and <img src=x onerror=alert(2)>";
/// A word that appears in exactly one message of the llm run.
pub const WORD: &str = "zanzibar";

/// Runs made once for all tests: `runs/llm` (one task resolved, one not; the first trial's
/// first reply holds [`XSS`] and [`WORD`]) and `runs/oracle` (both resolved).
pub struct Fixture {
    pub runs: PathBuf,
    /// The trial whose first reply holds XSS and WORD.
    pub marked_trial: String,
    _dir: tempfile::TempDir,
}

pub fn python_exercise(root: &Path, name: &str, expected: u32) {
    let module = name.replace('-', "_");
    let d = root.join("python/exercises/practice").join(name);
    std::fs::create_dir_all(d.join(".docs")).unwrap();
    std::fs::create_dir_all(d.join(".meta")).unwrap();
    std::fs::write(
        d.join(".docs/instructions.md"),
        format!("Make answer() return {expected}.\n"),
    )
    .unwrap();
    std::fs::write(
        d.join(".meta/config.json"),
        format!(r#"{{"files": {{"solution": ["{module}.py"], "test": ["{module}_test.py"], "example": [".meta/example.py"]}}}}"#),
    )
    .unwrap();
    std::fs::write(d.join(format!("{module}.py")), "def answer():\n    pass\n").unwrap();
    std::fs::write(
        d.join(".meta/example.py"),
        format!("def answer():\n    return {expected}\n"),
    )
    .unwrap();
    std::fs::write(
        d.join(format!("{module}_test.py")),
        format!("from {module} import answer\n\ndef test_answer():\n    assert answer() == {expected}\n\ndef test_type():\n    assert isinstance(answer(), int)\n"),
    )
    .unwrap();
}

pub fn config(run_dir: &Path) -> EngineConfig {
    let mut c = EngineConfig::new(run_dir);
    // One at a time: the scripted replies are taken in trial order.
    c.jobs = 1;
    c.max_tries = Some(1);
    c.timeouts = Timeouts {
        setup_sec: 60,
        agent_sec: 60,
        test_sec: 60,
    };
    c
}

fn llm_reply(content: &str, tool: &str, args: serde_json::Value) -> Reply {
    Reply::Message {
        message: json!({"role": "assistant", "content": content, "tool_calls": [
            {"id": format!("call_{tool}"), "type": "function", "function": {"name": tool, "arguments": args.to_string()}}
        ]}),
        prompt_tokens: 120,
        completion_tokens: 30,
    }
}

async fn build() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite");
    python_exercise(&suite, "one", 42);
    python_exercise(&suite, "two", 43);
    let runs = dir.path().join("runs");
    let solution = json!({"path": "one.py", "content": "def answer():\n    return 42\n"});
    let wrong = json!({"path": "two.py", "content": "def answer():\n    return 42\n"});
    let server = ScriptedServer::start(vec![
        llm_reply(&format!("Plan: {XSS} then {WORD}."), "write_file", solution),
        llm_reply("Done.", "submit", json!({})),
        llm_reply("I write the same answer here.", "write_file", wrong),
        llm_reply("", "bash", json!({"command": "cat two.py"})),
        llm_reply("Done.", "submit", json!({})),
    ])
    .await
    .unwrap();
    let mut model = ModelConfig::new(&server.base_url, "scripted-model");
    model.request_timeout_sec = 10;
    model.max_retries = 1;
    let llm: Arc<dyn Agent> = Arc::new(LlmAgent::new(
        Arc::new(ChatClient::new(model).unwrap()),
        Mode::Tools,
        Limits::default(),
        Prompts::default(),
    ));
    for (name, agent) in [
        ("llm", llm),
        (
            "oracle",
            Arc::new(tribench_agents::Oracle) as Arc<dyn Agent>,
        ),
    ] {
        let s = tribench_families::load_suite(&suite).unwrap();
        tribench_engine::run(
            vec![s],
            agent,
            config(&runs.join(name)),
            std::future::pending(),
        )
        .await
        .unwrap();
    }
    let llm_run = tribench_store::RunStore::open_for_reading(&runs.join("llm")).unwrap();
    let trials = llm_run.trials().unwrap();
    assert_eq!(trials.len(), 2, "{trials:?}");
    let marked_trial = trials
        .iter()
        .find(|t| {
            std::fs::read_to_string(
                runs.join("llm/trials")
                    .join(&t.trial_id)
                    .join("trajectory.json"),
            )
            .unwrap_or_default()
            .contains(WORD)
        })
        .map(|t| t.trial_id.clone())
        .expect("a trial whose trajectory holds the marked reply");
    drop(server);
    Fixture {
        runs,
        marked_trial,
        _dir: dir,
    }
}

/// The shared runs (made on first use).
pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        std::thread::spawn(|| tokio::runtime::Runtime::new().unwrap().block_on(build()))
            .join()
            .unwrap()
    })
}

/// The repository's root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
