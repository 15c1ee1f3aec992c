//! Making an agent's container fit to grade in. Terminal-Bench verifiers must run in the
//! container the agent worked in, so before they do, everything the agent left running is killed
//! (the container's whole process tree but its init, its main process, and services: processes
//! listening on a socket, which a task's checks may query) and the folders grading
//! writes to are recreated empty and root-owned. A container the agent broke beyond that (its
//! main process killed, no shell left to run) is reported as [`SandboxError::LeftBroken`]: the
//! agent's failure, never the harness's.

use super::{docker_err, DockerSandbox};
use crate::shell_quote as quote;
use crate::{Quiesced, SandboxError};
use bollard::exec::StartExecResults;
use bollard::query_parameters::TopOptions;
use futures_util::StreamExt;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// How long killing may take before the container is declared unfit to grade in.
const KILL_DEADLINE: Duration = Duration::from_secs(60);

/// One process of the container, as the host's `/proc` shows it.
struct Proc {
    pid: i32,
    ppid: i32,
    /// Clock ticks after boot at which it started.
    start: u64,
    zombie: bool,
}

/// Reads `/proc/<pid>/stat` on this host. The command name may hold spaces and parentheses,
/// so the fields are taken after its last `)`.
fn host_proc(pid: i32) -> Option<Proc> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state (field 3), ppid (4), ..., starttime (22).
    Some(Proc {
        pid,
        zombie: *fields.first()? == "Z",
        ppid: fields.get(1)?.parse().ok()?,
        start: fields.get(19)?.parse().ok()?,
    })
}

/// The processes to kill: all but `init` and its first child (the container's main process,
/// the oldest child of init; anything the agent started is younger).
fn targets(procs: &[Proc], init: i32) -> Vec<i32> {
    let main = procs
        .iter()
        .filter(|p| p.ppid == init && p.pid != init)
        .min_by_key(|p| (p.start, p.pid))
        .map(|p| p.pid);
    procs
        .iter()
        .filter(|p| p.pid != init && Some(p.pid) != main && !p.zombie)
        .map(|p| p.pid)
        .collect()
}

/// Socket inodes listening in the container's network namespace (TCP and TCP6 in state
/// LISTEN, Unix sockets accepting connections), as `/proc/<init>/net` shows them.
fn listening_inodes(init: i32) -> HashSet<u64> {
    let mut out = HashSet::new();
    for (file, state_col, listening) in [
        ("tcp", 3, "0A"),
        ("tcp6", 3, "0A"),
        // Unix: Num RefCount Protocol Flags Type St Inode; flag 0x10000 accepts connections.
        ("unix", 3, ""),
    ] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{init}/net/{file}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let inode = if file == "unix" {
                let accepting = f
                    .get(state_col)
                    .and_then(|x| u64::from_str_radix(x, 16).ok())
                    .is_some_and(|flags| flags & 0x10000 != 0);
                f.get(6).filter(|_| accepting)
            } else {
                f.get(9).filter(|_| f.get(state_col) == Some(&listening))
            };
            if let Some(i) = inode.and_then(|i| i.parse().ok()) {
                out.insert(i);
            }
        }
    }
    out.remove(&0);
    out
}

/// Whether `pid` holds one of `inodes` open: it serves something.
fn holds_listener(pid: i32, inodes: &HashSet<u64>) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path()).is_ok_and(|l| {
            l.to_str()
                .and_then(|l| l.strip_prefix("socket:["))
                .and_then(|l| l.strip_suffix(']'))
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|n| inodes.contains(&n))
        })
    })
}

/// The in-container fallback (a remote engine, whose processes this host cannot see): the same
/// rule in POSIX sh over the container's `/proc`, printing how many it killed.
const KILL_INSIDE: &str = r#"me=$$; main=; best=
for f in /proc/[0-9]*/stat; do
  s=$(cat "$f" 2>/dev/null) || continue; p=${f#/proc/}; p=${p%/stat}
  s=${s##*) }; set -- $s
  [ "$2" = 1 ] || continue
  if [ -z "$best" ] || [ "${20}" -lt "$best" ]; then best=${20}; main=$p; fi
done
n=0
for f in /proc/[0-9]*/stat; do
  p=${f#/proc/}; p=${p%/stat}
  case "$p" in 1|"$me"|"$main") continue;; esac
  s=$(cat "$f" 2>/dev/null) || continue; s=${s##*) }; set -- $s
  [ "$1" = Z ] && continue; [ "$2" = "$me" ] && continue
  kill -9 "$p" 2>/dev/null && n=$((n+1))
done
echo "$n""#;

impl DockerSandbox {
    /// See [`crate::Sandbox::quiesce`].
    pub(super) async fn quiesce_container(
        &self,
        fresh_dirs: &[&str],
    ) -> Result<Quiesced, SandboxError> {
        self.quiesce_with(fresh_dirs, false).await
    }

    /// [`crate::Sandbox::quiesce`] the way a remote engine gets it: killing and recreating from
    /// inside the container, as root. For tests of that path on a local engine.
    #[doc(hidden)]
    pub async fn quiesce_from_inside(&self, fresh_dirs: &[&str]) -> Result<Quiesced, SandboxError> {
        self.quiesce_with(fresh_dirs, true).await
    }

    async fn quiesce_with(
        &self,
        fresh_dirs: &[&str],
        inside: bool,
    ) -> Result<Quiesced, SandboxError> {
        for d in fresh_dirs {
            if !d.starts_with('/')
                || d.split('/').any(|c| c == "..")
                || d.trim_matches('/').is_empty()
            {
                return Err(SandboxError::PathOutsideWorkspace(d.to_string()));
            }
        }
        let result = self.quiesce_running(fresh_dirs, inside).await;
        match result {
            // The container may have stopped under our feet (the agent killed its main process
            // a moment ago): that, not the engine's complaint about it or an exec that could
            // not start ("cannot exec in a deleted state"), is the cause.
            Err(e) => match self.running_init().await {
                Err(broken @ SandboxError::LeftBroken(_)) => Err(broken),
                _ => Err(e),
            },
            ok => ok,
        }
    }

    async fn quiesce_running(
        &self,
        fresh_dirs: &[&str],
        inside: bool,
    ) -> Result<Quiesced, SandboxError> {
        let init = self.running_init().await?;
        let (killed, spared, dirs_done) =
            match init.filter(|pid| !inside && self.visible_here(*pid)) {
                Some(init) => self.kill_from_host(init, fresh_dirs).await?,
                None => (self.kill_from_inside().await?, 0, false),
            };
        if !dirs_done && !fresh_dirs.is_empty() {
            self.recreate_dirs(fresh_dirs).await?;
        }
        Ok(Quiesced { killed, spared })
    }

    /// The host pid of the container's init; an error naming the agent when the container is no
    /// longer running.
    pub(super) async fn running_init(&self) -> Result<Option<i32>, SandboxError> {
        let info = self
            .backend
            .docker
            .inspect_container(&self.id, None)
            .await
            .map_err(docker_err)?;
        let state = info.state.unwrap_or_default();
        if state.running != Some(true) {
            let why = if state.oom_killed == Some(true) {
                "its memory limit was exceeded".to_string()
            } else {
                format!(
                    "its main process ended (exit code {})",
                    state.exit_code.map_or("unknown".into(), |c| c.to_string())
                )
            };
            return Err(SandboxError::LeftBroken(format!(
                "the container stopped while the agent worked: {why}"
            )));
        }
        Ok(state
            .pid
            .and_then(|p| i32::try_from(p).ok())
            .filter(|p| *p > 0))
    }

    /// Whether `pid` on this host is this container's init (a local engine).
    pub(super) fn visible_here(&self, pid: i32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
            .is_ok_and(|c| c.contains(self.id.as_str()))
    }

    /// Kills from the host, with the container frozen so nothing can fork while the list is
    /// read and the kills are sent; rounds until no process but init and main is left. In that
    /// last round, still frozen, recreates `fresh_dirs` through the container's root as this
    /// host sees it (no exec needed); says how many were killed and spared (listening), and
    /// whether the folders were recreated.
    async fn kill_from_host(
        &self,
        init: i32,
        fresh_dirs: &[&str],
    ) -> Result<(usize, usize, bool), SandboxError> {
        let docker = &self.backend.docker;
        let mut killed: HashSet<i32> = HashSet::new();
        let deadline = Instant::now() + KILL_DEADLINE;
        // A first look without freezing: an agent that left nothing running (the usual case)
        // costs no pause. Nothing can start in between: only the harness starts processes.
        let mut first = true;
        loop {
            // Without a freezer (some rootless engines) the rounds still converge on anything
            // but a fork bomb.
            let paused = !first && docker.pause_container(&self.id).await.is_ok();
            let round = self.host_pids().await;
            let mut sent = 0;
            let mut spared = 0;
            let mut denied = false;
            if let Ok(pids) = &round {
                let procs: Vec<Proc> = pids.iter().filter_map(|p| host_proc(*p)).collect();
                // Services the task asked for (a server the tests will query) keep running:
                // a process listening on a socket is spared; all else goes.
                let inodes = listening_inodes(init);
                let all = targets(&procs, init);
                let candidates = all.len();
                let targets: Vec<i32> = all
                    .into_iter()
                    .filter(|pid| inodes.is_empty() || !holds_listener(*pid, &inodes))
                    .collect();
                spared = candidates - targets.len();
                if first && (!targets.is_empty() || spared > 0) {
                    // Kill them frozen, so none forks while the others die; and recreate the
                    // folders frozen, so no service spared writes into them meanwhile.
                    first = false;
                    continue;
                }
                first = false;
                for pid in targets {
                    if nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGKILL,
                    )
                    .is_ok()
                    {
                        killed.insert(pid);
                        sent += 1;
                    } else {
                        denied = true;
                    }
                }
            }
            let dirs_done = round.is_ok()
                && sent == 0
                && !denied
                && (fresh_dirs.is_empty()
                    || {
                        match recreate_on_host(init, fresh_dirs) {
                            Ok(()) => true,
                            Err(e) => {
                                tracing::debug!("recreating {fresh_dirs:?} from the host failed ({e}); from inside instead");
                                false
                            }
                        }
                    });
            if paused {
                docker
                    .unpause_container(&self.id)
                    .await
                    .map_err(docker_err)?;
            }
            round?;
            if denied {
                // Not allowed to signal them from here (a rootless harness): from inside, as root.
                return Ok((killed.len() + self.kill_from_inside().await?, 0, false));
            }
            if sent == 0 {
                return Ok((killed.len(), spared, dirs_done));
            }
            if Instant::now() > deadline {
                return Err(SandboxError::LeftBroken(format!(
                    "processes the agent left kept running after {}s of killing them",
                    KILL_DEADLINE.as_secs()
                )));
            }
            // The killed die as they thaw; the next round sees who is left.
            tokio::task::yield_now().await;
        }
    }

    async fn host_pids(&self) -> Result<Vec<i32>, SandboxError> {
        let top = self
            .backend
            .docker
            .top_processes(&self.id, None::<TopOptions>)
            .await
            .map_err(docker_err)?;
        let col = top
            .titles
            .as_ref()
            .and_then(|t| t.iter().position(|x| x == "PID"))
            .ok_or_else(|| SandboxError::Docker("the engine's process list has no PID".into()))?;
        Ok(top
            .processes
            .unwrap_or_default()
            .iter()
            .filter_map(|r| r.get(col)?.parse().ok())
            .collect())
    }

    async fn kill_from_inside(&self) -> Result<usize, SandboxError> {
        let deadline = Instant::now() + KILL_DEADLINE;
        let mut total = 0;
        loop {
            let (code, out) = self.exec_root(KILL_INSIDE).await?;
            let n: usize = match (code, out.trim().parse()) {
                (Some(0), Ok(n)) => n,
                _ => {
                    return Err(SandboxError::LeftBroken(format!(
                        "could not end the agent's processes (exit code {code:?}): {}",
                        out.trim()
                    )))
                }
            };
            total += n;
            if n == 0 {
                return Ok(total);
            }
            if Instant::now() > deadline {
                return Err(SandboxError::LeftBroken(format!(
                    "processes the agent left kept running after {}s of killing them",
                    KILL_DEADLINE.as_secs()
                )));
            }
        }
    }

    /// Recreates each folder empty, root-owned and mode 755; any ancestor the agent replaced by
    /// a symlink or a file is removed first, so the folder is where its path says.
    async fn recreate_dirs(&self, dirs: &[&str]) -> Result<(), SandboxError> {
        let list: Vec<String> = dirs.iter().map(|d| quote(d)).collect();
        let script = format!(
            r#"set -e
for d in {}; do
  p=; set -f; IFS=/
  for c in ${{d#/}}; do
    p="$p/$c"
    if [ -L "$p" ] || {{ [ -e "$p" ] && [ ! -d "$p" ]; }}; then rm -f -- "$p"; fi
  done
  unset IFS; set +f
  rm -rf -- "$d"; mkdir -p -- "$d"; chown 0:0 "$d"; chmod 755 "$d"
done"#,
            list.join(" ")
        );
        let (code, out) = self.exec_root(&script).await?;
        if code != Some(0) {
            return Err(SandboxError::LeftBroken(format!(
                "could not recreate {} for grading (exit code {code:?}): {}",
                dirs.join(", "),
                out.trim()
            )));
        }
        Ok(())
    }

    /// Runs `script` as root, returning its exit code and output. An engine that answers but
    /// cannot run it (no shell left, no process slot free) is the container's state, which is
    /// the agent's.
    async fn exec_root(&self, script: &str) -> Result<(Option<i64>, String), SandboxError> {
        let docker = &self.backend.docker;
        let broken = |e: bollard::errors::Error| match e {
            bollard::errors::Error::DockerResponseServerError { message, .. } => {
                SandboxError::LeftBroken(format!("the container cannot run a command: {message}"))
            }
            e => docker_err(e),
        };
        let (exec_id, started) = self
            .backend
            .start_sh(
                &self.id,
                super::container::ShExec {
                    script: script.to_string(),
                    user: Some("0".into()),
                    workdir: "/".into(),
                    env: Vec::new(),
                    tty: false,
                },
            )
            .await
            .map_err(broken)?;
        let mut out = crate::HeadTail::new(64 * 1024);
        if let StartExecResults::Attached { mut output, .. } = started {
            let read = async {
                while let Some(Ok(chunk)) = output.next().await {
                    out.push(&chunk.into_bytes());
                }
            };
            if tokio::time::timeout(KILL_DEADLINE, read).await.is_err() {
                return Err(SandboxError::LeftBroken(format!(
                    "a harness command did not finish within {}s in the container",
                    KILL_DEADLINE.as_secs()
                )));
            }
        }
        let code = docker
            .inspect_exec(&exec_id)
            .await
            .map_err(docker_err)?
            .exit_code;
        Ok((code, out.finish().text))
    }
}

/// The host uid (or gid, from `map`: `uid_map`/`gid_map`) that is root inside the container.
fn host_id_of_root(init: i32, map: &str) -> Option<u32> {
    let text = std::fs::read_to_string(format!("/proc/{init}/{map}")).ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split_whitespace().map(|x| x.parse::<u64>().ok());
        let (inside, outside, count) = (f.next()??, f.next()??, f.next()??);
        (inside == 0 && count > 0).then(|| u32::try_from(outside).ok())?
    })
}

/// Recreates each of `dirs` empty, root-owned, mode 755, through `/proc/<init>/root`. The
/// container is frozen and its agent's processes dead, so nothing races these steps; every
/// component is checked without following symlinks (an absolute symlink would resolve on this
/// host), and any that is not a real directory is removed first.
fn recreate_on_host(init: i32, dirs: &[&str]) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let unmapped = || std::io::Error::other("the container's root user is not mapped here");
    let uid = host_id_of_root(init, "uid_map").ok_or_else(unmapped)?;
    let gid = host_id_of_root(init, "gid_map").ok_or_else(unmapped)?;
    let root = std::path::PathBuf::from(format!("/proc/{init}/root"));
    for d in dirs {
        let parts: Vec<&str> = d.split('/').filter(|c| !c.is_empty()).collect();
        let mut p = root.clone();
        for (i, part) in parts.iter().enumerate() {
            p.push(part);
            let last = i + 1 == parts.len();
            match std::fs::symlink_metadata(&p) {
                Ok(m) if m.is_dir() && !last => continue,
                Ok(m) if m.is_dir() => std::fs::remove_dir_all(&p)?,
                Ok(_) => std::fs::remove_file(&p)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            std::fs::create_dir(&p)?;
            std::os::unix::fs::lchown(&p, Some(uid), Some(gid))?;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pid: i32, ppid: i32, start: u64) -> Proc {
        Proc {
            pid,
            ppid,
            start,
            zombie: false,
        }
    }

    #[test]
    fn spares_init_and_the_oldest_child_of_init_only() {
        // 10 init, 11 main, 20 an exec (parent outside), 21 an orphan re-parented to init
        // started later, 22 a zombie.
        let mut z = p(22, 10, 50);
        z.zombie = true;
        let procs = vec![p(10, 1, 5), p(11, 10, 6), p(20, 0, 40), p(21, 10, 41), z];
        assert_eq!(targets(&procs, 10), vec![20, 21]);
    }

    #[test]
    fn reads_this_process_stat_line() {
        let me = host_proc(std::process::id() as i32).unwrap();
        assert!(me.start > 0);
        assert!(!me.zombie);
    }
}
