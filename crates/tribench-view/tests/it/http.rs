//! The server over real HTTP: escaping, path traversal, the token rule, the static export,
//! and reading a run while a writer holds it.

use super::{fixture, WORD, XSS};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::Path;
use tribench_view::{export, serve, ServeOptions, Site};

/// One raw HTTP/1.1 request (no client-side path normalisation): status and the whole reply.
fn raw_get(addr: SocketAddr, path: &str, extra_headers: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra_headers}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test(flavor = "multi_thread")]
async fn model_text_is_escaped_and_only_run_files_are_served() {
    let f = fixture();
    // A file outside the runs that a traversal would reach, and a symlink pointing at it.
    let secret = f.runs.parent().unwrap().join("secret.txt");
    std::fs::write(&secret, "SECRET-CONTENT").unwrap();
    let link = f.runs.join("llm/trials").join(&f.marked_trial).join("leak");
    let _ = std::os::unix::fs::symlink(&secret, &link);
    let site = Site::new(vec![f.runs.clone()]).unwrap();
    let served = serve(site, ServeOptions::default()).await.unwrap();
    let addr = served.addr;
    let trial = f.marked_trial.clone();
    let (status, page) = tokio::task::spawn_blocking(move || {
        raw_get(addr, &format!("/run/llm/trial/{trial}.html"), "")
    })
    .await
    .unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt; and &lt;img src=x onerror=alert(2)&gt;"
        ),
        "the reply must be escaped text: {page}"
    );
    assert!(!page.contains("<script>alert(1)") && !page.contains("<img src=x"));
    assert!(page.contains("content-security-policy: default-src 'none'; script-src 'self'"));
    let trial = f.marked_trial.clone();
    let checks = tokio::task::spawn_blocking(move || {
        let diff = format!("/run/llm/file/trials/{trial}/diff.patch");
        let mut out = vec![(diff.clone(), raw_get(addr, &diff, ""))];
        for bad in [
            "/run/llm/file/../../secret.txt".to_string(),
            "/run/llm/file/../../../secret.txt".to_string(),
            "/run/llm/file/%2e%2e/%2e%2e/secret.txt".to_string(),
            "/run/llm/file//etc/passwd".to_string(),
            "/run/llm/file/trials/../../secret.txt".to_string(),
            format!("/run/llm/file/trials/{trial}/leak"),
            "/run/../../secret.txt".to_string(),
            "/run/llm/file/trials".to_string(),
        ] {
            out.push((bad.clone(), raw_get(addr, &bad, "")));
        }
        out
    })
    .await
    .unwrap();
    let (_, (status, reply)) = &checks[0];
    assert_eq!(*status, 200, "{reply}");
    assert!(reply.to_lowercase().contains("content-type: text/plain"));
    for (path, (status, reply)) in &checks[1..] {
        assert_eq!(*status, 404, "{path}: {reply}");
        assert!(
            !reply.contains("SECRET-CONTENT") && !reply.contains("root:"),
            "{path}"
        );
    }
    // The search index holds the marked word, for the marked trial only.
    let (status, index) =
        tokio::task::spawn_blocking(move || raw_get(addr, "/run/llm/search.js", ""))
            .await
            .unwrap();
    assert_eq!(status, 200);
    assert_eq!(index.matches(WORD).count(), 1, "{index}");
    let _ = std::fs::remove_file(&link);
    served.task.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_other_than_loopback_needs_the_token() {
    let f = fixture();
    let site = Site::new(vec![f.runs.clone()]).unwrap();
    let short = serve(
        site.clone(),
        ServeOptions {
            host: IpAddr::from([0, 0, 0, 0]),
            token: Some("short".into()),
            ..ServeOptions::default()
        },
    )
    .await;
    assert!(matches!(
        short,
        Err(tribench_view::ViewError::TokenRequired(_))
    ));
    let served = serve(
        site,
        ServeOptions {
            host: IpAddr::from([0, 0, 0, 0]),
            ..ServeOptions::default()
        },
    )
    .await
    .unwrap();
    let token = served.token.clone().expect("a generated token");
    assert_eq!(token.len(), 32);
    assert!(served.url.ends_with(&format!("?token={token}")));
    // Only loopback traffic: the server listens everywhere, we talk to it on 127.0.0.1.
    let addr = SocketAddr::from(([127, 0, 0, 1], served.addr.port()));
    let replies = tokio::task::spawn_blocking(move || {
        let wrong = "0".repeat(32);
        vec![
            raw_get(addr, "/", ""),
            raw_get(addr, "/run/llm/index.html", ""),
            raw_get(addr, "/events", ""),
            raw_get(addr, &format!("/?token={wrong}"), ""),
            raw_get(
                addr,
                "/",
                &format!("Cookie: tribench_view_token={wrong}\r\n"),
            ),
            raw_get(addr, &format!("/?token={token}"), ""),
            raw_get(
                addr,
                "/run/llm/index.html",
                &format!("Cookie: tribench_view_token={token}\r\n"),
            ),
            raw_get(addr, "/", &format!("Authorization: Bearer {token}\r\n")),
        ]
    })
    .await
    .unwrap();
    for (i, (status, reply)) in replies.iter().enumerate() {
        let want = if i < 5 { 401 } else { 200 };
        assert_eq!(*status, want, "request {i}: {reply}");
    }
    assert!(
        replies[5].1.contains("tribench_view_token="),
        "{}",
        replies[5].1
    );
    assert!(replies[5].1.contains("HttpOnly"));
    served.task.abort();
}

#[test]
fn the_export_is_a_closed_set_of_pages() {
    let f = fixture();
    let site = Site::new(vec![f.runs.clone()]).unwrap();
    let out = tempfile::tempdir().unwrap();
    let done = export(&site, out.path()).unwrap();
    assert_eq!(done.runs, 2);
    assert!(done.pages >= 10 && done.files > 0, "{done:?}");
    // Every relative link and script of every page leads to a file of the export.
    let mut checked = 0;
    for entry in walk(out.path()) {
        if entry.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let html = std::fs::read_to_string(&entry).unwrap();
        for target in attr_values(&html, "href=\"").chain(attr_values(&html, "src=\"")) {
            let target = target.split('#').next().unwrap();
            if target.is_empty() || target.starts_with("http") {
                continue;
            }
            let resolved = entry.parent().unwrap().join(target);
            assert!(
                resolved.is_file(),
                "{} links to {target}, missing from the export",
                entry.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 30, "{checked}");
    let marked = std::fs::read_to_string(
        out.path()
            .join(format!("run/llm/trial/{}.html", f.marked_trial)),
    )
    .unwrap();
    assert!(marked.contains("&lt;script&gt;alert(1)") && !marked.contains(XSS));
    // The pair's comparison and the matrix of all runs are in the copy.
    let compare =
        std::fs::read_to_string(out.path().join("compare/llm~oracle/index.html")).unwrap();
    assert!(compare.contains(r#"id="heatmap""#));
    let matrix = std::fs::read_to_string(out.path().join("matrix/llm+oracle/index.html")).unwrap();
    assert!(
        matrix.contains("Matrix of 2 runs") && matrix.contains("<pre>"),
        "{matrix}"
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn attr_values<'a>(html: &'a str, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    html.split(prefix)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
}

#[test]
fn reading_a_live_run_never_blocks_or_changes_it() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live");
    let source = tribench_store::RunStore::open_for_reading(&f.runs.join("oracle")).unwrap();
    let manifest = source.read_manifest().unwrap().unwrap();
    let trials = source.trials().unwrap();
    // The writer holds the run (its lock, WAL) for the whole test, as a running engine does.
    let writer = tribench_store::RunStore::open_for_writing(&live).unwrap();
    writer.write_manifest(&manifest).unwrap();
    let site = Site::new(vec![dir.path().to_path_buf()]).unwrap();
    let before = site.progress();
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].1.recorded, 0);
    writer.record(&trials[0]).unwrap();
    assert_eq!(site.progress()[0].1.recorded, 1);
    // Pages render while the writer holds the run, and the writer keeps writing after.
    assert!(site.render("run/live/index.html").unwrap().is_some());
    writer.record(&trials[1]).unwrap();
    let p = site.progress();
    assert_eq!(
        (p[0].1.recorded, p[0].1.resolved, p[0].1.expected),
        (2, 2, 2)
    );
    // A run without a database yet is shown empty, and viewing it creates nothing.
    let fresh = dir.path().join("fresh");
    std::fs::create_dir_all(&fresh).unwrap();
    std::fs::copy(live.join("manifest.json"), fresh.join("manifest.json")).unwrap();
    assert!(site.render("run/fresh/index.html").unwrap().is_some());
    assert!(!fresh.join("trials.sqlite").exists());
}

#[test]
fn a_long_trajectory_opens_page_by_page() {
    let f = fixture();
    let source = tribench_store::RunStore::open_for_reading(&f.runs.join("llm")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let long = dir.path().join("long");
    let store = tribench_store::RunStore::open_for_writing(&long).unwrap();
    store
        .write_manifest(&source.read_manifest().unwrap().unwrap())
        .unwrap();
    let rec = source.trials().unwrap().remove(0);
    store.record(&rec).unwrap();
    let steps: Vec<serde_json::Value> = (1..=250)
        .map(|i| {
            serde_json::json!({"step": i, "turn": 1,
                "assistant": {"role": "assistant", "content": format!("thinking about marker-{i}-end")},
                "results": [{"tool": "bash", "arguments": {"command": format!("echo {i}")}, "output": "x\n".repeat(50)}]})
        })
        .collect();
    let traj =
        serde_json::json!({"format": "tribench-trajectory/1", "messages": [], "steps": steps});
    store
        .write_artifact(
            &rec.trial_id,
            "trajectory.json",
            traj.to_string().as_bytes(),
        )
        .unwrap();
    drop(store);
    let site = Site::new(vec![dir.path().to_path_buf()]).unwrap();
    let page = |name: &str| {
        site.render(&format!("run/long/trial/{name}"))
            .unwrap()
            .map(|p| String::from_utf8(p.body).unwrap())
    };
    let first = page(&format!("{}.html", rec.trial_id)).unwrap();
    assert!(first.contains(r#"<span id="step-count">250</span>"#));
    assert!(first.contains("marker-1-end") && first.contains("marker-100-end"));
    assert!(
        !first.contains("marker-101-end"),
        "page 1 holds only its 100 steps"
    );
    assert!(first.contains(&format!(r#"href="{}~p3.html""#, rec.trial_id)));
    let third = page(&format!("{}~p3.html", rec.trial_id)).unwrap();
    assert!(third.contains("marker-250-end") && !third.contains("marker-200-end"));
    assert!(page(&format!("{}~p4.html", rec.trial_id)).is_none());
    assert!(page(&format!("{}~p1.html", rec.trial_id)).is_none());
    let out = tempfile::tempdir().unwrap();
    export(&site, out.path()).unwrap();
    assert!(out
        .path()
        .join(format!("run/long/trial/{}~p3.html", rec.trial_id))
        .is_file());
}

#[test]
fn trial_pages_show_both_polyglot_tries_and_the_swebench_audit() {
    let dir = tempfile::tempdir().unwrap();
    // A polyglot task the nop agent fails twice (the second try after the feedback).
    let suite = dir.path().join("poly");
    super::python_exercise(&suite, "one", 42);
    // One SWE-bench sample instance graded on the local Go toolchain.
    let swe = dir.path().join("swe");
    std::fs::create_dir_all(&swe).unwrap();
    let sample = super::workspace().join("suites/swebench-sample");
    std::fs::copy(sample.join("swebench.toml"), swe.join("swebench.toml")).unwrap();
    std::os::unix::fs::symlink(sample.join("repos"), swe.join("repos")).unwrap();
    let line = std::fs::read_to_string(sample.join("instances.jsonl"))
        .unwrap()
        .lines()
        .find(|l| l.contains("\"tribench-samples__textkit-1\""))
        .unwrap()
        .to_string();
    std::fs::write(swe.join("instances.jsonl"), line + "\n").unwrap();
    let runs = dir.path().join("runs");
    std::thread::spawn({
        let (suite, swe, runs) = (suite.clone(), swe.clone(), runs.clone());
        move || {
            tokio::runtime::Runtime::new().unwrap().block_on(async {
                for (name, path, agent) in [
                    (
                        "nop",
                        &suite,
                        std::sync::Arc::new(tribench_agents::Nop)
                            as std::sync::Arc<dyn tribench_agents::Agent>,
                    ),
                    ("swe", &swe, std::sync::Arc::new(tribench_agents::Oracle)),
                ] {
                    let mut cfg = super::config(&runs.join(name));
                    cfg.max_tries = None;
                    let s = tribench_families::load_suite(path).unwrap();
                    tribench_engine::run(vec![s], agent, cfg, std::future::pending())
                        .await
                        .unwrap();
                }
            })
        }
    })
    .join()
    .unwrap();
    let site = Site::new(vec![runs]).unwrap();
    let page = |p: &str| String::from_utf8(site.render(p).unwrap().unwrap().body).unwrap();
    let nop = page("run/nop/trial/python+one.a1.html");
    assert!(
        nop.contains(r#"id="tests-1""#) && nop.contains(r#"id="tests-2""#),
        "{nop}"
    );
    assert!(nop.contains("try 2: "));
    let swe = page("run/swe/trial/tribench-samples__textkit-1.a1.html");
    assert!(swe.contains("Grading audit"), "{swe}");
    assert!(swe.contains("official resolved · strict resolved"), "{swe}");
    assert!(swe.contains(r#"id="swebench-lists""#), "{swe}");
    assert!(swe.contains("<td>FAIL_TO_PASS</td>"), "{swe}");
    assert!(swe.contains("<td>PASS_TO_PASS</td>"), "{swe}");
}

#[test]
fn an_export_skips_an_unreadable_run_naming_it_and_writes_the_others() {
    let f = fixture();
    let extra = tempfile::tempdir().unwrap();
    let broken = extra.path().join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("manifest.json"), "{ not json").unwrap();
    let site = Site::new(vec![f.runs.clone(), extra.path().to_path_buf()]).unwrap();
    let out = tempfile::tempdir().unwrap();
    let done = export(&site, out.path()).unwrap();
    assert_eq!(done.runs, 2, "{done:?}");
    assert_eq!(done.skipped.len(), 1, "{done:?}");
    assert!(
        done.skipped[0].starts_with("broken (") && done.skipped[0].contains("manifest.json"),
        "{done:?}"
    );
    assert!(out.path().join("run/llm/index.html").is_file());
    assert!(out.path().join("compare/llm~oracle/index.html").is_file());
    assert!(out.path().join("matrix/llm+oracle/index.html").is_file());
    assert!(!out.path().join("run/broken").exists());
    let index = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(
        index.contains("broken") && index.contains("unreadable"),
        "{index}"
    );
}
