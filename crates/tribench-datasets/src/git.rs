//! Checkouts through the `git` command: a repository at one revision, optionally sparse (only
//! the given paths), without its `.git` folder; and the sha256 of a file tree.

use crate::DatasetError;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Result<String, DatasetError> {
    // No user or system config may change what is fetched (hooks, credential prompts).
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .map_err(|e| DatasetError::Git(format!("cannot run git (is it installed?): {e}")))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(DatasetError::Git(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Checks out `url` at `revision` (a commit id, branch or tag) into the empty folder `dest`,
/// only `paths` when some are given, and returns the commit id checked out.
pub(crate) fn checkout(
    url: &str,
    revision: &str,
    paths: &[String],
    dest: &Path,
) -> Result<String, DatasetError> {
    std::fs::create_dir_all(dest).map_err(DatasetError::io(dest))?;
    git(dest, &["init", "--quiet"])?;
    git(dest, &["remote", "add", "origin", url])?;
    if !paths.is_empty() {
        let mut args = vec!["sparse-checkout", "set", "--no-cone"];
        let patterns: Vec<String> = paths
            .iter()
            .map(|p| format!("/{}", p.trim_start_matches('/')))
            .collect();
        args.extend(patterns.iter().map(String::as_str));
        git(dest, &args)?;
    }
    // One commit's objects when the server hands out a revision by id or name; otherwise the
    // whole history, then the revision from it.
    let target = if git(
        dest,
        &["fetch", "--quiet", "--depth", "1", "origin", revision],
    )
    .is_ok()
    {
        "FETCH_HEAD".to_string()
    } else {
        git(
            dest,
            &[
                "fetch",
                "--quiet",
                "origin",
                "+refs/heads/*:refs/remotes/origin/*",
                "+refs/tags/*:refs/tags/*",
            ],
        )
        .map_err(|e| DatasetError::Git(format!("cannot fetch {url}: {e}")))?;
        let candidates = [revision.to_string(), format!("origin/{revision}")];
        candidates
            .into_iter()
            .find(|c| {
                git(
                    dest,
                    &[
                        "rev-parse",
                        "--verify",
                        "--quiet",
                        &format!("{c}^{{commit}}"),
                    ],
                )
                .is_ok()
            })
            .ok_or_else(|| DatasetError::Git(format!("{url} has no revision {revision}")))?
    };
    git(dest, &["checkout", "--quiet", "--detach", &target])?;
    let commit = git(dest, &["rev-parse", "HEAD"])?;
    let dot_git = dest.join(".git");
    std::fs::remove_dir_all(&dot_git).map_err(DatasetError::io(&dot_git))?;
    Ok(commit)
}

/// sha256 over a file tree: each file's relative path and contents, in path order (the pin
/// file excluded; symbolic links by their target).
pub(crate) fn tree_checksum(root: &Path) -> Result<String, DatasetError> {
    let mut files = Vec::new();
    for e in walkdir::WalkDir::new(root).sort_by_file_name() {
        let e = e.map_err(|e| DatasetError::Io {
            path: root.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let rel = e
            .path()
            .strip_prefix(root)
            .unwrap_or(e.path())
            .to_string_lossy()
            .replace('\\', "/");
        if rel.is_empty() || rel == tribench_types::DatasetPin::FILE {
            continue;
        }
        if e.file_type().is_symlink() {
            let target = std::fs::read_link(e.path()).map_err(DatasetError::io(e.path()))?;
            files.push((rel, format!("link:{}", target.display())));
        } else if e.file_type().is_file() {
            files.push((rel, crate::fetch::sha256_file(e.path())?));
        }
    }
    files.sort();
    let mut h = Sha256::new();
    for (p, sum) in files {
        h.update(p.as_bytes());
        h.update([0]);
        h.update(sum.as_bytes());
        h.update([0]);
    }
    Ok(hex::encode(h.finalize()))
}
