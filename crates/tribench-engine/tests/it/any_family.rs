//! The engine runs any [`Task`]: a family it has never heard of, defined here, runs end to end,
//! with its own limits decided against the run's, recorded per trial and in the manifest, and
//! its patches made elsewhere graded through the one path there is. And the engine's source
//! names no family.

use super::{scripted_named, trials_in};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tribench_agents::{Agent, Predictions, TurnOutcome};
use tribench_engine::EngineConfig;
use tribench_families::{
    Environment, FamilyContext, FamilyError, FreshSandboxes, GradeResult, Suite, SuiteTask, Task,
};
use tribench_sandbox::Sandbox;
use tribench_store::RunStore;
use tribench_types::{
    FamilyKind, Outcome, Reference, TaskInfo, TaskLimits, TrialLimits, TrialRecord,
};

/// A family of one file: the agent must make `answer.txt` say 42.
#[derive(Debug)]
struct Toy {
    limits: TaskLimits,
}

#[async_trait]
impl Task for Toy {
    fn environment(&self) -> Environment {
        Environment::Workspace { name: "toy".into() }
    }

    fn limits(&self) -> TaskLimits {
        self.limits.clone()
    }

    fn instruction(&self) -> String {
        "Make answer.txt say 42.".into()
    }

    fn reference(&self) -> Result<Reference, FamilyError> {
        Ok(Reference::Files {
            files: vec![("answer.txt".into(), b"42\n".to_vec())],
        })
    }

    async fn prepare(&self, sb: &dyn Sandbox) -> Result<(), FamilyError> {
        sb.write_file("answer.txt", b"?\n").await?;
        Ok(())
    }

    /// Graded in place, and says what a fresh sandbox held (the task as prepared) and which
    /// test timeout grading got.
    async fn grade(
        &self,
        sb: &dyn Sandbox,
        fresh: &dyn FreshSandboxes,
        ctx: &FamilyContext,
    ) -> Result<GradeResult, FamilyError> {
        let answer = sb.read_file("answer.txt").await?;
        let other = fresh.open().await.map_err(|u| FamilyError::InvalidTask {
            path: "toy".into(),
            message: u.message,
        })?;
        let pristine = other.read_file("answer.txt").await?;
        other.stop().await?;
        let mut g = GradeResult::broken_by_agent(String::new());
        g.error = None;
        g.outcome = if answer == b"42\n" {
            Outcome::Resolved
        } else {
            Outcome::Unresolved
        };
        g.log = format!(
            "test timeout {}s; output cap {}; fresh sandbox holds {:?}",
            ctx.test_timeout.as_secs_f64(),
            ctx.output_cap,
            String::from_utf8_lossy(&pristine)
        );
        Ok(g)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn toy_suite(dir: &Path) -> Suite {
    let task = |id: &str, limits: TaskLimits| {
        SuiteTask::new(
            TaskInfo {
                id: id.into(),
                family: FamilyKind::Terminal,
                group: "toy".into(),
                source: dir.to_path_buf(),
                created_at: None,
            },
            format!("sum-{id}"),
            Arc::new(Toy { limits }),
        )
    };
    Suite {
        name: "toys".into(),
        family: FamilyKind::Terminal,
        path: dir.to_path_buf(),
        tasks: vec![
            task(
                "limited",
                TaskLimits {
                    agent_timeout_sec: Some(45.0),
                    test_timeout_sec: Some(7.0),
                    cpus: Some(1.5),
                    network: Some(false),
                    ..TaskLimits::default()
                },
            ),
            task("plain", TaskLimits::default()),
        ],
    }
}

fn config(run_dir: &Path) -> EngineConfig {
    let mut c = super::config(run_dir);
    c.build_timeout_sec = 900;
    c.cpus = Some(3.0);
    c.memory_mb = Some(2048);
    c.seed = Some(100);
    c.network = true;
    c.output_cap = 4096;
    c
}

/// Each session's task id and seed.
type Seeds = Arc<Mutex<Vec<(String, Option<u64>)>>>;

/// Writes the answer and notes the seed it was handed.
fn answering(seeds: Seeds) -> Arc<dyn Agent> {
    scripted_named(
        "answering",
        move |task| {
            seeds
                .lock()
                .unwrap()
                .push((task.task.id.clone(), task.seed))
        },
        |_, _, sb| {
            Box::pin(async move {
                sb.write_file("answer.txt", b"42\n").await?;
                Ok(TurnOutcome::default())
            })
        },
    )
}

async fn run(dir: &Path, agent: Arc<dyn Agent>, cfg: EngineConfig) -> Vec<TrialRecord> {
    let run_dir = cfg.run_dir.clone();
    tribench_engine::run(vec![toy_suite(dir)], agent, cfg, std::future::pending())
        .await
        .unwrap();
    trials_in(&run_dir)
}

fn find<'a>(recs: &'a [TrialRecord], task: &str, attempt: u32) -> &'a TrialRecord {
    recs.iter()
        .find(|r| r.task_id == task && r.attempt == attempt)
        .unwrap()
}

#[tokio::test]
async fn a_family_the_engine_never_heard_of_runs_with_its_own_limits_recorded() {
    let work = tempfile::tempdir().unwrap();
    let seeds = Arc::new(Mutex::new(Vec::new()));
    let mut cfg = config(&work.path().join("run"));
    cfg.attempts = 2;
    let recs = run(work.path(), answering(seeds.clone()), cfg.clone()).await;
    assert_eq!(recs.len(), 4);
    for r in &recs {
        assert_eq!(r.outcome, Outcome::Resolved, "{r:?}");
    }
    let cap = 4096;
    // The task's own limits beat the run's; the run's fill the rest; the seed is the run's
    // plus the attempt number less one.
    let limited = TrialLimits {
        setup_timeout_sec: 60.0,
        agent_timeout_sec: 45.0,
        test_timeout_sec: 7.0,
        build_timeout_sec: 900.0,
        network: false,
        cpus: Some(1.5),
        memory_mb: Some(2048),
        output_cap: cap,
        seed: Some(101),
    };
    assert_eq!(find(&recs, "limited", 2).limits.as_ref(), Some(&limited));
    let plain = TrialLimits {
        agent_timeout_sec: 60.0,
        test_timeout_sec: 60.0,
        network: true,
        cpus: Some(3.0),
        seed: Some(100),
        ..limited.clone()
    };
    assert_eq!(find(&recs, "plain", 1).limits.as_ref(), Some(&plain));
    // Grading got the trial's test timeout, and a fresh sandbox held the task as prepared.
    let out = find(&recs, "limited", 1).tries[0]
        .output_artifact
        .clone()
        .unwrap();
    let log = std::fs::read_to_string(work.path().join("run").join(out)).unwrap();
    assert!(log.contains("test timeout 7s; output cap 4096"), "{log}");
    assert!(log.contains("fresh sandbox holds \"?\\n\""), "{log}");
    // The agent was handed each trial's seed.
    let mut seen = seeds.lock().unwrap().clone();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("limited".to_string(), Some(100)),
            ("limited".to_string(), Some(101)),
            ("plain".to_string(), Some(100)),
            ("plain".to_string(), Some(101)),
        ]
    );
    // The manifest: the run's effective limits, and each task's.
    let manifest = RunStore::open_for_reading(&work.path().join("run"))
        .unwrap()
        .read_manifest()
        .unwrap()
        .unwrap();
    assert_eq!(manifest.limits.as_ref(), Some(&cfg.limits()));
    assert_eq!(manifest.seed, 100);
    assert_eq!(manifest.environment.cpus, Some(3.0));
    let limited_1 = TrialLimits {
        seed: Some(100),
        ..limited
    };
    assert_eq!(manifest.task_limits.len(), 2);
    let group = |task: &str| {
        manifest
            .task_limits
            .iter()
            .find(|g| g.tasks == vec![task.to_string()])
            .map(|g| g.limits.clone())
    };
    assert_eq!(group("limited"), Some(limited_1));
    assert_eq!(group("plain"), Some(plain));
}

#[tokio::test]
async fn patches_made_elsewhere_are_graded_by_the_task_in_a_fresh_sandbox() {
    let work = tempfile::tempdir().unwrap();
    let good = "--- a/answer.txt\n+++ b/answer.txt\n@@ -1 +1 @@\n-?\n+42\n";
    let patches = BTreeMap::from([
        ("limited".to_string(), Some(good.to_string())),
        (
            "plain".to_string(),
            Some(
                "--- a/answer.txt\n+++ b/answer.txt\n@@ -1 +1 @@\n-no such line\n+42\n".to_string(),
            ),
        ),
    ]);
    let recs = run(
        work.path(),
        Arc::new(Predictions::new("preds", patches)),
        config(&work.path().join("run")),
    )
    .await;
    let limited = find(&recs, "limited", 1);
    assert_eq!(limited.outcome, Outcome::Resolved, "{limited:?}");
    assert!(limited.artifacts.iter().any(|a| a.ends_with("/diff.patch")));
    let plain = find(&recs, "plain", 1);
    assert_eq!(plain.outcome, Outcome::PatchApplyFailed, "{plain:?}");
    assert!(
        plain.error.as_deref().unwrap().contains("does not apply"),
        "{plain:?}"
    );
}

/// The engine names no family: what it needs of one goes through [`Task`].
#[test]
fn the_engine_source_names_no_family() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        // Unit tests need a `FamilyKind` value of some family; the code they test does not.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (i, line) in code.lines().enumerate() {
            // std's TTY check (`IsTerminal`) is not the Terminal-Bench family.
            let lower = line
                .to_lowercase()
                .replace("isterminal", "")
                .replace("is_terminal", "");
            for name in [
                "swebench",
                "swe-bench",
                "polyglot",
                "terminal",
                "exercism",
                "harbor",
            ] {
                if lower.contains(name) {
                    found.push(format!("{}:{}: {line}", path.display(), i + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
