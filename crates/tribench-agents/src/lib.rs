//! Agents: whatever works on a task between preparation and grading. The engine starts one
//! session per trial and calls [`AgentSession::turn`] once per try, with the instruction first
//! and the family's feedback after a failed try.

pub mod build;
pub mod cli;
pub mod llm;
mod nop;
mod oracle;
pub mod predictions;

pub use nop::Nop;
pub use oracle::Oracle;
pub use predictions::Predictions;

use async_trait::async_trait;
use tribench_sandbox::{Sandbox, SandboxError};
use tribench_types::{ModelInfo, Outcome, Reference, TaskInfo, Usage};

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("the agent's sandbox failed: {0}")]
    Sandbox(#[from] SandboxError),
    #[error("{0}")]
    Failed(String),
    #[error("{agent} needs the task's reference solution, which the engine did not provide")]
    NoReference { agent: String },
    /// The model endpoint could not be used (unreachable, timed out, 5xx or a broken reply after
    /// the client's retries): an infrastructure failure, recorded as `model_error`.
    #[error("{0}")]
    ModelUnavailable(String),
    /// The endpoint refused for good (bad key, unknown model): every other trial would fail the
    /// same way, so the run stops.
    #[error("{0}")]
    ModelRefused(String),
}

/// What a session gets to start with.
#[derive(Debug, Clone)]
pub struct AgentTask {
    pub task: TaskInfo,
    pub instruction: String,
    /// Present only for agents whose [`Agent::needs_reference`] is true.
    pub reference: Option<Reference>,
    /// The trial's seed (see `tribench_types::TrialLimits::seed`); `None`: the run set none.
    pub seed: Option<u64>,
}

/// How one turn ended.
#[derive(Debug, Clone, Default)]
pub struct TurnOutcome {
    pub usage: Usage,
    /// Set when the agent stopped for a reason other than submitting: a limit, a malformed
    /// reply, an exhausted context. The work is still graded.
    pub stopped: Option<Outcome>,
}

/// An agent kind, configured once per run.
pub trait Agent: Send + Sync {
    fn name(&self) -> &str;
    fn version(&self) -> String;
    /// A hash of everything configurable about the agent, for the run manifest.
    fn config_hash(&self) -> String;
    /// Only the oracle sees the reference solution.
    fn needs_reference(&self) -> bool {
        false
    }
    /// Whether the agent must reach the network from inside the sandbox (an installed agent
    /// calling its model).
    fn needs_network(&self) -> bool {
        false
    }
    /// A hash of the agent's prompts, for the run manifest.
    fn prompt_hash(&self) -> Option<String> {
        None
    }
    /// The model behind the agent, for the run manifest.
    fn model_info(&self) -> Option<ModelInfo> {
        None
    }
    /// Each setting that changes what the agent does, keyed by the flag that sets it
    /// (`--model`, `--temperature`), as text: how a reused run directory names a difference.
    fn settings(&self) -> std::collections::BTreeMap<String, String> {
        Default::default()
    }
    /// A ready-made patch for the task (graded predictions): when `Some`, the engine skips the
    /// agent's sandbox and grades the patch directly (SWE-bench tasks only).
    fn prediction(&self, _task: &TaskInfo) -> Option<Prediction> {
        None
    }
    fn start(&self, task: AgentTask) -> Box<dyn AgentSession>;
}

/// A patch made elsewhere; `patch: None` when the prediction had none (recorded as an empty
/// patch, as the official harness counts it).
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    pub patch: Option<String>,
}

/// One agent working on one trial.
#[async_trait]
pub trait AgentSession: Send {
    async fn turn(&mut self, sb: &dyn Sandbox, message: &str) -> Result<TurnOutcome, AgentError>;

    /// Everything the session did so far (messages, steps, usage), stored with the trial.
    fn trajectory(&self) -> Option<tribench_types::Trajectory> {
        None
    }

    /// Asked when the agent's time ran out mid-turn: why that was the model endpoint's doing,
    /// not the agent's (it was still waiting for the trial's first model reply). `None` when
    /// the agent had its chance, and for agents that do not call a model themselves.
    fn stalled_on_model(&self) -> Option<String> {
        None
    }
}

/// Builds an agent by name.
pub fn by_name(name: &str) -> Option<Box<dyn Agent>> {
    match name {
        "oracle" => Some(Box::new(Oracle)),
        "nop" => Some(Box::new(Nop)),
        _ => None,
    }
}

/// The names [`by_name`] knows.
pub const AGENT_NAMES: [&str; 2] = ["oracle", "nop"];

/// Applies a unified diff in the workspace with `git apply` (as SWE-bench does), the patch file
/// removed afterwards whatever happened. `what` names the patch in the error.
pub(crate) async fn apply_patch(
    sb: &dyn Sandbox,
    patch: &[u8],
    what: &str,
) -> Result<(), AgentError> {
    let name = ".tribench-apply.patch";
    sb.write_file(name, patch).await?;
    let out = sb
        .exec(tribench_sandbox::ExecRequest::new(
            format!("git apply --whitespace=nowarn {name}"),
            std::time::Duration::from_secs(300),
        ))
        .await;
    sb.remove(name).await?;
    let out = out?;
    if !out.success() {
        return Err(AgentError::Failed(format!(
            "{what} does not apply: {}",
            out.combined().trim()
        )));
    }
    Ok(())
}
