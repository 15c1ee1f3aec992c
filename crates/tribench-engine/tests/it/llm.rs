//! The `llm` agent end to end: a scripted model on a local OpenAI-protocol server works on real
//! tasks through the engine, and the trials are graded for real.

use super::*;
use serde_json::json;
use tribench_agents::llm::scripted::{Reply, ScriptedServer};
use tribench_agents::llm::{Limits, Mode, Prompts};

const SOLUTION: &str = "def answer():\n    return 42\n";

fn llm(
    server: &ScriptedServer,
    mode: Mode,
    limits: Limits,
    key_env: Option<&str>,
    prices: bool,
) -> Arc<dyn Agent> {
    let mut cfg = model_at(&server.base_url, 5);
    cfg.max_retries = 1;
    cfg.api_key_env = key_env.map(String::from);
    if prices {
        cfg.price_input_per_mtok = Some(1000.0);
        cfg.price_output_per_mtok = Some(1000.0);
    }
    llm_agent_with(cfg, mode, limits, Prompts::default())
}

async fn run_llm(
    script: Vec<Reply>,
    mode: Mode,
    limits: Limits,
) -> (TrialRecord, PathBuf, tempfile::TempDir, ScriptedServer) {
    let suite = tempfile::tempdir().unwrap();
    python_exercise(suite.path(), "answer", GOOD_TEST);
    let server = ScriptedServer::start(script).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("r");
    let mut cfg = config(&dir);
    cfg.max_tries = Some(1);
    let trials = run_with(suite.path(), llm(&server, mode, limits, None, false), cfg).await;
    drop(suite);
    (trials[0].clone(), dir, work, server)
}

fn trajectory(dir: &Path, t: &TrialRecord) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join(format!("trials/{}/trajectory.json", t.trial_id)))
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn a_scripted_model_solves_a_polyglot_task_with_tool_calls() {
    let script = solves_after(
        vec![Reply::tool("bash", json!({"command": "ls"}))],
        "answer.py",
    );
    let (t, dir, _w, server) = run_llm(script, Mode::Tools, Limits::default()).await;
    assert_eq!(t.outcome, Outcome::Resolved, "{t:?}");
    assert_eq!(t.usage.steps, 3);
    assert_eq!(t.usage.prompt_tokens, 300);
    let traj = trajectory(&dir, &t);
    assert_eq!(traj["steps"].as_array().unwrap().len(), 3);
    // The model saw `ls`'s output (the stub, never the tests) as the tool result.
    let second = &server.received()[1].body["messages"];
    let tool_msg = second
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool")
        .unwrap();
    assert!(tool_msg["content"].as_str().unwrap().contains("answer.py"));
    assert!(!tool_msg["content"]
        .as_str()
        .unwrap()
        .contains("answer_test.py"));
    // The manifest records the model and the prompts' hash.
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["model"]["id"], "scripted-model");
    assert!(m["scaffold"]["prompt_hash"].as_str().unwrap().len() >= 8);
}

#[tokio::test]
async fn a_model_that_does_nothing_useful_is_unresolved() {
    let (t, _, _w, _s) = run_llm(
        vec![Reply::tool("submit", json!({}))],
        Mode::Tools,
        Limits::default(),
    )
    .await;
    assert_eq!(t.outcome, Outcome::Unresolved);
}

#[tokio::test]
async fn text_mode_works_the_same_way() {
    let script = vec![
        Reply::text(&format!(
            "Writing it.\n```bash\ncat > answer.py <<'EOF'\n{SOLUTION}EOF\n```"
        )),
        Reply::text("```bash\nsubmit\n```"),
    ];
    let (t, dir, _w, server) = run_llm(script, Mode::Text, Limits::default()).await;
    assert_eq!(t.outcome, Outcome::Resolved, "{t:?}");
    assert!(
        server.received()[0].body.get("tools").is_none(),
        "text mode sends no tools"
    );
    assert_eq!(
        trajectory(&dir, &t)["steps"][0]["results"][0]["tool"],
        "bash"
    );
}

#[tokio::test]
async fn malformed_tool_json_gets_a_correction_and_the_model_recovers() {
    let script = solves_after(
        vec![Reply::raw_tool(
            "write_file",
            "{\"path\": \"answer.py\", \"content\": ",
        )],
        "answer.py",
    );
    let (t, dir, _w, server) = run_llm(script, Mode::Tools, Limits::default()).await;
    assert_eq!(t.outcome, Outcome::Resolved, "{t:?}");
    let correction = server.received()[1].body["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        correction["content"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{correction}"
    );
    assert!(trajectory(&dir, &t)["steps"][0]["results"][0]["malformed"].is_string());
}

#[tokio::test]
async fn replies_without_tool_calls_end_the_trial_as_malformed_response() {
    let script = (0..5)
        .map(|_| Reply::text("I think the answer is 42."))
        .collect();
    let limits = Limits {
        max_malformed: 3,
        ..Limits::default()
    };
    let (t, _, _w, server) = run_llm(script, Mode::Tools, limits).await;
    assert_eq!(t.outcome, Outcome::MalformedResponse, "{t:?}");
    assert_eq!(server.received().len(), 4);
}

#[tokio::test]
async fn step_and_cost_limits_end_the_trial_as_limit_reached() {
    let busy: Vec<Reply> = (0..10)
        .map(|_| Reply::tool("bash", json!({"command": "true"})))
        .collect();
    let (t, _, _w, server) = run_llm(
        busy.clone(),
        Mode::Tools,
        Limits {
            max_steps: 3,
            ..Limits::default()
        },
    )
    .await;
    assert_eq!(t.outcome, Outcome::LimitReached, "{t:?}");
    assert_eq!(server.received().len(), 3);

    // At $1000 per million tokens each call costs $0.12: a $0.30 budget allows three.
    let suite = tempfile::tempdir().unwrap();
    python_exercise(suite.path(), "answer", GOOD_TEST);
    let server = ScriptedServer::start(busy).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut cfg = config(&work.path().join("r"));
    cfg.max_tries = Some(1);
    let limits = Limits {
        max_cost_usd: 0.30,
        ..Limits::default()
    };
    let trials = run_with(
        suite.path(),
        llm(&server, Mode::Tools, limits, None, true),
        cfg,
    )
    .await;
    assert_eq!(trials[0].outcome, Outcome::LimitReached);
    assert!(
        trials[0].usage.cost_usd > 0.30 && trials[0].usage.cost_usd < 0.50,
        "{:?}",
        trials[0].usage
    );
}

#[tokio::test]
async fn an_endpoint_that_keeps_failing_is_a_model_error() {
    let script = vec![
        Reply::Status {
            status: 503,
            retry_after: Some(0),
            body: "down".into(),
        },
        Reply::Status {
            status: 503,
            retry_after: Some(0),
            body: "down".into(),
        },
    ];
    let (t, _, _w, _s) = run_llm(script, Mode::Tools, Limits::default()).await;
    assert_eq!(t.outcome, Outcome::ModelError, "{t:?}");
    assert!(
        t.error.as_deref().unwrap().contains("failed 2 times"),
        "{:?}",
        t.error
    );
}

#[tokio::test]
async fn the_api_key_appears_in_no_artifact_record_or_report() {
    let secret = "sk-tribench-secret-4242";
    std::env::set_var("TRIBENCH_TEST_LLM_KEY", secret);
    let suite = tempfile::tempdir().unwrap();
    python_exercise(suite.path(), "answer", GOOD_TEST);
    // The model even tries to read the environment.
    let server = ScriptedServer::start(solves_after(
        vec![Reply::tool(
            "bash",
            json!({"command": "env; echo $TRIBENCH_TEST_LLM_KEY"}),
        )],
        "answer.py",
    ))
    .await
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("r");
    let trials = run_with(
        suite.path(),
        llm(
            &server,
            Mode::Tools,
            Limits::default(),
            Some("TRIBENCH_TEST_LLM_KEY"),
            false,
        ),
        config(&dir),
    )
    .await;
    assert_eq!(trials[0].outcome, Outcome::Resolved);
    assert_eq!(
        server.received()[0].authorization.as_deref(),
        Some(&*format!("Bearer {secret}"))
    );
    for entry in walkdir_all(&dir) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "the key leaked into {}",
            entry.display()
        );
    }
    let report = tribench_analysis_like_report(&dir);
    assert!(!report.contains(secret));
}

fn walkdir_all(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

/// Every stored record, as a report would read them.
fn tribench_analysis_like_report(dir: &Path) -> String {
    let store = RunStore::open_for_reading(dir).unwrap();
    serde_json::to_string(&store.trials().unwrap()).unwrap()
        + &serde_json::to_string(&store.read_manifest().unwrap()).unwrap()
}

#[tokio::test]
async fn the_same_script_gives_the_same_trajectory_apart_from_timings() {
    let script = || {
        vec![
            Reply::tool("bash", json!({"command": "ls"})),
            Reply::tool(
                "str_replace",
                json!({"path": "answer.py", "old_str": "pass", "new_str": "return 42"}),
            ),
            Reply::tool("submit", json!({})),
        ]
    };
    let strip = |mut v: serde_json::Value| {
        for s in v["steps"].as_array_mut().unwrap() {
            s.as_object_mut().unwrap().remove("timing");
        }
        v
    };
    let (t1, d1, _w1, _s1) = run_llm(script(), Mode::Tools, Limits::default()).await;
    let (t2, d2, _w2, _s2) = run_llm(script(), Mode::Tools, Limits::default()).await;
    assert_eq!(t1.outcome, Outcome::Resolved, "{t1:?}");
    let (a, b) = (strip(trajectory(&d1, &t1)), strip(trajectory(&d2, &t2)));
    // Workspace paths differ between runs only in the sandbox folder name; compare the rest.
    let norm = |v: serde_json::Value| regex_free_paths(&v.to_string());
    assert_eq!(norm(a), norm(b));
}

fn regex_free_paths(s: &str) -> String {
    // Sandbox folders are named trial-XXXXXX; blank the random part.
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("trial-") {
        out.push_str(&rest[..i + 6]);
        rest = &rest[i + 6..];
        let skip = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        rest = &rest[skip..];
        out.push('*');
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn context_overflow_ends_the_trial_unless_history_trimming_is_on() {
    let overflow = || Reply::Status {
        status: 400,
        retry_after: None,
        body: "maximum context length exceeded".into(),
    };
    let script = vec![
        Reply::tool("bash", json!({"command": "seq 1 500"})),
        overflow(),
    ];
    let (t, _, _w, _s) = run_llm(script, Mode::Tools, Limits::default()).await;
    assert_eq!(t.outcome, Outcome::ContextExhausted, "{t:?}");

    let script = solves_after(
        vec![
            Reply::tool("bash", json!({"command": "seq 1 500"})),
            overflow(),
        ],
        "answer.py",
    );
    let (t, dir, _w, server) = run_llm(
        script,
        Mode::Tools,
        Limits {
            trim_history: true,
            ..Limits::default()
        },
    )
    .await;
    assert_eq!(t.outcome, Outcome::Resolved, "{t:?}");
    // The request after the overflow no longer carries the long output.
    let after = server.received()[2].body["messages"].to_string();
    assert!(
        !after.contains("499") && after.contains("removed to fit the context"),
        "{after}"
    );
    assert!(trajectory(&dir, &t)["steps"][1]["trimmed"].is_string());
}

#[tokio::test]
async fn replaying_a_trajectory_repeats_the_outcome_without_the_model() {
    let script = vec![
        Reply::tool("bash", json!({"command": "ls"})),
        Reply::tool(
            "str_replace",
            json!({"path": "answer.py", "old_str": "pass", "new_str": "return 42"}),
        ),
        Reply::tool("submit", json!({})),
    ];
    let suite = tempfile::tempdir().unwrap();
    python_exercise(suite.path(), "answer", GOOD_TEST);
    let server = ScriptedServer::start(script).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("source");
    let mut cfg = config(&source);
    cfg.max_tries = Some(1);
    let first = run_with(
        suite.path(),
        llm(&server, Mode::Tools, Limits::default(), None, false),
        cfg.clone(),
    )
    .await;
    assert_eq!(first[0].outcome, Outcome::Resolved);
    let calls = server.received().len();
    let agent: Arc<dyn Agent> = Arc::new(tribench_agents::llm::ReplayAgent::new(source.clone()));
    let mut cfg2 = config(&work.path().join("replayed"));
    cfg2.max_tries = Some(1);
    let again = run_with(suite.path(), agent, cfg2).await;
    assert_eq!(again[0].outcome, Outcome::Resolved, "{:?}", again[0]);
    assert_eq!(
        server.received().len(),
        calls,
        "the replay called the model"
    );
    // Grading the recorded final patch gives the same outcome too.
    let agent: Arc<dyn Agent> = Arc::new(tribench_agents::Predictions::from_run(source.clone()));
    let mut cfg3 = config(&work.path().join("patched"));
    cfg3.max_tries = Some(1);
    let patched = run_with(suite.path(), agent, cfg3).await;
    assert_eq!(patched[0].outcome, Outcome::Resolved, "{:?}", patched[0]);
    // A replay of a run that has no trajectories says so.
    let agent: Arc<dyn Agent> = Arc::new(tribench_agents::llm::ReplayAgent::new(
        work.path().join("nowhere"),
    ));
    let none = run_with(suite.path(), agent, config(&work.path().join("r3"))).await;
    assert_eq!(none[0].outcome, Outcome::AgentError);
    assert!(none[0].error.as_deref().unwrap().contains("no trajectory"));
}

#[tokio::test]
async fn an_installed_agent_program_runs_in_the_sandbox_and_is_graded() {
    use tribench_agents::cli::{CliAgent, CliAgentDef};
    std::env::set_var("TRIBENCH_TEST_CLI_KEY", "sk-cli-agent-77");
    let server = ScriptedServer::start(vec![Reply::text(SOLUTION)])
        .await
        .unwrap();
    // A tiny agent program: reads the instruction, asks the model, writes what it says.
    let program = r#"import json, os, sys, urllib.request
task = open(sys.argv[1]).read()
body = json.dumps({"model": os.environ["TRIBENCH_MODEL"], "messages": [{"role": "user", "content": task}]}).encode()
req = urllib.request.Request(os.environ["TRIBENCH_BASE_URL"] + "/chat/completions", data=body,
    headers={"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["TRIBENCH_TEST_CLI_KEY"]})
reply = json.load(urllib.request.urlopen(req, timeout=10))
open("answer.py", "w").write(reply["choices"][0]["message"]["content"])
print("agent wrote answer.py")
"#;
    let def = CliAgentDef {
        name: "tiny-agent".into(),
        description: String::new(),
        install: format!("cat > \"$HOME/agent.py\" <<'PY'\n{program}PY\n"),
        command: "python3 \"$HOME/agent.py\" {instruction_file}".into(),
        env: vec!["TRIBENCH_TEST_CLI_KEY".into()],
        network: true,
    };
    let agent: Arc<dyn Agent> = Arc::new(CliAgent::new(
        def,
        "scripted-model".into(),
        server.base_url.clone(),
    ));
    let suite = tempfile::tempdir().unwrap();
    python_exercise(suite.path(), "answer", GOOD_TEST);
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("r");
    let mut cfg = config(&dir);
    cfg.max_tries = Some(1);
    let trials = run_with(suite.path(), agent, cfg).await;
    let t = &trials[0];
    assert_eq!(t.outcome, Outcome::Resolved, "{t:?}");
    let got = &server.received()[0];
    assert_eq!(got.authorization.as_deref(), Some("Bearer sk-cli-agent-77"));
    assert!(got.body.to_string().contains("Make answer() return 42"));
    let traj = trajectory(&dir, t);
    assert_eq!(traj["runs"][1]["exit_code"], 0, "{traj}");
    assert!(traj["runs"][1]["output"]
        .as_str()
        .unwrap()
        .contains("agent wrote answer.py"));
    let diff =
        std::fs::read_to_string(dir.join(format!("trials/{}/diff.patch", t.trial_id))).unwrap();
    assert!(!diff.contains(".tribench-agent"), "{diff}");
}

#[tokio::test]
async fn a_hanging_endpoint_is_timed_out_retried_then_a_model_error() {
    let hang = std::time::Duration::from_secs(60);
    let server = ScriptedServer::start(vec![Reply::Hang(hang), Reply::Hang(hang)])
        .await
        .unwrap();
    let mut cfg = model_at(&server.base_url, 1);
    cfg.max_retries = 1;
    let agent = llm_agent(cfg, Mode::Tools);
    let suite = tempfile::tempdir().unwrap();
    python_exercise(suite.path(), "answer", GOOD_TEST);
    let work = tempfile::tempdir().unwrap();
    let mut c = config(&work.path().join("r"));
    c.max_tries = Some(1);
    c.infra_retries = 0;
    let trials = run_with(suite.path(), agent, c).await;
    assert_eq!(trials[0].outcome, Outcome::ModelError, "{:?}", trials[0]);
    assert!(
        trials[0].error.as_deref().unwrap().contains("timed out"),
        "{:?}",
        trials[0].error
    );
    assert_eq!(server.received().len(), 2, "one request and one retry");
}

#[tokio::test]
async fn the_run_s_seed_reaches_the_model_one_per_attempt() {
    let script = vec![
        Reply::tool("submit", json!({})),
        Reply::tool("submit", json!({})),
    ];
    let suite = tempfile::tempdir().unwrap();
    python_exercise(suite.path(), "answer", GOOD_TEST);
    let server = ScriptedServer::start(script).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut cfg = config(&work.path().join("r"));
    cfg.max_tries = Some(1);
    cfg.attempts = 2;
    cfg.seed = Some(5);
    let trials = run_with(
        suite.path(),
        llm(&server, Mode::Tools, Limits::default(), None, false),
        cfg,
    )
    .await;
    let mut recorded: Vec<_> = trials
        .iter()
        .map(|t| t.limits.clone().unwrap().seed)
        .collect();
    recorded.sort();
    assert_eq!(recorded, vec![Some(5), Some(6)]);
    let mut sent: Vec<_> = server
        .received()
        .iter()
        .map(|r| r.body["seed"].as_u64())
        .collect();
    sent.sort();
    assert_eq!(sent, vec![Some(5), Some(6)]);
}
