//! What can go wrong in a sandbox, in words a user can act on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("path {0:?} is outside the workspace (absolute paths and `..` are refused)")]
    PathOutsideWorkspace(String),
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not start `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the sandbox has been stopped")]
    Stopped,
    #[error("docker: {0}")]
    Docker(String),
    /// A named image that is absent, cannot be pulled, and has no Dockerfile to build it from:
    /// it will not heal by trying again.
    #[error("{0}, and the task has no Dockerfile to build it from")]
    ImageMissing(String),
    #[error("building image {image} failed:\n{log}")]
    Build { image: String, log: String },
    /// The sandbox, as the agent left it, cannot be used for grading (its container stopped,
    /// its processes could not be ended): the agent's failure, not the harness's.
    #[error("the agent left the sandbox unfit for grading: {0}")]
    LeftBroken(String),
    /// A verifier could not be put out of reach of the processes left in the sandbox; nothing
    /// of it ran.
    #[error("the verifier could not be isolated: {0}")]
    NotIsolated(String),
    #[error("{0} is not supported by the {1} sandbox")]
    Unsupported(&'static str, &'static str),
}

impl SandboxError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| SandboxError::Io {
            action,
            path,
            source,
        }
    }
}
