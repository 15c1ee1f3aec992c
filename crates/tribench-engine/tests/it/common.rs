//! What the engine tests share: fixture suites written here (Python exercises, Harbor tasks),
//! the engine run on them, scripted agents and models, and reading back what a run recorded.

use super::*;
use tribench_agents::llm::{ChatClient, Limits, LlmAgent, Mode, ModelConfig, Prompts};
use tribench_types::RunManifest;

/// Writes a Python exercise in the Exercism layout under `root/python/exercises/practice/<name>`.
pub(crate) fn python_exercise(root: &Path, name: &str, test_body: &str) -> PathBuf {
    let module = name.replace('-', "_");
    let d = root.join("python/exercises/practice").join(name);
    std::fs::create_dir_all(d.join(".docs")).unwrap();
    std::fs::create_dir_all(d.join(".meta")).unwrap();
    std::fs::write(
        d.join(".docs/instructions.md"),
        "Make answer() return 42.\n",
    )
    .unwrap();
    std::fs::write(
        d.join(".meta/config.json"),
        format!(
            r#"{{"files": {{"solution": ["{module}.py"], "test": ["{module}_test.py"], "example": [".meta/example.py"]}}}}"#
        ),
    )
    .unwrap();
    std::fs::write(d.join(format!("{module}.py")), "def answer():\n    pass\n").unwrap();
    std::fs::write(d.join(".meta/example.py"), "def answer():\n    return 42\n").unwrap();
    std::fs::write(
        d.join(format!("{module}_test.py")),
        format!("from {module} import answer\n\n{test_body}"),
    )
    .unwrap();
    d
}

pub(crate) const GOOD_TEST: &str = "def test_answer():\n    assert answer() == 42\n";

pub(crate) fn config(run_dir: &Path) -> EngineConfig {
    let mut c = EngineConfig::new(run_dir);
    c.jobs = 2;
    c.timeouts = Timeouts {
        setup_sec: 60,
        agent_sec: 60,
        test_sec: 60,
    };
    c
}

/// The engine over the suite in `suite_root`: its summary, or why the run was refused.
pub(crate) async fn run_suite(
    suite_root: &Path,
    agent: Arc<dyn Agent>,
    cfg: EngineConfig,
) -> Result<tribench_engine::RunSummary, tribench_engine::EngineError> {
    let suite = load_suite(suite_root).unwrap();
    tribench_engine::run(vec![suite], agent, cfg, std::future::pending()).await
}

/// The engine over the suite in `suite_root`; the trials it recorded.
pub(crate) async fn run_with(
    suite_root: &Path,
    agent: Arc<dyn Agent>,
    cfg: EngineConfig,
) -> Vec<TrialRecord> {
    let run_dir = cfg.run_dir.clone();
    run_suite(suite_root, agent, cfg).await.unwrap();
    trials_in(&run_dir)
}

/// The trials recorded in the run directory `dir`.
pub(crate) fn trials_in(dir: &Path) -> Vec<TrialRecord> {
    RunStore::open_for_reading(dir).unwrap().trials().unwrap()
}

/// An agent driven by a closure per turn: (turn number, message, sandbox) -> outcome.
pub(crate) type Script = dyn Fn(u32, String, &dyn Sandbox) -> futures_like::BoxFuture<'_, Result<TurnOutcome, AgentError>>
    + Send
    + Sync;

pub(crate) mod futures_like {
    pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
}

/// What a scripted agent does when a session starts: sees the task it was handed.
type OnStart = dyn Fn(&AgentTask) + Send + Sync;

pub(crate) struct Scripted {
    name: &'static str,
    script: Arc<Script>,
    on_start: Option<Arc<OnStart>>,
}

impl Agent for Scripted {
    fn name(&self) -> &str {
        self.name
    }
    fn version(&self) -> String {
        "test".into()
    }
    fn config_hash(&self) -> String {
        self.name.into()
    }
    fn start(&self, task: AgentTask) -> Box<dyn AgentSession> {
        if let Some(f) = &self.on_start {
            f(&task);
        }
        Box::new(ScriptedSession {
            script: self.script.clone(),
            turn: 0,
        })
    }
}

pub(crate) struct ScriptedSession {
    script: Arc<Script>,
    turn: u32,
}

#[async_trait]
impl AgentSession for ScriptedSession {
    async fn turn(&mut self, sb: &dyn Sandbox, message: &str) -> Result<TurnOutcome, AgentError> {
        self.turn += 1;
        (self.script)(self.turn, message.to_string(), sb).await
    }
}

/// A scripted agent's turn: what it returns.
pub(crate) type Turn<'a> = futures_like::BoxFuture<'a, Result<TurnOutcome, AgentError>>;

pub(crate) fn scripted(
    f: impl Fn(u32, String, &dyn Sandbox) -> Turn<'_> + Send + Sync + 'static,
) -> Arc<dyn Agent> {
    Arc::new(Scripted {
        name: "scripted",
        script: Arc::new(f),
        on_start: None,
    })
}

/// A scripted agent called `name` that also sees each task it is handed when a session starts.
pub(crate) fn scripted_named(
    name: &'static str,
    on_start: impl Fn(&AgentTask) + Send + Sync + 'static,
    f: impl Fn(u32, String, &dyn Sandbox) -> Turn<'_> + Send + Sync + 'static,
) -> Arc<dyn Agent> {
    Arc::new(Scripted {
        name,
        script: Arc::new(f),
        on_start: Some(Arc::new(on_start)),
    })
}

pub(crate) async fn sh(sb: &dyn Sandbox, script: &str) -> String {
    let out = sb
        .exec(ExecRequest::new(script, std::time::Duration::from_secs(20)))
        .await
        .unwrap();
    out.combined()
}

pub(crate) fn docker_available() -> bool {
    let ok = std::process::Command::new("docker")
        .arg("info")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run a Docker engine"
        );
        eprintln!("skipping: no Docker engine");
    }
    ok
}

/// A suite of Python exercises in a new temporary directory, each `(name, test body)`.
pub(crate) fn python_suite(exercises: &[(&str, &str)]) -> tempfile::TempDir {
    let suite = tempfile::tempdir().unwrap();
    for (name, body) in exercises {
        python_exercise(suite.path(), name, body);
    }
    suite
}

/// A Harbor-format task in `root/<id>`: `environment` goes under `[environment]` of task.toml
/// (after `allow_internet = false`); `dockerfile`, if any, is `environment/Dockerfile`.
pub(crate) fn harbor_task(
    root: &Path,
    id: &str,
    environment: &str,
    instruction: &str,
    dockerfile: Option<&str>,
    test_sh: &str,
    solve_sh: &str,
) -> PathBuf {
    let d = root.join(id);
    for sub in ["environment", "tests", "solution"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    std::fs::write(
        d.join("task.toml"),
        format!("version = \"1.0\"\n[verifier]\ntimeout_sec = 60.0\n[environment]\nallow_internet = false\n{environment}"),
    )
    .unwrap();
    std::fs::write(d.join("instruction.md"), instruction).unwrap();
    if let Some(df) = dockerfile {
        std::fs::write(d.join("environment/Dockerfile"), df).unwrap();
    }
    std::fs::write(d.join("tests/test.sh"), test_sh).unwrap();
    std::fs::write(d.join("solution/solve.sh"), solve_sh).unwrap();
    d
}

pub(crate) fn oracle() -> Arc<dyn Agent> {
    Arc::from(tribench_agents::by_name("oracle").unwrap())
}

/// The trial of task `id` among `trials`.
pub(crate) fn by_task<'a>(trials: &'a [TrialRecord], id: &str) -> &'a TrialRecord {
    trials.iter().find(|t| t.task_id == id).unwrap()
}

/// The text of the trial's artifact called `name`.
pub(crate) fn artifact(run_dir: &Path, t: &TrialRecord, name: &str) -> String {
    let rel = t
        .artifacts
        .iter()
        .find(|a| a.ends_with(&format!("/{name}")))
        .unwrap_or_else(|| panic!("no {name} in {:?}", t.artifacts));
    std::fs::read_to_string(run_dir.join(rel)).unwrap()
}

pub(crate) fn manifest(run_dir: &Path) -> RunManifest {
    serde_json::from_slice(&std::fs::read(run_dir.join("manifest.json")).unwrap()).unwrap()
}

/// `scripted-model` at `base_url`, each request timing out after `timeout_sec`.
pub(crate) fn model_at(base_url: &str, timeout_sec: u64) -> ModelConfig {
    let mut cfg = ModelConfig::new(base_url, "scripted-model");
    cfg.request_timeout_sec = timeout_sec;
    cfg
}

/// The `llm` agent asking `model` in `mode`, with default limits and prompts.
pub(crate) fn llm_agent(model: ModelConfig, mode: Mode) -> Arc<dyn Agent> {
    llm_agent_with(model, mode, Limits::default(), Prompts::default())
}

pub(crate) fn llm_agent_with(
    model: ModelConfig,
    mode: Mode,
    limits: Limits,
    prompts: Prompts,
) -> Arc<dyn Agent> {
    Arc::new(LlmAgent::new(
        Arc::new(ChatClient::new(model).unwrap()),
        mode,
        limits,
        prompts,
    ))
}

/// Builds `dockerfile` (alone in its context) as the image `tag`.
pub(crate) fn docker_build(tag: &str, dockerfile: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    let st = std::process::Command::new("docker")
        .args(["build", "-q", "-t", tag])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
}

/// A model script: `steps`, then writing the reference answer (`answer()` returns 42) to `file`
/// and submitting.
pub(crate) fn solves_after(
    mut steps: Vec<tribench_agents::llm::scripted::Reply>,
    file: &str,
) -> Vec<tribench_agents::llm::scripted::Reply> {
    use tribench_agents::llm::scripted::Reply;
    steps.push(Reply::tool(
        "write_file",
        serde_json::json!({"path": file, "content": "def answer():\n    return 42\n"}),
    ));
    steps.push(Reply::tool("submit", serde_json::json!({})));
    steps
}

/// A model script that writes the reference answer to `file` and submits.
pub(crate) fn solves(file: &str) -> Vec<tribench_agents::llm::scripted::Reply> {
    solves_after(Vec::new(), file)
}

/// What a probing agent printed, one entry a turn.
pub(crate) type Seen = Arc<Mutex<Vec<String>>>;

/// An agent that runs `script` in its sandbox each turn and keeps what it printed.
pub(crate) fn probing(script: String) -> (Arc<dyn Agent>, Seen) {
    let seen: Seen = Arc::default();
    let kept = seen.clone();
    let script = Arc::new(script);
    let agent = scripted(move |_, _, sb| {
        let kept = kept.clone();
        let script = script.clone();
        Box::pin(async move {
            let out = sh(sb, &script).await;
            kept.lock().unwrap().push(out);
            Ok(TurnOutcome::default())
        })
    });
    (agent, seen)
}

/// What the probing agent printed in its last turn (nothing if it never ran).
pub(crate) fn last_seen(seen: &Seen) -> String {
    seen.lock().unwrap().last().cloned().unwrap_or_default()
}
