//! Issue 10 from the command line: imports of real-shaped inputs print their counts, a
//! reward.json nobody can decide breaks the task (never a pass), Aider rates carry their
//! denominators, and `grade --instance-id` reports over the selected instances only.

use super::{
    aider_leaderboard, audit, docker_available, grade_cmd, harbor_task, import_aider, output_ok,
    read_json, stdout_json, succeeded, swebench_sample, tribench, validate_json,
};
use serde_json::json;
use std::path::Path;

fn write(path: &Path, v: &serde_json::Value) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_vec(v).unwrap()).unwrap();
}

fn tb_run(dir: &Path, run: &str, start: &str, resolved: &[bool], folders: &[usize]) {
    write(
        &dir.join("run_metadata.json"),
        &json!({"run_id": run, "uuid": format!("{run}-uuid"), "agent_name": "terminus",
                "model_name": "acme/m1", "start_time": start}),
    );
    let trials: Vec<serde_json::Value> = resolved
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({"id": format!("{run}-{i}"), "trial_name": format!("task-{i}.1-of-1.{run}"),
                   "task_id": format!("task-{i}"), "instruction": "x", "is_resolved": r,
                   "failure_mode": "unset", "trial_started_at": start})
        })
        .collect();
    for &i in folders {
        write(
            &dir.join(format!("task-{i}"))
                .join(format!("task-{i}.1-of-1.{run}"))
                .join("results.json"),
            &trials[i],
        );
    }
    write(&dir.join("results.json"), &json!({"results": trials}));
}

#[test]
fn import_terminal_bench_reads_a_submission_folder_and_prints_its_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("submission");
    tb_run(
        &sub.join("run-a"),
        "run-a",
        "2025-06-01T10:00:00",
        &[true, false],
        &[0],
    );
    tb_run(
        &sub.join("run-b"),
        "run-b",
        "2025-06-02T10:00:00",
        &[false, false],
        &[0, 1],
    );
    // Run B holds a copy of run A.
    tb_run(
        &sub.join("run-b").join("run-a"),
        "run-a",
        "2025-06-01T10:00:00",
        &[true, false],
        &[0],
    );
    let out = tribench()
        .args(["import", "terminal-bench"])
        .arg(&sub)
        .arg("--run-dir")
        .arg(tmp.path().join("run"))
        .arg("--json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "2 runs, 4 trials (1 resolved), 2 duplicates dropped, 1 per-trial results files missing"
        ),
        "{stderr}"
    );
    let m = read_json(&tmp.path().join("run/manifest.json"));
    assert_eq!(m["attempts"], 2);
}

#[test]
fn aider_leaderboard_rates_are_over_completed_cases_and_both_are_labelled() {
    let tmp = tempfile::tempdir().unwrap();
    let yml = aider_leaderboard(
        tmp.path(),
        "- model: acme/stopped\n  edit_format: diff\n  test_cases: 22\n  total_tests: 225\n  pass_rate_1: 13.6\n  pass_rate_2: 22.7\n",
    );
    let out = import_aider(&yml, &["--json"]);
    succeeded(&out);
    let v = stdout_json(&out);
    let row = &v["rows"][0];
    assert_eq!(row["entry"]["passed_1"], 3);
    assert_eq!(row["entry"]["passed_2"], 5);
    let over_completed = row["pass_2_over_completed"][0].as_f64().unwrap();
    assert_eq!(format!("{:.1}", over_completed * 100.0), "22.7");
    let over_all = row["pass_2_over_all"][0].as_f64().unwrap();
    assert_eq!(format!("{:.1}", over_all * 100.0), "2.2");
    // The table names both denominators.
    let out = import_aider(&yml, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("over completed (Aider's)") && text.contains("over all"),
        "{text}"
    );
    assert!(text.contains("22.7%") && !text.contains("231.8"), "{text}");
}

#[test]
fn a_reward_json_with_several_keys_and_no_reward_breaks_the_task_in_validate() {
    if !docker_available() {
        return;
    }
    let suite = tempfile::tempdir().unwrap();
    // The oracle's run and the no-op's alike write two side metrics and no "reward":
    // before, "accuracy" (first in order) decided and the no-op agent "resolved" the task.
    harbor_task(
        suite.path(),
        "side-metrics",
        "#!/bin/bash\necho '{\"passed\": 0, \"accuracy\": 1.0}' > /logs/verifier/reward.json\n",
        "#!/bin/bash\ntrue\n",
    );
    // A "reward" key decides whatever else is there.
    harbor_task(
        suite.path(),
        "named-reward",
        "#!/bin/bash\nif [ -f /app/done ]; then r=1; else r=0; fi\necho \"{\\\"reward\\\": $r, \\\"accuracy\\\": 1.0}\" > /logs/verifier/reward.json\n",
        "#!/bin/bash\ntouch /app/done\n",
    );
    let (code, v) = validate_json(&[suite.path().to_str().unwrap(), "-j", "2"]);
    assert_eq!(code, Some(1), "{v:#}");
    let task = |id: &str| {
        v["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"].as_str().unwrap().ends_with(id))
            .unwrap()
            .clone()
    };
    let broken = task("side-metrics");
    assert_eq!(broken["ok"], false, "{broken:#}");
    assert_eq!(broken["oracle"], "environment_error");
    assert_ne!(broken["nop"], "resolved");
    let problems = broken["problems"].to_string();
    assert!(
        problems.contains("reward.json") && problems.contains("accuracy, passed"),
        "{problems}"
    );
    let good = task("named-reward");
    assert_eq!(good["ok"], true, "{good:#}");
}

#[test]
fn grade_with_instance_ids_reports_over_the_selected_instances_only() {
    let tmp = tempfile::tempdir().unwrap();
    let ids = [
        "tribench-samples__textkit-1",
        "tribench-samples__textkit-2",
        "tribench-samples__textkit-3",
    ];
    let grade = |selected: &[&str], run_id: &str| {
        let run = tmp.path().join(run_id);
        let mut c = grade_cmd(&swebench_sample(), "gold", &run);
        c.args(["--run-id", run_id, "-j", "2"]);
        for i in selected {
            c.args(["--instance-id", i]);
        }
        output_ok(&mut c);
        read_json(&run.join(format!("swebench/gold.{run_id}.json")))
    };
    let r = grade(&ids, "three");
    assert_eq!(r["total_instances"], 3);
    assert_eq!(r["submitted_instances"], 3);
    assert_eq!(r["incomplete_ids"], json!([]));
    assert_eq!(r["resolved_instances"], 3, "{r:#}");
    // One instance selected.
    let r = grade(&ids[..1], "one");
    assert_eq!(r["total_instances"], 1);
    assert_eq!(r["submitted_instances"], 1);
    assert_eq!(r["completed_ids"], json!([ids[0]]));
    assert_eq!(r["resolved_ids"], json!([ids[0]]));
    assert_eq!(r["incomplete_ids"], json!([]));
    // An id the suite lacks is a clear error, not a silent empty selection.
    let out = grade_cmd(&swebench_sample(), "gold", &tmp.path().join("run2"))
        .args(["--instance-id", "nope__nope-1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope__nope-1"));
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_tree(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn strict_grading_resolves_gold_when_the_dataset_lists_a_live_logging_artifact_and_audit_lists_it()
{
    if !docker_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let suite = tmp.path().join("suite");
    copy_tree(&swebench_sample(), &suite);
    // pytest with live logging on, and a last test that logs: its result word lands on a line
    // of its own, `PASSED   [100%]`, which the official parser reads as a test named `[100%]`.
    let toml = std::fs::read_to_string(suite.join("swebench.toml")).unwrap();
    std::fs::write(
        suite.join("swebench.toml"),
        toml.replace(
            "-p no:cacheprovider {test_files}",
            "-p no:cacheprovider -o log_cli=true {test_files}",
        ),
    )
    .unwrap();
    let id = "tribench-samples__inventory-1";
    let text = std::fs::read_to_string(suite.join("instances.jsonl")).unwrap();
    let mut lines = Vec::new();
    for l in text.lines() {
        let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
        if v["instance_id"] == id {
            let live = "diff --git a/tests/test_zzz_live.py b/tests/test_zzz_live.py\nnew file mode 100644\n--- /dev/null\n+++ b/tests/test_zzz_live.py\n@@ -0,0 +1,5 @@\n+import logging\n+\n+\n+def test_logs():\n+    logging.getLogger(\"inventory\").warning(\"counting stock\")\n";
            v["test_patch"] = json!(format!("{}{live}", v["test_patch"].as_str().unwrap()));
            // As real Verified data does: the artifact listed among PASS_TO_PASS.
            let mut p2p: Vec<String> =
                serde_json::from_str(v["PASS_TO_PASS"].as_str().unwrap()).unwrap();
            p2p.push("[100%]".into());
            v["PASS_TO_PASS"] = json!(serde_json::to_string(&p2p).unwrap());
        }
        lines.push(v.to_string());
    }
    std::fs::write(suite.join("instances.jsonl"), lines.join("\n") + "\n").unwrap();
    let run = tmp.path().join("run");
    output_ok(grade_cmd(&suite, "gold", &run).args([
        "--grading-mode",
        "strict",
        "--instance-id",
        id,
        "--run-id",
        "live",
    ]));
    let report = read_json(&run.join("swebench/gold.live.json"));
    let log = std::fs::read_to_string(run.join(format!("swebench/gold/{id}/test_output.txt")))
        .unwrap_or_default();
    assert!(log.contains("[100%]"), "{log}");
    assert_eq!(report["resolved_ids"], json!([id]), "{report:#}\n{log}");
    let a = stdout_json(&audit(&run));
    assert_eq!(a["official_rule_ids"][id], json!(["[100%]"]), "{a:#}");
    // Both modes resolve it, so they do not disagree.
    assert_eq!(a["disagreements"], json!([]));
}
