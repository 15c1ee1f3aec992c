//! `replay`: re-runs the actions an `llm` trial recorded in its trajectory, in a fresh sandbox,
//! without calling the model. The same outcome means the task's environment is deterministic
//! for that trajectory; a different one points at the environment, not the agent.

use super::tools::{self, Action};
use super::Limits;
use crate::{Agent, AgentError, AgentSession, AgentTask, TurnOutcome};
use async_trait::async_trait;
use std::path::PathBuf;
use tribench_sandbox::Sandbox;
use tribench_store::RunStore;
use tribench_types::{Observation, Step, Trajectory};

/// Replays what a source run recorded: each trial's trajectory (its actions). Grading the
/// recorded final changes instead is [`crate::Predictions::from_run`].
pub struct ReplayAgent {
    source: PathBuf,
    limits: Limits,
}

impl ReplayAgent {
    pub fn new(source: PathBuf) -> Self {
        ReplayAgent {
            source,
            limits: Limits::default(),
        }
    }
}

/// The trial id the engine gives (task, attempt); must match `TrialKey::trial_id`.
fn trial_id(task_id: &str, attempt: u32) -> String {
    tribench_types::TrialKey {
        task_id: task_id.to_string(),
        attempt,
    }
    .trial_id()
}

impl Agent for ReplayAgent {
    fn name(&self) -> &str {
        "replay"
    }
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }
    fn config_hash(&self) -> String {
        format!("replay:actions:{}", self.source.display())
    }
    fn start(&self, task: AgentTask) -> Box<dyn AgentSession> {
        Box::new(ReplaySession {
            source: self.source.clone(),
            task_id: task.task.id,
            limits: self.limits.clone(),
            steps: None,
            turn: 0,
        })
    }
}

struct ReplaySession {
    source: PathBuf,
    task_id: String,
    limits: Limits,
    steps: Option<Vec<Step>>,
    turn: u32,
}

impl ReplaySession {
    /// Reads the recorded steps (attempt 1's trajectory of the same task) once.
    fn load(&mut self) -> Result<&[Step], AgentError> {
        if self.steps.is_none() {
            let path =
                RunStore::artifact_in(&self.source, &trial_id(&self.task_id, 1), "trajectory.json");
            let text = std::fs::read_to_string(&path).map_err(|e| {
                AgentError::Failed(format!(
                    "no trajectory to replay at {}: {e}",
                    path.display()
                ))
            })?;
            let t = Trajectory::from_json(&text).map_err(|e| {
                AgentError::Failed(format!("{}: not a trajectory: {e}", path.display()))
            })?;
            // Agents without a model (oracle, programs) recorded no actions to repeat.
            self.steps = Some(match t {
                Trajectory::Llm(t) => t.steps,
                Trajectory::Program(_) | Trajectory::Oracle(_) => Vec::new(),
            });
        }
        Ok(self.steps.as_deref().unwrap_or_default())
    }
}

#[async_trait]
impl AgentSession for ReplaySession {
    async fn turn(&mut self, sb: &dyn Sandbox, _message: &str) -> Result<TurnOutcome, AgentError> {
        self.turn += 1;
        let turn = self.turn;
        let limits = self.limits.clone();
        let actions: Vec<Action> = self
            .load()?
            .iter()
            // Steps recorded before turns were numbered belong to the first turn.
            .filter(|s| s.turn() == turn)
            .flat_map(|s| s.results.iter())
            .filter_map(|r| match r {
                Observation::Action(r) => Some(Action {
                    id: None,
                    name: r.tool.clone(),
                    arguments: serde_json::to_value(&r.arguments).unwrap_or_default(),
                }),
                Observation::Malformed { .. } => None,
            })
            .collect();
        for a in &actions {
            if a.is_submit() {
                break;
            }
            tools::run(sb, a, &limits).await;
        }
        Ok(TurnOutcome::default())
    }
}
