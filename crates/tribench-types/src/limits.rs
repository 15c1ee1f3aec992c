//! The limits a trial runs under, decided in one place: what the task's own format sets
//! ([`TaskLimits`]), what the run sets ([`RunLimits`]), and what one trial got
//! ([`TrialLimits`], from [`RunLimits::for_task`]), recorded with the trial and in the manifest.

use serde::{Deserialize, Serialize};

/// Which grading rules apply where a family grades by an official harness's verdicts (today:
/// SWE-bench's).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GradingMode {
    /// Exactly the official harness's verdicts, its known faults included (leaderboard
    /// comparable).
    #[default]
    Official,
    /// The known faults fixed.
    Strict,
}

impl GradingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            GradingMode::Official => "official",
            GradingMode::Strict => "strict",
        }
    }

    pub fn parse(s: &str) -> Option<GradingMode> {
        match s {
            "official" => Some(GradingMode::Official),
            "strict" => Some(GradingMode::Strict),
            _ => None,
        }
    }
}

/// What a task's own format says about its limits; `None`: the format says nothing and the
/// run's setting applies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskLimits {
    pub agent_timeout_sec: Option<f64>,
    pub test_timeout_sec: Option<f64>,
    pub build_timeout_sec: Option<f64>,
    pub cpus: Option<f64>,
    pub memory_mb: Option<u64>,
    /// Whether the task's sandbox gets the network (Harbor's `allow_internet`); `Some(false)`
    /// for tasks run offline by design (SWE-bench instances).
    pub network: Option<bool>,
}

/// The run's settings: each limit a trial gets when its task sets none (the same figures a
/// trial records), and the switch that takes the network from every task. Written flat in
/// manifest.json, as one object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunLimits {
    #[serde(flatten)]
    pub defaults: TrialLimits,
    /// No task gets the network, whatever it says (only an agent that runs inside the sandbox
    /// and must reach its model).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_network: bool,
}

/// A run's limits read as the defaults they hold (`run.agent_timeout_sec`).
impl std::ops::Deref for RunLimits {
    type Target = TrialLimits;
    fn deref(&self) -> &TrialLimits {
        &self.defaults
    }
}

/// The limits one trial ran under: the effective values, not the flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TrialLimits {
    /// Opening the sandbox and preparing the task.
    pub setup_timeout_sec: f64,
    pub agent_timeout_sec: f64,
    pub test_timeout_sec: f64,
    /// Building (or pulling) a task's image.
    pub build_timeout_sec: f64,
    /// Whether the agent's sandbox had the network (grading sandboxes never do); in the run's
    /// limits, the network of tasks whose format says nothing about it.
    pub network: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u64>,
    /// Bytes of a command's output kept (stdout and stderr each).
    pub output_cap: u64,
    /// The seed handed to the agent: the run's seed plus the attempt number less one, so
    /// attempts differ and a rerun repeats them; in the run's limits, the run's seed. `None`:
    /// the model samples unseeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// The tasks whose trials got the same limits (attempt 1's seed shown; later attempts add
/// their number less one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LimitsGroup {
    pub limits: TrialLimits,
    pub tasks: Vec<String>,
}

/// Groups tasks (id, the limits of its first attempt) by their limits, largest group first.
pub fn group_limits(tasks: impl IntoIterator<Item = (String, TrialLimits)>) -> Vec<LimitsGroup> {
    let mut groups: Vec<LimitsGroup> = Vec::new();
    for (id, limits) in tasks {
        match groups.iter_mut().find(|g| g.limits == limits) {
            Some(g) => g.tasks.push(id),
            None => groups.push(LimitsGroup {
                limits,
                tasks: vec![id],
            }),
        }
    }
    for g in &mut groups {
        g.tasks.sort();
    }
    groups.sort_by(|a, b| {
        b.tasks
            .len()
            .cmp(&a.tasks.len())
            .then(a.tasks.cmp(&b.tasks))
    });
    groups
}

impl RunLimits {
    /// The limits of one trial. The rule, the same for every family: a limit the task's own
    /// format sets beats the run's (a Harbor `task.toml`'s `[agent] timeout_sec`, a TB1
    /// `max_test_timeout_sec`, a spec's `cpus`, Harbor's `allow_internet`); otherwise the
    /// run's applies. `no_network` takes the network from every task; `agent_network` (an
    /// agent that runs inside the sandbox and must reach its model) gives it whatever the task
    /// says.
    pub fn for_task(&self, task: &TaskLimits, attempt: u32, agent_network: bool) -> TrialLimits {
        TrialLimits {
            setup_timeout_sec: self.setup_timeout_sec,
            agent_timeout_sec: task.agent_timeout_sec.unwrap_or(self.agent_timeout_sec),
            test_timeout_sec: task.test_timeout_sec.unwrap_or(self.test_timeout_sec),
            build_timeout_sec: task.build_timeout_sec.unwrap_or(self.build_timeout_sec),
            network: agent_network || (!self.no_network && task.network.unwrap_or(self.network)),
            cpus: task.cpus.or(self.cpus),
            memory_mb: task.memory_mb.or(self.memory_mb),
            output_cap: self.output_cap,
            seed: self
                .seed
                .map(|s| s.wrapping_add(u64::from(attempt.saturating_sub(1)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> RunLimits {
        RunLimits {
            defaults: TrialLimits {
                setup_timeout_sec: 300.0,
                agent_timeout_sec: 1800.0,
                test_timeout_sec: 180.0,
                build_timeout_sec: 1800.0,
                network: false,
                cpus: Some(2.0),
                memory_mb: None,
                output_cap: 1 << 20,
                seed: Some(7),
            },
            no_network: false,
        }
    }

    /// The run's limits with other defaults.
    fn run_with(f: impl FnOnce(&mut TrialLimits)) -> RunLimits {
        let mut r = run();
        f(&mut r.defaults);
        r
    }

    #[test]
    fn the_task_s_own_limits_beat_the_run_s() {
        let task = TaskLimits {
            agent_timeout_sec: Some(60.0),
            test_timeout_sec: Some(30.0),
            build_timeout_sec: None,
            cpus: None,
            memory_mb: Some(512),
            network: None,
        };
        let l = run().for_task(&task, 3, false);
        assert_eq!(l.agent_timeout_sec, 60.0);
        assert_eq!(l.test_timeout_sec, 30.0);
        assert_eq!(l.build_timeout_sec, 1800.0);
        assert_eq!(l.cpus, Some(2.0));
        assert_eq!(l.memory_mb, Some(512));
        assert!(!l.network, "the run's default");
        assert_eq!(l.seed, Some(9));
    }

    #[test]
    fn the_run_can_take_the_network_away_and_an_in_sandbox_agent_needs_it() {
        let online = TaskLimits {
            network: Some(true),
            ..TaskLimits::default()
        };
        let offline = TaskLimits {
            network: Some(false),
            ..TaskLimits::default()
        };
        let open = run_with(|d| d.network = true);
        assert!(run().for_task(&online, 1, false).network);
        assert!(!open.for_task(&offline, 1, false).network);
        assert!(open.for_task(&offline, 1, true).network);
        assert!(open.for_task(&TaskLimits::default(), 1, false).network);
        let no_net = RunLimits {
            no_network: true,
            ..open
        };
        assert!(!no_net.for_task(&online, 1, false).network);
        assert!(no_net.for_task(&online, 1, true).network);
        let unseeded = run_with(|d| d.seed = None);
        assert_eq!(
            unseeded.for_task(&TaskLimits::default(), 2, false).seed,
            None
        );
    }

    #[test]
    fn the_run_s_limits_are_one_flat_object_in_the_manifest() {
        let text = r#"{"setup_timeout_sec": 300, "agent_timeout_sec": 1800.0,
            "test_timeout_sec": 180, "build_timeout_sec": 1800, "network": false,
            "no_network": true, "cpus": 2.0, "output_cap": 1048576, "seed": 7}"#;
        let r: RunLimits = serde_json::from_str(text).unwrap();
        assert_eq!(
            r,
            RunLimits {
                no_network: true,
                ..run()
            }
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["no_network"], true);
        assert_eq!(v["agent_timeout_sec"], 1800.0);
        assert!(v.get("defaults").is_none(), "{v}");
    }

    #[test]
    fn grading_modes_read_back() {
        for m in [GradingMode::Official, GradingMode::Strict] {
            assert_eq!(GradingMode::parse(m.as_str()), Some(m));
        }
        assert_eq!(GradingMode::parse("lenient"), None);
    }
}
