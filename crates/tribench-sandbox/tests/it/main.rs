//! Integration tests for the local sandbox against real processes (and bubblewrap when the
//! machine has it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod docker;
mod docker_grading;
mod escapes;
mod services;

use std::sync::Arc;
use std::time::{Duration, Instant};
use tribench_sandbox::{ExecRequest, Isolation, LocalSandbox, LocalSandboxConfig, Sandbox};

fn sandbox(base: &std::path::Path) -> LocalSandbox {
    LocalSandbox::create(Arc::new(LocalSandboxConfig::new(base)), "work").unwrap()
}

fn req(script: &str) -> ExecRequest {
    ExecRequest::new(script, Duration::from_secs(20))
}

#[tokio::test]
async fn runs_commands_in_the_workspace_and_moves_files() {
    let base = tempfile::tempdir().unwrap();
    let sb = sandbox(base.path());
    sb.write_file("dir/a.txt", b"hello").await.unwrap();
    let out = sb
        .exec(req("cat dir/a.txt; echo err >&2; exit 3"))
        .await
        .unwrap();
    assert_eq!(out.exit_code, Some(3));
    assert_eq!(out.stdout.text, "hello");
    assert_eq!(out.stderr.text, "err\n");
    let out = sb.exec(req("printf made > b.txt")).await.unwrap();
    assert!(out.success());
    assert_eq!(sb.read_file("b.txt").await.unwrap(), b"made");
    assert!(sb.exists("b.txt").await.unwrap());
    sb.remove("dir").await.unwrap();
    assert!(!sb.exists("dir/a.txt").await.unwrap());
}

#[tokio::test]
async fn timeout_kills_the_whole_process_group() {
    let base = tempfile::tempdir().unwrap();
    let sb = sandbox(base.path());
    let marker = sb.workdir().to_string() + "/survivor";
    // A background grandchild that would write a file after the timeout if it survived.
    let script = format!("(sleep 3; touch {marker}) & sleep 60");
    let start = Instant::now();
    let out = sb
        .exec(ExecRequest::new(script, Duration::from_millis(500)))
        .await
        .unwrap();
    assert!(out.timed_out);
    assert_eq!(out.exit_code, None);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    // Poll past the moment the grandchild would have written.
    let deadline = Instant::now() + Duration::from_secs(4);
    while Instant::now() < deadline {
        assert!(
            !std::path::Path::new(&marker).exists(),
            "grandchild survived the timeout"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn huge_and_invalid_utf8_output_is_capped_and_decoded() {
    let base = tempfile::tempdir().unwrap();
    let sb = sandbox(base.path());
    // 50 MB of output, with invalid UTF-8 at the start and a marker at the end.
    let script =
        "printf '\\377\\376start'; head -c 52428800 /dev/zero | tr '\\0' 'x'; printf 'THE-END'";
    let mut r = req(script);
    r.output_cap = 4096;
    let out = sb.exec(r).await.unwrap();
    assert!(out.success());
    assert!(out.stdout.truncated);
    assert_eq!(out.stdout.total_bytes, 52_428_800 + 7 + 7);
    assert!(out.stdout.text.starts_with("\u{fffd}\u{fffd}start"));
    assert!(out.stdout.text.ends_with("THE-END"));
    assert!(out.stdout.text.len() < 8192);
}

#[tokio::test]
async fn file_paths_cannot_escape_the_workspace() {
    let base = tempfile::tempdir().unwrap();
    let sb = sandbox(base.path());
    assert!(sb.write_file("../x", b"").await.is_err());
    assert!(sb.write_file("/etc/x", b"").await.is_err());
    assert!(sb.read_file("a/../../x").await.is_err());
    // A symlink planted inside the workspace is not followed by the harness.
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.txt");
    std::fs::write(&victim, "original").unwrap();
    let link = format!("ln -s {} link.txt", victim.display());
    assert!(sb.exec(req(&link)).await.unwrap().success());
    assert!(sb.read_file("link.txt").await.is_err());
    sb.write_file("link.txt", b"overwritten").await.unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "original");
    assert_eq!(sb.read_file("link.txt").await.unwrap(), b"overwritten");
}

#[tokio::test]
async fn secrets_in_the_host_environment_do_not_reach_commands() {
    // Set in this process only; the sandbox passes a fixed allow-list of variables.
    std::env::set_var("TRIBENCH_TEST_SECRET_KEY", "sk-should-not-leak");
    let base = tempfile::tempdir().unwrap();
    let sb = sandbox(base.path());
    let out = sb.exec(req("env")).await.unwrap();
    assert!(!out.stdout.text.contains("sk-should-not-leak"));
    assert!(out.stdout.text.contains("HOME="));
}

#[tokio::test]
async fn stop_removes_the_directory_and_refuses_more_work() {
    let base = tempfile::tempdir().unwrap();
    let sb = sandbox(base.path());
    let work = sb.work_path().to_path_buf();
    sb.write_file("f", b"x").await.unwrap();
    sb.stop().await.unwrap();
    assert!(!work.exists());
    assert!(sb.exec(req("true")).await.is_err());
    sb.stop().await.unwrap();
}

/// A bwrap-confined sandbox in `base` hiding `hide`, its config changed by `edit` first; none
/// where bubblewrap is missing.
fn confined_with(
    base: &std::path::Path,
    hide: Vec<std::path::PathBuf>,
    edit: impl FnOnce(&mut LocalSandboxConfig),
) -> Option<LocalSandbox> {
    let mut cfg = LocalSandboxConfig::new(base);
    if !matches!(cfg.isolation, Isolation::Bwrap(_)) {
        // CI installs bubblewrap; a developer machine without it cannot test confinement.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have bubblewrap installed"
        );
        return None;
    }
    cfg.hide = hide;
    edit(&mut cfg);
    Some(LocalSandbox::create(Arc::new(cfg), "work").unwrap())
}

mod bwrap {
    use super::*;

    fn confined(base: &std::path::Path, hide: Vec<std::path::PathBuf>) -> Option<LocalSandbox> {
        confined_with(base, hide, |_| {})
    }

    #[tokio::test]
    async fn hidden_directories_and_other_trials_are_invisible() {
        let base = tempfile::tempdir().unwrap();
        let secret_dir = tempfile::tempdir().unwrap();
        std::fs::write(secret_dir.path().join("test_secret.py"), "assert True").unwrap();
        let Some(sb) = confined(base.path(), vec![secret_dir.path().to_path_buf()]) else {
            return;
        };
        let other = confined(base.path(), vec![]).unwrap();
        other
            .write_file("other_trial_tests.py", b"x")
            .await
            .unwrap();

        let secret = secret_dir.path().join("test_secret.py");
        let out = sb
            .exec(req(&format!("cat {}", secret.display())))
            .await
            .unwrap();
        assert!(
            !out.success(),
            "hidden file was readable: {}",
            out.stdout.text
        );
        let other_file = other.work_path().join("other_trial_tests.py");
        let out = sb
            .exec(req(&format!("cat {}", other_file.display())))
            .await
            .unwrap();
        assert!(!out.success(), "another trial's workspace was readable");
        // The host outside the workspace is read-only.
        let out = sb
            .exec(req("touch /usr/tribench-write-test"))
            .await
            .unwrap();
        assert!(!out.success());
        assert!(!std::path::Path::new("/usr/tribench-write-test").exists());
        // Its own workspace is writable.
        assert!(sb.exec(req("echo ok > mine.txt")).await.unwrap().success());
    }

    #[tokio::test]
    async fn exposed_directories_stay_readable_under_hidden_ones() {
        let base = tempfile::tempdir().unwrap();
        // Both under /tmp, which is hidden as a whole.
        let hidden = tempfile::tempdir().unwrap();
        let tools = hidden.path().join("tools");
        std::fs::create_dir_all(&tools).unwrap();
        std::fs::write(tools.join("tool.txt"), "visible").unwrap();
        std::fs::write(hidden.path().join("secret.txt"), "hidden").unwrap();
        let mut cfg = LocalSandboxConfig::new(base.path());
        if !matches!(cfg.isolation, Isolation::Bwrap(_)) {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must have bubblewrap installed"
            );
            return;
        }
        cfg.hide = vec![hidden.path().to_path_buf()];
        cfg.expose = vec![tools.clone()];
        let sb = LocalSandbox::create(Arc::new(cfg), "work").unwrap();
        let out = sb
            .exec(req(&format!("cat {}", tools.join("tool.txt").display())))
            .await
            .unwrap();
        assert_eq!(out.stdout.text, "visible", "{}", out.combined());
        let out = sb
            .exec(req(&format!(
                "cat {}",
                hidden.path().join("secret.txt").display()
            )))
            .await
            .unwrap();
        assert!(!out.success());
        let out = sb
            .exec(req(&format!("touch {}", tools.join("new").display())))
            .await
            .unwrap();
        assert!(!out.success(), "exposed directories are read-only");
        assert!(sb.exec(req("echo ok > mine.txt")).await.unwrap().success());
    }

    #[tokio::test]
    async fn network_is_unreachable() {
        let base = tempfile::tempdir().unwrap();
        // A real listener on the host's loopback.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let Some(sb) = confined(base.path(), vec![]) else {
            return;
        };
        let probe = format!(
            "python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3)\" \
             && echo CONNECTED"
        );
        let out = sb.exec(req(&probe)).await.unwrap();
        assert!(!out.stdout.text.contains("CONNECTED"), "{}", out.combined());
        // /proc/net/dev lists the interfaces of the caller's network namespace: loopback only.
        let out = sb
            .exec(req("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"))
            .await
            .unwrap();
        assert_eq!(out.stdout.text.trim(), "lo", "{}", out.combined());
        drop(listener);
    }

    #[tokio::test]
    async fn processes_run_in_their_own_pid_namespace() {
        let base = tempfile::tempdir().unwrap();
        let Some(sb) = confined(base.path(), vec![]) else {
            return;
        };
        let out = sb.exec(req("ls /proc | grep -c '^[0-9]'")).await.unwrap();
        let count: u32 = out.stdout.text.trim().parse().unwrap();
        assert!(count < 10, "saw {count} processes");
    }
}
