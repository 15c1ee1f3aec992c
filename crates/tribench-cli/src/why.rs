//! Why a reference solution failed, from what its trial recorded: the reward, the tests that did
//! not pass, the solution script's exit code, and the grader's own words (which end with the
//! verifier's last lines).

use std::path::Path;
use tribench_store::RunStore;
use tribench_types::{TestStatus, Trajectory, TrialRecord};

/// The reason a trial was not resolved, as `validate --json` gives it.
#[derive(Debug, Clone, serde::Serialize)]
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
