//! What people read: unknown figures printed as unknown, the report within 100 columns with
//! families over their groups, trial lists and trajectories. Snapshots make a layout change a
//! reviewed diff; temporary paths are filtered out.

use super::*;

fn filtered(f: impl FnOnce()) {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"/tmp/[^\s/]+", "<tmp>");
    s.add_filter(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "<date>");
    s.bind(f);
}

/// An imported SWE-bench run: no tokens, no costs, no times recorded.
fn imported(dir: &Path) -> RunData {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let p = swebench_report(
        &src,
        "org__model-1.5.eval",
        &["django__django-1", "django__django-2"],
        &["sympy__sympy-3"],
    );
    let out = dir.join("run");
    import::import_swebench(&p, "swe-bench-lite")
        .unwrap()
        .write(&out)
        .unwrap();
    RunData::load(&out).unwrap()
}

#[test]
fn unknown_cost_tokens_and_time_print_as_unknown_in_every_output() {
    let tmp = tempfile::tempdir().unwrap();
    let run = imported(tmp.path());
    let r = build_report(&run);
    let e = &r.total.efficiency;
    assert_eq!(e.cost_usd_per_trial, None);
    assert_eq!(e.seconds_per_trial, None);
    assert_eq!(e.prompt_tokens_per_trial, None);
    assert_eq!(r.timings.median_total_ms, None);

    let json = serde_json::to_value(&r).unwrap();
    assert!(json["total"]["efficiency"]["cost_usd_per_trial"].is_null());
    assert!(json["total"]["efficiency"]["seconds_per_trial"].is_null());
    assert!(json["timings"]["median_total_ms"].is_null());

    let table = render_table(&r);
    let wide = render_table_with(&r, RenderOptions { wide: true });
    let markdown = render_markdown(&r);
    let html = render_html(&[(r.clone(), None)]);
    for (name, text) in [
        ("table", &table),
        ("wide", &wide),
        ("markdown", &markdown),
        ("html", &html),
    ] {
        assert!(text.contains("unknown"), "{name} lacks unknown:\n{text}");
        for zero in ["$0.0000", " 0 ms", "0.0 ms", "-0", "0.0 s"] {
            assert!(!text.contains(zero), "{name} prints {zero:?}:\n{text}");
        }
    }
    let mut s = insta::Settings::clone_current();
    s.add_filter(&regex_escape(&tmp.path().display().to_string()), "<tmp>");
    s.bind(|| insta::assert_snapshot!(table));
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

#[test]
fn a_model_without_prices_has_an_unknown_cost_not_a_zero_one() {
    let mut data = k1_run("runs/a", "llm", 6, 6);
    for t in &mut data.trials {
        t.usage.cost_usd = 0.0;
    }
    let r = build_report(&data);
    assert_eq!(r.total.efficiency.cost_usd_per_trial, None);
    // The tokens are known, though.
    assert!(r.total.efficiency.prompt_tokens_per_trial.is_some());
    let table = render_table(&r);
    assert!(table.contains("cost       unknown"), "{table}");
    assert!(!table.contains("$0.0000"), "{table}");
}

#[test]
fn a_model_priced_at_nothing_costs_a_known_zero() {
    // A local model with prices of 0 in the models file: its cost is $0, not unknown.
    let mut data = k1_run("runs/a", "llm", 6, 6);
    for t in &mut data.trials {
        t.usage.cost_usd = 0.0;
        t.usage.priced = true;
    }
    let r = build_report(&data);
    assert_eq!(r.total.efficiency.cost_usd_per_trial, Some(0.0));
    assert_eq!(r.total.efficiency.cost_unknown_trials, 0);
    let table = render_table(&r);
    assert!(!table.contains("cost       unknown"), "{table}");
}

/// Two families, one with a group name far too long for the default table.
fn two_family_run() -> RunData {
    let mut data = k1_run("runs/mixed", "agent-a", 6, 9);
    for (i, t) in data.trials.iter_mut().enumerate().take(4) {
        t.family = FamilyKind::Swebench;
        t.group = if i < 2 {
            "a-very-long-organisation-name/with-an-even-longer-repository-name".into()
        } else {
            "django/django".into()
        };
    }
    data
}

#[test]
fn the_report_fits_100_columns_and_nests_groups_under_families() {
    let r = build_report(&two_family_run());
    let table = render_table(&r);
    for line in table.lines() {
        assert!(
            line.chars().count() <= 100,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    // (indent, name) of each row's first cell.
    let names: Vec<(usize, &str)> = table
        .lines()
        .filter(|l| l.starts_with('│'))
        .map(|l| {
            let cell = l.trim_start_matches('│');
            let text = cell.trim_start();
            (
                cell.len() - text.len(),
                text.split("  ").next().unwrap_or(""),
            )
        })
        .collect();
    let at = |name: &str| names.iter().position(|(_, n)| *n == name).unwrap();
    // Each family, its groups indented under it, then the total.
    let (polyglot, swebench) = (at("polyglot"), at("swebench"));
    assert!(at("go") > polyglot && at("go") < swebench, "{table}");
    assert!(at("django/django") > swebench, "{table}");
    assert!(names[at("go")].0 > names[polyglot].0, "{table}");
    let long = names
        .iter()
        .find(|(_, n)| n.starts_with("a-very-long"))
        .unwrap();
    assert!(
        long.1.ends_with('…') && long.0 == names[at("go")].0,
        "{table}"
    );
    assert_eq!(names.last().map(|n| n.1), Some("total"));
    insta::assert_snapshot!(table);

    let wide = render_table_with(&r, RenderOptions { wide: true });
    assert!(wide.contains("with-an-even-longer-repository-name"));
    assert!(wide.contains("first try [95% CI]") && wide.contains("cost/trial"));
    insta::assert_snapshot!("grouped_wide", wide);
}

#[test]
fn comparing_a_run_with_itself_never_prints_minus_zero() {
    let a = k1_run("runs/a", "agent-a", 6, 20);
    let b = k1_run("runs/b", "agent-a", 6, 20);
    let c = compare(&a, &b, &CompareOptions::default()).unwrap();
    let text = render_comparison(&c);
    assert!(!text.contains("-0.0"), "{text}");
    insta::assert_snapshot!(text);
}

/// A run on disk with an llm trial (trajectory.json) and an oracle-style trial (no trajectory).
fn run_on_disk(dir: &Path) -> RunData {
    let store = tribench_store::RunStore::open_for_writing(dir).unwrap();
    let mut m = manifest("polyglot-sample", 2, 1, "llm");
    m.run_id = "traj".into();
    store.write_manifest(&m).unwrap();

    let mut llm = trial("python/two-fer", 1, Outcome::Resolved, Some(2), 0.0123);
    let id = llm.trial_id.clone();
    let traj = json!({
        "format": "tribench-trajectory/1",
        "messages": [
            {"role": "system", "content": "You are a careful engineer."},
            {"role": "user", "content": "Make two_fer() greet.\n\nThe tests are hidden."}
        ],
        "steps": [
            {"step": 1, "turn": 1,
             "assistant": {"content": "Let me look around."},
             "results": [{"tool": "bash", "arguments": {"command": "ls -la"},
                          "output": "exit 0\ntwo_fer.py\n"}],
             "usage": {"prompt_tokens": 120, "completion_tokens": 30},
             "timing": {"model_ms": 30.4567, "tool_ms": 1234.5}},
            {"step": 2, "turn": 1,
             "assistant": {"content": ""},
             "results": [{"tool": "write_file",
                          "arguments": {"path": "two_fer.py", "content": "def two_fer(name='you'):\n    return f'One for {name}, one for me.'\n"},
                          "output": "wrote 2 lines"},
                         {"tool": "submit", "arguments": {}, "output": ""}],
             "usage": {"prompt_tokens": 200, "completion_tokens": 60},
             "timing": {"model_ms": 812.0, "tool_ms": 0.4}},
            {"step": 3, "error": "context exhausted: 40000 tokens"}
        ],
        "usage": {"steps": 2, "prompt_tokens": 320, "completion_tokens": 90, "cost_usd": 0.0123}
    });
    let traj_rel = store
        .write_artifact(&id, "trajectory.json", traj.to_string().as_bytes())
        .unwrap();
    let diff = "--- a/two_fer.py\n+++ b/two_fer.py\n@@ -1,2 +1,2 @@\n-def two_fer():\n-    pass\n+def two_fer(name='you'):\n+    return f'One for {name}, one for me.'\n";
    let diff_rel = store
        .write_artifact(&id, "diff.patch", diff.as_bytes())
        .unwrap();
    let out1 = store
        .write_artifact(
            &id,
            "test-output-1.txt",
            b"F.\nFAILED test_no_name\n1 failed, 1 passed\n",
        )
        .unwrap();
    let out2 = store
        .write_artifact(&id, "test-output-2.txt", b"..\n2 passed\n")
        .unwrap();
    llm.artifacts = vec![traj_rel, diff_rel];
    let test = |name: &str, status| TestResult {
        name: name.into(),
        status,
    };
    llm.tries = vec![
        TryRecord {
            index: 1,
            outcome: Outcome::Unresolved,
            exit_code: Some(1),
            tests: vec![
                test("test_no_name", TestStatus::Failed),
                test("test_name", TestStatus::Passed),
            ],
            test_ms: 912,
            output_artifact: Some(out1),
            reward: None,
        },
        TryRecord {
            index: 2,
            outcome: Outcome::Resolved,
            exit_code: Some(0),
            tests: vec![
                test("test_no_name", TestStatus::Passed),
                test("test_name", TestStatus::Passed),
            ],
            test_ms: 850,
            output_artifact: Some(out2),
            reward: None,
        },
    ];
    store.record(&llm).unwrap();

    let mut nop = trial("python/leap", 1, Outcome::Unresolved, None, 0.0);
    nop.usage = Usage::default();
    nop.agent = "nop".into();
    let nid = nop.trial_id.clone();
    let instr = store
        .write_artifact(
            &nid,
            "instruction.md",
            b"Say whether a year is a leap year.\n",
        )
        .unwrap();
    let empty = store.write_artifact(&nid, "diff.patch", b"").unwrap();
    nop.artifacts = vec![instr, empty];
    nop.tries = vec![TryRecord {
        index: 1,
        outcome: Outcome::Unresolved,
        exit_code: Some(1),
        tests: vec![test("test_leap", TestStatus::Failed)],
        test_ms: 30,
        output_artifact: None,
        reward: None,
    }];
    store.record(&nop).unwrap();
    RunData::load(dir).unwrap()
}

#[test]
fn trajectories_read_as_a_story_ending_in_the_outcome() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_on_disk(&tmp.path().join("run"));
    let text = render_trajectory(&run, "python+two-fer.a1").unwrap();
    assert!(text.contains("model 30.5 ms"), "{text}");
    assert!(text.contains("tools 1.2 s"), "{text}");
    assert!(text.contains("    def two_fer(name='you'):"), "{text}");
    assert!(text.contains("    two_fer.py"), "{text}");
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("outcome    resolved on try 2"), "{last}");
    filtered(|| insta::assert_snapshot!("trajectory_llm", text));

    let nop = render_trajectory(&run, "python+leap.a1").unwrap();
    assert!(nop.contains("without a model"), "{nop}");
    assert!(nop.contains("change     none"), "{nop}");
    assert!(nop.contains("Say whether a year is a leap year."), "{nop}");
    filtered(|| insta::assert_snapshot!("trajectory_nop", nop));
}

#[test]
fn a_mistyped_trial_id_suggests_the_nearest_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_on_disk(&tmp.path().join("run"));
    let e = render_trajectory(&run, "python+two-fur.a1").unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("did you mean python+two-fer.a1"), "{msg}");
    assert_eq!(nearest_trial_ids(&run, "leap", 3), vec!["python+leap.a1"]);
    assert!(nearest_trial_ids(&run, "zzzzzzzzzzzzzzzzzzzz", 3).is_empty());
}

#[test]
fn trials_list_with_outcome_tries_time_and_cost() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_on_disk(&tmp.path().join("run"));
    let all = list_trials(&run, None, None);
    assert_eq!(all.len(), 2);
    let resolved = list_trials(&run, Some(Outcome::Resolved), None);
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].tries, 2);
    assert!(list_trials(&run, None, Some("go")).is_empty());
    insta::assert_snapshot!(render_trials(&all));
}

#[test]
fn the_documented_models_file_example_parses() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/models.toml");
    let f = ModelsFile::load(&p).unwrap();
    let m = f.get("qwen3-coder-next").unwrap();
    assert_eq!(m.training_cutoff.as_deref(), Some("2025-09-30"));
    assert!(m.price_cached_per_mtok.is_some());
    assert!(f
        .get("org/local-model-7b")
        .unwrap()
        .price_input_per_mtok
        .is_none());
}

#[test]
fn a_partly_timed_run_has_an_unknown_total_and_says_what_its_medians_cover() {
    let mut data = k1_run("runs/a", "agent-a", 6, 6);
    for t in data.trials.iter_mut().take(2) {
        t.timings = Timings::default();
    }
    let r = build_report(&data);
    assert_eq!(r.total.efficiency.seconds_per_trial, None);
    assert_eq!(r.total.efficiency.time_unknown_trials, 2);
    assert_eq!(r.timings.sum_total_ms, None);
    assert_eq!(r.timings.median_total_ms, Some(5100));
    let table = render_table(&r);
    assert!(
        table.contains("time       unknown: not recorded for 2 of 6 trials"),
        "{table}"
    );
    assert!(table.contains("median of 4 timed trials 5.1 s"), "{table}");
}

#[test]
fn an_agent_programs_log_reads_as_its_commands_and_output() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let store = tribench_store::RunStore::open_for_writing(&dir).unwrap();
    store
        .write_manifest(&manifest("polyglot-sample", 1, 1, "cli:mini"))
        .unwrap();
    let mut t = trial("python/one", 1, Outcome::Unresolved, None, 0.0);
    t.usage = Usage::default();
    let log = json!({"format": "tribench-cli-agent/1", "agent": "mini", "runs": [
        {"phase": "install", "exit_code": 0, "output": "installed mini 1.0\n"},
        {"phase": "run", "command": "mini --task instruction.md", "exit_code": 1, "output": "gave up\n"}
    ]});
    t.artifacts = vec![store
        .write_artifact(&t.trial_id, "trajectory.json", log.to_string().as_bytes())
        .unwrap()];
    store.record(&t).unwrap();
    let run = RunData::load(&dir).unwrap();
    let text = render_trajectory(&run, "python+one.a1").unwrap();
    assert!(text.contains("── install (exit 0)\n"), "{text}");
    assert!(
        text.contains("── run (exit 1)\n> command\n    mini --task instruction.md\n"),
        "{text}"
    );
    assert!(text.contains("    gave up\n"), "{text}");
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("outcome    unresolved"),
        "{text}"
    );
}

/// A dataset's group name or a model's reply holding terminal control codes (clear the
/// screen, retitle the window) or a newline and a fake table border is printed as escapes: the
/// table keeps its rows and nothing reaches the terminal as a command.
#[test]
fn text_from_tasks_and_models_is_printed_never_obeyed() {
    let hostile = "evil\u{1b}[2J\u{1b}]0;owned\u{7}\nsecond line │ fake";
    let mut t = trial("python/one", 1, Outcome::Resolved, Some(1), 0.01);
    t.group = hostile.into();
    let mut u = trial("python/two", 1, Outcome::Unresolved, None, 0.01);
    u.error = Some(format!("the model said: {hostile}"));
    let data = run("/r", manifest("d", 2, 1, "a"), vec![t, u]);
    let report = build_report(&data);
    for out in [
        render_table(&report),
        render_table_with(&report, RenderOptions { wide: true }),
        render_markdown(&report),
    ] {
        assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out}");
        assert!(out.contains("evil\\u{1b}[2J"), "{out}");
        assert!(
            !out.lines()
                .any(|l| l.trim_start().starts_with("second line")),
            "a group name started a line of its own:\n{out}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let store = tribench_store::RunStore::open_for_writing(dir.path()).unwrap();
    store.write_manifest(&data.manifest).unwrap();
    for t in &data.trials {
        store.record(t).unwrap();
    }
    let loaded = RunData::load(dir.path()).unwrap();
    let text = render_trajectory(&loaded, &loaded.trials[1].trial_id).unwrap();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text}"
    );
    assert!(text.contains("the model said: evil\\u{1b}[2J"), "{text}");
}
