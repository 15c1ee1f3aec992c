//! Replays checked against their source: for each first attempt of the recorded run, the
//! outcome the replay (without the model, or grading the recorded patch again) gave.

use crate::RunData;
use serde::Serialize;
use std::fmt::Write as _;
use tribench_types::Outcome;

/// One task: what was recorded and what the replay gave.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayRow {
    pub task_id: String,
    pub recorded: Outcome,
    /// `None`: the replay recorded no trial of this task.
    pub replayed: Option<Outcome>,
    pub same: bool,
}

/// Every task of the source run, and how many replayed differently.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayComparison {
    pub trials: Vec<ReplayRow>,
    pub differ: usize,
}

/// Compares the first attempt of each task in `source` with the trial `replayed` recorded.
pub fn replay_comparison(source: &RunData, replayed: &RunData) -> ReplayComparison {
    let trials: Vec<ReplayRow> = source
        .trials
        .iter()
        .filter(|t| t.attempt == 1)
        .map(|t| {
            let again = replayed
                .trials
                .iter()
                .find(|r| r.task_id == t.task_id)
                .map(|r| r.outcome);
            ReplayRow {
                task_id: t.task_id.clone(),
                recorded: t.outcome,
                replayed: again,
                same: again == Some(t.outcome),
            }
        })
        .collect();
    ReplayComparison {
        differ: trials.iter().filter(|r| !r.same).count(),
        trials,
    }
}

/// The differing tasks, then the count that repeated; `patches` says the replay graded the
/// recorded patches rather than re-running the recorded actions.
pub fn render_replay(c: &ReplayComparison, patches: bool) -> String {
    let mut out = String::new();
    let json = |o: Option<Outcome>| serde_json::to_string(&o).unwrap_or_default();
    for r in c.trials.iter().filter(|r| !r.same) {
        let _ = writeln!(
            out,
            "{}: recorded {}, replayed {}",
            r.task_id,
            json(Some(r.recorded)),
            json(r.replayed)
        );
    }
    let what = if patches {
        "when their recorded patches were graded again"
    } else {
        "when replayed without the model"
    };
    let _ = writeln!(
        out,
        "{} of {} trials gave the same outcome {what}",
        c.trials.len() - c.differ,
        c.trials.len()
    );
    crate::terminal_text(&out)
}
