//! `tribench trajectory`: what an agent did in one trial.

use super::*;
use crate::args::TrajectoryArgs;
use tribench_analysis::{render_trajectory, selection::trajectory_json};

pub fn trajectory(a: TrajectoryArgs) -> Result<ExitCode> {
    let run = read_run(&a.run)?;
    match a.json {
        true => print!("{}", trajectory_json(&run, &a.trial)?),
        false => print!("{}", render_trajectory(&run, &a.trial)?),
    }
    Ok(ExitCode::SUCCESS)
}
