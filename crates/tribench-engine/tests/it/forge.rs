//! A hostile agent in a Terminal-Bench container: a scripted model drives the real `llm` agent
//! in the real Docker sandbox and tries to forge a pass or to make grading fail. Nothing forged
//! is recorded `resolved`, what the agent breaks is `unresolved` with the cause (never an
//! infrastructure error), and the legitimate solution still resolves.

use super::*;
use tribench_agents::llm::scripted::{Reply, ScriptedServer};
use tribench_agents::llm::Mode;

/// A Harbor task on the bare base image. Its verifier writes reward 1 when /app/done exists,
/// else 0, then lingers a moment (long enough for a forger still running to overwrite it).
fn task(root: &Path, id: &str, memory_mb: u64) {
    harbor_task(
        root,
        id,
        &format!("memory_mb = {memory_mb}\n"),
        "Create /app/done.\n",
        Some("FROM debian:bookworm\nWORKDIR /app\n"),
        "#!/bin/bash\nif [ -f /app/done ]; then r=1; else r=0; fi\necho $r > /logs/verifier/reward.txt\nsleep 1\n",
        "#!/bin/bash\ntouch /app/done\n",
    );
}

/// One bash command then submit, per trial, in task order (the run is sequential).
async fn agent_running(commands: &[&str]) -> (ScriptedServer, Arc<dyn Agent>) {
    let mut script = Vec::new();
    for c in commands {
        script.push(Reply::tool("bash", serde_json::json!({ "command": c })));
        script.push(Reply::tool("submit", serde_json::json!({})));
    }
    let server = ScriptedServer::start(script).await.unwrap();
    let agent = llm_agent(model_at(&server.base_url, 10), Mode::Tools);
    (server, agent)
}

async fn run_sequential(suite: &Path, agent: Arc<dyn Agent>) -> Vec<TrialRecord> {
    let run = tempfile::tempdir().unwrap();
    let mut cfg = config(&run.path().join("r"));
    cfg.jobs = 1;
    cfg.infra_retries = 0;
    let mut trials = run_with(suite, agent, cfg).await;
    trials.sort_by(|a, b| a.task_id.cmp(&b.task_id));
    trials
}

/// Rewrites the reward to 1 every 50 ms, atomically (a rename), so a reader never sees it half
/// written.
const REWARD_LOOP: &str = "nohup sh -c 'while :; do mkdir -p /logs/verifier; echo 1 > /logs/r.tmp; mv -f /logs/r.tmp /logs/verifier/reward.txt; sleep 0.05; done' >/dev/null 2>&1 & echo started";

#[tokio::test]
async fn a_reward_forger_left_running_or_a_planted_reward_directory_forges_nothing() {
    if !docker_available() {
        return;
    }
    let suite = tempfile::tempdir().unwrap();
    task(suite.path(), "a-reward-loop", 512);
    task(suite.path(), "b-reward-dir", 512);
    task(suite.path(), "c-honest-with-leftovers", 512);
    let (_server, agent) = agent_running(&[
        REWARD_LOOP,
        "mkdir -p /logs/verifier/reward.txt && echo 1 > /logs/verifier/reward.txt/1",
        // The real solution; the forger left running too must not matter either way.
        &format!("touch /app/done; {REWARD_LOOP}"),
    ])
    .await;
    let trials = run_sequential(suite.path(), agent).await;
    assert_eq!(trials.len(), 3);
    for t in &trials[..2] {
        assert_eq!(t.outcome, Outcome::Unresolved, "{t:?}");
        assert_eq!(t.tries[0].reward, Some(0.0), "{t:?}");
    }
    assert_eq!(trials[2].outcome, Outcome::Resolved, "{:?}", trials[2]);
    assert_eq!(trials[2].tries[0].reward, Some(1.0));
}

#[tokio::test]
async fn what_the_agent_breaks_in_its_container_is_its_failure_not_infrastructure() {
    if !docker_available() {
        return;
    }
    let suite = tempfile::tempdir().unwrap();
    // Enough memory that the pids limit, not the memory limit, is what runs out.
    task(suite.path(), "a-pids-exhausted-solved", 2048);
    task(suite.path(), "b-pids-exhausted", 2048);
    task(suite.path(), "c-tests-dangling-symlink", 512);
    task(suite.path(), "d-tests-a-file", 512);
    task(suite.path(), "e-main-process-killed", 512);
    // Subshells blocked on a FIFO, forked until the pids limit (4096) is reached; the command
    // returns once it is (its own `ls` can no longer fork).
    let fill_pids = "mkfifo /tmp/hold; nohup sh -c 'while :; do ( read x < /tmp/hold ) & done' >/dev/null 2>&1 & while [ $(ls /proc | grep -c '^[0-9]') -lt 4000 ]; do sleep 0.5; done; echo filled";
    let (_server, agent) = agent_running(&[
        &format!("touch /app/done; {fill_pids}"),
        fill_pids,
        "touch /app/done; ln -s /nowhere/at/all /tests",
        "touch /app/done; echo not a folder > /tests",
        "touch /app/done; kill -9 $(cat /proc/1/task/1/children)",
    ])
    .await;
    let trials = run_sequential(suite.path(), agent).await;
    assert_eq!(trials.len(), 5);
    let by = |id: &str| by_task(&trials, id);
    // Grading kills the leftovers first: a solved task still resolves, an unsolved one fails.
    let solved = by("a-pids-exhausted-solved");
    assert_eq!(solved.outcome, Outcome::Resolved, "{solved:?}");
    let unsolved = by("b-pids-exhausted");
    assert_eq!(unsolved.outcome, Outcome::Unresolved, "{unsolved:?}");
    // Grading owns /tests: whatever the agent put there is replaced.
    for id in ["c-tests-dangling-symlink", "d-tests-a-file"] {
        assert_eq!(by(id).outcome, Outcome::Resolved, "{:?}", by(id));
    }
    // A container the agent stopped cannot be graded: the agent's failure, cause recorded.
    let killed = by("e-main-process-killed");
    assert_eq!(killed.outcome, Outcome::Unresolved, "{killed:?}");
    let why = killed.error.as_deref().unwrap_or_default();
    assert!(why.contains("unfit for grading"), "{why}");
    for t in &trials {
        assert!(!t.outcome.is_infrastructure(), "{t:?}");
        assert_eq!(t.infra_retries, 0);
    }
}

#[tokio::test]
async fn a_tb1_oracle_run_leaves_no_reference_solution_behind() {
    if !docker_available() {
        return;
    }
    let suite = tempfile::tempdir().unwrap();
    let d = suite.path().join("tb1-staged");
    std::fs::create_dir_all(d.join("tests")).unwrap();
    std::fs::write(d.join("task.yaml"), "instruction: Create /app/done.\n").unwrap();
    std::fs::write(d.join("Dockerfile"), "FROM debian:bookworm\nWORKDIR /app\n").unwrap();
    std::fs::write(
        d.join("run-tests.sh"),
        "#!/bin/bash\nif [ -f /app/done ]; then echo 'PASSED test_outputs.py::test_done'; else echo 'FAILED test_outputs.py::test_done'; fi\n",
    )
    .unwrap();
    let marker = format!("reference-{}", std::process::id());
    std::fs::write(
        d.join("solution.sh"),
        format!("#!/bin/bash\n# {marker}\ntouch /app/done\n"),
    )
    .unwrap();
    let trials = run_sequential(suite.path(), oracle()).await;
    assert_eq!(trials[0].outcome, Outcome::Resolved, "{:?}", trials[0]);
    // No staged copy of this task's solution is left in the temporary folder.
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("tribench-solutions-")
        })
        .filter(|e| {
            walk(&e.path())
                .iter()
                .any(|f| std::fs::read_to_string(f).is_ok_and(|s| s.contains(&marker)))
        })
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A forger that first opens a listening socket, so grading spares it as a service: it rewrites
/// the reward (its own `/logs/verifier`, and any other process's through `/proc/<pid>/root`)
/// and every copy of the tests it finds, 100 times a second.
const LISTENING_FORGER: &str = r#"nohup perl -e '
use Socket; socket(S, PF_INET, SOCK_STREAM, 0) or die; setsockopt(S, SOL_SOCKET, SO_REUSEADDR, 1);
bind(S, sockaddr_in(8080, INADDR_ANY)) or die; listen(S, 5) or die;
while (1) {
  for my $d ("/logs/verifier", glob("/proc/[0-9]*/root/logs/verifier")) {
    if (open(my $f, ">", "$d/.r")) { print $f "1\n"; close $f; rename("$d/.r", "$d/reward.txt") }
  }
  for my $t ("/tests/test.sh", glob("/proc/[0-9]*/root/tests/test.sh")) {
    if (-e $t && open(my $f, ">", "$t.new")) { print $f "echo 1 > /logs/verifier/reward.txt\n"; close $f; rename("$t.new", $t) }
  }
  select(undef, undef, undef, 0.01);
}' >/dev/null 2>&1 &
for _ in $(seq 100); do grep -q ':1F90 00000000:0000 0A' /proc/net/tcp && break; sleep 0.1; done; echo started"#;

#[tokio::test]
async fn a_forger_left_listening_as_a_service_forges_nothing() {
    if !docker_available() {
        return;
    }
    let suite = tempfile::tempdir().unwrap();
    task(suite.path(), "a-listening-forger", 512);
    task(suite.path(), "b-honest-with-listening-forger", 512);
    let (_server, agent) = agent_running(&[
        LISTENING_FORGER,
        &format!("touch /app/done; {LISTENING_FORGER}"),
    ])
    .await;
    let trials = run_sequential(suite.path(), agent).await;
    assert_eq!(trials.len(), 2);
    assert_eq!(trials[0].outcome, Outcome::Unresolved, "{:?}", trials[0]);
    assert_eq!(trials[0].tries[0].reward, Some(0.0), "{:?}", trials[0]);
    assert_eq!(trials[1].outcome, Outcome::Resolved, "{:?}", trials[1]);
    assert_eq!(trials[1].tries[0].reward, Some(1.0));
}
