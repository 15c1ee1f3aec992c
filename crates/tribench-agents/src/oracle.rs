//! `oracle`: applies the task's reference solution (files, a patch, or a solution script). A
//! task the oracle cannot resolve is a broken task.

use crate::{Agent, AgentError, AgentSession, AgentTask, TurnOutcome};
use async_trait::async_trait;
use std::time::Duration;
use tribench_sandbox::{ExecRequest, Sandbox};
use tribench_types::Reference;

/// Applies the task's reference solution. A task the oracle cannot resolve is a broken task.
pub struct Oracle;

/// Time an oracle script or patch may take; the engine's agent timeout still bounds it.
const ORACLE_EXEC_TIMEOUT: Duration = Duration::from_secs(3600);

impl Agent for Oracle {
    fn name(&self) -> &str {
        "oracle"
    }
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }
    fn config_hash(&self) -> String {
        "oracle".into()
    }
    fn needs_reference(&self) -> bool {
        true
    }
    fn start(&self, task: AgentTask) -> Box<dyn AgentSession> {
        Box::new(OracleSession {
            reference: task.reference,
            applied: false,
            solution: None,
        })
    }
}

struct OracleSession {
    reference: Option<Reference>,
    applied: bool,
    /// What running a solution script did (exit code, output), for the trajectory.
    solution: Option<tribench_types::SolutionRun>,
}

#[async_trait]
impl AgentSession for OracleSession {
    async fn turn(&mut self, sb: &dyn Sandbox, _message: &str) -> Result<TurnOutcome, AgentError> {
        // The reference is applied once; feedback on a later try changes nothing.
        if self.applied {
            return Ok(TurnOutcome::default());
        }
        self.applied = true;
        match &self.reference {
            None => {
                return Err(AgentError::NoReference {
                    agent: "oracle".into(),
                })
            }
            Some(Reference::Files { files }) => {
                for (path, bytes) in files {
                    sb.write_file(path, bytes).await?;
                }
            }
            Some(Reference::Bundle { dir, dest, command }) => {
                sb.put_dir(std::path::Path::new(dir), dest).await?;
                let out = sb
                    .exec(
                        ExecRequest::new(command.clone(), ORACLE_EXEC_TIMEOUT)
                            .env("DEBIAN_FRONTEND", "noninteractive"),
                    )
                    .await?;
                // As Harbor's oracle: a solution script that fails does not end the trial; its
                // exit code is kept and the verifier's reward decides.
                self.solution = Some(tribench_types::SolutionRun {
                    command: command.clone(),
                    exit_code: out.exit_code.map(i64::from),
                    timed_out: out.timed_out,
                    output_tail: tail(&out.combined(), 4000).to_string(),
                });
            }
            Some(Reference::Patch { patch }) => {
                crate::apply_patch(sb, patch.as_bytes(), "the reference patch").await?;
            }
        }
        Ok(TurnOutcome::default())
    }

    fn trajectory(&self) -> Option<tribench_types::Trajectory> {
        let solution = self.solution.clone()?;
        Some(tribench_types::Trajectory::Oracle(
            tribench_types::OracleTrajectory {
                agent: "oracle".into(),
                solution,
            },
        ))
    }
}

fn tail(s: &str, max: usize) -> &str {
    let start = s.len().saturating_sub(max);
    let start = (start..=s.len())
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(s.len());
    &s[start..]
}
