//! The terminal family: Terminal-Bench tasks in both formats, in a container.
//!
//! - Harbor / Terminal-Bench 2: `task.toml`, `instruction.md`, `environment/Dockerfile`,
//!   `tests/test.sh` (writes `/logs/verifier/reward.txt` or `reward.json`), `solution/solve.sh`.
//! - Terminal-Bench 1: `task.yaml`, `Dockerfile`, `docker-compose.yaml` (the `client` service's
//!   build and environment), `run-tests.sh`, `tests/`, `solution.sh`.
//!
//! Tests and solution are never in the container while the agent works: after it stops they are
//! copied to `/tests`, run as root with the verifier timeout, and judged by the reward file, or
//! by the pytest summary when there is none.

mod compose;
mod task;

pub use task::{
    find_task_dirs, load_task, parse_task_toml, parse_task_yaml, TaskSettings, TerminalFormat,
    TerminalTask,
};

use crate::{FamilyContext, FamilyError, GradeResult};
use std::path::Path;
use tribench_sandbox::{ExecOutput, ExecRequest, IsolatedVerifier, Sandbox, SandboxError};
use tribench_types::{Outcome, Reference, TestResult, TestStatus};

/// Reward from `/logs/verifier/reward.txt` (a number) or `reward.json` (decided by
/// [`tribench_types::reward_from_json`]: `"reward"`, or the only key). `Err` names why a
/// reward.json decides nothing; `Ok(None)`: neither file gave a reward.
fn parse_reward(txt: Option<&str>, json: Option<&str>) -> Result<Option<f64>, String> {
    if let Some(x) = txt.and_then(|t| t.trim().parse::<f64>().ok()) {
        return Ok(Some(x));
    }
    match json {
        None => Ok(None),
        Some(text) => tribench_types::reward_from_json(text)
            .map(Some)
            .map_err(|e| format!("/logs/verifier/reward.json {e}")),
    }
}

/// Where grading writes: the tests and the verifier's reward folder. Recreated empty and
/// root-owned before every grading, so whatever the agent put there (a reward file, a directory
/// named like one, a symlink) is gone.
const GRADING_DIRS: [&str; 2] = ["/tests", "/logs/verifier"];

/// Kills every process the agent left in its container and recreates [`GRADING_DIRS`]. A
/// container the agent broke is the agent's failure: `Err` with the unresolved result naming
/// the cause. Engine trouble stays an error (infrastructure).
async fn ready_for_grading(
    sb: &dyn Sandbox,
) -> Result<Result<tribench_sandbox::Quiesced, GradeResult>, FamilyError> {
    match sb.quiesce(&GRADING_DIRS).await {
        Ok(q) => {
            if q.killed > 0 || q.spared > 0 {
                tracing::debug!(
                    killed = q.killed,
                    spared = q.spared,
                    "ended the agent's leftover processes before grading"
                );
            }
            Ok(Ok(q))
        }
        Err(e @ SandboxError::LeftBroken(_)) => {
            Ok(Err(GradeResult::broken_by_agent(e.to_string())))
        }
        Err(e) => Err(e.into()),
    }
}

/// The reward files a Harbor verifier may write, in the order they are looked for.
const REWARD_FILES: [&str; 2] = ["reward.txt", "reward.json"];

/// Runs the verifier. With no process of the agent's left (the usual case) the tests are
/// copied in and run by a plain exec; while services it left are still running (see
/// [`Sandbox::quiesce`]) the verifier runs out of their reach ([`Sandbox::verify_isolated`]),
/// and its reward files come back with it. `None` files: read them from the sandbox.
async fn run_verifier(
    sb: &dyn Sandbox,
    staged: &Path,
    req: ExecRequest,
    survivors: usize,
) -> Result<(ExecOutput, Option<Vec<(String, Vec<u8>)>>), FamilyError> {
    let mut note = None;
    if survivors > 0 {
        let verifier = IsolatedVerifier {
            tests: staged.to_path_buf(),
            tests_at: GRADING_DIRS[0].to_string(),
            results_at: GRADING_DIRS[1].to_string(),
            collect: REWARD_FILES.iter().map(|f| f.to_string()).collect(),
            exec: req.clone(),
        };
        match sb.verify_isolated(verifier).await {
            Ok(v) => return Ok((v.exec, Some(v.files))),
            Err(SandboxError::NotIsolated(why)) => {
                tracing::warn!("{survivors} process(es) the agent left listening stay reachable from the verifier: {why}");
                note = Some(format!(
                    "tribench: the verifier ran within reach of {survivors} process(es) the agent left listening: {why}\n"
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    sb.put_dir(staged, GRADING_DIRS[0]).await?;
    let mut out = sb.exec(req).await?;
    if let Some(note) = note {
        let mut text = note;
        text.push_str(&out.stderr.text);
        out.stderr.text = text;
    }
    Ok((out, None))
}

pub(crate) async fn grade(
    t: &TerminalTask,
    sb: &dyn Sandbox,
    ctx: &FamilyContext,
) -> Result<GradeResult, FamilyError> {
    // Nothing the agent left running may touch grading, and nothing it planted where grading
    // writes counts: see `ready_for_grading`.
    let quiesced = match ready_for_grading(sb).await? {
        Ok(q) => q,
        Err(broken) => return Ok(broken),
    };
    let staged = t.staged_tests()?;
    // The trial's test timeout: the task's own verifier timeout when it sets one.
    let timeout = ctx.test_timeout;
    let script = match t.format {
        TerminalFormat::Harbor => {
            "mkdir -p /logs/verifier /logs/agent && bash /tests/test.sh".to_string()
        }
        TerminalFormat::Tb1 => "bash /tests/run-tests.sh".to_string(),
    };
    // The verifier runs as root whatever the image's USER (the agent ran as that user).
    let mut req = ExecRequest::new(script, timeout)
        .user("root")
        .env("TEST_DIR", "/tests")
        .env("T_BENCH_TEST_DIR", "/tests");
    req.output_cap = ctx.output_cap;
    let (out, results) = run_verifier(sb, staged.path(), req, quiesced.spared).await?;
    let log = out.combined();
    let tests = crate::testlog::parse_pytest(&log);
    let base = GradeResult {
        outcome: Outcome::Unresolved,
        exit_code: out.exit_code,
        tests: tests.clone(),
        log,
        test_ms: out.duration.as_millis() as u64,
        reward: None,
        error: None,
        artifacts: Vec::new(),
    };
    if out.timed_out {
        return Ok(GradeResult {
            outcome: Outcome::TestTimeout,
            error: Some(format!(
                "the tests did not finish within {}s",
                timeout.as_secs()
            )),
            ..base
        });
    }
    let reward = match t.format {
        TerminalFormat::Harbor => {
            let results = &results;
            let read = |f: &'static str| async move {
                let bytes = match results {
                    Some(files) => files.iter().find(|(n, _)| n == f).map(|(_, b)| b.clone()),
                    None => sb
                        .read_abs(&format!("{}/{f}", GRADING_DIRS[1]))
                        .await
                        .ok()
                        .flatten(),
                };
                bytes.map(|b| String::from_utf8_lossy(&b).into_owned())
            };
            let txt = read("reward.txt").await;
            // reward.json is only looked for when there is no reward.txt.
            let json = if txt.is_some() {
                None
            } else {
                read("reward.json").await
            };
            match parse_reward(txt.as_deref(), json.as_deref()) {
                Ok(r) => r,
                // The task's verifier wrote a reward nobody can decide: the task is broken,
                // never a pass and never the agent's failure.
                Err(why) => {
                    return Ok(GradeResult {
                        outcome: Outcome::EnvironmentError,
                        error: Some(format!("task {}: {why}", t.id)),
                        ..base
                    })
                }
            }
        }
        TerminalFormat::Tb1 => None,
    };
    if let Some(r) = reward {
        if r > 0.0 {
            return Ok(GradeResult {
                outcome: Outcome::Resolved,
                reward: Some(r),
                ..base
            });
        }
        let error = Some(why_unresolved(Some(r), &base.tests, &base.log));
        return Ok(GradeResult {
            outcome: Outcome::Unresolved,
            reward: Some(r),
            error,
            ..base
        });
    }
    if tests.is_empty() {
        let what = match t.format {
            TerminalFormat::Harbor => "tests/test.sh wrote no /logs/verifier/reward.txt or reward.json and printed no pytest results",
            TerminalFormat::Tb1 => "run-tests.sh printed no pytest results to parse",
        };
        return Ok(GradeResult {
            outcome: Outcome::EnvironmentError,
            error: Some(format!(
                "task {}: {what} (exit code {:?})",
                t.id, out.exit_code
            )),
            ..base
        });
    }
    let all_passed = tests
        .iter()
        .all(|r| matches!(r.status, TestStatus::Passed | TestStatus::Xfail));
    if all_passed {
        return Ok(GradeResult {
            outcome: Outcome::Resolved,
            ..base
        });
    }
    let error = Some(why_unresolved(None, &base.tests, &base.log));
    Ok(GradeResult {
        outcome: Outcome::Unresolved,
        error,
        ..base
    })
}

/// Lines of the verifier's output kept in the reason a task was not resolved.
const REASON_TAIL_LINES: usize = 12;

/// Why a graded task was not resolved, in a few lines: the reward, the failing tests, and the
/// end of the verifier's output.
fn why_unresolved(reward: Option<f64>, tests: &[TestResult], log: &str) -> String {
    let mut parts = Vec::new();
    if let Some(r) = reward {
        parts.push(format!("reward {r}"));
    }
    let failing: Vec<String> = tests
        .iter()
        .filter(|t| !matches!(t.status, TestStatus::Passed | TestStatus::Xfail))
        .map(|t| match t.status {
            TestStatus::Failed => t.name.clone(),
            other => format!("{} ({})", t.name, format!("{other:?}").to_lowercase()),
        })
        .collect();
    if !failing.is_empty() {
        parts.push(format!("failing tests: {}", failing.join(", ")));
    }
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = &lines[lines.len().saturating_sub(REASON_TAIL_LINES)..];
    if tail.is_empty() {
        parts.push("the verifier printed nothing".into());
    } else {
        parts.push(format!(
            "the verifier's last lines:\n  {}",
            tail.join("\n  ")
        ));
    }
    parts.join("; ")
}

/// A Terminal-Bench task as the engine runs it: graded in the agent's own container, after
/// everything the agent left running there was ended.
#[async_trait::async_trait]
impl crate::Task for TerminalTask {
    fn environment(&self) -> crate::Environment {
        crate::Environment::Container {
            image: self.image.clone(),
            env: self.env.clone(),
            workdir: None,
        }
    }

    fn services(&self) -> Option<tribench_sandbox::ServiceGroup> {
        self.services.clone()
    }

    /// `task.toml`'s `[agent]`/`[verifier] timeout_sec`, `[environment] build_timeout_sec`,
    /// `cpus`, `memory_mb` and `allow_internet`; `task.yaml`'s `max_agent_timeout_sec` and
    /// `max_test_timeout_sec`.
    fn limits(&self) -> tribench_types::TaskLimits {
        tribench_types::TaskLimits {
            agent_timeout_sec: self.agent_timeout.map(|d| d.as_secs_f64()),
            test_timeout_sec: self.verifier_timeout.map(|d| d.as_secs_f64()),
            build_timeout_sec: self.build_timeout.map(|d| d.as_secs_f64()),
            cpus: self.cpus,
            memory_mb: self.memory_mb,
            network: Some(self.network),
        }
    }

    fn instruction(&self) -> String {
        self.instruction.clone()
    }

    fn reference(&self) -> Result<Reference, FamilyError> {
        let (dir, command) = match self.format {
            TerminalFormat::Harbor => (self.dir.join("solution"), "bash /solution/solve.sh"),
            // TB1 keeps solution.sh at the task's top level: stage it in a folder of its own.
            TerminalFormat::Tb1 => (self.staged_solution()?, "bash /solution/solution.sh"),
        };
        Ok(Reference::Bundle {
            dir: dir.display().to_string(),
            dest: "/solution".into(),
            command: command.into(),
        })
    }

    /// Makes `/logs/agent` and `/logs/verifier` writable by whatever user the image runs as (as
    /// Harbor does right after starting the environment), working as root whatever the image's
    /// `USER`.
    async fn prepare(&self, sb: &dyn Sandbox) -> Result<(), FamilyError> {
        let req = ExecRequest::new(
            "mkdir -p /logs/agent /logs/verifier && chmod 777 /logs/agent /logs/verifier",
            std::time::Duration::from_secs(60),
        )
        .user("root");
        let out = sb.exec(req).await?;
        if !out.success() {
            return Err(FamilyError::InvalidTask {
                path: self.dir.clone(),
                message: format!(
                    "task {}: cannot create /logs/agent and /logs/verifier in the container: {}",
                    self.id,
                    out.combined().trim()
                ),
            });
        }
        Ok(())
    }

    async fn grade(
        &self,
        sb: &dyn Sandbox,
        _fresh: &dyn crate::FreshSandboxes,
        ctx: &FamilyContext,
    ) -> Result<GradeResult, FamilyError> {
        grade(self, sb, ctx).await
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewards_from_text_or_json() {
        assert_eq!(parse_reward(Some("1\n"), None), Ok(Some(1.0)));
        assert_eq!(parse_reward(Some("0.25"), None), Ok(Some(0.25)));
        assert_eq!(parse_reward(None, Some("{\"reward\": 0.0}")), Ok(Some(0.0)));
        assert_eq!(
            parse_reward(None, Some("{\"accuracy\": 0.5}")),
            Ok(Some(0.5))
        );
        let e = parse_reward(None, Some("{\"accuracy\": 0.5, \"n\": 1}")).unwrap_err();
        assert!(
            e.contains("reward.json") && e.contains("accuracy, n"),
            "{e}"
        );
        assert!(parse_reward(Some("garbage"), Some("not json")).is_err());
        assert_eq!(parse_reward(None, None), Ok(None));
    }
}
