//! The polyglot family: Exercism practice exercises in six languages, graded as the Aider
//! benchmark grades them: the agent sees the instructions and solution files only; pristine
//! tests are restored and un-skipped before each run; a failed first try gets the cleaned test
//! output back once.

mod deps;
mod exercise;
pub mod image;
mod language;
mod missing;

pub use exercise::{find_exercise_dirs, load_exercise, Exercise};
pub use language::Language;

use crate::{shell_quote, FamilyContext, FamilyError, GradeResult};
use language::{MISSING_TOOL_EXIT, MISSING_TOOL_MARKER};
use std::sync::OnceLock;
use tribench_sandbox::{ExecRequest, Sandbox};
use tribench_types::{Outcome, Reference, TestStatus};

/// Lines of test output fed back to the agent after a failed first try (the Aider benchmark
/// feeds back the first 50).
const FEEDBACK_LINES: usize = 50;

/// Folders an exercise carries that the agent must not see: its docs go into the instruction,
/// and `.meta` holds the reference solution.
const WITHHELD_DIRS: [&str; 2] = [".meta", ".docs"];

async fn withhold_tests(ex: &Exercise, sb: &dyn Sandbox) -> Result<(), FamilyError> {
    for t in &ex.tests {
        sb.remove(t).await?;
    }
    Ok(())
}

/// The solution files as the agent left them, taken out of its workspace to be graded in a
/// fresh copy of the exercise: nothing else the agent wrote (a `pytest/` package, a rewritten
/// build file, an extra test file) reaches grading.
#[derive(Debug, Clone)]
pub struct Solution {
    /// Each solution file and its bytes; `None` when the workspace has no regular file there.
    files: Vec<(String, Option<Vec<u8>>)>,
    /// Why a solution file could not be taken, in the agent's terms.
    problems: Vec<String>,
    /// The agent's workspace as its commands saw it, so the test output reads as if run there.
    workdir: String,
}

/// Reads the solution files out of the agent's workspace. A file the agent removed or replaced
/// by something else is the agent's doing and is graded as absent; a sandbox that no longer
/// answers is an error.
pub(crate) async fn collect(ex: &Exercise, sb: &dyn Sandbox) -> Result<Solution, FamilyError> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for f in &ex.solution {
        match sb.read_file(f).await {
            Ok(bytes) => files.push((f.clone(), Some(bytes))),
            Err(_) => {
                let present = sb.exists(f).await?;
                problems.push(if present {
                    format!("the solution file {f} is not a regular file in the agent's workspace (a directory, or a link that leads nowhere or out of the workspace)")
                } else {
                    format!("the solution file {f} was removed from the agent's workspace")
                });
                files.push((f.clone(), None));
            }
        }
    }
    for f in extra_solution_files(ex, sb).await? {
        if let Ok(bytes) = sb.read_file(&f).await {
            files.push((f, Some(bytes)));
        }
    }
    Ok(Solution {
        files,
        problems,
        workdir: sb.workdir().to_string(),
    })
}

/// Most extra files a solution may bring (helper classes).
const MAX_EXTRA_FILES: usize = 100;

/// Files the agent added next to the solution files, which are part of the solution: a helper
/// class in Java's `src/main/java`, a module in Rust's `src/`. Only in a solution file's own
/// folder below the exercise root, with a solution file's extension, and never a file the
/// pristine exercise has: files at the root (a `pytest/` package, a `conftest.py`, an extra Go
/// test) never reach grading.
async fn extra_solution_files(ex: &Exercise, sb: &dyn Sandbox) -> Result<Vec<String>, FamilyError> {
    let mut folders: Vec<(String, String)> = ex
        .solution
        .iter()
        .filter_map(|s| {
            let p = std::path::Path::new(s);
            let parent = p.parent()?.to_str()?;
            let ext = p.extension()?.to_str()?;
            (!parent.is_empty()).then(|| (parent.to_string(), ext.to_string()))
        })
        .collect();
    folders.sort();
    folders.dedup();
    let mut extra = Vec::new();
    for (folder, ext) in folders {
        let script = format!(
            "[ -d {dir} ] && [ ! -L {dir} ] && find {dir} -type f -name {pattern} | head -n {MAX_EXTRA_FILES}",
            dir = shell_quote(&folder),
            pattern = shell_quote(&format!("*.{ext}")),
        );
        let out = sb
            .exec(ExecRequest::new(script, std::time::Duration::from_secs(60)))
            .await?;
        for line in out.stdout.text.lines() {
            let rel = line.trim_start_matches("./");
            let known =
                ex.solution.iter().chain(&ex.tests).any(|f| f == rel) || ex.dir.join(rel).exists();
            if !known
                && tribench_sandbox::check_relative(rel).is_ok()
                && !extra.iter().any(|e| e == rel)
            {
                extra.push(rel.to_string());
            }
        }
    }
    extra.truncate(MAX_EXTRA_FILES);
    Ok(extra)
}

/// Grades a solution in `sb`, a sandbox freshly prepared from the pristine exercise: the
/// solution files are put in, the tests restored and run.
pub(crate) async fn grade_solution(
    ex: &Exercise,
    sb: &dyn Sandbox,
    solution: &Solution,
    ctx: &FamilyContext,
) -> Result<GradeResult, FamilyError> {
    for (f, bytes) in &solution.files {
        match bytes {
            Some(bytes) => {
                let bytes = deps::graded_file(ex, f, bytes);
                sb.write_file(f, &bytes).await?;
            }
            None => sb.remove(f).await?,
        }
    }
    deps::install(ex, sb).await?;
    let mut graded = grade(ex, sb, ctx).await?;
    if sb.workdir() != solution.workdir {
        graded.log = graded.log.replace(sb.workdir(), &solution.workdir);
    }
    if !solution.problems.is_empty() && graded.outcome != Outcome::Resolved {
        let mut why = solution.problems.join("; ");
        if let Some(e) = &graded.error {
            why = format!("{why}; {e}");
        }
        graded.error = Some(why);
    }
    Ok(graded)
}

pub(crate) async fn grade(
    ex: &Exercise,
    sb: &dyn Sandbox,
    ctx: &FamilyContext,
) -> Result<GradeResult, FamilyError> {
    for t in &ex.tests {
        let path = ex.dir.join(t);
        let pristine = std::fs::read(&path).map_err(|e| FamilyError::InvalidTask {
            path: path.clone(),
            message: format!("cannot read test file: {e}"),
        })?;
        let contents = match String::from_utf8(pristine) {
            Ok(text) => ex.language.unskip(&text).into_bytes(),
            Err(raw) => raw.into_bytes(),
        };
        sb.write_file(t, &contents).await?;
    }
    let mut req = ExecRequest::new(ex.language.test_script(&ex.tests), ctx.test_timeout);
    req.output_cap = ctx.output_cap;
    if let Some(js) = &ctx.js_tools {
        req = req.env("TRIBENCH_JS_TOOLS", js.to_string_lossy());
    }
    let out = sb.exec(req).await;
    // Withhold the tests again whatever happened, so a second try cannot read them either.
    let withheld = withhold_tests(ex, sb).await;
    let out = out?;
    withheld?;

    let log = out.combined();
    let tests = ex.language.parse(&log);
    let any_failed = tests
        .iter()
        .any(|t| matches!(t.status, TestStatus::Failed | TestStatus::Error));
    let (outcome, error) = if out.timed_out {
        (
            Outcome::TestTimeout,
            Some(format!(
                "tests did not finish within {}s",
                ctx.test_timeout.as_secs()
            )),
        )
    } else if out.exit_code == Some(MISSING_TOOL_EXIT)
        && out.stderr.text.contains(MISSING_TOOL_MARKER)
    {
        let line = out
            .stderr
            .text
            .lines()
            .find(|l| l.contains(MISSING_TOOL_MARKER))
            .unwrap_or(MISSING_TOOL_MARKER)
            .replace(MISSING_TOOL_MARKER, "missing tool:");
        (Outcome::EnvironmentError, Some(line.trim().to_string()))
    } else if out.exit_code == Some(0) && !any_failed && ran_tests(ex.language, &tests) {
        (Outcome::Resolved, None)
    } else if let Some(missing) = missing::explain(ex, &log) {
        (Outcome::EnvironmentError, Some(missing))
    } else if out.exit_code == Some(0) && !any_failed {
        (
            Outcome::Unresolved,
            Some("the test command succeeded but no test was reported as passing".to_string()),
        )
    } else {
        (Outcome::Unresolved, None)
    };
    Ok(GradeResult {
        outcome,
        exit_code: out.exit_code,
        tests,
        log,
        test_ms: out.duration.as_millis() as u64,
        reward: None,
        error,
        artifacts: Vec::new(),
    })
}

/// Whether the log shows tests that passed. Catch's console reporter lists failures only, so
/// C++ trusts the exit status of the pristine build; every other runner must report a pass: a
/// run that exits 0 having run nothing proves nothing.
fn ran_tests(language: Language, tests: &[tribench_types::TestResult]) -> bool {
    language == Language::Cpp || tests.iter().any(|t| t.status == TestStatus::Passed)
}

/// The failing output as the agent gets it back: workspace paths made relative, timings
/// removed (they would make identical runs differ), lines about passing tests dropped, and
/// the first 50 lines kept.
pub(crate) fn feedback(ex: &Exercise, grade: &GradeResult, workdir: &str) -> String {
    static NOISE: OnceLock<Vec<regex::Regex>> = OnceLock::new();
    let noise = NOISE.get_or_init(|| {
        [
            // pytest, go, cargo, jest, junit timing forms
            r" in \d+(\.\d+)?s\b",
            r" ?\(\d+(\.\d+)? ?m?s\)",
            r"\t\d+(\.\d+)?s$",
            r"finished in \d+(\.\d+)?s",
            r"after \d+ ms",
            r"Time:\s+\S+ m?s.*",
        ]
        .iter()
        .filter_map(|p| regex::Regex::new(&format!("(?m){p}")).ok())
        .collect()
    });
    let passing = |l: &str| {
        let t = l.trim_start();
        t.starts_with("=== RUN")
            || t.starts_with("=== PAUSE")
            || t.starts_with("=== CONT")
            || t.starts_with("--- PASS")
            || t.starts_with("PASSED ")
            || t.starts_with("✓ ")
            || t.ends_with(" ... ok")
            || t.ends_with(" PASSED")
            || t.ends_with(" ✔")
    };
    let mut text = grade
        .log
        .replace(&format!("{workdir}/"), "")
        .replace(workdir, ".");
    for re in noise {
        text = re.replace_all(&text, "").into_owned();
    }
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !passing(l))
        .take(FEEDBACK_LINES)
        .collect();
    format!(
        "{}\n\nThe tests above failed. The tests are correct; do not change them. Fix the code in {} so that they pass.",
        lines.join("\n").trim_end(),
        ex.solution.join(", ")
    )
}

/// The agent's change to the solution files, as a unified diff against the stubs.
pub(crate) async fn diff(ex: &Exercise, sb: &dyn Sandbox) -> String {
    let mut out = String::new();
    for f in &ex.solution {
        let before = std::fs::read(ex.dir.join(f)).unwrap_or_default();
        let after = sb.read_file(f).await.unwrap_or_default();
        if before == after {
            continue;
        }
        let before = String::from_utf8_lossy(&before);
        let after = String::from_utf8_lossy(&after);
        let d = similar::TextDiff::from_lines(before.as_ref(), after.as_ref());
        out.push_str(
            &d.unified_diff()
                .header(&format!("a/{f}"), &format!("b/{f}"))
                .to_string(),
        );
    }
    out
}

/// An exercise as the engine runs it: graded from its solution files in a fresh copy of the
/// exercise, two tries with the test output fed back once.
#[async_trait::async_trait]
impl crate::Task for Exercise {
    fn environment(&self) -> crate::Environment {
        crate::Environment::Workspace {
            name: self.name.clone(),
        }
    }

    /// Exercises set no limits of their own: the run's apply.
    fn limits(&self) -> tribench_types::TaskLimits {
        tribench_types::TaskLimits::default()
    }

    fn instruction(&self) -> String {
        let files = self.solution.join(", ");
        format!(
            "{}\n\n---\n\nImplement the exercise above by editing these files: {files}.\n\
             Keep the names of the existing functions, classes, types and modules: the tests use them. \
             Use only the language's standard library; no packages can be installed.",
            self.instructions
        )
    }

    fn reference(&self) -> Result<Reference, FamilyError> {
        let mut files = Vec::new();
        let mut pairs = self.reference_pairs();
        // A reference that needs packages comes with its own manifest (Rust's
        // Cargo-example.toml).
        if let Some((manifest, target)) = deps::reference_manifest(self) {
            pairs.push((manifest, target));
        }
        for (example, target) in pairs {
            let path = self.dir.join(&example);
            let bytes = std::fs::read(&path).map_err(|e| FamilyError::InvalidTask {
                path: path.clone(),
                message: format!("cannot read reference solution: {e}"),
            })?;
            files.push((target, bytes));
        }
        Ok(Reference::Files { files })
    }

    async fn prepare(&self, sb: &dyn Sandbox) -> Result<(), FamilyError> {
        sb.copy_in(&self.dir, ".").await?;
        for d in WITHHELD_DIRS {
            sb.remove(d).await?;
        }
        withhold_tests(self, sb).await?;
        // Packages the exercise declares are fetched now, while the network is allowed; grading
        // reads them offline.
        deps::fetch(self).await?;
        Ok(())
    }

    /// Build files, test runners and processes in the agent's sandbox never reach the tests:
    /// only the solution files go to a fresh copy of the exercise.
    async fn grade(
        &self,
        sb: &dyn Sandbox,
        fresh: &dyn crate::FreshSandboxes,
        ctx: &FamilyContext,
    ) -> Result<GradeResult, FamilyError> {
        let solution = collect(self, sb).await?;
        let fresh = match crate::open_fresh(fresh).await {
            Ok(sb) => sb,
            Err(failed) => return Ok(failed),
        };
        let graded = grade_solution(self, fresh.as_ref(), &solution, ctx).await;
        Ok(crate::close_fresh(fresh, graded).await)
    }

    fn max_tries(&self) -> u32 {
        2
    }

    fn feedback(&self, grade: &GradeResult, workdir: &str) -> String {
        feedback(self, grade, workdir)
    }

    async fn diff(&self, sb: &dyn Sandbox) -> String {
        diff(self, sb).await
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn exercise() -> Exercise {
        Exercise {
            id: "python/x".into(),
            name: "x".into(),
            language: Language::Python,
            dir: PathBuf::from("/nonexistent"),
            solution: vec!["x.py".into()],
            tests: vec!["x_test.py".into()],
            examples: vec![".meta/example.py".into()],
            instructions: String::new(),
        }
    }

    fn grade(log: &str) -> GradeResult {
        GradeResult {
            outcome: Outcome::Unresolved,
            exit_code: Some(1),
            tests: Vec::new(),
            log: log.into(),
            test_ms: 0,
            reward: None,
            error: None,
            artifacts: Vec::new(),
        }
    }

    #[test]
    fn feedback_drops_timings_paths_and_passing_lines() {
        let log = "\
/tmp/t/trial-1/x/x_test.py:3: AssertionError
============ 1 failed, 2 passed in 0.12s ============
--- FAIL: TestA (0.00s)
--- PASS: TestB (0.01s)
ok  \tpkg\t0.003s
    ✕ basic phrase (6 ms)
    ✓ other (1 ms)
test result: FAILED. 1 passed; 1 failed; finished in 0.02s
Test run finished after 123 ms
Time:        0.512 s, estimated 1 s
test a::b ... ok";
        let fb = feedback(&exercise(), &grade(log), "/tmp/t/trial-1/x");
        for bad in [
            "/tmp/t", "0.12s", "0.00s", "0.003s", "6 ms", "0.02s", "123 ms", "0.512", "TestB",
            "other", "a::b",
        ] {
            assert!(!fb.contains(bad), "{bad:?} left in feedback:\n{fb}");
        }
        for good in [
            "x_test.py:3: AssertionError",
            "1 failed, 2 passed",
            "--- FAIL: TestA",
            "✕ basic phrase",
            "x.py so that",
        ] {
            assert!(fb.contains(good), "{good:?} missing from feedback:\n{fb}");
        }
    }

    #[test]
    fn feedback_keeps_the_first_fifty_lines() {
        let log: String = (0..200).map(|i| format!("line {i}\n")).collect();
        let fb = feedback(&exercise(), &grade(&log), "/w");
        assert!(fb.contains("line 49") && !fb.contains("line 50\n"), "{fb}");
    }
}
