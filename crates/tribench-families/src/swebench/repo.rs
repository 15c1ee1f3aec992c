//! Repositories for SWE-bench tasks: a cached mirror per source (a local mirror or clone, a git
//! bundle shipped with a suite, or a clone URL), and per base commit a checkout that holds only
//! the history up to that commit: no later commit, no tag, no remote, no reflog. The agent
//! cannot read the fix from git because the fix's objects are not there.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use tribench_datasets::cache_root;

/// Where a repository comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RepoSource {
    /// A mirror or clone on disk, or a git bundle file; `key` identifies its content.
    Local { path: PathBuf, key: String },
    /// Anything `git clone` accepts.
    Url(String),
}

impl RepoSource {
    /// A source on disk. A bundle file is hashed once here, so a changed bundle gets a new
    /// mirror and a new suite checksum; a folder is identified by its path.
    pub fn local(path: PathBuf) -> RepoSource {
        let mut h = Sha256::new();
        h.update(path.display().to_string().as_bytes());
        if path.is_file() {
            if let Ok(bytes) = std::fs::read(&path) {
                h.update(&bytes);
            }
        }
        RepoSource::Local {
            key: hex::encode(h.finalize())[..16].to_string(),
            path,
        }
    }

    fn as_git_arg(&self) -> String {
        match self {
            RepoSource::Local { path, .. } => path.display().to_string(),
            RepoSource::Url(u) => u.clone(),
        }
    }

    /// A stable key: the local source's (see [`RepoSource::local`]), or a hash of the URL.
    pub fn key(&self) -> String {
        match self {
            RepoSource::Local { key, .. } => key.clone(),
            RepoSource::Url(u) => hex::encode(Sha256::digest(u.as_bytes()))[..16].to_string(),
        }
    }
}

fn git(dir: Option<&Path>, args: &[&str]) -> Result<String, String> {
    let mut cmd = Command::new("git");
    if let Some(d) = dir {
        cmd.arg("-C").arg(d);
    }
    // No user or system config may change what we build (hooks, templates, credential prompts).
    cmd.args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run git (is it installed?): {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn slug(repo: &str) -> String {
    repo.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One lock per cache path, so concurrent trials in this process build a mirror or checkout once.
fn path_lock(p: &Path) -> std::sync::Arc<Mutex<()>> {
    static LOCKS: OnceLock<Mutex<std::collections::HashMap<PathBuf, std::sync::Arc<Mutex<()>>>>> =
        OnceLock::new();
    let map = LOCKS.get_or_init(Default::default);
    let mut m = map.lock().unwrap_or_else(|e| e.into_inner());
    m.entry(p.to_path_buf()).or_default().clone()
}

/// Moves a finished temporary folder into place; another process may have won the race.
fn publish(tmp: &Path, dest: &Path) -> Result<(), String> {
    match std::fs::rename(tmp, dest) {
        Ok(()) => Ok(()),
        Err(_) if dest.exists() => {
            let _ = std::fs::remove_dir_all(tmp);
            Ok(())
        }
        Err(e) => Err(format!("cannot move {} into place: {e}", tmp.display())),
    }
}

fn temp_in(parent: &Path) -> Result<tempfile::TempDir, String> {
    std::fs::create_dir_all(parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    tempfile::Builder::new()
        .prefix(".tmp-")
        .tempdir_in(parent)
        .map_err(|e| format!("cannot create a folder in {}: {e}", parent.display()))
}

/// The cached bare mirror of a source, cloned on first use.
pub fn mirror(source: &RepoSource, repo: &str) -> Result<PathBuf, String> {
    let dir = cache_root()
        .join("repos")
        .join(format!("{}-{}.git", slug(repo), source.key()));
    let lock = path_lock(&dir);
    let _g = lock.lock().unwrap_or_else(|e| e.into_inner());
    if dir.join("HEAD").exists() {
        return Ok(dir);
    }
    if let RepoSource::Local { path: p, .. } = source {
        if !p.exists() {
            return Err(format!("repository source {} does not exist", p.display()));
        }
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    let tmp = temp_in(parent)?;
    let target = tmp.path().join("m.git");
    let target_s = target.display().to_string();
    git(
        None,
        &[
            "clone",
            "--quiet",
            "--mirror",
            &source.as_git_arg(),
            &target_s,
        ],
    )
    .map_err(|e| format!("cannot clone {repo} from {}: {e}", source.as_git_arg()))?;
    publish(&target, &dir)?;
    Ok(dir)
}

/// A checkout of `base_commit` holding only its history, cached; callers copy it.
pub fn checkout(source: &RepoSource, repo: &str, base_commit: &str) -> Result<PathBuf, String> {
    let mirror = mirror(source, repo)?;
    let full = git(
        Some(&mirror),
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{base_commit}^{{commit}}"),
        ],
    )
    .map_err(|_| {
        format!(
            "base commit {base_commit} is not in {repo} ({})",
            source.as_git_arg()
        )
    })?;
    let dir =
        cache_root()
            .join("checkouts")
            .join(format!("{}-{}-{}", slug(repo), &full, source.key()));
    let lock = path_lock(&dir);
    let _g = lock.lock().unwrap_or_else(|e| e.into_inner());
    if dir.join(".git/HEAD").exists() {
        return Ok(dir);
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    let tmp = temp_in(parent)?;
    let work = tmp.path().join("w");
    let mirror_s = mirror.display().to_string();
    let work_s = work.display().to_string();
    git(None, &["init", "--quiet", "--initial-branch=main", &work_s])?;
    // Only `full` and its ancestors travel: the fix, later commits and tags never arrive.
    git(
        Some(&work),
        &[
            "fetch",
            "--quiet",
            "--no-tags",
            "--upload-pack",
            "git -c uploadpack.allowAnySHA1InWant=true upload-pack",
            &mirror_s,
            &full,
        ],
    )?;
    git(Some(&work), &["update-ref", "refs/heads/main", &full])?;
    git(Some(&work), &["reset", "--quiet", "--hard", "main"])?;
    let _ = std::fs::remove_file(work.join(".git/FETCH_HEAD"));
    git(Some(&work), &["reflog", "expire", "--expire=now", "--all"])?;
    git(Some(&work), &["config", "user.name", "tribench"])?;
    git(Some(&work), &["config", "user.email", "tribench@localhost"])?;
    publish(&work, &dir)?;
    Ok(dir)
}

/// Shell that strips a repository already inside an image (official SWE-bench images) down to
/// HEAD's history: tags, remotes, other refs, stashes and reflogs go, then unreachable objects.
pub const SANITIZE_SCRIPT: &str = r#"set -e
git rev-parse --verify -q HEAD >/dev/null
head_ref=$(git symbolic-ref -q HEAD || true)
for r in $(git remote); do git remote remove "$r"; done
git for-each-ref --format='%(refname)' | while read -r ref; do
  [ "$ref" = "$head_ref" ] || git update-ref -d "$ref"
done
git reflog expire --expire=now --all
rm -f .git/FETCH_HEAD .git/ORIG_HEAD
git gc --quiet --prune=now 2>/dev/null || git prune --expire=now
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_path_safe() {
        assert_eq!(slug("owner/name"), "owner_name");
    }
}
