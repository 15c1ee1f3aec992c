//! Many runs at once: a models × scaffolds grid with main effects and interaction, how many
//! solved tasks survive a scaffold swap, and a leaderboard with bootstrap rank intervals and
//! Holm-adjusted pairwise verdicts. Everything is computed on the tasks every run shares.

use crate::report::score;
use crate::RunData;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use tribench_stats::{bootstrap_ranks, holm, mcnemar_exact, paired_permutation_p};
use tribench_types::TrialRecord;

#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub model: String,
    pub scaffold: String,
    pub run: String,
    pub rate: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Effect {
    pub name: String,
    /// Mean over the grid row (or column) minus the grand mean, in rate units.
    pub effect: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScaffoldSwap {
    pub model: String,
    pub scaffold_a: String,
    pub scaffold_b: String,
    /// The run directories of the two sides (several runs may share a model and scaffold).
    pub run_a: String,
    pub run_b: String,
    pub solved_by_both: usize,
    pub only_a: usize,
    pub only_b: usize,
    /// Of the tasks solved under A, the share still solved under B; `None` when A solved none.
    pub survive_a_to_b: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Standing {
    pub run: String,
    pub model: String,
    pub scaffold: String,
    pub rate: f64,
    pub rank: usize,
    pub rank_low: usize,
    pub rank_high: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct PairVerdict {
    pub a: String,
    pub b: String,
    pub diff: f64,
    pub p: f64,
    pub p_holm: f64,
    /// `a better`, `b better`, or `no detectable difference` at the adjusted level.
    pub verdict: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    pub shared_tasks: usize,
    /// Tasks some run has and another lacks: left out of every figure.
    pub dropped_tasks: usize,
    pub models: Vec<String>,
    pub scaffolds: Vec<String>,
    pub cells: Vec<Cell>,
    pub grand_mean: f64,
    /// Present when every model was run with every scaffold.
    pub model_effects: Vec<Effect>,
    pub scaffold_effects: Vec<Effect>,
    /// The largest |cell − row − column + grand| over the grid, when complete.
    pub max_interaction: Option<f64>,
    pub swaps: Vec<ScaffoldSwap>,
    pub leaderboard: Vec<Standing>,
    pub pairs: Vec<PairVerdict>,
}

fn model_of(r: &RunData) -> String {
    r.manifest
        .model
        .as_ref()
        .map_or_else(|| "(no model)".into(), |m| m.id.clone())
}

fn scaffold_of(r: &RunData) -> String {
    r.manifest.scaffold.agent.clone()
}

/// Per-task mean of resolved over attempts.
fn task_means(r: &RunData) -> BTreeMap<&str, (f64, usize)> {
    let mut m: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for t in &r.trials {
        let e = m.entry(t.task_id.as_str()).or_default();
        e.0 += f64::from(u8::from(t.resolved()));
        e.1 += 1;
    }
    m.into_iter()
        .map(|(k, (s, n))| (k, (s / n as f64, n)))
        .collect()
}

/// Most bootstrap draws `matrix` takes: far more than rank intervals need (2000 is the
/// default), and each draw costs a pass over every run's tasks.
pub const MAX_DRAWS: usize = 100_000;

/// Why no matrix can be built from these runs and options.
#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    #[error("the runs share no task: there is nothing to score them on together")]
    NoSharedTasks,
    #[error("--alpha must be strictly between 0 and 1 (got {0})")]
    BadAlpha(f64),
    #[error("--draws must be within 1..{MAX_DRAWS} (got {0})")]
    BadDraws(usize),
}

/// Builds the matrix of `runs`; `draws` bootstrap draws with `seed` for rank intervals.
pub fn matrix(
    runs: &[RunData],
    alpha: f64,
    draws: usize,
    seed: u64,
) -> Result<Matrix, MatrixError> {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(MatrixError::BadAlpha(alpha));
    }
    if !(1..=MAX_DRAWS).contains(&draws) {
        return Err(MatrixError::BadDraws(draws));
    }
    let means: Vec<BTreeMap<&str, (f64, usize)>> = runs.iter().map(task_means).collect();
    let all: BTreeSet<&str> = means.iter().flat_map(|m| m.keys().copied()).collect();
    let shared: Vec<&str> = all
        .iter()
        .copied()
        .filter(|t| means.iter().all(|m| m.contains_key(t)))
        .collect();
    if shared.is_empty() {
        return Err(MatrixError::NoSharedTasks);
    }
    let shared_set: BTreeSet<&str> = shared.iter().copied().collect();
    let scores: Vec<Vec<f64>> = means
        .iter()
        .map(|m| shared.iter().map(|t| m[t].0).collect())
        .collect();

    let cells: Vec<Cell> = runs
        .iter()
        .map(|r| {
            let ts: Vec<&TrialRecord> = r
                .trials
                .iter()
                .filter(|t| shared_set.contains(t.task_id.as_str()))
                .collect();
            let s = score(&ts, TrialRecord::resolved);
            Cell {
                model: model_of(r),
                scaffold: scaffold_of(r),
                run: r.dir.display().to_string(),
                // Every run has the shared tasks (there is at least one), so the rate is known.
                rate: s.rate.unwrap_or(f64::NAN),
                low: s.low,
                high: s.high,
            }
        })
        .collect();
    let models: Vec<String> = cells
        .iter()
        .map(|c| c.model.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let scaffolds: Vec<String> = cells
        .iter()
        .map(|c| c.scaffold.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let at = |m: &str, s: &str| {
        cells
            .iter()
            .find(|c| c.model == m && c.scaffold == s)
            .map(|c| c.rate)
    };
    let complete = models
        .iter()
        .all(|m| scaffolds.iter().all(|s| at(m, s).is_some()));
    let grand_mean = cells.iter().map(|c| c.rate).sum::<f64>() / cells.len().max(1) as f64;
    let (mut model_effects, mut scaffold_effects, mut max_interaction) =
        (Vec::new(), Vec::new(), None);
    if complete && models.len() > 1 && scaffolds.len() > 1 {
        let row = |m: &str| {
            scaffolds.iter().filter_map(|s| at(m, s)).sum::<f64>() / scaffolds.len() as f64
        };
        let col =
            |s: &str| models.iter().filter_map(|m| at(m, s)).sum::<f64>() / models.len() as f64;
        model_effects = models
            .iter()
            .map(|m| Effect {
                name: m.clone(),
                effect: row(m) - grand_mean,
            })
            .collect();
        scaffold_effects = scaffolds
            .iter()
            .map(|s| Effect {
                name: s.clone(),
                effect: col(s) - grand_mean,
            })
            .collect();
        max_interaction = models
            .iter()
            .flat_map(|m| scaffolds.iter().map(move |s| (m, s)))
            .filter_map(|(m, s)| Some((at(m, s)? - row(m) - col(s) + grand_mean).abs()))
            .reduce(f64::max);
    }

    // A task counts as solved by a run when most of its attempts resolved it.
    let solved = |i: usize| -> BTreeSet<&str> {
        shared
            .iter()
            .copied()
            .filter(|t| means[i][t].0 > 0.5)
            .collect()
    };
    let mut swaps = Vec::new();
    for (i, a) in runs.iter().enumerate() {
        for (j, b) in runs.iter().enumerate().skip(i + 1) {
            if model_of(a) == model_of(b) && scaffold_of(a) != scaffold_of(b) {
                let (sa, sb) = (solved(i), solved(j));
                let both = sa.intersection(&sb).count();
                swaps.push(ScaffoldSwap {
                    model: model_of(a),
                    scaffold_a: scaffold_of(a),
                    scaffold_b: scaffold_of(b),
                    run_a: a.dir.display().to_string(),
                    run_b: b.dir.display().to_string(),
                    solved_by_both: both,
                    only_a: sa.len() - both,
                    only_b: sb.len() - both,
                    survive_a_to_b: (!sa.is_empty()).then(|| both as f64 / sa.len() as f64),
                });
            }
        }
    }

    let ranks = bootstrap_ranks(&scores, draws, 0.95, seed);
    let mut leaderboard: Vec<Standing> = runs
        .iter()
        .zip(&cells)
        .zip(ranks)
        .map(|((r, c), rk)| Standing {
            run: r.dir.display().to_string(),
            model: c.model.clone(),
            scaffold: c.scaffold.clone(),
            rate: c.rate,
            rank: rk.rank,
            rank_low: rk.low,
            rank_high: rk.high,
        })
        .collect();
    leaderboard.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.run.cmp(&b.run)));

    let one_attempt = means.iter().all(|m| shared.iter().all(|t| m[t].1 == 1));
    let mut raw = Vec::new();
    for i in 0..runs.len() {
        for j in i + 1..runs.len() {
            let d: Vec<f64> = scores[i]
                .iter()
                .zip(&scores[j])
                .map(|(x, y)| x - y)
                .collect();
            let p = if one_attempt {
                let a_only = d.iter().filter(|x| **x > 0.0).count() as u64;
                let b_only = d.iter().filter(|x| **x < 0.0).count() as u64;
                mcnemar_exact(a_only, b_only)
            } else {
                paired_permutation_p(&d, 10_000, seed)
            };
            let diff = d.iter().sum::<f64>() / d.len().max(1) as f64;
            raw.push((i, j, diff, p));
        }
    }
    let adjusted = holm(&raw.iter().map(|r| r.3).collect::<Vec<_>>());
    let pairs = raw
        .into_iter()
        .zip(adjusted)
        .map(|((i, j, diff, p), p_holm)| PairVerdict {
            a: runs[i].dir.display().to_string(),
            b: runs[j].dir.display().to_string(),
            diff,
            p,
            p_holm,
            verdict: if p_holm >= alpha {
                "no detectable difference".into()
            } else if diff > 0.0 {
                "a better".into()
            } else {
                "b better".into()
            },
        })
        .collect();

    Ok(Matrix {
        shared_tasks: shared.len(),
        dropped_tasks: all.len() - shared.len(),
        models,
        scaffolds,
        cells,
        grand_mean,
        model_effects,
        scaffold_effects,
        max_interaction,
        swaps,
        leaderboard,
        pairs,
    })
}

/// The matrix as text.
pub fn render_matrix(m: &Matrix) -> String {
    let pct = |x: f64| format!("{:.1}", x * 100.0);
    let mut out = format!(
        "{} tasks shared by every run ({} left out)\n\n",
        m.shared_tasks, m.dropped_tasks
    );
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
    let mut header = vec!["model \\ scaffold".to_string()];
    header.extend(m.scaffolds.iter().cloned());
    t.set_header(header);
    for model in &m.models {
        let mut row = vec![model.clone()];
        for s in &m.scaffolds {
            row.push(
                m.cells
                    .iter()
                    .find(|c| &c.model == model && &c.scaffold == s)
                    .map_or_else(
                        || "–".into(),
                        |c| format!("{}% [{}, {}]", pct(c.rate), pct(c.low), pct(c.high)),
                    ),
            );
        }
        t.add_row(row);
    }
    out.push_str(&t.to_string());
    out.push('\n');
    if !m.model_effects.is_empty() {
        let fmt = |es: &[Effect]| {
            es.iter()
                .map(|e| format!("{} {}", e.name, crate::units::signed_points(e.effect)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!("grand mean {}%\n", pct(m.grand_mean)));
        out.push_str(&format!(
            "model effects (pts)     {}\n",
            fmt(&m.model_effects)
        ));
        out.push_str(&format!(
            "scaffold effects (pts)  {}\n",
            fmt(&m.scaffold_effects)
        ));
        if let Some(i) = m.max_interaction {
            out.push_str(&format!("largest interaction     {:.1} pts\n", i * 100.0));
        }
    } else {
        out.push_str("main effects need every model run with every scaffold\n");
    }
    // Several runs of one model and scaffold give swaps that read alike: name their runs.
    let same_label = |s: &ScaffoldSwap| {
        m.swaps
            .iter()
            .filter(|o| {
                (&o.model, &o.scaffold_a, &o.scaffold_b) == (&s.model, &s.scaffold_a, &s.scaffold_b)
            })
            .count()
            > 1
    };
    for s in &m.swaps {
        let runs = if same_label(s) {
            format!(" ({} -> {})", s.run_a, s.run_b)
        } else {
            String::new()
        };
        let survive = match s.survive_a_to_b {
            Some(x) => format!(
                "{:.0}% of {}'s solved tasks survive",
                x * 100.0,
                s.scaffold_a
            ),
            None => format!("{} solved no task, so none can survive", s.scaffold_a),
        };
        out.push_str(&format!(
            "swap {}: {} -> {}{runs}: {} solved by both, {} only with {}, {} only with {}; {survive}\n",
            s.model, s.scaffold_a, s.scaffold_b, s.solved_by_both, s.only_a, s.scaffold_a, s.only_b, s.scaffold_b,
        ));
    }
    out.push_str("\nleaderboard (rank with 95% bootstrap interval over tasks)\n");
    for s in &m.leaderboard {
        out.push_str(&format!(
            "  {:>2}  [{}-{}]  {:>5}%  {} / {}  ({})\n",
            s.rank,
            s.rank_low,
            s.rank_high,
            pct(s.rate),
            s.model,
            s.scaffold,
            s.run
        ));
    }
    out.push_str("\npairwise (Holm-adjusted)\n");
    for p in &m.pairs {
        out.push_str(&format!(
            "  {} vs {}: {:+.1} pts, p {:.4}, adjusted {:.4}: {}\n",
            p.a,
            p.b,
            p.diff * 100.0,
            p.p,
            p.p_holm,
            p.verdict
        ));
    }
    out
}
