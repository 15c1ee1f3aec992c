//! `tribench matrix`: many runs as a models x scaffolds grid.

use super::*;
use crate::args::MatrixArgs;

pub fn matrix(a: MatrixArgs) -> Result<ExitCode> {
    let runs = a
        .runs
        .iter()
        .map(|d| read_run(d))
        .collect::<Result<Vec<_>>>()?;
    let m = tribench_analysis::matrix(&runs, a.alpha, a.draws, a.seed);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&m)?);
    } else {
        print!("{}", tribench_analysis::render_matrix(&m));
    }
    Ok(ExitCode::SUCCESS)
}
