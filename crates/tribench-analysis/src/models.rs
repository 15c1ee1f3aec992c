//! The models file (`models.toml`): what tribench knows about a model beyond its id: size,
//! training cutoff, prices. Used to price token usage, to default the freshness cutoff, and to
//! plot score against cost and against active parameters.
//!
//! ```toml
//! [[model]]
//! id = "qwen3-coder-next"
//! provider = "vllm"
//! total_params_b = 80
//! active_params_b = 3
//! training_cutoff = "2025-09-30"
//! price_input_per_mtok = 0.20     # USD per million prompt tokens
//! price_output_per_mtok = 0.80
//! price_cached_per_mtok = 0.05    # cached prompt tokens, if cheaper
//! ```

use crate::RunData;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tribench_types::Usage;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    pub id: String,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub total_params_b: Option<f64>,
    #[serde(default)]
    pub active_params_b: Option<f64>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub training_cutoff: Option<String>,
    #[serde(default)]
    pub price_input_per_mtok: Option<f64>,
    #[serde(default)]
    pub price_output_per_mtok: Option<f64>,
    #[serde(default)]
    pub price_cached_per_mtok: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelsFile {
    #[serde(default, rename = "model")]
    pub models: Vec<ModelEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    #[error("{}: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Parse {
        path: std::path::PathBuf,
        source: toml::de::Error,
    },
    #[error("{}: model {id}: {message}", path.display())]
    Invalid {
        path: std::path::PathBuf,
        id: String,
        message: String,
    },
}

/// Checks that `s` is a calendar day written `YYYY-MM-DD` (four-digit year): dates are
/// compared as text, so anything else would sort wrongly or be cut.
pub fn check_day(s: &str) -> Result<(), String> {
    let bad = || Err(format!("{s:?} is not a date written YYYY-MM-DD"));
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return bad();
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return bad();
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(format!("{s:?}: there is no month {m}")),
    };
    if !(1..=days).contains(&d) {
        return Err(format!("{s:?}: month {m} has no day {d}"));
    }
    Ok(())
}

impl ModelsFile {
    pub fn load(path: &Path) -> Result<ModelsFile, ModelsError> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelsError::Read {
            path: path.into(),
            source,
        })?;
        let file: ModelsFile = toml::from_str(&text).map_err(|source| ModelsError::Parse {
            path: path.into(),
            source,
        })?;
        for m in &file.models {
            m.check().map_err(|message| ModelsError::Invalid {
                path: path.into(),
                id: m.id.clone(),
                message,
            })?;
        }
        Ok(file)
    }

    pub fn get(&self, id: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.id == id)
    }

    /// The entry for a run's model, if the run names one that is listed.
    pub fn for_run(&self, run: &RunData) -> Option<&ModelEntry> {
        self.get(&run.manifest.model.as_ref()?.id)
    }
}

impl ModelEntry {
    /// A price must be a finite number of dollars, not negative; a cutoff a real day.
    fn check(&self) -> Result<(), String> {
        for (name, p) in [
            ("price_input_per_mtok", self.price_input_per_mtok),
            ("price_output_per_mtok", self.price_output_per_mtok),
            ("price_cached_per_mtok", self.price_cached_per_mtok),
        ] {
            if let Some(p) = p.filter(|p| !(p.is_finite() && *p >= 0.0)) {
                return Err(format!("{name} {p} is not a price: give 0 or more USD"));
            }
        }
        match &self.training_cutoff {
            Some(c) => check_day(c).map_err(|e| format!("training_cutoff {e}")),
            None => Ok(()),
        }
    }

    /// Cost of `usage` at this model's prices; `None` without input and output prices.
    pub fn cost(&self, usage: &Usage) -> Option<f64> {
        Some(tribench_types::token_cost(
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.cached_tokens,
            self.price_input_per_mtok?,
            self.price_output_per_mtok?,
            self.price_cached_per_mtok,
        ))
    }
}

/// Fills in the cost of trials that recorded tokens but no cost, at the model's prices.
/// Returns how many trials were priced.
pub fn price_trials(run: &mut RunData, model: &ModelEntry) -> usize {
    let mut n = 0;
    for t in &mut run.trials {
        if !t.usage.cost_known() && !t.usage.tokens_unknown {
            if let Some(c) = model.cost(&t.usage) {
                t.usage.cost_usd = c;
                t.usage.cost_unknown = false;
                t.usage.priced = true;
                n += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prices() {
        let f: ModelsFile = toml::from_str(
            "[[model]]\nid = \"m\"\nactive_params_b = 3\ntraining_cutoff = \"2025-09-30\"\n\
             price_input_per_mtok = 1.0\nprice_output_per_mtok = 4.0\nprice_cached_per_mtok = 0.1\n",
        )
        .unwrap();
        let m = f.get("m").unwrap();
        let u = Usage {
            prompt_tokens: 1_000_000,
            completion_tokens: 500_000,
            cached_tokens: 400_000,
            cost_usd: 0.0,
            steps: 1,
            ..Usage::default()
        };
        // 600k fresh at $1 + 400k cached at $0.1 + 500k out at $4 = 0.6 + 0.04 + 2.0
        assert!((m.cost(&u).unwrap() - 2.64).abs() < 1e-12);
        assert!(
            toml::from_str::<ModelsFile>("[[model]]\nid = \"x\"\nprice = 3\n").is_err(),
            "typos are errors"
        );
    }

    #[test]
    fn negative_or_nan_prices_and_impossible_cutoffs_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("models.toml");
        for (entry, want) in [
            (
                "price_input_per_mtok = -2.5\nprice_output_per_mtok = 1.0",
                "price_input_per_mtok -2.5",
            ),
            (
                "price_input_per_mtok = 1.0\nprice_output_per_mtok = nan",
                "price_output_per_mtok NaN",
            ),
            ("price_cached_per_mtok = inf", "price_cached_per_mtok inf"),
            ("training_cutoff = \"2025-13-45\"", "no month 13"),
            ("training_cutoff = \"2025-02-29\"", "no day 29"),
            ("training_cutoff = \"99999-01-01\"", "YYYY-MM-DD"),
            ("training_cutoff = \"yesterday\"", "YYYY-MM-DD"),
        ] {
            std::fs::write(&path, format!("[[model]]\nid = \"m\"\n{entry}\n")).unwrap();
            let e = ModelsFile::load(&path).unwrap_err().to_string();
            assert!(e.contains("model m") && e.contains(want), "{entry}: {e}");
        }
        std::fs::write(
            &path,
            "[[model]]\nid = \"m\"\ntraining_cutoff = \"2024-02-29\"\nprice_input_per_mtok = 0\n",
        )
        .unwrap();
        assert!(ModelsFile::load(&path).is_ok());
    }
}
