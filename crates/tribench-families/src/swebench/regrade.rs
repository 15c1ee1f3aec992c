//! Grading recorded test logs without running anything: each instance's log is found in a
//! folder (`<instance_id>.log`, or the official harness's `<instance_id>/test_output.txt`)
//! and judged as the grader would judge it, giving the official `report.json` entries. Logs
//! are independent, so they are graded on every core.

use super::grade::{grade_log, GradeSpec, InstanceReport};
use super::parse::GradingMode;
use super::SwebenchTask;
use crate::FamilyError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The verdicts of a folder of logs.
#[derive(Debug, Default)]
pub struct Regraded {
    /// Instance id → its report, as the official report.json has it.
    pub reports: BTreeMap<String, InstanceReport>,
    /// Instances of the selection with no log in the folder.
    pub missing: Vec<String>,
}

/// Where an instance's log is in `logs`, if it is there.
pub fn log_path(logs: &Path, instance_id: &str) -> Option<PathBuf> {
    [
        logs.join(format!("{instance_id}.log")),
        logs.join(instance_id).join("test_output.txt"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

fn grade_one(
    task: &SwebenchTask,
    path: &Path,
    mode: GradingMode,
) -> Result<InstanceReport, FamilyError> {
    let bytes = std::fs::read(path).map_err(|e| FamilyError::InvalidTask {
        path: path.to_path_buf(),
        message: format!("cannot read the test log: {e}"),
    })?;
    let log = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    let spec = GradeSpec {
        fail_to_pass: &task.instance.fail_to_pass,
        pass_to_pass: &task.instance.pass_to_pass,
        parser: task.parser(),
        eval_type: task.eval_type(),
    };
    Ok(grade_log(&log, &spec, mode).report)
}

/// Grades the recorded log of each task in `tasks` found in `logs`, in `mode`, on up to
/// `threads` threads (at least one).
pub fn regrade_logs(
    tasks: &[&SwebenchTask],
    logs: &Path,
    mode: GradingMode,
    threads: usize,
) -> Result<Regraded, FamilyError> {
    let mut out = Regraded::default();
    let mut jobs = Vec::new();
    for t in tasks {
        match log_path(logs, &t.instance.instance_id) {
            Some(path) => jobs.push((*t, path)),
            None => out.missing.push(t.instance.instance_id.clone()),
        }
    }
    let threads = threads.clamp(1, jobs.len().max(1));
    let chunk = jobs.len().div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<(String, InstanceReport)>, FamilyError>> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = jobs
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|(t, path)| {
                                Ok((t.instance.instance_id.clone(), grade_one(t, path, mode)?))
                            })
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(FamilyError::InvalidTask {
                            path: logs.to_path_buf(),
                            message: "a grading thread panicked".into(),
                        })
                    })
                })
                .collect()
        });
    for part in parts {
        out.reports.extend(part?);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const START: &str = "+ : '>>>>> Start Test Output'";
    const END: &str = "+ : '>>>>> End Test Output'";

    fn task(id: &str) -> SwebenchTask {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("instances.jsonl");
        let line = serde_json::json!({
            "instance_id": id, "repo": "acme/widgets", "base_commit": "abc", "patch": "",
            "test_patch": "", "problem_statement": "p", "version": "1.0",
            "FAIL_TO_PASS": ["t.py::test_a"], "PASS_TO_PASS": ["t.py::test_b"],
            "log_parser": "parse_log_pytest",
        });
        std::fs::write(&path, line.to_string()).unwrap();
        super::super::load_tasks(&path).unwrap().remove(0)
    }

    fn log(a: &str, b: &str) -> String {
        format!("{START}\nPASSED t.py::test_b\n{a} t.py::test_a\n{b}\n{END}\n")
    }

    #[test]
    fn logs_in_both_layouts_are_graded_and_missing_ones_listed() {
        let logs = tempfile::tempdir().unwrap();
        let (one, two, three) = (task("acme-1"), task("acme-2"), task("acme-3"));
        std::fs::write(logs.path().join("acme-1.log"), log("PASSED", "")).unwrap();
        std::fs::create_dir_all(logs.path().join("acme-2")).unwrap();
        std::fs::write(
            logs.path().join("acme-2/test_output.txt"),
            log("FAILED", ""),
        )
        .unwrap();
        let r = regrade_logs(&[&one, &two, &three], logs.path(), GradingMode::Official, 4).unwrap();
        assert_eq!(r.missing, vec!["acme-3"]);
        assert_eq!(r.reports.len(), 2);
        assert!(r.reports["acme-1"].resolved);
        assert!(!r.reports["acme-2"].resolved);
        // One thread gives the same verdicts.
        let r1 = regrade_logs(&[&one, &two], logs.path(), GradingMode::Official, 1).unwrap();
        assert_eq!(
            serde_json::to_value(&r1.reports).unwrap(),
            serde_json::to_value(&r.reports).unwrap()
        );
    }

    #[test]
    fn an_unreadable_log_is_an_error_naming_it() {
        let logs = tempfile::tempdir().unwrap();
        let one = task("acme-1");
        // A folder where the log should be a file is skipped as missing; a log that is not
        // readable (a directory named like the file) is reported.
        std::fs::create_dir_all(logs.path().join("acme-1.log")).unwrap();
        let r = regrade_logs(&[&one], logs.path(), GradingMode::Strict, 2).unwrap();
        assert_eq!(r.missing, vec!["acme-1"]);
        let err = grade_one(&one, &logs.path().join("nothing.log"), GradingMode::Strict)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("nothing.log") && err.contains("cannot read the test log"),
            "{err}"
        );
    }
}
