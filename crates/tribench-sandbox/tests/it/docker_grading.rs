//! Readying an agent's container for grading (every leftover process killed, grading's folders
//! recreated), reward files that must be regular files, and the resource limits every
//! container gets. Against a real engine; skipped outside CI when none answers.

use super::docker::{backend, spec, BASE};
use std::time::Duration;
use tribench_sandbox::{
    ContainerSpec, DockerSandbox, ExecRequest, Sandbox, SandboxError, DEFAULT_CPUS,
    DEFAULT_MEMORY_MB,
};

async fn sh(sb: &dyn Sandbox, script: &str) -> String {
    let out = sb
        .exec(ExecRequest::new(script, Duration::from_secs(60)))
        .await
        .unwrap();
    out.combined()
}

/// A container of the base image without network, its pids limit `pids_limit` if given; none
/// when no engine answers.
async fn container(pids_limit: Option<i64>) -> Option<DockerSandbox> {
    let b = backend().await?;
    let mut s = spec(false);
    if let Some(p) = pids_limit {
        s.pids_limit = p;
    }
    Some(b.create(&s).await.unwrap())
}

/// Whether /logs is a link, and the owner, mode, kind and contents of grading's folders.
async fn grading_folders(sb: &dyn Sandbox) -> String {
    sh(
        sb,
        "test -L /logs && echo still-a-link; stat -c '%U %a %F' /logs/verifier /tests; ls -A /logs/verifier /tests",
    )
    .await
}

/// An isolated verifier of the tests in `tests`, mounted at /tests, its results in
/// /logs/verifier, collecting `collect`.
fn isolated(
    tests: &std::path::Path,
    collect: &[&str],
    exec: ExecRequest,
) -> tribench_sandbox::IsolatedVerifier {
    tribench_sandbox::IsolatedVerifier {
        tests: tests.to_path_buf(),
        tests_at: "/tests".into(),
        results_at: "/logs/verifier".into(),
        collect: collect.iter().map(|c| c.to_string()).collect(),
        exec,
    }
}

/// Processes in the container other than init and main, zombies left out.
const COUNT_OTHERS: &str = r#"n=0; for d in /proc/[0-9]*; do p=${d#/proc/}; [ "$p" = 1 ] || [ "$p" = $$ ] && continue; s=$(cat $d/stat 2>/dev/null) || continue; s=${s##*) }; set -- $s; [ "$1" = Z ] && continue; [ "$2" = $$ ] && continue; [ "$(tr -d '\0' < $d/cmdline 2>/dev/null)" = sleepinfinity ] && continue; n=$((n+1)); done; echo $n"#;

#[tokio::test]
async fn quiesce_kills_what_the_agent_left_and_recreates_grading_folders() {
    let Some(sb) = container(Some(512)).await else {
        return;
    };
    // A reward forger, a forking loop, a plain sleeper; a planted reward directory, and /logs
    // turned into a symlink to a folder the agent owns.
    sh(
        &sb,
        "mkdir -p /agent/verifier/reward.txt && echo 1 > /agent/verifier/reward.txt/1 && ln -s /agent /logs
         nohup sh -c 'while :; do echo 1 > /agent/verifier/r; sleep 0.01; done' >/dev/null 2>&1 &
         nohup sh -c 'while :; do sleep 100 & sleep 0.01; done' >/dev/null 2>&1 &
         setsid sleep 1000 >/dev/null 2>&1 &
         mkdir -p /tests && echo planted > /tests/test.sh",
    )
    .await;
    let before: usize = sh(&sb, COUNT_OTHERS).await.trim().parse().unwrap();
    assert!(before >= 3, "{before}");
    let q = sb.quiesce(&["/tests", "/logs/verifier"]).await.unwrap();
    assert!(q.killed >= 3, "{q:?}");
    assert_eq!(sh(&sb, COUNT_OTHERS).await.trim(), "0");
    // The container still runs, and the folders are real, empty and root's.
    let out = grading_folders(&sb).await;
    assert_eq!(
        out, "root 755 directory\nroot 755 directory\n/logs/verifier:\n\n/tests:\n",
        "{out}"
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn quiesce_stops_a_fork_bomb_filling_the_pids_limit() {
    let Some(sb) = container(Some(200)).await else {
        return;
    };
    sh(
        &sb,
        "nohup sh -c 'while :; do sleep 1000 & done' >/dev/null 2>&1 & sleep 1",
    )
    .await;
    let q = sb.quiesce(&["/logs/verifier"]).await.unwrap();
    assert!(q.killed >= 100, "{q:?}");
    assert_eq!(sh(&sb, COUNT_OTHERS).await.trim(), "0");
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn a_container_whose_main_process_was_killed_is_left_broken_not_an_engine_error() {
    let Some(sb) = container(None).await else {
        return;
    };
    // Init's only child is the main process; killing it stops the container.
    let _ = sb
        .exec(ExecRequest::new(
            "kill -9 $(cat /proc/1/task/1/children)",
            Duration::from_secs(30),
        ))
        .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let err = loop {
        match sb.quiesce(&["/logs/verifier"]).await {
            Err(e) => break e,
            Ok(_) if std::time::Instant::now() < deadline => continue,
            Ok(q) => panic!("the container kept running: {q:?}"),
        }
    };
    assert!(
        matches!(&err, SandboxError::LeftBroken(m) if m.contains("stopped") || m.contains("not running")),
        "{err}"
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn only_a_regular_file_at_exactly_the_path_is_read() {
    let Some(sb) = container(None).await else {
        return;
    };
    sh(
        &sb,
        "mkdir -p /v/dir.txt && echo 1 > /v/dir.txt/1 && echo 1 > /v/target && ln -s /v/target /v/link.txt && echo 0.5 > /v/file.txt",
    )
    .await;
    assert_eq!(sb.read_abs("/v/dir.txt").await.unwrap(), None);
    assert_eq!(sb.read_abs("/v/link.txt").await.unwrap(), None);
    assert_eq!(sb.read_abs("/v/missing.txt").await.unwrap(), None);
    assert_eq!(
        sb.read_abs("/v/file.txt").await.unwrap().as_deref(),
        Some(&b"0.5\n"[..])
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn every_container_has_memory_and_cpu_limits_by_default_or_from_the_task() {
    let Some(b) = backend().await else { return };
    let docker = bollard::Docker::connect_with_local_defaults().unwrap();
    let unset = ContainerSpec {
        image: BASE.into(),
        workdir: "/app".into(),
        cpus: None,
        memory_mb: None,
        pids_limit: 64,
        network: false,
        env: vec![],
        services: None,
    };
    let sb = b.create(&unset).await.unwrap();
    let host = docker
        .inspect_container(sb.container_id(), None)
        .await
        .unwrap()
        .host_config
        .unwrap();
    assert_eq!(host.memory, Some((DEFAULT_MEMORY_MB * 1024 * 1024) as i64));
    assert_eq!(host.memory_swap, host.memory, "no swap beyond the limit");
    assert_eq!(host.nano_cpus, Some((DEFAULT_CPUS * 1e9) as i64));
    assert_eq!(host.pids_limit, Some(64));
    sb.stop().await.unwrap();

    let mut set = unset.clone();
    set.cpus = Some(0.5);
    set.memory_mb = Some(300);
    let sb = b.create(&set).await.unwrap();
    let host = docker
        .inspect_container(sb.container_id(), None)
        .await
        .unwrap()
        .host_config
        .unwrap();
    assert_eq!(host.memory, Some(300 * 1024 * 1024));
    assert_eq!(host.nano_cpus, Some(500_000_000));
    sb.stop().await.unwrap();

    // Nonsense limits are a clear error, not a container without limits.
    let mut bad = unset.clone();
    bad.cpus = Some(f64::INFINITY);
    let err = b.create(&bad).await.err().unwrap().to_string();
    assert!(err.contains("CPU limit"), "{err}");
}

#[tokio::test]
async fn a_service_the_agent_left_listening_survives_quiesce_and_the_rest_does_not() {
    let Some(sb) = container(None).await else {
        return;
    };
    // perl-base is in the minimal image: a TCP listener on 8080, and a plain background loop.
    sh(
        &sb,
        "nohup perl -e 'use Socket; socket(S, PF_INET, SOCK_STREAM, 0) or die; setsockopt(S, SOL_SOCKET, SO_REUSEADDR, 1); bind(S, sockaddr_in(8080, INADDR_ANY)) or die; listen(S, 5) or die; sleep 1000' >/dev/null 2>&1 &
         nohup sh -c 'while :; do sleep 1; done' >/dev/null 2>&1 &
         for _ in $(seq 100); do grep -q ':1F90 00000000:0000 0A' /proc/net/tcp && break; sleep 0.1; done",
    )
    .await;
    let q = sb.quiesce(&["/logs/verifier"]).await.unwrap();
    assert!(q.killed >= 1, "{q:?}");
    let out = sh(
        &sb,
        "grep -c ':1F90 00000000:0000 0A' /proc/net/tcp; for d in /proc/[0-9]*; do tr '\\0' ' ' < $d/cmdline; echo; done",
    )
    .await;
    assert!(out.starts_with("1\n"), "the listener is gone: {out}");
    assert!(out.contains("perl -e"), "{out}");
    assert!(!out.contains("while :"), "the loop survived: {out}");
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn quiesce_from_inside_the_container_does_the_same_for_a_remote_engine() {
    let Some(sb) = container(None).await else {
        return;
    };
    sh(
        &sb,
        "mkdir -p /agent/verifier/reward.txt && ln -s /agent /logs
         nohup sh -c 'while :; do echo 1 > /agent/verifier/r; sleep 0.01; done' >/dev/null 2>&1 &
         setsid sleep 1000 >/dev/null 2>&1 &
         ln -s /nowhere /tests",
    )
    .await;
    let q = sb
        .quiesce_from_inside(&["/tests", "/logs/verifier"])
        .await
        .unwrap();
    assert!(q.killed >= 2, "{q:?}");
    assert_eq!(sh(&sb, COUNT_OTHERS).await.trim(), "0");
    let out = grading_folders(&sb).await;
    assert_eq!(
        out, "root 755 directory\nroot 755 directory\n/logs/verifier:\n\n/tests:\n",
        "{out}"
    );
    assert!(sb.quiesce_from_inside(&["relative"]).await.is_err());
    sb.stop().await.unwrap();
}

/// A service the agent left listening that is also a forger: it writes reward 1 into every
/// `/logs/verifier` it can reach (its own, and through `/proc/<pid>/root` any other process's)
/// and rewrites every copy of the tests it finds, 100 times a second, each file whole (written
/// beside, then renamed over).
const LISTENING_FORGER: &str = r#"nohup perl -e '
use Socket; socket(S, PF_INET, SOCK_STREAM, 0) or die; setsockopt(S, SOL_SOCKET, SO_REUSEADDR, 1);
bind(S, sockaddr_in(8080, INADDR_ANY)) or die; listen(S, 5) or die;
while (1) {
  for my $d ("/logs/verifier", glob("/proc/[0-9]*/root/logs/verifier")) {
    if (open(my $f, ">", "$d/.r")) { print $f "1\n"; close $f; rename("$d/.r", "$d/reward.txt") }
  }
  for my $t ("/tests/check.sh", glob("/proc/[0-9]*/root/tests/check.sh")) {
    if (-e $t && open(my $f, ">", "$t.new")) { print $f "echo 1 > /logs/verifier/reward.txt\n"; close $f; rename("$t.new", $t) }
  }
  select(undef, undef, undef, 0.01);
}' >/dev/null 2>&1 &
for _ in $(seq 100); do grep -q ':1F90 00000000:0000 0A' /proc/net/tcp && break; sleep 0.1; done"#;

/// The verifier: the service must answer, then reward 0, then a pause in which a forger would
/// overwrite it.
const CHECK: &str = "perl -MIO::Socket::INET -e 'IO::Socket::INET->new(q(127.0.0.1:8080)) or exit 1' && echo service-answers\necho 0 > /logs/verifier/reward.txt\nsleep 1\necho checked\n";

#[tokio::test]
async fn a_listening_forger_reaches_neither_the_tests_nor_the_reward_of_an_isolated_verifier() {
    let Some(sb) = container(None).await else {
        return;
    };
    let tests = tempfile::tempdir().unwrap();
    std::fs::write(tests.path().join("check.sh"), CHECK).unwrap();
    sh(&sb, LISTENING_FORGER).await;
    let q = sb.quiesce(&["/tests", "/logs/verifier"]).await.unwrap();
    assert_eq!(q.spared, 1, "{q:?}");
    let verifier = isolated(
        tests.path(),
        &["reward.txt", "reward.json"],
        ExecRequest::new("sh /tests/check.sh", Duration::from_secs(60)).user("root"),
    );

    // The attack is real: a plain verifier is forged (its tests rewritten, or its reward).
    sb.put_dir(tests.path(), "/tests").await.unwrap();
    sb.exec(verifier.exec.clone()).await.unwrap();
    assert_eq!(
        sb.read_abs("/logs/verifier/reward.txt")
            .await
            .unwrap()
            .as_deref(),
        Some(&b"1\n"[..])
    );

    // Isolated, the verifier reaches the service and its own reward stands.
    let v = sb.verify_isolated(verifier).await.unwrap();
    let log = v.exec.combined();
    assert_eq!(v.exec.exit_code, Some(0), "{log}");
    assert!(
        log.contains("service-answers") && log.contains("checked"),
        "{log}"
    );
    assert_eq!(
        v.files,
        vec![("reward.txt".to_string(), b"0\n".to_vec())],
        "{log}"
    );
    // The service is still there, and the shared folders were never the verifier's.
    let after = sh(
        &sb,
        "grep -c ':1F90 00000000:0000 0A' /proc/net/tcp; cat /logs/verifier/reward.txt",
    )
    .await;
    assert_eq!(after, "1\n1\n");
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn an_isolated_verifier_keeps_its_timeout_and_says_when_it_cannot_be_isolated() {
    let Some(sb) = container(None).await else {
        return;
    };
    let tests = tempfile::tempdir().unwrap();
    std::fs::write(tests.path().join("t.sh"), "sleep 100\n").unwrap();
    let verifier = isolated(
        tests.path(),
        &["reward.txt"],
        ExecRequest::new("sh /tests/t.sh", Duration::from_secs(2)),
    );
    let v = sb.verify_isolated(verifier.clone()).await.unwrap();
    assert!(v.exec.timed_out && v.exec.exit_code.is_none(), "{v:?}");
    let left = sh(
        &sb,
        "for d in /proc/[0-9]*; do tr '\\0' ' ' < $d/cmdline; echo; done",
    )
    .await;
    assert!(!left.contains("sleep 100"), "{left}");
    // Without setpriv in the image nothing runs, and the error says why.
    sh(&sb, "rm -f \"$(command -v setpriv)\"").await;
    let err = sb.verify_isolated(verifier).await.unwrap_err();
    assert!(
        matches!(&err, SandboxError::NotIsolated(why) if why.contains("setpriv")),
        "{err}"
    );
    sb.stop().await.unwrap();
}
