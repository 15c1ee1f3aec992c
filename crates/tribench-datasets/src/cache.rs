//! Where pulled datasets live: `<cache>/datasets/<name>/<version>/`, complete or absent. A pull
//! builds in `<name>/.partial-<version>/` (kept when cut off, so the next pull resumes) and
//! renames it into place as its last step.

use std::path::{Path, PathBuf};
use tribench_types::DatasetPin;

/// tribench's cache folder: `$TRIBENCH_CACHE`, else `$XDG_CACHE_HOME/tribench`, else
/// `~/.cache/tribench` (the same folder the SWE-bench repository mirrors use).
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
}

impl Slot {
    pub fn new(root: &Path, name: &str, version: &str) -> Slot {
        let base = root.join("datasets").join(safe(name));
        let v = safe(version);
        Slot {
            dir: base.join(&v),
            partial: base.join(format!(".partial-{v}")),
            trusted: base.join(format!(".trusted-{v}")),
        }
    }

    /// The pin of a complete copy, if there is one.
    pub fn pin(&self) -> Option<DatasetPin> {
        let text = std::fs::read_to_string(self.dir.join(DatasetPin::FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub fn trusted_checksum(&self) -> Option<String> {
        std::fs::read_to_string(&self.trusted)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
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
