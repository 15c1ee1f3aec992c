//! Data with too little variation: every task mean at 0 or 1 with several attempts. The interval
//! must not collapse, the MDE must not be 0, and `compare` must say it cannot judge.

use super::*;
use tribench_stats::{planning_mde, wilson};

/// `tasks` tasks, `k` attempts each, task i resolved on every attempt when `solved(i)`.
fn all_or_nothing(
    dir: &str,
    agent: &str,
    tasks: usize,
    k: u32,
    solved: impl Fn(usize) -> bool,
) -> RunData {
    let mut ts = Vec::new();
    for i in 0..tasks {
        for a in 1..=k {
            let id = format!("python/ex{i:02}");
            ts.push(if solved(i) {
                trial(&id, a, Outcome::Resolved, Some(1), 0.01)
            } else {
                trial(&id, a, Outcome::Unresolved, None, 0.01)
            });
        }
    }
    run(dir, manifest("polyglot-sample", tasks, k, agent), ts)
}

#[test]
fn two_tasks_at_100_percent_with_k_2_get_at_least_the_wilson_interval() {
    let r = build_report(&all_or_nothing("runs/a", "a", 2, 2, |_| true));
    let s = &r.total.score;
    assert_eq!(s.rate, Some(1.0));
    assert_eq!(s.method, "clustered_t_wilson_floor");
    let w = wilson(2, 2, 0.95);
    assert!((s.low - w.low).abs() < 1e-12, "{s:?}");
    assert!(s.low < 0.35 && s.high == 1.0, "{s:?}");
    let text = render_table(&r);
    assert!(!text.contains("[100.0, 100.0]"), "{text}");
}

#[test]
fn all_or_nothing_tasks_are_never_narrower_than_wilson_over_the_tasks() {
    for (tasks, solved_every) in [(10usize, 10usize), (20, 7), (40, 3), (5, 1)] {
        let r = build_report(&all_or_nothing("runs/a", "a", tasks, 3, |i| {
            i % solved_every == 0
        }));
        let s = &r.total.score;
        let successes = (0..tasks).filter(|i| i % solved_every == 0).count() as u64;
        let w = wilson(successes, tasks as u64, 0.95);
        assert!(
            s.low <= w.low + 1e-12 && s.high >= w.high - 1e-12,
            "{tasks} tasks: {s:?} is narrower than Wilson {w:?}"
        );
    }
}

#[test]
fn compare_on_identical_all_or_nothing_runs_says_there_is_too_little_variation() {
    let a = all_or_nothing("runs/a", "a", 2, 2, |_| true);
    let b = all_or_nothing("runs/b", "b", 2, 2, |_| true);
    let c = compare(&a, &b, &CompareOptions::default()).unwrap();
    assert!(c.degenerate);
    assert_eq!(c.verdict, Verdict::Inconclusive);
    assert!(
        c.explanation.starts_with("too little variation to judge"),
        "{}",
        c.explanation
    );
    assert!(c.mde > 0.0, "{c:?}");
    let plan = planning_mde(2.0, 1.0, 1.0, f64::NAN, 0.05, 0.8);
    assert!((c.mde - plan).abs() < 1e-12, "{} vs {plan}", c.mde);
    let text = render_comparison(&c);
    assert!(!text.contains("could detect 0.0 pts"), "{text}");
    assert!(!text.contains("MDE        0.0 pts"), "{text}");
    assert!(c.tasks_needed.is_some_and(|n| n > 2), "{c:?}");
}

#[test]
fn a_single_differing_task_is_too_little_variation_but_a_clear_sweep_is_not() {
    // K = 3, 30 tasks, identical but for one task: the observed spread says almost nothing.
    let a = all_or_nothing("runs/a", "a", 30, 3, |i| i % 2 == 0);
    let b = all_or_nothing("runs/b", "b", 30, 3, |i| i % 2 == 0 || i == 1);
    let c = compare(&a, &b, &CompareOptions::default()).unwrap();
    assert!(c.degenerate);
    assert_eq!(c.verdict, Verdict::Inconclusive);
    assert!(
        c.explanation.contains("only 1 of the 30 tasks differs"),
        "{}",
        c.explanation
    );
    // A solves all 12 tasks on every attempt, B none: every difference equal, but the
    // permutation test is clear, and the verdict stands.
    let a = all_or_nothing("runs/a", "a", 12, 2, |_| true);
    let b = all_or_nothing("runs/b", "b", 12, 2, |_| false);
    let c = compare(&a, &b, &CompareOptions::default()).unwrap();
    assert!(c.degenerate);
    assert_eq!(c.verdict, Verdict::ABetter, "{}", c.explanation);
}

#[test]
fn a_freshness_split_of_all_or_nothing_tasks_keeps_an_interval() {
    // K = 2, tasks before the cutoff all solved, after it none: both sides have no spread.
    let mut data = all_or_nothing("runs/a", "a", 6, 2, |i| i < 3);
    for t in data.trials.iter_mut() {
        let i: usize = t.task_id.trim_start_matches("python/ex").parse().unwrap();
        t.task_created_at = Some(if i < 3 { "2024-01-01" } else { "2025-01-01" }.into());
    }
    let f = freshness(&data.trials, "2024-06-01", &Default::default());
    let (before, after) = (f.before.as_ref().unwrap(), f.after.as_ref().unwrap());
    assert_eq!((before.rate, after.rate), (Some(1.0), Some(0.0)));
    let want = tribench_stats::newcombe_diff(0, 3, 3, 3, 0.95);
    assert!((f.diff.unwrap() + 1.0).abs() < 1e-12);
    assert!((f.diff_low.unwrap() - want.low).abs() < 1e-9, "{f:?}");
    assert!((f.diff_high.unwrap() - want.high).abs() < 1e-9, "{f:?}");
    assert!(f.diff_high.unwrap() > -0.5, "{f:?}");
}

#[test]
fn a_zero_width_interval_from_equal_differences_says_why() {
    // Every one of 15 tasks: A solves it, B does not. sd(d) = 0, so the t interval is
    // [+100, +100]; the output must not leave that bare.
    let a = all_or_nothing("runs/a", "a", 15, 1, |_| true);
    let b = all_or_nothing("runs/b", "b", 15, 1, |_| false);
    let c = compare(&a, &b, &CompareOptions::default()).unwrap();
    assert_eq!((c.diff_low, c.diff_high), (1.0, 1.0));
    let note = c.interval_note.as_deref().unwrap_or_default();
    assert!(
        note.contains("zero width") && note.contains("15 tasks"),
        "{c:?}"
    );
    let text = render_comparison(&c);
    assert!(text.contains("does not measure the uncertainty"), "{text}");
    // Runs that agree everywhere have a zero difference, not a misleading one: no note.
    let same = compare(&a, &a, &CompareOptions::default()).unwrap();
    assert!(same.interval_note.is_none(), "{same:?}");
}
