//! Power planning: what difference a design can detect, and what design detects a difference.
//!
//! Model. Each run's score on a task is the mean of K attempts. With base rate p, a single
//! outcome has variance p(1−p); the share of it that lies between tasks (the intra-task
//! correlation of attempts, `icc`) does not shrink with more attempts, the rest shrinks as 1/K:
//! σ²_K = p(1−p)·(icc + (1−icc)/K). Two runs whose task scores correlate with ρ have a paired
//! difference with Var(dᵢ) = 2σ²_K(1−ρ); unpaired designs have ρ = 0. Then
//! SE = sqrt(Var(dᵢ)/n) and MDE = (z_{1−α/2} + z_{power}) · SE.

use crate::interval::z_quantile;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerInputs {
    pub tasks: f64,
    pub attempts: f64,
    pub base_rate: f64,
    /// Correlation between the two runs' per-task scores (0 for an unpaired design).
    pub correlation: f64,
    /// Share of outcome variance that lies between tasks (1: attempts never disagree).
    pub icc: f64,
    pub alpha: f64,
    pub power: f64,
}

impl PowerInputs {
    fn z_sum(&self) -> f64 {
        z_quantile(1.0 - self.alpha / 2.0) + z_quantile(self.power)
    }

    fn var_d(&self) -> f64 {
        let p = self.base_rate;
        let sigma2 = p * (1.0 - p) * (self.icc + (1.0 - self.icc) / self.attempts);
        2.0 * sigma2 * (1.0 - self.correlation)
    }

    /// Standard error of the paired difference.
    pub fn se(&self) -> f64 {
        (self.var_d() / self.tasks).sqrt()
    }
}

/// Minimum detectable effect (absolute rate difference) at the given power.
pub fn mde(i: &PowerInputs) -> f64 {
    i.z_sum() * i.se()
}

/// Highest correlation [`planning_mde`] credits: a correlation near 1 measured on data with
/// almost no variation would make any design look able to detect anything.
pub const PLANNING_MAX_CORRELATION: f64 = 0.9;

/// The MDE the planning formula gives a paired comparison of two runs on `tasks` shared tasks
/// whose observed rates are `rate_a` and `rate_b` and whose per-task scores correlate with
/// `correlation` (`NaN` when either run has no spread: then 0): for data with too little
/// variation to estimate the spread from. The base rate is the pooled rate moved towards ½ as
/// Agresti and Coull do, p̃ = (s + z²/2)/(N + z²) over the N = 2·tasks task scores, so it is
/// never 0 or 1; the correlation is clamped to [0, 0.9]; attempts are not credited (icc = 1).
/// Never 0 for a finite number of tasks.
pub fn planning_mde(
    tasks: f64,
    rate_a: f64,
    rate_b: f64,
    correlation: f64,
    alpha: f64,
    power: f64,
) -> f64 {
    let z = z_quantile(1.0 - alpha / 2.0);
    let big_n = 2.0 * tasks;
    let successes = tasks * (rate_a + rate_b);
    let base_rate = (successes + z * z / 2.0) / (big_n + z * z);
    let correlation = if correlation.is_finite() {
        correlation.clamp(0.0, PLANNING_MAX_CORRELATION)
    } else {
        0.0
    };
    mde(&PowerInputs {
        tasks,
        attempts: 1.0,
        base_rate,
        correlation,
        icc: 1.0,
        alpha,
        power,
    })
}

/// Tasks needed to detect `effect` with the given attempts, rounded up.
pub fn tasks_needed(i: &PowerInputs, effect: f64) -> f64 {
    ceil(i.z_sum().powi(2) * i.var_d() / effect.powi(2))
}

/// Rounds up, forgiving float noise: 5.000000001 needs 5, not 6.
fn ceil(x: f64) -> f64 {
    (x - 1e-9 * x.abs().max(1.0)).ceil()
}

/// Attempts per task needed to detect `effect` with the given tasks, rounded up; `None` when
/// no number of attempts suffices (the between-task variance alone is too large).
pub fn attempts_needed(i: &PowerInputs, effect: f64) -> Option<f64> {
    let p = i.base_rate;
    let q = p * (1.0 - p);
    // Need 2q(icc + (1−icc)/K)(1−ρ) ≤ effect²·n / z².
    let budget = effect.powi(2) * i.tasks / (i.z_sum().powi(2) * 2.0 * (1.0 - i.correlation));
    let room = budget / q - i.icc;
    if q == 0.0 {
        return Some(1.0);
    }
    if room <= 0.0 {
        return None;
    }
    Some(ceil((1.0 - i.icc) / room).max(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn base() -> PowerInputs {
        PowerInputs {
            tasks: 500.0,
            attempts: 1.0,
            base_rate: 0.5,
            correlation: 0.0,
            icc: 1.0,
            alpha: 0.05,
            power: 0.8,
        }
    }

    #[test]
    fn textbook_unpaired_case() {
        // Two independent proportions at 0.5, n = 500 each: SE = sqrt(2·0.25/500) = 0.0316;
        // MDE = (1.95996 + 0.84162)·0.0316 = 0.0886.
        let m = mde(&base());
        assert!(
            (m - 2.801_585 * (0.5_f64 / 500.0).sqrt()).abs() < 1e-5,
            "{m}"
        );
        assert!((tasks_needed(&base(), m) - 500.0).abs() <= 1.0);
    }

    #[test]
    fn attempts_do_not_help_when_tasks_are_deterministic() {
        let i = PowerInputs {
            icc: 1.0,
            tasks: 100.0,
            ..base()
        };
        assert_eq!(attempts_needed(&i, 0.01), None);
        let i = PowerInputs {
            icc: 0.5,
            attempts: 1.0,
            tasks: 100.0,
            ..base()
        };
        let k = attempts_needed(&i, mde(&PowerInputs { attempts: 5.0, ..i })).unwrap();
        assert!((4.0..=5.0).contains(&k), "{k}");
    }

    proptest! {
        #[test]
        fn mde_shrinks_with_tasks_and_correlation(n in 10.0f64..2000.0, rho in 0.0f64..0.9) {
            let a = PowerInputs { tasks: n, correlation: rho, ..base() };
            let more = PowerInputs { tasks: n * 2.0, ..a };
            let corr = PowerInputs { correlation: (rho + 0.05).min(0.95), ..a };
            prop_assert!(mde(&more) < mde(&a));
            prop_assert!(mde(&corr) < mde(&a));
        }
    }
}
