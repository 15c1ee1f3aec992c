//! What differs between the six polyglot languages: how tests are un-skipped, the command that
//! runs them, the tools it needs, and the parser for its output.

use crate::shell_quote;
use crate::testlog;
use tribench_types::TestResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    Python,
    Rust,
    Go,
    JavaScript,
    Cpp,
    Java,
}

/// Exit code and stderr marker the test scripts use when a tool is missing, so a missing
/// toolchain is an environment error, never an agent failure.
pub(crate) const MISSING_TOOL_EXIT: i32 = 127;
pub(crate) const MISSING_TOOL_MARKER: &str = "tribench-missing-tool:";

impl Language {
    pub const ALL: [Language; 6] = [
        Language::Python,
        Language::Rust,
        Language::Go,
        Language::JavaScript,
        Language::Cpp,
        Language::Java,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::Rust => "rust",
            Language::Go => "go",
            Language::JavaScript => "javascript",
            Language::Cpp => "cpp",
            Language::Java => "java",
        }
    }

    pub fn from_name(s: &str) -> Option<Language> {
        Language::ALL
            .into_iter()
            .find(|l| l.name() == s.to_ascii_lowercase())
    }

    /// Guess from a solution file's extension, for trees not in `<lang>/exercises/...` layout.
    pub fn from_extension(path: &str) -> Option<Language> {
        let ext = path.rsplit('.').next()?;
        Some(match ext {
            "py" => Language::Python,
            "rs" => Language::Rust,
            "go" => Language::Go,
            "js" | "mjs" => Language::JavaScript,
            "cpp" | "cc" | "h" | "hpp" => Language::Cpp,
            "java" => Language::Java,
            _ => return None,
        })
    }

    /// Turns skipped tests back on, as the Aider benchmark does before running them.
    pub fn unskip(self, test_source: &str) -> String {
        match self {
            Language::JavaScript => {
                let s = replace_call(test_source, "xtest(", "test(");
                replace_call(&s, "xit(", "it(")
            }
            Language::Java => strip_disabled(test_source),
            // Rust: `--include-ignored`; C++: `-DEXERCISM_RUN_ALL_TESTS=1`; Python and Go skip
            // nothing by default.
            _ => test_source.to_string(),
        }
    }

    /// The shell script that runs the tests in the workspace. `test_files` are the pristine
    /// test files, relative to the workspace.
    pub fn test_script(self, test_files: &[String]) -> String {
        let need = |tool: &str, package: &str| {
            format!(
                "command -v {tool} >/dev/null 2>&1 || {{ echo '{MISSING_TOOL_MARKER} {tool} (install Debian package {package})' >&2; exit {MISSING_TOOL_EXIT}; }}\n"
            )
        };
        match self {
            Language::Python => {
                let files = test_files.iter().map(|f| shell_quote(f)).collect::<Vec<_>>().join(" ");
                format!(
                    "PY=\nfor p in python3 /usr/bin/python3; do\n  if command -v \"$p\" >/dev/null 2>&1 && \"$p\" -c 'import pytest' 2>/dev/null; then PY=$p; break; fi\ndone\n\
                     [ -n \"$PY\" ] || {{ echo '{MISSING_TOOL_MARKER} pytest (install Debian package python3-pytest)' >&2; exit {MISSING_TOOL_EXIT}; }}\n\
                     # Bytecode cached by an earlier run can be stale when a file was rewritten within\n\
                     # the same second at the same size; never trust it when grading.\n\
                     find . -name __pycache__ -type d -prune -exec rm -rf {{}} + 2>/dev/null\n\
                     # Isolated mode: no PYTHON* variables, no user site, and the working folder\n\
                     # not put first on the module path ahead of the real pytest.\n\
                     exec \"$PY\" -I -B -m pytest -rA -p no:cacheprovider --noconftest -o addopts= {files}\n"
                )
            }
            Language::Rust => format!(
                "{}export CARGO_TARGET_DIR=\"$PWD/target\" CARGO_NET_OFFLINE=true\nexec cargo test --offline -- --include-ignored\n",
                need("cargo", "cargo (or a rustup toolchain)")
            ),
            Language::Go => format!(
                "{}export GOCACHE=\"$HOME/.cache/go-build\" GOPATH=\"$HOME/go\" GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=mod\n\
                 # A go.mod asking for a newer Go than this one is the machine's lack, not the solution's.\n\
                 want=$(sed -n 's/^go \\([0-9][0-9.]*\\).*/\\1/p' go.mod 2>/dev/null | head -n 1)\n\
                 have=$(go env GOVERSION 2>/dev/null | sed 's/^go//')\n\
                 if [ -n \"$want\" ] && [ -n \"$have\" ] && [ \"$(printf '%s\\n%s\\n' \"$want\" \"$have\" | sort -V | head -n 1)\" != \"$want\" ]; then\n  \
                 echo \"{MISSING_TOOL_MARKER} go $want (go.mod requires go >= $want; this machine has go $have)\" >&2; exit {MISSING_TOOL_EXIT}\nfi\n\
                 exec go test -v ./...\n",
                need("go", "golang-go")
            ),
            Language::JavaScript => format!(
                "{}JEST=\"$TRIBENCH_JS_TOOLS/node_modules/jest/bin/jest.js\"\n\
                 [ -n \"$TRIBENCH_JS_TOOLS\" ] && [ -f \"$JEST\" ] || {{ echo '{MISSING_TOOL_MARKER} jest (run scripts/setup.sh, which runs npm install in tools/js)' >&2; exit {MISSING_TOOL_EXIT}; }}\n\
                 exec node \"$JEST\" --ci --verbose --no-watchman --config \"$TRIBENCH_JS_TOOLS/jest.config.js\" --rootDir \"$PWD\"\n",
                need("node", "nodejs")
            ),
            Language::Cpp => format!(
                "{}{}{}rm -rf build && mkdir build && cd build || exit 1\n\
                 cmake -DEXERCISM_RUN_ALL_TESTS=1 -G 'Unix Makefiles' .. || exit 1\nexec make\n",
                need("cmake", "cmake"),
                need("make", "make"),
                need("c++", "g++")
            ),
            Language::Java => format!(
                "{}{}# The console launcher draws its tree in UTF-8 only under a UTF-8 locale (a bare\n\
                 # container has none, and the tree would come out as question marks).\n\
                 export LANG=C.UTF-8 LC_ALL=C.UTF-8\n\
                 J=/usr/share/java\n\
                 for jar in junit-platform-console-standalone.jar:junit5 assertj-core.jar:libassertj-core-java; do\n  \
                 [ -f \"$J/${{jar%%:*}}\" ] || {{ echo \"{MISSING_TOOL_MARKER} $J/${{jar%%:*}} (install Debian package ${{jar#*:}})\" >&2; exit {MISSING_TOOL_EXIT}; }}\ndone\n\
                 CP=\"$J/junit-jupiter-api.jar:$J/junit-jupiter-params.jar:$J/assertj-core.jar:$J/opentest4j.jar:$J/apiguardian-api.jar:$J/junit-platform-commons.jar\"\n\
                 # JUnit 4 exercises run on the vintage engine the console launcher bundles.\n\
                 RUN_CP=\"$J/assertj-core.jar\"\n\
                 for jar in junit4.jar hamcrest-core.jar; do [ -f \"$J/$jar\" ] && CP=\"$CP:$J/$jar\" && RUN_CP=\"$RUN_CP:$J/$jar\"; done\n\
                 OUT=build/tribench-classes\nrm -rf \"$OUT\" && mkdir -p \"$OUT\" || exit 1\n\
                 find src/main/java src/test/java -name '*.java' > build/tribench-sources.txt 2>/dev/null\n\
                 javac -nowarn -encoding UTF-8 -d \"$OUT\" -cp \"$CP\" @build/tribench-sources.txt || exit 1\n\
                 exec java -jar \"$J/junit-platform-console-standalone.jar\" --disable-banner --disable-ansi-colors --details=tree \
                 --fail-if-no-tests -cp \"$OUT:$RUN_CP\" --scan-classpath \"$OUT\"\n",
                need("javac", "default-jdk-headless"),
                need("java", "default-jdk-headless")
            ),
        }
    }

    pub fn parse(self, log: &str) -> Vec<TestResult> {
        match self {
            Language::Python => testlog::parse_pytest(log),
            Language::Rust => testlog::parse_cargo_test(log),
            Language::Go => testlog::parse_go_test(log),
            Language::JavaScript => testlog::parse_jest_verbose(log),
            Language::Java => testlog::parse_junit_tree(log),
            // Catch2's console reporter lists failures only; the exit status decides.
            Language::Cpp => Vec::new(),
        }
    }
}

/// Replaces `from` where it starts a call (not part of a longer identifier).
fn replace_call(src: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(i) = rest.find(from) {
        let prev = rest[..i]
            .chars()
            .next_back()
            .or_else(|| out.chars().next_back());
        let word_start =
            !prev.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '.');
        out.push_str(&rest[..i]);
        out.push_str(if word_start { to } else { from });
        rest = &rest[i + from.len()..];
    }
    out.push_str(rest);
    out
}

/// Removes `@Disabled` and `@Disabled(...)` annotations (arguments may span lines).
fn strip_disabled(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(i) = rest.find("@Disabled") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "@Disabled".len()..];
        // `@DisabledOnOs` and friends are other annotations; keep them.
        if after
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            out.push_str("@Disabled");
            rest = after;
            continue;
        }
        let trimmed = after.trim_start();
        rest = if let Some(args) = trimmed.strip_prefix('(') {
            match matching_paren(args) {
                Some(end) => &args[end + 1..],
                None => after,
            }
        } else {
            after
        };
    }
    out.push_str(rest);
    out
}

/// Index of the `)` closing an already-opened paren, skipping string literals.
fn matching_paren(s: &str) -> Option<usize> {
    let mut depth = 1usize;
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if in_str {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_unskip_touches_only_calls() {
        let src = "xtest('a', () => {});\n  xit(\"b\", f);\nmaxtest(1);\nobj.xtest(2);\ntest('c')";
        let out = Language::JavaScript.unskip(src);
        assert_eq!(
            out,
            "test('a', () => {});\n  it(\"b\", f);\nmaxtest(1);\nobj.xtest(2);\ntest('c')"
        );
    }

    #[test]
    fn java_unskip_strips_bare_and_argument_forms() {
        let src = "@Disabled(\"Remove to run test\")\n@Test\nvoid a() {}\n@Disabled\n@Test void b() {}\n\
                   @Disabled(value = \"has ) paren\")\n@Test void c() {}\n@DisabledOnOs(OS.WINDOWS)\n";
        let out = Language::Java.unskip(src);
        assert!(
            !out.contains("@Disabled(") && !out.contains("@Disabled\n"),
            "{out}"
        );
        assert!(out.contains("@DisabledOnOs(OS.WINDOWS)"));
        assert_eq!(out.matches("@Test").count(), 3);
    }
}
