//! JSON Schemas of the files tribench writes in a run directory, generated from the serde types
//! so other tools can read them. The checked-in copies live in `docs/schema/`; a test keeps
//! them equal to these (`UPDATE_SCHEMA=1 cargo test -p tribench-types --test it schema`
//! rewrites them).

use schemars::{schema_for, Schema};

/// Every on-disk format: the schema's file name under `docs/schema/`, and the schema.
pub fn formats() -> Vec<(&'static str, Schema)> {
    vec![
        ("manifest.schema.json", schema_for!(crate::RunManifest)),
        ("trial.schema.json", schema_for!(crate::TrialRecord)),
        ("trajectory.schema.json", schema_for!(crate::Trajectory)),
        (
            "grading.schema.json",
            schema_for!(crate::swebench::GradingDetails),
        ),
        (
            "swebench-report.schema.json",
            schema_for!(crate::swebench::ReportFile),
        ),
        (
            "swebench-run-report.schema.json",
            schema_for!(crate::swebench::RunReport),
        ),
        ("image.schema.json", schema_for!(crate::ImageRecord)),
    ]
}

/// A schema as the checked-in file holds it: pretty JSON and a final newline.
pub fn to_file_text(schema: &Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}
