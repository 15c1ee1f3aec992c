//! Degenerate clustered data (every task mean at 0 or 1, or too few distinct values) against
//! scipy and statsmodels: the Wilson floor of the interval and the planning MDE.

use super::*;

#[test]
fn degenerate_intervals_and_planning_mde_agree_with_scipy_and_statsmodels() {
    let floor_cases: Vec<Vec<f64>> = vec![
        vec![1.0, 1.0],
        vec![0.0, 0.0, 0.0],
        vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        (0..40).map(|i| f64::from(u8::from(i % 3 == 0))).collect(),
        vec![0.5, 0.5, 0.5, 0.5],
        vec![0.5, 1.0, 1.0, 1.0, 1.0, 1.0],
    ];
    // (tasks, rate A, rate B, correlation; NaN when a run has no spread)
    let planning_cases: Vec<(f64, f64, f64, Option<f64>)> = vec![
        (2.0, 1.0, 1.0, None),
        (10.0, 0.0, 0.0, None),
        (30.0, 0.5, 0.5333, Some(0.93)),
        (89.0, 0.3, 0.3, Some(0.4)),
        (500.0, 0.62, 0.6, Some(-0.2)),
    ];
    let cases = json!({
        "clustered_floor": floor_cases,
        "planning_mde": planning_cases,
    });
    let Some(r) = reference(&cases) else { return };
    for (i, xs) in floor_cases.iter().enumerate() {
        let c = clustered_mean(xs, 0.95);
        assert!(c.wilson_floor, "case {i} has at most two distinct values");
        close(
            c.interval.low,
            f(&r["clustered_floor"][i][0]),
            1e-9,
            "floored low",
        );
        close(
            c.interval.high,
            f(&r["clustered_floor"][i][1]),
            1e-9,
            "floored high",
        );
        assert!(
            c.interval.high > c.interval.low,
            "case {i} collapsed: {c:?}"
        );
    }
    for (i, (n, ra, rb, rho)) in planning_cases.iter().enumerate() {
        let m = planning_mde(*n, *ra, *rb, rho.unwrap_or(f64::NAN), 0.05, 0.8);
        assert!(m > 0.0);
        // statsmodels also counts the far tail; the two agree to well under 0.01%.
        close(m, f(&r["planning_mde"][i]), 1e-4, "planning mde");
    }
    // Three or more distinct values: the t interval alone, as before.
    assert!(!clustered_mean(&[1.0, 0.0, 0.5, 0.5], 0.95).wilson_floor);
}
