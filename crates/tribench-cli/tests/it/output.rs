//! What a person sees from the real binary: progress off a terminal and on one, a resume command
//! that resumes, trial lists and trajectories, imports, and validation summaries.

use super::*;

fn three_exercises() -> tempfile::TempDir {
    // The oracle cannot pass gamma: its test wants something else.
    python_suite(&[("alpha", PASSES), ("beta", PASSES), ("gamma", FAILS)])
}

fn run_suite(suite: &Path, run_dir: &Path, extra: &[&str]) -> std::process::Output {
    run_cmd(suite, run_dir)
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn off_a_terminal_each_trial_is_a_line_and_quiet_silences_them() {
    let suite = three_exercises();
    let work = tempfile::tempdir().unwrap();
    let out = run_suite(suite.path(), &work.path().join("run"), &["-j", "1"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with('[')).collect();
    assert_eq!(lines.len(), 3, "{err}");
    for (i, name) in ["alpha", "beta", "gamma"].iter().enumerate() {
        let l = lines
            .iter()
            .find(|l| l.contains(&format!("python/{name} ")))
            .unwrap();
        assert!(l.contains(" attempt 1 "), "{l}");
        let outcome = if *name == "gamma" {
            "unresolved"
        } else {
            "resolved"
        };
        assert!(l.contains(&format!(" {outcome} ")), "{l}");
        assert!(l.ends_with(" s"), "{l}");
        assert!(lines[i].starts_with(&format!("[{}/3]", i + 1)), "{l}");
    }
    // A summary at every 5% step: with three trials, after each.
    let summaries: Vec<&str> = err.lines().filter(|l| l.starts_with("progress ")).collect();
    assert_eq!(summaries.len(), 3, "{err}");
    assert!(summaries[2].starts_with("progress 3/3 (100%): score 66.7% ["));
    assert!(summaries[2].contains("unresolved 1"), "{}", summaries[2]);
    assert!(summaries[0].contains("ETA"), "{}", summaries[0]);

    let quiet = run_suite(suite.path(), &work.path().join("quiet"), &["--quiet"]);
    assert!(quiet.status.success());
    let err = String::from_utf8_lossy(&quiet.stderr);
    assert!(
        !err.lines()
            .any(|l| l.starts_with('[') || l.starts_with("progress ")),
        "{err}"
    );
}

/// Strips terminal escape sequences, keeping what would be drawn.
fn visible(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Runs the suite under a pseudo-terminal of `cols` columns; returns the bar frames drawn.
fn bar_frames(suite: &Path, work: &Path, cols: u32) -> (Vec<String>, String) {
    let run_dir = work.join(format!("run-{cols}"));
    let cmd = format!(
        "stty cols {cols} rows 20; {} run -s {} --run-dir {} -j 1 --json >/dev/null",
        env!("CARGO_BIN_EXE_tribench"),
        suite.display(),
        run_dir.display()
    );
    // `script` gives the command a real pseudo-terminal and records what it drew.
    let typescript = work.join(format!("typescript-{cols}"));
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &cmd])
        .arg(&typescript)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let drawn = std::fs::read_to_string(&typescript).unwrap();
    let frames = drawn
        .split(['\r', '\n'])
        .map(visible)
        .filter(|f| f.contains("/3"))
        .collect();
    (frames, drawn)
}

#[test]
fn on_a_terminal_the_bar_shows_score_and_failures_within_the_width() {
    // The failing exercise runs first, so the bar has a failure to show while it goes on.
    let suite = python_suite(&[
        ("a-fails", FAILS),
        ("b-passes", PASSES),
        ("c-passes", PASSES),
    ]);
    let work = tempfile::tempdir().unwrap();
    let (frames, drawn) = bar_frames(suite.path(), work.path(), 80);
    assert!(
        frames
            .iter()
            .any(|f| f.contains("1/3 score 0.0% [0.0, ") && f.contains("unresolved 1")),
        "{frames:#?}"
    );
    assert!(frames.iter().any(|f| f.contains("ETA")), "{frames:#?}");
    for f in &frames {
        assert!(
            f.chars().count() <= 80,
            "{} columns: {f:?}",
            f.chars().count()
        );
    }
    // No per-trial lines on a terminal: the bar replaces them.
    assert!(
        !drawn.lines().any(|l| visible(l).starts_with("[1/3]")),
        "{drawn}"
    );
    // On a narrow terminal the line is cut, never wrapped.
    let (narrow, _) = bar_frames(suite.path(), work.path(), 40);
    assert!(narrow.iter().any(|f| f.contains("score")), "{narrow:#?}");
    for f in &narrow {
        assert!(
            f.chars().count() <= 40,
            "{} columns: {f:?}",
            f.chars().count()
        );
    }
}

#[test]
fn an_interrupted_tribench_prints_a_command_that_resumes_it() {
    let work = tempfile::tempdir().unwrap();
    let child = tribench()
        .current_dir(work.path())
        .env("TRIBENCH_JOBS", "2")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let runs = work.path().join("runs");
    let run_dir = || -> Option<PathBuf> {
        std::fs::read_dir(&runs)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .next()
    };
    assert!(
        poll(Duration::from_secs(300), || run_dir()
            .is_some_and(|d| !rows(&d).is_empty())),
        "no trial was recorded"
    );
    interrupt(child.id());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let err = String::from_utf8_lossy(&out.stderr);
    let resume = err
        .lines()
        .skip_while(|l| !l.ends_with("to resume:"))
        .nth(1)
        .unwrap_or_else(|| panic!("no resume command in:\n{err}"))
        .trim()
        .to_string();
    let dir = run_dir().unwrap();
    assert!(resume.contains(" run "), "{resume}");
    assert!(
        resume.contains(&format!(
            "--run-dir {}",
            dir.strip_prefix(work.path()).unwrap().display()
        )),
        "{resume}"
    );
    let recorded = rows(&dir).len();
    let again = Command::new("sh")
        .arg("-c")
        .arg(&resume)
        .current_dir(work.path())
        .env("TRIBENCH_JOBS", "2")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{err}");
    assert!(
        err.contains(&format!("resumed: {recorded} trials were already recorded")),
        "{err}"
    );
    // The same run finished: one run directory, every trial once.
    assert_eq!(std::fs::read_dir(&runs).unwrap().count(), 1);
    let all = rows(&dir);
    let mut ids: Vec<&String> = all.iter().map(|(id, _)| id).collect();
    ids.dedup();
    assert_eq!(ids.len(), all.len());
    assert!(all.len() > recorded);
}

#[test]
fn trials_lists_and_trajectory_tells_what_the_oracle_did() {
    let suite = three_exercises();
    let work = tempfile::tempdir().unwrap();
    let run_dir = work.path().join("run");
    assert!(run_suite(suite.path(), &run_dir, &["-q"]).status.success());

    let list = tribench().arg("trials").arg(&run_dir).output().unwrap();
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(list.status.success());
    for id in ["python+alpha.a1", "python+beta.a1", "python+gamma.a1"] {
        assert!(text.contains(id), "{text}");
    }
    assert!(text.contains("3 trials"));
    let only = tribench()
        .arg("trials")
        .arg(&run_dir)
        .args(["--outcome", "unresolved", "--group", "python"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&only.stdout);
    assert!(
        text.contains("python+gamma.a1") && !text.contains("python+alpha.a1"),
        "{text}"
    );
    let bad = tribench()
        .arg("trials")
        .arg(&run_dir)
        .args(["--outcome", "solved"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("resolved, unresolved"));

    let traj = tribench()
        .arg("trajectory")
        .arg(&run_dir)
        .arg("python+gamma.a1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&traj.stdout);
    assert!(
        traj.status.success(),
        "{}",
        String::from_utf8_lossy(&traj.stderr)
    );
    assert!(
        text.contains("the oracle agent works without a model"),
        "{text}"
    );
    assert!(text.contains("    +    return 42"), "{text}");
    assert!(text.contains("try 1      unresolved"), "{text}");
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("outcome    unresolved"),
        "{text}"
    );

    let typo = tribench()
        .arg("trajectory")
        .arg(&run_dir)
        .arg("python+gama.a1")
        .output()
        .unwrap();
    assert!(!typo.status.success());
    let err = String::from_utf8_lossy(&typo.stderr);
    assert!(err.contains("did you mean python+gamma.a1"), "{err}");
}

#[test]
fn a_swebench_import_names_model_and_run_apart_and_reports_only_when_asked() {
    let src = tempfile::tempdir().unwrap();
    let report = src.path().join("org__gpt-4.1.nightly.json");
    std::fs::write(
        &report,
        serde_json::json!({
            "total_instances": 3, "submitted_instances": 3, "completed_instances": 3,
            "resolved_ids": ["a__b-1", "a__b-2"], "unresolved_ids": ["a__b-3"],
            "empty_patch_ids": [], "error_ids": [], "schema_version": 2
        })
        .to_string(),
    )
    .unwrap();
    std::fs::write(
        src.path().join("preds.jsonl"),
        "{\"instance_id\": \"a__b-1\", \"model_name_or_path\": \"org/gpt-4.1\", \"model_patch\": \"\"}\n",
    )
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = tribench()
        .args(["import", "swebench"])
        .arg(&report)
        .arg("--run-dir")
        .arg(work.path().join("imp"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("model org/gpt-4.1, run nightly: resolved 2 of 3 tasks"),
        "{text}"
    );
    assert_eq!(
        text.lines().count(),
        2,
        "a summary, not the full report:\n{text}"
    );
    let manifest = read_json(&work.path().join("imp/manifest.json"));
    assert_eq!(manifest["model"]["id"], "org/gpt-4.1");
    assert_eq!(manifest["run_id"], "nightly");

    let full = tribench()
        .args(["import", "swebench", "--report"])
        .arg(&report)
        .arg("--run-dir")
        .arg(work.path().join("imp2"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&full.stdout);
    assert!(text.contains("resolved [95% CI]"), "{text}");
    for l in text.lines() {
        assert_eq!(l, l.trim_end(), "trailing blanks in {l:?}");
    }
    // What the source never recorded is unknown, not zero, in every format.
    assert!(
        text.contains("cost       unknown") && text.contains("time       unknown"),
        "{text}"
    );
    let v = report_json(&work.path().join("imp2"));
    assert!(v["total"]["efficiency"]["cost_usd_per_trial"].is_null());
    let md = tribench()
        .args(["report", "--markdown"])
        .arg(work.path().join("imp2"))
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(
        md.contains("cost unknown") && !md.contains("$0.0000"),
        "{md}"
    );
}

#[test]
fn validate_repeat_says_how_many_repetitions_ran_and_how_many_tasks_were_flaky() {
    let suite = python_suite(&[("steady", PASSES)]);
    let out = tribench()
        .arg("validate")
        .arg(suite.path())
        .args(["--repeat", "2", "-q"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("the oracle ran 2 times on each task: 0 of 1 tasks were flaky"),
        "{text}"
    );
    let json = tribench()
        .arg("validate")
        .arg(suite.path())
        .args(["--repeat", "2", "--json", "-q"])
        .output()
        .unwrap();
    let v = stdout_json(&json);
    assert_eq!(v["repetitions"], 2);
    assert_eq!(v["flaky"], 0);
}

#[test]
fn report_wide_adds_columns_and_the_default_fits_100() {
    let suite = three_exercises();
    let work = tempfile::tempdir().unwrap();
    let run_dir = work.path().join("run");
    assert!(run_suite(suite.path(), &run_dir, &["-q"]).status.success());
    let narrow = tribench().arg("report").arg(&run_dir).output().unwrap();
    let narrow = String::from_utf8_lossy(&narrow.stdout);
    for l in narrow.lines().filter(|l| !l.starts_with("run ")) {
        assert!(l.chars().count() <= 100, "{l}");
    }
    let wide = tribench()
        .args(["report", "--wide"])
        .arg(&run_dir)
        .output()
        .unwrap();
    let wide = String::from_utf8_lossy(&wide.stdout);
    assert!(wide.contains("first try [95% CI]") && !narrow.contains("first try [95% CI]"));
}

#[test]
fn a_server_that_never_reports_tokens_gives_unknown_tokens_and_cost_not_zeros() {
    use tribench_agents::llm::scripted::Reply;
    let submit = serde_json::json!({"role": "assistant", "content": null, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "submit", "arguments": "{}"}}
    ]});
    let model = scripted(vec![Reply::Unmetered { message: submit }]);
    let suite = python_suite(&[("one", PASSES)]);
    let work = tempfile::tempdir().unwrap();
    let run_dir = work.path().join("run");
    let out = output_ok(
        llm_run_cmd(suite.path(), &run_dir, "m", &model.server.base_url)
            .args(["--tries", "1", "-q"]),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("tokens     unknown"), "{text}");
    assert!(text.contains("cost       unknown"), "{text}");
    assert!(
        !text.contains("0 in / 0 out") && !text.contains("$0.0000"),
        "{text}"
    );
    let v = report_json(&run_dir);
    assert!(v["total"]["efficiency"]["prompt_tokens_per_trial"].is_null());
    assert_eq!(v["total"]["efficiency"]["tokens_unknown_trials"], 1);
}

#[test]
fn an_aider_leaderboard_row_without_cost_prints_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    let yml = aider_leaderboard(
        tmp.path(),
        "- model: acme/one\n  edit_format: diff\n  test_cases: 225\n  pass_rate_1: 20.0\n  pass_rate_2: 30.0\n",
    );
    let out = import_aider(&yml, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let row = text.lines().find(|l| l.contains("acme/one")).unwrap();
    assert!(row.contains("unknown"), "{row}");
}
