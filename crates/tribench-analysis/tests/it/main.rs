//! Reports, comparisons and importers on fixture runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod degenerate;
mod health;
mod images;
mod out_of_range;
mod reference_failures;

use serde_json::json;

use std::path::{Path, PathBuf};
use tribench_analysis::*;
use tribench_store::import;
use tribench_types::*;

fn manifest(dataset: &str, tasks: usize, attempts: u32, agent: &str) -> RunManifest {
    RunManifest {
        grading_mode: None,
        schema: 1,
        run_id: format!("{agent}-run"),
        model: None,
        scaffold: ScaffoldInfo {
            agent: agent.into(),
            version: "1".into(),
            config_hash: agent.into(),
            prompt_hash: None,
            settings: Default::default(),
        },
        datasets: vec![DatasetInfo {
            name: dataset.into(),
            family: FamilyKind::Polyglot,
            path: "/suites/x".into(),
            version: None,
            checksum: "abc".into(),
            tasks,
            pin: None,
        }],
        harness_version: "0.1.0".into(),
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
            images: Vec::new(),
            tools: Default::default(),
        },
        attempts,
        max_tries: None,
        seed: 0,
        task_limits: Default::default(),
        limits: None,
        started_at: "2026-11-24T00:00:00Z".into(),
        ended_at: None,
        host: "h".into(),
        shard: None,
    }
}

fn trial(
    task: &str,
    attempt: u32,
    outcome: Outcome,
    passed_on_try: Option<u32>,
    cost: f64,
) -> TrialRecord {
    TrialRecord {
        trial_id: TrialKey {
            task_id: task.into(),
            attempt,
        }
        .trial_id(),
        task_id: task.into(),
        attempt,
        family: FamilyKind::Polyglot,
        group: task.split('/').next().unwrap().into(),
        task_created_at: None,
        agent: "a".into(),
        outcome,
        passed_on_try,
        tries: vec![],
        usage: Usage {
            prompt_tokens: 1000,
            completion_tokens: 200,
            cached_tokens: 0,
            cost_usd: cost,
            steps: 3,
            ..Usage::default()
        },
        timings: Timings {
            setup_ms: 5,
            agent_ms: 4000,
            grade_ms: 1000,
            test_ms: 900,
            total_ms: 5100,
        },
        error: None,
        model: None,
        infra_retries: 0,
        artifacts: vec![],
        started_at: "t".into(),
        ended_at: "t".into(),
        limits: None,
    }
}

fn run(dir: &str, manifest: RunManifest, trials: Vec<TrialRecord>) -> RunData {
    RunData {
        dir: PathBuf::from(dir),
        manifest,
        trials,
    }
}

/// Deterministic outcome for (task index, attempt, skill).
fn solved(i: usize, a: u32, skill: usize) -> bool {
    (i * 7 + a as usize * 3) % 10 < skill
}

fn k1_run(dir: &str, agent: &str, skill: usize, tasks: usize) -> RunData {
    let mut ts = Vec::new();
    for i in 0..tasks {
        let lang = ["go", "python", "rust"][i % 3];
        let id = format!("{lang}/ex{i:02}");
        let t = if i == 4 {
            {
                // The sandbox never started: no model calls, so nothing to price.
                let mut t = trial(&id, 1, Outcome::EnvironmentError, None, 0.0);
                t.usage = Usage::default();
                t
            }
        } else if solved(i, 1, skill) {
            trial(&id, 1, Outcome::Resolved, Some(1 + (i % 2) as u32), 0.02)
        } else {
            trial(
                &id,
                1,
                if i % 5 == 0 {
                    Outcome::TestTimeout
                } else {
                    Outcome::Unresolved
                },
                None,
                0.03,
            )
        };
        ts.push(t);
    }
    run(dir, manifest("polyglot-sample", tasks, 1, agent), ts)
}

fn k5_run(dir: &str, skill: usize) -> RunData {
    let mut ts = Vec::new();
    for i in 0..12 {
        for a in 1..=5 {
            let id = format!("python/ex{i:02}");
            let ok = solved(i, a, skill);
            ts.push(trial(
                &id,
                a,
                if ok {
                    Outcome::Resolved
                } else {
                    Outcome::Unresolved
                },
                ok.then_some(1),
                0.01,
            ));
        }
    }
    run(dir, manifest("polyglot-sample", 12, 5, "k5"), ts)
}

#[test]
fn report_with_errored_trials_one_attempt() {
    let r = build_report(&k1_run("runs/a", "agent-a", 6, 15));
    assert_eq!(r.total.infra_errors, 1);
    assert_eq!(r.total.score.method, "wilson");
    insta::assert_snapshot!(render_table(&r));
}

#[test]
fn report_with_five_attempts_shows_both_uncertainties_and_pass_k() {
    let r = build_report(&k5_run("runs/k5", 5));
    let s = &r.total.score;
    assert_eq!(s.method, "clustered_t");
    assert!(s.se_tasks.unwrap() > 0.0 && s.se_reruns.unwrap() > 0.0);
    assert_eq!(r.total.pass_at_k.len(), 5);
    assert!(
        (r.total.pass_at_k[0].value - s.rate.unwrap()).abs() < 1e-12,
        "pass@1 equals the mean"
    );
    insta::assert_snapshot!(render_table(&r));
    insta::assert_snapshot!("k5_markdown", render_markdown(&r));
}

#[test]
fn an_incomplete_run_reports_the_score_over_all_expected_trials() {
    let mut data = k1_run("runs/a", "agent-a", 6, 15);
    data.manifest.datasets[0].tasks = 20;
    let r = build_report(&data);
    let resolved = data.trials.iter().filter(|t| t.resolved()).count() as f64;
    assert!((r.score_over_expected.unwrap() - resolved / 20.0).abs() < 1e-12);
    assert!(render_table(&r).contains("INCOMPLETE 15 of 20"));
}

#[test]
fn compare_on_unequal_task_sets() {
    let a = k1_run("runs/a", "agent-a", 7, 40);
    let mut b = k1_run("runs/b", "agent-b", 4, 40);
    b.trials.truncate(36);
    let c = compare(&a, &b, &CompareOptions::default()).unwrap();
    assert_eq!(c.shared_tasks, 36);
    assert_eq!(c.only_in_a.len(), 4);
    assert_eq!(c.test, "mcnemar_exact");
    insta::assert_snapshot!(render_comparison(&c));
}

#[test]
fn compare_with_five_attempts_uses_the_permutation_test() {
    let a = k5_run("runs/a", 7);
    let b = k5_run("runs/b", 5);
    let c = compare(&a, &b, &CompareOptions::default()).unwrap();
    assert_eq!(c.test, "paired_permutation");
    insta::assert_snapshot!(render_comparison(&c));
}

#[test]
fn runs_graded_in_different_swebench_modes_are_flagged() {
    let mut a = k1_run("runs/a", "a", 5, 10);
    let mut b = k1_run("runs/b", "b", 5, 10);
    a.manifest.grading_mode = Some("official".into());
    b.manifest.grading_mode = Some("strict".into());
    let c = compare(&a, &b, &CompareOptions::default()).unwrap();
    let d = c
        .differences
        .iter()
        .find(|d| d.field == "SWE-bench grading mode")
        .unwrap();
    assert_eq!((d.a.as_str(), d.b.as_str()), ("official", "strict"));
}

#[test]
fn compare_refuses_other_datasets_without_force() {
    let a = k1_run("runs/a", "a", 5, 10);
    let mut b = k1_run("runs/b", "b", 5, 10);
    b.manifest.datasets[0].name = "other-suite".into();
    let err = compare(&a, &b, &CompareOptions::default()).unwrap_err();
    assert!(err.to_string().contains("different datasets"), "{err}");
    let forced = compare(
        &a,
        &b,
        &CompareOptions {
            force: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(forced
        .differences
        .iter()
        .any(|d| d.blocking && d.field == "dataset"));
}

#[test]
fn the_swe_bench_practice_rule_downgrades_small_significant_differences() {
    // 1000 tasks, A solves 2.5 points more than B with no task going the other way.
    let mut ta = Vec::new();
    let mut tb = Vec::new();
    for i in 0..1000 {
        let id = format!("repo/i{i}");
        let a_ok = i < 500;
        let b_ok = i < 475;
        ta.push(trial(
            &id,
            1,
            if a_ok {
                Outcome::Resolved
            } else {
                Outcome::Unresolved
            },
            a_ok.then_some(1),
            0.0,
        ));
        tb.push(trial(
            &id,
            1,
            if b_ok {
                Outcome::Resolved
            } else {
                Outcome::Unresolved
            },
            b_ok.then_some(1),
            0.0,
        ));
    }
    let a = run("a", manifest("swe-bench-verified", 1000, 1, "a"), ta);
    let b = run("b", manifest("swe-bench-verified", 1000, 1, "b"), tb);
    let c = compare(&a, &b, &CompareOptions::default()).unwrap();
    assert!(c.p_value < 0.001);
    assert_eq!(c.verdict, Verdict::Inconclusive, "{}", c.explanation);
    assert!(c.explanation.contains("practice rule"));
    let no_rule = compare(
        &a,
        &b,
        &CompareOptions {
            practice_rule: Some(None),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(no_rule.verdict, Verdict::ABetter);
}

fn write(p: &Path, v: serde_json::Value) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

#[test]
fn a_terminal_bench_run_imports_with_the_accuracy_it_reported() {
    let src = tempfile::tempdir().unwrap();
    let run_dir = src.path().join("2025-06-01__10-00-00");
    let mut results = Vec::new();
    let tasks = ["hello-world", "fix-git", "build-linux"];
    let resolved = [[true, true], [true, false], [false, false]];
    for (ti, task) in tasks.iter().enumerate() {
        for (att, &ok) in resolved[ti].iter().enumerate() {
            let r = json!({
                "id": format!("00000000-0000-0000-0000-00000000000{ti}{att}"),
                "trial_name": format!("{task}.{}-of-2.2025-06-01__10-00-00", att + 1),
                "task_id": task,
                "instruction": "do it",
                "is_resolved": ok,
                "failure_mode": if !ok && ti == 2 && att == 1 { "agent_timeout" } else { "unset" },
                "parser_results": {"test_a": if ok { "passed" } else { "failed" }},
                "total_input_tokens": 1000, "total_output_tokens": 100,
                "trial_started_at": format!("2025-06-01T10:0{att}:00.000000+00:00"),
                "trial_ended_at": format!("2025-06-01T10:0{att}:30.000000+00:00"),
            });
            write(
                &run_dir
                    .join(task)
                    .join(format!("trial{att}"))
                    .join("results.json"),
                r.clone(),
            );
            results.push(r);
        }
    }
    let n_resolved = resolved.iter().flatten().filter(|x| **x).count();
    let accuracy = n_resolved as f64 / results.len() as f64;
    write(
        &run_dir.join("results.json"),
        json!({"id": "x", "results": results, "n_resolved": n_resolved, "accuracy": accuracy}),
    );
    write(
        &run_dir.join("run_metadata.json"),
        json!({"run_id": "2025-06-01__10-00-00", "dataset_name": "terminal-bench-core", "dataset_version": "0.1.1",
               "agent_name": "terminus", "model_name": "some-model", "n_attempts": 2, "output_path": "runs",
               "no_rebuild": false, "cleanup": true, "log_level": 20, "start_time": "2025-06-01T10:00:00"}),
    );
    let out = tempfile::tempdir().unwrap();
    let imported = import::import_terminal_bench(&run_dir).unwrap();
    imported.write(&out.path().join("tb")).unwrap();
    let data = RunData::load(&out.path().join("tb")).unwrap();
    let r = build_report(&data);
    assert!(
        (r.total.score.rate.unwrap() - accuracy).abs() < 1e-12,
        "{} vs {accuracy}",
        r.total.score.rate.unwrap()
    );
    assert_eq!(r.total.attempts, 2);
    assert_eq!(data.manifest.datasets[0].version.as_deref(), Some("0.1.1"));
    assert!(data
        .trials
        .iter()
        .any(|t| t.outcome == Outcome::AgentTimeout));
    assert_eq!(data.trials[0].timings.total_ms, 30_000);

    // Per-trial files alone give the same run.
    std::fs::remove_file(run_dir.join("results.json")).unwrap();
    let again = import::import_terminal_bench(&run_dir).unwrap();
    assert_eq!(again.trials.len(), 6);
}

fn swebench_report(dir: &Path, name: &str, resolved: &[&str], unresolved: &[&str]) -> PathBuf {
    let p = dir.join(format!("{name}.json"));
    write(
        &p,
        json!({
            "total_instances": 10, "submitted_instances": 9, "completed_instances": 8,
            "resolved_instances": resolved.len(), "unresolved_instances": unresolved.len(),
            "empty_patch_instances": 1, "error_instances": 1,
            "resolved_ids": resolved, "unresolved_ids": unresolved,
            "empty_patch_ids": ["django__django-9"], "error_ids": ["sympy__sympy-8"],
            "schema_version": 2
        }),
    );
    p
}

#[test]
fn swe_bench_reports_import_with_their_accuracy_and_compare() {
    let src = tempfile::tempdir().unwrap();
    let a_res = [
        "django__django-1",
        "django__django-2",
        "sympy__sympy-3",
        "sympy__sympy-4",
        "django__django-1",
    ];
    let a_unres = ["django__django-5", "django__django-6", "sympy__sympy-7"];
    let pa = swebench_report(src.path(), "model-a.run1", &a_res, &a_unres);
    let b_res = ["django__django-1", "sympy__sympy-3"];
    let b_unres = [
        "django__django-2",
        "sympy__sympy-4",
        "django__django-5",
        "django__django-6",
        "sympy__sympy-7",
    ];
    let pb = swebench_report(src.path(), "model-b.run1", &b_res, &b_unres);
    let out = tempfile::tempdir().unwrap();
    let ia = import::import_swebench(&pa, "swe-bench-lite").unwrap();
    assert!(
        ia.notes.iter().any(|n| n.contains("1 duplicate")),
        "{:?}",
        ia.notes
    );
    ia.write(&out.path().join("a")).unwrap();
    import::import_swebench(&pb, "swe-bench-lite")
        .unwrap()
        .write(&out.path().join("b"))
        .unwrap();
    let a = RunData::load(&out.path().join("a")).unwrap();
    let r = build_report(&a);
    // swebench reports 4 resolved of 10 instances.
    assert_eq!(r.total.score.successes, 4);
    assert!((r.score_over_expected.unwrap() - 0.4).abs() < 1e-12);
    assert!(a.trials.iter().any(|t| t.outcome == Outcome::HarnessError));
    let b = RunData::load(&out.path().join("b")).unwrap();
    let c = compare(&a, &b, &CompareOptions::default()).unwrap();
    assert_eq!(c.shared_tasks, 9);
    assert_eq!(c.discordant, Some((2, 0)));
}

#[test]
fn harbor_jobs_and_aider_runs_import() {
    let src = tempfile::tempdir().unwrap();
    let job = src.path().join("job");
    write(
        &job.join("config.json"),
        json!({"job_name": "job", "datasets": [{"name": "terminal-bench", "version": "2.0"}]}),
    );
    for (i, reward) in [1.0, 0.0, 1.0, 1.0].iter().enumerate() {
        let mut r = json!({
            "task_name": format!("task-{}", i % 2), "trial_name": format!("task-{}__{i}", i % 2),
            "agent_info": {"name": "terminus-2", "version": "1", "model_info": {"name": "m", "provider": "p"}},
            "agent_result": {"n_input_tokens": 10, "n_output_tokens": 5, "cost_usd": 0.5},
            "verifier_result": {"rewards": {"reward": reward}},
            "started_at": "2025-11-01T00:00:00Z", "finished_at": "2025-11-01T00:01:00Z",
        });
        if i == 3 {
            r["exception_info"] =
                json!({"exception_type": "AgentTimeoutError", "exception_message": "slow"});
            r["verifier_result"] = json!({"rewards": {"reward": 0.0}});
        }
        write(&job.join(format!("t{i}")).join("result.json"), r);
    }
    let out = tempfile::tempdir().unwrap();
    import::import_harbor(&job)
        .unwrap()
        .write(&out.path().join("h"))
        .unwrap();
    let h = RunData::load(&out.path().join("h")).unwrap();
    assert_eq!(h.trials.len(), 4);
    assert_eq!(h.manifest.datasets[0].version.as_deref(), Some("2.0"));
    assert!(h.trials.iter().any(|t| t.outcome == Outcome::AgentTimeout));
    assert!((build_report(&h).total.score.rate.unwrap() - 0.5).abs() < 1e-12);

    let bench = src.path().join("2025-01-01-aider");
    for (lang, name, outcomes) in [
        ("python", "a", vec![true]),
        ("go", "b", vec![false, true]),
        ("rust", "c", vec![false, false]),
    ] {
        let d = bench.join(lang).join("exercises/practice").join(name);
        write(
            &d.join(".aider.results.json"),
            json!({"testdir": d.display().to_string(), "testcase": name, "model": "m", "edit_format": "diff",
                   "tests_outcomes": outcomes, "cost": 0.1, "duration": 12.5}),
        );
    }
    // A fourth exercise the benchmark copied but never finished.
    std::fs::create_dir_all(bench.join("java/exercises/practice/d/.docs")).unwrap();
    let imported = import::import_aider(&bench).unwrap();
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.contains("1 of 4 exercises")),
        "{:?}",
        imported.notes
    );
    imported.write(&out.path().join("aider")).unwrap();
    let r = build_report(&RunData::load(&out.path().join("aider")).unwrap());
    // Over completed exercises: 1/3 on the first try, 2/3 within two ...
    assert!((r.total.first_try.as_ref().unwrap().rate.unwrap() - 1.0 / 3.0).abs() < 1e-12);
    assert!((r.total.score.rate.unwrap() - 2.0 / 3.0).abs() < 1e-12);
    // ... and over all exercises, the unfinished one counted as a failure: 2/4 (Aider's own
    // rate leaves unfinished exercises out: 2/3).
    assert!((r.score_over_expected.unwrap() - 0.5).abs() < 1e-12);
}

fn grid_run(model: &str, scaffold: &str, skill: usize) -> RunData {
    let mut r = k1_run(&format!("runs/{model}-{scaffold}"), scaffold, skill, 60);
    r.manifest.model = Some(ModelInfo {
        id: model.into(),
        provider: "local".into(),
        endpoint: String::new(),
        sampling: Default::default(),
    });
    r
}

#[test]
fn matrix_of_two_models_and_two_scaffolds() {
    let runs = vec![
        grid_run("model-big", "scaffold-x", 8),
        grid_run("model-big", "scaffold-y", 6),
        grid_run("model-small", "scaffold-x", 4),
        grid_run("model-small", "scaffold-y", 3),
    ];
    let m = matrix(&runs, 0.05, 500, 1).unwrap();
    assert_eq!(m.shared_tasks, 60);
    assert_eq!(m.cells.len(), 4);
    // Effects sum to zero around the grand mean.
    let sum: f64 = m.model_effects.iter().map(|e| e.effect).sum();
    assert!(sum.abs() < 1e-12);
    assert!(
        m.model_effects
            .iter()
            .find(|e| e.name == "model-big")
            .unwrap()
            .effect
            > 0.0
    );
    assert_eq!(m.swaps.len(), 2);
    assert_eq!(m.pairs.len(), 6);
    assert!(m.pairs.iter().all(|p| p.p_holm >= p.p));
    assert_eq!(m.leaderboard[0].model, "model-big");
    // Seeded: the same figures every time.
    assert_eq!(
        render_matrix(&m),
        render_matrix(&matrix(&runs, 0.05, 500, 1).unwrap())
    );
    insta::assert_snapshot!(render_matrix(&m));
}

#[test]
fn freshness_splits_tasks_at_the_cutoff() {
    let mut data = k1_run("runs/a", "a", 6, 30);
    let mut dates = std::collections::HashMap::new();
    for (i, t) in data.trials.iter_mut().enumerate() {
        if i < 20 {
            t.task_created_at = Some(format!("2024-0{}-15T00:00:00Z", 1 + i % 9));
        } else if i < 28 {
            dates.insert(t.task_id.clone(), "2025-03-01".to_string());
        }
    }
    let f = freshness(&data.trials, "2024-06-01", &dates);
    let before = f.before.as_ref().unwrap();
    let after = f.after.as_ref().unwrap();
    assert_eq!(f.undated_tasks, 2);
    assert_eq!(before.tasks + after.tasks, 28);
    // Months 1..5 fall before June; 6..9 and the 2025 dates after.
    assert_eq!(before.tasks, (0..20).filter(|i| 1 + i % 9 < 6).count());
    let want = tribench_stats::newcombe_diff(
        after.successes as u64,
        after.tasks as u64,
        before.successes as u64,
        before.tasks as u64,
        0.95,
    );
    assert!((f.diff.unwrap() - want.estimate).abs() < 1e-12);
    assert!((f.diff_low.unwrap() - want.low).abs() < 1e-12);
    let mut r = build_report(&data);
    r.freshness = Some(f);
    assert!(render_table(&r).contains("freshness  cutoff 2024-06-01"));
    let jsonl = "{\"instance_id\": \"x__y-1\", \"created_at\": \"2023-01-01T00:00:00Z\"}\n{\"instance_id\": \"x__y-2\", \"created_at\": \"2025-01-01\"}\n";
    assert_eq!(task_dates_from(jsonl).unwrap().len(), 2);
}

#[test]
fn the_html_report_is_self_contained_and_draws_every_chart() {
    let mut a = grid_run("model-big", "scaffold-x", 8);
    let mut b = grid_run("model-small", "scaffold-x", 4);
    for t in &mut b.trials {
        t.usage.cost_usd = 0.0;
    }
    let models: ModelsFile = toml::from_str(
        "[[model]]\nid = \"model-big\"\nactive_params_b = 30\n\n\
         [[model]]\nid = \"model-small\"\nactive_params_b = 3\nprice_input_per_mtok = 0.1\nprice_output_per_mtok = 0.2\n",
    )
    .unwrap();
    assert!(models.for_run(&a).is_some());
    let small = models.for_run(&b).cloned().unwrap();
    // The trial whose sandbox never started used no tokens: its zero cost is known already.
    assert_eq!(price_trials(&mut b, &small), 59);
    assert!(b
        .trials
        .iter()
        .all(|t| t.usage.cost_known() && (t.usage.cost_usd > 0.0) == (t.usage.prompt_tokens > 0)));
    a.dir = PathBuf::from("runs/<a>");
    let html = render_html(&[
        (build_report(&a), models.for_run(&a).cloned()),
        (build_report(&b), models.for_run(&b).cloned()),
    ]);
    assert!(html.starts_with("<!doctype html>"));
    assert!(
        html.contains("Score against cost") && html.contains("Score against active parameters")
    );
    assert!(
        html.matches("<svg").count() >= 5,
        "overview, two scatters, one group chart per run"
    );
    assert!(html.contains("<polyline"), "the Pareto frontier is drawn");
    assert!(
        !html.contains("runs/<a>") && html.contains("runs/&lt;a&gt;"),
        "text is escaped"
    );
    let without_ns = html.replace("http://www.w3.org/2000/svg", "");
    assert!(
        !without_ns.contains("http") && !html.contains("<script"),
        "no external resources or scripts"
    );
}
mod output;

#[test]
fn runs_on_different_revisions_of_a_registry_dataset_are_flagged() {
    let pin = |revision: &str| DatasetPin {
        name: "swe-bench-verified".into(),
        version: "1.0".into(),
        source: "huggingface:acme/bench".into(),
        revision: revision.into(),
        checksum: "c".into(),
        verified: true,
    };
    let mut a = manifest("verified", 10, 1, "oracle");
    let mut b = manifest("verified", 10, 1, "oracle");
    a.datasets[0].pin = Some(pin("1111111111111111111111111111111111111111"));
    b.datasets[0].pin = Some(pin("2222222222222222222222222222222222222222"));
    let d = manifest_differences(&a, &b);
    let rev = d
        .iter()
        .find(|d| d.field == "dataset verified revision")
        .unwrap();
    assert!(rev.blocking);
    assert!(rev.a.starts_with("1111") && rev.b.starts_with("2222"));
    b.datasets[0].pin = a.datasets[0].pin.clone();
    assert!(manifest_differences(&a, &b).is_empty());
    // One pulled by name, one a local folder: named, not blocking.
    b.datasets[0].pin = None;
    let d = manifest_differences(&a, &b);
    assert_eq!(d.len(), 1);
    assert!(!d[0].blocking, "{d:?}");
}

/// The one line `tribench import` prints: a SWE-bench report over 10 instances listing only
/// some of them gives SWE-bench's own figure (resolved over all 10) beside the recorded one.
#[test]
fn the_import_summary_line_gives_the_figure_over_all_instances() {
    let src = tempfile::tempdir().unwrap();
    let p = swebench_report(
        src.path(),
        "m.partial",
        &["django__django-1", "django__django-2"],
        &["sympy__sympy-3"],
    );
    let out = tempfile::tempdir().unwrap();
    import::import_swebench(&p, "swe-bench-lite")
        .unwrap()
        .write(out.path())
        .unwrap();
    let line = summary_line(&build_report(&RunData::load(out.path()).unwrap()));
    assert!(line.contains("INCOMPLETE"), "{line}");
    assert!(
        line.contains("20.0% counting the missing ones as failures"),
        "{line}"
    );
}
