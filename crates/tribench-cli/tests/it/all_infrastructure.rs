//! A run whose every trial ended in an infrastructure error measured nothing about the agent:
//! it exits non-zero and says so, for `grade` as for `run`.

use super::*;

#[test]
fn grading_where_every_instance_is_an_infrastructure_error_exits_non_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    // No go and no git on the PATH: the instance cannot be prepared, which is the
    // environment's fault (environment_error), not the prediction's.
    let out = tribench()
        .env("PATH", "/nonexistent")
        .args(["grade", "--suite"])
        .arg(swebench_sample())
        .args(["--predictions", "gold"])
        .args(["--instance-id", "tribench-samples__textkit-1"])
        .arg("--run-dir")
        .arg(&run)
        .args(["--no-isolation", "--json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("every trial (1) ended in an infrastructure error (environment_error 1)")
            && stderr.contains("new --run-dir"),
        "{stderr}"
    );
    let v = stdout_json(&out);
    assert_eq!(v["outcomes"][0]["outcome"], "environment_error");
}
