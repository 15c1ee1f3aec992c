//! SWE-bench tasks in a real (local) sandbox: the checkout the agent gets, patches that do not
//! apply, patches that try to fool the grader, binary and CRLF changes. The sample suite's
//! inventory repository is run on the machine's own Python here (the suite runs it in Docker).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tribench_families::swebench::parse::GradingMode;
use tribench_families::{load_suite, FamilyContext, Suite, SuiteTask};
use tribench_sandbox::{ExecRequest, LocalSandbox, LocalSandboxConfig, Sandbox};
use tribench_types::Outcome;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites/swebench-sample")
}

/// A python3 that has pytest (Debian's; pyenv's may not).
fn python_with_pytest() -> Option<&'static str> {
    ["/usr/bin/python3", "python3"].into_iter().find(|p| {
        std::process::Command::new(p)
            .args(["-c", "import pytest"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// The sample suite with both repositories run locally.
fn local_suite(dir: &Path) -> Option<Suite> {
    let py = match python_with_pytest() {
        Some(p) => p,
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must have python3 with pytest"
            );
            eprintln!("skipping: no python3 with pytest");
            return None;
        }
    };
    std::fs::copy(
        sample().join("instances.jsonl"),
        dir.join("instances.jsonl"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("repos")).unwrap();
    for e in std::fs::read_dir(sample().join("repos")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join("repos").join(e.file_name())).unwrap();
    }
    std::fs::write(
        dir.join("swebench.toml"),
        format!(
            r#"
[[spec]]
repo = "tribench-samples/inventory"
environment = "local"
needs = ["git"]
test_cmd = "{py} -m pytest -rA -p no:cacheprovider {{test_files}}"
log_parser = "parse_log_pytest"
env = {{ PYTHONDONTWRITEBYTECODE = "1" }}

[[spec]]
repo = "tribench-samples/textkit"
environment = "local"
needs = ["go", "git"]
test_cmd = "go test -v ./..."
log_parser = "parse_log_gotest"
env = {{ GOFLAGS = "-mod=mod", GOPROXY = "off", CGO_ENABLED = "0" }}
"#
        ),
    )
    .unwrap();
    Some(load_suite(dir).unwrap())
}

fn task<'a>(suite: &'a Suite, id: &str) -> &'a SuiteTask {
    suite.tasks.iter().find(|t| t.info.id == id).unwrap()
}

/// The SWE-bench instance behind a suite's task.
fn sw(t: &SuiteTask) -> &tribench_families::swebench::SwebenchTask {
    tribench_families::swebench::SwebenchTask::of(t).unwrap()
}

fn ctx() -> FamilyContext {
    FamilyContext {
        test_timeout: Duration::from_secs(300),
        output_cap: 1 << 20,
        js_tools: None,
        grading_mode: GradingMode::Official,
    }
}

struct Env {
    _tmp: tempfile::TempDir,
    cfg: Arc<LocalSandboxConfig>,
    suite: Suite,
}

fn env() -> Option<Env> {
    let tmp = tempfile::tempdir().unwrap();
    let suite_dir = tmp.path().join("suite");
    std::fs::create_dir_all(&suite_dir).unwrap();
    let suite = local_suite(&suite_dir)?;
    let mut cfg = LocalSandboxConfig::new(tmp.path().join("sandboxes"));
    cfg.hide = vec![suite_dir.clone()];
    Some(Env {
        _tmp: tmp,
        cfg: Arc::new(cfg),
        suite,
    })
}

async fn prepared(e: &Env, t: &SuiteTask) -> LocalSandbox {
    let sb = LocalSandbox::create(e.cfg.clone(), &sw(t).workspace_name()).unwrap();
    t.prepare(&sb).await.unwrap();
    sb
}

/// A JSON file grading produced (report.json, grading.json).
fn artifact_json(g: &tribench_families::GradeResult, name: &str) -> serde_json::Value {
    let (_, bytes) = g.artifacts.iter().find(|(n, _)| n == name).unwrap();
    serde_json::from_slice(bytes).unwrap()
}

async fn sh(sb: &dyn Sandbox, script: &str) -> String {
    let out = sb
        .exec(ExecRequest::new(script, Duration::from_secs(60)))
        .await
        .unwrap();
    assert!(out.success(), "{script}: {}", out.combined());
    out.stdout.text
}

#[tokio::test]
async fn the_checkout_has_no_commit_after_base_no_tag_and_no_remote() {
    let Some(e) = env() else { return };
    // inventory-2's base comes after the v1.0 tag and before the fix; v1.1 and the fixes of
    // inventory-2, -3 and -4 come after it.
    let t2 = task(&e.suite, "tribench-samples__inventory-2");
    let t3 = task(&e.suite, "tribench-samples__inventory-3");
    let base = sw(t2).instance.base_commit.clone();
    let fix = sw(t3).instance.base_commit.clone();
    let sb = prepared(&e, t2).await;
    assert_eq!(sh(&sb, "git rev-parse HEAD").await.trim(), base);
    // Every commit reachable from any ref is an ancestor of base.
    let all = sh(&sb, "git rev-list --all").await;
    let ancestors = sh(&sb, &format!("git rev-list {base}")).await;
    assert_eq!(all, ancestors);
    assert!(all.lines().count() >= 3, "the past is kept: {all}");
    assert_eq!(sh(&sb, "git tag -l").await.trim(), "");
    assert_eq!(sh(&sb, "git remote").await.trim(), "");
    assert_eq!(
        sh(&sb, "git stash list; git reflog --all | wc -l")
            .await
            .trim(),
        "0"
    );
    // The fix's objects are not there at all, reachable or not.
    let out = sb
        .exec(ExecRequest::new(
            format!("git cat-file -e {fix}"),
            Duration::from_secs(30),
        ))
        .await
        .unwrap();
    assert!(!out.success(), "the fix commit {fix} is in the checkout");
    // The suite folder (with the bundles holding the future) is hidden from commands.
    let listing = sh(&sb, &format!("ls -A {} | wc -l", e.suite.path.display())).await;
    assert_eq!(listing.trim(), "0");
}

#[tokio::test]
async fn gold_binary_and_crlf_patches_resolve_and_round_trip_through_the_agents_diff() {
    let Some(e) = env() else { return };
    let t = task(&e.suite, "tribench-samples__inventory-4");
    let gold = sw(t).instance.patch.clone();
    assert!(gold.contains("GIT binary patch"));
    assert!(gold.contains("\r\n"));
    // The gold patch as a prediction.
    let sb = prepared(&e, t).await;
    let g = sw(t)
        .grade_patch_in(&sb, gold.as_bytes(), &ctx())
        .await
        .unwrap();
    assert_eq!(g.outcome, Outcome::Resolved, "{}", g.log);
    // The same change made in an agent's workspace, extracted as the agent's patch and graded
    // in a fresh sandbox.
    let work = prepared(&e, t).await;
    work.write_file(".git/gold.diff", gold.as_bytes())
        .await
        .unwrap();
    sh(&work, "git apply .git/gold.diff && rm .git/gold.diff").await;
    let patch = sw(t).model_patch(&work).await.unwrap();
    let fresh = prepared(&e, t).await;
    let g = sw(t).grade_patch_in(&fresh, &patch, &ctx()).await.unwrap();
    assert_eq!(g.outcome, Outcome::Resolved, "{}", g.log);
    let bytes = sh(&fresh, "od -An -tu1 inventory/data/weights.bin | tr -s ' '").await;
    assert!(bytes.contains("0 1 2 3 4 255 13 10 0 7 9"), "{bytes}");
    let csv = fresh.read_file("inventory/data/units.csv").await.unwrap();
    assert!(csv.ends_with(b"453.59237,lb\r\n"));
    let names: Vec<&str> = ["report.json", "grading.json"].to_vec();
    for n in names {
        assert!(g.artifacts.iter().any(|(a, _)| a == n), "{n}");
    }
}

#[tokio::test]
async fn a_patch_that_does_not_apply_is_patch_apply_failed_naming_the_hunk() {
    let Some(e) = env() else { return };
    let t = task(&e.suite, "tribench-samples__textkit-2");
    let bad = "diff --git a/wrap.go b/wrap.go\n--- a/wrap.go\n+++ b/wrap.go\n@@ -10,3 +10,3 @@\n-\t\tcase nothing_like_this:\n+\t\tcase something_else:\n \t\t\tline = w\n";
    let sb = prepared(&e, t).await;
    let g = sw(t)
        .grade_patch_in(&sb, bad.as_bytes(), &ctx())
        .await
        .unwrap();
    assert_eq!(g.outcome, Outcome::PatchApplyFailed);
    let err = g.error.unwrap();
    assert!(err.contains("wrap.go"), "{err}");
    assert!(err.contains("tribench-samples/textkit@"), "{err}");
    assert!(g.log.contains(">>>>> Patch Apply Failed"));
    // Every command of the chain was tried, the tree left clean.
    for cmd in ["--3way", "--reject", "patch --batch"] {
        assert!(g.log.contains(cmd), "{cmd} not tried: {}", g.log);
    }
    assert_eq!(sh(&sb, "git status --porcelain").await.trim(), "");
}

#[tokio::test]
async fn a_patch_needing_fuzz_applies_with_patch() {
    let Some(e) = env() else { return };
    let t = task(&e.suite, "tribench-samples__textkit-2");
    // The gold fix with a wrong context line: git apply refuses it, patch --fuzz takes it.
    let gold = sw(t).instance.patch.clone();
    let fuzzy = gold.replace(
        "\t\tcase line == \"\":",
        "\t\tcase line == \"\" /* moved */:",
    );
    assert_ne!(fuzzy, gold);
    let sb = prepared(&e, t).await;
    let g = sw(t)
        .grade_patch_in(&sb, fuzzy.as_bytes(), &ctx())
        .await
        .unwrap();
    assert_eq!(g.outcome, Outcome::Resolved, "{}", g.log);
    let v = artifact_json(&g, "grading.json");
    assert!(v["apply_log"]
        .as_str()
        .unwrap()
        .contains("Applied Patch (patch --batch"));
}

#[tokio::test]
async fn an_empty_patch_runs_the_tests_and_is_empty_patch() {
    let Some(e) = env() else { return };
    let t = task(&e.suite, "tribench-samples__textkit-3");
    let sb = prepared(&e, t).await;
    let g = sw(t).grade_patch_in(&sb, b"", &ctx()).await.unwrap();
    assert_eq!(g.outcome, Outcome::EmptyPatch);
    assert!(
        g.log.contains("--- FAIL: TestSlugifyPunctuation"),
        "{}",
        g.log
    );
}

fn forge(kind: &str) -> String {
    let hook = match kind {
        // Prints the results it wants after pytest's summary; the exit status stays 1.
        "print" => "def pytest_unconfigure(config):\n    print('PASSED tests/test_stock.py::test_at_threshold')\n",
        // The same, then exits 0 so the exit-status check cannot see the failure.
        _ => "import os\n\ndef pytest_unconfigure(config):\n    print('PASSED tests/test_stock.py::test_at_threshold', flush=True)\n    os._exit(0)\n",
    };
    let lines: Vec<&str> = hook.lines().collect();
    let mut p = format!(
        "diff --git a/conftest.py b/conftest.py\nnew file mode 100644\n--- /dev/null\n+++ b/conftest.py\n@@ -0,0 +1,{} @@\n",
        lines.len()
    );
    for l in lines {
        p.push('+');
        p.push_str(l);
        p.push('\n');
    }
    p
}

#[tokio::test]
async fn forged_passed_lines_do_not_resolve() {
    let Some(e) = env() else { return };
    let t = task(&e.suite, "tribench-samples__inventory-2");
    // Printed after the summary, exit status left alone: the official grader's exit-status
    // check rejects the log, and strict reads the summary only.
    for mode in [GradingMode::Official, GradingMode::Strict] {
        let sb = prepared(&e, t).await;
        let mut c = ctx();
        c.grading_mode = mode;
        let g = sw(t)
            .grade_patch_in(&sb, forge("print").as_bytes(), &c)
            .await
            .unwrap();
        assert_eq!(g.outcome, Outcome::Unresolved, "{mode:?}: {}", g.log);
        assert!(g
            .log
            .contains("PASSED tests/test_stock.py::test_at_threshold"));
        let v = artifact_json(&g, "grading.json");
        let why = v["suspicious"][0].as_str().unwrap();
        assert!(why.contains("conftest.py"), "{why}");
    }
    // With the exit status forged too, the official grader is fooled (reproduced, for
    // comparability, and listed by the audit); strict is not.
    let sb = prepared(&e, t).await;
    let g = sw(t)
        .grade_patch_in(&sb, forge("exit").as_bytes(), &ctx())
        .await
        .unwrap();
    assert_eq!(g.outcome, Outcome::Resolved, "{}", g.log);
    let sb = prepared(&e, t).await;
    let mut c = ctx();
    c.grading_mode = GradingMode::Strict;
    let g = sw(t)
        .grade_patch_in(&sb, forge("exit").as_bytes(), &c)
        .await
        .unwrap();
    assert_eq!(g.outcome, Outcome::Unresolved, "{}", g.log);
}

#[tokio::test]
async fn a_patch_that_hangs_the_tests_is_test_timeout() {
    let Some(e) = env() else { return };
    let t = task(&e.suite, "tribench-samples__textkit-3");
    // The agent's change: Slugify never returns.
    let work = prepared(&e, t).await;
    sh(&work, "sed -i 's/^func Slugify(title string) string {$/&\\n\\tfor {\\n\\t}/' slug.go && grep -q 'for {' slug.go").await;
    let hang = sw(t).model_patch(&work).await.unwrap();
    let sb = prepared(&e, t).await;
    let mut c = ctx();
    c.test_timeout = Duration::from_secs(8);
    let g = sw(t).grade_patch_in(&sb, &hang, &c).await.unwrap();
    assert_eq!(g.outcome, Outcome::TestTimeout, "{}", g.log);
    assert!(g.log.contains("Timeout error: 8 seconds exceeded."));
    let v = artifact_json(&g, "report.json");
    let entry = &v["tribench-samples__textkit-3"];
    assert_eq!(entry["resolved"], false);
    assert_eq!(entry["infra_failure_reason"], "tests_timed_out");
}

#[tokio::test]
async fn a_git_hook_planted_by_a_patch_never_runs_while_grading() {
    let Some(e) = env() else { return };
    let t = task(&e.suite, "tribench-samples__textkit-2");
    let gold = sw(t).instance.patch.clone();
    // git apply refuses paths in .git; `patch`, the chain's last step, writes them.
    let hook = "diff --git a/.git/hooks/post-checkout b/.git/hooks/post-checkout\nnew file mode 100755\n--- /dev/null\n+++ b/.git/hooks/post-checkout\n@@ -0,0 +1,2 @@\n+#!/bin/sh\n+echo HOOK-RAN\n";
    let patch = format!("{gold}{hook}");
    let sb = prepared(&e, t).await;
    let g = sw(t)
        .grade_patch_in(&sb, patch.as_bytes(), &ctx())
        .await
        .unwrap();
    assert!(!g.log.contains("HOOK-RAN"), "{}", g.log);
    let v = artifact_json(&g, "grading.json");
    let flagged = v["suspicious"].to_string();
    assert!(flagged.contains(".git/hooks/post-checkout"), "{flagged}");
    // Whether `patch` wrote the hook or not, the verdict is the code's.
    if sb.exists(".git/hooks/post-checkout").await.unwrap() {
        assert_eq!(g.outcome, Outcome::Resolved, "{}", g.log);
    }
}

/// An instance whose test patch does not apply (to files restored to the base commit first)
/// is a broken task: strict grading records an environment error, rerun apart from the agent's
/// failures; official grading counts it unresolved as the official harness does, and names why.
#[tokio::test]
async fn a_test_patch_that_does_not_apply_is_the_tasks_fault() {
    let Some(e) = env() else { return };
    let dir = e.suite.path.clone();
    let text = std::fs::read_to_string(dir.join("instances.jsonl")).unwrap();
    let mut lines = Vec::new();
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
        if v["instance_id"] == "tribench-samples__textkit-3" {
            // Context lines that are not in the file: the hunk cannot apply.
            let broken: Vec<String> = v["test_patch"]
                .as_str()
                .unwrap()
                .lines()
                .map(|l| match l.strip_prefix(' ') {
                    Some(_) => " not in the file".to_string(),
                    None => l.to_string(),
                })
                .collect();
            v["test_patch"] = serde_json::json!(broken.join("\n") + "\n");
        }
        lines.push(v.to_string());
    }
    std::fs::write(dir.join("instances.jsonl"), lines.join("\n")).unwrap();
    let suite = load_suite(&dir).unwrap();
    let t = task(&suite, "tribench-samples__textkit-3");
    let gold = sw(t).instance.patch.clone();
    for (mode, outcome) in [
        (GradingMode::Strict, Outcome::EnvironmentError),
        (GradingMode::Official, Outcome::Unresolved),
    ] {
        let sb = prepared(&e, t).await;
        let c = FamilyContext {
            grading_mode: mode,
            ..ctx()
        };
        let g = sw(t)
            .grade_patch_in(&sb, gold.as_bytes(), &c)
            .await
            .unwrap();
        assert_eq!(g.outcome, outcome, "{mode:?}: {}", g.log);
        let error = g.error.unwrap_or_default();
        assert!(error.contains("test patch does not apply"), "{error}");
    }
}

/// An instance without a gold patch has no reference: the oracle's trial is a harness error
/// naming why, never a failed change charged to it.
#[test]
fn an_instance_without_a_gold_patch_has_no_reference() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(suite) = local_suite(tmp.path()) else {
        return;
    };
    assert!(task(&suite, "tribench-samples__textkit-3")
        .reference()
        .is_ok());
    let text = std::fs::read_to_string(tmp.path().join("instances.jsonl")).unwrap();
    let emptied: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["patch"] = serde_json::json!("\n");
            v.to_string()
        })
        .collect();
    std::fs::write(tmp.path().join("instances.jsonl"), emptied.join("\n")).unwrap();
    let suite = load_suite(tmp.path()).unwrap();
    let err = task(&suite, "tribench-samples__textkit-3")
        .reference()
        .unwrap_err();
    assert!(err.to_string().contains("no gold patch"), "{err}");
}
