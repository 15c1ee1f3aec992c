//! Issue 16 from the command line: `datasets list` and `pull`, and `-d` on grade, run and
//! validate, against a local server of the Hugging Face download layout holding a Parquet
//! file in the published SWE-bench schema, with the repository cloned by URL from a local
//! mirror. Nothing reaches the internet.

use super::{
    docker_available, harbor_task, python_exercise, read_json, succeeded, swebench_sample,
    tribench, PASSES,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tribench_datasets::test_server::StaticServer;

const COMMIT: &str = "89abcdef0123456789abcdef0123456789abcdef";

struct Fixture {
    tmp: tempfile::TempDir,
    registry: PathBuf,
    server: StaticServer,
    _rt: tokio::runtime::Runtime,
}

impl Fixture {
    /// `textkit-bench@1`: the sample suite's Go instances as a Hugging Face dataset (Parquet and
    /// a spec table), their repository reachable only by clone URL.
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("hf/acme/textkit-bench/data");
        std::fs::create_dir_all(&data).unwrap();
        let rows: Vec<serde_json::Value> =
            std::fs::read_to_string(swebench_sample().join("instances.jsonl"))
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
                .filter(|v| v["repo"] == "tribench-samples/textkit")
                .collect();
        assert_eq!(rows.len(), 3);
        let parquet = data.join("test-00000-of-00001.parquet");
        tribench_families::swebench::instance::write_parquet(&parquet, &rows).unwrap();
        std::fs::write(
            data.join("swebench.toml"),
            "[[spec]]\nrepo = \"tribench-samples/textkit\"\nenvironment = \"local\"\nneeds = [\"go\", \"git\"]\ntest_cmd = \"go test -v ./...\"\nlog_parser = \"parse_log_gotest\"\nenv = { GOFLAGS = \"-mod=mod\", GOPROXY = \"off\", CGO_ENABLED = \"0\" }\n",
        )
        .unwrap();
        let mirrors = tmp.path().join("mirrors/tribench-samples");
        std::fs::create_dir_all(&mirrors).unwrap();
        let ok = Command::new("git")
            .args(["clone", "--quiet", "--mirror"])
            .arg(swebench_sample().join("repos/tribench-samples__textkit.bundle"))
            .arg(mirrors.join("textkit.git"))
            .status()
            .unwrap();
        assert!(ok.success());
        let sha = {
            let out = Command::new("sha256sum").arg(&parquet).output().unwrap();
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .next()
                .unwrap()
                .to_string()
        };
        let registry = tmp.path().join("private.toml");
        std::fs::write(
            &registry,
            format!(
                r#"[[dataset]]
name = "textkit-bench"
version = "1"
family = "swebench"
description = "the sample Go instances"
source = "huggingface"
repo = "acme/textkit-bench"
revision = "main"
files = [{{ path = "data/test-00000-of-00001.parquet", sha256 = "{sha}" }}, {{ path = "data/swebench.toml" }}]
suite = "data/test-00000-of-00001.parquet"
repo_url = "file://{}/mirrors/{{repo}}.git"
"#,
                tmp.path().display()
            ),
        )
        .unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let server = rt
            .block_on(StaticServer::start(tmp.path().join("hf"), COMMIT))
            .unwrap();
        Fixture {
            tmp,
            registry,
            server,
            _rt: rt,
        }
    }

    fn cache(&self) -> PathBuf {
        self.tmp.path().join("cache")
    }

    fn tribench(&self, args: &[&str]) -> Output {
        tribench()
            .args(args)
            .arg("--registry")
            .arg(&self.registry)
            .env("XDG_CACHE_HOME", self.cache())
            .env_remove("TRIBENCH_CACHE")
            .env_remove("TRIBENCH_REPOS")
            .env("HF_ENDPOINT", &self.server.endpoint)
            .output()
            .unwrap()
    }

    fn run_dir(&self, name: &str) -> String {
        self.tmp.path().join(name).display().to_string()
    }
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pin_of(run_dir: &Path) -> serde_json::Value {
    let m = read_json(&run_dir.join("manifest.json"));
    let d = &m["datasets"][0];
    // The suite is called by the dataset's name, not its cache folder or file.
    assert_eq!(d["name"], d["pin"]["name"], "{d}");
    d["pin"].clone()
}

#[test]
fn datasets_list_and_pull_work_against_local_sources() {
    let f = Fixture::new();
    let list = ok(&f.tribench(&["datasets", "list"]));
    for name in [
        "swe-bench-verified@1.0",
        "swe-bench-lite@1.0",
        "swe-bench@1.0",
        "swe-bench-multilingual@1.0",
        "swe-bench-pro@1.0",
        "terminal-bench@2.0",
        "terminal-bench-core@0.1.1",
        "aider-polyglot@1.0",
        "textkit-bench@1",
    ] {
        assert!(list.contains(name), "{name} missing from:\n{list}");
    }
    let out = f.tribench(&["datasets", "pull", "textkit-bench@1"]);
    let path = ok(&out);
    let expected = f
        .cache()
        .join("tribench/datasets/textkit-bench/1/data/test-00000-of-00001.parquet");
    assert_eq!(path.trim(), expected.display().to_string());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pulled") && err.contains(COMMIT), "{err}");
    // Again: a cache hit, no request.
    let requests = f.server.seen().len();
    let out = f.tribench(&["datasets", "pull", "textkit-bench", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(v["downloaded"], false);
    assert_eq!(v["pin"]["revision"], COMMIT);
    assert_eq!(f.server.seen().len(), requests);
    let list = ok(&f.tribench(&["datasets", "list", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&list).unwrap();
    let ours = v
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["entry"]["name"] == "textkit-bench")
        .unwrap();
    assert_eq!(ours["cached"]["revision"], COMMIT);

    // A public Hugging Face dataset without an endpoint: told what to set.
    let out = tribench()
        .args(["datasets", "pull", "swe-bench-lite"])
        .env("XDG_CACHE_HOME", f.cache())
        .env_remove("TRIBENCH_CACHE")
        .env_remove("HF_ENDPOINT")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("set HF_ENDPOINT"), "{err}");
}

#[test]
fn dash_d_resolves_on_grade_run_and_validate_and_lands_in_the_manifest() {
    let f = Fixture::new();
    // Offline with nothing cached: the missing dataset is named, nothing is fetched.
    let out = f.tribench(&["validate", "-d", "textkit-bench@1", "--offline", "--json"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("textkit-bench@1 is not in the cache")
            && err.contains("tribench datasets pull textkit-bench@1"),
        "{err}"
    );
    assert!(f.server.seen().is_empty());

    // grade pulls it (allowed), and the gold patches resolve all three instances.
    let run1 = f.run_dir("graded");
    let out = f.tribench(&[
        "grade",
        "-d",
        "textkit-bench@1",
        "--predictions",
        "gold",
        "--run-dir",
        &run1,
        "-j",
        "2",
        "--json",
    ]);
    ok(&out);
    assert!(!f.server.seen().is_empty());
    let pin = pin_of(Path::new(&run1));
    assert_eq!(pin["name"], "textkit-bench");
    assert_eq!(pin["version"], "1");
    assert_eq!(pin["source"], "huggingface:acme/textkit-bench");
    assert_eq!(pin["revision"], COMMIT);
    assert_eq!(pin["verified"], false, "the spec table has no sha256");
    assert_eq!(pin["checksum"].as_str().unwrap().len(), 64);
    let report_path = std::fs::read_dir(Path::new(&run1).join("swebench"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    let report = read_json(&report_path);
    if report["resolved_ids"].as_array().unwrap().len() != 3 {
        let trials = f.tribench(&["trials", &run1, "--json"]);
        panic!(
            "{report}\n{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&trials.stdout)
        );
    }
    // The repository came by clone URL into the local mirror cache.
    let repos: Vec<String> = std::fs::read_dir(f.cache().join("tribench/repos"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        repos
            .iter()
            .any(|r| r.starts_with("tribench-samples_textkit-") && r.ends_with(".git")),
        "{repos:?}"
    );

    // run and validate use the cached copy, offline.
    let requests = f.server.seen().len();
    let run2 = f.run_dir("oracle");
    let out = f.tribench(&[
        "run",
        "-d",
        "textkit-bench",
        "--offline",
        "--agent",
        "oracle",
        "--run-dir",
        &run2,
        "-j",
        "2",
        "--json",
        "-q",
    ]);
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(v["total"]["score"]["successes"], 3, "{v}");
    assert_eq!(pin_of(Path::new(&run2)), pin);
    let out = f.tribench(&[
        "validate",
        "-d",
        "textkit-bench",
        "--offline",
        "--json",
        "-j",
        "2",
    ]);
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(v["total"], 3);
    assert_eq!(v["broken"], 0, "{v}");
    assert_eq!(f.server.seen().len(), requests, "offline: no request");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .output()
        .unwrap();
    succeeded(&out);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `tribench <args> --registry <registry>`, its cache in `tmp/cache`.
fn with_registry(tmp: &Path, args: &[&str], registry: &Path) -> Command {
    let mut c = tribench();
    c.args(args)
        .arg("--registry")
        .arg(registry)
        .env("XDG_CACHE_HOME", tmp.join("cache"))
        .env_remove("TRIBENCH_CACHE");
    c
}

/// A registry of one git dataset `poly@1`: the polyglot repository `repo` at `revision`.
fn poly_registry(registry: &Path, repo: &Path, revision: &str, extra: &str) {
    std::fs::write(
        registry,
        format!(
            "[[dataset]]\nname = \"poly\"\nversion = \"1\"\nfamily = \"polyglot\"\nsource = \"git\"\nurl = \"file://{}\"\nrevision = \"{revision}\"\n{extra}",
            repo.display()
        ),
    )
    .unwrap();
}

/// Commits everything in `repo` (a new repository on branch main); returns the commit id.
fn commit_all(repo: &Path) -> String {
    if !repo.join(".git").exists() {
        git(repo, &["init", "--quiet", "-b", "main"]);
    }
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "--quiet", "-m", "c"]);
    git(repo, &["rev-parse", "HEAD"])
}

#[test]
fn an_aider_like_polyglot_repository_runs_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("polyglot-benchmark");
    python_exercise(&repo, "answer", PASSES);
    std::fs::write(repo.join("README.md"), "not a task\n").unwrap();
    let head = commit_all(&repo);
    let registry = tmp.path().join("r.toml");
    poly_registry(&registry, &repo, "main", "paths = [\"python\"]\n");
    let run = tmp.path().join("run");
    let out = with_registry(
        tmp.path(),
        &["run", "-d", "poly@1", "--agent", "oracle", "--json", "-q"],
        &registry,
    )
    .arg("--run-dir")
    .arg(&run)
    .output()
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(v["total"]["score"]["successes"], 1, "{v}");
    let pin = pin_of(&run);
    assert_eq!(pin["source"], format!("git:file://{}", repo.display()));
    assert_eq!(
        pin["revision"], head,
        "the branch is recorded as the commit it resolved to"
    );
    assert_eq!(pin["verified"], false);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unverified: trusted on first pull"), "{err}");
}

#[test]
fn a_harbor_registry_dataset_validates_by_name_in_docker() {
    if !docker_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let tasks = tmp.path().join("tasks-repo");
    let reward = "#!/bin/bash\nif [ -f /app/done ]; then echo 1; else echo 0; fi > /logs/verifier/reward.txt\n";
    harbor_task(
        &tasks.join("tasks"),
        "make-done",
        reward,
        "#!/bin/bash\ntouch /app/done\n",
    );
    harbor_task(
        &tasks.join("tasks"),
        "not-listed",
        reward,
        "#!/bin/bash\nexit 1\n",
    );
    let c1 = commit_all(&tasks);
    let reg_repo = tmp.path().join("registry-repo");
    std::fs::create_dir_all(&reg_repo).unwrap();
    let listing = serde_json::json!([{"name": "tb", "version": "2.0", "description": "ours", "tasks": [
        {"name": "make-done", "git_url": format!("file://{}", tasks.display()), "git_commit_id": c1, "path": "tasks/make-done"}
    ]}]);
    std::fs::write(reg_repo.join("registry.json"), listing.to_string()).unwrap();
    commit_all(&reg_repo);
    let registry = tmp.path().join("r.toml");
    std::fs::write(
        &registry,
        format!(
            "[[dataset]]\nname = \"tb\"\nversion = \"2.0\"\nfamily = \"terminal\"\nsource = \"harbor\"\nurl = \"file://{}\"\nrevision = \"main\"\n",
            reg_repo.display()
        ),
    )
    .unwrap();
    let out = with_registry(
        tmp.path(),
        &["validate", "-d", "tb@2.0", "--json"],
        &registry,
    )
    .output()
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(v["total"], 1, "only the listed task: {v}");
    assert_eq!(v["tasks"][0]["id"], "make-done");
    assert_eq!(v["broken"], 0, "{v}");
}

#[test]
fn compare_refuses_runs_on_different_revisions_of_a_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("polyglot-benchmark");
    python_exercise(&repo, "answer", PASSES);
    let first = commit_all(&repo);
    std::fs::write(
        repo.join("python/exercises/practice/answer/.docs/instructions.md"),
        "Make answer() return 42, please.\n",
    )
    .unwrap();
    let second = commit_all(&repo);
    let mut runs = Vec::new();
    for rev in [&first, &second] {
        let registry = tmp.path().join(format!("r-{rev}.toml"));
        poly_registry(&registry, &repo, rev, "");
        let run = tmp.path().join(format!("run-{rev}"));
        let out = with_registry(
            tmp.path(),
            &["run", "-d", "poly", "--agent", "oracle", "-q"],
            &registry,
        )
        .arg("--run-dir")
        .arg(&run)
        .output()
        .unwrap();
        ok(&out);
        assert_eq!(pin_of(&run)["revision"], rev.as_str());
        runs.push(run);
    }
    let out = tribench().arg("compare").args(&runs).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("dataset poly revision") && err.contains(&first) && err.contains(&second),
        "{err}"
    );
}
