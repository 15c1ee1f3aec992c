//! Tasks with services (docker-compose): a sidecar the agent talks to by its service name, in a
//! network of the trial's own that has no way out when the task has no network, started after
//! its health check passes, and removed with the trial. Both Harbor and Terminal-Bench 1 layouts.

use super::*;

/// The sidecar: a web server answering `ok from api`, healthy once it answers.
fn api_service(dir: &Path, token: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        format!("FROM debian:bookworm\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-pytest && rm -rf /var/lib/apt/lists/*\nRUN mkdir /srv-{token} && echo 'ok from api' > /srv-{token}/status.txt\n"),
    )
    .unwrap();
}

fn compose_api(token: &str, build: &str) -> String {
    format!(
        "  api:\n    build: {build}\n    command: [\"python3\", \"-m\", \"http.server\", \"8000\", \"--directory\", \"/srv-{token}\"]\n    healthcheck:\n      test: [\"CMD\", \"python3\", \"-c\", \"import urllib.request; urllib.request.urlopen('http://localhost:8000/status.txt')\"]\n      interval: 1s\n      timeout: 5s\n      retries: 60\n"
    )
}

/// Fetches `http://api:8000/status.txt` with bash alone (the main image has no HTTP client).
const FETCH: &str = "exec 3<>/dev/tcp/api/8000 && printf 'GET /status.txt HTTP/1.0\\r\\nHost: api\\r\\n\\r\\n' >&3 && cat <&3";

/// Containers still there whose command names `token` (the sidecars of this test).
fn leftovers(token: &str) -> usize {
    let out = std::process::Command::new("docker")
        .args(["ps", "-a", "--no-trunc", "--format", "{{.Command}}"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(token))
        .count()
}

#[tokio::test]
async fn a_sidecar_is_reached_by_name_waited_for_and_removed_with_the_trial() {
    if !docker_available() {
        return;
    }
    let token = format!("tok{}", std::process::id());
    let suite = tempfile::tempdir().unwrap();

    // Harbor: environment/docker-compose.yaml adds `api` to the `main` service.
    let h = suite.path().join("harbor-sidecar");
    for sub in ["environment", "tests", "solution"] {
        std::fs::create_dir_all(h.join(sub)).unwrap();
    }
    std::fs::write(h.join("task.toml"), "version = \"1.0\"\n[verifier]\ntimeout_sec = 60.0\n[environment]\nallow_internet = false\n").unwrap();
    std::fs::write(
        h.join("instruction.md"),
        "(harbor) Save what http://api:8000/status.txt says to /app/resp.txt.\n",
    )
    .unwrap();
    std::fs::write(
        h.join("environment/Dockerfile"),
        "FROM debian:bookworm\nWORKDIR /app\n",
    )
    .unwrap();
    api_service(&h.join("environment/api"), &token);
    std::fs::write(
        h.join("environment/docker-compose.yaml"),
        format!(
            "services:\n  main:\n    depends_on:\n      api:\n        condition: service_healthy\n    environment:\n      API_HOST: api\n{}",
            compose_api(&token, "./api")
        ),
    )
    .unwrap();
    std::fs::write(
        h.join("tests/test.sh"),
        "#!/bin/bash\nif grep -q 'ok from api' /app/resp.txt && [ \"$API_HOST\" = api ]; then echo 1; else echo 0; fi > /logs/verifier/reward.txt\n",
    )
    .unwrap();
    std::fs::write(
        h.join("solution/solve.sh"),
        format!("#!/bin/bash\n({FETCH}) > /app/resp.txt\n"),
    )
    .unwrap();

    // Terminal-Bench 1: the `client` service with the harness's keys, and `api` beside it.
    let t = suite.path().join("tb1-sidecar");
    std::fs::create_dir_all(t.join("tests")).unwrap();
    std::fs::write(t.join("task.yaml"), "instruction: (tb1) Save what http://api:8000/status.txt says to /app/resp.txt.\nmax_test_timeout_sec: 60\n").unwrap();
    std::fs::write(t.join("Dockerfile"), "FROM debian:bookworm\nWORKDIR /app\n").unwrap();
    api_service(&t.join("api"), &token);
    std::fs::write(
        t.join("docker-compose.yaml"),
        format!(
            "services:\n  client:\n    build:\n      context: .\n      dockerfile: Dockerfile\n    image: ${{T_BENCH_TASK_DOCKER_CLIENT_IMAGE_NAME}}\n    container_name: ${{T_BENCH_TASK_DOCKER_CLIENT_CONTAINER_NAME}}\n    command: [\"sh\", \"-c\", \"sleep infinity\"]\n    environment:\n      - TEST_DIR=${{T_BENCH_TEST_DIR}}\n    volumes:\n      - ${{T_BENCH_TASK_LOGS_PATH}}:${{T_BENCH_CONTAINER_LOGS_PATH}}\n    depends_on:\n      api:\n        condition: service_healthy\n{}",
            compose_api(&token, "./api")
        ),
    )
    .unwrap();
    std::fs::write(
        t.join("run-tests.sh"),
        "#!/bin/bash\nif grep -q 'ok from api' /app/resp.txt; then s=PASSED; else s=FAILED; fi\necho \"tests/test_outputs.py::test_api $s\"\n",
    )
    .unwrap();
    std::fs::write(t.join("tests/test_outputs.py"), "# run by run-tests.sh\n").unwrap();
    std::fs::write(
        t.join("solution.sh"),
        format!("#!/bin/bash\n({FETCH}) > /app/resp.txt\n"),
    )
    .unwrap();

    // The agent: reaches the sidecar by name, and nothing outside the group.
    let listener = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let seen2 = seen.clone();
    let agent = scripted(move |_, message, sb| {
        let seen = seen2.clone();
        Box::pin(async move {
            let probe = format!(
                "bash -c \"({FETCH}) > /app/resp.txt\"; cat /app/resp.txt; \
                 if timeout 5 bash -c 'exec 3<>/dev/tcp/172.17.0.1/{port}' 2>/dev/null; then echo OUTSIDE-REACHED; fi; \
                 echo routes=$(awk 'NR>1' /proc/net/route | wc -l)"
            );
            let out = sh(sb, &probe).await;
            seen.lock().unwrap().push((message, out));
            Ok(TurnOutcome::default())
        })
    });
    let run = tempfile::tempdir().unwrap();
    let mut cfg = config(&run.path().join("agent"));
    cfg.max_tries = Some(1);
    let trials = run_with(suite.path(), agent, cfg).await;
    let seen = seen.lock().unwrap().clone();
    for t in &trials {
        assert_eq!(t.outcome, Outcome::Resolved, "{t:?}\n{seen:?}");
    }
    assert_eq!(seen.len(), 2);
    for (message, s) in seen.iter() {
        assert!(s.contains("ok from api"), "{s}");
        if message.starts_with("(harbor)") {
            // allow_internet = false: no way out for the group, not even to the host.
            assert!(
                !s.contains("OUTSIDE-REACHED"),
                "the group reached the host: {s}"
            );
            assert!(s.contains("routes=0"), "the group has a route out: {s}");
        } else {
            // Terminal-Bench 1 tasks have the network, and the group with them.
            assert!(s.contains("OUTSIDE-REACHED"), "{message}: {s}");
        }
    }
    assert_eq!(leftovers(&token), 0, "services left behind");

    // The oracle too (validate's path), in both layouts.
    let trials = run_with(suite.path(), oracle(), config(&run.path().join("oracle"))).await;
    for t in &trials {
        assert_eq!(t.outcome, Outcome::Resolved, "{t:?}");
    }
    assert_eq!(leftovers(&token), 0, "services left behind");
    drop(listener);
}
