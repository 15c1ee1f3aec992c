//! `nop`: changes nothing. A task it resolves is a broken task.

use crate::{Agent, AgentError, AgentSession, AgentTask, TurnOutcome};
use async_trait::async_trait;
use tribench_sandbox::Sandbox;

/// Changes nothing. A task the nop agent resolves is a broken task.
pub struct Nop;

impl Agent for Nop {
    fn name(&self) -> &str {
        "nop"
    }
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }
    fn config_hash(&self) -> String {
        "nop".into()
    }
    fn start(&self, _task: AgentTask) -> Box<dyn AgentSession> {
        Box::new(NopSession)
    }
}

pub(crate) struct NopSession;

#[async_trait]
impl AgentSession for NopSession {
    async fn turn(&mut self, _sb: &dyn Sandbox, _message: &str) -> Result<TurnOutcome, AgentError> {
        Ok(TurnOutcome::default())
    }
}
