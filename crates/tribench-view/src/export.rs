//! `--export DIR`: every page the server would send, written as files with the same relative
//! links, so the copy opens from `file://` with no server: the runs list, each run, each trial,
//! the run files the pages link to (trial artifacts), each pair's comparison with its
//! side-by-side task pages (up to [`MAX_PAIRS`] pairs) and the matrix of all runs.

use crate::{Site, ViewError};
use std::path::Path;
use tribench_types::TrialKey;

/// Comparisons written when there are at most this many pairs of runs.
pub const MAX_PAIRS: usize = 45;

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exported {
    pub pages: usize,
    pub files: usize,
    /// Runs exported.
    pub runs: usize,
    /// Runs left out because they cannot be read, each as `key (dir): why`; the runs list of
    /// the copy shows them as unreadable.
    pub skipped: Vec<String>,
}

impl Exported {
    /// A note for each run left out (for stderr).
    pub fn skipped_notes(&self) -> Vec<String> {
        (self.skipped.iter())
            .map(|why| format!("left out the unreadable run {why}"))
            .collect()
    }

    /// What `tribench view --export DEST` says when done: the counts, and the page to open.
    pub fn render(&self, dest: &Path) -> String {
        let (pages, files, runs) = (self.pages, self.files, self.runs);
        let index = dest.join("index.html");
        format!(
            "wrote {pages} pages and {files} run files for {runs} runs; open {}\n",
            index.display()
        )
    }
}

/// Writes the static copy of `site` into `dest`. A run that cannot be read (a corrupt
/// manifest, a missing database) is left out and named in [`Exported::skipped`]; the others
/// are written.
pub fn export(site: &Site, dest: &Path) -> Result<Exported, ViewError> {
    let mut runs = Vec::new();
    let mut loaded = Vec::new();
    let mut skipped = Vec::new();
    for e in site.runs() {
        match crate::source::load_run(&e.dir) {
            Ok(run) => {
                loaded.push(run);
                runs.push(e);
            }
            Err(why) => skipped.push(format!("{} ({}): {why}", e.key, e.dir.display())),
        }
    }
    let mut paths: Vec<String> = vec![
        "index.html".into(),
        "assets/view.css".into(),
        "assets/view.js".into(),
    ];
    let mut out = Exported {
        runs: runs.len(),
        skipped,
        ..Exported::default()
    };
    let mut tasks_of: Vec<Vec<String>> = Vec::new();
    for (e, run) in runs.iter().zip(&loaded) {
        paths.push(format!("run/{}/index.html", e.key));
        paths.push(format!("run/{}/search.js", e.key));
        for t in &run.trials {
            let steps =
                crate::source::trajectory(&e.dir, &t.trial_id).map_or(0, |tr| tr.steps.len());
            for page in 1..=crate::pages::step_pages(steps) {
                paths.push(format!(
                    "run/{}/trial/{}",
                    e.key,
                    crate::pages::trial_page_name(&t.trial_id, page)
                ));
            }
            for rel in files_of(&e.dir, &t.trial_id) {
                paths.push(format!("run/{}/file/{rel}", e.key));
            }
        }
        let mut tasks: Vec<String> = run.trials.iter().map(|t| t.task_id.clone()).collect();
        tasks.dedup();
        tasks_of.push(tasks);
    }
    let pairs = runs.len() * runs.len().saturating_sub(1) / 2;
    if pairs <= MAX_PAIRS {
        for i in 0..runs.len() {
            for j in i + 1..runs.len() {
                let pair = format!("{}~{}", runs[i].key, runs[j].key);
                paths.push(format!("compare/{pair}/index.html"));
                for task in tasks_of[i].iter().filter(|t| tasks_of[j].contains(t)) {
                    let name = TrialKey {
                        task_id: task.clone(),
                        attempt: 1,
                    }
                    .trial_id();
                    paths.push(format!("compare/{pair}/{name}.html"));
                }
            }
        }
    }
    if runs.len() >= 2 {
        let keys: Vec<&str> = runs.iter().map(|r| r.key.as_str()).collect();
        paths.push(format!("matrix/{}/index.html", keys.join("+")));
    }
    for p in paths {
        let Some(page) = site.render(&p)? else {
            continue;
        };
        let target = dest.join(&p);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|source| ViewError::Io {
                path: parent.display().to_string(),
                source,
            })?;
        }
        std::fs::write(&target, &page.body).map_err(|source| ViewError::Io {
            path: target.display().to_string(),
            source,
        })?;
        if p.contains("/file/") {
            out.files += 1;
        } else {
            out.pages += 1;
        }
    }
    Ok(out)
}

/// A trial's artifact files, relative to the run directory (regular files only).
fn files_of(run_dir: &Path, trial_id: &str) -> Vec<String> {
    let rel_dir = tribench_store::RunStore::trial_dir_rel(trial_id);
    let mut out = Vec::new();
    let mut stack = vec![rel_dir];
    while let Some(rel) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(run_dir.join(&rel)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = format!("{rel}/{name}");
            match entry.file_type() {
                Ok(ft) if ft.is_dir() => stack.push(child),
                Ok(ft) if ft.is_file() => out.push(child),
                _ => {}
            }
        }
    }
    out.sort();
    out
}
