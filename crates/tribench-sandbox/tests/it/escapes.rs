//! Escapes from the bwrap sandbox, each tried the way a hostile agent would: as the command it
//! would run. None may succeed; the workspace must stay usable.

use super::*;
use std::path::Path;
use tribench_sandbox::ResourceLimits;

async fn run(sb: &LocalSandbox, script: &str) -> tribench_sandbox::ExecOutput {
    sb.exec(req(script)).await.unwrap()
}

#[tokio::test]
async fn commands_run_as_an_unprivileged_user_and_cannot_unmount_or_remount() {
    let base = tempfile::tempdir().unwrap();
    // Outside /tmp, which is hidden as a whole anyway.
    let secret_dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let secret = secret_dir.path().join("test_secret.py");
    std::fs::write(&secret, "SECRET-TESTS").unwrap();
    let Some(sb) = confined_with(base.path(), vec![secret_dir.path().to_path_buf()], |_| {}) else {
        return;
    };
    let out = run(
        &sb,
        "id -u; grep -E '^Cap(Eff|Prm|Bnd|Amb)' /proc/self/status",
    )
    .await;
    let text = out.stdout.text.clone();
    let uid: u32 = text.lines().next().unwrap().trim().parse().unwrap();
    assert_ne!(uid, 0, "{text}");
    assert_eq!(uid, sb.uid());
    for line in text.lines().skip(1) {
        assert!(
            line.ends_with("0000000000000000"),
            "a capability is left: {line}"
        );
    }
    // Unmount the tmpfs hiding the suite, then read the tests: directly, and from a user
    // namespace of its own (where mounts from the sandbox are locked).
    let hidden = secret_dir.path().display();
    let attacks = [
        format!("umount {hidden}; cat {}", secret.display()),
        format!("umount -l {hidden}; cat {}", secret.display()),
        format!(
            "for m in $(awk '{{print $5}}' /proc/self/mountinfo | sort -r); do umount -l $m; done; cat {}",
            secret.display()
        ),
        format!(
            "unshare -Urm sh -c 'umount {hidden}; umount -l {hidden}; cat {}'",
            secret.display()
        ),
    ];
    for a in &attacks {
        let out = run(&sb, a).await;
        assert!(
            !out.combined().contains("SECRET-TESTS"),
            "{a}: {}",
            out.combined()
        );
    }
    // Make the host writable and write to it.
    let victim = secret_dir.path().join("written-from-the-sandbox");
    let _ = std::fs::remove_file(&victim);
    let attacks = [
        "mount -o remount,rw,bind / && touch /usr/tribench-escape".to_string(),
        "mount -o remount,rw / && touch /usr/tribench-escape".to_string(),
        "unshare -Urm sh -c 'mount -o remount,rw,bind / && touch /usr/tribench-escape'".to_string(),
        format!(
            "mount -t tmpfs none /mnt; mount --bind / /mnt && touch /mnt{}",
            victim.display()
        ),
    ];
    for a in &attacks {
        let _ = run(&sb, a).await;
        assert!(!Path::new("/usr/tribench-escape").exists(), "{a}");
        assert!(!victim.exists(), "{a}");
    }
    // setuid programs cannot give root back.
    let out = run(&sb, "su -c id root </dev/null; id -u").await;
    assert!(
        out.stdout.text.trim().ends_with(&uid.to_string()),
        "{}",
        out.combined()
    );
    // The workspace is still its own.
    assert!(run(&sb, "echo ok > mine.txt && cat mine.txt")
        .await
        .success());
}

#[tokio::test]
async fn no_host_socket_is_reachable() {
    let base = tempfile::tempdir().unwrap();
    let Some(sb) = confined_with(base.path(), vec![], |_| {}) else {
        return;
    };
    // Every socket file the sandbox can see, /proc and /sys aside.
    let out = run(
        &sb,
        "find / \\( -path /proc -o -path /sys \\) -prune -o -type s -print 2>/dev/null",
    )
    .await;
    assert_eq!(out.stdout.text.trim(), "", "sockets visible in the sandbox");
    // The Docker socket by both of its usual names, when this machine has one.
    for p in ["/run/docker.sock", "/var/run/docker.sock"] {
        let probe = format!(
            "python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.connect('{p}'); print('CONNECTED')\""
        );
        let out = run(&sb, &probe).await;
        assert!(
            !out.stdout.text.contains("CONNECTED"),
            "{p}: {}",
            out.combined()
        );
    }
}

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

#[tokio::test]
async fn the_git_repository_holding_a_suite_is_hidden_with_all_its_work_trees() {
    let base = tempfile::tempdir().unwrap();
    // Outside /tmp, which is hidden as a whole anyway.
    let repo_parent = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let repo = repo_parent.path().join("project");
    let suite = repo.join("suites/demo");
    std::fs::create_dir_all(&suite).unwrap();
    std::fs::write(suite.join("test_demo.py"), "SECRET-TESTS\n").unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "suite"]);
    let linked = repo_parent.path().join("linked");
    git(&repo, &["worktree", "add", "-q", linked.to_str().unwrap()]);
    // The suite is run from the linked work tree: its copy in the main one and the shared
    // history must be hidden too.
    let run_suite = linked.join("suites/demo");
    let Some(sb) = confined_with(base.path(), vec![run_suite.clone()], |_| {}) else {
        return;
    };
    let attacks = [
        format!("cat {}", run_suite.join("test_demo.py").display()),
        format!("cat {}", suite.join("test_demo.py").display()),
        format!(
            "git -C {} show HEAD:suites/demo/test_demo.py",
            linked.display()
        ),
        format!(
            "git -C {} show HEAD:suites/demo/test_demo.py",
            repo.display()
        ),
        format!(
            "git --git-dir={}/.git show HEAD:suites/demo/test_demo.py",
            repo.display()
        ),
        format!("grep -r SECRET {}", repo_parent.path().display()),
    ];
    for a in &attacks {
        let out = run(&sb, a).await;
        assert!(
            !out.stdout.text.contains("SECRET-TESTS"),
            "{a}: {}",
            out.combined()
        );
    }
}

#[tokio::test]
async fn homes_and_host_state_are_hidden_while_toolchains_still_run() {
    let base = tempfile::tempdir().unwrap();
    let Some(sb) = confined_with(base.path(), vec![], |_| {}) else {
        return;
    };
    let out = run(&sb, "ls -A /home /var/log /var/lib/docker /mnt 2>/dev/null").await;
    let listed: Vec<&str> = out
        .stdout
        .text
        .lines()
        .filter(|l| !l.is_empty() && !l.ends_with(':'))
        .collect();
    assert!(listed.is_empty(), "host state visible: {listed:?}");
    // /root shows at most the toolchains installed there, never its other files.
    let out = run(&sb, "ls -A /root").await;
    for name in out.stdout.text.lines() {
        assert!(
            [".cargo", ".rustup", ".pyenv"].contains(&name),
            "/root shows {name}"
        );
    }
    // The account files name the sandbox's user, not the host's.
    let out = run(&sb, "cat /etc/passwd; whoami").await;
    assert!(
        out.stdout.text.trim_end().ends_with("agent"),
        "{}",
        out.combined()
    );
    assert_eq!(out.stdout.text.lines().count(), 4, "{}", out.combined());
    // What tests need still runs.
    let out = run(
        &sb,
        "python3 -c 'print(6*7)' && sh -c 'echo $HOME' && git --version",
    )
    .await;
    assert!(out.success(), "{}", out.combined());
    assert!(out.stdout.text.starts_with("42\n"));
}

#[tokio::test]
async fn memory_and_process_limits_hold() {
    let base = tempfile::tempdir().unwrap();
    let Some(sb) = confined_with(base.path(), vec![], |c| {
        c.limits = ResourceLimits {
            max_processes: 64,
            max_memory_bytes: 256 << 20,
            ..ResourceLimits::default()
        };
    }) else {
        return;
    };
    let out = run(
        &sb,
        "python3 -c 'x = bytearray(1536 << 20); print(\"GOT-MEMORY\")'",
    )
    .await;
    assert!(
        !out.stdout.text.contains("GOT-MEMORY"),
        "{}",
        out.combined()
    );
    assert!(out.combined().contains("MemoryError"), "{}", out.combined());
    // A fork bomb that counts how far it got, then cleans up.
    let bomb = "python3 -c '\nimport os, signal\nkids = []\ntry:\n    for _ in range(2000):\n        pid = os.fork()\n        if pid == 0:\n            signal.pause()\n        kids.append(pid)\nexcept OSError:\n    pass\nfor k in kids:\n    os.kill(k, signal.SIGKILL)\nprint(len(kids))\n'";
    let out = run(&sb, bomb).await;
    let count: u32 = out
        .stdout
        .text
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{}", out.combined()));
    assert!(count < 64, "{count} processes ran");
    // Within the limits everything works.
    let out = run(&sb, "python3 -c 'x = bytearray(64 << 20); print(len(x))'").await;
    assert_eq!(
        out.stdout.text.trim(),
        (64u64 << 20).to_string(),
        "{}",
        out.combined()
    );
}

#[tokio::test]
async fn the_sandbox_as_a_whole_is_held_to_its_memory_limit() {
    // Each process stays under the per-process limit; together they do not fit the sandbox's.
    let base = tempfile::tempdir().unwrap();
    let Some(sb) = confined_with(base.path(), vec![], |c| {
        c.limits = ResourceLimits {
            max_memory_bytes: 512 << 20,
            max_sandbox_memory_bytes: 384 << 20,
            ..ResourceLimits::default()
        };
    }) else {
        return;
    };
    // Written bytes, not zero pages: each holds 160 MiB of real memory for a second.
    let hold =
        "python3 -c 'import time; x = b\"y\" * (160 << 20); time.sleep(1.5); print(\"HELD\")'";
    let out = run(&sb, &format!("for i in 1 2 3 4; do {hold} & done; wait")).await;
    let held = out.stdout.text.matches("HELD").count();
    assert!(
        held < 4,
        "4 x 160 MiB fit a 384 MiB sandbox: {}",
        out.combined()
    );
    // Under the limit, memory is there.
    let out = run(&sb, &format!("{hold} & {hold} & wait")).await;
    assert_eq!(
        out.stdout.text.matches("HELD").count(),
        2,
        "{}",
        out.combined()
    );
    // The cgroup goes with the sandbox.
    let name = format!("{}-{}", std::process::id(), sb.uid());
    let cgroups = || -> usize {
        ["/sys/fs/cgroup/memory/tribench", "/sys/fs/cgroup/tribench"]
            .iter()
            .filter(|d| Path::new(d).join(&name).is_dir())
            .count()
    };
    assert_eq!(cgroups(), 1, "the sandbox has no cgroup of its own");
    drop(sb);
    assert_eq!(cgroups(), 0, "the cgroup outlived its sandbox");
}

#[tokio::test]
async fn no_process_outlives_its_command() {
    let base = tempfile::tempdir().unwrap();
    let Some(sb) = confined_with(base.path(), vec![], |_| {}) else {
        return;
    };
    // Detached from the group and the session: only the pid namespace can take it down.
    let out = run(
        &sb,
        "setsid nohup sh -c 'while :; do date +%s%N > beacon; sleep 0.05; done' >/dev/null 2>&1 & \
         sleep 0.3; cat beacon",
    )
    .await;
    assert!(out.success(), "{}", out.combined());
    let beacon = sb.work_path().join("beacon");
    let last = std::fs::read_to_string(&beacon).unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        assert_eq!(
            std::fs::read_to_string(&beacon).unwrap(),
            last,
            "a background loop still runs after its command ended"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn files_the_harness_writes_belong_to_the_agent_and_the_harness_reads_the_agents() {
    let base = tempfile::tempdir().unwrap();
    let Some(sb) = confined_with(base.path(), vec![], |_| {}) else {
        return;
    };
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(src.path().join("pkg/sub")).unwrap();
    std::fs::write(src.path().join("pkg/sub/mod.py"), "old").unwrap();
    sb.copy_in(src.path(), ".").await.unwrap();
    sb.write_file("deep/new/file.txt", b"old").await.unwrap();
    let out = run(
        &sb,
        "echo new > pkg/sub/mod.py && echo new > deep/new/file.txt && mkdir pkg/sub/more \
         && rm -r deep/new && echo mine > made.txt && chmod 000 made.txt",
    )
    .await;
    assert!(out.success(), "{}", out.combined());
    assert_eq!(sb.read_file("pkg/sub/mod.py").await.unwrap(), b"new\n");
    // Even a file the agent made unreadable to itself.
    assert_eq!(sb.read_file("made.txt").await.unwrap(), b"mine\n");
}

#[tokio::test]
async fn a_tool_folder_deep_under_a_hidden_one_stays_reachable_for_the_unprivileged_user() {
    // As `tools/js` sits in the tribench checkout that holds the sample suites: the checkout is
    // hidden as the suite's repository, its jest is exposed two levels down.
    let base = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let tool = repo.path().join("tools/js/node_modules");
    std::fs::create_dir_all(&tool).unwrap();
    std::fs::write(tool.join("jest.js"), "TOOL").unwrap();
    std::fs::write(repo.path().join("secret.txt"), "SECRET").unwrap();
    let exposed = repo.path().join("tools/js");
    let Some(sb) = confined_with(base.path(), vec![repo.path().to_path_buf()], |c| {
        c.expose = vec![exposed.clone()];
    }) else {
        return;
    };
    let out = run(&sb, &format!("cat {}", tool.join("jest.js").display())).await;
    assert_eq!(out.stdout.text, "TOOL", "{}", out.combined());
    let out = run(&sb, &format!("cat {}/secret.txt", repo.path().display())).await;
    assert!(!out.success());
}
