//! The store: its run-directory layout, typed artifacts, runs written by older versions, and
//! importers on inputs shaped as the source harnesses write them, built here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod aider_import;
mod harbor_import;
mod layout;
mod merge;
mod terminal_bench_import;

use std::path::Path;

pub(crate) fn write(path: &Path, v: &serde_json::Value) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}
