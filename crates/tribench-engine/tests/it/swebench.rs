//! SWE-bench through the engine with the `llm` agent: a scripted model works in the checkout,
//! its change is taken as a patch and graded in a fresh sandbox.

use super::*;
use serde_json::json;
use tribench_agents::llm::scripted::{Reply, ScriptedServer};
use tribench_agents::llm::Mode;

/// The sample suite's textkit instances (Go, run locally), in a folder of their own.
fn textkit_suite(dir: &Path) {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites/swebench-sample");
    let lines: Vec<String> = std::fs::read_to_string(sample.join("instances.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"tribench-samples/textkit\""))
        .map(str::to_string)
        .collect();
    std::fs::write(dir.join("instances.jsonl"), lines.join("\n") + "\n").unwrap();
    std::fs::create_dir_all(dir.join("repos")).unwrap();
    std::fs::copy(
        sample.join("repos/tribench-samples__textkit.bundle"),
        dir.join("repos/tribench-samples__textkit.bundle"),
    )
    .unwrap();
    let table = std::fs::read_to_string(sample.join("swebench.toml")).unwrap();
    let textkit = &table[table
        .find("[[spec]]\nrepo = \"tribench-samples/textkit\"")
        .unwrap()..];
    std::fs::write(dir.join("swebench.toml"), textkit).unwrap();
}

fn agent(server: &ScriptedServer) -> Arc<dyn Agent> {
    let mut cfg = model_at(&server.base_url, 5);
    cfg.max_retries = 1;
    llm_agent(cfg, Mode::Tools)
}

async fn run_one(
    script: Vec<Reply>,
    instance: &str,
) -> (TrialRecord, PathBuf, tempfile::TempDir, ScriptedServer) {
    let work = tempfile::tempdir().unwrap();
    let suite = work.path().join("suite");
    std::fs::create_dir_all(&suite).unwrap();
    textkit_suite(&suite);
    let server = ScriptedServer::start(script).await.unwrap();
    let dir = work.path().join("run");
    let mut s = load_suite(&suite).unwrap();
    s.tasks.retain(|t| t.info.id == instance);
    tribench_engine::run(
        vec![s],
        agent(&server),
        config(&dir),
        std::future::pending(),
    )
    .await
    .unwrap();
    let trials = trials_in(&dir);
    (trials[0].clone(), dir, work, server)
}

fn tool_outputs(server: &ScriptedServer) -> String {
    let last = server.received().last().unwrap().body["messages"].clone();
    last.as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().unwrap_or("").to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_scripted_model_fixes_an_instance_and_its_patch_is_graded_fresh() {
    let script = vec![
        Reply::tool(
            "bash",
            json!({"command": "git log --all --oneline; git tag; echo TAGS-END"}),
        ),
        Reply::tool(
            "str_replace",
            json!({"path": "wrap.go", "old_str": "len(line)+1+len(w) < width", "new_str": "len(line)+1+len(w) <= width"}),
        ),
        Reply::tool("submit", json!({})),
    ];
    let (t, dir, _w, server) = run_one(script, "tribench-samples__textkit-2").await;
    assert_eq!(t.outcome, Outcome::Resolved, "{t:?}");
    // What the model saw of git: the past, not the fix or anything after it.
    let seen = tool_outputs(&server);
    assert!(seen.contains("Truncate by runes"), "{seen}");
    assert!(!seen.contains("Allow lines of exactly"), "{seen}");
    assert!(!seen.contains("Collapse and trim"), "{seen}");
    assert!(!seen.contains("v0.3.1"), "{seen}");
    let trial = dir.join("trials").join(&t.trial_id);
    let diff = std::fs::read_to_string(trial.join("diff.patch")).unwrap();
    assert!(
        diff.contains("+\t\tcase len(line)+1+len(w) <= width:"),
        "{diff}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(trial.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["tribench-samples__textkit-2"]["resolved"], true);
    // The official files are written by the CLI; the engine's trial holds the grading record.
    let grading: serde_json::Value =
        serde_json::from_slice(&std::fs::read(trial.join("grading.json")).unwrap()).unwrap();
    assert_eq!(grading["strict"]["resolved"], true);
}

#[tokio::test]
async fn editing_the_tests_instead_of_the_code_does_not_resolve() {
    // The model deletes the test it cannot pass; grading restores the test files and applies
    // the hidden test patch, in a sandbox the model never touched.
    let script = vec![
        Reply::tool(
            "write_file",
            json!({"path": "wrap_test.go", "content": "package textkit\n"}),
        ),
        Reply::tool("bash", json!({"command": "go test ./... 2>&1 | tail -1"})),
        Reply::tool("submit", json!({})),
    ];
    let (t, dir, _w, _s) = run_one(script, "tribench-samples__textkit-2").await;
    assert_eq!(t.outcome, Outcome::Unresolved, "{t:?}");
    let grading: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("trials").join(&t.trial_id).join("grading.json")).unwrap(),
    )
    .unwrap();
    let why = grading["suspicious"][0].as_str().unwrap();
    assert!(why.starts_with("wrap_test.go"), "{why}");
}

#[tokio::test]
async fn an_agent_that_changes_nothing_is_empty_patch() {
    let (t, _d, _w, _s) = run_one(
        vec![Reply::tool("submit", json!({}))],
        "tribench-samples__textkit-3",
    )
    .await;
    assert_eq!(t.outcome, Outcome::EmptyPatch, "{t:?}");
    // The tests still ran: an empty patch that resolved would mean a broken task.
    assert!(t.tries[0]
        .tests
        .iter()
        .any(|x| x.name == "TestSlugifyPunctuation"));
}

/// An image laid out as the official ones are: the repository at /testbed with its whole
/// history (a remote, tags, the fix and later commits), HEAD at the base commit.
fn official_style_image(name: &str, base: &str) -> bool {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites/swebench-sample");
    let ctx = tempfile::tempdir().unwrap();
    let repo = ctx.path().join("repo");
    let run = |args: &[&str], dir: &Path| {
        let out = std::process::Command::new(args[0])
            .args(&args[1..])
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let bundle = sample.join("repos/tribench-samples__inventory.bundle");
    run(
        &[
            "git",
            "clone",
            "-q",
            bundle.to_str().unwrap(),
            repo.to_str().unwrap(),
        ],
        ctx.path(),
    );
    run(&["git", "fetch", "-q", "--tags", "origin"], &repo);
    run(&["git", "checkout", "-q", "-B", "main", base], &repo);
    std::fs::write(
        ctx.path().join("Dockerfile"),
        "FROM tribench/debian:bookworm\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-pytest git && rm -rf /var/lib/apt/lists/*\nCOPY repo /testbed\nWORKDIR /testbed\n",
    )
    .unwrap();
    std::process::Command::new("docker")
        .args(["build", "-q", "-t", name, "."])
        .current_dir(ctx.path())
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test]
async fn a_swebench_5_instance_runs_in_its_own_image_with_the_future_stripped() {
    if !docker_available() {
        return;
    }
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites/swebench-sample");
    let text = std::fs::read_to_string(sample.join("instances.jsonl")).unwrap();
    let all: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut inst = all
        .iter()
        .find(|v| v["instance_id"] == "tribench-samples__inventory-2")
        .unwrap()
        .clone();
    let fix = all
        .iter()
        .find(|v| v["instance_id"] == "tribench-samples__inventory-3")
        .unwrap()["base_commit"]
        .as_str()
        .unwrap()
        .to_string();
    let base = inst["base_commit"].as_str().unwrap().to_string();
    let image = "swebench/sweb.eval.x86_64.tribench-samples_1776_inventory-2:latest";
    assert!(
        official_style_image(image, &base),
        "could not build {image}"
    );
    // A swebench 5.x record: its image, eval script, parser and eval type.
    let test_patch = inst["test_patch"].as_str().unwrap().to_string();
    inst["image"] = json!(image);
    inst["log_parser"] = json!("parse_log_pytest");
    inst["eval_type"] = json!("pass_and_fail");
    inst["eval_script"] = json!(format!(
        "#!/bin/bash\nset -uxo pipefail\ncd /testbed\ngit checkout {base} tests/test_stock.py\ngit apply -v - <<'EOF_114329324912'\n{test_patch}\nEOF_114329324912\n: '>>>>> Start Test Output'\npython3 -m pytest -rA -p no:cacheprovider tests/test_stock.py\n: '>>>>> End Test Output'\ngit checkout {base} tests/test_stock.py\n"
    ));
    let work = tempfile::tempdir().unwrap();
    let suite = work.path().join("suite");
    std::fs::create_dir_all(&suite).unwrap();
    std::fs::write(suite.join("instances.jsonl"), inst.to_string() + "\n").unwrap();

    let seen = Arc::new(std::sync::Mutex::new(String::new()));
    let seen2 = seen.clone();
    let gold = inst["patch"].as_str().unwrap().to_string();
    let agent = scripted(move |_, _, sb| {
        let seen = seen2.clone();
        let gold = gold.clone();
        let fix = fix.clone();
        Box::pin(async move {
            let report = sh(
                sb,
                &format!("echo all=$(git rev-list --all | wc -l) head=$(git rev-list HEAD | wc -l) tags=$(git tag | wc -l) remotes=$(git remote | wc -l); git cat-file -e {fix} 2>/dev/null && echo HAS-FIX || echo NO-FIX"),
            )
            .await;
            *seen.lock().unwrap() = report;
            sb.write_file(".git/gold.diff", gold.as_bytes())
                .await
                .unwrap();
            sh(sb, "git apply .git/gold.diff && rm .git/gold.diff").await;
            Ok(TurnOutcome::default())
        })
    });
    let dir = work.path().join("run");
    let trials = run_with(&suite, agent, config(&dir)).await;
    assert_eq!(trials[0].outcome, Outcome::Resolved, "{:?}", trials[0]);
    let seen = seen.lock().unwrap().clone();
    let counts: Vec<&str> = seen.split_whitespace().collect();
    let all_n = counts[0].trim_start_matches("all=");
    let head_n = counts[1].trim_start_matches("head=");
    assert_eq!(all_n, head_n, "{seen}");
    assert!(
        seen.contains("tags=0") && seen.contains("remotes=0"),
        "{seen}"
    );
    assert!(seen.contains("NO-FIX"), "{seen}");
}

#[tokio::test]
async fn an_agent_that_destroys_the_repository_is_unresolved_not_an_infrastructure_error() {
    let script = vec![
        Reply::tool("bash", json!({"command": "rm -rf .git"})),
        Reply::tool("submit", json!({})),
    ];
    let (t, _d, _w, _s) = run_one(script, "tribench-samples__textkit-1").await;
    assert_eq!(t.outcome, Outcome::Unresolved, "{t:?}");
    assert_eq!(t.infra_retries, 0);
    assert!(t.error.unwrap().contains("cannot read the agent's change"));
}
