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
    read_json(&run.join("manifest.json"))
}

#[test]
fn flags_beat_tribench_toml_beats_the_environment_and_the_manifest_records_them() {
    let work = tempfile::tempdir().unwrap();
    let suite = exercise_suite(work.path(), PASSES);
    std::fs::write(
        work.path().join("tribench.toml"),
        "[run]\nagent_timeout = 66\ntest_timeout = 77\nseed = 5\n",
    )
    .unwrap();
    let run = work.path().join("run");
    output_ok(
        run_cmd(&suite, &run)
            .current_dir(work.path())
            .env("TRIBENCH_TEST_TIMEOUT", "55")
            .env("TRIBENCH_SETUP_TIMEOUT", "44")
            .args([
                "--agent",
                "oracle",
                "-q",
                "--agent-timeout",
                "99",
                "--seed",
                "7",
            ]),
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
    let out = run_cmd(&suite, &work.path().join("run2"))
        .current_dir(work.path())
        .env("TRIBENCH_JOBS", "lots")
        .args(["--agent", "oracle", "-q"])
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
        output_ok(
            run_cmd(&suite, &run)
                .args(["--agent", "nop", "-q", "--tries", "1"])
                .args(extra),
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
    // The solution records the interfaces it saw while the agent works; the verifier passes
    // when there was only loopback.
    harbor_task_with(
        work.path(),
        "net-probe",
        true,
        "List the network interfaces.\n",
        "#!/bin/bash\necho \"interfaces: $(cat /app/net.txt)\"\nif [ \"$(cat /app/net.txt)\" = 'lo ' ]; then echo 1; else echo 0; fi > /logs/verifier/reward.txt\n",
        "#!/bin/bash\nls /sys/class/net | tr '\\n' ' ' > /app/net.txt\n",
    );
    let outcome = |extra: &[&str], name: &str| -> String {
        let run = work.path().join(name);
        output_ok(
            run_cmd(work.path(), &run)
                .args(["--agent", "oracle", "-q", "--json"])
                .args(extra),
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
