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

use std::path::PathBuf;

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
}

impl Site {
    /// A site over these run directories or directories of runs.
    pub fn new(roots: Vec<PathBuf>) -> Result<Site, ViewError> {
        for r in &roots {
            if !r.is_dir() {
                return Err(ViewError::NoRuns(r.display().to_string()));
            }
        }
        Ok(Site { roots })
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

    /// Live progress of every run, keyed by run key (the Live feed).
    pub fn progress(&self) -> Vec<(String, source::Progress)> {
        self.runs()
            .into_iter()
            .filter_map(|r| Some((r.key, source::progress(&r.dir).ok()?)))
            .collect()
    }
}
