//! The `tribench` binary as a user runs it: whole processes, killed and resumed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod all_infrastructure;
mod common;
mod damaged_runs;
mod datasets;
mod model_endpoint;
mod out_of_range;
mod output;
mod real_inputs;
mod remote_docker;
mod resolved_settings;
mod settings_and_reasons;
mod shards;
mod slurm;
mod view;

pub(crate) use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn a_run_killed_with_sigkill_resumes_and_runs_every_trial_exactly_once() {
    let slow =
        "import time\n\ndef test_answer():\n    time.sleep(0.3)\n    assert answer() == 42\n";
    let names: Vec<String> = (0..6).map(|i| format!("ex{i}")).collect();
    let suite = python_suite(&names.iter().map(|n| (n.as_str(), slow)).collect::<Vec<_>>());
    let work = tempfile::tempdir().unwrap();
    let run_dir = work.path().join("run");
    let sandboxes = work.path().join("sandboxes");
    std::fs::create_dir_all(&sandboxes).unwrap();
    let run = || {
        let mut c = run_cmd(suite.path(), &run_dir);
        c.args(["--attempts", "3", "-j", "2", "--json"])
            .arg("--sandbox-dir")
            .arg(&sandboxes);
        c
    };
    let mut child = run()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(
        poll(Duration::from_secs(120), || rows(&run_dir).len() >= 4),
        "no progress"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = rows(&run_dir);
    assert!(
        before.len() < 18,
        "the run finished before it could be killed"
    );

    let out = run().output().unwrap();
    succeeded(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("already recorded"), "{stderr}");

    let after = rows(&run_dir);
    assert_eq!(after.len(), 18);
    let ids: std::collections::BTreeSet<_> = after.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(ids.len(), 18, "a trial was recorded twice");
    for (id, ended) in &before {
        let again = after.iter().find(|(i, _)| i == id).unwrap();
        assert_eq!(
            &again.1, ended,
            "trial {id} was run again after being recorded"
        );
    }
    // The resumed report counts everything.
    let report = stdout_json(&out);
    assert_eq!(report["total"]["score"]["successes"], 18);
    assert_eq!(
        report["total"]["score"]["success_trial_ids"]
            .as_array()
            .unwrap()
            .len(),
        18
    );
    // The killed process's sandboxes were swept by the second run.
    assert!(
        dir_is_empty(&sandboxes),
        "{:?}",
        std::fs::read_dir(&sandboxes).unwrap().collect::<Vec<_>>()
    );
}

fn processes_mentioning(token: &str) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .chars()
                .all(|c| c.is_ascii_digit())
        })
        .filter(|e| {
            std::fs::read(e.path().join("cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(token))
                .unwrap_or(false)
        })
        .count()
}

#[test]
fn ctrl_c_stops_cleanly_and_leaves_nothing_running_or_behind() {
    let token = format!("tribench-ctrl-c-{}", std::process::id());
    let body = format!(
        "import subprocess\n\ndef test_answer():\n    subprocess.run(['sh', '-c', 'sleep 120; echo {token}'])\n"
    );
    let suite = python_suite(&[("sleepy", body.as_str()), ("sleepy-too", body.as_str())]);
    let work = tempfile::tempdir().unwrap();
    let run_dir = work.path().join("run");
    let sandboxes = work.path().join("sandboxes");
    std::fs::create_dir_all(&sandboxes).unwrap();
    let mut child = run_cmd(suite.path(), &run_dir)
        .arg("--sandbox-dir")
        .arg(&sandboxes)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        poll(Duration::from_secs(60), || processes_mentioning(&token)
            >= 2),
        "tests never started"
    );
    interrupt(child.id());
    let start = Instant::now();
    let status = child.wait().unwrap();
    assert!(start.elapsed() < Duration::from_secs(20));
    assert_eq!(status.code(), Some(130));
    assert!(
        poll(Duration::from_secs(5), || processes_mentioning(&token) == 0),
        "test processes survived Ctrl-C"
    );
    assert!(dir_is_empty(&sandboxes), "sandboxes left behind");
    assert!(
        rows(&run_dir).is_empty(),
        "interrupted trials must not be recorded"
    );
    assert!(run_dir.join("manifest.json").is_file());
}

#[test]
fn validate_lists_broken_tasks_and_exits_non_zero() {
    let suite = python_suite(&[
        ("good", PASSES),
        ("always-passes", "def test_answer():\n    assert True\n"),
        ("never-passes", FAILS),
    ]);
    let out = tribench()
        .arg("validate")
        .arg(suite.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("python/always-passes: nop resolved it"),
        "{stdout}"
    );
    assert!(
        stdout.contains("python/never-passes: oracle did not resolve it"),
        "{stdout}"
    );
    assert!(!stdout.contains("python/good:"), "{stdout}");

    let out = tribench()
        .arg("validate")
        .arg("--json")
        .arg(suite.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = stdout_json(&out);
    assert_eq!(v["broken"], 2);
    let good = v["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "python/good")
        .unwrap();
    assert_eq!(good["ok"], true);
    assert_eq!(good["oracle"], "resolved");
    assert_eq!(good["nop"], "unresolved");
}

#[test]
fn a_missing_toolchain_is_an_environment_error_naming_the_package() {
    let suite = tempfile::tempdir().unwrap();
    let d = suite.path().join("go/exercises/practice/hello");
    std::fs::create_dir_all(d.join(".docs")).unwrap();
    std::fs::create_dir_all(d.join(".meta")).unwrap();
    std::fs::write(d.join(".docs/instructions.md"), "Say hello.\n").unwrap();
    std::fs::write(
        d.join(".meta/config.json"),
        r#"{"files": {"solution": ["hello.go"], "test": ["hello_test.go"], "example": [".meta/example.go"]}}"#,
    )
    .unwrap();
    for f in ["hello.go", "hello_test.go", ".meta/example.go"] {
        std::fs::write(d.join(f), "package hello\n").unwrap();
    }
    let work = tempfile::tempdir().unwrap();
    let run_dir = work.path().join("run");
    let out = run_cmd(suite.path(), &run_dir)
        .env("PATH", "/nonexistent")
        .args(["--no-isolation", "--json", "--tries", "1"])
        .output()
        .unwrap();
    // Every trial failed for infrastructure reasons: the run says so and exits non-zero.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("every trial (1)"), "{stderr}");
    let v = stdout_json(&out);
    let outcomes = v["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0]["outcome"], "environment_error");
    assert_eq!(outcomes[0]["infrastructure"], true);
    let conn = rusqlite::Connection::open(run_dir.join("trials.sqlite")).unwrap();
    let error: String = conn
        .query_row(
            "SELECT json_extract(record, '$.error') FROM trials",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(error.contains("golang-go"), "{error}");
}

#[test]
fn a_broken_suite_is_a_clear_error_naming_the_file() {
    let suite = tempfile::tempdir().unwrap();
    let d = suite.path().join("python/exercises/practice/broken");
    std::fs::create_dir_all(d.join(".docs")).unwrap();
    let out = tribench()
        .arg("run")
        .arg("-s")
        .arg(suite.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let config: PathBuf = d.canonicalize().unwrap().join(".meta/config.json");
    assert!(stderr.contains(&config.display().to_string()), "{stderr}");
}

#[test]
fn report_reads_a_finished_run_and_traces_figures_to_trials() {
    let suite = python_suite(&[("one", PASSES)]);
    let work = tempfile::tempdir().unwrap();
    let run_dir = work.path().join("run");
    let out = run_cmd(suite.path(), &run_dir).output().unwrap();
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("python") && table.contains("100.0%"),
        "{table}"
    );
    let v = report_json(&run_dir);
    assert_eq!(v["total"]["score"]["success_trial_ids"][0], "python+one.a1");
    assert_eq!(v["manifest"]["scaffold"]["agent"], "oracle");
    assert_eq!(v["manifest"]["datasets"][0]["tasks"], 1);
    assert!(
        v["manifest"]["environment"]["isolation"]
            .as_str()
            .unwrap()
            .len()
            > 3
    );
}

#[test]
fn the_bundled_sample_suite_is_valid_in_all_six_languages() {
    let suite = bundled_suite("polyglot-sample");
    let out = tribench()
        .arg("validate")
        .arg("--json")
        .arg(&suite)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let tasks = v["tasks"].as_array().unwrap();
    let broken: Vec<_> = tasks.iter().filter(|t| t["ok"] != true).collect();
    assert!(broken.is_empty(), "broken sample tasks: {broken:#?}");
    assert_eq!(out.status.code(), Some(0));
    let mut groups: Vec<&str> = tasks.iter().map(|t| t["group"].as_str().unwrap()).collect();
    groups.dedup();
    assert_eq!(
        groups,
        ["cpp", "go", "java", "javascript", "python", "rust"]
    );
    assert!(tasks.len() >= 12);
}

#[test]
fn import_compare_matrix_and_power_work_from_the_command_line() {
    let src = tempfile::tempdir().unwrap();
    let write_report = |name: &str, resolved: &[&str], unresolved: &[&str]| {
        let p = src.path().join(format!("{name}.json"));
        let v = serde_json::json!({"total_instances": 6, "resolved_ids": resolved, "unresolved_ids": unresolved});
        std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
        p
    };
    let ids = ["a__a-1", "a__a-2", "a__a-3", "b__b-4", "b__b-5", "b__b-6"];
    let pa = write_report("model-a.r1", &ids[..4], &ids[4..]);
    let pb = write_report("model-b.r1", &ids[..2], &ids[2..]);
    let work = tempfile::tempdir().unwrap();
    for (p, d) in [(&pa, "a"), (&pb, "b")] {
        output_ok(
            tribench()
                .args(["import", "swebench"])
                .arg(p)
                .arg("--run-dir")
                .arg(work.path().join(d)),
        );
    }
    let c = stdout_json(&output_ok(
        tribench()
            .arg("compare")
            .arg(work.path().join("a"))
            .arg(work.path().join("b"))
            .arg("--json"),
    ));
    assert_eq!(c["shared_tasks"], 6);
    assert_eq!(c["test"], "mcnemar_exact");
    assert_eq!(c["discordant"], serde_json::json!([2, 0]));

    let out = output_ok(
        tribench()
            .arg("matrix")
            .arg(work.path().join("a"))
            .arg(work.path().join("b")),
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("leaderboard"));

    // A run on another dataset is refused, with exit code 2 and a reason.
    let other = tempfile::tempdir().unwrap();
    let out = tribench()
        .args(["import", "swebench"])
        .arg(&pb)
        .arg("--run-dir")
        .arg(other.path().join("c"))
        .args(["--dataset", "swe-bench-verified"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = tribench()
        .arg("compare")
        .arg(work.path().join("a"))
        .arg(other.path().join("c"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("different datasets"));

    let out = tribench()
        .args([
            "power",
            "--tasks",
            "500",
            "--correlation",
            "0",
            "--icc",
            "1",
            "--json",
        ])
        .output()
        .unwrap();
    let p = stdout_json(&out);
    let mde = p["mde_unpaired"].as_f64().unwrap();
    assert!(
        (mde - 2.801_585 * (0.5_f64 / 500.0).sqrt()).abs() < 1e-4,
        "{mde}"
    );
}

#[test]
fn the_bundled_terminal_suite_is_valid_in_docker() {
    if !docker_available() {
        return;
    }
    let suite = bundled_suite("terminal-sample");
    let (code, v) = validate_json(&[suite.to_str().unwrap(), "-j", "2"]);
    let tasks = v["tasks"].as_array().unwrap();
    let broken: Vec<_> = tasks.iter().filter(|t| t["ok"] != true).collect();
    assert!(broken.is_empty(), "{broken:#?}");
    assert_eq!(code, Some(0));
    assert!(tasks.len() >= 6);
}

#[test]
fn the_bundled_polyglot_suite_is_valid_in_docker() {
    if !docker_available() {
        return;
    }
    let suite = bundled_suite("polyglot-sample");
    let (code, v) = validate_json(&[suite.to_str().unwrap(), "--sandbox", "docker", "-j", "2"]);
    let broken: Vec<_> = v["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["ok"] != true)
        .collect();
    assert!(broken.is_empty(), "{broken:#?}");
    assert_eq!(code, Some(0));
}

fn containers_labelled_with_pid(pid: u32) -> usize {
    let out = Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=tribench.pid={pid}"),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).lines().count()
}

#[test]
fn ctrl_c_during_container_trials_leaves_no_container_behind() {
    if !docker_available() {
        return;
    }
    let suite = tempfile::tempdir().unwrap();
    let reward = "#!/bin/bash\necho 1 > /logs/verifier/reward.txt\n";
    harbor_task(suite.path(), "slow-a", reward, "#!/bin/bash\nsleep 300\n");
    harbor_task(suite.path(), "slow-b", reward, "#!/bin/bash\nsleep 300\n");
    let work = tempfile::tempdir().unwrap();
    let mut child = run_cmd(suite.path(), &work.path().join("run"))
        .args(["-j", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    assert!(
        poll(Duration::from_secs(120), || containers_labelled_with_pid(
            pid
        ) >= 2),
        "trials never started"
    );
    interrupt(pid);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        containers_labelled_with_pid(pid),
        0,
        "containers left after Ctrl-C"
    );
    assert!(rows(&work.path().join("run")).is_empty());
}

#[test]
fn validate_repeat_flags_a_flaky_task() {
    if !docker_available() {
        return;
    }
    let suite = tempfile::tempdir().unwrap();
    // Passes at random: with ten oracle runs, all alike happens about twice in a thousand.
    harbor_task(
        suite.path(),
        "coin",
        "#!/bin/bash\necho $((RANDOM % 2)) > /logs/verifier/reward.txt\n",
        "#!/bin/bash\ntrue\n",
    );
    let (code, v) = validate_json(&[suite.path().to_str().unwrap(), "--repeat", "10", "-j", "2"]);
    let t = &v["tasks"][0];
    assert_eq!(t["oracle_runs"], 10);
    let resolved = t["oracle_resolved"].as_u64().unwrap();
    let differed = resolved > 0 && resolved < 10;
    assert_eq!(t["flaky"], differed);
    if differed {
        assert_eq!(code, Some(1));
        assert!(t["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().contains("flaky")));
    }
}

#[test]
fn the_llm_agent_runs_from_the_command_line_and_its_trajectory_prints() {
    let model = scripted(writes_the_answer("one.py"));
    let suite = python_suite(&[("one", PASSES)]);
    let work = tempfile::tempdir().unwrap();
    let run_dir = work.path().join("run");
    let out = output_ok(
        llm_run_cmd(
            suite.path(),
            &run_dir,
            "scripted-model",
            &model.server.base_url,
        )
        .arg("--json"),
    );
    let v = stdout_json(&out);
    assert_eq!(v["total"]["score"]["successes"], 1);
    assert_eq!(v["manifest"]["model"]["id"], "scripted-model");
    assert_eq!(v["total"]["efficiency"]["prompt_tokens_per_trial"], 200.0);
    let out = output_ok(
        tribench()
            .arg("trajectory")
            .arg(&run_dir)
            .arg("python+one.a1"),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("── step 1")
            && text.contains("> write_file")
            && text.contains("agent      2 steps"),
        "{text}"
    );
    let out = tribench()
        .args(["run", "--agent", "llm"])
        .arg("-s")
        .arg(suite.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--model and --base-url"));
    drop(model);
}

#[test]
fn replay_reruns_a_recorded_llm_run_from_the_command_line() {
    let model = scripted(writes_the_answer("two.py"));
    let suite = python_suite(&[("two", PASSES)]);
    let work = tempfile::tempdir().unwrap();
    output_ok(
        llm_run_cmd(
            suite.path(),
            &work.path().join("src"),
            "m",
            &model.server.base_url,
        )
        .args(["--tries", "1"]),
    );
    drop(model);
    let out = tribench()
        .arg("replay")
        .arg(work.path().join("src"))
        .arg("--run-dir")
        .arg(work.path().join("again"))
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = stdout_json(&out);
    assert_eq!(v["differ"], 0);
    assert_eq!(v["trials"][0]["replayed"], "resolved");
}

#[test]
fn the_bundled_swebench_suite_is_valid_gold_resolving_all_and_nop_none() {
    if !docker_available() {
        return;
    }
    // Under --sandbox docker the local-spec repository (Go) runs in the toolchain image too, so
    // every instance here runs in a container; the local path is tested by the grade tests.
    let suite = swebench_sample();
    let (code, v) = validate_json(&[suite.to_str().unwrap(), "--sandbox", "docker", "-j", "2"]);
    let tasks = v["tasks"].as_array().unwrap();
    let broken: Vec<_> = tasks.iter().filter(|t| t["ok"] != true).collect();
    assert!(broken.is_empty(), "{broken:#?}");
    assert_eq!(code, Some(0));
    assert_eq!(tasks.len(), 7);
}

fn sample_instance(id: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(swebench_sample().join("instances.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["instance_id"] == id)
        .unwrap()
}

#[test]
fn grade_takes_predictions_and_writes_the_official_reports() {
    // The textkit instances run on the machine's Go in the local sandbox: no Docker needed.
    let tmp = tempfile::tempdir().unwrap();
    let gold1 = sample_instance("tribench-samples__textkit-1")["patch"].clone();
    let bad = "diff --git a/slug.go b/slug.go\n--- a/slug.go\n+++ b/slug.go\n@@ -1,1 +1,1 @@\n-package nothing\n+package textkit\n";
    // mini-swe-agent's preds.json: an object keyed by instance id.
    let preds = serde_json::json!({
        "tribench-samples__textkit-1": {"instance_id": "tribench-samples__textkit-1", "model_name_or_path": "acme/coder-1", "model_patch": gold1},
        "tribench-samples__textkit-2": {"instance_id": "tribench-samples__textkit-2", "model_name_or_path": "acme/coder-1", "model_patch": ""},
        "tribench-samples__textkit-3": {"instance_id": "tribench-samples__textkit-3", "model_name_or_path": "acme/coder-1", "model_patch": bad},
    });
    let preds_path = tmp.path().join("preds.json");
    std::fs::write(&preds_path, serde_json::to_vec(&preds).unwrap()).unwrap();
    let run = tmp.path().join("run");
    let out = output_ok(
        grade_cmd(&swebench_sample(), &preds_path, &run)
            .args(["--run-id", "eval1", "-j", "2", "--json"]),
    );
    let report = read_json(&run.join("swebench/acme__coder-1.eval1.json"));
    assert_eq!(report["total_instances"], 7);
    assert_eq!(report["submitted_instances"], 3);
    assert_eq!(
        report["resolved_ids"],
        serde_json::json!(["tribench-samples__textkit-1"])
    );
    assert_eq!(
        report["empty_patch_ids"],
        serde_json::json!(["tribench-samples__textkit-2"])
    );
    assert_eq!(
        report["error_ids"],
        serde_json::json!(["tribench-samples__textkit-3"])
    );
    assert_eq!(report["incomplete_ids"].as_array().unwrap().len(), 4);
    let per =
        read_json(&run.join("swebench/acme__coder-1/tribench-samples__textkit-1/report.json"));
    let entry = &per["tribench-samples__textkit-1"];
    assert_eq!(entry["resolved"], true);
    assert_eq!(
        entry["tests_status"]["FAIL_TO_PASS"]["success"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert!(run
        .join("swebench/acme__coder-1/tribench-samples__textkit-1/test_output.txt")
        .is_file());
    // Our own store has the outcomes, failure modes included.
    let v = stdout_json(&out);
    let text = v.to_string();
    assert!(
        text.contains("empty_patch") && text.contains("patch_apply_failed"),
        "{text}"
    );
    let manifest = read_json(&run.join("manifest.json"));
    assert_eq!(manifest["grading_mode"], "official");

    // The audit reads what grading recorded; these verdicts agree.
    let out = audit(&run);
    succeeded(&out);
    let a = stdout_json(&out);
    assert_eq!(a["graded"], 2);
    assert_eq!(a["disagreements"], serde_json::json!([]));

    // The recorded logs re-graded without running anything, from the official layout.
    let out = output_ok(
        tribench()
            .args(["grade", "--suite"])
            .arg(swebench_sample())
            .arg("--logs")
            .arg(run.join("swebench/acme__coder-1"))
            .args(["--grading-mode", "strict"]),
    );
    let regraded = stdout_json(&out);
    assert_eq!(regraded["tribench-samples__textkit-1"]["resolved"], true);
    assert_eq!(
        regraded.as_object().unwrap().len(),
        1,
        "only textkit-1 has a test log"
    );

    // A JSONL file and the `gold` built-in; another grading mode cannot resume this run.
    let out = tribench()
        .args([
            "grade",
            "--predictions",
            "gold",
            "--grading-mode",
            "strict",
            "--suite",
        ])
        .arg(swebench_sample())
        .args(["--instance-id", "tribench-samples__textkit-1", "--run-dir"])
        .arg(&run)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn malformed_predictions_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, text, want) in [
        ("p.jsonl", "{\"instance_id\": \"a\"}\nnot json\n", "line 2"),
        ("p.json", "[{\"model_patch\": \"x\"}]", "no instance_id"),
        (
            "q.json",
            "[{\"instance_id\": \"a\", \"model_patch\": 3}]",
            "must be a string",
        ),
    ] {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        let out = grade_cmd(&swebench_sample(), &p, &tmp.path().join("r"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(want), "{name}: {err}");
    }
}

#[test]
fn the_audit_lists_a_forged_result_official_grading_accepts() {
    if !docker_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // No fix; a conftest.py hook prints the wanted result after pytest's summary and exits 0.
    let hook = "import os\n\ndef pytest_unconfigure(config):\n    print('PASSED tests/test_stock.py::test_at_threshold', flush=True)\n    os._exit(0)\n";
    let mut patch = format!(
        "diff --git a/conftest.py b/conftest.py\nnew file mode 100644\n--- /dev/null\n+++ b/conftest.py\n@@ -0,0 +1,{} @@\n",
        hook.lines().count()
    );
    for l in hook.lines() {
        patch.push_str(&format!("+{l}\n"));
    }
    let preds = tmp.path().join("preds.jsonl");
    std::fs::write(
        &preds,
        serde_json::json!({"instance_id": "tribench-samples__inventory-2", "model_name_or_path": "forger", "model_patch": patch}).to_string() + "\n",
    )
    .unwrap();
    let run = tmp.path().join("run");
    output_ok(&mut grade_cmd(&swebench_sample(), &preds, &run));
    let a = stdout_json(&audit(&run));
    let d = &a["disagreements"][0];
    assert_eq!(d["instance_id"], "tribench-samples__inventory-2");
    assert_eq!(d["official_resolved"], true);
    assert_eq!(d["strict_resolved"], false);
    assert_eq!(
        d["tests"][0]["test"],
        "tests/test_stock.py::test_at_threshold"
    );
    assert_eq!(d["tests"][0]["official"], "PASSED");
    assert_eq!(d["tests"][0]["strict"], "FAILED");
    let why = a["suspicious_patches"]["tribench-samples__inventory-2"][0]
        .as_str()
        .unwrap();
    assert!(why.contains("conftest.py"), "{why}");
}
