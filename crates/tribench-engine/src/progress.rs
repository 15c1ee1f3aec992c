//! What a person watching a run sees on stderr. On a TTY: one bar line with done/total,
//! the running score and its interval, failures so far by kind and an ETA, cut to the TTY's
//! width so it never wraps. Off a TTY (CI, `nohup`, a pipe): one line per finished trial and
//! a summary line at every 5% of the run. Nothing at all when quiet.

use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tribench_types::{Outcome, TrialRecord};

/// How a run reports its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProgressMode {
    /// Nothing (`--quiet`, or a library caller).
    #[default]
    Off,
    /// A redrawn bar, for a TTY.
    Bar,
    /// Plain lines, for logs and pipes.
    Lines,
}

pub(crate) struct Progress {
    mode: ProgressMode,
    bar: ProgressBar,
    total: usize,
    done: usize,
    resolved: usize,
    failures: BTreeMap<Outcome, usize>,
    started: Instant,
    /// The last 5% step a summary line was written for.
    last_step: usize,
}

impl Progress {
    pub fn new(mode: ProgressMode, total: usize) -> Progress {
        let bar = if mode == ProgressMode::Bar {
            let bar = ProgressBar::new(total as u64);
            // `wide_msg` takes what the TTY has left and cuts the message to it.
            if let Ok(style) = ProgressStyle::with_template("{bar:12} {pos}/{len} {wide_msg}") {
                bar.set_style(style);
            }
            bar.set_message("starting");
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress {
            mode,
            bar,
            total,
            done: 0,
            resolved: 0,
            failures: BTreeMap::new(),
            started: Instant::now(),
            last_step: 0,
        }
    }

    /// Records a finished trial and tells the watcher.
    pub fn finished(&mut self, rec: &TrialRecord) {
        self.count(rec);
        match self.mode {
            ProgressMode::Off => {}
            ProgressMode::Bar => {
                self.bar.set_message(self.summary());
                self.bar.inc(1);
            }
            ProgressMode::Lines => {
                for line in self.lines(rec) {
                    eprintln!("{line}");
                }
            }
        }
    }

    fn count(&mut self, rec: &TrialRecord) {
        self.done += 1;
        if rec.outcome == Outcome::Resolved {
            self.resolved += 1;
        } else {
            *self.failures.entry(rec.outcome).or_default() += 1;
        }
    }

    /// Off a TTY: the trial's line, and a summary when another 5% of the run is done.
    fn lines(&mut self, rec: &TrialRecord) -> Vec<String> {
        let width = self.total.to_string().len();
        let mut out = vec![format!(
            "[{:>width$}/{}] {} attempt {} {} {:.1} s",
            self.done,
            self.total,
            rec.task_id,
            rec.attempt,
            rec.outcome,
            rec.timings.total_ms as f64 / 1000.0,
        )];
        let step = self.done * 20 / self.total.max(1);
        if step > self.last_step {
            self.last_step = step;
            out.push(format!(
                "progress {}/{} ({}%): {}",
                self.done,
                self.total,
                self.done * 100 / self.total.max(1),
                self.summary()
            ));
        }
        out
    }

    /// Score so far with its 95% interval, failures by kind, time left.
    fn summary(&self) -> String {
        let w = tribench_stats::wilson(self.resolved as u64, self.done as u64, 0.95);
        let mut s = format!(
            "score {:.1}% [{:.1}, {:.1}]",
            w.estimate * 100.0,
            w.low * 100.0,
            w.high * 100.0
        );
        // The ETA before the failures: on a narrow TTY the end of the line is cut.
        let left = self.total.saturating_sub(self.done);
        if left > 0 && self.done > 0 {
            let per = self.started.elapsed().as_secs_f64() / self.done as f64;
            s.push_str(&format!(" · ETA {}", eta(per * left as f64)));
        }
        if !self.failures.is_empty() {
            let mut f: Vec<(&Outcome, &usize)> = self.failures.iter().collect();
            f.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            s.push_str(" · ");
            s.push_str(
                &f.iter()
                    .map(|(o, n)| format!("{o} {n}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        s
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn eta(secs: f64) -> String {
    tribench_types::seconds_text(secs.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tribench_types::{FamilyKind, Timings, TrialKey};

    fn rec(i: usize, outcome: Outcome) -> TrialRecord {
        let key = TrialKey {
            task_id: format!("t{i}"),
            attempt: 1,
        };
        TrialRecord {
            timings: Timings {
                total_ms: 1234,
                ..Timings::default()
            },
            ..TrialRecord::new(&key, FamilyKind::Polyglot, "g", "oracle", outcome)
        }
    }

    #[test]
    fn off_a_terminal_a_line_per_trial_and_a_summary_every_5_percent() {
        let mut p = Progress::new(ProgressMode::Lines, 40);
        let mut summaries = Vec::new();
        for i in 1..=40 {
            let outcome = if i % 4 == 0 {
                Outcome::AgentTimeout
            } else {
                Outcome::Resolved
            };
            let r = rec(i, outcome);
            p.count(&r);
            let lines = p.lines(&r);
            assert!(lines[0].starts_with(&format!("[{i:>2}/40] t{i} attempt 1 ")));
            assert!(lines[0].ends_with(" 1.2 s"), "{}", lines[0]);
            summaries.extend(lines.into_iter().skip(1).map(|l| (i, l)));
        }
        // 40 trials: every second one is another 5%.
        assert_eq!(summaries.len(), 20);
        assert!(summaries.iter().all(|(i, _)| i % 2 == 0));
        let (_, last) = summaries.last().unwrap();
        assert!(
            last.starts_with("progress 40/40 (100%): score 75.0% ["),
            "{last}"
        );
        assert!(last.ends_with("agent_timeout 10"), "{last}");
    }
}
