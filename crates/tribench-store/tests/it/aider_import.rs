//! Aider results: Aider's own denominators, both rates labelled, tokens from the run folder.

use crate::write;
use serde_json::json;
use tribench_store::import::{import_aider, read_aider_leaderboard};

#[test]
fn a_stopped_run_counts_passes_over_completed_cases() {
    let tmp = tempfile::tempdir().unwrap();
    let yml = tmp.path().join("leaderboard.yml");
    // Row 1 without pass_num (counts from the rates), row 2 the same run with them.
    std::fs::write(
        &yml,
        "- dirname: 2025-01-01--stopped\n  model: acme/m1\n  edit_format: diff\n  test_cases: 22\n  total_tests: 225\n  pass_rate_1: 13.6\n  pass_rate_2: 22.7\n  total_cost: 1.5\n\
         - dirname: 2025-01-01--stopped\n  model: acme/m1\n  edit_format: diff\n  test_cases: 22\n  total_tests: 225\n  pass_rate_1: 13.6\n  pass_rate_2: 22.7\n  pass_num_1: 3\n  pass_num_2: 5\n  prompt_tokens: 1000\n  completion_tokens: 200\n",
    )
    .unwrap();
    let rows = read_aider_leaderboard(&yml).unwrap();
    for r in &rows {
        assert_eq!((r.passed_1, r.passed_2), (3, 5), "{r:?}");
        assert_eq!((r.completed, r.total), (22, 225));
        assert_eq!(format!("{:.1}%", r.rate_2_over_completed * 100.0), "22.7%");
        assert_eq!(format!("{:.1}%", r.rate_2_over_all * 100.0), "2.2%");
    }
    assert_eq!(rows[1].prompt_tokens, Some(1000));
    // A count above the completed cases is an error naming the row, not a rate above 100%.
    let bad = tmp.path().join("bad.yml");
    std::fs::write(
        &bad,
        "- model: acme/m2\n  test_cases: 22\n  total_tests: 225\n  pass_num_2: 51\n",
    )
    .unwrap();
    let e = read_aider_leaderboard(&bad).unwrap_err().to_string();
    assert!(e.contains("acme/m2") && e.contains("51"), "{e}");
}

#[test]
fn a_run_folder_gives_both_rates_and_its_tokens() {
    let tmp = tempfile::tempdir().unwrap();
    let bench = tmp.path().join("2025-02-02--run");
    for (lang, name, outcomes) in [
        ("python", "a", vec![true]),
        ("go", "b", vec![false, true]),
        ("rust", "c", vec![false, false]),
    ] {
        let d = bench.join(lang).join("exercises/practice").join(name);
        write(
            &d.join(".aider.results.json"),
            &json!({"testdir": d.display().to_string(), "testcase": name, "model": "m",
                    "edit_format": "diff", "tests_outcomes": outcomes, "cost": 0.25,
                    "duration": 3.0, "prompt_tokens": 1200, "completion_tokens": 300}),
        );
    }
    std::fs::create_dir_all(bench.join("java/exercises/practice/d/.docs")).unwrap();
    let imported = import_aider(&bench).unwrap();
    let notes = imported.notes.join("\n");
    assert!(
        notes.contains("passed within 2 tries: 2; over completed exercises (Aider's pass_rate_2) 2/3 = 66.7%; over all 4 exercises, unfinished counted as failures, 2/4 = 50.0%"),
        "{notes}"
    );
    assert!(
        notes.contains(
            "passed within 1 tries: 1; over completed exercises (Aider's pass_rate_1) 1/3 = 33.3%"
        ),
        "{notes}"
    );
    assert!(!notes.contains("as in Aider's published rates"), "{notes}");
    for t in &imported.trials {
        assert_eq!(t.usage.prompt_tokens, 1200);
        assert_eq!(t.usage.completion_tokens, 300);
        assert!((t.usage.cost_usd - 0.25).abs() < 1e-12);
    }
}

/// Finding 11: `"cost": "free"` is no cost: unknown, with the exercise still imported.
#[test]
fn a_cost_that_is_not_a_number_is_unknown_not_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let bench = tmp.path().join("2025-02-02--run");
    for (name, cost) in [("a", json!("free")), ("b", json!(-3.0)), ("c", json!(0.25))] {
        let d = bench.join("python/exercises/practice").join(name);
        write(
            &d.join(".aider.results.json"),
            &json!({"testdir": d.display().to_string(), "testcase": name, "model": "m",
                    "edit_format": "diff", "tests_outcomes": [true], "cost": cost,
                    "duration": 3.0, "prompt_tokens": 1200, "completion_tokens": 300}),
        );
    }
    let imported = import_aider(&bench).unwrap();
    assert_eq!(imported.trials.len(), 3);
    for t in &imported.trials {
        let known = t.task_id.ends_with('c');
        assert_eq!(t.usage.cost_known(), known, "{}: {:?}", t.task_id, t.usage);
    }
}
