//! Which registry dataset a suite folder came from: the `.tribench-dataset.json` a pull writes at
//! the root of each pulled dataset, found from the suite path upward.

use std::path::Path;
use tribench_types::DatasetPin;

/// The pin of the dataset holding `path` (the path itself or a folder above it), if any. A pin
/// file that cannot be read is ignored: the suite is then recorded as a plain folder.
pub fn pin_of(path: &Path) -> Option<DatasetPin> {
    path.ancestors().find_map(|dir| {
        let text = std::fs::read_to_string(dir.join(DatasetPin::FILE)).ok()?;
        serde_json::from_str(&text).ok()
    })
}
