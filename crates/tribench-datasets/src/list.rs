//! `tribench datasets list`: each registry entry with whether, and at which revision, the cache
//! holds it.

use crate::{cached, DatasetPin, Entry, Options, Registry};
use serde::Serialize;

/// One registry entry and its cached copy, if any.
#[derive(Debug, Clone, Serialize)]
pub struct ListRow {
    pub entry: Entry,
    pub cached: Option<DatasetPin>,
}

/// Every entry of the registry, in order, with its cached copy.
pub fn list(reg: &Registry, opts: &Options) -> Vec<ListRow> {
    reg.entries
        .iter()
        .map(|e| ListRow {
            entry: e.clone(),
            cached: cached(e, opts),
        })
        .collect()
}

/// The rows as aligned columns: dataset, family, source, revision, checksum, cached.
pub fn render_list(rows: &[ListRow]) -> String {
    let mut table: Vec<[String; 6]> = vec![[
        "dataset".into(),
        "family".into(),
        "source".into(),
        "revision".into(),
        "checksum".into(),
        "cached".into(),
    ]];
    for r in rows {
        let e = &r.entry;
        table.push([
            format!("{}@{}", e.name, e.version),
            e.family.clone(),
            e.source_label(),
            e.revision().to_string(),
            if e.fully_pinned() {
                "pinned"
            } else {
                "first pull"
            }
            .into(),
            r.cached.as_ref().map_or("no".into(), |p| {
                format!("yes ({})", p.revision.get(..12).unwrap_or(&p.revision))
            }),
        ]);
    }
    let mut widths = [0usize; 6];
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &table {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
