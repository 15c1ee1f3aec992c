//! Study planning for `tribench power`: the smallest difference a design detects (paired and
//! unpaired), and, for a difference to detect, the tasks or attempts it needs.

use serde::Serialize;
use std::fmt::Write as _;
use tribench_stats::{attempts_needed, mde, tasks_needed, PowerInputs};

/// The design as `--json` shows it: every input by name.
fn inputs_map<S: serde::Serializer>(i: &PowerInputs, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(7))?;
    for (k, v) in [
        ("tasks", i.tasks),
        ("attempts", i.attempts),
        ("base_rate", i.base_rate),
        ("correlation", i.correlation),
        ("icc", i.icc),
        ("alpha", i.alpha),
        ("power", i.power),
    ] {
        m.serialize_entry(k, &v)?;
    }
    m.end()
}

/// What the design can see, and what a given difference needs.
#[derive(Debug, Clone, Serialize)]
pub struct PowerPlan {
    /// The paired design asked about, as given.
    #[serde(serialize_with = "inputs_map")]
    pub inputs: PowerInputs,
    pub se_paired: f64,
    pub mde_paired: f64,
    pub mde_unpaired: f64,
    /// The difference to detect, a fraction (the flag gives points).
    pub effect: Option<f64>,
    pub tasks_needed: Option<f64>,
    /// `Some(None)`: no number of attempts suffices with these tasks.
    pub attempts_needed: Option<Option<f64>>,
}

/// Why a design cannot be planned: which input is out of range, and its range.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadDesign(pub String);

/// Most attempts per task a plan takes: more is no design anyone runs.
pub const MAX_PLAN_ATTEMPTS: f64 = 1000.0;

/// Checks every input of a design (and the difference to detect, a fraction): a value out of
/// range would give an infinite, negative or NaN answer, or none at all.
pub fn check_design(i: &PowerInputs, effect: Option<f64>) -> Result<(), BadDesign> {
    let bad = |m: String| Err(BadDesign(m));
    let open01 = |x: f64| x > 0.0 && x < 1.0;
    if !(i.tasks >= 1.0 && i.tasks.is_finite()) {
        return bad(format!(
            "--tasks must be a finite number, at least 1 (got {})",
            i.tasks
        ));
    }
    if !(i.attempts >= 1.0 && i.attempts <= MAX_PLAN_ATTEMPTS) {
        return bad(format!(
            "--attempts must be within 1..{MAX_PLAN_ATTEMPTS} (got {})",
            i.attempts
        ));
    }
    if !open01(i.base_rate) {
        return bad(format!(
            "--base-rate must be strictly between 0 and 1: at 0 or 1 no outcome varies, so no design detects anything (got {})",
            i.base_rate
        ));
    }
    if !(i.correlation >= -1.0 && i.correlation < 1.0) {
        return bad(format!(
            "--correlation must be within -1..1, 1 excluded: perfectly correlated runs never differ (got {})",
            i.correlation
        ));
    }
    if !(0.0..=1.0).contains(&i.icc) {
        return bad(format!("--icc must be within 0..1 (got {})", i.icc));
    }
    if !open01(i.alpha) {
        return bad(format!(
            "--alpha must be strictly between 0 and 1 (got {})",
            i.alpha
        ));
    }
    if !open01(i.power) || i.power <= i.alpha / 2.0 {
        return bad(format!(
            "--power must be strictly between alpha/2 and 1 (got {})",
            i.power
        ));
    }
    if let Some(e) = effect {
        if !(e > 0.0 && e <= 1.0) {
            return bad(format!(
                "--effect must be more than 0 and at most 100 points (got {})",
                e * 100.0
            ));
        }
    }
    Ok(())
}

/// Plans a study of `inputs`; `effect_points` is a difference to detect, in points.
pub fn power_plan(inputs: PowerInputs, effect_points: Option<f64>) -> Result<PowerPlan, BadDesign> {
    let effect = effect_points.map(|e| e / 100.0);
    check_design(&inputs, effect)?;
    let paired = inputs;
    let unpaired = PowerInputs {
        correlation: 0.0,
        ..paired
    };
    Ok(PowerPlan {
        inputs,
        se_paired: paired.se(),
        mde_paired: mde(&paired),
        mde_unpaired: mde(&unpaired),
        effect,
        tasks_needed: effect.map(|e| tasks_needed(&paired, e)),
        attempts_needed: effect.map(|e| attempts_needed(&paired, e)),
    })
}

/// The plan for people.
pub fn render_power_plan(p: &PowerPlan) -> String {
    let a = &p.inputs;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} tasks x {} attempts, base rate {:.0}%, task correlation {:.2}, icc {:.2}, alpha {}, power {:.0}%",
        a.tasks, a.attempts, a.base_rate * 100.0, a.correlation, a.icc, a.alpha, a.power * 100.0
    );
    let _ = writeln!(
        out,
        "paired comparison    MDE {:.1} pts (SE {:.1} pts)",
        p.mde_paired * 100.0,
        p.se_paired * 100.0
    );
    let _ = writeln!(
        out,
        "unpaired comparison  MDE {:.1} pts",
        p.mde_unpaired * 100.0
    );
    let _ = writeln!(
        out,
        "one task is {:.1} pts; the MDE is {:.1} tasks",
        100.0 / a.tasks,
        p.mde_paired * a.tasks
    );
    if let (Some(e), Some(t), Some(k)) = (p.effect, p.tasks_needed, p.attempts_needed) {
        let _ = writeln!(out, "to detect {:.1} pts:", e * 100.0);
        let _ = writeln!(out, "  tasks needed at {} attempts: {t}", a.attempts);
        let _ = match k {
            Some(k) => writeln!(out, "  attempts needed with {} tasks: {k}", a.tasks),
            None => writeln!(out, "  no number of attempts suffices with {} tasks: the spread between tasks alone is too large", a.tasks),
        };
    }
    crate::terminal_text(&out)
}
