//! The registry: which datasets tribench can pull by name, where each comes from, at which
//! revision, and the checksums that hold it to what was pinned. The built-in list is
//! `registry.toml` beside this file; `--registry FILE` adds entries in the same format (an entry
//! of the same name and version replaces the built-in one).

use crate::DatasetError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The registry shipped with tribench.
const BUILTIN: &str = include_str!("registry.toml");

/// One dataset version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    pub version: String,
    /// `swebench`, `terminal` or `polyglot`.
    pub family: String,
    #[serde(default)]
    pub description: String,
    #[serde(flatten)]
    pub source: Source,
    /// sha256 of the pulled file tree (git and Harbor sources); absent means the first pull is
    /// trusted and recorded (printed as unverified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
    /// The path inside the pulled folder that is loaded as the suite (default: the folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<String>,
    /// What a user should know (e.g. why a revision is a branch and not a commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Where a dataset comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum Source {
    /// Files of a Hugging Face dataset repository.
    Huggingface {
        /// `owner/name`.
        repo: String,
        /// A commit id (pinned) or a branch (the commit it resolved to is recorded).
        revision: String,
        files: Vec<RemoteFile>,
        /// Clone URL of the task repositories, `{repo}` standing for `owner/name` (SWE-bench:
        /// where repositories come from when no local mirror is given).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        repo_url: Option<String>,
    },
    /// A git repository at a revision; `paths` limits the checkout (sparse), empty = all.
    Git {
        url: String,
        revision: String,
        #[serde(default)]
        paths: Vec<String>,
    },
    /// A Harbor registry.json in a git repository: the entry `dataset`@`dataset_version` lists
    /// tasks, each a path in a git repository at a commit.
    Harbor {
        url: String,
        revision: String,
        #[serde(default = "registry_json")]
        registry_path: String,
        /// The dataset's name in registry.json (default: this entry's name).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dataset: Option<String>,
        /// Its version in registry.json (default: this entry's version).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dataset_version: Option<String>,
    },
}

fn registry_json() -> String {
    "registry.json".into()
}

/// One file of a download source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteFile {
    /// Path in the repository (`data/test-00000-of-00001.parquet`).
    pub path: String,
    /// Its sha256; absent means trusted on first pull.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl Entry {
    /// `huggingface:owner/name`, `git:URL`, `harbor:URL`.
    pub fn source_label(&self) -> String {
        match &self.source {
            Source::Huggingface { repo, .. } => format!("huggingface:{repo}"),
            Source::Git { url, .. } => format!("git:{url}"),
            Source::Harbor { url, .. } => format!("harbor:{url}"),
        }
    }

    pub fn revision(&self) -> &str {
        match &self.source {
            Source::Huggingface { revision, .. }
            | Source::Git { revision, .. }
            | Source::Harbor { revision, .. } => revision,
        }
    }

    /// Whether everything pulled is held to a checksum the registry gives.
    pub fn fully_pinned(&self) -> bool {
        match &self.source {
            Source::Huggingface { files, .. } => files.iter().all(|f| f.sha256.is_some()),
            Source::Git { .. } | Source::Harbor { .. } => self.checksum.is_some(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[serde(default)]
    dataset: Vec<Entry>,
}

/// The known datasets, built-in first, then each added file in order.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub entries: Vec<Entry>,
}

impl Registry {
    /// The built-in registry plus the given files.
    pub fn load(extra: &[impl AsRef<Path>]) -> Result<Registry, DatasetError> {
        let mut reg = Registry::parse(BUILTIN, "built-in registry")?;
        for path in extra {
            let path = path.as_ref();
            let text = std::fs::read_to_string(path).map_err(|e| DatasetError::Registry {
                path: path.display().to_string(),
                message: format!("cannot read: {e}"),
            })?;
            let more = Registry::parse(&text, &path.display().to_string())?;
            for e in more.entries {
                reg.entries
                    .retain(|o| !(o.name == e.name && o.version == e.version));
                reg.entries.push(e);
            }
        }
        Ok(reg)
    }

    /// Reads one registry file's text.
    pub fn parse(text: &str, what: &str) -> Result<Registry, DatasetError> {
        let err = |message: String| DatasetError::Registry {
            path: what.to_string(),
            message,
        };
        let file: RegistryFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        for e in &file.dataset {
            for (field, v) in [("name", &e.name), ("version", &e.version)] {
                let ok = v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
                if !ok {
                    return Err(err(format!(
                        "dataset {:?}: {field} {v:?} must be letters, digits, '-', '_' or '.'",
                        e.name
                    )));
                }
            }
            if !["swebench", "terminal", "polyglot"].contains(&e.family.as_str()) {
                return Err(err(format!(
                    "dataset {}: family {:?} is not swebench, terminal or polyglot",
                    e.name, e.family
                )));
            }
        }
        Ok(Registry {
            entries: file.dataset,
        })
    }

    /// The entry `NAME[@VERSION]` names; without a version, the first listed of that name.
    pub fn find(&self, spec: &str) -> Result<&Entry, DatasetError> {
        let (name, version) = crate::parse_spec(spec);
        let of_name: Vec<&Entry> = self.entries.iter().filter(|e| e.name == name).collect();
        if of_name.is_empty() {
            let mut known: Vec<&str> = self.entries.iter().map(|e| e.name.as_str()).collect();
            known.dedup();
            return Err(DatasetError::UnknownDataset {
                name: name.to_string(),
                known: known.join(", "),
            });
        }
        match version {
            None => Ok(of_name[0]),
            Some(v) => of_name
                .iter()
                .find(|e| e.version == v)
                .copied()
                .ok_or_else(|| DatasetError::UnknownVersion {
                    name: name.to_string(),
                    version: v.to_string(),
                    known: of_name
                        .iter()
                        .map(|e| e.version.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_builtin_registry_parses_and_names_every_public_benchmark() {
        let reg = Registry::load(&[] as &[&Path]).unwrap();
        for name in [
            "swe-bench-verified",
            "swe-bench-lite",
            "swe-bench",
            "swe-bench-multilingual",
            "swe-bench-pro",
            "terminal-bench",
            "terminal-bench-core",
            "aider-polyglot",
        ] {
            assert!(reg.find(name).is_ok(), "{name} missing");
        }
        assert_eq!(reg.find("terminal-bench@2.0").unwrap().version, "2.0");
        assert!(matches!(
            reg.find("terminal-bench@9"),
            Err(DatasetError::UnknownVersion { .. })
        ));
        assert!(matches!(
            reg.find("nope"),
            Err(DatasetError::UnknownDataset { .. })
        ));
    }

    #[test]
    fn a_bad_name_in_a_registry_file_is_refused() {
        let text = "[[dataset]]\nname = \"../x\"\nversion = \"1\"\nfamily = \"polyglot\"\nsource = \"git\"\nurl = \"file:///x\"\nrevision = \"main\"\n";
        let e = Registry::parse(text, "r.toml").unwrap_err().to_string();
        assert!(e.contains("must be letters"), "{e}");
    }
}
