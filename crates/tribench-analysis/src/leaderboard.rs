//! Aider leaderboard rows with intervals: each row's pass rates over its completed cases (as
//! Aider prints them) and over all cases (unfinished ones counted as failures), each with a
//! Wilson 95% interval. Rows are aggregates: no paired comparison between them is possible.

use crate::units::UNKNOWN;
use serde::Serialize;
use std::fmt::Write as _;
use tribench_stats::wilson;
use tribench_store::import::LeaderboardEntry;

/// What a reader must know about comparing rows.
pub const LEADERBOARD_NOTE: &str =
    "aggregate rows only: without per-task results no paired comparison between rows is possible, \
                so differences between rows are only as certain as the unpaired intervals say";
/// Which denominator each rate has.
pub const LEADERBOARD_DENOMINATORS: &str = "Aider's pass rates are over the completed cases (test_cases); \
                        'over all' counts the unfinished cases (total_tests - test_cases) as failures";

/// A rate and its 95% interval: `[estimate, low, high]`.
pub type RateInterval = [f64; 3];

fn ci(k: u64, n: u64) -> RateInterval {
    let w = wilson(k, n, 0.95);
    [w.estimate, w.low, w.high]
}

/// One row with its intervals.
#[derive(Debug, Clone, Serialize)]
pub struct LeaderboardRowStats {
    pub entry: LeaderboardEntry,
    pub pass_1_over_completed: RateInterval,
    pub pass_2_over_completed: RateInterval,
    pub pass_1_over_all: RateInterval,
    pub pass_2_over_all: RateInterval,
}

/// Every row with its intervals, and the notes that go with them.
#[derive(Debug, Clone, Serialize)]
pub struct Leaderboard {
    pub rows: Vec<LeaderboardRowStats>,
    pub note: &'static str,
    pub denominators: &'static str,
}

/// The intervals of each leaderboard row.
pub fn leaderboard(entries: &[LeaderboardEntry]) -> Leaderboard {
    Leaderboard {
        rows: entries
            .iter()
            .map(|r| LeaderboardRowStats {
                entry: r.clone(),
                pass_1_over_completed: ci(r.passed_1, r.completed),
                pass_2_over_completed: ci(r.passed_2, r.completed),
                pass_1_over_all: ci(r.passed_1, r.total),
                pass_2_over_all: ci(r.passed_2, r.total),
            })
            .collect(),
        note: LEADERBOARD_NOTE,
        denominators: LEADERBOARD_DENOMINATORS,
    }
}

/// The leaderboard as a terminal table followed by its notes.
pub fn render_leaderboard(l: &Leaderboard) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
    t.set_header(vec![
        "model",
        "format",
        "date",
        "completed/total",
        "try 1, over completed [95% CI]",
        "within 2, over completed (Aider's) [95% CI]",
        "within 2, over all [95% CI]",
        "published",
        "cost $",
    ]);
    let cell = |c: RateInterval| {
        format!(
            "{:.1}% [{:.1}, {:.1}]",
            c[0] * 100.0,
            c[1] * 100.0,
            c[2] * 100.0
        )
    };
    for s in &l.rows {
        let r = &s.entry;
        t.add_row(vec![
            crate::one_line(&r.model),
            crate::one_line(&r.edit_format),
            crate::one_line(&r.date),
            format!("{}/{}", r.completed, r.total),
            cell(s.pass_1_over_completed),
            cell(s.pass_2_over_completed),
            cell(s.pass_2_over_all),
            r.published_rate_2
                .map_or_else(String::new, |p| format!("{p:.1}%")),
            r.total_cost
                .map_or_else(|| UNKNOWN.to_string(), |c| format!("{c:.2}")),
        ]);
    }
    let mut out = format!("{t}\n");
    let _ = writeln!(out, "note: {}", l.denominators);
    let _ = writeln!(out, "note: {}", l.note);
    crate::terminal_text(&out)
}
