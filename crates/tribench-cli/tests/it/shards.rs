//! `--shard I/N` on run, validate and grade, and `tribench merge`, from the command line.

use super::{python_exercise, read_json, report_json, run_cmd, swebench_sample, tribench};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use super::trial_outcomes as outcomes;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn run(suite: &Path, dir: &Path, shard: Option<&str>) -> Output {
    let mut c = run_cmd(suite, dir);
    c.args(["-q", "--json", "-k", "2", "--agent", "oracle"]);
    if let Some(s) = shard {
        c.args(["--shard", s]);
    }
    c.output().unwrap()
}

#[test]
fn shards_run_apart_and_merge_into_the_unsharded_run() {
    let tmp = tempfile::tempdir().unwrap();
    let suite = tmp.path().join("suite");
    for (name, body) in [
        ("alpha", "def test_a():\n    assert answer() == 42\n"),
        ("bravo", "def test_b():\n    assert answer() == 42\n"),
        ("charlie", "def test_c():\n    assert answer() == 43\n"),
        ("delta", "def test_d():\n    assert answer() == 42\n"),
    ] {
        python_exercise(&suite, name, body);
    }
    let single = tmp.path().join("single");
    let out = run(&suite, &single, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (s0, s1) = (tmp.path().join("shard-0"), tmp.path().join("shard-1"));
    for (dir, shard) in [(&s0, "0/2"), (&s1, "1/2")] {
        let out = run(&suite, dir, Some(shard));
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let (a, b) = (outcomes(&s0), outcomes(&s1));
    assert!(!a.is_empty() && !b.is_empty(), "{a:?} {b:?}");
    let ids = |v: &[(String, String)]| v.iter().map(|(i, _)| i.clone()).collect::<BTreeSet<_>>();
    assert!(ids(&a).is_disjoint(&ids(&b)));
    assert_eq!(a.len() + b.len(), outcomes(&single).len());
    assert_eq!(outcomes(&single).len(), 8);
    let m = read_json(&s1.join("manifest.json"));
    assert_eq!(m["shard"]["index"], 1);
    assert_eq!(m["shard"]["count"], 2);
    assert_eq!(m["shard"]["task_ids"].as_array().unwrap().len(), 4);

    // A shard's directory cannot be reused for another shard.
    let out = run(&suite, &s0, Some("1/2"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("--shard: 0/2 in the run, 1/2 now"),
        "{}",
        text(&out)
    );
    // Nor can a shard value be out of range.
    let out = run(&suite, &tmp.path().join("x"), Some("2/2"));
    assert!(text(&out).contains("numbered 0 to 1"), "{}", text(&out));

    // Shard 1 not merged yet: its trials are missing, owed by it; exit 1.
    let merged = tmp.path().join("merged");
    let out = tribench()
        .arg("merge")
        .arg(&s0)
        .arg("--run-dir")
        .arg(&merged)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    for (id, _) in &b {
        assert!(
            text(&out).contains(&format!("missing {id}: owed by shard 1/2 (not given)")),
            "{}",
            text(&out)
        );
    }
    // Then both: only shard 1's trials are added, and the merged run is the single run.
    let out = tribench()
        .arg("merge")
        .arg(&s0)
        .arg(&s1)
        .arg("--run-dir")
        .arg(&merged)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(&format!(
            "{} trials added, {} already there, 8 expected",
            b.len(),
            a.len()
        )),
        "{}",
        text(&out)
    );
    assert_eq!(outcomes(&merged), outcomes(&single));
    let (r, s) = (report_json(&merged), report_json(&single));
    assert_eq!(r["total"]["score"], s["total"]["score"]);
    assert_eq!(r["outcomes"], s["outcomes"]);
    assert_eq!(r["expected_trials"], s["expected_trials"]);
    // A run resumed in a merged directory has nothing left to do.
    let out = run(&suite, &merged, None);
    assert!(
        text(&out).contains("8 trials were already recorded, 0 ran now"),
        "{}",
        text(&out)
    );
}

#[test]
fn validate_and_grade_check_only_their_shard() {
    let tmp = tempfile::tempdir().unwrap();
    let suite = tmp.path().join("suite");
    // Names chosen so that both shards get tasks (3 and 1).
    for name in ["echo", "juliet", "golf", "hotel"] {
        python_exercise(&suite, name, "def test_x():\n    assert answer() == 42\n");
    }
    let mut seen: Vec<BTreeSet<String>> = Vec::new();
    for shard in ["0/2", "1/2"] {
        let out = tribench()
            .args(["validate", "--json", "--shard", shard])
            .arg(&suite)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        seen.push(
            v["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_string())
                .collect(),
        );
    }
    assert!(seen[0].is_disjoint(&seen[1]), "{seen:?}");
    assert_eq!(seen[0].len() + seen[1].len(), 4, "{seen:?}");
    assert!(!seen[0].is_empty() && !seen[1].is_empty(), "{seen:?}");

    // Grading SWE-bench predictions (the textkit instances run on the local Go).
    let grade = |dir: &Path, shard: Option<&str>| {
        let mut c = tribench();
        c.args(["grade", "-q", "--predictions", "gold", "--suite"])
            .arg(swebench_sample())
            .args(["--instance-id", "tribench-samples__textkit-1"])
            .args(["--instance-id", "tribench-samples__textkit-2"])
            .args(["--instance-id", "tribench-samples__textkit-3"])
            .arg("--run-dir")
            .arg(dir);
        if let Some(s) = shard {
            c.args(["--shard", s]);
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
    };
    let single = tmp.path().join("graded");
    grade(&single, None);
    let shards: Vec<_> = ["0/2", "1/2"]
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let d = tmp.path().join(format!("graded-{i}"));
            grade(&d, Some(s));
            d
        })
        .collect();
    let merged = tmp.path().join("graded-merged");
    let out = tribench()
        .arg("merge")
        .args(&shards)
        .arg("--run-dir")
        .arg(&merged)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(outcomes(&merged), outcomes(&single));
    assert_eq!(outcomes(&single).len(), 3);
    // Grading the merged run again grades nothing and writes the official report files.
    grade(&merged, None);
    assert_eq!(outcomes(&merged), outcomes(&single));
    let report = read_json(&merged.join("swebench/gold.graded-merged.json"));
    assert_eq!(report["resolved_instances"], 3, "{report}");
}

/// Finding 5: a shard owing no trial is complete with an unknown score; one owing some expects
/// only those, not the whole run's.
#[test]
fn a_shards_report_expects_only_its_own_trials_and_scores_nothing_from_nothing() {
    use tribench_types::{Shard, TrialKey};
    let tmp = tempfile::tempdir().unwrap();
    let suite = tmp.path().join("suite");
    for name in ["alpha", "bravo"] {
        python_exercise(&suite, name, "def test_a():\n    assert answer() == 42\n");
    }
    let owed = |index: u32, count: u32| {
        let shard = Shard { index, count };
        ["python/alpha", "python/bravo"]
            .iter()
            .flat_map(|t| {
                (1..=2).map(move |attempt| TrialKey {
                    task_id: t.to_string(),
                    attempt,
                })
            })
            .filter(|k| shard.contains(k))
            .count()
    };
    let count = 16;
    let idle = (0..count).find(|i| owed(*i, count) == 0).unwrap();
    let busy = (0..count)
        .find(|i| (1..4).contains(&owed(*i, count)))
        .unwrap();
    for (index, want) in [(idle, 0), (busy, owed(busy, count))] {
        let dir = tmp.path().join(format!("shard-{index}"));
        let out = run(&suite, &dir, Some(&format!("{index}/{count}")));
        assert!(out.status.success(), "{}", text(&out));
        let r = report_json(&dir);
        assert_eq!(r["expected_trials"], want, "{r}");
        assert_eq!(r["recorded_trials"], want, "{r}");
        if want == 0 {
            assert!(r["total"]["score"]["rate"].is_null(), "{r}");
        }
        let out = tribench().arg("report").arg(&dir).output().unwrap();
        let t = text(&out);
        assert!(!t.contains("INCOMPLETE"), "{t}");
        if want == 0 {
            assert!(t.contains("n/a (no trials)") && !t.contains("0.0%"), "{t}");
        }
    }
}
