//! A real Slurm cluster on localhost: munged, slurmctld and slurmd started here with a minimal
//! slurm.conf, a 4-shard study of the polyglot sample suite submitted as `tribench slurm render`
//! writes it, and the merged run compared with a single-machine run outcome for outcome.
//! Everything started here is stopped by its PID; nothing is left running.
//!
//! Needs Debian's `slurm-wlm` and `munge` (scripts/setup.sh installs them) and root (the
//! daemons run as root). Skipped, loudly, only outside CI when they are missing.

use super::trial_outcomes as outcomes;
use super::{bundled_suite, output_ok, poll, run_cmd, stdout_json, succeeded, tribench};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Children stopped (SIGTERM, then SIGKILL) in reverse start order when dropped.
struct Daemons {
    children: Vec<(String, Child)>,
}

impl Drop for Daemons {
    fn drop(&mut self) {
        for (name, c) in self.children.iter_mut().rev() {
            let pid = nix::unistd::Pid::from_raw(c.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            if !poll(Duration::from_secs(15), || {
                matches!(c.try_wait(), Ok(Some(_)))
            }) {
                eprintln!("{name} did not stop on SIGTERM; killing it");
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

fn which(cmd: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(cmd).is_file()))
        || ["/usr/sbin", "/sbin"]
            .iter()
            .any(|d| Path::new(d).join(cmd).is_file())
}

fn sbin(cmd: &str) -> PathBuf {
    ["/usr/sbin", "/sbin", "/usr/bin"]
        .iter()
        .map(|d| Path::new(d).join(cmd))
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(cmd))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(name: &str, cmd: &mut Command, log: &Path, daemons: &mut Daemons) {
    let out = std::fs::File::create(log).unwrap();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    daemons.children.push((name.to_string(), child));
}

fn slurm(conf: &Path, cmd: &str) -> Command {
    let mut c = Command::new(cmd);
    c.env("SLURM_CONF", conf);
    c
}

/// Processes (other than this one) whose environment names `marker`: the daemons and anything
/// they started (job steps inherit SLURM_CONF).
fn processes_with(marker: &str) -> Vec<String> {
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.chars().all(|c| c.is_ascii_digit()) || name == me {
            continue;
        }
        let env = std::fs::read(e.path().join("environ")).unwrap_or_default();
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        // Zombies hold nothing; they wait for their parent to reap them.
        let zombie = stat
            .rsplit(')')
            .next()
            .is_some_and(|s| s.trim_start().starts_with('Z'));
        let hit = |b: &[u8]| String::from_utf8_lossy(b).contains(marker);
        if !zombie && (hit(&env) || hit(&cmdline)) {
            found.push(format!(
                "{name}: {}",
                String::from_utf8_lossy(&cmdline).replace('\0', " ")
            ));
        }
    }
    found
}

fn report(run: &Path) -> serde_json::Value {
    let out = tribench()
        .arg("report")
        .arg("--json")
        .arg(run)
        .output()
        .unwrap();
    succeeded(&out);
    stdout_json(&out)
}

fn logs(dir: &Path) -> String {
    let mut s = String::new();
    for e in walk(dir) {
        if e.extension().is_some_and(|x| x == "out" || x == "log") {
            s.push_str(&format!(
                "--- {}\n{}\n",
                e.display(),
                std::fs::read_to_string(&e).unwrap_or_default()
            ));
        }
    }
    s
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() && p.file_name().is_some_and(|n| n == "logs") {
            out.extend(walk(&p));
        } else if p.is_file() {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_four_shard_slurm_array_merges_into_the_single_machine_run() {
    let missing: Vec<&str> = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo"]
        .into_iter()
        .filter(|c| !which(c))
        .collect();
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    // /proc/self belongs to the process's effective user.
    let root = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").unwrap()) == 0;
    if !missing.is_empty() || !root {
        let why = if root {
            format!(
                "{} missing (install slurm-wlm and munge: scripts/setup.sh)",
                missing.join(", ")
            )
        } else {
            "the Slurm daemons here run as root, and this test is not root".to_string()
        };
        assert!(!ci, "the Slurm test must run in CI: {why}");
        eprintln!("\n*** SKIPPED the real Slurm test: {why} ***\n");
        return;
    }

    let tmp = tempfile::Builder::new()
        .prefix("tribench-slurm-")
        .tempdir()
        .unwrap();
    let t = tmp.path();
    let marker = t.display().to_string();
    let mut daemons = Daemons {
        children: Vec::new(),
    };

    // munged, with a key of our own and its socket in the temp dir (a system munged, if any,
    // is left alone).
    let munge = t.join("munge");
    std::fs::create_dir(&munge).unwrap();
    let key = munge.join("munge.key");
    let mut random = vec![0u8; 1024];
    {
        use std::io::Read;
        std::fs::File::open("/dev/urandom")
            .unwrap()
            .read_exact(&mut random)
            .unwrap();
    }
    std::fs::write(&key, &random).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o400)).unwrap();
    std::fs::set_permissions(&munge, std::fs::Permissions::from_mode(0o711)).unwrap();
    let socket = munge.join("munge.socket");
    let mut cmd = Command::new(sbin("munged"));
    cmd.env("TRIBENCH_SLURM_TEST", &marker).args([
        "--foreground".to_string(),
        "--force".into(),
        format!("--key-file={}", key.display()),
        format!("--socket={}", socket.display()),
        format!("--pid-file={}", munge.join("munged.pid").display()),
        format!("--log-file={}", munge.join("munged.log").display()),
        format!("--seed-file={}", munge.join("munged.seed").display()),
    ]);
    spawn("munged", &mut cmd, &t.join("munged.out"), &mut daemons);
    assert!(
        poll(Duration::from_secs(30), || socket.exists()),
        "munged did not start: {}",
        logs(t)
    );

    // A one-node cluster: this host, all its CPUs, state and spool in the temp dir.
    let host = nix::unistd::gethostname().unwrap().into_string().unwrap();
    let host = host.split('.').next().unwrap().to_string();
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    for d in ["state", "spool"] {
        std::fs::create_dir(t.join(d)).unwrap();
    }
    let conf = t.join("slurm.conf");
    std::fs::write(
        &conf,
        format!(
            "ClusterName=tribench\nSlurmctldHost={host}\nSlurmUser=root\nSlurmdUser=root\n\
             SlurmctldPort={}\nSlurmdPort={}\n\
             AuthType=auth/munge\nCredType=cred/munge\nAuthInfo=socket={}\n\
             StateSaveLocation={t}/state\nSlurmdSpoolDir={t}/spool\n\
             SlurmctldPidFile={t}/slurmctld.pid\nSlurmdPidFile={t}/slurmd.pid\n\
             SlurmctldLogFile={t}/slurmctld.log\nSlurmdLogFile={t}/slurmd.log\n\
             ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n\
             SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU\n\
             JobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n\
             JobCompType=jobcomp/none\nMpiDefault=none\nReturnToService=2\n\
             NodeName={host} CPUs={cpus} State=UNKNOWN\n\
             PartitionName=main Nodes={host} Default=YES MaxTime=INFINITE State=UP\n",
            free_port(),
            free_port(),
            socket.display(),
            t = t.display(),
        ),
    )
    .unwrap();
    let mut cmd = slurm(&conf, &sbin("slurmctld").display().to_string());
    cmd.env("TRIBENCH_SLURM_TEST", &marker)
        .arg("-D")
        .arg("-c")
        .arg("-f")
        .arg(&conf);
    spawn(
        "slurmctld",
        &mut cmd,
        &t.join("slurmctld.out"),
        &mut daemons,
    );
    let mut cmd = slurm(&conf, &sbin("slurmd").display().to_string());
    cmd.env("TRIBENCH_SLURM_TEST", &marker)
        .arg("-D")
        .arg("-f")
        .arg(&conf);
    spawn("slurmd", &mut cmd, &t.join("slurmd.out"), &mut daemons);
    let idle = poll(Duration::from_secs(60), || {
        slurm(&conf, "sinfo")
            .args(["-h", "-o", "%t"])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle")
    });
    assert!(idle, "the node never became idle: {}", logs(t));

    // The study, rendered and submitted as a user would.
    let suite = bundled_suite("polyglot-sample").canonicalize().unwrap();
    let study = t.join("study");
    let out = output_ok(
        tribench()
            .args(["slurm", "render", "-s"])
            .arg(&suite)
            .args([
                "--agent",
                "oracle",
                "-q",
                "--shards",
                "4",
                "--cpus-per-task",
                "1",
                "--run-root",
            ])
            .arg(&study),
    );
    let script = t.join("study.sbatch");
    std::fs::write(&script, &out.stdout).unwrap();
    let sub = slurm(&conf, "sbatch")
        .env("TRIBENCH_SLURM_TEST", &marker)
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        sub.status.success(),
        "sbatch: {}",
        String::from_utf8_lossy(&sub.stderr)
    );

    // Meanwhile, the same run on this machine alone.
    let single = t.join("single");
    let out = run_cmd(&suite, &single)
        .args(["-q", "--agent", "oracle"])
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c == 0 || c == 4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let merged = study.join("merged");
    let done = poll(Duration::from_secs(1800), || {
        merged.join("manifest.json").exists()
            && slurm(&conf, "squeue")
                .arg("-h")
                .output()
                .is_ok_and(|o| o.status.success() && o.stdout.is_empty())
    });
    assert!(done, "the study did not finish: {}", logs(t));
    let merge_log = std::fs::read_to_string(study.join("logs/merge.out")).unwrap_or_default();
    assert!(
        merge_log.contains("merged 4 run directories"),
        "{merge_log}\n{}",
        logs(t)
    );
    assert!(!merge_log.contains("missing"), "{merge_log}");

    // Every shard ran its part, and only its part.
    let mut parts = 0;
    for i in 0..4 {
        let n = outcomes(&study.join(format!("shard-{i}"))).len();
        assert!(n < outcomes(&single).len(), "shard {i} ran {n} trials");
        parts += n;
    }
    assert_eq!(parts, outcomes(&single).len());
    // Outcome for outcome, and the same report.
    assert_eq!(outcomes(&merged), outcomes(&single));
    assert!(!outcomes(&single).is_empty());
    let (a, b) = (report(&merged), report(&single));
    for k in ["expected_trials", "recorded_trials", "outcomes"] {
        assert_eq!(a[k], b[k], "{k}");
    }
    for k in ["tasks", "trials", "score", "first_try", "infra_errors"] {
        assert_eq!(a["total"][k], b["total"][k], "total.{k}");
    }
    let m: tribench_types::RunManifest =
        serde_json::from_slice(&std::fs::read(merged.join("manifest.json")).unwrap()).unwrap();
    let s: tribench_types::RunManifest =
        serde_json::from_slice(&std::fs::read(single.join("manifest.json")).unwrap()).unwrap();
    assert!(m.shard.is_none());
    assert_eq!(m.identity(), s.identity(), "the merged run is the same run");

    // Stop the daemons by their PIDs; nothing this test started may be left running.
    drop(daemons);
    let gone = poll(Duration::from_secs(30), || {
        processes_with(&marker).is_empty()
    });
    assert!(gone, "left running: {:?}", processes_with(&marker));
}
