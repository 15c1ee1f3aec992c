//! What the command-line tests share: the binary, fixture suites written here (Python
//! exercises, Harbor tasks), a scripted model, and reading back what a run recorded.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use tribench_agents::llm::scripted::{Reply, ScriptedServer};

pub(crate) fn tribench() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tribench"));
    c.env_remove("RUST_LOG");
    c
}

/// `tribench run -s <suite> --run-dir <run_dir>`, for the caller to add to.
pub(crate) fn run_cmd(suite: &Path, run_dir: &Path) -> Command {
    let mut c = tribench();
    c.arg("run")
        .arg("-s")
        .arg(suite)
        .arg("--run-dir")
        .arg(run_dir);
    c
}

/// The test of an exercise whose reference solution (`answer()` returns 42) passes.
pub(crate) const PASSES: &str = "def test_answer():\n    assert answer() == 42\n";
/// The test of an exercise the reference solution cannot pass.
pub(crate) const FAILS: &str = "def test_answer():\n    assert answer() == 43\n";

pub(crate) fn python_exercise(root: &Path, name: &str, test_body: &str) {
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
        format!(r#"{{"files": {{"solution": ["{module}.py"], "test": ["{module}_test.py"], "example": [".meta/example.py"]}}}}"#),
    )
    .unwrap();
    std::fs::write(d.join(format!("{module}.py")), "def answer():\n    pass\n").unwrap();
    std::fs::write(d.join(".meta/example.py"), "def answer():\n    return 42\n").unwrap();
    std::fs::write(
        d.join(format!("{module}_test.py")),
        format!("from {module} import answer\n\n{test_body}"),
    )
    .unwrap();
}

/// A suite of Python exercises in a new temporary directory, each `(name, test body)`.
pub(crate) fn python_suite(exercises: &[(&str, &str)]) -> tempfile::TempDir {
    let suite = tempfile::tempdir().unwrap();
    for (name, body) in exercises {
        python_exercise(suite.path(), name, body);
    }
    suite
}

/// A Harbor task in `root/<id>` whose verifier is `test_sh` and whose solution is `solve_sh`.
pub(crate) fn harbor_task(root: &Path, id: &str, test_sh: &str, solve_sh: &str) {
    harbor_task_with(root, id, false, "Do it.\n", test_sh, solve_sh);
}

/// A Harbor task as [`harbor_task`] writes it, with its internet access and instruction given.
pub(crate) fn harbor_task_with(
    root: &Path,
    id: &str,
    allow_internet: bool,
    instruction: &str,
    test_sh: &str,
    solve_sh: &str,
) {
    let d = root.join(id);
    for sub in ["environment", "tests", "solution"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    std::fs::write(
        d.join("task.toml"),
        format!("version = \"1.0\"\n[environment]\nallow_internet = {allow_internet}\n"),
    )
    .unwrap();
    std::fs::write(d.join("instruction.md"), instruction).unwrap();
    std::fs::write(
        d.join("environment/Dockerfile"),
        "FROM debian:bookworm\nWORKDIR /app\n",
    )
    .unwrap();
    std::fs::write(d.join("tests/test.sh"), test_sh).unwrap();
    std::fs::write(d.join("solution/solve.sh"), solve_sh).unwrap();
}

/// Asserts that the command exited 0, showing its stderr when it did not.
pub(crate) fn succeeded(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The command's stdout as JSON.
pub(crate) fn stdout_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap()
}

pub(crate) fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// `tribench replay <source> --run-dir <run_dir> --json`, finished.
pub(crate) fn replay_json(source: &Path, run_dir: &Path) -> Output {
    tribench()
        .arg("replay")
        .arg(source)
        .arg("--run-dir")
        .arg(run_dir)
        .arg("--json")
        .output()
        .unwrap()
}

/// `tribench report --json <run>`'s report.
pub(crate) fn report_json(run: &Path) -> serde_json::Value {
    stdout_json(
        &tribench()
            .args(["report", "--json"])
            .arg(run)
            .output()
            .unwrap(),
    )
}

/// `(trial_id, ended_at)` of the trials recorded so far; none while the store is not there yet.
pub(crate) fn rows(run_dir: &Path) -> Vec<(String, String)> {
    let db = run_dir.join("trials.sqlite");
    if !db.exists() {
        return Vec::new();
    }
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return Vec::new();
    };
    let Ok(mut stmt) = conn.prepare("SELECT trial_id, ended_at FROM trials ORDER BY trial_id")
    else {
        return Vec::new();
    };
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// `(trial_id, outcome)` of every trial recorded in `run`.
pub(crate) fn trial_outcomes(run: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open_with_flags(
        run.join("trials.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = conn
        .prepare("SELECT trial_id, outcome FROM trials ORDER BY trial_id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

pub(crate) fn poll(deadline: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + deadline;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

pub(crate) fn dir_is_empty(p: &Path) -> bool {
    std::fs::read_dir(p)
        .map(|mut d| d.next().is_none())
        .unwrap_or(true)
}

/// Sends SIGINT (Ctrl-C) to the process `pid`.
pub(crate) fn interrupt(pid: u32) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
}

pub(crate) fn docker_available() -> bool {
    let ok = Command::new("docker")
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

/// `tribench validate --json <args>`: its exit code and report.
pub(crate) fn validate_json(args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = tribench()
        .arg("validate")
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), v)
}

/// A bundled suite of the repository (`suites/<name>`).
pub(crate) fn bundled_suite(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../suites")
        .join(name)
}

pub(crate) fn swebench_sample() -> PathBuf {
    bundled_suite("swebench-sample")
}

/// A model server answering with `replies`, and the runtime it runs on: keep both for the test.
pub(crate) struct Scripted {
    pub(crate) server: ScriptedServer,
    _rt: tokio::runtime::Runtime,
}

pub(crate) fn scripted(replies: Vec<Reply>) -> Scripted {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(ScriptedServer::start(replies)).unwrap();
    Scripted { server, _rt: rt }
}

/// A model that writes the reference solution (`answer()` returns 42) to `path` and submits.
pub(crate) fn writes_the_answer(path: &str) -> Vec<Reply> {
    vec![
        Reply::tool(
            "write_file",
            serde_json::json!({"path": path, "content": "def answer():\n    return 42\n"}),
        ),
        Reply::tool("submit", serde_json::json!({})),
    ]
}

/// Runs the command and asserts that it exited 0 (showing its stderr when it did not).
pub(crate) fn output_ok(c: &mut Command) -> Output {
    let out = c.output().unwrap();
    succeeded(&out);
    out
}

/// `tribench run` of the llm agent on `suite`, asking `model` at `base_url`.
pub(crate) fn llm_run_cmd(suite: &Path, run_dir: &Path, model: &str, base_url: &str) -> Command {
    let mut c = run_cmd(suite, run_dir);
    c.args(["--agent", "llm", "--model", model, "--base-url", base_url]);
    c
}

/// `tribench grade --suite <suite> --predictions <predictions> --run-dir <run>`.
pub(crate) fn grade_cmd(
    suite: &Path,
    predictions: impl AsRef<std::ffi::OsStr>,
    run: &Path,
) -> Command {
    let mut c = tribench();
    c.args(["grade", "--suite"])
        .arg(suite)
        .arg("--predictions")
        .arg(predictions)
        .arg("--run-dir")
        .arg(run);
    c
}

/// `tribench grade --json --audit <run>`.
pub(crate) fn audit(run: &Path) -> Output {
    tribench()
        .args(["grade", "--json", "--audit"])
        .arg(run)
        .output()
        .unwrap()
}

/// Writes an Aider leaderboard file holding `yaml` in `dir`; returns its path.
pub(crate) fn aider_leaderboard(dir: &Path, yaml: &str) -> PathBuf {
    let file = dir.join("lb.yml");
    std::fs::write(&file, yaml).unwrap();
    file
}

/// `tribench import aider-leaderboard <file> <extra>`.
pub(crate) fn import_aider(file: &Path, extra: &[&str]) -> Output {
    tribench()
        .args(["import", "aider-leaderboard"])
        .arg(file)
        .args(extra)
        .output()
        .unwrap()
}
