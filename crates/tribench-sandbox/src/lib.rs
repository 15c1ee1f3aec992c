//! Where a trial's commands run. One [`Sandbox`] trait (exec with a timeout, read/write/copy
//! files, stop) and its backends. Every exec runs in its own process group, is killed as a group
//! on timeout, and has its output captured with a byte cap that keeps the head and the tail.

mod capture;
mod docker;
mod error;
mod local;
mod process;
mod terminal;

pub use capture::{Captured, HeadTail};
pub use docker::{
    ContainerSpec, DependsOn, DockerBackend, DockerSandbox, HealthCheck, ImageSource, ImageSpec,
    ResolvedImage, ServiceGroup, ServiceSpec,
};
pub use docker::{DEFAULT_CPUS, DEFAULT_MEMORY_MB};
pub use error::SandboxError;
pub use local::{
    Isolation, LocalSandbox, LocalSandboxConfig, ResourceLimits, SandboxTools, SANDBOX_UID_BASE,
};
pub use terminal::{key_bytes, TerminalSession};

use async_trait::async_trait;
use std::path::Path;
use std::time::Duration;

/// Quotes one word for `sh`, the one quoting path of tribench (scripts run in sandboxes, the
/// resume command, rendered job scripts): left bare when made only of letters, digits and
/// `-_./=:,+@%` (no shell treats them specially, and Slurm reads them in `#SBATCH` lines as
/// they are), else quoted by the `shell-escape` crate: in single quotes, each `'` written
/// `'\''`. A NUL byte cannot reach a program through any shell, so it is dropped rather than
/// passed on cut short.
pub fn shell_quote(word: &str) -> String {
    let word = word.replace('\0', "");
    let plain = !word.is_empty()
        && (word.chars()).all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    match plain {
        true => word,
        false => shell_escape::unix::escape(word.into()).into_owned(),
    }
}

/// A command to run in a sandbox.
#[derive(Debug, Clone)]
pub struct ExecRequest {
    /// Run by `sh -c` inside the sandbox, in the workspace (or `cwd` below it).
    pub script: String,
    /// Relative to the workspace.
    pub cwd: Option<String>,
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
    /// Bytes kept of each of stdout and stderr (half from the head, half from the tail).
    pub output_cap: usize,
    /// Run as this user (`root`, `1000:1000`); `None`: the sandbox's default user (a
    /// container image's `USER`). Container backends only.
    pub user: Option<String>,
}

impl ExecRequest {
    pub fn new(script: impl Into<String>, timeout: Duration) -> Self {
        ExecRequest {
            script: script.into(),
            cwd: None,
            env: Vec::new(),
            timeout,
            output_cap: DEFAULT_OUTPUT_CAP,
            user: None,
        }
    }

    /// Runs the command as `user` (container backends).
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
}

/// Default cap on captured output per stream: 1 MiB.
pub const DEFAULT_OUTPUT_CAP: usize = 1 << 20;

/// What a command did.
#[derive(Debug, Clone)]
pub struct ExecOutput {
    /// `None` when the command was killed (timeout or signal).
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub stdout: Captured,
    pub stderr: Captured,
    pub duration: Duration,
}

impl ExecOutput {
    pub fn success(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out
    }

    /// stdout then stderr, as a runner's log reads.
    pub fn combined(&self) -> String {
        let mut s = self.stdout.text.clone();
        if !self.stderr.text.is_empty() {
            if !s.is_empty() && !s.ends_with('\n') {
                s.push('\n');
            }
            s.push_str(&self.stderr.text);
        }
        s
    }
}

/// What [`Sandbox::quiesce`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quiesced {
    /// Processes killed.
    pub killed: usize,
    /// Processes left running because they listen on a socket (services a task's checks may
    /// query). While any is, grading in this sandbox should go through
    /// [`Sandbox::verify_isolated`]: a survivor can write anywhere the agent could.
    pub spared: usize,
}

/// A verifier for [`Sandbox::verify_isolated`]: its tests, where they go, where it writes its
/// results, and the command.
#[derive(Debug, Clone)]
pub struct IsolatedVerifier {
    /// Host folder whose contents the verifier finds at `tests_at`.
    pub tests: std::path::PathBuf,
    /// Absolute path of the tests inside the sandbox (`/tests`).
    pub tests_at: String,
    /// Absolute path of the folder the verifier writes its results to (`/logs/verifier`).
    pub results_at: String,
    /// Names of the files in `results_at` to hand back (regular files only).
    pub collect: Vec<String>,
    /// The verifier's command (run as root, in the workspace).
    pub exec: ExecRequest,
}

/// What an isolated verifier did.
#[derive(Debug, Clone)]
pub struct VerifierOutput {
    pub exec: ExecOutput,
    /// The files of `collect` that the verifier left as regular files: (name, bytes).
    pub files: Vec<(String, Vec<u8>)>,
}

/// A place to run one trial: a workspace, commands, files in and out.
///
/// Paths given to file methods are relative to the workspace; absolute paths and `..` are
/// refused, so an agent-supplied path cannot escape.
#[async_trait]
pub trait Sandbox: Send + Sync {
    /// The workspace as commands inside the sandbox see it.
    fn workdir(&self) -> &str;

    async fn exec(&self, req: ExecRequest) -> Result<ExecOutput, SandboxError>;

    async fn write_file(&self, rel: &str, contents: &[u8]) -> Result<(), SandboxError>;

    async fn read_file(&self, rel: &str) -> Result<Vec<u8>, SandboxError>;

    /// Removes a file or a directory tree; absent paths are not an error.
    async fn remove(&self, rel: &str) -> Result<(), SandboxError>;

    async fn exists(&self, rel: &str) -> Result<bool, SandboxError>;

    /// Copies a host file or directory into the workspace at `rel`.
    async fn copy_in(&self, host_src: &Path, rel: &str) -> Result<(), SandboxError>;

    /// Copies a workspace file or directory out to the host.
    async fn copy_out(&self, rel: &str, host_dest: &Path) -> Result<(), SandboxError>;

    /// Harness only: copies a host directory's contents to an absolute path inside the sandbox
    /// (tests to `/tests`, a solution to `/solution`). Container backends only.
    async fn put_dir(&self, _host_src: &Path, _abs_dest: &str) -> Result<(), SandboxError> {
        Err(SandboxError::Unsupported(
            "copying to an absolute path",
            "local",
        ))
    }

    /// An interactive shell on a pseudo-terminal of `cols` x `rows`, for agents that drive
    /// interactive programs. Container backends only.
    async fn open_terminal(&self, _cols: u16, _rows: u16) -> Result<TerminalSession, SandboxError> {
        Err(SandboxError::Unsupported(
            "an interactive terminal",
            "local",
        ))
    }

    /// Harness only: the bytes of a file at an absolute path inside the sandbox, or `None` when
    /// there is no regular file at exactly that path (a directory or a symlink there does not
    /// count, whatever it holds): a verifier's reward file. Container backends only.
    async fn read_abs(&self, _abs_path: &str) -> Result<Option<Vec<u8>>, SandboxError> {
        Err(SandboxError::Unsupported(
            "reading an absolute path",
            "local",
        ))
    }

    /// Harness only: runs a verifier where processes still running in the sandbox (services
    /// spared by [`Sandbox::quiesce`]) cannot reach its tests, its results or the verifier
    /// itself. [`SandboxError::NotIsolated`] when this sandbox cannot (nothing was run then).
    /// Container backends only.
    async fn verify_isolated(
        &self,
        _verifier: IsolatedVerifier,
    ) -> Result<VerifierOutput, SandboxError> {
        Err(SandboxError::Unsupported("an isolated verifier", "local"))
    }

    /// Harness only, before grading in the sandbox the agent worked in: kills every process
    /// still running but the sandbox's own init and main process (whatever the agent started
    /// and left behind; services listening on a socket are spared, as tasks may check them),
    /// then recreates each of `fresh_dirs` (absolute) empty and root-owned.
    /// Container backends only.
    async fn quiesce(&self, _fresh_dirs: &[&str]) -> Result<Quiesced, SandboxError> {
        Err(SandboxError::Unsupported(
            "ending the agent's processes before grading",
            "local",
        ))
    }

    /// Kills whatever still runs and releases the sandbox. Idempotent; dropping does it too.
    async fn stop(&self) -> Result<(), SandboxError>;
}

/// Checks that `rel` stays inside the workspace: relative, no `..`, not empty.
pub fn check_relative(rel: &str) -> Result<&Path, SandboxError> {
    let p = Path::new(rel);
    let bad = rel.is_empty()
        || p.is_absolute()
        || p.components().any(|c| {
            !matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        });
    if bad {
        Err(SandboxError::PathOutsideWorkspace(rel.to_string()))
    } else {
        Ok(p)
    }
}

#[cfg(test)]
mod quote_tests {
    use super::shell_quote;

    /// Each word comes back from a real `sh` exactly as it went in.
    #[test]
    fn quoted_words_survive_a_real_shell() {
        let words = [
            "plain",
            "",
            "two words",
            "it's",
            "a'b\"c",
            "$HOME `id` $(id) \\ ; | & > < * ? [x] ~ # !",
            "line\nbreak\ttab",
            "-n",
            "ünïcödé",
        ];
        for w in words {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("printf %s {}", shell_quote(w)))
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                w,
                "{:?}",
                shell_quote(w)
            );
        }
        // A NUL cannot reach a program: it is dropped, the rest is kept and quoted.
        assert_eq!(shell_quote("a\0b c"), "'ab c'");
        assert_eq!(shell_quote("plain"), "plain");
    }
}
