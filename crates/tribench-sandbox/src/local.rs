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
                let Some(helpers) = helpers() else {
                    tracing::warn!(
                        "bwrap is installed but prlimit or setpriv (util-linux) is missing; running unconfined"
                    );
                    return Isolation::None;
                };
                // The whole chain a command goes through: namespaces, limits, the drop to an
                // unprivileged user.
                let ok = std::process::Command::new(&path)
                    .args(BWRAP_NAMESPACES)
                    .args(["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--"])
                    .args(helpers.wrap(DETECT_UID, &ResourceLimits::default()))
                    .arg("/bin/true")
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
                "bwrap (unprivileged user without capabilities, read-only host, writable workspace, pid namespace, process and memory limits, network allowed)".into()
            }
            Isolation::Bwrap(_) => {
                "bwrap (unprivileged user without capabilities, read-only host, writable workspace, pid namespace, process and memory limits, no network)".into()
            }
            Isolation::None => {
                "none (bwrap not available: install Debian package bubblewrap)".into()
            }
        }
    }
}

/// Namespaces of a bwrap sandbox. Not `--unshare-all`: as root that adds a user namespace in
/// which only uid 0 exists, and the command could not become an unprivileged user.
const BWRAP_NAMESPACES: &[&str] = &[
    "--die-with-parent",
    "--unshare-ipc",
    "--unshare-pid",
    "--unshare-uts",
    "--unshare-cgroup-try",
];

/// The user the availability check runs as.
const DETECT_UID: u32 = SANDBOX_UID_BASE;

/// First uid given to sandboxes; each sandbox takes its own uid above it (see [`next_uid`]).
/// Far above the ranges Debian allocates, so no host account owns files with these ids.
pub const SANDBOX_UID_BASE: u32 = 0x1000_0000;

/// Host directories no agent has business reading: host sockets (the Docker socket gives a full
/// escape), home directories, logs, mail and spool, container storage, other mounts. Toolchains
/// installed under a home directory stay visible (see `toolchain_exposes`).
const SYSTEM_HIDDEN: &[&str] = &[
    "/run",
    "/var/run",
    "/root",
    "/home",
    "/var/tmp",
    "/var/log",
    "/var/mail",
    "/var/spool",
    "/var/backups",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/postgresql",
    "/mnt",
    "/media",
    "/srv",
];

/// Limits on one sandbox's commands, set as resource limits before the drop to its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceLimits {
    /// Processes and threads the sandbox's user may have at once (RLIMIT_NPROC; the user is the
    /// sandbox's own, so this counts the sandbox alone).
    pub max_processes: u64,
    /// Writable memory one process may map, in bytes (RLIMIT_DATA).
    pub max_memory_bytes: u64,
    /// Memory all the sandbox's processes together may use, in bytes: a memory cgroup of the
    /// sandbox's own (cgroup v1 or v2), where the host lets tribench create one.
    pub max_sandbox_memory_bytes: u64,
}

impl Default for ResourceLimits {
    fn default() -> Self {
        ResourceLimits {
            max_processes: 1024,
            max_memory_bytes: 2 << 30,
            max_sandbox_memory_bytes: 4 << 30,
        }
    }
}

/// A memory cgroup holding every process of one sandbox, so that the sandbox as a whole (not
/// each process alone) is held to its limit; removed with the sandbox.
#[derive(Debug)]
struct MemoryCgroup {
    dir: PathBuf,
}

impl MemoryCgroup {
    /// Creates `tribench-<name>` with `bytes` of memory (no swap beyond it where the host has a
    /// swap limit); `None` where the host has no writable memory controller.
    fn create(name: &str, bytes: u64) -> Option<MemoryCgroup> {
        let v1 = Path::new("/sys/fs/cgroup/memory");
        let (parent, limit_file, swap_file) = if v1.join("memory.limit_in_bytes").exists() {
            (
                v1.join("tribench"),
                "memory.limit_in_bytes",
                "memory.memsw.limit_in_bytes",
            )
        } else {
            let v2 = Path::new("/sys/fs/cgroup/tribench");
            std::fs::create_dir_all(v2).ok()?;
            // The controller must be enabled for the children of our folder.
            let _ = std::fs::write(v2.join("cgroup.subtree_control"), "+memory");
            (v2.to_path_buf(), "memory.max", "memory.swap.max")
        };
        std::fs::create_dir_all(&parent).ok()?;
        // Cgroups of runs killed with SIGKILL (named `<pid>-<uid>`), once per process.
        static SWEPT: std::sync::Once = std::sync::Once::new();
        SWEPT.call_once(|| {
            for e in std::fs::read_dir(&parent).into_iter().flatten().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let pid = name.split('-').next().unwrap_or_default();
                if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
                    let _ = std::fs::remove_dir(e.path());
                }
            }
        });
        let dir = parent.join(name);
        std::fs::create_dir(&dir).ok()?;
        let cg = MemoryCgroup { dir };
        std::fs::write(cg.dir.join(limit_file), bytes.to_string()).ok()?;
        let swap = if swap_file == "memory.swap.max" {
            "0".to_string()
        } else {
            bytes.to_string()
        };
        // Absent when the kernel keeps no swap accounting: the memory limit still holds.
        let _ = std::fs::write(cg.dir.join(swap_file), swap);
        Some(cg)
    }

    fn procs(&self) -> PathBuf {
        self.dir.join("cgroup.procs")
    }
}

impl Drop for MemoryCgroup {
    fn drop(&mut self) {
        // Every process has been killed with its command, but the dying may still be leaving
        // (a loaded machine takes a moment to free their memory): an empty cgroup is removed by
        // rmdir, a busy one is emptied again and retried for a bounded time.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            match std::fs::remove_dir(&self.dir) {
                Ok(()) => return,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
                Err(_) if std::time::Instant::now() < deadline => {
                    let procs =
                        std::fs::read_to_string(self.dir.join("cgroup.procs")).unwrap_or_default();
                    for pid in procs.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
                        let _ = nix::sys::signal::kill(
                            nix::unistd::Pid::from_raw(pid),
                            nix::sys::signal::Signal::SIGKILL,
                        );
                    }
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(e) => {
                    tracing::warn!("could not remove the cgroup {}: {e}", self.dir.display());
                    return;
                }
            }
        }
    }
}

/// util-linux programs that apply the limits and drop to the sandbox user inside bwrap.
#[derive(Debug)]
struct Helpers {
    prlimit: PathBuf,
    setpriv: PathBuf,
}

impl Helpers {
    /// The argument prefix that runs a program with `limits` as `uid` (group `uid`, no
    /// supplementary groups), with no capabilities (effective, permitted, inheritable, ambient,
    /// bounding) and no way to gain any (no_new_privs: setuid files do nothing).
    fn wrap(&self, uid: u32, limits: &ResourceLimits) -> Vec<std::ffi::OsString> {
        let n = limits.max_processes;
        let m = limits.max_memory_bytes;
        vec![
            self.prlimit.clone().into(),
            format!("--nproc={n}:{n}").into(),
            format!("--data={m}:{m}").into(),
            "--".into(),
            self.setpriv.clone().into(),
            format!("--reuid={uid}").into(),
            format!("--regid={uid}").into(),
            "--clear-groups".into(),
            "--inh-caps=-all".into(),
            "--bounding-set=-all".into(),
            "--no-new-privs".into(),
            "--".into(),
        ]
    }
}

fn helpers() -> Option<&'static Helpers> {
    static HELPERS: OnceLock<Option<Helpers>> = OnceLock::new();
    HELPERS
        .get_or_init(|| {
            Some(Helpers {
                prlimit: find_in_path("prlimit")?,
                setpriv: find_in_path("setpriv")?,
            })
        })
        .as_ref()
}

/// A uid of its own for each sandbox, so that the process limit counts one sandbox alone. Made
/// of 12 bits of the process id and a 12-bit counter: two live sandboxes share a uid only when
/// two tribench processes' ids agree in those bits, or after 4096 sandboxes in one process.
/// Sharing would merge their process limits; it would not let one see the other (pid namespaces,
/// hidden trial folders).
fn next_uid() -> u32 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed) & 0xfff;
    let pid = std::process::id() & 0xfff;
    SANDBOX_UID_BASE + 1 + ((pid << 12) | n)
}

/// The interpreters commands in a local sandbox get: the agent's and the grader's are the same.
/// When the first `python3` on `PATH` lacks pytest and another Python has it (a pyenv Python
/// beside Debian's python3-pytest), grading would run that other Python while the agent's
/// `python3 -m pytest` failed; the sandbox then puts the Python with pytest first on `PATH` for
/// every command, as `python3`, `python`, `pip3`, `pip` and `pytest`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SandboxTools {
    /// The interpreter commands run as `python3`, when there is one.
    pub python3: Option<PathBuf>,
    /// `Python 3.11.2, pytest 7.2.1`, or without pytest when none has it.
    pub python3_version: Option<String>,
    /// Whether `python3` is another interpreter than the first one on the host's `PATH`.
    pub python3_overridden: bool,
}

impl SandboxTools {
    /// Checked once per process.
    pub fn detect() -> &'static SandboxTools {
        static TOOLS: OnceLock<SandboxTools> = OnceLock::new();
        TOOLS.get_or_init(|| {
            let probe = |py: &Path| -> Option<(bool, String)> {
                let out = std::process::Command::new(py)
                    .args([
                        "-c",
                        "import sys\nv = 'Python ' + sys.version.split()[0]\ntry:\n    import pytest\n    print('1', v + ', pytest ' + pytest.__version__)\nexcept Exception:\n    print('0', v)",
                    ])
                    .env_clear()
                    .envs(host_toolchain_env())
                    .stderr(std::process::Stdio::null())
                    .output()
                    .ok()?;
                let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
                let (flag, version) = text.split_once(' ')?;
                Some((flag == "1", version.to_string()))
            };
            let first = find_in_path("python3");
            let first_probe = first.as_deref().and_then(probe);
            if let (Some(p), Some((true, v))) = (&first, &first_probe) {
                return SandboxTools {
                    python3: Some(p.clone()),
                    python3_version: Some(v.clone()),
                    python3_overridden: false,
                };
            }
            for cand in ["/usr/bin/python3", "/usr/local/bin/python3"] {
                let cand = Path::new(cand);
                if first.as_deref() == Some(cand) || !cand.is_file() {
                    continue;
                }
                if let Some((true, v)) = probe(cand) {
                    return SandboxTools {
                        python3: Some(cand.to_path_buf()),
                        python3_version: Some(v),
                        python3_overridden: true,
                    };
                }
            }
            SandboxTools {
                python3: first,
                python3_version: first_probe.map(|(_, v)| v),
                python3_overridden: false,
            }
        })
    }

    /// For the run manifest: `python3 = /usr/bin/python3 (Python 3.11.2, pytest 7.2.1)`.
    pub fn describe(&self) -> Vec<(String, String)> {
        match (&self.python3, &self.python3_version) {
            (Some(p), Some(v)) => vec![("python3".into(), format!("{} ({v})", p.display()))],
            (Some(p), None) => vec![("python3".into(), p.display().to_string())],
            _ => Vec::new(),
        }
    }

    /// Writes the `PATH` folder that makes `python3` the chosen interpreter into `dir`;
    /// `None` when the host's own `PATH` already gives it.
    fn shim_dir(&self, dir: &Path) -> Result<Option<PathBuf>, SandboxError> {
        let (true, Some(py)) = (self.python3_overridden, &self.python3) else {
            return Ok(None);
        };
        let bin = dir.join(".bin");
        std::fs::create_dir_all(&bin).map_err(SandboxError::io("create", &bin))?;
        let py = py.display();
        for (name, body) in [
            ("python3", format!("exec {py} \"$@\"")),
            ("python", format!("exec {py} \"$@\"")),
            ("pip3", format!("exec {py} -m pip \"$@\"")),
            ("pip", format!("exec {py} -m pip \"$@\"")),
            ("pytest", format!("exec {py} -m pytest \"$@\"")),
        ] {
            let p = bin.join(name);
            std::fs::write(&p, format!("#!/bin/sh\n{body}\n"))
                .map_err(SandboxError::io("write", &p))?;
            std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .map_err(SandboxError::io("make executable", &p))?;
        }
        Ok(Some(bin))
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
    /// Process and memory limits of every command (bwrap only).
    pub limits: ResourceLimits,
}

impl LocalSandboxConfig {
    pub fn new(base_dir: impl Into<PathBuf>) -> Self {
        LocalSandboxConfig {
            base_dir: base_dir.into(),
            isolation: Isolation::detect(),
            hide: Vec::new(),
            expose: Vec::new(),
            network: false,
            limits: ResourceLimits::default(),
        }
    }

    /// What a bwrap sandbox of this configuration hides and re-exposes, in mount order.
    fn mount_plan(&self) -> MountPlan {
        let mut hidden: Vec<PathBuf> = vec![self.base_dir.clone()];
        let system: Vec<PathBuf> = SYSTEM_HIDDEN.iter().map(PathBuf::from).collect();
        hidden.extend(system.iter().cloned());
        for h in &self.hide {
            hidden.push(h.clone());
            hidden.extend(git_repository_of(h));
        }
        let mut dirs: Vec<PathBuf> = Vec::new();
        let mut files: Vec<PathBuf> = Vec::new();
        for h in hidden {
            // Canonical, so a symlinked path (/var/run) hides what it points at.
            let Ok(real) = h.canonicalize() else { continue };
            if real == Path::new("/") {
                continue;
            }
            if real.is_dir() {
                dirs.push(real);
            } else if real.is_file() {
                files.push(real);
            }
        }
        dirs.sort();
        dirs.dedup();
        // A folder under another hidden one is hidden with it.
        let dirs: Vec<PathBuf> = dirs
            .iter()
            .filter(|d| !dirs.iter().any(|o| o != *d && d.starts_with(o)))
            .cloned()
            .collect();
        let system_real: Vec<PathBuf> = system
            .iter()
            .filter_map(|p| p.canonicalize().ok())
            .collect();
        let mut exposed: Vec<PathBuf> = self
            .expose
            .iter()
            .filter_map(|p| p.canonicalize().ok())
            .collect();
        exposed.extend(toolchain_exposes(&system_real));
        exposed.sort();
        exposed.dedup();
        MountPlan {
            hidden_dirs: dirs,
            hidden_files: files,
            exposed,
        }
    }
}

/// The mounts that hide and re-expose host paths in a bwrap sandbox.
#[derive(Debug, Clone, Default)]
struct MountPlan {
    hidden_dirs: Vec<PathBuf>,
    hidden_files: Vec<PathBuf>,
    exposed: Vec<PathBuf>,
}

impl MountPlan {
    /// The folders strictly between the tmpfs covering `exposed` (a hidden folder, or `/tmp`)
    /// and `exposed`, outermost first.
    fn folders_above<'a>(&self, exposed: &'a Path) -> Vec<&'a Path> {
        let tmp = Path::new("/tmp");
        let cover = self
            .hidden_dirs
            .iter()
            .map(PathBuf::as_path)
            .chain(std::iter::once(tmp))
            .filter(|h| exposed.starts_with(h) && exposed != *h)
            .max_by_key(|h| h.components().count());
        let Some(cover) = cover else {
            return Vec::new();
        };
        let mut out: Vec<&Path> = exposed
            .ancestors()
            .skip(1)
            .take_while(|a| *a != cover)
            .collect();
        out.reverse();
        out
    }
}

/// The git repository that holds `path`, if any: its work tree, its git folder, and every other
/// work tree of the same repository (`git show HEAD:<path>` in any of them prints the tests).
fn git_repository_of(path: &Path) -> Vec<PathBuf> {
    let Ok(real) = path.canonicalize() else {
        return Vec::new();
    };
    let Some(top) = real.ancestors().find(|a| a.join(".git").exists()) else {
        return Vec::new();
    };
    let dot_git = top.join(".git");
    let mut out = vec![top.to_path_buf()];
    let common = if dot_git.is_dir() {
        dot_git
    } else {
        // A linked work tree: `.git` is a file naming its folder under the common git folder.
        let Some(gitdir) = std::fs::read_to_string(&dot_git)
            .ok()
            .and_then(|t| t.strip_prefix("gitdir:").map(|g| top.join(g.trim())))
        else {
            return out;
        };
        out.push(gitdir.clone());
        let common = match std::fs::read_to_string(gitdir.join("commondir")) {
            Ok(c) => gitdir.join(c.trim()),
            Err(_) => gitdir.join("../.."),
        };
        let Ok(common) = common.canonicalize() else {
            return out;
        };
        if common.file_name().is_some_and(|n| n == ".git") {
            if let Some(main) = common.parent() {
                out.push(main.to_path_buf());
            }
        }
        common
    };
    out.push(common.clone());
    if let Ok(entries) = std::fs::read_dir(common.join("worktrees")) {
        for e in entries.flatten() {
            if let Ok(g) = std::fs::read_to_string(e.path().join("gitdir")) {
                if let Some(wt) = Path::new(g.trim()).parent() {
                    out.push(wt.to_path_buf());
                }
            }
        }
    }
    out
}

/// Toolchains installed under a hidden system folder (rustup, pyenv and cargo under a home
/// directory): the folders holding `PATH` entries and toolchain homes, exposed read-only. From
/// `/root/.cargo/bin` the whole `/root/.cargo`: a tool's files live beside its `bin`.
fn toolchain_exposes(system_hidden: &[PathBuf]) -> Vec<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    for (key, value) in host_toolchain_env() {
        if key != "PATH" && key != "RUSTUP_TOOLCHAIN" {
            candidates.push(PathBuf::from(value));
        }
    }
    if let Some(c) = std::env::var_os("CARGO_HOME") {
        candidates.push(PathBuf::from(c));
    }
    let mut out = Vec::new();
    for c in candidates {
        let Ok(real) = c.canonicalize() else { continue };
        let Some(h) = system_hidden.iter().find(|h| real.starts_with(h)) else {
            continue;
        };
        let mut exposed = h.clone();
        for comp in real.strip_prefix(h).unwrap_or(Path::new("")).components() {
            exposed.push(comp);
            if comp.as_os_str().to_string_lossy().starts_with('.') {
                break;
            }
        }
        if &exposed != h {
            out.push(exposed);
        }
    }
    out
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
    /// The unprivileged user (and group) commands run as under bwrap; it owns the workspace,
    /// HOME and TMPDIR.
    uid: u32,
    mounts: MountPlan,
    /// Put first on `PATH` (see [`SandboxTools`]).
    shims: Option<PathBuf>,
    /// Holds every command's processes under bwrap, where the host allows one.
    memory: Option<MemoryCgroup>,
    stopped: AtomicBool,
}

impl LocalSandbox {
    pub fn create(
        config: std::sync::Arc<LocalSandboxConfig>,
        workspace_name: &str,
    ) -> Result<Self, SandboxError> {
        let workspace_name = match workspace_name {
            "" | "." | ".." | ".home" | ".tmp" | ".bin" | ".passwd" | ".group" => "work",
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
        let uid = next_uid();
        // In the trial folder (root's: the agent cannot change them), removed with it.
        let shims = SandboxTools::detect().shim_dir(&root)?;
        let mounts = match config.isolation {
            Isolation::Bwrap(_) => {
                // The trial folder itself stays root's: the user may write only its three
                // folders, and cannot replace the account files below.
                for d in [&work, &home, &tmp] {
                    chown(d, uid)?;
                }
                let passwd = format!(
                    "root:x:0:0:root:/root:/bin/sh\nagent:x:{uid}:{uid}:agent:{}:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
                    home.display()
                );
                let group = format!("root:x:0:\nagent:x:{uid}:\nnogroup:x:65534:\n");
                for (name, text) in [(".passwd", passwd), (".group", group)] {
                    let p = root.join(name);
                    std::fs::write(&p, text).map_err(SandboxError::io("write", &p))?;
                }
                config.mount_plan()
            }
            Isolation::None => MountPlan::default(),
        };
        let memory = match config.isolation {
            Isolation::Bwrap(_) => {
                let name = format!("{}-{uid}", std::process::id());
                let cg = MemoryCgroup::create(&name, config.limits.max_sandbox_memory_bytes);
                if cg.is_none() {
                    static WARNED: std::sync::Once = std::sync::Once::new();
                    WARNED.call_once(|| {
                        tracing::warn!(
                            "no writable memory cgroup: each sandboxed process is limited, not the sandbox as a whole"
                        )
                    });
                }
                cg
            }
            Isolation::None => None,
        };
        Ok(LocalSandbox {
            shims,
            memory,
            uid,
            mounts,
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

    /// The uid (and gid) commands run as under bwrap.
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// Hands what the harness wrote at `path` (recursively) and the folders above it up to the
    /// workspace to the sandbox's user, so that the agent can change it.
    fn give(&self, path: &Path, recursive: bool) -> Result<(), SandboxError> {
        match self.config.isolation {
            Isolation::Bwrap(_) => give(&self.work, self.uid, path, recursive),
            Isolation::None => Ok(()),
        }
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
        if let Some(bin) = &self.shims {
            let host_path = std::env::var("PATH").unwrap_or_default();
            env.retain(|(k, _)| k != "PATH");
            env.push(("PATH".into(), format!("{}:{host_path}", bin.display())));
        }
        env.extend(req.env.iter().cloned());

        let (mut cmd, program) = match &self.config.isolation {
            Isolation::Bwrap(bwrap) => {
                let Some(helpers) = helpers() else {
                    return Err(SandboxError::Spawn {
                        program: "setpriv".into(),
                        source: std::io::Error::other("prlimit or setpriv (util-linux) not found"),
                    });
                };
                let mut cmd = Command::new(bwrap);
                cmd.args(BWRAP_NAMESPACES);
                if !self.config.network {
                    cmd.arg("--unshare-net");
                }
                cmd.args(["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]);
                cmd.args(["--tmpfs", "/tmp"]);
                for h in &self.mounts.hidden_dirs {
                    cmd.arg("--tmpfs").arg(h);
                }
                for h in &self.mounts.hidden_files {
                    cmd.arg("--ro-bind").arg("/dev/null").arg(h);
                }
                for e in &self.mounts.exposed {
                    // bwrap would create the folders between the covering tmpfs and the
                    // exposed path as root-only (0700): the sandbox's user could not reach it.
                    for a in self.mounts.folders_above(e) {
                        cmd.args(["--perms", "0755", "--dir"]).arg(a);
                    }
                    cmd.arg("--ro-bind-try").arg(e).arg(e);
                }
                cmd.arg("--ro-bind")
                    .arg(self.root.join(".passwd"))
                    .arg("/etc/passwd");
                cmd.arg("--ro-bind")
                    .arg(self.root.join(".group"))
                    .arg("/etc/group");
                cmd.arg("--bind").arg(&self.root).arg(&self.root);
                cmd.arg("--chdir").arg(&cwd);
                cmd.arg("--");
                cmd.args(helpers.wrap(self.uid, &self.config.limits));
                cmd.args(["/bin/sh", "-c", &req.script]);
                if let Some(cg) = &self.memory {
                    // The shell joins the sandbox's cgroup, then becomes bwrap: every process
                    // the command starts is counted against the sandbox's memory.
                    let mut joined = Command::new("/bin/sh");
                    joined
                        .args(["-c", "echo $$ > \"$0\" && exec \"$@\""])
                        .arg(cg.procs())
                        .arg(bwrap)
                        .args(cmd.as_std().get_args());
                    cmd = joined;
                }
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

/// See [`LocalSandbox::give`].
fn give(work: &Path, uid: u32, path: &Path, recursive: bool) -> Result<(), SandboxError> {
    if recursive {
        for entry in walkdir::WalkDir::new(path).follow_links(false) {
            let entry = entry.map_err(|e| SandboxError::Io {
                action: "walk",
                path: path.to_path_buf(),
                source: e.into(),
            })?;
            chown(entry.path(), uid)?;
        }
    } else {
        chown(path, uid)?;
    }
    for a in path.ancestors().skip(1) {
        if !a.starts_with(work) {
            break;
        }
        chown(a, uid)?;
    }
    Ok(())
}

/// Changes the owner of `path` itself (a symlink, not what it points at) to `uid`:`uid`.
fn chown(path: &Path, uid: u32) -> Result<(), SandboxError> {
    std::os::unix::fs::lchown(path, Some(uid), Some(uid))
        .map_err(SandboxError::io("change the owner of", path))
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
            .map_err(SandboxError::io("write", &path))?;
        self.give(&path, false)
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
        let owner = match self.config.isolation {
            Isolation::Bwrap(_) => Some((self.work.clone(), self.uid)),
            Isolation::None => None,
        };
        blocking(move || {
            copy_tree(&src, &dest)?;
            match owner {
                Some((work, uid)) => give(&work, uid, &dest, true),
                None => Ok(()),
            }
        })
        .await
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
