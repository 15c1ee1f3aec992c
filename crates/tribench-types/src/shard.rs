//! Sharding a run over machines: which trials (task, attempt) one shard runs, and the identity
//! every shard of one run shares. Pure functions: the same answer on every machine, whatever the
//! order the suites were read in.

use crate::{RunManifest, TrialKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One shard of a run: `index` in `0..count` (`--shard 2/4` is the third of four).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

/// Why a `--shard` value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardParseError(pub String);

impl std::fmt::Display for ShardParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ShardParseError {}

impl Shard {
    /// A shard, when `index < count`.
    pub fn new(index: u32, count: u32) -> Result<Shard, ShardParseError> {
        if count == 0 {
            return Err(ShardParseError(
                "a run has at least 1 shard (I/N with N >= 1)".into(),
            ));
        }
        if index >= count {
            return Err(ShardParseError(format!(
                "shard index {index} is out of range: shards of {count} are numbered 0 to {}",
                count - 1
            )));
        }
        Ok(Shard { index, count })
    }

    /// Which shard of `count` runs the trial: a stable hash (sha256) of the task id and the
    /// attempt, so it never depends on the order tasks were listed or on the machine.
    pub fn of(key: &TrialKey, count: u32) -> u32 {
        let mut h = Sha256::new();
        h.update(key.task_id.as_bytes());
        h.update([0u8]);
        h.update(key.attempt.to_le_bytes());
        let d = h.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&d[..8]);
        (u64::from_le_bytes(first) % u64::from(count.max(1))) as u32
    }

    /// Whether this shard runs the trial.
    pub fn contains(&self, key: &TrialKey) -> bool {
        Shard::of(key, self.count) == self.index
    }

    /// Whether this shard runs any of attempts 1 to `attempts` (at least 1) of the task: a
    /// task run several times has trials in several shards.
    pub fn runs_any_attempt(&self, task_id: &str, attempts: u32) -> bool {
        (1..=attempts.max(1)).any(|attempt| {
            let task_id = task_id.to_string();
            self.contains(&TrialKey { task_id, attempt })
        })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = ShardParseError;

    /// `I/N`, zero-based: `0/4` to `3/4` (Slurm's `SLURM_ARRAY_TASK_ID` and Kubernetes'
    /// `JOB_COMPLETION_INDEX` count from 0 too).
    fn from_str(s: &str) -> Result<Shard, ShardParseError> {
        let bad = || {
            ShardParseError(format!(
                "--shard {s:?}: expected I/N, e.g. 0/4 (zero-based)"
            ))
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let i = i.trim().parse::<u32>().map_err(|_| bad())?;
        let n = n.trim().parse::<u32>().map_err(|_| bad())?;
        Shard::new(i, n)
    }
}

/// What a shard's manifest says about its place in the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ShardInfo {
    pub index: u32,
    pub count: u32,
    /// The identity every shard of one run shares ([`RunManifest::identity`]).
    pub identity: String,
    /// Every task of the run (all shards), so a merge knows which trials are missing even
    /// when a whole shard never ran.
    pub task_ids: Vec<String>,
}

impl ShardInfo {
    pub fn shard(&self) -> Shard {
        Shard {
            index: self.index,
            count: self.count,
        }
    }
}

impl RunManifest {
    /// What makes shards parts of one run, hashed: the tasks (dataset names and checksums),
    /// the agent and its settings, the model and its sampling (not its endpoint: shards may
    /// reach one model through different addresses), the harness version, attempts, grading
    /// tries and mode, timeouts and seed.
    pub fn identity(&self) -> String {
        let mut datasets: Vec<(&str, &str)> = self
            .datasets
            .iter()
            .map(|d| (d.name.as_str(), d.checksum.as_str()))
            .collect();
        datasets.sort_unstable();
        let model = self
            .model
            .as_ref()
            .map(|m| serde_json::json!([m.id, m.provider, m.sampling]));
        let v = serde_json::json!({
            "datasets": datasets,
            "scaffold": [
                self.scaffold.agent,
                self.scaffold.version,
                self.scaffold.config_hash,
                self.scaffold.prompt_hash,
                self.scaffold.settings,
            ],
            "model": model,
            "harness": self.harness_version,
            "attempts": self.attempts,
            "max_tries": self.max_tries,
            "grading_mode": self.grading_mode,
            "timeouts": [
                self.environment.timeouts.setup_sec,
                self.environment.timeouts.agent_sec,
                self.environment.timeouts.test_sec,
            ],
            "seed": self.seed,
        });
        let d = Sha256::digest(v.to_string().as_bytes());
        d.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key(t: &str, a: u32) -> TrialKey {
        TrialKey {
            task_id: t.into(),
            attempt: a,
        }
    }

    #[test]
    fn shards_are_disjoint_complete_and_order_independent() {
        let keys: Vec<TrialKey> = (0..2000)
            .flat_map(|t| (1..=3).map(move |a| key(&format!("python/task-{t}"), a)))
            .collect();
        for n in [1u32, 2, 3, 4, 7, 100] {
            let mut counts = vec![0usize; n as usize];
            for k in &keys {
                let owners: Vec<u32> = (0..n)
                    .filter(|i| Shard::new(*i, n).unwrap().contains(k))
                    .collect();
                assert_eq!(owners.len(), 1, "{k:?} in shards {owners:?} of {n}");
                counts[owners[0] as usize] += 1;
            }
            assert_eq!(counts.iter().sum::<usize>(), keys.len());
            // Roughly balanced: no shard gets less than half its share.
            let share = keys.len() / n as usize;
            assert!(counts.iter().all(|c| *c * 2 >= share), "{n}: {counts:?}");
        }
        // The same answer in any order (a pure function of the key).
        let mut reversed = keys.clone();
        reversed.reverse();
        let a: Vec<u32> = keys.iter().map(|k| Shard::of(k, 4)).collect();
        let mut b: Vec<u32> = reversed.iter().map(|k| Shard::of(k, 4)).collect();
        b.reverse();
        assert_eq!(a, b);
    }

    #[test]
    fn a_task_is_in_every_shard_that_runs_one_of_its_attempts() {
        let shards: Vec<Shard> = (0..4).map(|i| Shard::new(i, 4).unwrap()).collect();
        for t in (0..50).map(|t| format!("python/task-{t}")) {
            for attempts in [0u32, 1, 3] {
                let owners: Vec<u32> = (1..=attempts.max(1))
                    .map(|a| Shard::of(&key(&t, a), 4))
                    .collect();
                for s in &shards {
                    let expected = owners.contains(&s.index);
                    assert_eq!(
                        s.runs_any_attempt(&t, attempts),
                        expected,
                        "{t} {attempts} {s}"
                    );
                }
            }
        }
        // Some task of three attempts spans two shards: attempts beyond the first count.
        assert!((0..50).any(|t| {
            let t = format!("python/task-{t}");
            let s = Shard::new(Shard::of(&key(&t, 3), 4), 4).unwrap();
            !s.contains(&key(&t, 1)) && s.runs_any_attempt(&t, 3) && !s.runs_any_attempt(&t, 1)
        }));
    }

    #[test]
    fn assignment_is_pinned_across_versions_and_machines() {
        // Shards made by one tribench must agree with shards made by another: pinned values.
        let got: Vec<u32> = [
            ("python/word-tally", 1),
            ("python/word-tally", 2),
            ("go/run-length", 1),
        ]
        .iter()
        .map(|(t, a)| Shard::of(&key(t, *a), 4))
        .collect();
        assert_eq!(got, PINNED);
    }
    // Cross-checked with Python: sha256(id + b"\0" + attempt as u32 LE), first 8 bytes LE, mod 4.
    const PINNED: [u32; 3] = [1, 0, 0];

    #[test]
    fn shard_values_parse_or_say_why_not() {
        assert_eq!(
            "2/4".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 4 }
        );
        assert!("4/4".parse::<Shard>().unwrap_err().0.contains("0 to 3"));
        assert!("1/0".parse::<Shard>().unwrap_err().0.contains("at least 1"));
        assert!("x".parse::<Shard>().unwrap_err().0.contains("I/N"));
        assert_eq!(Shard { index: 1, count: 3 }.to_string(), "1/3");
    }
}
