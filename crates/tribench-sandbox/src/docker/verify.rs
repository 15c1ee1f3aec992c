//! Running a verifier out of reach of the services an agent left running.
//!
//! Grading spares processes that listen on a socket (a task's checks may query them). Such a
//! survivor runs as root in the container and could rewrite the reward file or the tests while
//! the verifier runs. [`DockerSandbox::verify_isolated`] closes that: the verifier gets a mount
//! namespace of its own in which the tests folder and the results folder are fresh tmpfs
//! mounts (the tests arrive on the exec's stdin, never through the shared filesystem), and it
//! runs with one capability more than the container's processes have, so that none of them may
//! ptrace it, open its `/proc/<pid>/root` or join its namespaces (the kernel allows those only
//! to a process holding every capability of its target, or `CAP_SYS_PTRACE`). The results come
//! back on the exec's stderr, a stream the verifier's own processes never hold: their stderr is
//! their stdout.
//!
//! Setting up the namespace needs `CAP_SYS_ADMIN`, which no exec into an ordinary container has
//! (and a privileged exec asks for every capability, which an engine itself running with fewer
//! cannot grant). So with a local engine the harness enters the container from this host
//! (`nsenter` into its namespaces, after moving itself into the container's cgroups, so its
//! limits and `docker stop` hold), makes the private mounts, and narrows the verifier with
//! `setpriv` to the container's own capability set plus the one extra. What stays different
//! from a plain exec: no seccomp filter and no AppArmor profile apply to the verifier.

use super::container::tar_of;
use super::{docker_err, DockerSandbox};
use crate::capture::drain;
use crate::capture::HeadTail;
use crate::{ExecOutput, IsolatedVerifier, SandboxError, VerifierOutput};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::io::AsyncWriteExt;

/// Capability names by number (capabilities(7)), as `setpriv` spells them.
const CAP_NAMES: [&str; 41] = [
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];
const CAP_SYS_PTRACE: u32 = 19;
const CAP_SYS_ADMIN: u32 = 21;
/// Harmless capabilities, one of which sets the verifier above the container's processes.
const EXTRA_CAPS: [u32; 3] = [35, 36, 37];

/// Bytes of results (hex-encoded on stderr) read back at most.
const RESULTS_CAP: usize = 16 << 20;

/// The capability set of processes in the container: the bounding set of its init, as this
/// host's `/proc` shows it.
fn container_caps(init: i32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{init}/status")).ok()?;
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))?
        .trim();
    u64::from_str_radix(hex, 16).ok()
}

/// The `cgroup.procs` files of the cgroups `init` is in (v1 hierarchies and v2), as this
/// host mounts them.
fn cgroup_procs_files(init: i32) -> Result<Vec<PathBuf>, String> {
    let own = std::fs::read_to_string(format!("/proc/{init}/cgroup"))
        .map_err(|e| format!("reading the container's cgroups: {e}"))?;
    let mounts = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| format!("reading this host's mounts: {e}"))?;
    cgroup_files_from(&own, &mounts)
}

pub(crate) fn cgroup_files_from(own: &str, mountinfo: &str) -> Result<Vec<PathBuf>, String> {
    // (mount point, fstype, super options) of the cgroup mounts rooted at their hierarchy's top.
    let mounts: Vec<(&str, &str, Vec<&str>)> = mountinfo
        .lines()
        .filter_map(|l| {
            let (left, right) = l.split_once(" - ")?;
            let left: Vec<&str> = left.split(' ').collect();
            let right: Vec<&str> = right.split(' ').collect();
            let (root, point, fstype, opts) = (
                *left.get(3)?,
                *left.get(4)?,
                *right.first()?,
                *right.get(2)?,
            );
            (root == "/" && (fstype == "cgroup" || fstype == "cgroup2"))
                .then(|| (point, fstype, opts.split(',').collect()))
        })
        .collect();
    let mut files = Vec::new();
    for line in own.lines().filter(|l| !l.trim().is_empty()) {
        let mut parts = line.splitn(3, ':');
        let (_, ctrls, path) = match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(b), Some(c)) => (a, b, c),
            _ => return Err(format!("unreadable cgroup line {line:?}")),
        };
        let wanted: Vec<&str> = ctrls.split(',').filter(|c| !c.is_empty()).collect();
        let mount = mounts.iter().find(|(_, fstype, opts)| {
            if wanted.is_empty() {
                *fstype == "cgroup2"
            } else {
                *fstype == "cgroup" && wanted.iter().all(|c| opts.contains(c))
            }
        });
        match mount {
            Some((point, _, _)) => files.push(
                PathBuf::from(point)
                    .join(path.trim_start_matches('/'))
                    .join("cgroup.procs"),
            ),
            // A v2 line on a host that mounts only v1 hierarchies holds no controller.
            None if wanted.is_empty() => {}
            None => {
                return Err(format!(
                    "no mount of the {ctrls} cgroup hierarchy on this host"
                ))
            }
        }
    }
    if files.is_empty() {
        return Err("the container's cgroups are not mounted on this host".into());
    }
    Ok(files)
}

/// The `setpriv --bounding-set` list for the verifier: the container's capabilities plus one
/// it lacks; `Err` says why no such list sets the verifier out of the survivors' reach.
pub(crate) fn verifier_caps(container: u64) -> Result<String, String> {
    let has = |c: u32| container & (1u64 << c) != 0;
    if has(CAP_SYS_PTRACE) || has(CAP_SYS_ADMIN) {
        return Err(
            "the container's processes hold CAP_SYS_PTRACE or CAP_SYS_ADMIN, so nothing shields a verifier from them"
                .into(),
        );
    }
    let Some(extra) = EXTRA_CAPS.iter().copied().find(|c| !has(*c)) else {
        return Err("the container's processes hold every harmless capability".into());
    };
    let mut names: Vec<&str> = CAP_NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| has(*i as u32))
        .map(|(_, n)| *n)
        .collect();
    names.push(CAP_NAMES[extra as usize]);
    Ok(names
        .iter()
        .map(|n| format!("+{n}"))
        .collect::<Vec<_>>()
        .join(","))
}

/// On this host: waits until the harness has moved it into the container's cgroups, then enters
/// the container's namespaces and root ($0: its init).
const ENTER: &str = r#"read go || exit 125
exec nsenter -t "$0" -m -u -i -n -p -C -r -- "$@""#;

/// In the container, as root with this host's capabilities: checks the tools, then enters a mount namespace of its
/// own ($1 is the inner script, $2 the working folder).
const OUTER: &str = r#"for t in unshare setpriv mount tar od tr; do
  command -v "$t" >/dev/null 2>&1 || { echo "tribench-verify-missing $t" >&2; exit 125; }
done
inner=$1; cd "$2" || { echo "tribench-verify-failed entering $2" >&2; exit 125; }; shift 2
exec unshare --mount --propagation private /bin/sh -c "$inner" tribench-verify "$@""#;

/// In the private namespace: fresh tmpfs folders, the tests from stdin, the verifier narrowed
/// to its capabilities with its stderr joined to its stdout, then the results on our stderr.
const INNER: &str = r#"caps=$1; tests=$2; results=$3; script=$4; shift 4
fail() { echo "tribench-verify-failed $1" >&2; exit 125; }
mkdir -p "$tests" "$results" || fail "creating $tests and $results"
mount -t tmpfs -o mode=755 tribench-tests "$tests" || fail "mounting $tests"
mount -t tmpfs -o mode=755 tribench-verifier "$results" || fail "mounting $results"
tar -x -C "$tests" -f - || fail "unpacking the tests"
setpriv --inh-caps=-all --bounding-set="-all,$caps" /bin/sh -c "$script" </dev/null 2>&1
code=$?
for f in "$@"; do
  p="$results/$f"
  if [ -f "$p" ] && [ ! -L "$p" ]; then
    printf 'tribench-verify-file %s ' "$f" >&2
    od -An -v -tx1 "$p" | tr -d ' \n' >&2
    echo >&2
  fi
done
exit $code"#;

/// What the wrapper said on its private stream.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Said {
    pub files: Vec<(String, Vec<u8>)>,
    /// Why the verifier could not be isolated (nothing of it ran).
    pub refused: Option<String>,
    /// Anything else it printed (a tool's own complaint).
    pub other: String,
}

pub(crate) fn parse_said(stderr: &[u8]) -> Said {
    let mut said = Said::default();
    for line in String::from_utf8_lossy(stderr).lines() {
        if let Some(rest) = line.strip_prefix("tribench-verify-file ") {
            let (name, hex) = rest.split_once(' ').unwrap_or((rest, ""));
            if let Some(bytes) = unhex(hex) {
                said.files.push((name.to_string(), bytes));
            }
        } else if let Some(tool) = line.strip_prefix("tribench-verify-missing ") {
            said.refused = Some(format!("the container has no `{tool}`"));
        } else if let Some(what) = line.strip_prefix("tribench-verify-failed ") {
            said.refused = Some(format!("{what} failed"));
        } else {
            said.other.push_str(line);
            said.other.push('\n');
        }
    }
    if let Some(why) = &mut said.refused {
        let more = said.other.trim();
        if !more.is_empty() {
            why.push_str(": ");
            why.push_str(more);
        }
    }
    said
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl DockerSandbox {
    /// See [`crate::Sandbox::verify_isolated`].
    pub(super) async fn verify_in_own_namespace(
        &self,
        v: IsolatedVerifier,
    ) -> Result<VerifierOutput, SandboxError> {
        self.check_live()?;
        let not = |why: String| SandboxError::NotIsolated(why);
        let init = self
            .running_init()
            .await?
            .filter(|pid| self.visible_here(*pid))
            .ok_or_else(|| {
                not(
                    "the engine is not on this host, so its processes' capabilities cannot be read"
                        .into(),
                )
            })?;
        let caps = container_caps(init)
            .ok_or_else(|| not("the container's capabilities could not be read".into()))?;
        let caps = verifier_caps(caps).map_err(not)?;
        for p in [&v.tests_at, &v.results_at] {
            if !p.starts_with('/')
                || p.split('/').any(|c| c == "..")
                || p.trim_matches('/').is_empty()
            {
                return Err(SandboxError::PathOutsideWorkspace(p.clone()));
            }
        }
        let mut tar = tar_of(&v.tests, "")?;
        // Whole 10 KiB records, as tar reads them from a pipe.
        tar.resize(tar.len().div_ceil(10240) * 10240, 0);
        let procs_files = cgroup_procs_files(init).map_err(not)?;
        let image_env = self
            .backend
            .docker
            .inspect_container(&self.id, None)
            .await
            .map_err(docker_err)?
            .config
            .and_then(|c| c.env)
            .unwrap_or_default();

        let tag = format!(
            "{}-{}",
            &self.id[..12.min(self.id.len())],
            self.execs.fetch_add(1, Ordering::SeqCst)
        );
        let mut cmd = tokio::process::Command::new("/bin/sh");
        cmd.arg("-c")
            .arg(ENTER)
            .arg(init.to_string())
            .args(["/bin/sh", "-c", OUTER, "tribench-verify", INNER])
            .arg(&self.workdir)
            .arg(caps)
            .arg(&v.tests_at)
            .arg(&v.results_at)
            .arg(&v.exec.script)
            .args(&v.collect)
            .env_clear()
            .envs(image_env.iter().filter_map(|kv| kv.split_once('=')))
            .envs(v.exec.env.iter().map(|(k, v)| (k, v)))
            .env("TRIBENCH_EXEC_ID", &tag)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|source| SandboxError::Spawn {
            program: "/bin/sh (entering the container)".into(),
            source,
        })?;
        // Into the container's cgroups before anything runs (the child waits for a line).
        let pid = child.id().unwrap_or_default().to_string();
        for f in &procs_files {
            if let Err(e) = std::fs::write(f, &pid) {
                let _ = child.kill().await;
                return Err(not(format!(
                    "joining the container's cgroup {}: {e}",
                    f.display()
                )));
            }
        }
        let (Some(mut input), Some(out), Some(err)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill().await;
            return Err(SandboxError::Docker(
                "the verifier's pipes were not set up".into(),
            ));
        };
        let start = Instant::now();
        let cap = v.exec.output_cap;
        let stdout = tokio::spawn(drain(out, cap));
        let said = tokio::spawn(drain(err, RESULTS_CAP));
        let run = async {
            // The wrapper reads all of stdin before it prints anything but a refusal.
            let sent = async {
                input.write_all(b"go\n").await?;
                input.write_all(&tar).await?;
                input.shutdown().await
            };
            if let Err(e) = sent.await {
                tracing::debug!("sending the tests to the verifier: {e}");
            }
            drop(input);
            child.wait().await
        };
        let waited = tokio::time::timeout(v.exec.timeout, run).await;
        let duration = start.elapsed();
        let timed_out = waited.is_err();
        if timed_out {
            self.kill_tagged(&tag).await;
            let _ = child.kill().await;
        }
        let exit_code = match waited {
            Ok(Ok(status)) => status.code(),
            _ => None,
        };
        let stdout = stdout.await.unwrap_or_default();
        let said = said.await.unwrap_or_default();
        let said_bytes: Vec<u8> = said.text.into_bytes();
        let said = parse_said(&said_bytes);
        if let Some(why) = said.refused {
            return Err(SandboxError::NotIsolated(why));
        }
        let mut stderr = HeadTail::new(v.exec.output_cap);
        stderr.push(said.other.as_bytes());
        Ok(VerifierOutput {
            exec: ExecOutput {
                exit_code,
                timed_out,
                stdout,
                stderr: stderr.finish(),
                duration,
            },
            files: said.files,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_default_capabilities_get_wake_alarm_added() {
        // Docker's default set.
        let caps = verifier_caps(0x0000_0000_a804_25fb).unwrap();
        assert_eq!(
            caps,
            "+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap,+net_bind_service,+net_raw,+sys_chroot,+mknod,+audit_write,+setfcap,+wake_alarm"
        );
        assert!(verifier_caps(0x0000_0000_a804_25fb | (1 << 19)).is_err());
        assert!(verifier_caps(0x0000_01ff_ffff_ffff).is_err());
        let with_wake = verifier_caps(0x0000_0000_a804_25fb | (1 << 35)).unwrap();
        assert!(
            with_wake.ends_with("+wake_alarm,+block_suspend"),
            "{with_wake}"
        );
    }

    #[test]
    fn cgroup_files_of_a_v1_and_a_v2_host() {
        let v1 = "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
        let own = "9:name=systemd:/docker/abc\n4:memory:/docker/abc\n1:cpu,cpuacct:/docker/abc\n0::/docker/abc\n";
        let files = cgroup_files_from(own, v1).unwrap();
        let files: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(
            files,
            [
                "/sys/fs/cgroup/systemd/docker/abc/cgroup.procs",
                "/sys/fs/cgroup/memory/docker/abc/cgroup.procs",
                "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cgroup.procs",
                "/sys/fs/cgroup/unified/docker/abc/cgroup.procs",
            ]
        );
        let v2 = "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
        let files = cgroup_files_from("0::/system.slice/docker-abc.scope\n", v2).unwrap();
        assert_eq!(
            files,
            [PathBuf::from(
                "/sys/fs/cgroup/system.slice/docker-abc.scope/cgroup.procs"
            )]
        );
        assert!(cgroup_files_from("4:memory:/docker/abc\n", v2).is_err());
    }

    #[test]
    fn results_and_refusals_are_read_from_the_private_stream() {
        let said = parse_said(
            b"tribench-verify-file reward.txt 310a\nnoise\ntribench-verify-file bad 3\n",
        );
        assert_eq!(
            said.files,
            vec![("reward.txt".to_string(), b"1\n".to_vec())]
        );
        assert_eq!(said.refused, None);
        assert_eq!(said.other, "noise\n");
        let said = parse_said(b"tribench-verify-missing setpriv\n");
        assert_eq!(
            said.refused.as_deref(),
            Some("the container has no `setpriv`")
        );
        let said =
            parse_said(b"mount: permission denied\ntribench-verify-failed mounting /tests\n");
        assert_eq!(
            said.refused.as_deref(),
            Some("mounting /tests failed: mount: permission denied")
        );
    }
}
