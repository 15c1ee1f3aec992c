//! Hostile or broken numbers in task.toml / task.yaml, and the TB1 reference solution's
//! staging folder.

use super::tb2;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use tribench_families::load_suite;
use tribench_families::terminal::{parse_task_toml, parse_task_yaml};
use tribench_types::Reference;

#[test]
fn out_of_range_numbers_in_task_toml_are_errors_naming_file_and_field() {
    let cases = [
        ("[verifier]\ntimeout_sec = inf\n", "[verifier] timeout_sec"),
        ("[agent]\ntimeout_sec = 1e300\n", "[agent] timeout_sec"),
        (
            "[agent]\ntimeout_sec = 18446744073709551616.0\n",
            "[agent] timeout_sec",
        ),
        ("[agent]\ntimeout_sec = nan\n", "[agent] timeout_sec"),
        ("[verifier]\ntimeout_sec = -5\n", "[verifier] timeout_sec"),
        (
            "[environment]\nbuild_timeout_sec = inf\n",
            "[environment] build_timeout_sec",
        ),
        ("[environment]\ncpus = inf\n", "[environment] cpus"),
        ("[environment]\ncpus = -1\n", "[environment] cpus"),
        ("[environment]\nmemory_mb = 0\n", "[environment] memory_mb"),
        (
            "[environment]\nmemory = \"1e300G\"\n",
            "[environment] memory",
        ),
        ("[environment]\nmemory = \"lots\"\n", "[environment] memory"),
    ];
    for (body, field) in cases {
        let root = tempfile::tempdir().unwrap();
        tb2(
            root.path(),
            "numbers",
            &format!("version = \"1.0\"\n{body}"),
            Some("Do it.\n"),
        );
        let err = load_suite(root.path()).unwrap_err().to_string();
        assert!(
            err.contains("task.toml") && err.contains("task numbers") && err.contains(field),
            "{body}: {err}"
        );
    }
    // 2^64 as an integer does not fit TOML's integers: a parse error, still naming the file.
    let err = parse_task_toml("[agent]\ntimeout_sec = 18446744073709551616\n").unwrap_err();
    assert!(err.contains("task.toml"), "{err}");
}

#[test]
fn out_of_range_numbers_in_task_yaml_are_errors_naming_file_and_field() {
    for (value, field) in [
        (".inf", "max_agent_timeout_sec"),
        ("1e300", "max_agent_timeout_sec"),
        ("18446744073709551616", "max_agent_timeout_sec"),
        ("-1", "max_agent_timeout_sec"),
    ] {
        let root = tempfile::tempdir().unwrap();
        let d = root.path().join("yaml-numbers");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("task.yaml"),
            format!("instruction: Do it.\n{field}: {value}\nmax_test_timeout_sec: 30\n"),
        )
        .unwrap();
        std::fs::write(d.join("Dockerfile"), "FROM debian:bookworm\n").unwrap();
        std::fs::write(d.join("run-tests.sh"), "true\n").unwrap();
        let err = load_suite(root.path()).unwrap_err().to_string();
        assert!(
            err.contains("task.yaml") && err.contains("task yaml-numbers") && err.contains(field),
            "{value}: {err}"
        );
    }
    let err = parse_task_yaml("instruction: x\nmax_test_timeout_sec: .inf\n").unwrap_err();
    assert!(err.contains("max_test_timeout_sec"), "{err}");
}

#[test]
fn valid_settings_parse_to_their_values() {
    let s = parse_task_toml(
        "[agent]\ntimeout_sec = 90\n[verifier]\ntimeout_sec = 1.5\n[environment]\ncpus = 2\nmemory = \"1G\"\nallow_internet = false\n",
    )
    .unwrap();
    assert_eq!(s.agent_timeout, Some(std::time::Duration::from_secs(90)));
    assert_eq!(
        s.verifier_timeout,
        Some(std::time::Duration::from_millis(1500))
    );
    assert_eq!(s.cpus, Some(2.0));
    assert_eq!(s.memory_mb, Some(1024));
    assert_eq!(s.network, Some(false));
    let y =
        parse_task_yaml("descriptions:\n  - description: Hi\nmax_agent_timeout_sec: 60\n").unwrap();
    assert_eq!(y.instruction.as_deref(), Some("Hi"));
    assert_eq!(y.agent_timeout, Some(std::time::Duration::from_secs(60)));
}

fn tb1(root: &Path, id: &str) {
    let d = root.join(id);
    std::fs::create_dir_all(d.join("tests")).unwrap();
    std::fs::write(d.join("task.yaml"), "instruction: Do it.\n").unwrap();
    std::fs::write(d.join("Dockerfile"), "FROM debian:bookworm\n").unwrap();
    std::fs::write(d.join("run-tests.sh"), "true\n").unwrap();
    std::fs::write(d.join("solution.sh"), "echo the reference\n").unwrap();
}

#[test]
fn a_staged_tb1_solution_is_private_and_gone_with_the_suite() {
    let root = tempfile::tempdir().unwrap();
    tb1(root.path(), "staged");
    let suite = load_suite(root.path()).unwrap();
    let Reference::Bundle { dir, .. } = suite.tasks[0].reference().unwrap() else {
        panic!("a TB1 reference is a bundle");
    };
    let dir = std::path::PathBuf::from(dir);
    assert!(
        !dir.starts_with(root.path()),
        "never the task folder itself"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("solution.sh")).unwrap(),
        "echo the reference\n"
    );
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "only the harness's user may read it");
    // Asked again (another trial), the same folder.
    let Reference::Bundle { dir: again, .. } = suite.tasks[0].reference().unwrap() else {
        panic!()
    };
    assert_eq!(Path::new(&again), dir);
    drop(suite);
    assert!(!dir.exists(), "{} outlived the suite", dir.display());
}
