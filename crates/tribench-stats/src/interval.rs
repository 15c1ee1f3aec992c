//! Confidence intervals for a rate.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// A point estimate with a two-sided interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

/// A rate over tasks with its interval, and the standard error over tasks it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateEstimate {
    pub interval: Interval,
    /// Standard error over tasks (clustered by task when there are several attempts).
    pub se_tasks: f64,
    /// Number of tasks behind the rate.
    pub n: usize,
    /// The task means took at most two distinct values (every task at 0 or 1, say), so the
    /// interval was widened to at least the Wilson interval for `n` independent tasks at the
    /// same rate: a spread estimated from so little variation would claim too much.
    pub wilson_floor: bool,
}

/// The standard normal quantile Φ⁻¹(p); `NaN` when p is not a probability (statrs would panic).
pub fn z_quantile(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    Normal::new(0.0, 1.0)
        .map(|n| n.inverse_cdf(p))
        .unwrap_or(f64::NAN)
}

/// Student's t quantile with `df` degrees of freedom; the normal quantile when df is infinite
/// or not positive.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if df.is_nan() || df <= 0.0 || df.is_infinite() {
        return z_quantile(p);
    }
    StudentsT::new(0.0, 1.0, df)
        .map(|d| d.inverse_cdf(p))
        .unwrap_or_else(|_| z_quantile(p))
}

fn z_for(confidence: f64) -> f64 {
    z_quantile(0.5 + confidence / 2.0)
}

/// Wilson score interval for `successes` out of `n` Bernoulli trials.
///
/// p̂ = s/n, z = Φ⁻¹(1 − α/2); centre = (p̂ + z²/2n) / (1 + z²/n);
/// half-width = z·sqrt(p̂(1−p̂)/n + z²/4n²) / (1 + z²/n). With n = 0 the interval is [0, 1].
pub fn wilson(successes: u64, n: u64, confidence: f64) -> Interval {
    if n == 0 {
        return Interval {
            estimate: 0.0,
            low: 0.0,
            high: 1.0,
        };
    }
    let p = successes.min(n) as f64 / n as f64;
    wilson_at(p, n as f64, confidence)
}

/// The Wilson interval at rate `p` over `n` units, `p·n` not necessarily whole (the mean of
/// task means over `n` tasks).
fn wilson_at(p: f64, n_f: f64, confidence: f64) -> Interval {
    let z = z_for(confidence);
    let z2 = z * z;
    let denom = 1.0 + z2 / n_f;
    let centre = (p + z2 / (2.0 * n_f)) / denom;
    let half = z
        * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f))
            .max(0.0)
            .sqrt()
        / denom;
    Interval {
        estimate: p,
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    }
}

/// Mean of per-task scores with a t interval whose standard error is clustered by task:
/// each task contributes the mean of its attempts, SE = sd(task means) / sqrt(n), and the
/// interval is mean ± t(n−1) · SE, clipped to [0, 1].
///
/// With one task the interval is [0, 1]: there is no spread to estimate. When the task means
/// take at most two distinct values (every task at 0 or 1, all equal, or two levels only), the
/// sample spread is too thin to trust: the interval is then widened to contain the Wilson
/// interval for n independent tasks at the same rate (`wilson_floor`), so 2 tasks at 100% give
/// [34.2%, 100%], never [100%, 100%].
pub fn clustered_mean(task_means: &[f64], confidence: f64) -> RateEstimate {
    let n = task_means.len();
    if n == 0 {
        return RateEstimate {
            interval: Interval {
                estimate: 0.0,
                low: 0.0,
                high: 1.0,
            },
            se_tasks: f64::NAN,
            n,
            wilson_floor: false,
        };
    }
    let n_f = n as f64;
    let mean = task_means.iter().sum::<f64>() / n_f;
    if n == 1 {
        return RateEstimate {
            interval: Interval {
                estimate: mean,
                low: 0.0,
                high: 1.0,
            },
            se_tasks: f64::NAN,
            n,
            wilson_floor: false,
        };
    }
    let var = task_means.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n_f - 1.0);
    let se = (var / n_f).sqrt();
    let t = t_quantile(0.5 + confidence / 2.0, n_f - 1.0);
    let mut interval = Interval {
        estimate: mean,
        low: (mean - t * se).max(0.0),
        high: (mean + t * se).min(1.0),
    };
    let wilson_floor = distinct_at_most_two(task_means);
    if wilson_floor {
        let w = wilson_at(mean.clamp(0.0, 1.0), n_f, confidence);
        interval.low = interval.low.min(w.low);
        interval.high = interval.high.max(w.high);
    }
    RateEstimate {
        interval,
        se_tasks: se,
        n,
        wilson_floor,
    }
}

/// Whether `xs` holds at most two distinct values (to float noise).
fn distinct_at_most_two(xs: &[f64]) -> bool {
    let mut seen: Vec<f64> = Vec::with_capacity(3);
    for x in xs {
        if !seen.iter().any(|s| (s - x).abs() < 1e-9) {
            seen.push(*x);
            if seen.len() > 2 {
                return false;
            }
        }
    }
    true
}

/// Standard error "over reruns": how much the score would move if the same tasks were run
/// again. Pooled within-task variance of the attempt outcomes (each task's sample variance,
/// with K−1 in the denominator) divided by n·K, square-rooted. Tasks with one attempt carry no
/// within-task information and are skipped; `None` when no task has two attempts.
pub fn rerun_se(per_task_outcomes: &[Vec<f64>]) -> Option<f64> {
    let mut pooled = 0.0;
    let mut used = 0usize;
    let mut total_attempts = 0usize;
    for xs in per_task_outcomes.iter().filter(|xs| xs.len() >= 2) {
        let k = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / k;
        pooled += xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (k - 1.0);
        used += 1;
        total_attempts += xs.len();
    }
    if used == 0 {
        return None;
    }
    let within = pooled / used as f64;
    let k_mean = total_attempts as f64 / used as f64;
    Some((within / (per_task_outcomes.len() as f64 * k_mean)).sqrt())
}

/// Newcombe's hybrid score interval (his method 10) for p₁ − p₂ of two independent
/// proportions, built from the two Wilson intervals:
/// [d − sqrt((p₁−l₁)² + (u₂−p₂)²), d + sqrt((u₁−p₁)² + (p₂−l₂)²)].
pub fn newcombe_diff(s1: u64, n1: u64, s2: u64, n2: u64, confidence: f64) -> Interval {
    let a = wilson(s1, n1, confidence);
    let b = wilson(s2, n2, confidence);
    let d = a.estimate - b.estimate;
    Interval {
        estimate: d,
        low: d - ((a.estimate - a.low).powi(2) + (b.high - b.estimate).powi(2)).sqrt(),
        high: d + ((a.high - a.estimate).powi(2) + (b.estimate - b.low).powi(2)).sqrt(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quantiles_of_a_non_probability_are_nan_not_a_panic() {
        for p in [3.0, -1.0, 1.5, f64::NAN, f64::INFINITY] {
            assert!(z_quantile(p).is_nan(), "z {p}");
            assert!(t_quantile(p, 10.0).is_nan(), "t {p}");
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn wilson_matches_statsmodels_known_values() {
        // statsmodels.stats.proportion.proportion_confint(count, nobs, method="wilson")
        let i = wilson(7, 10, 0.95);
        assert!(close(i.low, 0.396_778_1), "{i:?}");
        assert!(close(i.high, 0.892_209_3), "{i:?}");
        let i = wilson(0, 10, 0.95);
        assert!(close(i.low, 0.0) && close(i.high, 0.277_532_6), "{i:?}");
        let i = wilson(10, 10, 0.95);
        assert!(close(i.low, 0.722_467_4) && close(i.high, 1.0), "{i:?}");
    }

    #[test]
    fn clustered_mean_matches_hand_computation() {
        // Means 1, 0, 0.5, 0.5: mean 0.5, sd = sqrt(1/6), se = sd/2, t(3, .975) = 3.182446305
        let r = clustered_mean(&[1.0, 0.0, 0.5, 0.5], 0.95);
        let se = (1.0_f64 / 6.0).sqrt() / 2.0;
        assert!(close(r.se_tasks, se));
        assert!(close(r.interval.low, (0.5 - 3.182_446_305 * se).max(0.0)));
        assert!(close(r.interval.high, (0.5 + 3.182_446_305 * se).min(1.0)));
    }

    proptest! {
        #[test]
        fn wilson_contains_estimate_and_stays_in_unit_range(n in 1u64..2000, frac in 0.0f64..=1.0) {
            let s = (frac * n as f64).round() as u64;
            let i = wilson(s, n, 0.95);
            prop_assert!(i.low <= i.estimate + 1e-12 && i.estimate <= i.high + 1e-12);
            prop_assert!(i.low >= 0.0 && i.high <= 1.0);
        }

        #[test]
        fn wilson_narrows_with_more_tasks(n in 2u64..500, frac in 0.05f64..0.95) {
            let s = (frac * n as f64).round() as u64;
            let small = wilson(s, n, 0.95);
            let big = wilson(s * 4, n * 4, 0.95);
            prop_assert!(big.high - big.low < small.high - small.low);
        }
    }
}
