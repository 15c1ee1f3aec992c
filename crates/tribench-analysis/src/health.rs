//! Task and run health: the verdicts of `validate` (the oracle must resolve every task, the nop
//! agent none, and repeated oracle runs must agree), why a reference solution failed, and the
//! check that a run whose every trial ended in an infrastructure error measured nothing.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use tribench_store::{RunStore, StoreError};
use tribench_types::{Outcome, TestStatus, Trajectory, TrialRecord};

/// The reason a trial was not resolved, as `validate --json` gives it.
#[derive(Debug, Clone, Serialize)]
pub struct FailureReason {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reward: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failing_tests: Vec<String>,
    /// The exit code of the solution script (Terminal-Bench's `solve.sh`), when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_exit_code: Option<i64>,
    /// What the harness said: the verifier's last lines, or the error that stopped the trial.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl FailureReason {
    /// Reads the reason from a trial recorded in the run directory `run_dir`.
    pub fn of(run_dir: &Path, t: &TrialRecord) -> FailureReason {
        let last = t.tries.last();
        let failing_tests = last
            .map(|tr| {
                tr.tests
                    .iter()
                    .filter(|x| !matches!(x.status, TestStatus::Passed | TestStatus::Xfail))
                    .map(|x| x.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        let solution_exit_code = match RunStore::read_trajectory(run_dir, &t.trial_id) {
            Ok(Some(Trajectory::Oracle(o))) => o.solution.exit_code,
            _ => None,
        };
        FailureReason {
            reward: last.and_then(|tr| tr.reward),
            failing_tests,
            solution_exit_code,
            reason: t.error.clone(),
        }
    }

    /// One line (and the verifier's tail) for people.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = self.solution_exit_code.filter(|c| *c != 0) {
            parts.push(format!("the solution script exited with {c}"));
        }
        match &self.reason {
            Some(r) => parts.push(r.clone()),
            None => {
                if let Some(r) = self.reward {
                    parts.push(format!("reward {r}"));
                }
                if !self.failing_tests.is_empty() {
                    parts.push(format!("failing tests: {}", self.failing_tests.join(", ")));
                }
            }
        }
        parts.join("; ")
    }
}

/// One task's validation verdict.
#[derive(Debug, Clone, Serialize)]
pub struct TaskCheck {
    pub id: String,
    pub group: String,
    pub oracle: Outcome,
    pub nop: Outcome,
    /// Oracle runs (more than one with --repeat) and how many resolved.
    pub oracle_runs: usize,
    pub oracle_resolved: usize,
    pub flaky: bool,
    /// Why the oracle did not resolve it: reward, failing tests, the solution's exit code, the
    /// verifier's last lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oracle_failure: Option<FailureReason>,
    pub ok: bool,
    pub problems: Vec<String>,
}

/// The validation of a suite: one check per task and the totals.
#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    pub tasks: Vec<TaskCheck>,
    /// Tasks with at least one problem.
    pub broken: usize,
    pub total: usize,
    /// Oracle runs per task that actually ran (an interrupted or resumed validation may differ
    /// from what was asked).
    pub repetitions: usize,
    pub flaky: usize,
}

/// What one agent's run recorded per task: the worst outcome (a task is only as good as its
/// worst run) with its error, and every oracle outcome in order.
struct AgentRecord {
    worst: BTreeMap<String, (Outcome, Option<String>)>,
    runs: BTreeMap<String, Vec<Outcome>>,
    failures: BTreeMap<String, FailureReason>,
}

fn read_agent_run(dir: &Path) -> Result<AgentRecord, StoreError> {
    let store = RunStore::open_for_reading(dir)?;
    let mut rec = AgentRecord {
        worst: BTreeMap::new(),
        runs: BTreeMap::new(),
        failures: BTreeMap::new(),
    };
    for t in store.trials()? {
        rec.runs
            .entry(t.task_id.clone())
            .or_default()
            .push(t.outcome);
        if t.outcome != Outcome::Resolved {
            rec.failures
                .entry(t.task_id.clone())
                .or_insert_with(|| FailureReason::of(dir, &t));
        }
        // Keep the first failure, if any.
        let keep = rec
            .worst
            .get(&t.task_id)
            .is_some_and(|(o, _)| *o != Outcome::Resolved);
        if !keep {
            rec.worst
                .insert(t.task_id.clone(), (t.outcome, t.error.clone()));
        }
    }
    Ok(rec)
}

/// Judges each task of `tasks` (id, group) from the oracle's run in `oracle_dir` and the nop
/// agent's in `nop_dir`: the oracle must resolve it in every run, the nop agent must not.
pub fn validation(
    tasks: &[(String, String)],
    oracle_dir: &Path,
    nop_dir: &Path,
) -> Result<Validation, StoreError> {
    let oracle = read_agent_run(oracle_dir)?;
    let nop = read_agent_run(nop_dir)?;
    let get = |rec: &AgentRecord, id: &str| {
        rec.worst
            .get(id)
            .cloned()
            .unwrap_or((Outcome::HarnessError, Some("no trial recorded".into())))
    };
    let mut checks = Vec::new();
    for (id, group) in tasks {
        let (oracle_outcome, oracle_err) = get(&oracle, id);
        let (nop_outcome, nop_err) = get(&nop, id);
        let mut problems = Vec::new();
        let runs = oracle.runs.get(id).cloned().unwrap_or_default();
        let resolved_runs = runs.iter().filter(|o| **o == Outcome::Resolved).count();
        let flaky = runs.len() > 1 && resolved_runs > 0 && resolved_runs < runs.len();
        if flaky {
            problems.push(format!(
                "flaky: the oracle resolved it in {resolved_runs} of {} runs",
                runs.len()
            ));
        }
        let oracle_failure = oracle.failures.get(id).cloned();
        if oracle_outcome != Outcome::Resolved {
            let why = oracle_failure
                .as_ref()
                .map(FailureReason::summary)
                .filter(|s| !s.is_empty())
                .or(oracle_err);
            problems.push(format!(
                "oracle did not resolve it ({oracle_outcome}{})",
                why.map(|e| format!(": {e}")).unwrap_or_default()
            ));
        }
        if nop_outcome == Outcome::Resolved {
            problems.push("nop resolved it: the tests pass without any change".into());
        } else if nop_outcome.is_infrastructure() {
            problems.push(format!(
                "nop run failed for infrastructure reasons ({nop_outcome}{})",
                nop_err.map(|e| format!(": {e}")).unwrap_or_default()
            ));
        }
        checks.push(TaskCheck {
            id: id.clone(),
            group: group.clone(),
            oracle: oracle_outcome,
            nop: nop_outcome,
            oracle_runs: runs.len(),
            oracle_resolved: resolved_runs,
            flaky,
            oracle_failure,
            ok: problems.is_empty(),
            problems,
        });
    }
    Ok(Validation {
        broken: checks.iter().filter(|c| !c.ok).count(),
        total: checks.len(),
        repetitions: checks.iter().map(|c| c.oracle_runs).max().unwrap_or(0),
        flaky: checks.iter().filter(|c| c.flaky).count(),
        tasks: checks,
    })
}

/// The validation for people: a table per group, the broken tasks with their problems, and
/// the flakiness line when the oracle ran more than once (or `repeat` asked it to).
pub fn render_validation(v: &Validation, repeat: u32) -> String {
    let mut groups: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for c in &v.tasks {
        let g = groups.entry(c.group.as_str()).or_default();
        g.0 += 1;
        g.1 += usize::from(c.oracle == Outcome::Resolved);
        g.2 += usize::from(c.nop == Outcome::Resolved);
    }
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
    t.set_header(vec!["group", "tasks", "oracle resolved", "nop resolved"]);
    let pct = |k: usize, n: usize| {
        let p = if n == 0 {
            0.0
        } else {
            100.0 * k as f64 / n as f64
        };
        format!("{k}/{n} ({p:.0}%)")
    };
    for (g, (n, o, z)) in &groups {
        t.add_row(vec![
            crate::one_line(g),
            n.to_string(),
            pct(*o, *n),
            pct(*z, *n),
        ]);
    }
    let mut out = format!("{t}\n");
    let broken: Vec<&TaskCheck> = v.tasks.iter().filter(|c| !c.ok).collect();
    if broken.is_empty() {
        let _ = writeln!(
            out,
            "all {} tasks are valid: the oracle resolves each and the nop agent none",
            v.total
        );
    } else {
        let _ = writeln!(out, "{} of {} tasks are broken:", broken.len(), v.total);
        for c in broken {
            for p in &c.problems {
                let _ = writeln!(out, "  {}: {p}", c.id);
            }
        }
    }
    if repeat > 1 || v.repetitions > 1 {
        let _ = writeln!(
            out,
            "the oracle ran {} times on each task: {} of {} tasks were flaky (resolved in some runs, not in others)",
            v.repetitions, v.flaky, v.total
        );
    }
    crate::terminal_text(&out)
}

/// Set when every recorded trial of the run in `run_dir` ended in an infrastructure error: the
/// score then says nothing about the agent, and the run must not look like it measured
/// something. `then` says what to do once the cause is fixed.
pub fn all_infrastructure(run_dir: &Path, then: &str) -> Result<Option<String>, StoreError> {
    let trials = RunStore::open_for_reading(run_dir)?.trials()?;
    if trials.is_empty() || !trials.iter().all(|t| t.outcome.is_infrastructure()) {
        return Ok(None);
    }
    let mut kinds: BTreeMap<Outcome, usize> = BTreeMap::new();
    for t in &trials {
        *kinds.entry(t.outcome).or_default() += 1;
    }
    let kinds = kinds
        .iter()
        .map(|(o, n)| format!("{o} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let first = trials
        .iter()
        .find_map(|t| t.error.as_deref())
        .unwrap_or("no cause recorded");
    Ok(Some(format!(
        "every trial ({}) ended in an infrastructure error ({kinds}), so the score measures nothing about the agent; first cause: {first}. Fix the cause, then {then}",
        trials.len()
    )))
}
