//! Where `tribench.toml` is found and what `run` says about it; why a reference solution failed
//! in `validate --json`.

use super::*;

/// A suite of one Python exercise in `work/suites/s`, with `tribench.toml` at `config_at`.
fn suite_with_config(work: &Path, config_at: Option<&Path>, toml: &str) -> PathBuf {
    let suite = work.join("suites/s");
    std::fs::create_dir_all(&suite).unwrap();
    python_exercise(&suite, "cfg", PASSES);
    if let Some(p) = config_at {
        std::fs::write(p, toml).unwrap();
    }
    suite
}

fn run_in(cwd: &Path, suite: &Path, extra: &[&str]) -> std::process::Output {
    run_cmd(suite, &cwd.join(format!("run-{}", extra.len())))
        .current_dir(cwd)
        .args(["--agent", "oracle", "--json"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn run_reads_tribench_toml_beside_the_suite_then_the_cwd_then_the_flag_and_says_which() {
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path().join("elsewhere");
    std::fs::create_dir_all(&cwd).unwrap();
    let beside = work.path().join("suites/tribench.toml");
    let suite = suite_with_config(work.path(), Some(&beside), "[images]\n\"a:1\" = \"b:1\"\n");
    std::fs::write(cwd.join("tribench.toml"), "[images]\n").unwrap();

    let out = run_in(&cwd, &suite, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let canon = beside.canonicalize().unwrap();
    assert!(
        err.contains(&format!("settings from {}", canon.display())),
        "the file beside the suite wins over the cwd's: {err}"
    );

    // None beside the suite: the current directory's.
    std::fs::remove_file(&beside).unwrap();
    let out = run_in(&cwd, &suite, &["--attempts", "1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("settings from tribench.toml"), "{err}");

    // --config names the file, whatever else is there; a bad certificate in it is refused.
    let explicit = work.path().join("explicit.toml");
    std::fs::write(work.path().join("not-a-cert.pem"), "hello\n").unwrap();
    std::fs::write(
        &explicit,
        "[build]\nca_certificates = [\"not-a-cert.pem\"]\n",
    )
    .unwrap();
    let out = run_in(&cwd, &suite, &["--config", explicit.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!("settings from {}", explicit.display())),
        "{err}"
    );
    assert!(
        err.contains("not-a-cert.pem: not a PEM certificate"),
        "{err}"
    );

    // --ca-cert is checked the same way.
    let out = run_in(
        &cwd,
        &suite,
        &[
            "--ca-cert",
            work.path().join("missing.pem").to_str().unwrap(),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("missing.pem"), "{err}");
}

#[test]
fn validate_json_says_why_the_reference_solution_failed() {
    if !docker_available() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    harbor_task_with(
        work.path(),
        "wrong-answer",
        false,
        "Write 42 to /app/answer.\n",
        "#!/bin/bash\nif [ \"$(cat /app/answer 2>/dev/null)\" = 42 ]; then r=PASSED; else r=FAILED; fi\necho \"tests/test_outputs.py::test_answer $r\"\necho \"answer was: $(cat /app/answer 2>/dev/null)\"\n[ $r = PASSED ] && echo 1 > /logs/verifier/reward.txt || echo 0 > /logs/verifier/reward.txt\n",
        "#!/bin/bash\necho 41 > /app/answer\nexit 2\n",
    );
    let (code, v) = validate_json(&[work.path().to_str().unwrap(), "-j", "2"]);
    assert_eq!(code, Some(1), "{v:#}");
    let t = &v["tasks"][0];
    let why = &t["oracle_failure"];
    assert_eq!(why["reward"], 0.0, "{v:#}");
    assert_eq!(why["solution_exit_code"], 2, "{v:#}");
    assert_eq!(
        why["failing_tests"][0], "tests/test_outputs.py::test_answer",
        "{v:#}"
    );
    assert!(
        why["reason"].as_str().unwrap().contains("answer was: 41"),
        "{v:#}"
    );
    let problem = t["problems"][0].as_str().unwrap();
    assert!(
        problem.contains("the solution script exited with 2"),
        "{problem}"
    );
    assert!(problem.contains("answer was: 41"), "{problem}");
}
