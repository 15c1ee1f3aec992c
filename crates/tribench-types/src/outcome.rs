//! How a trial ended: one [`Outcome`] per trial.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How a trial ended. Exactly one per trial; `Resolved` is the only success.
///
/// Infrastructure outcomes (`EnvironmentError`, `HarnessError`, `ModelError`) say nothing about the
/// agent: the engine retries them and reports them apart, never silently dropping them from a
/// denominator.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Resolved,
    Unresolved,
    AgentTimeout,
    TestTimeout,
    PatchApplyFailed,
    /// The agent (or the prediction) changed nothing.
    EmptyPatch,
    MalformedResponse,
    ContextExhausted,
    LimitReached,
    AgentError,
    EnvironmentError,
    HarnessError,
    /// The model endpoint could not be used: unreachable (connection refused, DNS, TLS), timed
    /// out, 5xx or a broken reply after the client's retries, or refused the request (bad key,
    /// unknown model). Says nothing about the agent.
    ModelError,
}

impl Outcome {
    pub const ALL: [Outcome; 13] = [
        Outcome::Resolved,
        Outcome::Unresolved,
        Outcome::AgentTimeout,
        Outcome::TestTimeout,
        Outcome::PatchApplyFailed,
        Outcome::EmptyPatch,
        Outcome::MalformedResponse,
        Outcome::ContextExhausted,
        Outcome::LimitReached,
        Outcome::AgentError,
        Outcome::EnvironmentError,
        Outcome::HarnessError,
        Outcome::ModelError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Resolved => "resolved",
            Outcome::Unresolved => "unresolved",
            Outcome::AgentTimeout => "agent_timeout",
            Outcome::TestTimeout => "test_timeout",
            Outcome::PatchApplyFailed => "patch_apply_failed",
            Outcome::EmptyPatch => "empty_patch",
            Outcome::MalformedResponse => "malformed_response",
            Outcome::ContextExhausted => "context_exhausted",
            Outcome::LimitReached => "limit_reached",
            Outcome::AgentError => "agent_error",
            Outcome::EnvironmentError => "environment_error",
            Outcome::HarnessError => "harness_error",
            Outcome::ModelError => "model_error",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// Failures of the machinery rather than of the agent: retried, and reported apart.
    pub fn is_infrastructure(self) -> bool {
        matches!(
            self,
            Outcome::EnvironmentError | Outcome::HarnessError | Outcome::ModelError
        )
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_parse() {
        for o in Outcome::ALL {
            let json = serde_json::to_string(&o).unwrap();
            assert_eq!(json, format!("\"{}\"", o.as_str()));
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(Outcome::parse("nope"), None);
    }
}
