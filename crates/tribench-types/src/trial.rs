//! `trials.sqlite` rows: one [`TrialRecord`] per finished trial, with its tries, tests, usage
//! and timings.

use crate::{FamilyKind, Outcome};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Identifies one trial in a run: a task and the attempt number (1-based).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub struct TrialKey {
    pub task_id: String,
    pub attempt: u32,
}

/// Whether `name` can stand as one folder or file name inside a run directory as it is: not
/// empty, not `.` or `..`, and free of path separators, NUL and other control characters.
/// Task ids and model names that other formats use as folder names (SWE-bench's
/// `<model>/<instance_id>/report.json`) must pass it, so that no dataset or prediction can
/// write outside the folder meant for it.
pub fn is_plain_file_name(name: &str) -> bool {
    !matches!(name, "" | "." | "..")
        && !name
            .chars()
            .any(|c| matches!(c, '/' | '\\') || c.is_control())
}

impl TrialKey {
    /// A file-system-safe id, unique within a run: `python+two-fer.a1`. Slashes become `+`;
    /// any other character outside `[A-Za-z0-9._-]` becomes `-`, and then a hash of the real id
    /// is appended so two ids never map to one directory.
    pub fn trial_id(&self) -> String {
        let mut lossy = false;
        let safe: String = self
            .task_id
            .chars()
            .map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' => c,
                '/' => '+',
                _ => {
                    lossy = true;
                    '-'
                }
            })
            .collect();
        if lossy {
            format!(
                "{safe}-{:08x}.a{}",
                fnv1a(self.task_id.as_bytes()) as u32,
                self.attempt
            )
        } else {
            format!("{safe}.a{}", self.attempt)
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

/// The reference solution of a task, handed to the oracle agent only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reference {
    /// Files to write, relative to the task workspace.
    Files { files: Vec<(String, Vec<u8>)> },
    /// A unified diff to apply in the workspace.
    Patch { patch: String },
    /// A host directory copied to `dest` in the sandbox, then `command` run in the workspace
    /// (Terminal-Bench's `solution/solve.sh`).
    Bundle {
        dir: String,
        dest: String,
        command: String,
    },
}

/// Status of one test as parsed from a runner's output.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TestStatus {
    Passed,
    Failed,
    Error,
    Skipped,
    Xfail,
    Xpass,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TestResult {
    pub name: String,
    pub status: TestStatus,
}

/// One grading pass. Polyglot tasks get up to two, the second after the failing output was
/// shown to the agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TryRecord {
    /// 1-based.
    pub index: u32,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<TestResult>,
    /// Wall time of the test command(s) alone.
    pub test_ms: u64,
    /// Artifact (relative to the run directory) holding the test output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_artifact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward: Option<f64>,
}

/// Tokens, cost and steps an agent used in a trial. A field missing from an old file reads as 0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cached_tokens: u64,
    pub cost_usd: f64,
    pub steps: u32,
    /// The source never reported tokens (an imported run): the counts above are not zeros.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tokens_unknown: bool,
    /// Nothing priced this usage (an import without costs).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cost_unknown: bool,
    /// `cost_usd` was computed from known prices, so a zero is a real zero (a local model
    /// priced at nothing), not a missing price.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub priced: bool,
}

impl Usage {
    pub fn add(&mut self, other: &Usage) {
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.cached_tokens += other.cached_tokens;
        self.cost_usd += other.cost_usd;
        self.steps += other.steps;
        self.tokens_unknown |= other.tokens_unknown;
        self.cost_unknown |= other.cost_unknown;
        self.priced |= other.priced;
    }

    /// Whether `cost_usd` is a cost and not a missing one. A usage priced from known prices
    /// is known even at zero; otherwise tokens spent at a cost of exactly zero mean no prices
    /// were known (records written before `priced` existed; models files fill these in).
    pub fn cost_known(&self) -> bool {
        if self.cost_unknown {
            return false;
        }
        self.priced || self.cost_usd != 0.0 || self.prompt_tokens + self.completion_tokens == 0
    }
}

/// Token prices in USD per million tokens. Cached prompt tokens cost the input price unless
/// they have a price of their own.
pub fn token_cost(
    prompt_tokens: u64,
    completion_tokens: u64,
    cached_tokens: u64,
    input_per_mtok: f64,
    output_per_mtok: f64,
    cached_per_mtok: Option<f64>,
) -> f64 {
    let cached = cached_tokens.min(prompt_tokens) as f64;
    let fresh = prompt_tokens as f64 - cached;
    (fresh * input_per_mtok
        + cached * cached_per_mtok.unwrap_or(input_per_mtok)
        + completion_tokens as f64 * output_per_mtok)
        / 1e6
}

/// Where a trial's wall time went, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Timings {
    /// Opening the sandbox and preparing the task in it.
    pub setup_ms: u64,
    /// The agent's turns, summed.
    pub agent_ms: u64,
    /// Grading, including the test commands.
    pub grade_ms: u64,
    /// The test commands alone, summed over tries.
    pub test_ms: u64,
    /// Everything, from the trial's start to its record being ready.
    pub total_ms: u64,
}

impl Timings {
    /// Time the harness itself added: everything that was neither the agent nor a test command.
    pub fn overhead_ms(&self) -> u64 {
        self.total_ms.saturating_sub(self.agent_ms + self.test_ms)
    }

    /// Whether the trial's time was recorded. Every trial tribench runs takes some time, so a
    /// total of zero means the source (an imported run) did not say.
    pub fn known(&self) -> bool {
        self.total_ms > 0
    }
}

/// Everything one trial produced. Written once, atomically, when the trial ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TrialRecord {
    pub trial_id: String,
    pub task_id: String,
    pub attempt: u32,
    pub family: FamilyKind,
    pub group: String,
    /// When the task was created, if its source says: what freshness splits use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_created_at: Option<String>,
    pub agent: String,
    pub outcome: Outcome,
    /// The first try that passed, if any (1 = first try).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed_on_try: Option<u32>,
    pub tries: Vec<TryRecord>,
    #[serde(default)]
    pub usage: Usage,
    #[serde(default)]
    pub timings: Timings,
    /// What went wrong, in words a user can act on, when the outcome is not a plain pass/fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the trial ran against (model id, endpoint, sampling), for agents behind a model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<crate::ModelInfo>,
    /// How many times an infrastructure error made the engine start this trial again.
    #[serde(default)]
    pub infra_retries: u32,
    /// Artifact paths relative to the run directory.
    #[serde(default)]
    pub artifacts: Vec<String>,
    pub started_at: String,
    pub ended_at: String,
    /// The limits the trial ran under, as decided for it (absent in runs recorded before
    /// limits were).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<crate::TrialLimits>,
}

impl TrialRecord {
    /// The record of a trial of `key` with nothing else known yet: no tries, usage, timings,
    /// dates, error or limits. Whoever builds a record (the engine, an importer) sets the rest.
    pub fn new(
        key: &TrialKey,
        family: FamilyKind,
        group: impl Into<String>,
        agent: impl Into<String>,
        outcome: Outcome,
    ) -> TrialRecord {
        TrialRecord {
            trial_id: key.trial_id(),
            task_id: key.task_id.clone(),
            attempt: key.attempt,
            family,
            group: group.into(),
            task_created_at: None,
            agent: agent.into(),
            outcome,
            passed_on_try: None,
            tries: Vec::new(),
            usage: Usage::default(),
            timings: Timings::default(),
            error: None,
            model: None,
            infra_retries: 0,
            artifacts: Vec::new(),
            started_at: String::new(),
            ended_at: String::new(),
            limits: None,
        }
    }

    pub fn key(&self) -> TrialKey {
        TrialKey {
            task_id: self.task_id.clone(),
            attempt: self.attempt,
        }
    }

    pub fn resolved(&self) -> bool {
        self.outcome == Outcome::Resolved
    }

    /// Resolved within the first `n` tries.
    pub fn resolved_within(&self, n: u32) -> bool {
        self.passed_on_try.is_some_and(|t| t <= n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_single_plain_names_pass_as_file_names() {
        for ok in [
            "django__django-11099",
            "instance_NodeBB__NodeBB-0499-vnan",
            "a.b",
            "...",
        ] {
            assert!(is_plain_file_name(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "/tmp/x",
            "a/b",
            "a\\b",
            "a\0b",
            "a\nb",
            "a\u{1b}[2J",
        ] {
            assert!(!is_plain_file_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn trial_ids_are_path_safe_and_distinct() {
        let a = TrialKey {
            task_id: "python/two-fer".into(),
            attempt: 1,
        }
        .trial_id();
        let b = TrialKey {
            task_id: "python+two-fer".into(),
            attempt: 1,
        }
        .trial_id();
        assert_eq!(a, "python+two-fer.a1");
        assert_ne!(a, b);
        let d = TrialKey {
            task_id: "a b".into(),
            attempt: 1,
        }
        .trial_id();
        let e = TrialKey {
            task_id: "a:b".into(),
            attempt: 1,
        }
        .trial_id();
        assert_ne!(d, e);
        let c = TrialKey {
            task_id: "a b/c:d".into(),
            attempt: 3,
        }
        .trial_id();
        assert!(!c.contains('/') && !c.contains(' ') && !c.contains(':'));
    }

    #[test]
    fn a_new_record_knows_its_key_and_nothing_else() {
        let key = TrialKey {
            task_id: "python/two-fer".into(),
            attempt: 2,
        };
        let r = TrialRecord::new(
            &key,
            FamilyKind::Polyglot,
            "python",
            "oracle",
            Outcome::Resolved,
        );
        assert_eq!(r.trial_id, "python+two-fer.a2");
        assert_eq!(r.key(), key);
        assert_eq!((r.group.as_str(), r.agent.as_str()), ("python", "oracle"));
        assert_eq!(r.outcome, Outcome::Resolved);
        assert!(r.tries.is_empty() && r.artifacts.is_empty());
        assert_eq!((r.passed_on_try, r.error, r.limits), (None, None, None));
        assert_eq!(r.usage, Usage::default());
        assert!(!r.timings.known());
        assert!(r.started_at.is_empty() && r.ended_at.is_empty());
    }
}
