//! Resolving `NAME[@VERSION]` to a folder in the cache: a complete copy is used as it is;
//! otherwise (unless offline) the source is pulled into a partial folder, checked, and renamed
//! into place with its pin file.

use crate::cache::{cache_root, Slot};
use crate::fetch::{download, sha256_file};
use crate::git::{checkout, tree_checksum};
use crate::registry::{Entry, Registry, Source};
use crate::DatasetError;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Component, Path, PathBuf};
use tribench_types::DatasetPin;

/// How datasets are found and fetched.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The cache folder (default: [`cache_root`]).
    pub cache: Option<PathBuf>,
    /// Never download: only complete copies in the cache are used.
    pub offline: bool,
    /// Hugging Face endpoint URL (default: `$HF_ENDPOINT`).
    pub hf_endpoint: Option<String>,
}

/// A dataset ready to load; as JSON (`datasets pull --json`), its folder as `path`, the
/// suite, the pin and whether it was downloaded (fields in that JSON's key order).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Pulled {
    #[serde(skip)]
    pub entry: Entry,
    /// False when the cache already held it.
    pub downloaded: bool,
    /// The dataset's folder in the cache.
    #[serde(rename = "path")]
    pub dir: PathBuf,
    pub pin: DatasetPin,
    /// What to load as the suite (the folder, or the file the entry names).
    pub suite: PathBuf,
}

impl Pulled {
    /// Two lines for a person: what, where, whether pulled now, the revision and the checksum.
    pub fn describe(&self) -> String {
        let trust = if self.pin.verified {
            "verified"
        } else {
            "unverified: trusted on first pull, recorded"
        };
        format!(
            "dataset {}@{} ({}) {} at {}\n  revision {}, sha256 {} ({trust})",
            self.entry.name,
            self.entry.version,
            self.pin.source,
            if self.downloaded { "pulled" } else { "cached" },
            self.dir.display(),
            self.pin.revision,
            self.pin.checksum,
        )
    }
}

/// The cached copy of `spec`, pulled first when it is missing (and `offline` is not set).
pub async fn resolve(reg: &Registry, spec: &str, opts: &Options) -> Result<Pulled, DatasetError> {
    let entry = reg.find(spec)?.clone();
    let root = opts.cache.clone().unwrap_or_else(cache_root);
    let slot = Slot::new(&root, &entry.name, &entry.version);
    let complete = |slot: &Slot| slot.pin().filter(|p| still_pinned(&entry, p));
    if let Some(pin) = complete(&slot) {
        return Ok(ready(entry, &slot, pin, false));
    }
    if opts.offline {
        return Err(DatasetError::Offline {
            name: entry.name.clone(),
            version: entry.version.clone(),
            path: slot.dir.clone(),
        });
    }
    // One pull per version at a time, across processes (shards on one machine): whoever
    // waited finds the copy the other made.
    let _lock = slot.lock().await?;
    if let Some(pin) = complete(&slot) {
        return Ok(ready(entry, &slot, pin, false));
    }
    let pin = pull_into(&entry, &slot, opts).await?;
    Ok(ready(entry, &slot, pin, true))
}

/// The dataset in `slot`, complete with `pin`.
fn ready(entry: Entry, slot: &Slot, pin: DatasetPin, downloaded: bool) -> Pulled {
    Pulled {
        suite: match &entry.suite {
            Some(s) => slot.dir.join(s),
            None => slot.dir.clone(),
        },
        dir: slot.dir.clone(),
        entry,
        pin,
        downloaded,
    }
}

/// The pin of the complete cached copy of an entry, if there is one.
pub fn cached(entry: &Entry, opts: &Options) -> Option<DatasetPin> {
    let root = opts.cache.clone().unwrap_or_else(cache_root);
    Slot::new(&root, &entry.name, &entry.version)
        .pin()
        .filter(|p| still_pinned(entry, p))
}

/// Like [`resolve`], downloading whatever is missing even when `opts.offline` is set.
pub async fn pull(reg: &Registry, spec: &str, opts: &Options) -> Result<Pulled, DatasetError> {
    let opts = Options {
        offline: false,
        ..opts.clone()
    };
    resolve(reg, spec, &opts).await
}

fn is_commit_id(s: &str) -> bool {
    s.len() == 40 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// Whether a cached copy is still what the registry entry pins (a registry edit may move it).
fn still_pinned(entry: &Entry, pin: &DatasetPin) -> bool {
    let rev = entry.revision();
    if is_commit_id(rev) && !rev.eq_ignore_ascii_case(&pin.revision) {
        return false;
    }
    if let Some(sum) = &entry.checksum {
        if !matches!(entry.source, Source::Huggingface { .. })
            && !sum.eq_ignore_ascii_case(&pin.checksum)
        {
            return false;
        }
    }
    pin.source == entry.source_label()
}

/// A relative path from a registry that stays inside the folder it is joined to.
fn inside(base: &Path, rel: &str) -> Result<PathBuf, DatasetError> {
    let p = Path::new(rel);
    if rel.is_empty() || p.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(DatasetError::Registry {
            path: "registry".into(),
            message: format!("path {rel:?} must be relative and stay inside the dataset"),
        });
    }
    Ok(base.join(p))
}

async fn pull_into(entry: &Entry, slot: &Slot, opts: &Options) -> Result<DatasetPin, DatasetError> {
    let (revision, checksum, pinned) = match &entry.source {
        Source::Huggingface {
            repo,
            revision,
            files,
            repo_url,
        } => {
            let endpoint = opts
                .hf_endpoint
                .clone()
                .or_else(|| std::env::var("HF_ENDPOINT").ok())
                .filter(|e| !e.trim().is_empty())
                .ok_or_else(|| DatasetError::NoEndpoint {
                    name: entry.name.clone(),
                })?;
            let endpoint = endpoint.trim_end_matches('/');
            let token = std::env::var("HF_TOKEN").ok().filter(|t| !t.is_empty());
            let client =
                reqwest::Client::builder()
                    .build()
                    .map_err(|e| DatasetError::Download {
                        url: endpoint.to_string(),
                        message: e.to_string(),
                    })?;
            // A branch is resolved once, then every file comes from that commit, so a branch
            // moving mid-pull cannot mix two revisions.
            let mut commit = match is_commit_id(revision) {
                true => Some(revision.clone()),
                false => match files.first() {
                    Some(f) => {
                        let url =
                            format!("{endpoint}/datasets/{repo}/resolve/{revision}/{}", f.path);
                        head_commit(&url, token.as_deref()).await?
                    }
                    None => None,
                },
            };
            let at = commit.clone().unwrap_or_else(|| revision.clone());
            // What a cut-off pull left was fetched at some commit: kept only for the same one.
            let marker = slot.partial.join(".revision");
            if std::fs::read_to_string(&marker).is_ok_and(|r| r != at) {
                let _ = std::fs::remove_dir_all(&slot.partial);
            }
            std::fs::create_dir_all(&slot.partial).map_err(DatasetError::io(&slot.partial))?;
            std::fs::write(&marker, &at).map_err(DatasetError::io(&marker))?;
            let mut sums = Vec::new();
            for f in files {
                let dest = inside(&slot.partial, &f.path)?;
                let url = format!("{endpoint}/datasets/{repo}/resolve/{at}/{}", f.path);
                // A file a cut-off pull finished is kept; it is checked again like a new one.
                let sum = match dest.is_file() {
                    true => Some(sha256_file(&dest)?),
                    false => None,
                };
                let sum = match (sum, &f.sha256) {
                    (Some(s), Some(exp)) if !s.eq_ignore_ascii_case(exp) => {
                        let _ = std::fs::remove_file(&dest);
                        None
                    }
                    (s, _) => s,
                };
                let sum = match sum {
                    Some(s) => s,
                    None => {
                        let got =
                            download(&client, &url, token.as_deref(), &dest, f.sha256.as_deref())
                                .await?;
                        commit = commit.or(got.commit);
                        got.sha256
                    }
                };
                sums.push((f.path.clone(), sum));
            }
            let mut h = Sha256::new();
            for (p, s) in &sums {
                h.update(p.as_bytes());
                h.update([0]);
                h.update(s.as_bytes());
                h.update([0]);
            }
            let checksum = hex::encode(h.finalize());
            let _ = std::fs::remove_file(&marker);
            if let Some(template) = repo_url {
                if entry.family == "swebench" {
                    let suite = entry.suite.as_deref().unwrap_or(".");
                    let dir = inside(&slot.partial, suite)
                        .ok()
                        .and_then(|p| p.parent().map(Path::to_path_buf))
                        .unwrap_or_else(|| slot.partial.clone());
                    add_repo_url(&dir.join("swebench.toml"), template)?;
                }
            }
            let resolved = if is_commit_id(revision) {
                revision.clone()
            } else {
                commit.unwrap_or_else(|| revision.clone())
            };
            (resolved, checksum, files.iter().all(|f| f.sha256.is_some()))
        }
        Source::Git {
            url,
            revision,
            paths,
        } => {
            // A checkout cannot resume: start it afresh.
            let _ = std::fs::remove_dir_all(&slot.partial);
            let commit = checkout(url, revision, paths, &slot.partial)?;
            let sum = tree_checksum(&slot.partial)?;
            (commit, sum, entry.checksum.is_some())
        }
        Source::Harbor {
            url,
            revision,
            registry_path,
            dataset,
            dataset_version,
        } => {
            let _ = std::fs::remove_dir_all(&slot.partial);
            let name = dataset.as_deref().unwrap_or(&entry.name);
            let version = dataset_version.as_deref().unwrap_or(&entry.version);
            let commit = harbor(url, revision, registry_path, name, version, &slot.partial)?;
            let sum = tree_checksum(&slot.partial)?;
            (commit, sum, entry.checksum.is_some())
        }
    };
    let expected = match &entry.source {
        Source::Huggingface { .. } => None,
        _ => entry.checksum.clone(),
    };
    let what = match (&expected, slot.trusted_checksum(entry.revision())) {
        (Some(exp), _) => Some((exp.clone(), format!("{}@{}", entry.name, entry.version))),
        (None, Some(trusted)) => Some((
            trusted,
            format!(
                "{}@{} (the checksum trusted at its first pull: the source changed since; remove {} to trust the new content)",
                entry.name,
                entry.version,
                slot.trusted.display()
            ),
        )),
        (None, None) => None,
    };
    if let Some((exp, what)) = what {
        if !exp.eq_ignore_ascii_case(&checksum) {
            let _ = std::fs::remove_dir_all(&slot.partial);
            return Err(DatasetError::ChecksumMismatch {
                what,
                expected: exp,
                actual: checksum,
            });
        }
    }
    let pin = DatasetPin {
        name: entry.name.clone(),
        version: entry.version.clone(),
        source: entry.source_label(),
        revision,
        checksum,
        verified: pinned,
    };
    let pin_path = slot.partial.join(DatasetPin::FILE);
    let text = serde_json::to_string_pretty(&pin).map_err(|e| DatasetError::Io {
        path: pin_path.clone(),
        source: std::io::Error::other(e),
    })?;
    std::fs::write(&pin_path, text).map_err(DatasetError::io(&pin_path))?;
    if !pinned {
        slot.trust(entry.revision(), &pin.checksum)?;
    }
    publish(&slot.partial, &slot.dir)?;
    Ok(pin)
}

/// The commit a Hugging Face revision resolves to: the `X-Repo-Commit` header of a HEAD
/// request for one of its files, redirects not followed (the header is on the first answer).
async fn head_commit(url: &str, token: Option<&str>) -> Result<Option<String>, DatasetError> {
    let failed = |message: String| DatasetError::Download {
        url: url.to_string(),
        message,
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let mut req = client.head(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.map_err(|e| failed(e.to_string()))?;
    let status = resp.status();
    if !(status.is_success() || status.is_redirection()) {
        return Err(DatasetError::Http {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    Ok(resp
        .headers()
        .get("x-repo-commit")
        .and_then(|v| v.to_str().ok())
        .filter(|c| is_commit_id(c))
        .map(str::to_string))
}

/// Renames the finished folder into place, replacing an outdated copy.
fn publish(from: &Path, to: &Path) -> Result<(), DatasetError> {
    if to.exists() {
        let old = to.with_extension(format!("old-{}", std::process::id()));
        std::fs::rename(to, &old).map_err(DatasetError::io(to))?;
        std::fs::rename(from, to).map_err(DatasetError::io(to))?;
        let _ = std::fs::remove_dir_all(&old);
        return Ok(());
    }
    std::fs::rename(from, to).map_err(DatasetError::io(to))
}

/// Gives a SWE-bench spec table the clone URL of repositories it has no source for: a new
/// `swebench.toml` with only that, or one line put first in a shipped one that lacks it.
fn add_repo_url(path: &Path, template: &str) -> Result<(), DatasetError> {
    let line = format!("repo_url = {}\n", toml::Value::String(template.to_string()));
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let has = old
        .lines()
        .any(|l| l.trim_start().starts_with("repo_url") && l.contains('='));
    if has {
        return Ok(());
    }
    std::fs::write(path, format!("{line}{old}")).map_err(DatasetError::io(path))
}

/// One dataset of a Harbor registry.json.
#[derive(Deserialize)]
struct HarborDataset {
    name: String,
    version: String,
    #[serde(default)]
    tasks: Vec<HarborTask>,
}

#[derive(Deserialize)]
struct HarborTask {
    name: String,
    git_url: String,
    #[serde(default)]
    git_commit_id: Option<String>,
    path: String,
}

/// Pulls the tasks of `name`@`version` from the Harbor registry at `url`@`revision` into
/// `dest/<task name>/`; returns the registry's commit.
fn harbor(
    url: &str,
    revision: &str,
    registry_path: &str,
    name: &str,
    version: &str,
    dest: &Path,
) -> Result<String, DatasetError> {
    let work = dest.join(".work");
    let reg_dir = work.join("registry");
    let commit = checkout(url, revision, &[registry_path.to_string()], &reg_dir)?;
    let reg_file = inside(&reg_dir, registry_path)?;
    let text = std::fs::read_to_string(&reg_file).map_err(DatasetError::io(&reg_file))?;
    let all: Vec<HarborDataset> = serde_json::from_str(&text)
        .map_err(|e| DatasetError::Harbor(format!("{registry_path} at {url}@{commit}: {e}")))?;
    let Some(ds) = all.iter().find(|d| d.name == name && d.version == version) else {
        let known: Vec<String> = all
            .iter()
            .map(|d| format!("{}@{}", d.name, d.version))
            .collect();
        return Err(DatasetError::Harbor(format!(
            "no dataset {name}@{version} in {registry_path} at {url}@{commit}; it lists {}",
            known.join(", ")
        )));
    };
    if ds.tasks.is_empty() {
        return Err(DatasetError::Harbor(format!(
            "{name}@{version} lists no tasks"
        )));
    }
    // One sparse checkout per (repository, commit), holding the paths of its tasks.
    let mut groups: std::collections::BTreeMap<(String, String), Vec<&HarborTask>> =
        Default::default();
    for t in &ds.tasks {
        let rev = t.git_commit_id.clone().unwrap_or_else(|| "HEAD".into());
        groups.entry((t.git_url.clone(), rev)).or_default().push(t);
    }
    for (i, ((git_url, rev), tasks)) in groups.iter().enumerate() {
        let src = work.join(format!("src-{i}"));
        let paths: Vec<String> = tasks.iter().map(|t| t.path.clone()).collect();
        checkout(git_url, rev, &paths, &src)?;
        for t in tasks {
            let from = inside(&src, &t.path)?;
            if !from.is_dir() {
                return Err(DatasetError::Harbor(format!(
                    "task {}: {git_url}@{rev} has no folder {}",
                    t.name, t.path
                )));
            }
            let leaf = t.name.rsplit('/').next().unwrap_or(&t.name);
            let to = inside(dest, leaf)?;
            if to.exists() {
                return Err(DatasetError::Harbor(format!("two tasks are named {leaf}")));
            }
            std::fs::rename(&from, &to).map_err(DatasetError::io(&to))?;
        }
    }
    std::fs::remove_dir_all(&work).map_err(DatasetError::io(&work))?;
    Ok(commit)
}
