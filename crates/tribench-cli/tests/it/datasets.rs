//! Issue 16 from the command line: `datasets list` and `pull`, and `-d` on grade, run and
//! validate, against a local server of the Hugging Face download layout holding a Parquet
//! file in the published SWE-bench schema, with the repository cloned by URL from a local
//! mirror. Nothing reaches the internet.

use super::{swebench_sample, tribench};
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
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("manifest.json")).unwrap()).unwrap();
    m["datasets"][0]["pin"].clone()
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
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report_path).unwrap()).unwrap();
    assert_eq!(
        report["resolved_ids"].as_array().unwrap().len(),
        3,
        "{report}"
    );
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
