//! The Docker backend against a real engine, on the registry-free base image
//! (`images/bootstrap-base.sh`). Skipped outside CI when no engine answers; in CI the test
//! script starts dockerd and a missing engine fails.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tribench_sandbox::{ContainerSpec, DockerBackend, ExecRequest, Sandbox};

pub(super) const BASE: &str = "tribench/debian:bookworm";

pub(super) async fn backend() -> Option<Arc<DockerBackend>> {
    match DockerBackend::connect(HashMap::new()).await {
        Ok(b) => Some(b),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run a Docker engine: {e}"
            );
            eprintln!("skipping: {e}");
            None
        }
    }
}

pub(super) fn spec(network: bool) -> ContainerSpec {
    ContainerSpec {
        image: BASE.into(),
        workdir: "/app".into(),
        cpus: Some(1.0),
        memory_mb: Some(256),
        pids_limit: 128,
        network,
        env: vec![],
        services: None,
    }
}

fn req(script: &str, secs: u64) -> ExecRequest {
    ExecRequest::new(script, Duration::from_secs(secs))
}

#[tokio::test]
async fn files_and_commands_round_trip() {
    let Some(b) = backend().await else { return };
    let sb = b.create(&spec(false)).await.unwrap();
    sb.write_file("dir/a.txt", b"hello\xff").await.unwrap();
    assert_eq!(sb.read_file("dir/a.txt").await.unwrap(), b"hello\xff");
    let out = sb
        .exec(req(
            "cat dir/a.txt >/dev/null; pwd; echo err >&2; exit 7",
            30,
        ))
        .await
        .unwrap();
    assert_eq!(out.exit_code, Some(7));
    assert_eq!(out.stdout.text, "/app\n");
    assert_eq!(out.stderr.text, "err\n");
    let host = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(host.path().join("src/sub")).unwrap();
    std::fs::write(host.path().join("src/sub/f.txt"), "in").unwrap();
    sb.copy_in(&host.path().join("src"), "copied")
        .await
        .unwrap();
    assert!(sb.exists("copied/sub/f.txt").await.unwrap());
    sb.put_dir(&host.path().join("src"), "/tests")
        .await
        .unwrap();
    assert!(sb
        .exec(req("test -f /tests/sub/f.txt", 30))
        .await
        .unwrap()
        .success());
    sb.copy_out("copied", &host.path().join("out"))
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(host.path().join("out/copied/sub/f.txt")).unwrap(),
        "in"
    );
    sb.remove("copied").await.unwrap();
    assert!(!sb.exists("copied").await.unwrap());
    assert!(sb.write_file("../etc/passwd", b"x").await.is_err());
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn a_timeout_kills_every_process_of_the_command() {
    let Some(b) = backend().await else { return };
    let sb = b.create(&spec(false)).await.unwrap();
    let out = sb
        .exec(req("(sleep 300; echo late) & sleep 300", 2))
        .await
        .unwrap();
    assert!(out.timed_out);
    assert_eq!(out.exit_code, None);
    let ps = sb
        .exec(req("ps -eo args | grep -c '^sleep 300' || true", 30))
        .await
        .unwrap();
    assert_eq!(
        ps.stdout.text.trim(),
        "0",
        "left running: {}",
        ps.combined()
    );
    sb.stop().await.unwrap();
}

#[tokio::test]
async fn without_network_only_loopback_exists() {
    let Some(b) = backend().await else { return };
    let off = b.create(&spec(false)).await.unwrap();
    let ifaces = "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ' '";
    let out = off.exec(req(ifaces, 30)).await.unwrap();
    assert_eq!(out.stdout.text.trim(), "lo", "{}", out.combined());
    let on = b.create(&spec(true)).await.unwrap();
    let out = on.exec(req(ifaces, 30)).await.unwrap();
    assert!(
        out.stdout.text.contains("eth0"),
        "the contrast case has a network: {}",
        out.combined()
    );
    off.stop().await.unwrap();
    on.stop().await.unwrap();
}

#[tokio::test]
async fn a_fork_bomb_and_a_memory_hog_are_contained() {
    let Some(b) = backend().await else { return };
    let sb = b.create(&spec(false)).await.unwrap();
    // The pids limit is in force (cgroup v1 or v2 layout).
    let max = sb
        .exec(req(
            "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max",
            30,
        ))
        .await
        .unwrap();
    assert_eq!(max.stdout.text.trim(), "128", "{}", max.combined());
    // The bomb runs into the limit; the command ends by its timeout (or earlier, when even its
    // own `sleep` cannot fork), and the machine is unharmed.
    let started = std::time::Instant::now();
    let _ = sb
        .exec(req("bomb() { bomb | bomb & }; bomb; sleep 60", 5))
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(40));
    // The trial's container, bomb and all, is removed promptly ...
    let started = std::time::Instant::now();
    sb.stop().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    // ... and the next trial's container works normally.
    let next = b.create(&spec(false)).await.unwrap();
    // Allocating past the memory limit gets the process killed (137), not the machine.
    let hog = next.exec(req("tail /dev/zero", 120)).await.unwrap();
    assert!(
        !hog.timed_out && hog.exit_code == Some(137),
        "expected an OOM kill: {:?} {}",
        hog.exit_code,
        hog.combined()
    );
    let ok = next.exec(req("echo alive", 30)).await.unwrap();
    assert_eq!(ok.stdout.text, "alive\n");
    next.stop().await.unwrap();
}

#[tokio::test]
async fn stopped_and_dropped_containers_are_removed() {
    let Some(b) = backend().await else { return };
    let before = b.count_own().await;
    let sb = b.create(&spec(false)).await.unwrap();
    let id = sb.container_id().to_string();
    drop(sb);
    // Dropping schedules the removal; poll with a deadline.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let out = std::process::Command::new("docker")
            .args(["ps", "-aq", "--no-trunc", "--filter", &format!("id={id}")])
            .output();
        if out.map(|o| o.stdout.is_empty()).unwrap_or(true) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "container {id} survived its sandbox"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(b.count_own().await <= before);
}

#[tokio::test]
async fn an_image_is_built_once_for_concurrent_trials_and_not_again_by_a_later_run() {
    let Some(_) = backend().await else { return };
    // A FROM line naming a registry image this machine cannot pull, mapped to the local base.
    let ctx = tempfile::tempdir().unwrap();
    let unique = format!("{:?}", std::time::SystemTime::now());
    std::fs::write(
        ctx.path().join("Dockerfile"),
        format!(
            "FROM registry.invalid/team/ubuntu:24.04\nRUN echo '{unique}' > /stamp\nWORKDIR /srv\n"
        ),
    )
    .unwrap();
    let mut map = HashMap::new();
    map.insert(
        "registry.invalid/team/ubuntu:24.04".to_string(),
        BASE.to_string(),
    );
    let spec = tribench_sandbox::ImageSpec::Build {
        context: ctx.path().to_path_buf(),
        dockerfile: "Dockerfile".into(),
    };
    let first = DockerBackend::connect(map.clone()).await.unwrap();
    let calls = (0..4).map(|_| first.ensure_image(&spec, Duration::from_secs(300)));
    let tags: Vec<String> = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(tags.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(first.builds_started(), 1, "four trials at once, one build");
    assert_eq!(first.image_workdir(&tags[0]).await.as_deref(), Some("/srv"));
    let second = DockerBackend::connect(map).await.unwrap();
    assert_eq!(
        second
            .ensure_image(&spec, Duration::from_secs(300))
            .await
            .unwrap(),
        tags[0]
    );
    assert_eq!(second.builds_started(), 0, "a later run builds nothing");
    // Without the map, the registry image cannot be had: a clear build error.
    let unmapped = DockerBackend::connect(HashMap::new()).await.unwrap();
    match unmapped.ensure_image(&spec, Duration::from_secs(300)).await {
        Err(tribench_sandbox::SandboxError::Build { log, .. }) => assert!(!log.is_empty()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_missing_named_image_is_pulled_only_when_allowed() {
    let Some(d) = backend().await else { return };
    // A registry address nothing listens on: the pull fails at once, with its reason.
    let name = "127.0.0.1:9/tribench-none/absent:latest".to_string();
    let err = d
        .ensure_image(
            &tribench_sandbox::ImageSpec::Named(name.clone()),
            Duration::from_secs(60),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("not present locally") && err.contains("--pull"),
        "{err}"
    );
    d.allow_pull(true);
    let err = d
        .ensure_image(
            &tribench_sandbox::ImageSpec::Named(name),
            Duration::from_secs(60),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("could not be pulled"), "{err}");
}
