//! Where pulled datasets live: `<cache>/datasets/<name>/<version>/`, complete or absent. A pull
//! builds in `<name>/.partial-<version>/` (kept when cut off, so the next pull resumes) and
//! renames it into place as its last step.

use std::path::{Path, PathBuf};
use tribench_types::DatasetPin;

/// tribench's cache folder: `$TRIBENCH_CACHE`, else `$XDG_CACHE_HOME/tribench`, else
/// `~/.cache/tribench`. The families keep their caches there too (SWE-bench repository mirrors,
/// polyglot packages).
pub fn cache_root() -> PathBuf {
    if let Some(p) = std::env::var_os("TRIBENCH_CACHE") {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(p).join("tribench");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".cache/tribench"),
        None => std::env::temp_dir().join("tribench-cache"),
    }
}

/// The folders of one dataset version in a cache.
pub(crate) struct Slot {
    pub dir: PathBuf,
    pub partial: PathBuf,
    /// The checksum trusted on the first pull of an entry the registry gives none for.
    pub trusted: PathBuf,
    /// Held (flock) by the one process pulling this version; others wait, then find it cached.
    pub lock: PathBuf,
}

impl Slot {
    pub fn new(root: &Path, name: &str, version: &str) -> Slot {
        let base = root.join("datasets").join(safe(name));
        let v = safe(version);
        Slot {
            dir: base.join(&v),
            partial: base.join(format!(".partial-{v}")),
            trusted: base.join(format!(".trusted-{v}")),
            lock: base.join(format!(".lock-{v}")),
        }
    }

    /// The pin of a complete copy, if there is one.
    pub fn pin(&self) -> Option<DatasetPin> {
        let text = std::fs::read_to_string(self.dir.join(DatasetPin::FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Waits for, then holds, the pull lock of this version (released when dropped).
    pub async fn lock(&self) -> Result<nix::fcntl::Flock<std::fs::File>, crate::DatasetError> {
        let path = self.lock.clone();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(crate::DatasetError::io(parent))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(crate::DatasetError::io(&path))?;
        let waited = tokio::task::spawn_blocking(move || {
            nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
                .map_err(|(_, e)| std::io::Error::from(e))
        })
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))
        .and_then(|r| r);
        waited.map_err(crate::DatasetError::io(&self.lock))
    }

    /// The checksum trusted at the first pull of `revision` (as the registry names it: a
    /// branch moving is caught, a registry moving to another revision starts a new trust).
    pub fn trusted_checksum(&self, revision: &str) -> Option<String> {
        let text = std::fs::read_to_string(&self.trusted).ok()?;
        let (rev, sum) = text.trim().split_once(' ')?;
        (rev == revision).then(|| sum.to_string())
    }

    /// Records the checksum trusted for `revision`.
    pub fn trust(&self, revision: &str, checksum: &str) -> Result<(), crate::DatasetError> {
        std::fs::write(&self.trusted, format!("{revision} {checksum}\n"))
            .map_err(crate::DatasetError::io(&self.trusted))
    }
}

/// A name usable as one path component.
fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}
