//! The spec table: per (repository, version), how to build the environment, install the
//! project, run its tests and parse their log, and where the repository comes from. It lives
//! in `swebench.toml` beside the instances file (or in the suite folder).
//!
//! ```toml
//! repo_url = "https://example.invalid/{repo}.git"  # clone URL of a repository not in [repos]
//! [repos]
//! "acme/widgets" = "repos/acme__widgets.bundle"   # path (relative to this file) or URL
//!
//! [[spec]]
//! repo = "acme/widgets"
//! versions = ["1.0", "1.1"]          # absent: every version
//! environment = "docker"             # or "local": the machine's own tools, in the local sandbox
//! dockerfile = "env/python.Dockerfile"
//! install = ["python3 -m pip install -e ."]
//! test_cmd = "python3 -m pytest -rA {test_files}"
//! log_parser = "parse_log_pytest"
//! ```

use super::grade::EvalType;
use super::parse::LogParser;
use super::repo::RepoSource;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the task runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SpecEnvironment {
    #[default]
    Docker,
    Local,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    repo: String,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    environment: SpecEnvironment,
    dockerfile: Option<String>,
    image: Option<String>,
    workdir: Option<String>,
    #[serde(default)]
    install: Vec<String>,
    #[serde(default)]
    pre_test: Vec<String>,
    test_cmd: String,
    log_parser: Option<String>,
    eval_type: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    needs: Vec<String>,
    cpus: Option<f64>,
    memory_mb: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    repo_url: Option<String>,
    #[serde(default)]
    repos: BTreeMap<String, String>,
    #[serde(default)]
    spec: Vec<RawSpec>,
}

/// One row of the table, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub repo: String,
    pub versions: Vec<String>,
    pub environment: SpecEnvironment,
    /// Absolute path of the Dockerfile; its folder is the build context.
    pub dockerfile: Option<PathBuf>,
    pub image: Option<String>,
    pub workdir: String,
    pub install: Vec<String>,
    pub pre_test: Vec<String>,
    /// The test command; `{test_files}` becomes the instance's test files, shell-quoted.
    pub test_cmd: String,
    pub log_parser: LogParser,
    pub eval_type: EvalType,
    pub env: Vec<(String, String)>,
    /// Commands the machine must have for `environment = "local"`.
    pub needs: Vec<String>,
    pub cpus: Option<f64>,
    pub memory_mb: Option<u64>,
}

/// The whole table.
#[derive(Debug, Clone, Default)]
pub struct SpecTable {
    pub path: Option<PathBuf>,
    pub repos: BTreeMap<String, RepoSource>,
    /// Clone URL of any repository not in `repos`, `{repo}` standing for `owner/name`; cloned
    /// into the local mirror cache on first use.
    pub repo_url: Option<String>,
    pub specs: Vec<Arc<Spec>>,
}

impl SpecTable {
    /// Reads `swebench.toml`.
    pub fn load(path: &Path) -> Result<SpecTable, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
        let raw: RawFile = toml::from_str(&text).map_err(|e| e.to_string())?;
        let base = path.parent().unwrap_or(Path::new("."));
        let repos = raw
            .repos
            .into_iter()
            .map(|(repo, src)| {
                let source = if src.contains("://") || src.starts_with("git@") {
                    RepoSource::Url(src)
                } else {
                    RepoSource::local(base.join(src))
                };
                (repo, source)
            })
            .collect();
        let mut specs = Vec::new();
        for r in raw.spec {
            let log_parser = match &r.log_parser {
                Some(n) => LogParser::from_name(n)
                    .ok_or_else(|| format!("spec for {}: unknown log_parser `{n}`", r.repo))?,
                None => LogParser::for_repo(&r.repo).ok_or_else(|| {
                    format!(
                        "spec for {}: no log_parser given and none known for the repository",
                        r.repo
                    )
                })?,
            };
            let eval_type = match &r.eval_type {
                Some(t) => EvalType::parse(t)
                    .ok_or_else(|| format!("spec for {}: unknown eval_type `{t}`", r.repo))?,
                None => EvalType::PassAndFail,
            };
            if r.environment == SpecEnvironment::Docker
                && r.dockerfile.is_none()
                && r.image.is_none()
            {
                return Err(format!(
                    "spec for {}: a docker environment needs `dockerfile` or `image`",
                    r.repo
                ));
            }
            specs.push(Arc::new(Spec {
                dockerfile: r.dockerfile.map(|d| base.join(d)),
                workdir: r.workdir.unwrap_or_else(|| "/testbed".into()),
                env: r.env.into_iter().collect(),
                repo: r.repo,
                versions: r.versions,
                environment: r.environment,
                image: r.image,
                install: r.install,
                pre_test: r.pre_test,
                test_cmd: r.test_cmd,
                log_parser,
                eval_type,
                needs: r.needs,
                cpus: r.cpus,
                memory_mb: r.memory_mb,
            }));
        }
        Ok(SpecTable {
            path: Some(path.to_path_buf()),
            repos,
            repo_url: raw.repo_url,
            specs,
        })
    }

    /// The clone URL `repo_url` gives a repository, if any.
    pub fn url_for(&self, repo: &str) -> Option<RepoSource> {
        self.repo_url
            .as_ref()
            .map(|t| RepoSource::Url(t.replace("{repo}", repo)))
    }

    /// The row for a repository and version: an exact version match first, then a row for
    /// every version.
    pub fn find(&self, repo: &str, version: &str) -> Option<&Arc<Spec>> {
        self.specs
            .iter()
            .find(|s| s.repo == repo && s.versions.iter().any(|v| v == version))
            .or_else(|| {
                self.specs
                    .iter()
                    .find(|s| s.repo == repo && s.versions.is_empty())
            })
    }
}
