//! SWE-bench instances from JSON (a list) or JSONL: the official schema (Verified, Lite,
//! Multilingual), swebench 5.x's extra fields (image, eval_script, log_parser, eval_type), and
//! SWE-bench Pro's lowercase fields.

use super::grade::EvalType;
use super::parse::LogParser;
use serde_json::{Map, Value};
use std::path::Path;

/// One task instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub instance_id: String,
    /// `owner/name`.
    pub repo: String,
    pub base_commit: String,
    /// The gold patch.
    pub patch: String,
    pub test_patch: String,
    pub problem_statement: String,
    pub hints_text: String,
    pub created_at: Option<String>,
    pub version: String,
    pub fail_to_pass: Vec<String>,
    pub pass_to_pass: Vec<String>,
    pub environment_setup_commit: Option<String>,
    /// swebench 5.x: the instance's image, eval script, parser and eval type.
    pub image: Option<String>,
    pub eval_script: Option<String>,
    pub log_parser: Option<LogParser>,
    /// A `log_parser` the dataset names that tribench does not implement.
    pub unsupported_parser: Option<String>,
    pub eval_type: Option<EvalType>,
    /// SWE-bench Pro.
    pub selected_test_files_to_run: Vec<String>,
    pub before_repo_set_cmd: Option<String>,
    pub dockerhub_tag: Option<String>,
    /// Multilingual / Pro: the repository's language when the dataset says it.
    pub language: Option<String>,
}

impl Instance {
    /// Feeds every field that defines the task into a hash (the suite checksum).
    pub fn hash_into(&self, h: &mut impl sha2::Digest) {
        let mut put = |s: &str| {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        };
        for s in [
            &self.instance_id,
            &self.repo,
            &self.base_commit,
            &self.patch,
            &self.test_patch,
            &self.problem_statement,
            &self.version,
        ] {
            put(s);
        }
        for list in [
            &self.fail_to_pass,
            &self.pass_to_pass,
            &self.selected_test_files_to_run,
        ] {
            put(&list.len().to_string());
            for t in list {
                put(t);
            }
        }
        for o in [
            &self.image,
            &self.eval_script,
            &self.before_repo_set_cmd,
            &self.created_at,
        ] {
            put(o.as_deref().unwrap_or("\u{0}"));
        }
        put(self.log_parser.map_or("", |p| p.name()));
        put(self.unsupported_parser.as_deref().unwrap_or(""));
        put(match self.eval_type {
            Some(super::grade::EvalType::FailOnly) => "fail_only",
            Some(super::grade::EvalType::PassAndFail) => "pass_and_fail",
            None => "",
        });
    }

    /// The official image name for this instance: `swebench/sweb.eval.x86_64.<id>` with `__`
    /// spelled `_1776_` (Docker names cannot hold a double underscore), lower case.
    pub fn official_image(&self) -> String {
        format!(
            "swebench/sweb.eval.x86_64.{}:latest",
            self.instance_id.replace("__", "_1776_").to_lowercase()
        )
    }

    /// Test files the test patch touches (the official "test directives" before any
    /// per-runner rewriting), or Pro's selected files when it names them.
    pub fn test_files(&self) -> Vec<String> {
        if !self.selected_test_files_to_run.is_empty() {
            return self.selected_test_files_to_run.clone();
        }
        const NON_TEST_EXTS: [&str; 11] = [
            ".json", ".png", "csv", ".txt", ".md", ".jpg", ".jpeg", ".pkl", ".yml", ".yaml",
            ".toml",
        ];
        patch_files(&self.test_patch)
            .into_iter()
            .filter(|f| !NON_TEST_EXTS.iter().any(|e| f.ends_with(e)))
            .collect()
    }
}

/// Paths a unified diff touches (new names; `/dev/null` skipped), in order, once each.
pub fn patch_files(patch: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in patch.lines() {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            // `a/x b/x`: take the b side; quoted names are unquoted roughly.
            let name = match rest.rfind(" b/") {
                Some(i) => &rest[i + 3..],
                None => continue,
            };
            let name = name.trim_matches('"').to_string();
            if !out.contains(&name) {
                out.push(name);
            }
        } else if let Some(rest) = line.strip_prefix("+++ ") {
            let name = rest.split('\t').next().unwrap_or("").trim();
            if name == "/dev/null" {
                continue;
            }
            let name = name
                .strip_prefix("b/")
                .unwrap_or(name)
                .trim_matches('"')
                .to_string();
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// Reads instances from `.json` (a list, or one object), `.jsonl`, or `.parquet` (as the
/// SWE-bench datasets are published: one row per instance, see [`parquet_rows`]).
pub fn load_instances(path: &Path) -> Result<Vec<Instance>, String> {
    if path.extension().is_some_and(|e| e == "parquet") {
        return instances_from_values(parquet_rows(path)?);
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let values: Vec<(usize, Value)> = if text.trim_start().starts_with('[') {
        let v: Vec<Value> =
            serde_json::from_str(&text).map_err(|e| format!("not a JSON list: {e}"))?;
        v.into_iter().enumerate().map(|(i, v)| (i + 1, v)).collect()
    } else {
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: Value =
                serde_json::from_str(line).map_err(|e| format!("line {}: not JSON: {e}", i + 1))?;
            out.push((i + 1, v));
        }
        out
    };
    instances_from_values(values)
}

/// The rows of a Parquet file of SWE-bench instances as JSON objects, numbered from 1. The
/// published datasets hold every column as a string (`FAIL_TO_PASS` and `PASS_TO_PASS` are JSON
/// lists written as text); list columns and numbers are read too, and become what the JSON
/// loader accepts.
pub fn parquet_rows(path: &Path) -> Result<Vec<(usize, Value)>, String> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let reader = SerializedFileReader::new(file).map_err(|e| format!("not a Parquet file: {e}"))?;
    let rows = reader
        .get_row_iter(None)
        .map_err(|e| format!("cannot read Parquet rows: {e}"))?;
    let mut out = Vec::new();
    for (i, row) in rows.enumerate() {
        let row = row.map_err(|e| format!("Parquet row {}: {e}", i + 1))?;
        out.push((i + 1, row.to_json_value()));
    }
    Ok(out)
}

/// The columns of the published SWE-bench datasets (Verified adds `difficulty`), all strings;
/// `FAIL_TO_PASS` and `PASS_TO_PASS` hold JSON lists as text.
pub const PARQUET_COLUMNS: [&str; 13] = [
    "repo",
    "instance_id",
    "base_commit",
    "patch",
    "test_patch",
    "problem_statement",
    "hints_text",
    "created_at",
    "version",
    "FAIL_TO_PASS",
    "PASS_TO_PASS",
    "environment_setup_commit",
    "difficulty",
];

/// Writes instances (JSON objects) as a snappy-compressed Parquet file in the published schema:
/// one optional UTF-8 string column per [`PARQUET_COLUMNS`] entry, lists written as JSON text.
pub fn write_parquet(path: &Path, rows: &[Value]) -> Result<(), String> {
    use parquet::basic::Compression;
    use parquet::data_type::{ByteArray, ByteArrayType};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    let fields: Vec<String> = PARQUET_COLUMNS
        .iter()
        .map(|c| format!("OPTIONAL BYTE_ARRAY {c} (UTF8);"))
        .collect();
    let schema = parquet::schema::parser::parse_message_type(&format!(
        "message schema {{ {} }}",
        fields.join(" ")
    ))
    .map_err(|e| e.to_string())?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let file = std::fs::File::create(path).map_err(|e| format!("cannot create: {e}"))?;
    let mut writer = SerializedFileWriter::new(
        file,
        std::sync::Arc::new(schema),
        std::sync::Arc::new(props),
    )
    .map_err(|e| e.to_string())?;
    let mut group = writer.next_row_group().map_err(|e| e.to_string())?;
    for col in PARQUET_COLUMNS {
        let Some(mut cw) = group.next_column().map_err(|e| e.to_string())? else {
            break;
        };
        let mut values = Vec::new();
        let mut levels = Vec::new();
        for row in rows {
            match row.get(col) {
                None | Some(Value::Null) => levels.push(0),
                Some(Value::String(s)) => {
                    levels.push(1);
                    values.push(ByteArray::from(s.as_str()));
                }
                Some(other) => {
                    levels.push(1);
                    values.push(ByteArray::from(other.to_string().as_str()));
                }
            }
        }
        cw.typed::<ByteArrayType>()
            .write_batch(&values, Some(&levels), None)
            .map_err(|e| e.to_string())?;
        cw.close().map_err(|e| e.to_string())?;
    }
    group.close().map_err(|e| e.to_string())?;
    writer.close().map_err(|e| e.to_string())?;
    Ok(())
}

fn instances_from_values(values: Vec<(usize, Value)>) -> Result<Vec<Instance>, String> {
    let mut instances = Vec::new();
    let mut errors = Vec::new();
    for (n, v) in values {
        match v {
            Value::Object(m) => match instance_from(&m) {
                Ok(i) => instances.push(i),
                Err(e) => errors.push(format!("record {n}: {e}")),
            },
            _ => errors.push(format!("record {n}: not a JSON object")),
        }
    }
    if !errors.is_empty() {
        return Err(errors.join("; "));
    }
    let mut seen = std::collections::HashSet::new();
    for i in &instances {
        if !seen.insert(i.instance_id.as_str()) {
            return Err(format!("instance {} appears twice", i.instance_id));
        }
    }
    Ok(instances)
}

fn text(m: &Map<String, Value>, key: &str) -> Option<String> {
    match m.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

fn required(m: &Map<String, Value>, key: &str) -> Result<String, String> {
    text(m, key)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("missing field `{key}`"))
}

/// A test list: a JSON list, a string holding a JSON list, or a string holding a Python list
/// literal (as some Pro exports do).
pub fn test_list(v: Option<&Value>, key: &str) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!("`{key}` holds a non-string entry {other}")),
            })
            .collect(),
        Some(Value::String(s)) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(Vec::new());
            }
            if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(t) {
                return test_list(Some(&Value::Array(items)), key);
            }
            python_str_list(t).ok_or_else(|| format!("`{key}` is not a list of test names"))
        }
        Some(other) => Err(format!("`{key}` must be a list, got {other}")),
    }
}

/// `['a', "b"]` with Python string escapes (the common ones).
fn python_str_list(s: &str) -> Option<Vec<String>> {
    let inner = s.strip_prefix('[')?.strip_suffix(']')?;
    let mut out = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let Some(q) = chars.next() else { break };
        if q != '\'' && q != '"' {
            return None;
        }
        let mut item = String::new();
        loop {
            let c = chars.next()?;
            if c == q {
                break;
            }
            if c == '\\' {
                match chars.next()? {
                    'n' => item.push('\n'),
                    't' => item.push('\t'),
                    other => item.push(other),
                }
            } else {
                item.push(c);
            }
        }
        out.push(item);
    }
    Some(out)
}

fn instance_from(m: &Map<String, Value>) -> Result<Instance, String> {
    let instance_id = required(m, "instance_id")?;
    if !tribench_types::is_plain_file_name(&instance_id) {
        // The official layout keeps each instance's files in a folder named by its id.
        return Err(format!(
            "instance_id {instance_id:?} cannot name a folder (a path separator, `.`/`..`, or a control character)"
        ));
    }
    let ctx = |e: String| format!("{instance_id}: {e}");
    let repo = text(m, "repo")
        .or_else(|| text(m, "repository"))
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ctx("missing field `repo`".into()))?;
    let f2p_key = if m.contains_key("FAIL_TO_PASS") {
        "FAIL_TO_PASS"
    } else {
        "fail_to_pass"
    };
    let p2p_key = if m.contains_key("PASS_TO_PASS") {
        "PASS_TO_PASS"
    } else {
        "pass_to_pass"
    };
    // A parser we lack does not stop the rest of the dataset: the instance fails at
    // preparation, saying which parser it needs.
    let parser_name = text(m, "log_parser").filter(|s| !s.is_empty());
    let log_parser = parser_name.as_deref().and_then(LogParser::from_name);
    let unsupported_parser = parser_name.filter(|_| log_parser.is_none());
    let eval_type = match text(m, "eval_type").filter(|s| !s.is_empty()) {
        Some(t) => {
            Some(EvalType::parse(&t).ok_or_else(|| ctx(format!("unknown eval_type `{t}`")))?)
        }
        None => None,
    };
    Ok(Instance {
        repo,
        base_commit: required(m, "base_commit").map_err(ctx)?,
        patch: text(m, "patch").unwrap_or_default(),
        test_patch: text(m, "test_patch").unwrap_or_default(),
        problem_statement: required(m, "problem_statement").map_err(ctx)?,
        hints_text: text(m, "hints_text").unwrap_or_default(),
        created_at: text(m, "created_at").filter(|s| !s.is_empty()),
        version: text(m, "version").unwrap_or_default(),
        fail_to_pass: test_list(m.get(f2p_key), f2p_key).map_err(ctx)?,
        pass_to_pass: test_list(m.get(p2p_key), p2p_key).map_err(ctx)?,
        environment_setup_commit: text(m, "environment_setup_commit").filter(|s| !s.is_empty()),
        image: text(m, "image").filter(|s| !s.is_empty()),
        eval_script: text(m, "eval_script").filter(|s| !s.is_empty()),
        log_parser,
        unsupported_parser,
        eval_type,
        selected_test_files_to_run: test_list(
            m.get("selected_test_files_to_run"),
            "selected_test_files_to_run",
        )
        .map_err(ctx)?,
        before_repo_set_cmd: text(m, "before_repo_set_cmd").filter(|s| !s.is_empty()),
        dockerhub_tag: text(m, "dockerhub_tag").filter(|s| !s.is_empty()),
        language: text(m, "repo_language").or_else(|| text(m, "language")),
        instance_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_as_json_strings_lists_or_python_literals() {
        let v = serde_json::json!("[\"a\", \"b[x y]\"]");
        assert_eq!(test_list(Some(&v), "k").unwrap(), vec!["a", "b[x y]"]);
        let v = serde_json::json!(["a"]);
        assert_eq!(test_list(Some(&v), "k").unwrap(), vec!["a"]);
        let v = serde_json::json!("['t.py::a', \"it's\"]");
        assert_eq!(test_list(Some(&v), "k").unwrap(), vec!["t.py::a", "it's"]);
    }

    #[test]
    fn an_instance_id_that_would_name_a_path_is_refused_at_load() {
        let dir = tempfile::tempdir().unwrap();
        for id in ["/tmp/ABSOLUTE", "../../PWN", "..", "a\u{1b}[2J"] {
            let row = serde_json::json!({
                "repo": "acme/widgets", "instance_id": id, "base_commit": "abc",
                "patch": "diff", "test_patch": "tdiff", "problem_statement": "fix it",
                "FAIL_TO_PASS": ["t.py::test_a"], "PASS_TO_PASS": [],
            });
            let jl = dir.path().join("instances.jsonl");
            std::fs::write(&jl, row.to_string()).unwrap();
            let err = load_instances(&jl).unwrap_err().to_string();
            assert!(err.contains("cannot name a folder"), "{id:?}: {err}");
        }
    }

    #[test]
    fn parquet_in_the_published_schema_loads_like_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        let rows = vec![
            serde_json::json!({
                "repo": "acme/widgets", "instance_id": "acme__widgets-1", "base_commit": "abc",
                "patch": "diff", "test_patch": "tdiff", "problem_statement": "fix it",
                "hints_text": "", "created_at": "2023-05-01T10:00:00Z", "version": "1.0",
                "FAIL_TO_PASS": "[\"t.py::test_a\"]", "PASS_TO_PASS": "[]",
                "environment_setup_commit": "def", "difficulty": "<15 min fix",
            }),
            serde_json::json!({
                "repo": "acme/widgets", "instance_id": "acme__widgets-2", "base_commit": "abd",
                "patch": "diff2", "test_patch": "tdiff2", "problem_statement": "and this",
                "version": "1.1", "FAIL_TO_PASS": ["t.py::test_b"],
                "PASS_TO_PASS": "[\"t.py::test_c\", \"t.py::test_d\"]",
            }),
        ];
        let pq = dir.path().join("test-00000-of-00001.parquet");
        write_parquet(&pq, &rows).unwrap();
        let jl = dir.path().join("instances.jsonl");
        let text: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
        std::fs::write(&jl, text.join("\n")).unwrap();
        let from_pq = load_instances(&pq).unwrap();
        let from_jl = load_instances(&jl).unwrap();
        assert_eq!(from_pq.len(), 2);
        assert_eq!(from_pq[0].fail_to_pass, vec!["t.py::test_a"]);
        assert_eq!(from_pq[1].fail_to_pass, vec!["t.py::test_b"]);
        assert_eq!(
            from_pq[1].pass_to_pass,
            vec!["t.py::test_c", "t.py::test_d"]
        );
        assert_eq!(
            from_pq[0].created_at.as_deref(),
            Some("2023-05-01T10:00:00Z")
        );
        use sha2::Digest;
        let hash = |v: &[Instance]| {
            let mut h = sha2::Sha256::new();
            for i in v {
                i.hash_into(&mut h);
            }
            hex::encode(h.finalize())
        };
        assert_eq!(hash(&from_pq), hash(&from_jl));
        // Not Parquet: a clear error, no panic.
        std::fs::write(dir.path().join("bad.parquet"), "not parquet").unwrap();
        let e = load_instances(&dir.path().join("bad.parquet")).unwrap_err();
        assert!(e.contains("not a Parquet file"), "{e}");
    }

    #[test]
    fn official_image_name() {
        let mut m = Map::new();
        for (k, v) in [
            ("instance_id", "Django__django-11099"),
            ("repo", "django/django"),
            ("base_commit", "abc"),
            ("problem_statement", "x"),
        ] {
            m.insert(k.into(), Value::String(v.into()));
        }
        let i = instance_from(&m).unwrap();
        assert_eq!(
            i.official_image(),
            "swebench/sweb.eval.x86_64.django_1776_django-11099:latest"
        );
    }

    #[test]
    fn a_parser_we_lack_is_kept_by_name() {
        let mut m = Map::new();
        for (k, v) in [
            ("instance_id", "preactjs__preact-1"),
            ("repo", "preactjs/preact"),
            ("base_commit", "abc"),
            ("problem_statement", "x"),
            ("log_parser", "parse_log_karma"),
        ] {
            m.insert(k.into(), Value::String(v.into()));
        }
        let i = instance_from(&m).unwrap();
        assert_eq!(i.log_parser, None);
        assert_eq!(i.unsupported_parser.as_deref(), Some("parse_log_karma"));
    }

    #[test]
    fn files_of_a_patch() {
        let p = "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\ndiff --git a/n.py b/n.py\nnew file mode 100644\n--- /dev/null\n+++ b/n.py\n";
        assert_eq!(patch_files(p), vec!["x.py", "n.py"]);
    }
}
