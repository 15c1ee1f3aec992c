//! Everything computed from stored runs: reports, paired comparisons, power planning. Every
//! figure keeps the ids of the trials behind it, so `--json` output traces back to
//! `trials.sqlite` and the artifacts.

mod compare;
mod freshness;
mod health;
mod html;
mod leaderboard;
mod matrix;
mod models;
mod plan;
mod render;
mod replay;
mod report;
mod reporting;
pub mod selection;
mod svg;
mod trials;
mod units;

pub use compare::{
    compare, manifest_differences, render_comparison, CompareError, CompareOptions, Comparison,
    ManifestDifference, PracticeRule, Verdict,
};
pub use freshness::{freshness, task_dates_from, Freshness};
pub use health::{
    all_infrastructure, render_validation, validation, FailureReason, TaskCheck, Validation,
};
pub use html::{render_html, render_power_html};
pub use leaderboard::{
    leaderboard, render_leaderboard, Leaderboard, LeaderboardRowStats, RateInterval,
    LEADERBOARD_DENOMINATORS, LEADERBOARD_NOTE,
};
pub use matrix::{
    matrix, render_matrix, Cell, Effect, Matrix, MatrixError, PairVerdict, ScaffoldSwap, Standing,
    MAX_DRAWS,
};
pub use models::{check_day, price_trials, ModelEntry, ModelsError, ModelsFile};
pub use plan::{
    check_design, power_plan, render_power_plan, BadDesign, PowerPlan, MAX_PLAN_ATTEMPTS,
};
pub use render::{render_markdown, render_table, render_table_with, RenderOptions, REPORT_WIDTH};
pub use replay::{render_replay, replay_comparison, ReplayComparison, ReplayRow};
pub use report::{
    build_report, Cause, Efficiency, KValue, OutcomeCount, Report, Score, Slice, TimingStats,
};
pub use reporting::{
    read_task_dates, render_report, report_with_models, summary_line, PricedReport, ReportFormat,
    TaskDatesError,
};
pub use svg::{
    bar_frame, draw_svg, pareto_frontier, row_bar, row_interval, row_label, tick_label, BarFrame,
};
pub use trials::{
    list_trials, nearest_trial_ids, render_trajectory, render_trials, TrialRow, TrialsError,
};
pub use units::{duration_ms, one_line, signed_points, terminal_text, UNKNOWN};

use std::path::{Path, PathBuf};
use tribench_store::{RunStore, StoreError};
use tribench_types::{RunManifest, TrialRecord};

/// A run as stored: its manifest and every recorded trial.
#[derive(Debug, Clone)]
pub struct RunData {
    pub dir: PathBuf,
    pub manifest: RunManifest,
    pub trials: Vec<TrialRecord>,
}

impl RunData {
    /// Where the run's suites were, as its manifest recorded them.
    pub fn dataset_paths(&self) -> Vec<PathBuf> {
        (self.manifest.datasets.iter())
            .map(|d| PathBuf::from(&d.path))
            .collect()
    }

    pub fn load(dir: &Path) -> Result<RunData, StoreError> {
        let store = RunStore::open_for_reading(dir)?;
        let manifest = store
            .read_manifest()?
            .ok_or_else(|| StoreError::NotARun(dir.to_path_buf()))?;
        Ok(RunData {
            dir: dir.to_path_buf(),
            manifest,
            trials: store.trials()?,
        })
    }
}
