//! Joins the run directories of a run's shards (`--shard I/N` on several machines) into one run
//! directory that reports exactly like a run made on one machine.
//!
//! A merge refuses directories of different runs, naming what differs; keeps one copy of a
//! trial recorded twice and says so; lists the trials no shard recorded, with the shard that
//! owes each; and is resumable: merging again adds only what is new. Artifacts are hard-linked
//! (copied when the output is on another file system).

use crate::{io, sql, RunStore, StoreError};
use rusqlite::params;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use tribench_types::{Outcome, RunManifest, Shard, TrialKey};

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("nothing to merge: give the shards' run directories")]
    NoShards,
    #[error("{} is not part of the same run as {}: {what}", dir.display(), reference.display())]
    Mismatch {
        dir: PathBuf,
        reference: PathBuf,
        what: String,
    },
    #[error("{} is not a run directory made by `tribench merge` and is not empty; give another --run-dir", .0.display())]
    NotAMergeTarget(PathBuf),
    #[error("{} is both a shard and the merge's output; give another --run-dir", .0.display())]
    OutputIsAShard(PathBuf),
}

/// A trial found in more than one shard directory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Duplicate {
    pub trial_id: String,
    /// The directory whose copy was kept (the output itself when an earlier merge had it).
    pub kept: PathBuf,
    /// The other directories holding the trial, and the outcome each recorded.
    pub dropped: Vec<(PathBuf, Outcome)>,
    pub kept_outcome: Outcome,
}

/// A trial of the run that no shard recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Missing {
    pub trial_id: String,
    pub task_id: String,
    pub attempt: u32,
    /// The shard (index of the run's count) that should have run it.
    pub shard: Shard,
    /// That shard's directory, when it was given.
    pub shard_dir: Option<PathBuf>,
}

/// What a merge did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct MergeSummary {
    /// Trials copied into the output by this merge.
    pub added: usize,
    /// Trials the output already held (an earlier merge).
    pub already: usize,
    pub duplicates: Vec<Duplicate>,
    /// Empty when the run's trial list is unknown (no shard manifest carried it).
    pub missing: Vec<Missing>,
    /// The trials the run should have (tasks x attempts), when the shards say.
    pub expected: Option<usize>,
    pub files_linked: usize,
    pub files_copied: usize,
    /// The run's shard count, when the directories are shards.
    pub shard_count: Option<u32>,
}

impl MergeSummary {
    /// The summary as `tribench merge` prints it: one line for the merge of `given` directories
    /// into `out`, then a line per duplicate and per missing trial.
    pub fn render(&self, given: usize, out: &Path) -> String {
        let expected = self.expected.map(|n| format!(", {n} expected"));
        let mut s = format!(
            "merged {given} run directories into {}: {} trials added, {} already there{}\n",
            out.display(),
            self.added,
            self.already,
            expected.unwrap_or_default()
        );
        for d in &self.duplicates {
            let dropped: Vec<String> = (d.dropped.iter())
                .map(|(p, o)| format!("{} ({o})", p.display()))
                .collect();
            s += &format!(
                "duplicate {}: kept {} ({}), dropped {}\n",
                d.trial_id,
                d.kept.display(),
                d.kept_outcome,
                dropped.join(", ")
            );
        }
        for m in &self.missing {
            let dir =
                (m.shard_dir.as_ref()).map_or("not given".into(), |d| d.display().to_string());
            s += &format!(
                "missing {}: owed by shard {} ({dir})\n",
                m.trial_id, m.shard
            );
        }
        s
    }
}

struct Row {
    task_id: String,
    attempt: u32,
    trial_id: String,
    outcome: String,
}

/// Merges the run directories `shards` into `out` (created when absent).
pub fn merge(shards: &[PathBuf], out: &Path) -> Result<MergeSummary, MergeError> {
    let same = |a: &Path, b: &Path| matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y);
    if shards.iter().any(|d| same(d, out)) {
        return Err(MergeError::OutputIsAShard(out.to_path_buf()));
    }
    let mut manifests = Vec::with_capacity(shards.len());
    for dir in shards {
        let m = crate::read_manifest(dir)?.ok_or_else(|| StoreError::NotARun(dir.clone()))?;
        manifests.push(m);
    }
    let (Some(reference), Some(ref_dir)) = (manifests.first(), shards.first()) else {
        return Err(MergeError::NoShards);
    };
    for (m, dir) in manifests.iter().zip(shards).skip(1) {
        let what = identity_differences(reference, m, ref_dir, dir);
        if !what.is_empty() {
            return Err(MergeError::Mismatch {
                dir: dir.clone(),
                reference: ref_dir.clone(),
                what: what.join("; "),
            });
        }
    }
    if out.exists() && !out.join("trials.sqlite").exists() && !is_empty_dir(out) {
        return Err(MergeError::NotAMergeTarget(out.to_path_buf()));
    }
    let store = RunStore::open_for_writing(out)?;
    let existing = store.read_manifest()?;
    if let Some(old) = &existing {
        let what = identity_differences(old, reference, out, ref_dir);
        if !what.is_empty() {
            return Err(MergeError::Mismatch {
                dir: ref_dir.clone(),
                reference: out.to_path_buf(),
                what: what.join("; "),
            });
        }
    }
    let mut merged = merged_manifest(existing.as_ref(), &manifests, out);
    store.write_manifest(&merged)?;

    let mut summary = MergeSummary {
        shard_count: reference.shard.as_ref().map(|s| s.count),
        ..Default::default()
    };
    // Trials in the output before this merge, and where each kept trial came from now.
    let before: HashMap<TrialKey, Outcome> = store.finished()?;
    let mut taken: HashMap<TrialKey, (usize, Outcome)> = HashMap::new();
    let mut dup: BTreeMap<String, Duplicate> = BTreeMap::new();
    let mut plan: Vec<Vec<Row>> = Vec::with_capacity(shards.len());
    for (i, dir) in shards.iter().enumerate() {
        let mut keep = Vec::new();
        for row in read_rows(dir)? {
            let key = TrialKey {
                task_id: row.task_id.clone(),
                attempt: row.attempt,
            };
            let outcome = Outcome::parse(&row.outcome).unwrap_or(Outcome::HarnessError);
            if let Some(o) = before.get(&key) {
                // The output's copy stays: merging again changes nothing already merged.
                if !taken.contains_key(&key) {
                    summary.already += 1;
                    taken.insert(key.clone(), (usize::MAX, *o));
                } else {
                    note_duplicate(&mut dup, &row, out, *o, dir, outcome);
                }
                continue;
            }
            match taken.get(&key) {
                None => {
                    taken.insert(key, (i, outcome));
                    keep.push(row);
                }
                Some(&(j, kept)) => {
                    // A real outcome beats an infrastructure error (the trial was retried).
                    if kept.is_infrastructure() && !outcome.is_infrastructure() && j != usize::MAX {
                        plan[j].retain(|r| r.task_id != row.task_id || r.attempt != row.attempt);
                        let kept_dir = shards[j].clone();
                        let d = note_duplicate(&mut dup, &row, dir, outcome, &kept_dir, kept);
                        d.kept = dir.clone();
                        d.kept_outcome = outcome;
                        taken.insert(key, (i, outcome));
                        keep.push(row);
                    } else {
                        let kept_dir = if j == usize::MAX {
                            out.to_path_buf()
                        } else {
                            shards[j].clone()
                        };
                        note_duplicate(&mut dup, &row, &kept_dir, kept, dir, outcome);
                    }
                }
            }
        }
        plan.push(keep);
    }
    summary.duplicates = dup.into_values().collect();

    // One checkpoint at the end instead of one every thousand pages (each one syncs the disk).
    store
        .conn()
        .execute_batch("PRAGMA wal_autocheckpoint=0;")
        .map_err(sql(&store.db_path))?;
    for (dir, rows) in shards.iter().zip(&plan) {
        let (linked, copied) = link_trials(dir, out, rows)?;
        summary.files_linked += linked;
        summary.files_copied += copied;
        insert_rows(&store, dir, rows)?;
        summary.added += rows.len();
    }

    if let Some(info) = manifests.iter().find_map(|m| m.shard.as_ref()) {
        let given: BTreeMap<u32, &PathBuf> = manifests
            .iter()
            .zip(shards)
            .filter_map(|(m, d)| m.shard.as_ref().map(|s| (s.index, d)))
            .collect();
        let attempts = reference.attempts;
        summary.expected = Some(info.task_ids.len() * attempts as usize);
        let have = store.finished()?;
        for task_id in &info.task_ids {
            for attempt in 1..=attempts {
                let key = TrialKey {
                    task_id: task_id.clone(),
                    attempt,
                };
                if !have.contains_key(&key) {
                    let index = Shard::of(&key, info.count);
                    summary.missing.push(Missing {
                        trial_id: key.trial_id(),
                        task_id: task_id.clone(),
                        attempt,
                        shard: Shard {
                            index,
                            count: info.count,
                        },
                        shard_dir: given.get(&index).map(|d| (*d).clone()),
                    });
                }
            }
        }
    }
    store
        .conn()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .map_err(sql(&store.db_path))?;
    merged.ended_at = if summary.missing.is_empty() {
        manifests.iter().filter_map(|m| m.ended_at.clone()).max()
    } else {
        None
    };
    store.write_manifest(&merged)?;
    Ok(summary)
}

fn note_duplicate<'a>(
    dup: &'a mut BTreeMap<String, Duplicate>,
    row: &Row,
    kept_dir: &Path,
    kept: Outcome,
    other_dir: &Path,
    other: Outcome,
) -> &'a mut Duplicate {
    let d = dup
        .entry(row.trial_id.clone())
        .or_insert_with(|| Duplicate {
            trial_id: row.trial_id.clone(),
            kept: kept_dir.to_path_buf(),
            dropped: Vec::new(),
            kept_outcome: kept,
        });
    d.dropped.push((other_dir.to_path_buf(), other));
    d
}

/// The merged run's manifest: the shards' shared settings, no shard of its own, the earliest
/// start, and every host and image the shards used.
fn merged_manifest(existing: Option<&RunManifest>, all: &[RunManifest], out: &Path) -> RunManifest {
    let mut m = existing.cloned().unwrap_or_else(|| {
        let mut m = all[0].clone();
        m.run_id = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "merged".into());
        m.environment.images.clear();
        m
    });
    m.shard = None;
    let mut hosts: BTreeSet<String> = m.host.split(", ").map(str::to_string).collect();
    for s in all {
        hosts.insert(s.host.clone());
        if s.started_at < m.started_at {
            m.started_at = s.started_at.clone();
        }
        for img in &s.environment.images {
            if !m.environment.images.contains(img) {
                m.environment.images.push(img.clone());
            }
        }
    }
    hosts.remove("");
    m.host = hosts.into_iter().collect::<Vec<_>>().join(", ");
    m
}

/// What differs between two directories' runs, each difference named.
pub fn identity_differences(
    a: &RunManifest,
    b: &RunManifest,
    a_dir: &Path,
    b_dir: &Path,
) -> Vec<String> {
    let (an, bn) = (name(a_dir), name(b_dir));
    let mut out = Vec::new();
    let mut diff = |what: &str, x: String, y: String| {
        if x != y {
            out.push(format!("{what}: {x} in {an}, {y} in {bn}"));
        }
    };
    let sums = |m: &RunManifest| {
        let mut v: Vec<String> = m
            .datasets
            .iter()
            .map(|d| {
                format!(
                    "{} (checksum {})",
                    d.name,
                    d.checksum.get(..12).unwrap_or(&d.checksum)
                )
            })
            .collect();
        v.sort();
        v.join(", ")
    };
    diff("dataset", sums(a), sums(b));
    diff("agent", a.scaffold.agent.clone(), b.scaffold.agent.clone());
    diff(
        "agent version",
        a.scaffold.version.clone(),
        b.scaffold.version.clone(),
    );
    let keys: BTreeSet<&String> = a
        .scaffold
        .settings
        .keys()
        .chain(b.scaffold.settings.keys())
        .collect();
    for k in keys {
        let get = |m: &RunManifest| {
            m.scaffold
                .settings
                .get(k)
                .cloned()
                .unwrap_or_else(|| "unset".into())
        };
        diff(k, get(a), get(b));
    }
    diff(
        "agent configuration",
        a.scaffold.config_hash.clone(),
        b.scaffold.config_hash.clone(),
    );
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "unset".into());
    diff(
        "prompts",
        opt(&a.scaffold.prompt_hash),
        opt(&b.scaffold.prompt_hash),
    );
    let model = |m: &RunManifest| {
        m.model
            .as_ref()
            .map(|m| format!("{} ({}, sampling {})", m.id, m.provider, m.sampling))
            .unwrap_or_else(|| "none".into())
    };
    diff("model", model(a), model(b));
    diff(
        "harness version",
        a.harness_version.clone(),
        b.harness_version.clone(),
    );
    diff("attempts", a.attempts.to_string(), b.attempts.to_string());
    let tries = |m: &RunManifest| opt(&m.max_tries.map(|t| t.to_string()));
    diff("--tries", tries(a), tries(b));
    diff("--grading-mode", opt(&a.grading_mode), opt(&b.grading_mode));
    let t = |m: &RunManifest| {
        let t = &m.environment.timeouts;
        format!(
            "setup {} s, agent {} s, test {} s",
            t.setup_sec, t.agent_sec, t.test_sec
        )
    };
    diff("timeouts", t(a), t(b));
    diff("seed", a.seed.to_string(), b.seed.to_string());
    let count = |m: &RunManifest| {
        m.shard
            .as_ref()
            .map_or("unsharded".into(), |s| format!("{} shards", s.count))
    };
    if a.shard.is_some() && b.shard.is_some() {
        diff("split", count(a), count(b));
    }
    out
}

fn name(p: &Path) -> String {
    p.display().to_string()
}

fn is_empty_dir(p: &Path) -> bool {
    std::fs::read_dir(p).is_ok_and(|mut d| d.next().is_none())
}

/// The shard's trials.sqlite, opened read-only (a shard's volume may be mounted so).
fn open_shard(dir: &Path) -> Result<(rusqlite::Connection, PathBuf), StoreError> {
    let db = dir.join("trials.sqlite");
    let conn = rusqlite::Connection::open_with_flags(
        &db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql(&db))?;
    Ok((conn, db))
}

/// The keys and outcomes of a shard's trials (the records are read only for trials merged).
fn read_rows(dir: &Path) -> Result<Vec<Row>, StoreError> {
    if !dir.join("trials.sqlite").exists() {
        // A shard that stopped before its first trial: nothing to merge.
        return Ok(Vec::new());
    }
    let (conn, db) = open_shard(dir)?;
    let mut stmt = conn
        .prepare("SELECT task_id, attempt, trial_id, outcome FROM trials ORDER BY task_id, attempt")
        .map_err(sql(&db))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Row {
                task_id: r.get(0)?,
                attempt: r.get(1)?,
                trial_id: r.get(2)?,
                outcome: r.get(3)?,
            })
        })
        .map_err(sql(&db))?;
    rows.collect::<Result<Vec<_>, _>>().map_err(sql(&db))
}

/// Copies the rows' records from the shard `dir` into the output, in one transaction.
fn insert_rows(store: &RunStore, dir: &Path, rows: &[Row]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let (shard, shard_db) = open_shard(dir)?;
    let mut get = shard
        .prepare("SELECT record, ended_at FROM trials WHERE task_id = ?1 AND attempt = ?2")
        .map_err(sql(&shard_db))?;
    let db = &store.db_path;
    let mut conn = store.conn();
    let tx = conn.transaction().map_err(sql(db))?;
    {
        let mut stmt = tx
            .prepare(
                "INSERT OR REPLACE INTO trials (task_id, attempt, trial_id, outcome, record, ended_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(sql(db))?;
        for r in rows {
            let (record, ended_at): (String, String) = get
                .query_row(params![r.task_id, r.attempt], |x| {
                    Ok((x.get(0)?, x.get(1)?))
                })
                .map_err(sql(&shard_db))?;
            stmt.execute(params![
                r.task_id, r.attempt, r.trial_id, r.outcome, record, ended_at
            ])
            .map_err(sql(db))?;
        }
    }
    tx.commit().map_err(sql(db))
}

/// Links the artifact folders of `rows` from the shard `dir` into `out`, on a few threads
/// (the work is file-system calls, which overlap well). Returns (files linked, copied).
fn link_trials(dir: &Path, out: &Path, rows: &[Row]) -> Result<(usize, usize), StoreError> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8)
        * 2;
    let chunk = rows.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = rows
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut counts = (0, 0);
                    for row in part {
                        let rel = RunStore::trial_dir_rel(&row.trial_id);
                        link_tree(&dir.join(&rel), &out.join(&rel), &mut counts)?;
                    }
                    Ok::<_, StoreError>(counts)
                })
            })
            .collect();
        let mut total = (0, 0);
        for w in workers {
            let (l, c) = w.join().map_err(|_| StoreError::Io {
                path: out.to_path_buf(),
                source: std::io::Error::other("a thread linking artifacts panicked"),
            })??;
            total.0 += l;
            total.1 += c;
        }
        Ok(total)
    })
}

/// Hard-links every file under `src` into `dst`, emptying `dst` first (leftovers of a merge
/// that stopped before recording the trial); copies when linking fails (another file system).
/// A trial without an artifact folder has nothing to link.
fn link_tree(src: &Path, dst: &Path, counts: &mut (usize, usize)) -> Result<(), StoreError> {
    let entries = match std::fs::read_dir(src) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(src)(e)),
    };
    match std::fs::create_dir(dst) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::remove_dir_all(dst).map_err(io(dst))?;
            std::fs::create_dir(dst).map_err(io(dst))?;
        }
        Err(_) => std::fs::create_dir_all(dst).map_err(io(dst))?,
    }
    for entry in entries {
        let entry = entry.map_err(io(src))?;
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        let kind = entry.file_type().map_err(io(&from))?;
        if kind.is_dir() {
            link_tree(&from, &to, counts)?;
        } else if std::fs::hard_link(&from, &to).is_ok() {
            counts.0 += 1;
        } else {
            std::fs::copy(&from, &to).map_err(io(&to))?;
            counts.1 += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn summary_renders_a_line_per_duplicate_and_missing_trial() {
        let s = MergeSummary {
            added: 3,
            already: 1,
            expected: Some(6),
            duplicates: vec![Duplicate {
                trial_id: "t.a1".into(),
                kept: "s0".into(),
                dropped: vec![("s1".into(), Outcome::Unresolved)],
                kept_outcome: Outcome::Resolved,
            }],
            missing: vec![Missing {
                trial_id: "u.a2".into(),
                task_id: "u".into(),
                attempt: 2,
                shard: Shard::new(1, 2).unwrap(),
                shard_dir: None,
            }],
            ..MergeSummary::default()
        };
        assert_eq!(
            s.render(2, Path::new("out")),
            "merged 2 run directories into out: 3 trials added, 1 already there, 6 expected\n\
             duplicate t.a1: kept s0 (resolved), dropped s1 (unresolved)\n\
             missing u.a2: owed by shard 1/2 (not given)\n"
        );
        let plain = MergeSummary::default().render(1, Path::new("m"));
        assert_eq!(
            plain,
            "merged 1 run directories into m: 0 trials added, 0 already there\n"
        );
    }
}
