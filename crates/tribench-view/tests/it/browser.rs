//! The viewer in a real browser: Debian's chromium, driven headless by playwright-core (from
//! tools/js) through `tests/browser/view.mjs`. Screenshots of every page are kept under
//! `target/view-screenshots/`. Skipped, loudly, only outside CI when chromium or
//! playwright-core is missing; in CI (`CI=true`) a missing browser fails the test.

use super::{fixture, workspace, WORD, XSS};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tribench_view::{export, serve, ServeOptions, Site};

fn chromium() -> Option<PathBuf> {
    let p = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    p.is_file().then_some(p)
}

fn playwright() -> Option<PathBuf> {
    let p = workspace().join("tools/js/node_modules/playwright-core");
    p.join("package.json").is_file().then_some(p)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_viewer_works_in_a_real_browser() {
    let (Some(chromium), Some(playwright)) = (chromium(), playwright()) else {
        let msg = "chromium (apt) or playwright-core (tools/js) is missing: run scripts/setup.sh";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("\n\n!!!!! SKIPPED the_viewer_works_in_a_real_browser: {msg} !!!!!\n\n");
        return;
    };
    let f = fixture();
    let shots = workspace().join("target/view-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let exported = tempfile::tempdir().unwrap();
    export(&Site::new(vec![f.runs.clone()]).unwrap(), exported.path()).unwrap();

    // A run being written: the manifest of a finished run without its end, one trial so far.
    let live_root = tempfile::tempdir().unwrap();
    let source = tribench_store::RunStore::open_for_reading(&f.runs.join("oracle")).unwrap();
    let mut manifest = source.read_manifest().unwrap().unwrap();
    manifest.ended_at = None;
    let trials = source.trials().unwrap();
    let writer =
        tribench_store::RunStore::open_for_writing(&live_root.path().join("live")).unwrap();
    writer.write_manifest(&manifest).unwrap();
    writer.record(&trials[0]).unwrap();

    let site = Site::new(vec![f.runs.clone(), live_root.path().to_path_buf()]).unwrap();
    let served = serve(site, ServeOptions::default()).await.unwrap();
    let facts = serde_json::json!({
        "base": served.url,
        "export": format!("file://{}/", exported.path().display()),
        "llm": "llm", "oracle": "oracle", "live": "live",
        "marked": f.marked_trial, "word": WORD,
    });
    let mut child = Command::new("node")
        .arg(workspace().join("crates/tribench-view/tests/browser/view.mjs"))
        .env("PLAYWRIGHT_CORE", &playwright)
        .env("CHROMIUM", &chromium)
        .env("SHOTS", &shots)
        .env("TB_FACTS", facts.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node");
    let mut stdin = child.stdin.take().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen: HashMap<String, Value> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = rx.recv_timeout(left) else {
            break;
        };
        if line.starts_with("LIVE-READY") {
            // The browser shows the run; a trial finishes now.
            writer.record(&trials[1]).unwrap();
            writeln!(stdin, "go").unwrap();
            continue;
        }
        if let Ok(v) = serde_json::from_str::<Value>(&line) {
            if let Some(k) = v["check"].as_str() {
                seen.insert(k.to_string(), v["value"].clone());
            }
        }
    }
    let status = poll_exit(&mut child, deadline);
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
    }
    assert_eq!(
        status,
        Some(true),
        "the browser script failed:\n{stderr}\nseen: {seen:#?}"
    );
    served.task.abort();

    let get = |k: &str| seen.get(k).cloned().unwrap_or(Value::Null);
    let strs = |k: &str| -> Vec<String> {
        get(k)
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x.as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    eprintln!("observed: {seen:#?}");
    assert_eq!(strs("runs"), ["llm", "oracle", "live"]);
    // llm solved half, the others everything: ascending puts llm first, descending last.
    assert_eq!(strs("sorted_up")[0], "llm");
    assert_eq!(strs("sorted_down")[2], "llm");
    assert_eq!(strs("run_all"), ["python+one.a1", "python+two.a1"]);
    // Scores, outcomes, time and tokens; no cost chart: the scripted model has no prices.
    assert_eq!(get("charts").as_u64(), Some(4), "{seen:#?}");
    assert_eq!(strs("failures"), ["python+two.a1"]);
    assert_eq!(strs("searched"), [f.marked_trial.as_str()]);
    assert_eq!(get("steps"), "2");
    assert_eq!(
        strs("diff_added"),
        ["+    return 42"],
        "the agent's change, highlighted as added lines"
    );
    let tests = get("tests");
    assert_eq!(tests.as_array().map(Vec::len), Some(2), "{tests}");
    assert!(tests.to_string().contains("passed"));
    assert!(get("first_message").as_str().unwrap().contains(XSS));
    assert_eq!(get("injected"), 0, "no element came out of model text");
    // Two tasks cannot settle anything.
    assert_eq!(get("verdict"), "inconclusive");
    assert_eq!(get("first_row")["cls"], "discordant");
    assert_eq!(get("first_row")["task"], "python/two");
    assert_eq!(strs("sides"), ["unresolved", "resolved"]);
    assert_eq!(strs("export_runs"), ["llm", "oracle"]);
    assert_eq!(strs("export_searched"), [f.marked_trial.as_str()]);
    assert_eq!(get("export_steps"), "2");
    assert!(get("export_first_message").as_str().unwrap().contains(XSS));
    assert!(get("export_url").as_str().unwrap().starts_with("file://"));
    assert_eq!(get("live_before"), "1");
    assert_eq!(get("live_after"), "2");
    // The terminal's figures: the score so far with its interval (two of two resolved).
    assert!(
        get("live_summary")
            .as_str()
            .unwrap()
            .starts_with("score 100.0% [34.2, 100.0]"),
        "{seen:#?}"
    );
    assert_eq!(strs("live_rows"), ["python+one.a1", "python+two.a1"]);
    assert_eq!(get("dialogs"), serde_json::json!([]), "a script ran");
    assert_eq!(get("errors"), serde_json::json!([]), "page errors");
    for name in [
        "runs",
        "run-failures",
        "run-search",
        "trial",
        "compare",
        "compare-task",
        "export-trial",
        "live",
    ] {
        assert!(shots.join(format!("{name}.png")).is_file(), "{name}.png");
    }
}

fn poll_exit(child: &mut std::process::Child, deadline: Instant) -> Option<bool> {
    loop {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s.success());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
