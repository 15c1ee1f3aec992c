//! `tribench trajectory`: what an agent did in one trial.

use super::*;
use crate::args::TrajectoryArgs;

pub fn trajectory(a: TrajectoryArgs) -> Result<ExitCode> {
    let run = read_run(&a.run)?;
    if !a.json {
        print!("{}", tribench_analysis::render_trajectory(&run, &a.trial)?);
        return Ok(ExitCode::SUCCESS);
    }
    let path = a.run.join("trials").join(&a.trial).join("trajectory.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        print!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    // No model trajectory (oracle, nop): the trial's record is what there is.
    match run.trials.iter().find(|t| t.trial_id == a.trial) {
        Some(t) => println!("{}", serde_json::to_string_pretty(t)?),
        None => match tribench_analysis::render_trajectory(&run, &a.trial) {
            Err(e) => return Err(e.into()),
            Ok(_) => bail!("no trial {}", a.trial),
        },
    }
    Ok(ExitCode::SUCCESS)
}
