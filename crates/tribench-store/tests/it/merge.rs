//! `tribench merge` on shard directories written as `--shard I/N` runs write them.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use tribench_store::merge::{merge, MergeError};
use tribench_store::RunStore;
use tribench_types::*;

const TASKS: usize = 30;
const ATTEMPTS: u32 = 2;

fn task_ids() -> Vec<String> {
    (0..TASKS).map(|t| format!("python/task-{t:02}")).collect()
}

fn manifest(shard: Option<Shard>) -> RunManifest {
    let mut m = RunManifest {
        limits: None,
        task_limits: Vec::new(),
        schema: 1,
        run_id: "x".into(),
        model: None,
        scaffold: ScaffoldInfo {
            agent: "oracle".into(),
            version: "1".into(),
            config_hash: "c".into(),
            prompt_hash: None,
            settings: Default::default(),
        },
        datasets: vec![DatasetInfo {
            name: "polyglot-sample".into(),
            family: FamilyKind::Polyglot,
            path: "/suites/polyglot-sample".into(),
            version: None,
            checksum: "0123456789abcdef0123".into(),
            tasks: TASKS,
            pin: None,
        }],
        harness_version: "0.1.0-7-gabc".into(),
        environment: EnvironmentInfo {
            backend: "local".into(),
            isolation: "bwrap".into(),
            timeouts: Timeouts {
                setup_sec: 300,
                agent_sec: 1800,
                test_sec: 180,
            },
            cpus: None,
            memory_mb: None,
            jobs: 2,
            tools: Default::default(),
            images: Vec::new(),
        },
        attempts: ATTEMPTS,
        max_tries: None,
        seed: 0,
        grading_mode: None,
        started_at: "2026-11-29T10:00:00.000Z".into(),
        ended_at: Some("2026-11-29T11:00:00.000Z".into()),
        host: "node-a".into(),
        shard: None,
    };
    m.shard = shard.map(|s| ShardInfo {
        index: s.index,
        count: s.count,
        identity: m.identity(),
        task_ids: task_ids(),
    });
    m
}

fn record(task: &str, attempt: u32, outcome: Outcome) -> TrialRecord {
    let key = TrialKey {
        task_id: task.into(),
        attempt,
    };
    TrialRecord {
        trial_id: key.trial_id(),
        task_id: task.into(),
        attempt,
        family: FamilyKind::Polyglot,
        group: "python".into(),
        task_created_at: None,
        agent: "oracle".into(),
        outcome,
        passed_on_try: (outcome == Outcome::Resolved).then_some(1),
        tries: vec![],
        usage: Usage::default(),
        timings: Timings::default(),
        error: None,
        model: None,
        infra_retries: 0,
        limits: None,
        artifacts: vec![format!("trials/{}/diff.patch", key.trial_id())],
        started_at: "2026-11-29T10:00:00Z".into(),
        ended_at: "2026-11-29T10:00:01Z".into(),
    }
}

/// The outcome a trial has in these tests: some tasks fail, so outcomes are not all alike.
fn outcome_of(task: &str, attempt: u32) -> Outcome {
    if (task.len() + attempt as usize).is_multiple_of(3) {
        Outcome::Unresolved
    } else {
        Outcome::Resolved
    }
}

/// Writes the run directory of one shard (or the whole run when `shard` is None), as the
/// engine does: manifest, one row per trial, and the trial's artifact.
fn write_run(dir: &Path, shard: Option<Shard>) -> Vec<TrialKey> {
    let store = RunStore::open_for_writing(dir).unwrap();
    store.write_manifest(&manifest(shard)).unwrap();
    let mut keys = Vec::new();
    for t in task_ids() {
        for a in 1..=ATTEMPTS {
            let key = TrialKey {
                task_id: t.clone(),
                attempt: a,
            };
            if shard.is_some_and(|s| !s.contains(&key)) {
                continue;
            }
            let rec = record(&t, a, outcome_of(&t, a));
            store
                .write_artifact(
                    &rec.trial_id,
                    "diff.patch",
                    format!("patch of {}", rec.trial_id).as_bytes(),
                )
                .unwrap();
            store.record(&rec).unwrap();
            keys.push(key);
        }
    }
    keys
}

fn shards(root: &Path, n: u32) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let d = root.join(format!("shard-{i}"));
            write_run(&d, Some(Shard::new(i, n).unwrap()));
            d
        })
        .collect()
}

fn outcomes(dir: &Path) -> Vec<(String, Outcome)> {
    RunStore::open_for_reading(dir)
        .unwrap()
        .trials()
        .unwrap()
        .into_iter()
        .map(|t| (t.trial_id, t.outcome))
        .collect()
}

#[test]
fn merged_shards_hold_exactly_the_single_machine_run() {
    let root = tempfile::tempdir().unwrap();
    write_run(&root.path().join("single"), None);
    let dirs = shards(root.path(), 3);
    // Each shard ran only its part; the parts are disjoint and not empty.
    let sizes: Vec<usize> = dirs.iter().map(|d| outcomes(d).len()).collect();
    assert!(sizes.iter().all(|n| *n > 0), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), TASKS * ATTEMPTS as usize);

    let out = root.path().join("merged");
    let s = merge(&dirs, &out).unwrap();
    assert_eq!(s.added, TASKS * ATTEMPTS as usize);
    assert!(s.duplicates.is_empty() && s.missing.is_empty(), "{s:?}");
    assert_eq!(s.expected, Some(TASKS * ATTEMPTS as usize));
    assert_eq!(outcomes(&out), outcomes(&root.path().join("single")));
    // Whole records, not only outcomes.
    let single = RunStore::open_for_reading(&root.path().join("single")).unwrap();
    let merged = RunStore::open_for_reading(&out).unwrap();
    assert_eq!(single.trials().unwrap(), merged.trials().unwrap());

    // The merged manifest is a plain run: no shard, the shared settings, every host.
    let m = read_manifest(&out).unwrap().unwrap();
    assert!(m.shard.is_none());
    assert_eq!(m.identity(), manifest(None).identity());
    assert_eq!(m.run_id, "merged");
    assert_eq!(m.ended_at.as_deref(), Some("2026-11-29T11:00:00.000Z"));

    // Artifacts are hard links to the shards' files.
    let id = &outcomes(&dirs[1])[0].0;
    let a = std::fs::metadata(dirs[1].join(format!("trials/{id}/diff.patch"))).unwrap();
    let b = std::fs::metadata(out.join(format!("trials/{id}/diff.patch"))).unwrap();
    assert_eq!(a.ino(), b.ino());
    assert_eq!(s.files_linked, TASKS * ATTEMPTS as usize);
}

fn read_manifest(dir: &Path) -> Result<Option<RunManifest>, tribench_store::StoreError> {
    tribench_store::read_manifest(dir)
}

#[test]
fn missing_trials_are_listed_with_the_shard_that_owes_them_and_merging_again_adds_only_them() {
    let root = tempfile::tempdir().unwrap();
    let dirs = shards(root.path(), 4);
    let out = root.path().join("merged");
    // Shard 2 has not finished: its directory is not given.
    let partial: Vec<PathBuf> = dirs
        .iter()
        .filter(|d| !d.ends_with("shard-2"))
        .cloned()
        .collect();
    let first = merge(&partial, &out).unwrap();
    let owed = outcomes(&dirs[2]);
    assert!(!owed.is_empty());
    let mut missing: Vec<(String, u32)> = first
        .missing
        .iter()
        .map(|m| (m.trial_id.clone(), m.shard.index))
        .collect();
    missing.sort();
    assert_eq!(
        missing,
        owed.iter()
            .map(|(id, _)| (id.clone(), 2))
            .collect::<Vec<_>>()
    );
    assert!(first
        .missing
        .iter()
        .all(|m| m.shard_dir.is_none() && m.shard.count == 4));
    // An incomplete run has not ended.
    assert_eq!(read_manifest(&out).unwrap().unwrap().ended_at, None);

    // Shard 2 finished: merging again adds only its trials.
    let second = merge(&dirs, &out).unwrap();
    assert_eq!(second.added, owed.len());
    assert_eq!(second.already, TASKS * ATTEMPTS as usize - owed.len());
    assert!(second.missing.is_empty() && second.duplicates.is_empty());
    // And once more: nothing changes.
    let third = merge(&dirs, &out).unwrap();
    assert_eq!((third.added, third.already), (0, TASKS * ATTEMPTS as usize));
    assert_eq!(outcomes(&out).len(), TASKS * ATTEMPTS as usize);
}

#[test]
fn a_trial_recorded_twice_is_kept_once_and_reported() {
    let root = tempfile::tempdir().unwrap();
    let dirs = shards(root.path(), 2);
    // Shard 0 was rerun on another machine, and one of its trials failed there for
    // infrastructure reasons; the rerun directory is given first.
    let rerun = root.path().join("shard-0-rerun");
    write_run(&rerun, Some(Shard::new(0, 2).unwrap()));
    let victim = outcomes(&rerun)[0].0.clone();
    let (task, attempt) = {
        let t = RunStore::open_for_reading(&rerun)
            .unwrap()
            .trials()
            .unwrap()[0]
            .clone();
        (t.task_id, t.attempt)
    };
    RunStore::open_for_writing(&rerun)
        .unwrap()
        .record(&record(&task, attempt, Outcome::HarnessError))
        .unwrap();
    let out = root.path().join("merged");
    let s = merge(&[rerun.clone(), dirs[0].clone(), dirs[1].clone()], &out).unwrap();
    let n0 = outcomes(&dirs[0]).len();
    assert_eq!(s.duplicates.len(), n0, "every trial of shard 0 twice");
    assert_eq!(s.added, TASKS * ATTEMPTS as usize);
    // The real outcome beats the infrastructure error; otherwise the first directory wins.
    let d = s.duplicates.iter().find(|d| d.trial_id == victim).unwrap();
    assert_eq!(d.kept, dirs[0]);
    assert_eq!(d.dropped, vec![(rerun.clone(), Outcome::HarnessError)]);
    let other = s.duplicates.iter().find(|d| d.trial_id != victim).unwrap();
    assert_eq!(other.kept, rerun);
    let merged = outcomes(&out);
    assert_eq!(merged.len(), TASKS * ATTEMPTS as usize);
    assert!(merged.iter().all(|(_, o)| !o.is_infrastructure()));
}

#[test]
fn shards_of_different_runs_are_refused_naming_the_difference() {
    let root = tempfile::tempdir().unwrap();
    let dirs = shards(root.path(), 2);
    let mut m = manifest(Some(Shard::new(1, 2).unwrap()));
    m.harness_version = "0.1.0-9-gdef".into();
    m.attempts = 3;
    m.scaffold.settings.insert("--model".into(), "qwen".into());
    RunStore::open_for_reading(&dirs[1])
        .unwrap()
        .write_manifest(&m)
        .unwrap();
    let out = root.path().join("merged");
    let e = merge(&dirs, &out).unwrap_err();
    let MergeError::Mismatch { what, dir, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(dir, &dirs[1]);
    for part in [
        "harness version: 0.1.0-7-gabc in",
        "0.1.0-9-gdef in",
        "attempts: 2 in",
        "--model: unset in",
    ] {
        assert!(what.contains(part), "{part:?} not in {what}");
    }
    assert!(!out.join("trials.sqlite").exists(), "nothing written");

    // Another dataset, and a different split, are refused too.
    let mut m = manifest(Some(Shard::new(1, 3).unwrap()));
    m.datasets[0].checksum = "ffffffffffffffffffff".into();
    RunStore::open_for_reading(&dirs[1])
        .unwrap()
        .write_manifest(&m)
        .unwrap();
    let e = merge(&dirs, &out).unwrap_err().to_string();
    assert!(
        e.contains("dataset: polyglot-sample (checksum 0123456789ab)"),
        "{e}"
    );
    assert!(e.contains("split: 2 shards in"), "{e}");

    // The output cannot be one of the shards.
    let e = merge(&dirs, &dirs[0]).unwrap_err();
    assert!(matches!(e, MergeError::OutputIsAShard(_)), "{e}");

    // A folder that is not a run at all.
    let e = merge(&[dirs[0].clone(), root.path().join("nowhere")], &out).unwrap_err();
    assert!(
        e.to_string().contains("not a tribench run directory"),
        "{e}"
    );
}
