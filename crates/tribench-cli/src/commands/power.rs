//! `tribench power`: what a study design can detect, and what a difference needs.

use super::*;
use crate::args::PowerArgs;
use tribench_analysis::{power_plan, render_power_html, render_power_plan};
use tribench_stats::PowerInputs;

pub fn power(a: PowerArgs) -> Result<ExitCode> {
    let inputs = PowerInputs {
        tasks: a.tasks,
        attempts: a.attempts,
        base_rate: a.base_rate,
        correlation: a.correlation,
        icc: a.icc,
        alpha: a.alpha,
        power: a.power,
    };
    let plan = power_plan(inputs, a.effect)?;
    if let Some(path) = &a.html {
        std::fs::write(path, render_power_html(&inputs))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    emit(a.json, &plan, render_power_plan)?;
    Ok(ExitCode::SUCCESS)
}
