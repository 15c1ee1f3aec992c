//! Pulling datasets from real local sources: an HTTP server of the Hugging Face download layout
//! (with Range support and a cut-off transfer) and `file://` git repositories made here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use tribench_datasets::test_server::StaticServer;
use tribench_datasets::{pull, resolve, DatasetError, Options, Registry};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
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
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Writes the files and commits them; returns the commit id.
fn commit(repo: &Path, files: &[(&str, &str)]) -> String {
    if !repo.join(".git").exists() {
        std::fs::create_dir_all(repo).unwrap();
        git(repo, &["init", "--quiet", "-b", "main"]);
    }
    for (p, text) in files {
        let p = repo.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "--quiet", "-m", "c"]);
    git(repo, &["rev-parse", "HEAD"])
}

fn url(p: &Path) -> String {
    format!("file://{}", p.display())
}

fn registry(text: &str) -> Registry {
    Registry::parse(text, "test registry").unwrap()
}

/// A Hugging Face dataset repository `acme/bench` served by a local server.
async fn hf_source(tmp: &Path, data: &[u8]) -> StaticServer {
    let repo = tmp.join("hf/acme/bench/data");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(repo.join("test-00000-of-00001.parquet"), data).unwrap();
    std::fs::write(repo.join("swebench.toml"), "[[spec]]\nrepo = \"acme/w\"\nenvironment = \"local\"\ntest_cmd = \"true\"\nlog_parser = \"parse_log_pytest\"\n").unwrap();
    StaticServer::start(tmp.join("hf"), COMMIT).await.unwrap()
}

fn hf_entry(parquet_sha: &str, toml_sha: Option<&str>) -> String {
    let toml_sha = toml_sha
        .map(|s| format!(", sha256 = \"{s}\""))
        .unwrap_or_default();
    format!(
        r#"[[dataset]]
name = "bench"
version = "1"
family = "swebench"
source = "huggingface"
repo = "acme/bench"
revision = "main"
files = [{{ path = "data/test-00000-of-00001.parquet", sha256 = "{parquet_sha}" }}, {{ path = "data/swebench.toml"{toml_sha} }}]
suite = "data/test-00000-of-00001.parquet"
repo_url = "file:///mirrors/{{repo}}.git"
"#
    )
}

fn opts(cache: &Path, server: &StaticServer) -> Options {
    Options {
        cache: Some(cache.to_path_buf()),
        offline: false,
        hf_endpoint: Some(server.endpoint.clone()),
    }
}

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

#[tokio::test]
async fn a_hugging_face_pull_is_verified_pinned_and_then_a_cache_hit() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = data(5000);
    let server = hf_source(tmp.path(), &bytes).await;
    let reg = registry(&hf_entry(&sha256(&bytes), None));
    let cache = tmp.path().join("cache");
    let p = pull(&reg, "bench@1", &opts(&cache, &server)).await.unwrap();
    assert!(p.downloaded);
    assert_eq!(p.dir, cache.join("datasets/bench/1"));
    assert_eq!(p.suite, p.dir.join("data/test-00000-of-00001.parquet"));
    assert_eq!(std::fs::read(&p.suite).unwrap(), bytes);
    // The branch resolved to the commit the server named; one file had no sha256 (trusted).
    assert_eq!(p.pin.revision, COMMIT);
    assert_eq!(p.pin.source, "huggingface:acme/bench");
    assert!(!p.pin.verified);
    // The branch is resolved once (HEAD), then every file is fetched at that commit.
    let seen = server.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(seen[0].method, "HEAD");
    assert_eq!(
        seen[0].path,
        "/datasets/acme/bench/resolve/main/data/test-00000-of-00001.parquet"
    );
    assert_eq!(
        server.gets()[0].path,
        format!("/datasets/acme/bench/resolve/{COMMIT}/data/test-00000-of-00001.parquet")
    );
    // The spec table learns where repositories come from, its own rows kept.
    let spec = std::fs::read_to_string(p.dir.join("data/swebench.toml")).unwrap();
    assert!(
        spec.starts_with("repo_url = \"file:///mirrors/{repo}.git\"\n"),
        "{spec}"
    );
    assert!(spec.contains("[[spec]]"));
    let pin_file: tribench_datasets::DatasetPin = serde_json::from_str(
        &std::fs::read_to_string(p.dir.join(".tribench-dataset.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(pin_file, p.pin);

    // Again: from the cache, no request, offline or not.
    let again = resolve(
        &reg,
        "bench",
        &Options {
            offline: true,
            ..opts(&cache, &server)
        },
    )
    .await
    .unwrap();
    assert!(!again.downloaded);
    assert_eq!(again.pin, p.pin);
    assert_eq!(server.seen().len(), 3);

    // Fully pinned: verified.
    let toml_sha =
        sha256(&std::fs::read(tmp.path().join("hf/acme/bench/data/swebench.toml")).unwrap());
    let reg = registry(&hf_entry(&sha256(&bytes), Some(&toml_sha)));
    let cache2 = tmp.path().join("cache2");
    let p = pull(&reg, "bench@1", &opts(&cache2, &server))
        .await
        .unwrap();
    assert!(p.pin.verified);
}

#[tokio::test]
async fn a_checksum_mismatch_is_a_clear_error_and_adds_nothing_to_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = data(3000);
    let server = hf_source(tmp.path(), &bytes).await;
    let wrong = sha256(b"something else");
    let reg = registry(&hf_entry(&wrong, None));
    let cache = tmp.path().join("cache");
    let e = pull(&reg, "bench", &opts(&cache, &server))
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, DatasetError::ChecksumMismatch { .. }), "{msg}");
    assert!(
        msg.contains(&wrong) && msg.contains(&sha256(&bytes)),
        "{msg}"
    );
    assert!(!cache.join("datasets/bench/1").exists());
    let partial = cache.join("datasets/bench/.partial-1/data");
    assert!(!partial.join("test-00000-of-00001.parquet").exists());
    assert!(!partial.join("test-00000-of-00001.parquet.part").exists());
}

#[tokio::test]
async fn offline_never_downloads_and_names_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = data(100);
    let server = hf_source(tmp.path(), &bytes).await;
    let reg = registry(&hf_entry(&sha256(&bytes), None));
    let cache = tmp.path().join("cache");
    let e = resolve(
        &reg,
        "bench@1",
        &Options {
            offline: true,
            ..opts(&cache, &server)
        },
    )
    .await
    .unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, DatasetError::Offline { .. }), "{msg}");
    assert!(
        msg.contains("bench@1") && msg.contains("tribench datasets pull bench@1"),
        "{msg}"
    );
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn a_cut_off_download_resumes_where_it_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = data(200_000);
    let server = hf_source(tmp.path(), &bytes).await;
    let reg = registry(&hf_entry(&sha256(&bytes), None));
    let cache = tmp.path().join("cache");
    server.cut_next_after(20_000);
    let e = pull(&reg, "bench", &opts(&cache, &server))
        .await
        .unwrap_err();
    assert!(matches!(e, DatasetError::Download { .. }), "{e}");
    assert!(e.to_string().contains("rerun to resume"), "{e}");
    // Nothing half-written in place; what arrived is kept aside.
    assert!(!cache.join("datasets/bench/1").exists());
    let part = cache.join("datasets/bench/.partial-1/data/test-00000-of-00001.parquet.part");
    assert_eq!(std::fs::metadata(&part).unwrap().len(), 20_000);

    let p = pull(&reg, "bench", &opts(&cache, &server)).await.unwrap();
    assert_eq!(std::fs::read(&p.suite).unwrap(), bytes);
    let seen = server.gets();
    assert_eq!(seen[0].range, None);
    assert_eq!(seen[1].range.as_deref(), Some("bytes=20000-"));
    assert!(!part.exists());
    assert!(!cache.join("datasets/bench/.partial-1").exists());
}

#[tokio::test]
async fn a_git_dataset_is_checked_out_at_its_commit_and_held_to_its_checksum() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("polyglot");
    let first = commit(
        &repo,
        &[
            (
                "python/exercises/practice/two/.docs/instructions.md",
                "v1\n",
            ),
            ("README.md", "not used\n"),
        ],
    );
    commit(
        &repo,
        &[(
            "python/exercises/practice/two/.docs/instructions.md",
            "v2\n",
        )],
    );
    let entry = |checksum: &str| {
        format!(
            "[[dataset]]\nname = \"poly\"\nversion = \"1\"\nfamily = \"polyglot\"\nsource = \"git\"\nurl = \"{}\"\nrevision = \"{first}\"\npaths = [\"python\"]\n{checksum}",
            url(&repo)
        )
    };
    let cache = tmp.path().join("cache");
    let o = Options {
        cache: Some(cache.clone()),
        ..Options::default()
    };
    let p = pull(&registry(&entry("")), "poly", &o).await.unwrap();
    assert_eq!(p.pin.revision, first);
    assert!(!p.pin.verified);
    assert_eq!(
        std::fs::read_to_string(
            p.dir
                .join("python/exercises/practice/two/.docs/instructions.md")
        )
        .unwrap(),
        "v1\n"
    );
    assert!(
        !p.dir.join("README.md").exists(),
        "sparse: only the listed paths"
    );
    assert!(!p.dir.join(".git").exists());

    // Pinned with its checksum: verified. With another: refused, the cache left as it was.
    std::fs::remove_dir_all(&p.dir).unwrap();
    let good = format!("checksum = \"{}\"\n", p.pin.checksum);
    let again = pull(&registry(&entry(&good)), "poly", &o).await.unwrap();
    assert!(again.pin.verified);
    assert_eq!(again.pin.checksum, p.pin.checksum);
    std::fs::remove_dir_all(&again.dir).unwrap();
    let bad = format!("checksum = \"{}\"\n", "0".repeat(64));
    let e = pull(&registry(&entry(&bad)), "poly", &o).await.unwrap_err();
    assert!(matches!(e, DatasetError::ChecksumMismatch { .. }), "{e}");
    assert!(!again.dir.exists());
}

#[tokio::test]
async fn a_harbor_registry_dataset_is_fetched_task_by_task_at_the_pinned_commits() {
    let tmp = tempfile::tempdir().unwrap();
    let tasks = tmp.path().join("tasks-repo");
    let task = |instr: &str| {
        vec![
            ("task.toml".to_string(), "version = \"1.0\"\n".to_string()),
            ("instruction.md".to_string(), instr.to_string()),
            ("tests/test.sh".to_string(), "exit 0\n".to_string()),
        ]
    };
    let mut files: Vec<(String, String)> = Vec::new();
    for (name, instr) in [("alpha", "a v1\n"), ("beta", "b v1\n"), ("gamma", "c v1\n")] {
        for (p, t) in task(instr) {
            files.push((format!("tasks/{name}/{p}"), t));
        }
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let c1 = commit(&tasks, &refs);
    commit(&tasks, &[("tasks/alpha/instruction.md", "a v2\n")]);
    let reg_repo = tmp.path().join("registry-repo");
    let listing = serde_json::json!([
        {"name": "tb", "version": "1.0", "description": "old", "tasks": []},
        {"name": "tb", "version": "2.0", "description": "ours", "tasks": [
            {"name": "alpha", "git_url": url(&tasks), "git_commit_id": c1, "path": "tasks/alpha"},
            {"name": "beta", "git_url": url(&tasks), "git_commit_id": c1, "path": "tasks/beta"},
        ]}
    ]);
    let reg_commit = commit(
        &reg_repo,
        &[("registry.json", &listing.to_string()), ("other.txt", "x")],
    );
    let text = format!(
        "[[dataset]]\nname = \"tb\"\nversion = \"2.0\"\nfamily = \"terminal\"\nsource = \"harbor\"\nurl = \"{}\"\nrevision = \"main\"\n",
        url(&reg_repo)
    );
    let cache = tmp.path().join("cache");
    let o = Options {
        cache: Some(cache.clone()),
        ..Options::default()
    };
    let p = pull(&registry(&text), "tb@2.0", &o).await.unwrap();
    assert_eq!(p.pin.revision, reg_commit);
    assert_eq!(p.pin.source, format!("harbor:{}", url(&reg_repo)));
    let mut names: Vec<String> = std::fs::read_dir(&p.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [".tribench-dataset.json", "alpha", "beta"]);
    assert_eq!(
        std::fs::read_to_string(p.dir.join("alpha/instruction.md")).unwrap(),
        "a v1\n",
        "the task is taken at its pinned commit, not the branch head"
    );
    assert!(p.dir.join("beta/tests/test.sh").is_file());

    // A version the registry.json does not list: named, with what it lists.
    let text = text.replace("2.0", "3.0");
    let e = pull(&registry(&text), "tb@3.0", &o).await.unwrap_err();
    assert!(e.to_string().contains("tb@1.0, tb@2.0"), "{e}");
}

#[tokio::test]
async fn a_branch_that_moved_after_the_first_pull_is_refused_until_trusted_again() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("r");
    commit(&repo, &[("python/a.txt", "one\n")]);
    let text = format!(
        "[[dataset]]\nname = \"moving\"\nversion = \"1\"\nfamily = \"polyglot\"\nsource = \"git\"\nurl = \"{}\"\nrevision = \"main\"\n",
        url(&repo)
    );
    let reg = registry(&text);
    let cache = tmp.path().join("cache");
    let o = Options {
        cache: Some(cache.clone()),
        ..Options::default()
    };
    let first = pull(&reg, "moving", &o).await.unwrap();
    assert!(!first.pin.verified);
    // Upstream moves; the copy is gone: the new content is not what was trusted.
    commit(&repo, &[("python/a.txt", "two\n")]);
    std::fs::remove_dir_all(&first.dir).unwrap();
    let e = pull(&reg, "moving", &o).await.unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, DatasetError::ChecksumMismatch { .. }), "{msg}");
    assert!(
        msg.contains("trusted at its first pull") && msg.contains(".trusted-1"),
        "{msg}"
    );
    assert!(!first.dir.exists());
    // Trusting again is explicit: remove the record.
    std::fs::remove_file(cache.join("datasets/moving/.trusted-1")).unwrap();
    let again = pull(&reg, "moving", &o).await.unwrap();
    assert_ne!(again.pin.revision, first.pin.revision);
}

#[tokio::test]
async fn two_pulls_at_once_download_once() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = data(300_000);
    let server = hf_source(tmp.path(), &bytes).await;
    let reg = registry(&hf_entry(&sha256(&bytes), None));
    let cache = tmp.path().join("cache");
    let o = opts(&cache, &server);
    let (a, b) = tokio::join!(pull(&reg, "bench", &o), pull(&reg, "bench", &o));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.pin, b.pin);
    assert_eq!(
        usize::from(a.downloaded) + usize::from(b.downloaded),
        1,
        "one pulled, the other waited and found it cached"
    );
    assert_eq!(
        server.gets().len(),
        2,
        "each file fetched once: {:?}",
        server.seen()
    );
    assert_eq!(std::fs::read(&a.suite).unwrap(), bytes);
}
