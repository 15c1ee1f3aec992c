//! Loading suites from disk: the real Exercism layout, and clear errors for broken input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod swebench_grading;
mod swebench_parser_artifacts;
mod swebench_sandbox;
mod terminal_input;

use std::path::{Path, PathBuf};
use tribench_families::{load_suite, FamilyError};

fn exercise(root: &Path, lang: &str, name: &str, config: &str, files: &[&str]) -> PathBuf {
    let d = root.join(lang).join("exercises/practice").join(name);
    std::fs::create_dir_all(d.join(".docs")).unwrap();
    std::fs::create_dir_all(d.join(".meta")).unwrap();
    std::fs::write(d.join(".docs/instructions.md"), "Do it.\n").unwrap();
    if !config.is_empty() {
        std::fs::write(d.join(".meta/config.json"), config).unwrap();
    }
    for f in files {
        let p = d.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "x").unwrap();
    }
    d
}

const PY_CONFIG: &str =
    r#"{"files": {"solution": ["a.py"], "test": ["a_test.py"], "example": [".meta/example.py"]}}"#;

#[test]
fn the_bundled_sample_suite_loads_in_its_real_layout() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites/polyglot-sample");
    let suite = load_suite(&root).unwrap();
    assert_eq!(suite.tasks.len(), 15);
    let mut langs: Vec<&str> = suite.tasks.iter().map(|t| t.info.group.as_str()).collect();
    langs.dedup();
    assert_eq!(langs, ["cpp", "go", "java", "javascript", "python", "rust"]);
    let java = suite
        .tasks
        .iter()
        .find(|t| t.info.id == "java/luhn-check")
        .unwrap();
    match java.reference().unwrap() {
        tribench_types::Reference::Files { files } => {
            assert_eq!(files[0].0, "src/main/java/LuhnCheck.java");
        }
        other => panic!("{other:?}"),
    }
    assert!(java.instruction().contains("Luhn"));
    assert!(java.instruction().contains("src/main/java/LuhnCheck.java"));
}

#[test]
fn a_missing_config_is_an_error_naming_the_file() {
    let root = tempfile::tempdir().unwrap();
    let d = exercise(root.path(), "python", "a", "", &["a.py"]);
    let err = load_suite(root.path()).unwrap_err().to_string();
    assert!(
        err.contains(&d.join(".meta/config.json").display().to_string()),
        "{err}"
    );
    assert!(err.contains("missing"), "{err}");
}

#[test]
fn a_config_naming_a_missing_file_is_an_error_naming_that_file() {
    let root = tempfile::tempdir().unwrap();
    let d = exercise(
        root.path(),
        "python",
        "a",
        PY_CONFIG,
        &["a.py", ".meta/example.py"],
    );
    let err = load_suite(root.path()).unwrap_err().to_string();
    assert!(
        err.contains(&d.join("a_test.py").display().to_string()),
        "{err}"
    );
    assert!(err.contains("files.test"), "{err}");
}

#[test]
fn malformed_config_json_is_reported_with_its_path() {
    let root = tempfile::tempdir().unwrap();
    let d = exercise(root.path(), "go", "b", "{ not json", &[]);
    let err = load_suite(root.path()).unwrap_err().to_string();
    assert!(
        err.contains(&d.join(".meta/config.json").display().to_string()),
        "{err}"
    );
    assert!(err.contains("not valid"), "{err}");
}

#[test]
fn paths_escaping_the_exercise_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let cfg = r#"{"files": {"solution": ["../../etc/passwd"], "test": ["a_test.py"], "example": ["e.py"]}}"#;
    exercise(root.path(), "python", "a", cfg, &["a_test.py", "e.py"]);
    let err = load_suite(root.path()).unwrap_err().to_string();
    assert!(err.contains("outside the exercise"), "{err}");
}

#[test]
fn every_broken_exercise_is_listed_at_once() {
    let root = tempfile::tempdir().unwrap();
    exercise(root.path(), "python", "a", "", &[]);
    exercise(root.path(), "python", "b", "", &[]);
    match load_suite(root.path()).unwrap_err() {
        FamilyError::Many(errs) => assert_eq!(errs.len(), 2),
        other => panic!("{other}"),
    }
}

#[test]
fn an_empty_folder_has_no_tasks() {
    let root = tempfile::tempdir().unwrap();
    let err = load_suite(root.path()).unwrap_err();
    assert!(matches!(err, FamilyError::NoTasks(_)), "{err}");
}

fn tb2(root: &Path, id: &str, toml: &str, instruction: Option<&str>) -> PathBuf {
    let d = root.join(id);
    std::fs::create_dir_all(d.join("environment")).unwrap();
    std::fs::create_dir_all(d.join("tests")).unwrap();
    std::fs::write(d.join("task.toml"), toml).unwrap();
    if let Some(i) = instruction {
        std::fs::write(d.join("instruction.md"), i).unwrap();
    }
    std::fs::write(d.join("environment/Dockerfile"), "FROM debian:bookworm\n").unwrap();
    std::fs::write(d.join("tests/test.sh"), "true\n").unwrap();
    d
}

#[test]
fn the_bundled_terminal_suite_loads_both_formats() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites/terminal-sample");
    let suite = load_suite(&root).unwrap();
    assert_eq!(suite.family, tribench_types::FamilyKind::Terminal);
    assert!(suite.tasks.len() >= 6);
    let fix = suite
        .tasks
        .iter()
        .find(|t| t.info.id == "fix-average")
        .unwrap();
    assert!(fix.instruction().contains("average.sh"));
    assert_eq!(fix.info.group, "debugging");
    let summary = suite
        .tasks
        .iter()
        .find(|t| t.info.id == "error-summary")
        .unwrap();
    assert!(
        summary.instruction().contains("summary.csv"),
        "TB1 descriptions[0] is the instruction"
    );
    let hello = suite
        .tasks
        .iter()
        .find(|t| t.info.id == "hello-file")
        .unwrap();
    let limits = hello.limits();
    assert_eq!(limits.agent_timeout_sec, Some(120.0));
    match hello.environment() {
        tribench_families::Environment::Container { .. } => {
            assert_eq!(limits.memory_mb, Some(512));
            assert!(!limits.network.unwrap());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn broken_terminal_tasks_are_errors_naming_the_task() {
    let root = tempfile::tempdir().unwrap();
    tb2(root.path(), "no-instruction", "version = \"1.0\"\n", None);
    let err = load_suite(root.path()).unwrap_err().to_string();
    assert!(
        err.contains("task no-instruction") && err.contains("instruction.md"),
        "{err}"
    );

    let root = tempfile::tempdir().unwrap();
    tb2(root.path(), "bad-toml", "version = [1.0\n", Some("x"));
    let err = load_suite(root.path()).unwrap_err().to_string();
    assert!(
        err.contains("task bad-toml") && err.contains("task.toml"),
        "{err}"
    );

    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("bad-yaml");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("task.yaml"), "instruction: [unclosed\n").unwrap();
    let err = load_suite(root.path()).unwrap_err().to_string();
    assert!(
        err.contains("task bad-yaml") && err.contains("task.yaml"),
        "{err}"
    );

    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("no-text");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("task.yaml"), "category: x\n").unwrap();
    let err = load_suite(root.path()).unwrap_err().to_string();
    assert!(
        err.contains("task no-text") && err.contains("missing instruction"),
        "{err}"
    );
}

#[test]
fn reference_files_are_placed_by_their_path_relative_to_the_reference_folder() {
    let root = tempfile::tempdir().unwrap();
    let cfg = r#"{"files": {"solution": ["src/main/java/Main.java"], "test": ["src/test/java/MainTest.java"],
        "example": [".meta/src/reference/java/Main.java", ".meta/src/reference/java/Helper.java", ".meta/src/reference/java/util/Deep.java"]}}"#;
    exercise(
        root.path(),
        "java",
        "split",
        cfg,
        &[
            "src/main/java/Main.java",
            "src/test/java/MainTest.java",
            ".meta/src/reference/java/Main.java",
            ".meta/src/reference/java/Helper.java",
            ".meta/src/reference/java/util/Deep.java",
        ],
    );
    let suite = load_suite(root.path()).unwrap();
    let tribench_types::Reference::Files { files } = suite.tasks[0].reference().unwrap() else {
        panic!("not files");
    };
    let targets: Vec<&str> = files.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        targets,
        [
            "src/main/java/Main.java",
            "src/main/java/Helper.java",
            "src/main/java/util/Deep.java"
        ]
    );
}

#[test]
fn a_rust_reference_brings_its_own_manifest() {
    let root = tempfile::tempdir().unwrap();
    let cfg = r#"{"files": {"solution": ["src/lib.rs", "Cargo.toml"], "test": ["tests/t.rs"], "example": [".meta/example.rs"]}}"#;
    let d = exercise(
        root.path(),
        "rust",
        "crated",
        cfg,
        &["src/lib.rs", "Cargo.toml", "tests/t.rs", ".meta/example.rs"],
    );
    std::fs::write(d.join(".meta/Cargo-example.toml"), "[dependencies]\n").unwrap();
    let suite = load_suite(root.path()).unwrap();
    let tribench_types::Reference::Files { files } = suite.tasks[0].reference().unwrap() else {
        panic!("not files");
    };
    assert!(files.iter().any(|(t, b)| t == "src/lib.rs" && b == b"x"));
    assert!(files
        .iter()
        .any(|(t, b)| t == "Cargo.toml" && b == b"[dependencies]\n"));
}
