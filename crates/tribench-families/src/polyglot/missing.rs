//! Telling a build that failed for want of something the machine lacks (a library, a module, a
//! toolchain version) from a build the solution broke. Only what the pristine exercise itself
//! asks for counts: the build files and the tests, never the agent's code.

use super::{Exercise, Language};
use std::path::Path;
use std::sync::OnceLock;

fn re(
    cell: &'static OnceLock<Option<regex::Regex>>,
    pattern: &str,
) -> Option<&'static regex::Regex> {
    cell.get_or_init(|| regex::Regex::new(pattern).ok())
        .as_ref()
}

/// What is missing, worded for the report, when the log shows the exercise could not be built
/// for want of it.
pub(crate) fn explain(ex: &Exercise, log: &str) -> Option<String> {
    match ex.language {
        Language::Cpp => cmake(log),
        Language::Java => java(ex, log),
        Language::Python => python(ex, log),
        Language::Go => go(log),
        Language::Rust => rustc(log),
        Language::JavaScript => None,
    }
}

/// CMake's `find_package` failing in the pristine CMakeLists.txt.
fn cmake(log: &str) -> Option<String> {
    static RE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    // Module mode says "Could NOT find X"; config mode names the package in quotes.
    let pattern = r#"Could NOT find ([A-Za-z0-9_.+-]+)|Could not find a package configuration file provided by "([A-Za-z0-9_.+-]+)""#;
    let caps = re(&RE, pattern)?.captures(log)?;
    let what = caps.get(1).or_else(|| caps.get(2))?.as_str();
    Some(format!(
        "missing library: CMake could not find {what}, which the exercise's CMakeLists.txt requires (install its Debian -dev package)"
    ))
}

/// javac missing a package a test file (not the solution) imports.
fn java(ex: &Exercise, log: &str) -> Option<String> {
    static RE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let re = re(
        &RE,
        r"(?m)^(\S+\.java):\d+: error: package (\S+) does not exist",
    )?;
    let solution_names: Vec<&std::ffi::OsStr> = ex
        .solution
        .iter()
        .filter_map(|s| Path::new(s).file_name())
        .collect();
    re.captures_iter(log).find_map(|caps| {
        let file = caps.get(1)?.as_str();
        let package = caps.get(2)?.as_str();
        let name = Path::new(file).file_name()?;
        (!solution_names.contains(&name)).then(|| {
            format!("missing Java library: package {package} does not exist (imported by {file}, not by the solution)")
        })
    })
}

/// A module the tests import that is neither the solution nor installed.
fn python(ex: &Exercise, log: &str) -> Option<String> {
    static RE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let re = re(&RE, r"ModuleNotFoundError: No module named '([^']+)'")?;
    let solution_modules: Vec<String> = ex
        .solution
        .iter()
        .filter_map(|s| Some(Path::new(s).file_stem()?.to_string_lossy().into_owned()))
        .collect();
    let tests: String = ex
        .tests
        .iter()
        .filter_map(|t| std::fs::read_to_string(ex.dir.join(t)).ok())
        .collect::<Vec<_>>()
        .join("\n");
    re.captures_iter(log).find_map(|caps| {
        let module = caps.get(1)?.as_str();
        let top = module.split('.').next()?;
        let imported = tests.lines().any(|l| {
            let l = l.trim_start();
            l.strip_prefix("import ")
                .or_else(|| l.strip_prefix("from "))
                .is_some_and(|rest| {
                    rest.split([',', ' ', '.'])
                        .next()
                        .is_some_and(|m| m == top)
                })
        });
        (imported && !solution_modules.iter().any(|s| s == top)).then(|| {
            format!("missing Python module: {module} (imported by the tests; install its Debian python3- package)")
        })
    })
}

/// A crate the exercise declares that needs a newer rustc than the machine has.
fn rustc(log: &str) -> Option<String> {
    static RE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let caps = re(
        &RE,
        r"package `([^`]+)` cannot be built because it requires rustc ([0-9][0-9.]*) or newer",
    )?
    .captures(log)?;
    Some(format!(
        "missing toolchain: {} requires rustc {} or newer",
        caps.get(1)?.as_str(),
        caps.get(2)?.as_str()
    ))
}

/// A go.mod asking for a newer Go than the machine has (newer toolchains say so themselves; the
/// test script checks it before building).
fn go(log: &str) -> Option<String> {
    static RE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let caps = re(&RE, r"go\.mod requires go >= ?([0-9][0-9.]*)")?.captures(log)?;
    Some(format!(
        "missing toolchain: go.mod requires go >= {}",
        caps.get(1)?.as_str()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn ex(language: Language, dir: PathBuf, solution: &str, test: &str) -> Exercise {
        Exercise {
            id: "x/y".into(),
            name: "y".into(),
            language,
            dir,
            solution: vec![solution.into()],
            tests: vec![test.into()],
            examples: vec![],
            instructions: String::new(),
        }
    }

    #[test]
    fn missing_pieces_the_exercise_asks_for_are_named() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("y_test.py"),
            "import hypothesis\nfrom y import f\n",
        )
        .unwrap();
        let py = ex(Language::Python, d.path().into(), "y.py", "y_test.py");
        let m = explain(&py, "E   ModuleNotFoundError: No module named 'hypothesis'").unwrap();
        assert!(m.contains("hypothesis"), "{m}");
        // The solution's own imports are the agent's business.
        assert_eq!(
            explain(&py, "E   ModuleNotFoundError: No module named 'numpy'"),
            None
        );
        assert_eq!(
            explain(&py, "E   ModuleNotFoundError: No module named 'y'"),
            None
        );

        let java = ex(
            Language::Java,
            d.path().into(),
            "src/main/java/Y.java",
            "src/test/java/YTest.java",
        );
        let log = "src/test/java/YTest.java:3: error: package org.mockito does not exist\n";
        assert!(explain(&java, log).unwrap().contains("org.mockito"));
        let log = "src/main/java/Y.java:3: error: package org.apache.commons does not exist\n";
        assert_eq!(explain(&java, log), None);

        let cpp = ex(Language::Cpp, d.path().into(), "y.cpp", "y_test.cpp");
        let log = "CMake Error at /usr/share/cmake-3.25/Modules/FindPackageHandleStandardArgs.cmake:230 (message):\n  Could NOT find Boost (missing: Boost_INCLUDE_DIR date_time)\n";
        assert!(explain(&cpp, log).unwrap().contains("Boost"));

        let go = ex(Language::Go, d.path().into(), "y.go", "y_test.go");
        let log = "go: go.mod requires go >= 1.22 (running go 1.19; GOTOOLCHAIN=local)";
        assert!(explain(&go, log).unwrap().contains("1.22"));
        assert_eq!(explain(&go, "--- FAIL: TestY"), None);

        let rust = ex(Language::Rust, d.path().into(), "src/lib.rs", "tests/y.rs");
        let log = "error: package `unicode-segmentation v1.13.3` cannot be built because it requires rustc 1.85.0 or newer, while the currently active rustc version is 1.63.0";
        assert!(explain(&rust, log).unwrap().contains("rustc 1.85.0"));
    }
}
