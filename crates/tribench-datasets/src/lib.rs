//! Datasets by name: the registry of public benchmarks tribench knows (each pinned to a source
//! and a revision), pulled into a cache under `$XDG_CACHE_HOME/tribench/datasets`, checked
//! against the registry's checksums, written atomically, and resumed when a pull was cut off.
//!
//! Sources: Hugging Face dataset repositories (files fetched from
//! `{endpoint}/datasets/{repo}/resolve/{revision}/{path}`, the endpoint from `HF_ENDPOINT`), git
//! repositories at a commit, and Harbor registries (a `registry.json` listing each task's git
//! URL, commit and path, fetched by sparse checkout).

mod cache;
mod fetch;
mod git;
mod list;
mod pull;
mod registry;
#[cfg(feature = "test-server")]
pub mod test_server;

pub use cache::cache_root;
pub use list::{list, render_list, ListRow};
pub use pull::{cached, pull, resolve, Options, Pulled};
pub use registry::{Entry, Registry, RemoteFile, Source};
pub use tribench_types::DatasetPin;

use std::path::PathBuf;

/// What can go wrong finding, pulling or checking a dataset.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("no dataset named {name:?} in the registry; known: {known}")]
    UnknownDataset { name: String, known: String },
    #[error("dataset {name} has no version {version:?}; known versions: {known}")]
    UnknownVersion {
        name: String,
        version: String,
        known: String,
    },
    #[error("registry {path}: {message}")]
    Registry { path: String, message: String },
    #[error("dataset {name} is published on Hugging Face: set HF_ENDPOINT (or pass --hf-endpoint) to the Hugging Face endpoint URL to download it")]
    NoEndpoint { name: String },
    #[error("dataset {name}@{version} is not in the cache ({path}) and --offline forbids downloading it; run `tribench datasets pull {name}@{version}` where the source is reachable")]
    Offline {
        name: String,
        version: String,
        path: PathBuf,
    },
    #[error(
        "download of {url} failed: {message} (rerun to resume from the bytes already fetched)"
    )]
    Download { url: String, message: String },
    #[error("{url}: the server answered HTTP {status}")]
    Http { url: String, status: u16 },
    #[error("checksum mismatch for {what}: expected sha256 {expected}, got {actual}; nothing was added to the cache")]
    ChecksumMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    #[error("{0}")]
    Git(String),
    #[error("harbor registry: {0}")]
    Harbor(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// What went wrong with one of several datasets asked for.
    #[error("dataset {spec}")]
    Named {
        spec: String,
        #[source]
        source: Box<DatasetError>,
    },
}

impl DatasetError {
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> DatasetError + '_ {
        move |source| DatasetError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The suites of the datasets `specs` name, each resolved to the cache (pulled first when
/// missing, unless offline); `ready` is shown each dataset as it is ready.
pub async fn resolve_suites(
    reg: &Registry,
    specs: &[String],
    opts: &Options,
    mut ready: impl FnMut(&Pulled),
) -> Result<Vec<PathBuf>, DatasetError> {
    let mut suites = Vec::with_capacity(specs.len());
    for spec in specs {
        let named = |e| DatasetError::Named {
            spec: spec.clone(),
            source: Box::new(e),
        };
        let p = resolve(reg, spec, opts).await.map_err(named)?;
        ready(&p);
        suites.push(p.suite);
    }
    Ok(suites)
}

/// `NAME` or `NAME@VERSION`.
pub fn parse_spec(spec: &str) -> (&str, Option<&str>) {
    match spec.split_once('@') {
        Some((n, v)) if !v.is_empty() => (n, Some(v)),
        Some((n, _)) => (n, None),
        None => (spec, None),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_pulled_dataset_as_json_is_its_path_suite_pin_and_whether_downloaded() {
        let pin = DatasetPin {
            name: "d".into(),
            version: "1".into(),
            source: "git:u".into(),
            revision: "abc".into(),
            checksum: "00".into(),
            verified: true,
        };
        let p = Pulled {
            entry: Entry {
                name: "d".into(),
                version: "1".into(),
                family: "polyglot".into(),
                description: String::new(),
                source: Source::Git {
                    url: "u".into(),
                    revision: "abc".into(),
                    paths: Vec::new(),
                },
                checksum: None,
                suite: None,
                note: None,
            },
            downloaded: false,
            dir: "/cache/d/1".into(),
            pin: pin.clone(),
            suite: "/cache/d/1/suite".into(),
        };
        let v = serde_json::to_value(&p).unwrap();
        let expected = serde_json::json!({
            "path": "/cache/d/1", "suite": "/cache/d/1/suite", "pin": pin, "downloaded": false
        });
        assert_eq!(v, expected);
        let text = serde_json::to_string(&p).unwrap();
        assert!(
            text.starts_with(r#"{"downloaded":false,"path":"/cache/d/1","pin":{"#),
            "{text}"
        );
    }

    #[tokio::test]
    async fn named_datasets_resolve_to_their_suites_in_order_and_errors_name_the_dataset() {
        let tmp = tempfile::tempdir().unwrap();
        let commit = "0123456789abcdef0123456789abcdef01234567";
        let text = format!(
            "[[dataset]]\nname = \"poly\"\nversion = \"1\"\nfamily = \"polyglot\"\nsource = \"git\"\nurl = \"file:///nowhere\"\nrevision = \"{commit}\"\nsuite = \"python\"\n"
        );
        let reg = Registry::parse(&text, "test registry").unwrap();
        // A complete copy in the cache: offline finds it there.
        let dir = tmp.path().join("cache/datasets/poly/1");
        std::fs::create_dir_all(dir.join("python")).unwrap();
        let pin = DatasetPin {
            name: "poly".into(),
            version: "1".into(),
            source: "git:file:///nowhere".into(),
            revision: commit.into(),
            checksum: "00".into(),
            verified: false,
        };
        std::fs::write(
            dir.join(DatasetPin::FILE),
            serde_json::to_string(&pin).unwrap(),
        )
        .unwrap();
        let opts = Options {
            cache: Some(tmp.path().join("cache")),
            offline: true,
            ..Options::default()
        };
        let specs = ["poly@1".to_string(), "poly".to_string()];
        let mut seen = Vec::new();
        let suites = resolve_suites(&reg, &specs, &opts, |p| seen.push(p.pin.clone())).await;
        assert_eq!(suites.unwrap(), [dir.join("python"), dir.join("python")]);
        assert_eq!(seen, [pin.clone(), pin]);
        assert!(resolve_suites(&reg, &[], &opts, |_| panic!())
            .await
            .unwrap()
            .is_empty());
        let specs = ["poly".to_string(), "nope@2".to_string()];
        let e = resolve_suites(&reg, &specs, &opts, |_| {})
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "dataset nope@2");
        let DatasetError::Named { source, .. } = e else {
            panic!("{e:?}")
        };
        assert!(
            matches!(*source, DatasetError::UnknownDataset { .. }),
            "{source}"
        );
    }
}
