//! Terminal-Bench tasks run as Harbor runs them: prebuilt image or build, the oracle's exit code,
//! the image's user for the agent and root for the verifier, and why a task was not resolved.
//! Real Docker; the images are tiny builds on the local base image.

use super::*;
use tribench_types::RunManifest;

static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// A name no other test (or earlier run) uses.
fn unique(prefix: &str) -> String {
    format!(
        "tribench-test/{prefix}-{}-{}:1",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    )
}

/// A Harbor task: `task_toml_env` goes under `[environment]`; `dockerfile` (if any) is
/// `environment/Dockerfile`.
fn task(
    root: &Path,
    id: &str,
    task_toml_env: &str,
    dockerfile: Option<&str>,
    test_sh: &str,
    solve_sh: &str,
) {
    let instruction = format!("Do task {id}.\n");
    harbor_task(
        root,
        id,
        task_toml_env,
        &instruction,
        dockerfile,
        test_sh,
        solve_sh,
    );
}

/// The verifier prints which image it runs in and passes.
const SAY_MARKER: &str =
    "#!/bin/bash\necho \"marker=$(cat /marker)\"\necho 1 > /logs/verifier/reward.txt\n";

#[tokio::test]
async fn a_prebuilt_image_is_used_when_present_and_the_dockerfile_when_forced_or_absent() {
    if !docker_available() {
        return;
    }
    let prebuilt = unique("prebuilt");
    docker_build(
        &prebuilt,
        "FROM debian:bookworm\nRUN echo prebuilt > /marker\n",
    );
    let absent = unique("absent");
    let suite = tempfile::tempdir().unwrap();
    let built_df = "FROM debian:bookworm\nRUN echo built > /marker\n";
    task(
        suite.path(),
        "has-prebuilt",
        &format!("docker_image = \"{prebuilt}\"\n"),
        Some(built_df),
        SAY_MARKER,
        "#!/bin/bash\ntrue\n",
    );
    task(
        suite.path(),
        "prebuilt-absent",
        &format!("docker_image = \"{absent}\"\n"),
        Some(built_df),
        SAY_MARKER,
        "#!/bin/bash\ntrue\n",
    );

    // By default: the prebuilt image when present, a build when it is absent.
    let run = tempfile::tempdir().unwrap();
    let dir = run.path().join("default");
    let trials = run_with(suite.path(), oracle(), config(&dir)).await;
    let get = |ts: &[TrialRecord], id: &str| ts.iter().find(|t| t.task_id == id).unwrap().clone();
    let t = get(&trials, "has-prebuilt");
    assert_eq!(t.outcome, Outcome::Resolved, "{t:?}");
    assert!(artifact(&dir, &t, "test-output-1.txt").contains("marker=prebuilt"));
    let image: serde_json::Value = serde_json::from_str(&artifact(&dir, &t, "image.json")).unwrap();
    assert_eq!(image["source"], "present", "{image}");
    assert_eq!(image["requested"], prebuilt.as_str());
    let t = get(&trials, "prebuilt-absent");
    assert_eq!(t.outcome, Outcome::Resolved, "{t:?}");
    assert!(artifact(&dir, &t, "test-output-1.txt").contains("marker=built"));
    let image: serde_json::Value = serde_json::from_str(&artifact(&dir, &t, "image.json")).unwrap();
    assert_eq!(image["source"], "built", "{image}");
    assert!(
        image["note"]
            .as_str()
            .unwrap()
            .contains("not present locally"),
        "{image}"
    );
    let m = manifest(&dir);
    let listed = |m: &RunManifest, name: &str| {
        m.environment
            .images
            .iter()
            .find(|i| i.requested == name)
            .unwrap_or_else(|| panic!("{name} not in {:?}", m.environment.images))
            .clone()
    };
    let present = listed(&m, &prebuilt);
    assert_eq!(present.source, "present");
    assert!(present.digest.as_deref().unwrap().starts_with("sha256:"));
    assert_eq!(listed(&m, &absent).source, "built");

    // --force-build: the Dockerfile, even though the prebuilt image is there.
    let dir = run.path().join("forced");
    let mut cfg = config(&dir);
    cfg.force_build = true;
    let trials = run_with(suite.path(), oracle(), cfg).await;
    let t = get(&trials, "has-prebuilt");
    assert_eq!(t.outcome, Outcome::Resolved, "{t:?}");
    assert!(artifact(&dir, &t, "test-output-1.txt").contains("marker=built"));
    let forced = listed(&manifest(&dir), &prebuilt);
    assert_eq!(forced.source, "built");
    assert_ne!(forced.digest, present.digest, "a build is another image");
    let _ = std::process::Command::new("docker")
        .args(["rmi", "-f", &prebuilt])
        .output();
}

#[tokio::test]
async fn a_missing_image_with_nothing_to_build_is_one_clear_error_not_retried() {
    if !docker_available() {
        return;
    }
    let absent = unique("nowhere");
    let suite = tempfile::tempdir().unwrap();
    task(
        suite.path(),
        "no-image",
        &format!("docker_image = \"{absent}\"\n"),
        None,
        SAY_MARKER,
        "#!/bin/bash\ntrue\n",
    );
    let run = tempfile::tempdir().unwrap();
    let mut cfg = config(&run.path().join("r"));
    cfg.attempts = 2;
    cfg.infra_retries = 3;
    let trials = run_with(suite.path(), oracle(), cfg).await;
    assert_eq!(trials.len(), 2);
    for t in &trials {
        assert_eq!(t.outcome, Outcome::EnvironmentError, "{t:?}");
        assert_eq!(t.infra_retries, 0, "retried as if it could heal: {t:?}");
        let e = t.error.as_deref().unwrap();
        assert!(e.contains(&absent), "{e}");
        assert!(e.contains("no Dockerfile to build it from"), "{e}");
    }
}

#[tokio::test]
async fn a_failing_solution_script_is_graded_anyway_and_its_exit_code_kept() {
    if !docker_available() {
        return;
    }
    let suite = tempfile::tempdir().unwrap();
    let df = "FROM debian:bookworm\nWORKDIR /app\n";
    let reward_if_done = "#!/bin/bash\nif [ -f /app/done ]; then echo 1; else echo 0; fi > /logs/verifier/reward.txt\n";
    // Does the work, then fails (a cleanup step that errors, say): the reward decides.
    task(
        suite.path(),
        "works-then-fails",
        "",
        Some(df),
        reward_if_done,
        "#!/bin/bash\ntouch /app/done\nexit 3\n",
    );
    // Fails before doing anything: unresolved, not an agent error.
    task(
        suite.path(),
        "fails-early",
        "",
        Some(df),
        reward_if_done,
        "#!/bin/bash\necho giving up >&2\nexit 7\n",
    );
    let run = tempfile::tempdir().unwrap();
    let dir = run.path().join("r");
    let trials = run_with(suite.path(), oracle(), config(&dir)).await;
    let get = |id: &str| by_task(&trials, id);
    let t = get("works-then-fails");
    assert_eq!(t.outcome, Outcome::Resolved, "{t:?}");
    let traj: serde_json::Value =
        serde_json::from_str(&artifact(&dir, t, "trajectory.json")).unwrap();
    assert_eq!(traj["solution"]["exit_code"], 3, "{traj}");
    let t = get("fails-early");
    assert_eq!(t.outcome, Outcome::Unresolved, "{t:?}");
    assert_eq!(t.tries[0].reward, Some(0.0));
    let traj: serde_json::Value =
        serde_json::from_str(&artifact(&dir, t, "trajectory.json")).unwrap();
    assert_eq!(traj["solution"]["exit_code"], 7, "{traj}");
    assert!(traj["solution"]["output_tail"]
        .as_str()
        .unwrap()
        .contains("giving up"));
}

/// An image whose `USER` is not root, in its own `WORKDIR`.
const NOBODY_IMAGE: &str = "FROM debian:bookworm\nRUN mkdir -p /home/app && chown nobody /home/app\nWORKDIR /home/app\nUSER nobody\n";

#[tokio::test]
async fn the_agent_works_as_the_images_user_and_the_verifier_as_root() {
    if !docker_available() {
        return;
    }
    let suite = tempfile::tempdir().unwrap();
    task(
        suite.path(),
        "nobody-harbor",
        "",
        Some(NOBODY_IMAGE),
        "#!/bin/bash\necho \"verifier-user=$(id -un)\"\nstat -c 'owner=%U' /home/app/made-by-agent\necho 1 > /logs/verifier/reward.txt\n",
        "#!/bin/bash\ntrue\n",
    );
    // The same in Terminal-Bench 1 layout: judged by the pytest summary run-tests.sh prints.
    let tb1 = suite.path().join("nobody-tb1");
    std::fs::create_dir_all(tb1.join("tests")).unwrap();
    std::fs::write(
        tb1.join("task.yaml"),
        "instruction: Make a file.\nmax_test_timeout_sec: 60\n",
    )
    .unwrap();
    std::fs::write(tb1.join("Dockerfile"), NOBODY_IMAGE).unwrap();
    std::fs::write(tb1.join("solution.sh"), "#!/bin/bash\ntrue\n").unwrap();
    std::fs::write(
        tb1.join("run-tests.sh"),
        "#!/bin/bash\nif [ \"$(id -u)\" = 0 ] && [ \"$(stat -c %U /home/app/made-by-agent)\" = nobody ]; then s=PASSED; else s=FAILED; fi\necho \"tests/test_outputs.py::test_users $s\"\n",
    )
    .unwrap();
    std::fs::write(tb1.join("tests/test_outputs.py"), "# run by run-tests.sh\n").unwrap();

    let (agent, seen) = probing(
        "echo \"user=$(id -un) pwd=$(pwd)\"; touch made-by-agent; touch /logs/agent/agent-log && echo AGENT-LOGS-WRITABLE".into(),
    );
    let run = tempfile::tempdir().unwrap();
    let dir = run.path().join("r");
    let mut cfg = config(&dir);
    cfg.max_tries = Some(1);
    let trials = run_with(suite.path(), agent, cfg).await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert!(s.contains("user=nobody pwd=/home/app"), "{s}");
        assert!(s.contains("AGENT-LOGS-WRITABLE"), "{s}");
    }
    let get = |id: &str| by_task(&trials, id);
    let t = get("nobody-harbor");
    assert_eq!(t.outcome, Outcome::Resolved, "{t:?}");
    let out = artifact(&dir, t, "test-output-1.txt");
    assert!(out.contains("verifier-user=root"), "{out}");
    assert!(out.contains("owner=nobody"), "{out}");
    let t = get("nobody-tb1");
    assert_eq!(t.outcome, Outcome::Resolved, "{t:?}");
}

#[tokio::test]
async fn an_unresolved_task_says_why_reward_failing_tests_and_the_verifiers_last_lines() {
    if !docker_available() {
        return;
    }
    let suite = tempfile::tempdir().unwrap();
    task(
        suite.path(),
        "off-by-one",
        "",
        Some("FROM debian:bookworm\nWORKDIR /app\n"),
        "#!/bin/bash\necho 'tests/test_outputs.py::test_sum FAILED'\necho 'tests/test_outputs.py::test_format PASSED'\necho 'AssertionError: expected 42, got 41'\necho 0 > /logs/verifier/reward.txt\n",
        "#!/bin/bash\necho 41 > /app/answer\n",
    );
    let run = tempfile::tempdir().unwrap();
    let trials = run_with(suite.path(), oracle(), config(&run.path().join("r"))).await;
    let t = &trials[0];
    assert_eq!(t.outcome, Outcome::Unresolved, "{t:?}");
    let why = t.error.as_deref().unwrap_or_default();
    assert!(why.contains("reward 0"), "{why}");
    assert!(
        why.contains("failing tests: tests/test_outputs.py::test_sum;"),
        "only the failing test is listed: {why}"
    );
    assert!(why.contains("expected 42, got 41"), "{why}");
}

/// A CA of our own (as a TLS-intercepting proxy has) and a certificate it signed.
const PROXY_CA: &str = include_str!("fixtures/test-proxy-ca.pem");
const PROXY_LEAF: &str = include_str!("fixtures/test-proxy-leaf.pem");

#[tokio::test]
async fn ca_certificates_are_trusted_in_image_builds_and_running_containers() {
    if !docker_available() {
        return;
    }
    let prebuilt = unique("ca-prebuilt");
    docker_build(&prebuilt, "FROM debian:bookworm\n");
    let suite = tempfile::tempdir().unwrap();
    let verify = "#!/bin/bash\nif openssl verify -CAfile \"$SSL_CERT_FILE\" /tests/leaf.pem >&2 && [ \"$REQUESTS_CA_BUNDLE\" = \"$SSL_CERT_FILE\" ] && [ \"$PIP_CERT\" = \"$SSL_CERT_FILE\" ]; then echo 1; else echo 0; fi > /logs/verifier/reward.txt\n";
    // The build itself checks a certificate the proxy's CA signed (as apt or pip would).
    task(
        suite.path(),
        "ca-built",
        "",
        Some("FROM debian:bookworm\nCOPY leaf.pem /leaf.pem\nRUN openssl verify -CAfile \"$SSL_CERT_FILE\" /leaf.pem\n"),
        verify,
        "#!/bin/bash\ntrue\n",
    );
    std::fs::write(
        suite.path().join("ca-built/environment/leaf.pem"),
        PROXY_LEAF,
    )
    .unwrap();
    // A prebuilt image made without the certificate: they are installed when it starts.
    task(
        suite.path(),
        "ca-prebuilt",
        &format!("docker_image = \"{prebuilt}\"\n"),
        None,
        verify,
        "#!/bin/bash\ntrue\n",
    );
    for t in ["ca-built", "ca-prebuilt"] {
        std::fs::write(suite.path().join(t).join("tests/leaf.pem"), PROXY_LEAF).unwrap();
    }
    let run = tempfile::tempdir().unwrap();

    let mut cfg = config(&run.path().join("with"));
    cfg.ca_certificates = vec![("00-proxy.crt".into(), PROXY_CA.as_bytes().to_vec())];
    let trials = run_with(suite.path(), oracle(), cfg).await;
    for t in &trials {
        let out = artifact(&run.path().join("with"), t, "test-output-1.txt");
        assert_eq!(t.outcome, Outcome::Resolved, "{t:?}\n{out}");
    }

    // Without them the same tasks fail: the build's check, and the container's.
    let mut cfg = config(&run.path().join("without"));
    cfg.infra_retries = 0;
    let trials = run_with(suite.path(), oracle(), cfg).await;
    let get = |id: &str| by_task(&trials, id);
    assert_eq!(get("ca-built").outcome, Outcome::EnvironmentError);
    assert_ne!(get("ca-prebuilt").outcome, Outcome::Resolved);
    let _ = std::process::Command::new("docker")
        .args(["rmi", "-f", &prebuilt])
        .output();
}

/// Says the container's memory limit and passes when it is `$WANT` bytes.
const MEMORY_IS: &str = "#!/bin/bash\nm=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)\necho \"memory=$m\"\nif [ \"$m\" = \"$(cat /want)\" ]; then echo 1; else echo 0; fi > /logs/verifier/reward.txt\n";

#[tokio::test]
async fn a_task_s_own_limits_beat_the_run_s_reach_its_container_and_are_recorded() {
    if !docker_available() {
        return;
    }
    let suite = tempfile::tempdir().unwrap();
    // task.toml sets the agent and verifier timeouts, the build timeout and the memory.
    task(
        suite.path(),
        "own-limits",
        "memory_mb = 256\nbuild_timeout_sec = 300.0\n[agent]\ntimeout_sec = 30.0\n",
        Some("FROM debian:bookworm\nRUN echo 268435456 > /want\n"),
        MEMORY_IS,
        "#!/bin/bash\ntrue\n",
    );
    // Only the verifier timeout (every task of the helper has one): the run's fill the rest.
    task(
        suite.path(),
        "run-limits",
        "",
        Some("FROM debian:bookworm\nRUN echo 1073741824 > /want\n"),
        MEMORY_IS,
        "#!/bin/bash\ntrue\n",
    );
    let run = tempfile::tempdir().unwrap();
    let dir = run.path().join("r");
    let mut cfg = config(&dir);
    cfg.timeouts.test_sec = 45;
    cfg.memory_mb = Some(1024);
    cfg.network = true;
    let trials = run_with(suite.path(), oracle(), cfg).await;
    let get = |id: &str| by_task(&trials, id);
    for id in ["own-limits", "run-limits"] {
        let t = get(id);
        assert_eq!(
            t.outcome,
            Outcome::Resolved,
            "{id}: {}",
            artifact(&dir, t, "test-output-1.txt")
        );
    }
    let own = get("own-limits").limits.clone().unwrap();
    assert_eq!(
        (
            own.agent_timeout_sec,
            own.test_timeout_sec,
            own.build_timeout_sec
        ),
        (30.0, 60.0, 300.0)
    );
    assert_eq!(own.memory_mb, Some(256));
    // The task says allow_internet = false: the run's network does not reach it.
    assert!(!own.network);
    let theirs = get("run-limits").limits.clone().unwrap();
    assert_eq!(
        (
            theirs.agent_timeout_sec,
            theirs.test_timeout_sec,
            theirs.build_timeout_sec
        ),
        (60.0, 60.0, 1800.0)
    );
    assert_eq!(theirs.memory_mb, Some(1024));
    let m = manifest(&dir);
    let of = |id: &str| {
        m.task_limits
            .iter()
            .find(|g| g.tasks.iter().any(|t| t == id))
            .map(|g| g.limits.clone())
    };
    assert_eq!(of("own-limits"), Some(own));
    assert_eq!(of("run-limits"), Some(theirs));
    assert_eq!(m.limits.unwrap().memory_mb, Some(1024));
}
