//! The local backend: a fresh directory per trial on this machine. When bubblewrap is present
//! every command runs inside it: the host read-only, only the trial's directory writable, no
//! network, its own pid namespace, and the suite and run directories hidden.

use crate::{check_relative, process, ExecOutput, ExecRequest, Sandbox, SandboxError};
use async_trait::async_trait;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use tokio::process::Command;

/// How commands in a local sandbox are confined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Isolation {
    /// bubblewrap at this path.
    Bwrap(PathBuf),
    /// Plain child processes: nothing is hidden and the network is reachable.
    None,
}

impl Isolation {
    /// bubblewrap when it is installed and works here (checked once per process), else none.
    pub fn detect() -> Isolation {
        static DETECTED: OnceLock<Isolation> = OnceLock::new();
        DETECTED
            .get_or_init(|| {
                let Some(path) = find_in_path("bwrap") else {
                    return Isolation::None;
                };
                let ok = std::process::Command::new(&path)
                    .args(["--die-with-parent", "--unshare-all", "--ro-bind", "/", "/"])
                    .args(["--dev", "/dev", "--proc", "/proc", "--", "/bin/true"])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                if ok {
                    Isolation::Bwrap(path)
                } else {
                    tracing::warn!(
                        "bwrap is installed but cannot create a sandbox here; running unconfined"
                    );
                    Isolation::None
                }
            })
            .clone()
    }

    pub fn describe(&self, network: bool) -> String {
        match self {
            Isolation::Bwrap(_) if network => {
                "bwrap (read-only host, writable workspace, pid namespace, network allowed)".into()
            }
            Isolation::Bwrap(_) => {
                "bwrap (read-only host, writable workspace, pid namespace, no network)".into()
            }
            Isolation::None => {
                "none (bwrap not available: install Debian package bubblewrap)".into()
            }
        }
    }
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Settings shared by every local sandbox of a run.
#[derive(Debug, Clone)]
pub struct LocalSandboxConfig {
    /// Parent of the per-trial directories; hidden from every sandbox but its own part.
    pub base_dir: PathBuf,
    pub isolation: Isolation,
    /// Host directories commands must not see (the suite with its tests and solutions, the run
    /// directory). Only enforced with bwrap.
    pub hide: Vec<PathBuf>,
    /// Host directories commands must see read-only even when they lie under a hidden one
    /// (test tools kept next to a suite, or under /tmp).
    pub expose: Vec<PathBuf>,
    pub network: bool,
}

impl LocalSandboxConfig {
    pub fn new(base_dir: impl Into<PathBuf>) -> Self {
        LocalSandboxConfig {
            base_dir: base_dir.into(),
            isolation: Isolation::detect(),
            hide: Vec::new(),
            expose: Vec::new(),
            network: false,
        }
    }
}

/// One trial's directory: the workspace (named by the caller: some layouts derive names from
/// their folder, as Exercism's C++ CMakeLists does), `.home/` (HOME and caches), `.tmp/` (TMPDIR).
pub struct LocalSandbox {
    /// Owns the directory: removed when the sandbox is dropped.
    _dir: tempfile::TempDir,
    root: PathBuf,
    work: PathBuf,
    work_str: String,
    home: PathBuf,
    tmp: PathBuf,
    config: std::sync::Arc<LocalSandboxConfig>,
    stopped: AtomicBool,
}

impl LocalSandbox {
    pub fn create(
        config: std::sync::Arc<LocalSandboxConfig>,
        workspace_name: &str,
    ) -> Result<Self, SandboxError> {
        let workspace_name = match workspace_name {
            "" | "." | ".." | ".home" | ".tmp" => "work",
            n if n.contains('/') => "work",
            n => n,
        };
        std::fs::create_dir_all(&config.base_dir).map_err(SandboxError::io(
            "create sandbox base directory",
            &config.base_dir,
        ))?;
        let dir = tempfile::Builder::new()
            .prefix("trial-")
            .tempdir_in(&config.base_dir)
            .map_err(SandboxError::io(
                "create sandbox directory in",
                &config.base_dir,
            ))?;
        // Canonical, so that symlink checks compare like with like.
        let root = dir
            .path()
            .canonicalize()
            .map_err(SandboxError::io("resolve", dir.path()))?;
        let work = root.join(workspace_name);
        let home = root.join(".home");
        let tmp = root.join(".tmp");
        for d in [&work, &home, &tmp] {
            std::fs::create_dir(d).map_err(SandboxError::io("create", d))?;
        }
        Ok(LocalSandbox {
            work_str: work.to_string_lossy().into_owned(),
            _dir: dir,
            root,
            work,
            home,
            tmp,
            config,
            stopped: AtomicBool::new(false),
        })
    }

    /// The workspace on the host.
    pub fn work_path(&self) -> &Path {
        &self.work
    }

    fn check_live(&self) -> Result<(), SandboxError> {
        if self.stopped.load(Ordering::SeqCst) {
            Err(SandboxError::Stopped)
        } else {
            Ok(())
        }
    }

    /// A path inside the workspace that is safe to read: it exists and, symlinks resolved,
    /// still lies inside the workspace.
    fn resolve_read(&self, rel: &str) -> Result<PathBuf, SandboxError> {
        let p = self.work.join(check_relative(rel)?);
        let real = p.canonicalize().map_err(SandboxError::io("read", &p))?;
        if real.starts_with(&self.work) {
            Ok(real)
        } else {
            Err(SandboxError::PathOutsideWorkspace(rel.to_string()))
        }
    }

    /// A path inside the workspace that is safe to write: parents created and inside the
    /// workspace, and whatever symlink stood at the path itself removed rather than followed.
    fn resolve_write(&self, rel: &str) -> Result<PathBuf, SandboxError> {
        let p = self.work.join(check_relative(rel)?);
        let parent = p.parent().unwrap_or(&self.work);
        std::fs::create_dir_all(parent).map_err(SandboxError::io("create directory", parent))?;
        let real_parent = parent
            .canonicalize()
            .map_err(SandboxError::io("resolve", parent))?;
        if !real_parent.starts_with(&self.work) {
            return Err(SandboxError::PathOutsideWorkspace(rel.to_string()));
        }
        let target = match p.file_name() {
            Some(name) => real_parent.join(name),
            None => return Err(SandboxError::PathOutsideWorkspace(rel.to_string())),
        };
        if target
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            std::fs::remove_file(&target).map_err(SandboxError::io("remove symlink", &target))?;
        }
        Ok(target)
    }

    fn command(&self, req: &ExecRequest) -> Result<(Command, String), SandboxError> {
        let cwd = match &req.cwd {
            Some(rel) => self.work.join(check_relative(rel)?),
            None => self.work.clone(),
        };
        let mut env: Vec<(String, String)> = vec![
            ("HOME".into(), self.home.to_string_lossy().into_owned()),
            ("TMPDIR".into(), self.tmp.to_string_lossy().into_owned()),
            ("LANG".into(), "C.UTF-8".into()),
            ("LC_ALL".into(), "C.UTF-8".into()),
            ("TERM".into(), "dumb".into()),
        ];
        env.extend(host_toolchain_env());
        env.extend(req.env.iter().cloned());

        let (mut cmd, program) = match &self.config.isolation {
            Isolation::Bwrap(bwrap) => {
                let mut cmd = Command::new(bwrap);
                cmd.arg("--die-with-parent").arg("--unshare-all");
                if self.config.network {
                    cmd.arg("--share-net");
                }
                cmd.args(["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]);
                cmd.args(["--tmpfs", "/tmp"]);
                let mut hidden: Vec<&Path> = vec![self.config.base_dir.as_path()];
                hidden.extend(self.config.hide.iter().map(PathBuf::as_path));
                for h in hidden {
                    if h.is_dir() {
                        cmd.arg("--tmpfs").arg(h);
                    } else if h.is_file() {
                        cmd.arg("--ro-bind").arg("/dev/null").arg(h);
                    }
                }
                for e in &self.config.expose {
                    if e.exists() {
                        cmd.arg("--ro-bind").arg(e).arg(e);
                    }
                }
                cmd.arg("--bind").arg(&self.root).arg(&self.root);
                cmd.arg("--chdir").arg(&cwd);
                cmd.args(["--", "/bin/sh", "-c", &req.script]);
                (cmd, "bwrap".to_string())
            }
            Isolation::None => {
                let mut cmd = Command::new("/bin/sh");
                cmd.arg("-c").arg(&req.script).current_dir(&cwd);
                (cmd, "/bin/sh".to_string())
            }
        };
        cmd.env_clear();
        cmd.envs(env);
        Ok((cmd, program))
    }
}

/// Host variables that locate installed toolchains. Everything else (API keys included) stays
/// out of the sandbox. HOME is replaced, so toolchain homes derived from it are pinned here.
fn host_toolchain_env() -> Vec<(String, String)> {
    let mut env = Vec::new();
    for key in [
        "PATH",
        "RUSTUP_HOME",
        "RUSTUP_TOOLCHAIN",
        "PYENV_ROOT",
        "JAVA_HOME",
        "GOROOT",
    ] {
        if let Ok(v) = std::env::var(key) {
            env.push((key.to_string(), v));
        }
    }
    if let Ok(home) = std::env::var("HOME") {
        let home = PathBuf::from(home);
        if std::env::var_os("RUSTUP_HOME").is_none() && home.join(".rustup").is_dir() {
            env.push((
                "RUSTUP_HOME".into(),
                home.join(".rustup").to_string_lossy().into_owned(),
            ));
        }
        if std::env::var_os("PYENV_ROOT").is_none() && home.join(".pyenv").is_dir() {
            env.push((
                "PYENV_ROOT".into(),
                home.join(".pyenv").to_string_lossy().into_owned(),
            ));
        }
    }
    env
}

fn copy_tree(src: &Path, dest: &Path) -> Result<(), SandboxError> {
    let meta = src
        .symlink_metadata()
        .map_err(SandboxError::io("read", src))?;
    if meta.file_type().is_symlink() {
        // Links are copied as links, never followed: a link planted by an agent must not make
        // the harness read or write outside the workspace.
        let target = std::fs::read_link(src).map_err(SandboxError::io("read link", src))?;
        let _ = std::fs::remove_file(dest);
        return std::os::unix::fs::symlink(target, dest)
            .map_err(SandboxError::io("create link", dest));
    }
    if meta.is_file() {
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .map_err(SandboxError::io("create directory", parent))?;
        }
        std::fs::copy(src, dest).map_err(SandboxError::io("copy", src))?;
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(src).follow_links(false) {
        let entry = entry.map_err(|e| SandboxError::Io {
            action: "walk",
            path: src.to_path_buf(),
            source: e.into(),
        })?;
        let rel = entry.path().strip_prefix(src).unwrap_or(entry.path());
        let to = dest.join(rel);
        let ft = entry.file_type();
        if ft.is_dir() {
            std::fs::create_dir_all(&to).map_err(SandboxError::io("create directory", &to))?;
        } else if ft.is_symlink() {
            let target = std::fs::read_link(entry.path())
                .map_err(SandboxError::io("read link", entry.path()))?;
            let _ = std::fs::remove_file(&to);
            std::os::unix::fs::symlink(target, &to)
                .map_err(SandboxError::io("create link", &to))?;
        } else {
            std::fs::copy(entry.path(), &to).map_err(SandboxError::io("copy", entry.path()))?;
        }
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SandboxError> + Send + 'static,
) -> Result<T, SandboxError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SandboxError::Io {
            action: "run file operation",
            path: PathBuf::new(),
            source: std::io::Error::other(e.to_string()),
        })?
}

#[async_trait]
impl Sandbox for LocalSandbox {
    fn workdir(&self) -> &str {
        &self.work_str
    }

    async fn exec(&self, req: ExecRequest) -> Result<ExecOutput, SandboxError> {
        self.check_live()?;
        let (cmd, program) = self.command(&req)?;
        process::run(cmd, &program, req.timeout, req.output_cap).await
    }

    async fn write_file(&self, rel: &str, contents: &[u8]) -> Result<(), SandboxError> {
        self.check_live()?;
        let path = self.resolve_write(rel)?;
        tokio::fs::write(&path, contents)
            .await
            .map_err(SandboxError::io("write", &path))
    }

    async fn read_file(&self, rel: &str) -> Result<Vec<u8>, SandboxError> {
        self.check_live()?;
        let path = self.resolve_read(rel)?;
        tokio::fs::read(&path)
            .await
            .map_err(SandboxError::io("read", &path))
    }

    async fn remove(&self, rel: &str) -> Result<(), SandboxError> {
        self.check_live()?;
        let p = self.work.join(check_relative(rel)?);
        match p.symlink_metadata() {
            Err(_) => Ok(()),
            Ok(m) if m.is_dir() => tokio::fs::remove_dir_all(&p)
                .await
                .map_err(SandboxError::io("remove", &p)),
            Ok(_) => tokio::fs::remove_file(&p)
                .await
                .map_err(SandboxError::io("remove", &p)),
        }
    }

    async fn exists(&self, rel: &str) -> Result<bool, SandboxError> {
        self.check_live()?;
        let p = self.work.join(check_relative(rel)?);
        Ok(p.symlink_metadata().is_ok())
    }

    async fn copy_in(&self, host_src: &Path, rel: &str) -> Result<(), SandboxError> {
        self.check_live()?;
        let dest = if rel == "." {
            self.work.clone()
        } else {
            self.resolve_write(rel)?
        };
        let src = host_src.to_path_buf();
        blocking(move || copy_tree(&src, &dest)).await
    }

    async fn copy_out(&self, rel: &str, host_dest: &Path) -> Result<(), SandboxError> {
        self.check_live()?;
        let src = if rel == "." {
            self.work.clone()
        } else {
            self.resolve_read(rel)?
        };
        let dest = host_dest.to_path_buf();
        blocking(move || copy_tree(&src, &dest)).await
    }

    async fn stop(&self) -> Result<(), SandboxError> {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let root = self.root.clone();
        blocking(move || match std::fs::remove_dir_all(&root) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(SandboxError::Io {
                action: "remove",
                path: root,
                source: e,
            }),
        })
        .await
    }
}
