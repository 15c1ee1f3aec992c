//! A run is a directory: `manifest.json` (what was run, written atomically), `trials.sqlite`
//! (one row per finished trial, each written in its own transaction), and `trials/<id>/`
//! (instruction, diff, test output). A process holds an exclusive lock on the directory while
//! it runs, so two runners never work one run at once.

pub mod import;
pub mod merge;
pub mod swebench_export;

use nix::fcntl::{Flock, FlockArg};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tribench_types::swebench::GradingDetails;
use tribench_types::{Outcome, RunManifest, Trajectory, TrialKey, TrialRecord};

/// The folder of a run directory holding one folder of artifacts per trial.
pub const TRIALS_DIR: &str = "trials";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{}: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{} is in use by another tribench process (it holds the run lock)", .0.display())]
    Locked(PathBuf),
    #[error("{} is not a tribench run directory (no manifest.json)", .0.display())]
    NotARun(PathBuf),
    /// A manifest written by a newer tribench: read as this build's schema it could lose or
    /// misread fields, and rewriting it would turn it into an older schema.
    #[error("{}: manifest schema {found} is newer than this tribench knows (schema {supported}); use the tribench that wrote it, or a newer one", path.display())]
    NewerSchema {
        path: PathBuf,
        found: u64,
        supported: u32,
    },
    /// The run's results database is gone: its trials cannot be read, and creating an empty one
    /// would report the run as never run.
    #[error("{}: the results database trials.sqlite is missing, while trials/ holds {trial_folders} trial folder(s); the recorded results cannot be read (restore trials.sqlite from a copy; nothing was written)", dir.display())]
    ResultsMissing { dir: PathBuf, trial_folders: usize },
}

/// The manifest format this build reads and writes.
pub const MANIFEST_SCHEMA: u32 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS trials (
    task_id    TEXT NOT NULL,
    attempt    INTEGER NOT NULL,
    trial_id   TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    record     TEXT NOT NULL,
    ended_at   TEXT NOT NULL,
    PRIMARY KEY (task_id, attempt)
);";

/// An open run directory.
pub struct RunStore {
    dir: PathBuf,
    db_path: PathBuf,
    conn: Mutex<Connection>,
    _lock: Option<Flock<File>>,
}

impl RunStore {
    /// Opens (creating if needed) a run directory for writing, taking its lock.
    pub fn open_for_writing(dir: &Path) -> Result<RunStore, StoreError> {
        std::fs::create_dir_all(dir.join(TRIALS_DIR)).map_err(io(dir))?;
        let lock_path = dir.join(".lock");
        let file = File::create(&lock_path).map_err(io(&lock_path))?;
        let lock = Flock::lock(file, FlockArg::LockExclusiveNonblock)
            .map_err(|_| StoreError::Locked(dir.to_path_buf()))?;
        let mut store = RunStore::open_db(dir)?;
        store._lock = Some(lock);
        Ok(store)
    }

    /// Opens an existing run for reading (reports): read-only, no lock taken, nothing created.
    /// A run whose results database is missing is refused with [`StoreError::ResultsMissing`].
    pub fn open_for_reading(dir: &Path) -> Result<RunStore, StoreError> {
        if !dir.join("manifest.json").is_file() {
            return Err(StoreError::NotARun(dir.to_path_buf()));
        }
        read_manifest(dir)?;
        RunStore::open_read_only(dir)?.ok_or_else(|| StoreError::ResultsMissing {
            dir: dir.to_path_buf(),
            trial_folders: trial_folders(dir),
        })
    }

    /// Opens a run strictly read-only (viewers of a live run): nothing is written, no schema
    /// is created, and under WAL a reader never blocks the writer. A run whose database does not
    /// exist yet (and that has no trial folder) is `None`; a missing database beside trial
    /// folders is [`StoreError::ResultsMissing`]. A run with no manifest is `NotARun`.
    pub fn open_read_only(dir: &Path) -> Result<Option<RunStore>, StoreError> {
        if !dir.join("manifest.json").is_file() {
            return Err(StoreError::NotARun(dir.to_path_buf()));
        }
        let db_path = dir.join("trials.sqlite");
        if !db_path.is_file() {
            return match trial_folders(dir) {
                0 => Ok(None),
                n => Err(StoreError::ResultsMissing {
                    dir: dir.to_path_buf(),
                    trial_folders: n,
                }),
            };
        }
        let conn = Connection::open_with_flags(
            &db_path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql(&db_path))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sql(&db_path))?;
        Ok(Some(RunStore {
            dir: dir.to_path_buf(),
            db_path,
            conn: Mutex::new(conn),
            _lock: None,
        }))
    }

    fn open_db(dir: &Path) -> Result<RunStore, StoreError> {
        let db_path = dir.join("trials.sqlite");
        let conn = Connection::open(&db_path).map_err(sql(&db_path))?;
        // WAL + NORMAL: a committed row survives the process being killed at any moment.
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        )
        .map_err(sql(&db_path))?;
        conn.execute_batch(SCHEMA).map_err(sql(&db_path))?;
        Ok(RunStore {
            dir: dir.to_path_buf(),
            db_path,
            conn: Mutex::new(conn),
            _lock: None,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions), so a
        // poisoned lock is safe to keep using.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn read_manifest(&self) -> Result<Option<RunManifest>, StoreError> {
        read_manifest(&self.dir)
    }

    /// Writes `manifest.json` atomically (a temporary file renamed over it), never over a
    /// manifest of a newer schema.
    pub fn write_manifest(&self, m: &RunManifest) -> Result<(), StoreError> {
        let path = self.dir.join("manifest.json");
        if let Ok(Some(raw)) = read_json_file::<serde_json::Value>(path.clone()) {
            check_schema(&path, &raw)?;
        }
        let json = serde_json::to_vec_pretty(m).map_err(|source| StoreError::Json {
            path: path.clone(),
            source,
        })?;
        write_atomic(&path, &json)
    }

    /// Outcomes of the trials already recorded.
    pub fn finished(&self) -> Result<HashMap<TrialKey, Outcome>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT task_id, attempt, outcome FROM trials")
            .map_err(sql(&self.db_path))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(sql(&self.db_path))?;
        let mut out = HashMap::new();
        for row in rows {
            let (task_id, attempt, outcome) = row.map_err(sql(&self.db_path))?;
            out.insert(
                TrialKey { task_id, attempt },
                Outcome::parse(&outcome).unwrap_or(Outcome::HarnessError),
            );
        }
        Ok(out)
    }

    /// Records a finished trial in one transaction, replacing an earlier row for the same key
    /// (a retried infrastructure error).
    pub fn record(&self, rec: &TrialRecord) -> Result<(), StoreError> {
        let json = serde_json::to_string(rec).map_err(|source| StoreError::Json {
            path: self.db_path.clone(),
            source,
        })?;
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(sql(&self.db_path))?;
        tx.execute(
            "INSERT OR REPLACE INTO trials (task_id, attempt, trial_id, outcome, record, ended_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                rec.task_id,
                rec.attempt,
                rec.trial_id,
                rec.outcome.as_str(),
                json,
                rec.ended_at
            ],
        )
        .map_err(sql(&self.db_path))?;
        tx.commit().map_err(sql(&self.db_path))
    }

    /// Records many trials in one transaction (importers).
    pub fn record_many(&self, recs: &[TrialRecord]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(sql(&self.db_path))?;
        for rec in recs {
            let json = serde_json::to_string(rec).map_err(|source| StoreError::Json {
                path: self.db_path.clone(),
                source,
            })?;
            tx.execute(
                "INSERT OR REPLACE INTO trials (task_id, attempt, trial_id, outcome, record, ended_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![rec.task_id, rec.attempt, rec.trial_id, rec.outcome.as_str(), json, rec.ended_at],
            )
            .map_err(sql(&self.db_path))?;
        }
        tx.commit().map_err(sql(&self.db_path))
    }

    /// Every recorded trial, ordered by task and attempt.
    pub fn trials(&self) -> Result<Vec<TrialRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT record FROM trials ORDER BY task_id, attempt")
            .map_err(sql(&self.db_path))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(sql(&self.db_path))?;
        let mut out = Vec::new();
        for row in rows {
            let json = row.map_err(sql(&self.db_path))?;
            let rec = serde_json::from_str(&json).map_err(|source| StoreError::Json {
                path: self.db_path.clone(),
                source,
            })?;
            out.push(rec);
        }
        Ok(out)
    }

    pub fn trial(&self, key: &TrialKey) -> Result<Option<TrialRecord>, StoreError> {
        let conn = self.conn();
        let json: Option<String> = conn
            .query_row(
                "SELECT record FROM trials WHERE task_id = ?1 AND attempt = ?2",
                params![key.task_id, key.attempt],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql(&self.db_path))?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|source| StoreError::Json {
                path: self.db_path.clone(),
                source,
            })
        })
        .transpose()
    }

    /// The artifact folder of a trial, relative to the run directory.
    pub fn trial_dir_rel(trial_id: &str) -> String {
        format!("{TRIALS_DIR}/{trial_id}")
    }

    /// An artifact of a trial, relative to the run directory (`trials/<id>/<name>`): what
    /// [`TrialRecord::artifacts`](tribench_types::TrialRecord) lists.
    pub fn artifact_rel(trial_id: &str, name: &str) -> String {
        format!("{}/{name}", RunStore::trial_dir_rel(trial_id))
    }

    /// Where an artifact of a trial of this run lives.
    pub fn artifact(&self, trial_id: &str, name: &str) -> PathBuf {
        RunStore::artifact_in(&self.dir, trial_id, name)
    }

    /// Where an artifact of a trial lives in the run directory `run_dir`, for readers that do
    /// not open the run (a replay's source, the viewer).
    pub fn artifact_in(run_dir: &Path, trial_id: &str, name: &str) -> PathBuf {
        run_dir.join(RunStore::artifact_rel(trial_id, name))
    }

    /// Reads a trial's `trajectory.json`; `None` when the trial has none (agents without a
    /// model write none).
    pub fn read_trajectory(
        run_dir: &Path,
        trial_id: &str,
    ) -> Result<Option<Trajectory>, StoreError> {
        read_json_artifact(run_dir, trial_id, "trajectory.json")
    }

    /// Reads a SWE-bench trial's `grading.json`; `None` when the trial has none.
    pub fn read_grading(
        run_dir: &Path,
        trial_id: &str,
    ) -> Result<Option<GradingDetails>, StoreError> {
        read_json_artifact(run_dir, trial_id, "grading.json")
    }

    /// Empties a trial's artifact folder: leftovers of a run killed mid-trial.
    pub fn reset_trial_dir(&self, trial_id: &str) -> Result<(), StoreError> {
        let d = self.dir.join(RunStore::trial_dir_rel(trial_id));
        match std::fs::remove_dir_all(&d) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::Io { path: d, source: e }),
        }
    }

    /// Writes an artifact and returns its path relative to the run directory.
    pub fn write_artifact(
        &self,
        trial_id: &str,
        name: &str,
        contents: &[u8],
    ) -> Result<String, StoreError> {
        let rel = RunStore::artifact_rel(trial_id, name);
        let path = self.dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&path, contents).map_err(io(&path))?;
        Ok(rel)
    }
}

/// Reads `manifest.json`; `None` when there is none. A manifest of a newer schema than
/// [`MANIFEST_SCHEMA`] is refused ([`StoreError::NewerSchema`]) before its fields are read.
pub fn read_manifest(dir: &Path) -> Result<Option<RunManifest>, StoreError> {
    let path = dir.join("manifest.json");
    let Some(raw) = read_json_file::<serde_json::Value>(path.clone())? else {
        return Ok(None);
    };
    check_schema(&path, &raw)?;
    read_json_file(path)
}

/// Refuses a manifest (`raw`, read from `path`) of a newer schema than this build's.
fn check_schema(path: &Path, raw: &serde_json::Value) -> Result<(), StoreError> {
    match raw.get("schema").and_then(serde_json::Value::as_u64) {
        Some(found) if found > u64::from(MANIFEST_SCHEMA) => Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported: MANIFEST_SCHEMA,
        }),
        _ => Ok(()),
    }
}

/// The trial folders under a run's `trials/`.
fn trial_folders(dir: &Path) -> usize {
    std::fs::read_dir(dir.join(TRIALS_DIR))
        .map(|r| r.flatten().filter(|e| e.path().is_dir()).count())
        .unwrap_or(0)
}

/// A JSON artifact of a trial, typed; `None` when the trial has no such file.
fn read_json_artifact<T: serde::de::DeserializeOwned>(
    run_dir: &Path,
    trial_id: &str,
    name: &str,
) -> Result<Option<T>, StoreError> {
    read_json_file(RunStore::artifact_in(run_dir, trial_id, name))
}

/// A JSON file read as `T`; `None` when there is no such file.
fn read_json_file<T: serde::de::DeserializeOwned>(path: PathBuf) -> Result<Option<T>, StoreError> {
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| StoreError::Json { path, source }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::Io { path, source: e }),
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn sql(path: &Path) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tribench_types::FamilyKind;

    fn rec(task: &str, attempt: u32, outcome: Outcome) -> TrialRecord {
        let key = TrialKey {
            task_id: task.into(),
            attempt,
        };
        TrialRecord {
            passed_on_try: (outcome == Outcome::Resolved).then_some(1),
            started_at: "2026-11-24T00:00:00Z".into(),
            ended_at: "2026-11-24T00:00:01Z".into(),
            ..TrialRecord::new(&key, FamilyKind::Polyglot, "python", "oracle", outcome)
        }
    }

    #[test]
    fn records_round_trip_and_replace_by_key() {
        let d = tempfile::tempdir().unwrap();
        let s = RunStore::open_for_writing(d.path()).unwrap();
        s.record(&rec("python/a", 1, Outcome::HarnessError))
            .unwrap();
        s.record(&rec("python/a", 1, Outcome::Resolved)).unwrap();
        s.record(&rec("python/b", 1, Outcome::Unresolved)).unwrap();
        let f = s.finished().unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(
            f[&TrialKey {
                task_id: "python/a".into(),
                attempt: 1
            }],
            Outcome::Resolved
        );
        let all = s.trials().unwrap();
        assert_eq!(all[0], rec("python/a", 1, Outcome::Resolved));
    }

    /// A schema-1 manifest with the fields it must have.
    fn manifest_json() -> serde_json::Value {
        serde_json::json!({
            "schema": 1, "run_id": "r", "harness_version": "0", "seed": 0, "attempts": 1,
            "started_at": "2026-11-24T00:00:00Z", "host": "h",
            "scaffold": {"agent": "nop", "version": "0", "config_hash": "x"},
            "environment": {"backend": "local", "isolation": "none", "cpus": 1,
                "memory_mb": 1, "jobs": 1,
                "timeouts": {"setup_sec": 1, "agent_sec": 1, "test_sec": 1}},
            "datasets": []
        })
    }

    #[test]
    fn a_manifest_of_a_newer_schema_is_neither_read_nor_overwritten() {
        let d = tempfile::tempdir().unwrap();
        let s = RunStore::open_for_writing(d.path()).unwrap();
        let path = d.path().join("manifest.json");
        std::fs::write(
            &path,
            r#"{"schema": 99, "run_id": "future", "shape": "unknown"}"#,
        )
        .unwrap();
        let e = read_manifest(d.path()).unwrap_err();
        assert!(matches!(
            e,
            StoreError::NewerSchema {
                found: 99,
                supported: 1,
                ..
            }
        ));
        assert!(e.to_string().contains("manifest schema 99") && e.to_string().contains("schema 1"));
        assert!(matches!(
            RunStore::open_for_reading(d.path()),
            Err(StoreError::NewerSchema { .. })
        ));
        let older: RunManifest = serde_json::from_value(manifest_json()).unwrap();
        assert!(matches!(
            s.write_manifest(&older),
            Err(StoreError::NewerSchema { .. })
        ));
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .contains("\"schema\": 99"));
    }

    #[test]
    fn reading_a_run_whose_database_is_gone_says_so_and_creates_nothing() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("manifest.json"), manifest_json().to_string()).unwrap();
        for id in ["t1", "t2", "t3"] {
            std::fs::create_dir_all(d.path().join(TRIALS_DIR).join(id)).unwrap();
        }
        let e = RunStore::open_for_reading(d.path()).err().unwrap();
        assert!(
            matches!(
                e,
                StoreError::ResultsMissing {
                    trial_folders: 3,
                    ..
                }
            ),
            "{e}"
        );
        let msg = e.to_string();
        assert!(
            msg.contains("trials.sqlite is missing") && msg.contains("3 trial folder"),
            "{msg}"
        );
        assert!(matches!(
            RunStore::open_read_only(d.path()),
            Err(StoreError::ResultsMissing { .. })
        ));
        assert!(!d.path().join("trials.sqlite").exists());
    }

    #[test]
    fn a_second_writer_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let _first = RunStore::open_for_writing(d.path()).unwrap();
        assert!(matches!(
            RunStore::open_for_writing(d.path()),
            Err(StoreError::Locked(_))
        ));
    }
}
