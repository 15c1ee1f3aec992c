//! tribench-stats against scipy and statsmodels: the same cases computed by both, compared
//! figure by figure. Skipped (with a message) only where Python lacks scipy/statsmodels outside
//! CI; in CI, `scripts/setup.sh` installs them and a missing one fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod degenerate;

use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Stdio};
use tribench_stats::*;

fn reference(cases: &Value) -> Option<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference.py");
    let probe = Command::new("python3")
        .args(["-c", "import scipy, statsmodels"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have scipy and statsmodels (scripts/setup.sh)"
        );
        eprintln!("skipping: python3 with scipy and statsmodels is not available");
        return None;
    }
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(cases.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "reference.py failed");
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn close(ours: f64, theirs: f64, tol: f64, what: &str) {
    let ok =
        (ours - theirs).abs() <= tol * (1.0 + theirs.abs()) || (ours.is_nan() && theirs.is_nan());
    assert!(ok, "{what}: ours {ours}, reference {theirs}");
}

#[test]
fn statistics_agree_with_scipy_and_statsmodels() {
    let wilson_cases = [
        (0u64, 10u64),
        (1, 3),
        (7, 10),
        (10, 10),
        (123, 500),
        (499, 500),
        (1, 1),
    ];
    let clustered_cases = vec![
        vec![1.0, 0.0, 0.5, 0.5],
        vec![0.2, 0.4, 0.6, 0.8, 1.0, 0.0, 0.0, 0.6],
        (0..89)
            .map(|i| ((i * 37) % 6) as f64 / 5.0)
            .collect::<Vec<_>>(),
    ];
    let newcombe_cases = [
        (56u64, 70u64, 48u64, 80u64),
        (9, 10, 3, 10),
        (0, 20, 5, 20),
        (250, 500, 230, 500),
    ];
    let mcnemar_cases = [(2u64, 8u64), (10, 3), (0, 6), (40, 25), (7, 7)];
    let a: Vec<f64> = (0..60).map(|i| ((i * 7) % 5) as f64 / 4.0).collect();
    let b: Vec<f64> = (0..60).map(|i| ((i * 3 + 1) % 5) as f64 / 4.0).collect();
    let a1: Vec<f64> = (0..500).map(|i| f64::from(u8::from(i % 7 < 3))).collect();
    let b1: Vec<f64> = (0..500).map(|i| f64::from(u8::from(i % 5 < 2))).collect();
    let paired_cases = vec![(a, b), (a1, b1)];
    let holm_cases = vec![
        vec![0.01, 0.04, 0.03, 0.2],
        vec![0.001, 0.5, 0.02, 0.02, 0.9, 0.04],
    ];
    let mde_cases = [(500.0, 0.5), (89.0, 0.3), (225.0, 0.65)];
    let passk_cases = [
        (10u64, 3u64, 1u64),
        (10, 3, 5),
        (5, 5, 2),
        (20, 0, 3),
        (30, 17, 10),
    ];
    let perm_cases = vec![
        vec![1.0, 1.0, 1.0, 0.0, -1.0],
        vec![0.2, -0.4, 0.6, 0.8, 1.0, 0.0, -0.2, 0.6, 0.4],
    ];

    let cases = json!({
        "wilson": wilson_cases,
        "clustered": clustered_cases,
        "newcombe": newcombe_cases,
        "mcnemar": mcnemar_cases,
        "paired": paired_cases,
        "holm": holm_cases,
        "mde_unpaired": mde_cases,
        "passk": passk_cases,
        "permutation": perm_cases,
    });
    let Some(r) = reference(&cases) else { return };

    for (i, (s, n)) in wilson_cases.iter().enumerate() {
        let w = wilson(*s, *n, 0.95);
        close(w.low, f(&r["wilson"][i][0]), 1e-9, "wilson low");
        close(w.high, f(&r["wilson"][i][1]), 1e-9, "wilson high");
    }
    for (i, xs) in clustered_cases.iter().enumerate() {
        let c = clustered_mean(xs, 0.95);
        let re = &r["clustered"][i];
        close(c.interval.estimate, f(&re[0]), 1e-12, "clustered mean");
        close(c.se_tasks, f(&re[3]), 1e-9, "clustered se");
        // Ours is clipped to [0, 1]; the reference is not.
        close(c.interval.low, f(&re[1]).max(0.0), 1e-9, "clustered low");
        close(c.interval.high, f(&re[2]).min(1.0), 1e-9, "clustered high");
    }
    for (i, (s1, n1, s2, n2)) in newcombe_cases.iter().enumerate() {
        let d = newcombe_diff(*s1, *n1, *s2, *n2, 0.95);
        close(d.low, f(&r["newcombe"][i][0]), 1e-9, "newcombe low");
        close(d.high, f(&r["newcombe"][i][1]), 1e-9, "newcombe high");
    }
    for (i, (a, b)) in mcnemar_cases.iter().enumerate() {
        close(mcnemar_exact(*a, *b), f(&r["mcnemar"][i]), 1e-12, "mcnemar");
    }
    for (i, (a, b)) in paired_cases.iter().enumerate() {
        let p = paired_difference(a, b, 0.95);
        let re = &r["paired"][i];
        close(p.diff.estimate, f(&re[0]), 1e-12, "paired mean");
        close(p.diff.low, f(&re[1]), 1e-9, "paired low");
        close(p.diff.high, f(&re[2]), 1e-9, "paired high");
        close(p.se, f(&re[3]), 1e-9, "paired se");
        close(p.correlation, f(&re[4]), 1e-9, "paired correlation");
    }
    for (i, ps) in holm_cases.iter().enumerate() {
        for (j, adj) in holm(ps).iter().enumerate() {
            close(*adj, f(&r["holm"][i][j]), 1e-12, "holm");
        }
    }
    for (i, (n, p)) in mde_cases.iter().enumerate() {
        let inputs = PowerInputs {
            tasks: *n,
            attempts: 1.0,
            base_rate: *p,
            correlation: 0.0,
            icc: 1.0,
            alpha: 0.05,
            power: 0.8,
        };
        // statsmodels also counts the far tail; the two agree to well under 0.01%.
        close(mde(&inputs), f(&r["mde_unpaired"][i]), 1e-4, "mde");
    }
    for (i, (n, c, k)) in passk_cases.iter().enumerate() {
        close(
            pass_at_k(*n, *c, *k).unwrap(),
            f(&r["passk"][i][0]),
            1e-12,
            "pass@k",
        );
        close(
            pass_hat_k(*n, *c, *k).unwrap(),
            f(&r["passk"][i][1]),
            1e-12,
            "pass^k",
        );
    }
    for (i, d) in perm_cases.iter().enumerate() {
        close(
            paired_permutation_p(d, 0, 0),
            f(&r["permutation"][i]),
            1e-12,
            "permutation",
        );
    }
}
