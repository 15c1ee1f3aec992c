//! `tribench view`: the runs under some directories as web pages (Runs, Run, Trial, Compare,
//! Matrix), served by a small axum server on loopback or written out as a static copy that opens
//! from `file://`. Every page is rendered by [`Site::render`] from a path, so the server and the
//! export produce the same bytes; nothing is fetched at view time, and every piece of model or
//! tool text is escaped by the templates.

mod charts;
mod export;
mod pages;
mod server;
pub mod source;

pub use export::{export, Exported, MAX_PAIRS};
pub use server::{serve, ServeOptions, Served};

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error(transparent)]
    Store(#[from] tribench_store::StoreError),
    #[error("{0} is not a tribench run directory (no manifest.json)")]
    NotARun(String),
    #[error("no tribench run found under {0} (a run directory holds manifest.json)")]
    NoRuns(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "--host {0} is not a loopback address: it needs a token of at least 16 characters (--token, or leave it out to have one generated)"
    )]
    TokenRequired(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        #[source]
        source: std::io::Error,
    },
}

/// What a request for a path gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Page {
    fn html(m: maud::Markup) -> Page {
        Page {
            content_type: "text/html; charset=utf-8",
            body: m.into_string().into_bytes(),
        }
    }
}

/// The runs being viewed: the paths given on the command line, scanned again on every request
/// so runs started later show up.
#[derive(Debug, Clone)]
pub struct Site {
    roots: Vec<PathBuf>,
    recent: Arc<Mutex<VecDeque<(String, source::Stamp, Page)>>>,
}

/// Rendered pages the server keeps, most recent first; any change to any run drops them.
const RECENT_PAGES: usize = 32;

impl Site {
    /// A site over these run directories or directories of runs.
    pub fn new(roots: Vec<PathBuf>) -> Result<Site, ViewError> {
        for r in &roots {
            if !r.is_dir() {
                return Err(ViewError::NoRuns(r.display().to_string()));
            }
        }
        Ok(Site {
            roots,
            recent: Arc::new(Mutex::new(VecDeque::new())),
        })
    }

    /// A site over `roots` holding at least one run now (what `tribench view` opens).
    pub fn with_runs(roots: Vec<PathBuf>) -> Result<Site, ViewError> {
        let site = Site::new(roots)?;
        if site.runs().is_empty() {
            let roots: Vec<String> = (site.roots.iter())
                .map(|p| p.display().to_string())
                .collect();
            return Err(ViewError::NoRuns(roots.join(", ")));
        }
        Ok(site)
    }

    /// The runs currently found.
    pub fn runs(&self) -> Vec<source::RunEntry> {
        source::discover(&self.roots)
    }

    fn run(&self, key: &str) -> Option<source::RunEntry> {
        self.runs().into_iter().find(|r| r.key == key)
    }

    /// The page at `path` (relative, no leading `/`), or `None` when there is none.
    pub fn render(&self, path: &str) -> Result<Option<Page>, ViewError> {
        pages::render(self, path)
    }

    /// Like [`Site::render`], reusing a page rendered earlier while no run changed on disk
    /// (the server's path: a big run's page is not rebuilt on every request).
    pub fn render_cached(&self, path: &str) -> Result<Option<Page>, ViewError> {
        let stamp: source::Stamp = self
            .runs()
            .iter()
            .flat_map(|r| source::stamp(&r.dir))
            .collect();
        let hit = self
            .recent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(p, s, _)| p == path && *s == stamp)
            .map(|(_, _, page)| page.clone());
        if hit.is_some() {
            return Ok(hit);
        }
        let page = self.render(path)?;
        if let Some(p) = &page {
            let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
            recent.retain(|(q, s, _)| q != path && *s == stamp);
            recent.push_front((path.to_string(), stamp, p.clone()));
            recent.truncate(RECENT_PAGES);
        }
        Ok(page)
    }

    /// Live progress of every run, keyed by run key (the Live feed).
    pub fn progress(&self) -> Vec<(String, source::Progress)> {
        self.runs()
            .into_iter()
            .filter_map(|r| Some((r.key, source::progress(&r.dir).ok()?)))
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_site_to_open_needs_a_run_under_its_roots() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let roots = vec![a.path().to_path_buf(), b.path().to_path_buf()];
        assert!(
            Site::new(roots.clone()).is_ok(),
            "an empty folder is a site to watch"
        );
        let e = Site::with_runs(roots.clone()).unwrap_err().to_string();
        let (a_, b_) = (a.path().display(), b.path().display());
        let expected =
            format!("no tribench run found under {a_}, {b_} (a run directory holds manifest.json)");
        assert_eq!(e, expected);
        let exported = Exported {
            pages: 3,
            files: 2,
            runs: 1,
            skipped: Vec::new(),
        };
        assert_eq!(
            exported.render(std::path::Path::new("site")),
            "wrote 3 pages and 2 run files for 1 runs; open site/index.html\n"
        );
    }

    #[test]
    fn each_run_left_out_of_an_export_is_a_note() {
        let exported = Exported {
            skipped: vec!["a (runs/a): no trials.sqlite".into()],
            ..Exported::default()
        };
        assert_eq!(
            exported.skipped_notes(),
            ["left out the unreadable run a (runs/a): no trials.sqlite"]
        );
        assert!(Exported::default().skipped_notes().is_empty());
    }
}
