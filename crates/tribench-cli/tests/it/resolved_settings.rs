//! Settings resolved once, end to end: a flag beats tribench.toml's `[run]`, which beats a
//! `TRIBENCH_*` variable, and what they resolve to is what the run records and does (`--seed`
//! in the manifest, `--output-cap` on the kept test output, `--network off` in the container).

use super::*;

fn exercise_suite(work: &Path, test_body: &str) -> PathBuf {
    let suite = work.join("suite");
    python_exercise(&suite, "loud", test_body);
    suite
}

fn manifest(run: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(run.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn flags_beat_tribench_toml_beats_the_environment_and_the_manifest_records_them() {
    let work = tempfile::tempdir().unwrap();
    let suite = exercise_suite(
        work.path(),
        "def test_answer():\n    assert answer() == 42\n",
    );
    std::fs::write(
        work.path().join("tribench.toml"),
        "[run]\nagent_timeout = 66\ntest_timeout = 77\nseed = 5\n",
    )
    .unwrap();
    let run = work.path().join("run");
    let out = tribench()
        .current_dir(work.path())
        .env("TRIBENCH_TEST_TIMEOUT", "55")
        .env("TRIBENCH_SETUP_TIMEOUT", "44")
        .args([
            "run",
            "--agent",
            "oracle",
            "-q",
            "--agent-timeout",
            "99",
            "--seed",
            "7",
        ])
        .arg("-s")
        .arg(&suite)
        .arg("--run-dir")
        .arg(&run)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m = manifest(&run);
    let t = &m["environment"]["timeouts"];
    assert_eq!(t["agent_sec"], 99, "the flag: {m:#}");
    assert_eq!(
        t["test_sec"], 77,
        "tribench.toml over the environment: {m:#}"
    );
    assert_eq!(t["setup_sec"], 44, "the environment: {m:#}");
    assert_eq!(m["seed"], 7, "the flag over tribench.toml: {m:#}");

    // A bad value in the environment stops the run before anything runs, naming the variable.
    let out = tribench()
        .current_dir(work.path())
        .env("TRIBENCH_JOBS", "lots")
        .args(["run", "--agent", "oracle", "-q", "-s"])
        .arg(&suite)
        .arg("--run-dir")
        .arg(work.path().join("run2"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("TRIBENCH_JOBS=\"lots\""), "{err}");
    assert!(!work.path().join("run2/trials.sqlite").exists());
}

#[test]
fn output_cap_limits_the_test_output_kept() {
    let work = tempfile::tempdir().unwrap();
    let suite = exercise_suite(
        work.path(),
        "def test_answer():\n    print('x' * 50000)\n    assert answer() == 42\n",
    );
    let kept = |extra: &[&str], name: &str| -> usize {
        let run = work.path().join(name);
        let out = tribench()
            .args(["run", "--agent", "nop", "-q", "--tries", "1", "-s"])
            .arg(&suite)
            .arg("--run-dir")
            .arg(&run)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let log =
            std::fs::read_to_string(run.join("trials/python+loud.a1/test-output-1.txt")).unwrap();
        log.matches('x').count()
    };
    assert!(
        kept(&[], "full") >= 50000,
        "without a cap the whole output is kept"
    );
    let capped = kept(&["--output-cap", "4000"], "capped");
    assert!(
        capped < 8000,
        "the cap holds the output to about 4000 bytes a stream: {capped}"
    );
}

#[test]
fn network_off_keeps_a_task_that_allows_the_internet_offline() {
    if !docker_available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let d = work.path().join("net-probe");
    for sub in ["environment", "tests", "solution"] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    std::fs::write(
        d.join("task.toml"),
        "version = \"1.0\"\n[environment]\nallow_internet = true\n",
    )
    .unwrap();
    std::fs::write(d.join("instruction.md"), "List the network interfaces.\n").unwrap();
    std::fs::write(
        d.join("environment/Dockerfile"),
        "FROM debian:bookworm\nWORKDIR /app\n",
    )
    .unwrap();
    // The solution records the interfaces it saw while the agent works; the verifier passes
    // when there was only loopback.
    std::fs::write(
        d.join("solution/solve.sh"),
        "#!/bin/bash\nls /sys/class/net | tr '\\n' ' ' > /app/net.txt\n",
    )
    .unwrap();
    std::fs::write(
        d.join("tests/test.sh"),
        "#!/bin/bash\necho \"interfaces: $(cat /app/net.txt)\"\nif [ \"$(cat /app/net.txt)\" = 'lo ' ]; then echo 1; else echo 0; fi > /logs/verifier/reward.txt\n",
    )
    .unwrap();
    let outcome = |extra: &[&str], name: &str| -> String {
        let run = work.path().join(name);
        let out = tribench()
            .args(["run", "--agent", "oracle", "-q", "--json", "-s"])
            .arg(work.path())
            .arg("--run-dir")
            .arg(&run)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let conn = rusqlite::Connection::open(run.join("trials.sqlite")).unwrap();
        conn.query_row("SELECT outcome FROM trials", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(
        outcome(&[], "task"),
        "unresolved",
        "the task allows the internet: a network interface beside lo"
    );
    assert_eq!(
        outcome(&["--network", "off"], "off"),
        "resolved",
        "--network off: loopback only"
    );
}
