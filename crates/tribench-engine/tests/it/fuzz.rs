//! Fuzzing every input format tribench reads, on the stable toolchain.
//!
//! Why not cargo-fuzz: it needs a nightly compiler (sanitizer flags), and afl needs its own
//! compiler wrapper; neither runs in the plain `cargo test` our CI runs. Instead each format has
//! a structured fuzz target driven by proptest (already our property-testing dependency): valid
//! seed files (the bundled sample suites and small seeds of our own) are mutated the way the
//! inputs that crashed us were (a number replaced by `inf`, `1e300`, 2^64; a JSON value replaced
//! by a value of another type; bytes flipped, cut or repeated) and fed to the real loader. The
//! property: the loader returns (a value or an error) and never panics.
//!
//! - Every `cargo test` runs a bounded number of cases per format (a few seconds in all);
//!   `TRIBENCH_FUZZ_CASES=N` raises it for a long run (`scripts/fuzz.sh`).
//! - A failure is shrunk by proptest and printed; add the input under
//!   `tests/fuzz/crashes/<format>/` and it is replayed by every test run from then on.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The input formats, each with its loader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    TaskToml,
    TaskYaml,
    ExerciseConfig,
    Instances,
    Predictions,
    SpecToml,
    TestLog,
    HarborResult,
    TerminalBenchResults,
    SwebenchReport,
    AiderResults,
    AiderLeaderboard,
}

const FORMATS: [(Format, &str); 12] = [
    (Format::TaskToml, "task-toml"),
    (Format::TaskYaml, "task-yaml"),
    (Format::ExerciseConfig, "exercise-config"),
    (Format::Instances, "instances"),
    (Format::Predictions, "predictions"),
    (Format::SpecToml, "spec-toml"),
    (Format::TestLog, "test-log"),
    (Format::HarborResult, "harbor-result"),
    (Format::TerminalBenchResults, "terminal-bench-results"),
    (Format::SwebenchReport, "swebench-report"),
    (Format::AiderResults, "aider-results"),
    (Format::AiderLeaderboard, "aider-leaderboard"),
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz")
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Valid inputs of each format: the bundled samples, plus `tests/fuzz/seeds/<format>/*`.
fn seeds(format: Format, name: &str) -> Vec<Vec<u8>> {
    let suites = repo_root().join("suites");
    let mut out = match format {
        Format::TaskToml => ["hello-file", "build-checksum", "serve-status"]
            .iter()
            .map(|t| read(&suites.join("terminal-sample").join(t).join("task.toml")))
            .collect(),
        Format::TaskYaml => ["fix-average", "error-summary", "jq-active-users"]
            .iter()
            .map(|t| read(&suites.join("terminal-sample").join(t).join("task.yaml")))
            .collect(),
        Format::ExerciseConfig => vec![
            read(
                &suites
                    .join("polyglot-sample/python/exercises/practice/word-tally/.meta/config.json"),
            ),
            read(
                &suites
                    .join("polyglot-sample/java/exercises/practice/luhn-check/.meta/config.json"),
            ),
        ],
        Format::Instances => vec![read(&suites.join("swebench-sample/instances.jsonl"))],
        _ => Vec::new(),
    };
    if let Ok(rd) = std::fs::read_dir(fuzz_dir().join("seeds").join(name)) {
        let mut files: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        out.extend(files.iter().map(|p| read(p)));
    }
    assert!(!out.is_empty(), "no seeds for {name}");
    out
}

/// Where one format's input is written and loaded: a scratch folder kept for the whole run, so
/// a case costs one file write and one load.
struct Target {
    format: Format,
    dir: tempfile::TempDir,
}

impl Target {
    fn new(format: Format) -> Target {
        let dir = tempfile::tempdir().unwrap();
        let suites = repo_root().join("suites");
        let copy = |from: &Path, to: &Path| {
            let ok = std::process::Command::new("cp")
                .arg("-r")
                .arg(from)
                .arg(to)
                .status()
                .unwrap()
                .success();
            assert!(ok);
        };
        match format {
            Format::TaskToml => copy(
                &suites.join("terminal-sample/hello-file"),
                &dir.path().join("task"),
            ),
            Format::TaskYaml => copy(
                &suites.join("terminal-sample/fix-average"),
                &dir.path().join("task"),
            ),
            Format::ExerciseConfig => copy(
                &suites.join("polyglot-sample/python/exercises/practice/word-tally"),
                &dir.path().join("task"),
            ),
            _ => {}
        }
        Target { format, dir }
    }

    /// Writes `input` where the format's loader looks, then loads it. Errors are fine; the
    /// returned string is only for the record.
    fn run(&self, input: &[u8]) -> String {
        let d = self.dir.path();
        let write = |rel: &str| {
            let p = d.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, input).unwrap();
            p
        };
        let text = String::from_utf8_lossy(input);
        match self.format {
            Format::TaskToml => {
                write("task/task.toml");
                format!(
                    "{:?}",
                    tribench_families::terminal::load_task(&d.join("task")).err()
                )
            }
            Format::TaskYaml => {
                write("task/task.yaml");
                format!(
                    "{:?}",
                    tribench_families::terminal::load_task(&d.join("task")).err()
                )
            }
            Format::ExerciseConfig => {
                write("task/.meta/config.json");
                format!(
                    "{:?}",
                    tribench_families::polyglot::load_exercise(&d.join("task")).err()
                )
            }
            Format::Instances => {
                let a = tribench_families::swebench::instance::load_instances(&write("i.jsonl"));
                let b = tribench_families::swebench::instance::load_instances(&write("i.json"));
                format!("{:?} {:?}", a.err(), b.err())
            }
            Format::Predictions => {
                let a = tribench_agents::Predictions::load(&write("p.jsonl"));
                let b = tribench_agents::Predictions::load(&write("p.json"));
                format!("{:?} {:?}", a.err(), b.err())
            }
            Format::SpecToml => {
                let r = tribench_families::swebench::spec::SpecTable::load(&write("swebench.toml"));
                format!("{:?}", r.err())
            }
            Format::TestLog => {
                let mut n = 0;
                for (p, _) in tribench_families::swebench::parse::LogParser::ALL {
                    for mode in ["strict", "lenient", "official"] {
                        if let Some(m) =
                            tribench_families::swebench::parse::GradingMode::parse(mode)
                        {
                            n += p.parse(&text, m).len();
                        }
                    }
                }
                for l in tribench_families::polyglot::Language::ALL {
                    n += l.parse(&text).len();
                }
                n += tribench_families::testlog::parse_pytest(&text).len();
                n += tribench_families::testlog::parse_go_test(&text).len();
                n += tribench_families::testlog::parse_cargo_test(&text).len();
                n += tribench_families::testlog::parse_jest_verbose(&text).len();
                n += tribench_families::testlog::parse_junit_tree(&text).len();
                n.to_string()
            }
            Format::HarborResult => {
                write("job/trial-1/result.json");
                let r = tribench_store::import::import_harbor(&d.join("job"));
                format!("{:?}", r.err())
            }
            Format::TerminalBenchResults => {
                write("run/results.json");
                let a = tribench_store::import::import_terminal_bench(&d.join("run"));
                let _ = std::fs::remove_file(d.join("run/results.json"));
                write("run2/task-a/task-a.1-of-1/results.json");
                let b = tribench_store::import::import_terminal_bench(&d.join("run2"));
                format!("{:?} {:?}", a.err(), b.err())
            }
            Format::SwebenchReport => {
                let r = tribench_store::import::import_swebench(&write("m.run.json"), "verified");
                format!("{:?}", r.err())
            }
            Format::AiderResults => {
                write("aider/python/exercises/practice/x/.aider.results.json");
                let r = tribench_store::import::import_aider(&d.join("aider"));
                format!("{:?}", r.err())
            }
            Format::AiderLeaderboard => {
                let r = tribench_store::import::read_aider_leaderboard(&write("lb.yml"));
                format!("{:?}", r.err())
            }
        }
    }

    /// Runs one input and turns a panic into a test failure that names the format.
    fn check(&self, name: &str, input: &[u8]) -> Result<(), String> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run(input))) {
            Ok(_) => Ok(()),
            Err(e) => {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err(format!("{name} loader panicked: {msg}"))
            }
        }
    }
}

/// Values that broke parsers before, or break the usual assumptions (finite, fits in u64,
/// non-negative, UTF-8, shallow).
const TOKENS: &[&str] = &[
    "inf",
    "-inf",
    "+inf",
    "nan",
    "1e300",
    "-1e300",
    "1.7976931348623157e308",
    "1e-320",
    "18446744073709551616",
    "18446744073709551615",
    "9223372036854775808",
    "-9223372036854775809",
    "-1",
    "0",
    "-0",
    "0.0",
    "4294967296",
    "1.5",
    "\"\"",
    "\"inf\"",
    "null",
    "true",
    "[]",
    "{}",
    "[[[[[[[[[[[[[[[[",
    "\u{0}",
    "\u{feff}",
    "é",
    "💥",
    "\r\n",
    "\\",
    "\"",
    "'",
    "::",
    " - ",
    "PASSED",
    "FAILED",
    "ok",
    "--- FAIL:",
    "=== RUN",
    "test result:",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    "\n",
    "#",
    "~",
    "*",
    "&a",
    "!!binary",
];

fn interesting_json() -> Vec<Value> {
    let mut v: Vec<Value> = vec![
        Value::Null,
        Value::Bool(true),
        Value::from(-1),
        Value::from(0),
        Value::from(u64::MAX),
        Value::from(i64::MIN),
        Value::from(1e300),
        Value::from(-1e300),
        Value::from(f64::MAX),
        Value::from(0.5),
        Value::from(""),
        Value::from("inf"),
        Value::from("1e300"),
        Value::from("💥"),
        Value::from("x".repeat(10_000)),
        Value::Array(vec![]),
        Value::Array(vec![Value::Null, Value::from(1)]),
        serde_json::json!({}),
        serde_json::json!({"": null}),
    ];
    let mut deep = Value::Null;
    for _ in 0..100 {
        deep = Value::Array(vec![deep]);
    }
    v.push(deep);
    v
}

/// One change to an input.
#[derive(Debug, Clone)]
enum Mutation {
    /// The n-th number in the text (mod their count) becomes a token.
    Number(usize, usize),
    /// A token inserted at a position (mod the length).
    Insert(usize, usize),
    Delete(usize, usize),
    Flip(usize, u8),
    /// A range repeated in place.
    Repeat(usize, usize, u8),
    /// In JSON (or each JSON line): the n-th value (mod their count) becomes an interesting one.
    JsonValue(usize, usize),
    /// Cut the input at a position.
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), 0..TOKENS.len()).prop_map(|(a, b)| Mutation::Number(a, b)),
        2 => (any::<usize>(), 0..TOKENS.len()).prop_map(|(a, b)| Mutation::Insert(a, b)),
        1 => (any::<usize>(), 1usize..64).prop_map(|(a, b)| Mutation::Delete(a, b)),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::Flip(a, b)),
        1 => (any::<usize>(), 1usize..32, 2u8..8).prop_map(|(a, b, c)| Mutation::Repeat(a, b, c)),
        4 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::JsonValue(a, b)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn number_spans(text: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if text[i].is_ascii_digit() {
            let start = i;
            while i < text.len() && (text[i].is_ascii_digit() || b".eE+-_".contains(&text[i])) {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    spans
}

/// Every value in a JSON tree, by a pre-order index; `f` replaces the `target`-th.
fn replace_nth(v: &mut Value, target: usize, counter: &mut usize, with: &Value) -> bool {
    if *counter == target {
        *v = with.clone();
        return true;
    }
    *counter += 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|x| replace_nth(x, target, counter, with)),
        Value::Object(m) => m
            .values_mut()
            .any(|x| replace_nth(x, target, counter, with)),
        _ => false,
    }
}

fn count_values(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count_values).sum(),
        Value::Object(m) => m.values().map(count_values).sum(),
        _ => 0,
    }
}

fn mutate_json(doc: &[u8], at: usize, pick: usize) -> Option<Vec<u8>> {
    let choices = interesting_json();
    let with = &choices[pick % choices.len()];
    let mutate = |mut v: Value| {
        let n = count_values(&v);
        replace_nth(&mut v, at % n, &mut 0, with);
        v
    };
    if let Ok(v) = serde_json::from_slice::<Value>(doc) {
        return serde_json::to_vec_pretty(&mutate(v)).ok();
    }
    // JSON lines: mutate one line.
    let text = std::str::from_utf8(doc).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return None;
    }
    let i = at % lines.len();
    let v: Value = serde_json::from_str(lines[i]).ok()?;
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    out[i] = serde_json::to_string(&mutate(v)).ok()?;
    Some(out.join("\n").into_bytes())
}

fn apply(input: &mut Vec<u8>, m: &Mutation) {
    let len = input.len();
    let pos = |p: usize| if len == 0 { 0 } else { p % (len + 1) };
    match *m {
        Mutation::Number(n, t) => {
            let spans = number_spans(input);
            if let Some(&(a, b)) = spans.get(n % spans.len().max(1)) {
                input.splice(a..b, TOKENS[t].bytes());
            }
        }
        Mutation::Insert(p, t) => {
            let p = pos(p);
            input.splice(p..p, TOKENS[t].bytes());
        }
        Mutation::Delete(p, n) => {
            let p = pos(p);
            let end = (p + n).min(len);
            input.drain(p..end);
        }
        Mutation::Flip(p, b) => {
            if len > 0 {
                input[p % len] ^= b;
            }
        }
        Mutation::Repeat(p, n, times) => {
            let p = pos(p);
            let end = (p + n).min(len);
            let chunk = input[p..end].to_vec();
            for _ in 1..times {
                input.splice(end..end, chunk.iter().copied());
            }
        }
        Mutation::JsonValue(at, pick) => {
            if let Some(out) = mutate_json(input, at, pick) {
                *input = out;
            }
        }
        Mutation::Truncate(p) => {
            let p = pos(p);
            input.truncate(p);
        }
    }
}

fn cases() -> u32 {
    std::env::var("TRIBENCH_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

/// Seeds first, mutated 1-4 times.
fn fuzz(format: Format, name: &str) {
    let seeds = seeds(format, name);
    let target = Target::new(format);
    for s in &seeds {
        target.check(name, s).unwrap();
    }
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    });
    let strategy = (0..seeds.len(), proptest::collection::vec(mutation(), 1..5));
    let result = runner.run(&strategy, |(seed, muts)| {
        let mut input = seeds[seed].clone();
        for m in &muts {
            apply(&mut input, m);
        }
        target.check(name, &input).map_err(|e| {
            TestCaseError::fail(format!(
                "{e}\ninput ({} bytes), add it under tests/fuzz/crashes/{name}/:\n{}",
                input.len(),
                String::from_utf8_lossy(&input)
            ))
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn fuzz_every_input_format() {
    // The panic hook would print every caught panic; failures are reported below instead.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    for (format, name) in FORMATS {
        if let Err(e) = std::panic::catch_unwind(|| fuzz(format, name)) {
            failures.push(
                e.downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| format!("{name}: failed")),
            );
        }
    }
    std::panic::set_hook(hook);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Inputs that crashed a loader once, replayed as they are.
#[test]
fn past_crashes_stay_fixed() {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (format, name) in FORMATS {
        let Ok(rd) = std::fs::read_dir(fuzz_dir().join("crashes").join(name)) else {
            continue;
        };
        let target = Target::new(format);
        let mut files: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            replayed += 1;
            if let Err(e) = target.check(name, &read(&f)) {
                failures.push(format!("{}: {e}", f.display()));
            }
        }
    }
    std::panic::set_hook(hook);
    assert!(replayed >= 6, "the crash corpus is missing");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
