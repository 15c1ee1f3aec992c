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

/// Why a design cannot be planned.
#[derive(Debug, thiserror::Error)]
#[error("--tasks and --attempts must be at least 1 and --base-rate within 0..1")]
pub struct BadDesign;

/// Plans a study of `inputs`; `effect_points` is a difference to detect, in points.
pub fn power_plan(inputs: PowerInputs, effect_points: Option<f64>) -> Result<PowerPlan, BadDesign> {
    if !(inputs.tasks >= 1.0 && inputs.attempts >= 1.0 && (0.0..=1.0).contains(&inputs.base_rate)) {
        return Err(BadDesign);
    }
    let paired = inputs;
    let unpaired = PowerInputs {
        correlation: 0.0,
        ..paired
    };
    let effect = effect_points.map(|e| e / 100.0);
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
