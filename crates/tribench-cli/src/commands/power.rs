//! `tribench power`: what a study design can detect, and what a difference needs.

use super::*;
use crate::args::PowerArgs;
use tribench_analysis::{power_plan, render_power_plan};
use tribench_stats::PowerInputs;

pub fn power(a: PowerArgs) -> Result<ExitCode> {
    let (tasks, attempts, base_rate) = (a.tasks, a.attempts, a.base_rate);
    let (correlation, icc, alpha, power) = (a.correlation, a.icc, a.alpha, a.power);
    let inputs = PowerInputs {
        tasks,
        attempts,
        base_rate,
        correlation,
        icc,
        alpha,
        power,
    };
    let plan = power_plan(inputs, a.effect)?;
    if let Some(path) = &a.html {
        let html = tribench_analysis::render_power_html(
            &inputs,
            &[1.0, 3.0, 5.0, 10.0],
            (a.tasks * 4.0).max(100.0),
        );
        std::fs::write(path, html).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&plan)?);
    } else {
        print!("{}", render_power_plan(&plan));
    }
    Ok(ExitCode::SUCCESS)
}
