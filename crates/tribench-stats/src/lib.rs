//! Pure functions over numbers: the intervals, tests and power calculations behind every
//! figure tribench prints. No I/O, no knowledge of runs or tasks: callers pass per-task scores.
//!
//! Conventions: rates are in [0, 1]; a task with K attempts contributes the mean of its attempts;
//! `confidence` is two-sided (0.95 for a 95% interval); every random procedure takes a seed.

mod interval;
mod multiple;
mod paired;
mod passk;
mod power;
mod rng;

pub use interval::{
    clustered_mean, newcombe_diff, rerun_se, t_quantile, wilson, z_quantile, Interval, RateEstimate,
};
pub use multiple::{bootstrap_ranks, holm, RankInterval};
pub use paired::{mcnemar_exact, paired_difference, paired_permutation_p, PairedDifference};
pub use passk::{pass_at_k, pass_hat_k};
pub use power::{
    attempts_needed, mde, planning_mde, tasks_needed, PowerInputs, PLANNING_MAX_CORRELATION,
};
pub use rng::SplitMix64;
