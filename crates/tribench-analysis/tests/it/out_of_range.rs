//! Options out of range get an error naming the option, never a panic or a number from nothing.

use super::*;
use tribench_stats::PowerInputs;

fn design() -> PowerInputs {
    PowerInputs {
        tasks: 89.0,
        attempts: 1.0,
        base_rate: 0.5,
        correlation: 0.5,
        icc: 0.7,
        alpha: 0.05,
        power: 0.8,
    }
}

#[test]
fn power_refuses_every_input_out_of_range() {
    let d = design();
    let cases: Vec<(PowerInputs, Option<f64>, &str)> = vec![
        (PowerInputs { power: 3.0, ..d }, None, "--power"),
        (PowerInputs { power: -1.0, ..d }, None, "--power"),
        (PowerInputs { power: 1.0, ..d }, None, "--power"),
        (PowerInputs { power: 0.0, ..d }, None, "--power"),
        (PowerInputs { alpha: 3.0, ..d }, None, "--alpha"),
        (PowerInputs { alpha: 0.0, ..d }, None, "--alpha"),
        (PowerInputs { alpha: 1.5, ..d }, None, "--alpha"),
        (
            PowerInputs {
                alpha: f64::NAN,
                ..d
            },
            None,
            "--alpha",
        ),
        (
            PowerInputs {
                correlation: 2.0,
                ..d
            },
            None,
            "--correlation",
        ),
        (
            PowerInputs {
                correlation: 1.0,
                ..d
            },
            None,
            "--correlation",
        ),
        (PowerInputs { icc: 2.0, ..d }, None, "--icc"),
        (
            PowerInputs {
                base_rate: 0.0,
                ..d
            },
            None,
            "--base-rate",
        ),
        (
            PowerInputs {
                base_rate: 1.0,
                ..d
            },
            None,
            "--base-rate",
        ),
        (PowerInputs { attempts: 1e9, ..d }, None, "--attempts"),
        (
            PowerInputs {
                tasks: f64::INFINITY,
                ..d
            },
            None,
            "--tasks",
        ),
        (d, Some(0.0), "--effect"),
        (d, Some(f64::INFINITY), "--effect"),
        (d, Some(-5.0), "--effect"),
    ];
    for (inputs, effect, flag) in cases {
        let e = power_plan(inputs, effect).unwrap_err().to_string();
        assert!(e.contains(flag), "{inputs:?} {effect:?}: {e}");
    }
    let ok = power_plan(d, Some(10.0)).unwrap();
    assert!(ok.mde_paired.is_finite() && ok.mde_paired > 0.0);
}

#[test]
fn compare_refuses_an_alpha_out_of_range_and_labels_the_interval_by_it() {
    let a = k1_run("runs/a", "a", 7, 30);
    let b = k1_run("runs/b", "b", 4, 30);
    for alpha in [3.0, -1.0, f64::NAN, 0.0, 1.0] {
        let opts = CompareOptions {
            alpha,
            ..CompareOptions::default()
        };
        let e = compare(&a, &b, &opts).unwrap_err().to_string();
        assert!(e.contains("--alpha"), "{alpha}: {e}");
    }
    let opts = CompareOptions {
        alpha: 0.01,
        ..CompareOptions::default()
    };
    let c99 = compare(&a, &b, &opts).unwrap();
    let c95 = compare(&a, &b, &CompareOptions::default()).unwrap();
    let text = render_comparison(&c99);
    assert!(text.contains("[99% CI "), "{text}");
    assert!(render_comparison(&c95).contains("[95% CI "));
    // A 99% interval is wider than the 95% one.
    assert!(c99.diff_high - c99.diff_low > c95.diff_high - c95.diff_low);
}

#[test]
fn matrix_refuses_runs_sharing_no_task_and_draws_out_of_range() {
    let a = grid_run("model-big", "scaffold-x", 8);
    let mut b = grid_run("model-big", "scaffold-y", 6);
    for t in &mut b.trials {
        t.task_id = format!("other/{}", t.task_id);
    }
    let e = matrix(&[a.clone(), b], 0.05, 500, 1).unwrap_err();
    assert!(e.to_string().contains("share no task"), "{e}");
    let c = grid_run("model-big", "scaffold-y", 6);
    for draws in [0, MAX_DRAWS + 1] {
        let e = matrix(&[a.clone(), c.clone()], 0.05, draws, 1).unwrap_err();
        assert!(e.to_string().contains("--draws"), "{e}");
    }
    let e = matrix(&[a.clone(), c.clone()], 3.0, 500, 1).unwrap_err();
    assert!(e.to_string().contains("--alpha"), "{e}");
    let m = matrix(&[a, c], 0.05, 500, 1).unwrap();
    assert_eq!(m.swaps.len(), 1);
}

#[test]
fn swaps_of_two_runs_with_one_model_and_scaffold_name_their_runs_and_nothing_survives_nothing() {
    let x1 = grid_run("m", "scaffold-x", 8);
    let mut x2 = grid_run("m", "scaffold-x", 5);
    x2.dir = PathBuf::from("runs/m-scaffold-x-again");
    let y = grid_run("m", "scaffold-y", 0);
    let m = matrix(&[y, x1, x2], 0.05, 200, 1).unwrap();
    let text = render_matrix(&m);
    let swaps: Vec<&str> = text.lines().filter(|l| l.starts_with("swap ")).collect();
    assert_eq!(swaps.len(), 2, "{text}");
    assert_ne!(swaps[0], swaps[1], "two swap lines read the same:\n{text}");
    assert!(
        text.contains("(runs/m-scaffold-y -> runs/m-scaffold-x)"),
        "{text}"
    );
    // scaffold-y solved nothing: its swap to scaffold-x has no share to survive, not 0%.
    assert!(text.contains("scaffold-y solved no task"), "{text}");
    assert!(m.swaps.iter().any(|s| s.survive_a_to_b.is_none()));
}

#[test]
fn a_run_with_no_trials_has_an_unknown_score_not_zero() {
    let mut data = k1_run("runs/empty", "a", 6, 15);
    data.trials.clear();
    let r = build_report(&data);
    assert_eq!(r.total.score.rate, None);
    assert_eq!(r.score_over_expected, None);
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["total"]["score"]["rate"].is_null(), "{json}");
    let text = render_table(&r);
    assert!(text.contains("n/a (no trials)"), "{text}");
    assert!(
        text.contains("INCOMPLETE 0 of 15 trials recorded: no score"),
        "{text}"
    );
    assert!(!text.contains("0.0%"), "{text}");
    assert!(
        summary_line(&r).contains("score n/a"),
        "{}",
        summary_line(&r)
    );
}

#[test]
fn a_shard_expects_only_its_own_share_of_the_trials() {
    let mut data = k1_run("runs/shard", "a", 6, 15);
    let task_ids: Vec<String> = data.trials.iter().map(|t| t.task_id.clone()).collect();
    let shard = Shard { index: 0, count: 4 };
    data.trials.retain(|t| {
        shard.contains(&TrialKey {
            task_id: t.task_id.clone(),
            attempt: t.attempt,
        })
    });
    let owed = data.trials.len();
    assert!(owed < 15, "the shard owes part of the run");
    data.manifest.shard = Some(ShardInfo {
        index: 0,
        count: 4,
        identity: "id".into(),
        task_ids,
    });
    let r = build_report(&data);
    assert_eq!((r.expected_trials, r.recorded_trials), (owed, owed));
    assert_eq!(r.score_over_expected, None);
    assert!(!render_table(&r).contains("INCOMPLETE"));
    // A shard that owes nothing and recorded nothing is complete, with no score.
    data.trials.clear();
    data.manifest.shard = Some(ShardInfo {
        index: 0,
        count: 4,
        identity: "id".into(),
        task_ids: Vec::new(),
    });
    let r = build_report(&data);
    assert_eq!(r.expected_trials, 0);
    assert!(!render_table(&r).contains("INCOMPLETE"));
}
