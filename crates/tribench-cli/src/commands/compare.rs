//! `tribench compare`: two runs on their shared tasks.

use super::*;
use crate::args::CompareArgs;
use tribench_analysis::{CompareOptions, PracticeRule};

pub fn compare(a: CompareArgs) -> Result<ExitCode> {
    let (ra, rb) = (read_run(&a.a)?, read_run(&a.b)?);
    let rule = if a.no_rule {
        Some(None)
    } else if let Some(p) = a.rule_points {
        Some(Some(PracticeRule::Points(p)))
    } else {
        a.rule_tasks.map(|t| Some(PracticeRule::Tasks(t)))
    };
    let d = CompareOptions::default();
    let opts = CompareOptions {
        force: a.force,
        alpha: a.alpha.unwrap_or(d.alpha),
        min_effect: a.min_effect.map_or(d.min_effect, |p| p / 100.0),
        practice_rule: rule,
        seed: a.seed.unwrap_or(d.seed),
        ..d
    };
    let c = tribench_analysis::compare(&ra, &rb, &opts)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&c)?);
    } else {
        print!("{}", tribench_analysis::render_comparison(&c));
    }
    Ok(ExitCode::SUCCESS)
}
