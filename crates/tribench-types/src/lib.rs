//! The vocabulary every tribench crate speaks: what a task is, what one trial produced, and what a
//! run was made of. Serde types only (and the JSON layout Python writes); no I/O lives here.

mod duration;
mod limits;
mod manifest;
mod outcome;
mod pyjson;
mod reward;
pub mod schema;
mod shard;
pub mod swebench;
mod trajectory;
mod trial;

pub use duration::seconds_text;
pub use limits::{group_limits, GradingMode, LimitsGroup, RunLimits, TaskLimits, TrialLimits};
pub use manifest::{
    DatasetInfo, DatasetPin, EnvironmentInfo, ImageRecord, ModelInfo, RunManifest, Sampling,
    ScaffoldInfo, Timeouts,
};
pub use outcome::Outcome;
pub use pyjson::python_json;
pub use reward::{reward_from_json, RewardJsonError};
pub use shard::{Shard, ShardInfo, ShardParseError};
pub use trajectory::{
    ActionResult, CallUsage, ChatMessage, FunctionCall, LlmFormat, LlmTrajectory, Observation,
    OracleTrajectory, ProgramFormat, ProgramRun, ProgramTrajectory, SolutionRun, Step, StepTiming,
    ToolArguments, ToolCall, Trajectory, LLM_TRAJECTORY_FORMAT, PROGRAM_TRAJECTORY_FORMAT,
};
pub use trial::is_plain_file_name;
pub use trial::{
    token_cost, Reference, TestResult, TestStatus, Timings, TrialKey, TrialRecord, TryRecord, Usage,
};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The three task families tribench runs through one engine.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FamilyKind {
    Polyglot,
    Terminal,
    Swebench,
}

impl FamilyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FamilyKind::Polyglot => "polyglot",
            FamilyKind::Terminal => "terminal",
            FamilyKind::Swebench => "swebench",
        }
    }
}

impl std::fmt::Display for FamilyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the engine and the reports know about a task, whatever its family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TaskInfo {
    /// Stable id within its suite, e.g. `python/two-fer`.
    pub id: String,
    pub family: FamilyKind,
    /// The slice reports break scores down by: language for polyglot, category for terminal,
    /// repository for swebench.
    pub group: String,
    /// Where the task was read from.
    pub source: PathBuf,
    /// When the task was created, if the source says (RFC 3339 or a date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}
