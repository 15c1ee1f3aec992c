//! `replay`: re-runs the actions an `llm` trial recorded in its trajectory, in a fresh sandbox,
//! without calling the model. The same outcome means the task's environment is deterministic
//! for that trajectory; a different one points at the environment, not the agent.

use super::tools::{self, Action};
use super::Limits;
use crate::{Agent, AgentError, AgentSession, AgentTask, TurnOutcome};
use async_trait::async_trait;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tribench_sandbox::Sandbox;
use tribench_store::RunStore;
use tribench_types::{Observation, Outcome, Step, Trajectory, TrialRecord};

/// Replays what a source run recorded: each trial's trajectory (its actions). Grading the
/// recorded final changes instead is [`crate::Predictions::from_run`].
pub struct ReplayAgent {
    source: PathBuf,
    limits: Limits,
    /// Each task's recorded outcome (attempt 1), so a trial the agent ended on a limit ends on
    /// it again when replayed.
    recorded: HashMap<String, Outcome>,
}

impl ReplayAgent {
    pub fn new(source: PathBuf) -> Self {
        ReplayAgent {
            source,
            limits: Limits::default(),
            recorded: HashMap::new(),
        }
    }

    /// The same replay, told each task's recorded outcome (from [`replayable`]).
    pub fn with_recorded(mut self, recorded: HashMap<String, Outcome>) -> Self {
        self.recorded = recorded;
        self
    }
}

/// Outcomes with which the agent itself stopped before its work was graded: replayed, the
/// trial stops on the same one after the recorded actions.
const AGENT_STOPS: [Outcome; 4] = [
    Outcome::LimitReached,
    Outcome::ContextExhausted,
    Outcome::MalformedResponse,
    Outcome::AgentTimeout,
];

/// Checks that the run at `source`, which recorded `trials`, can be replayed, before anything
/// runs: refused when it recorded no trial, and, when its `actions` are to be replayed (not its
/// patches), when no trial left an `llm` trajectory (oracle, nop and agent programs record no
/// actions to repeat). Returns each task's recorded outcome (attempt 1).
pub fn replayable(
    source: &Path,
    trials: &[TrialRecord],
    actions: bool,
) -> Result<HashMap<String, Outcome>, AgentError> {
    let firsts: Vec<&TrialRecord> = trials.iter().filter(|t| t.attempt == 1).collect();
    if firsts.is_empty() {
        return Err(AgentError::Failed(format!(
            "{} recorded no trial: there is nothing to replay",
            source.display()
        )));
    }
    if actions {
        let with_actions = firsts
            .iter()
            .filter(|t| {
                matches!(
                    RunStore::read_trajectory(source, &t.trial_id),
                    Ok(Some(Trajectory::Llm(_)))
                )
            })
            .count();
        if with_actions == 0 {
            let agents: std::collections::BTreeSet<&str> =
                firsts.iter().map(|t| t.agent.as_str()).collect();
            return Err(AgentError::Failed(format!(
                "{}: none of its {} trials left a trajectory of model actions to replay (agent {}); replay repeats what the llm agent did (--patches grades a run's recorded changes again)",
                source.display(),
                firsts.len(),
                agents.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    Ok(firsts
        .iter()
        .map(|t| (t.task_id.clone(), t.outcome))
        .collect())
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
            task_id: task.task.id.clone(),
            limits: self.limits.clone(),
            steps: None,
            turn: 0,
            stop: self
                .recorded
                .get(&task.task.id)
                .copied()
                .filter(|o| AGENT_STOPS.contains(o)),
        })
    }
}

struct ReplaySession {
    source: PathBuf,
    task_id: String,
    limits: Limits,
    steps: Option<Vec<Step>>,
    turn: u32,
    /// How the recorded trial stopped, when the agent stopped it (a limit, say).
    stop: Option<Outcome>,
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
        let steps = self.load()?;
        let last_turn = steps.iter().map(Step::turn).max().unwrap_or(1);
        let actions: Vec<Action> = steps
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
        // The recorded trial stopped on its last turn for this reason: so does the replay.
        Ok(TurnOutcome {
            stopped: self.stop.filter(|_| turn >= last_turn),
            ..TurnOutcome::default()
        })
    }
}
