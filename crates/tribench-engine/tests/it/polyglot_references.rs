//! The kinds of reference solutions and environments the real polyglot benchmark has, on our
//! own exercises in the real layout: a reference split over several files, a reference that
//! needs a crate (fetched at preparation, read offline in grading), a library from Debian; and
//! a build that lacks something the exercise itself asks for is an environment error naming it.

use super::polyglot_grading::suite_of;
use super::*;

fn nop() -> Arc<dyn Agent> {
    Arc::from(tribench_agents::by_name("nop").unwrap())
}

async fn run_one(suite: &Path, agent: Arc<dyn Agent>) -> TrialRecord {
    let work = tempfile::tempdir().unwrap();
    let mut cfg = config(&work.path().join("r"));
    cfg.max_tries = Some(1);
    cfg.infra_retries = 0;
    cfg.timeouts.test_sec = 300;
    cfg.timeouts.setup_sec = 600;
    run_with(suite, agent, cfg).await.remove(0)
}

#[tokio::test]
async fn references_in_several_files_with_crates_or_with_boost_pass_and_stubs_do_not() {
    for (lang, name) in [
        ("java", "word-tally"),
        ("rust", "reverse-graphemes"),
        ("cpp", "last-friday"),
    ] {
        let suite = suite_of(lang, name);
        let t = run_one(suite.path(), oracle()).await;
        assert_eq!(t.outcome, Outcome::Resolved, "{lang}/{name}: {t:#?}");
        let t = run_one(suite.path(), nop()).await;
        assert_eq!(t.outcome, Outcome::Unresolved, "{lang}/{name}: {t:#?}");
    }
}

/// Rewrites a file of a copied sample exercise.
fn edit(suite: &Path, lang: &str, name: &str, file: &str, f: impl Fn(String) -> String) {
    let p = suite
        .join(lang)
        .join("exercises/practice")
        .join(name)
        .join(file);
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, f(text)).unwrap();
}

/// (language, exercise, file, how it is changed, what the error must name).
type Breakage<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a dyn Fn(String) -> String,
    &'a str,
);

#[tokio::test]
async fn a_build_lacking_what_the_exercise_asks_for_is_an_environment_error_naming_it() {
    let cases: [Breakage; 5] = [
        (
            "cpp",
            "prime-factors",
            "CMakeLists.txt",
            &|t| format!("{t}\nfind_package(TribenchNoSuchLib REQUIRED)\n"),
            "TribenchNoSuchLib",
        ),
        (
            "cpp",
            "prime-factors",
            "CMakeLists.txt",
            &|t| format!("{t}\nfind_package(ZLIB 999 REQUIRED)\n"),
            "ZLIB",
        ),
        (
            "python",
            "word-tally",
            "word_tally_test.py",
            &|t| format!("import tribench_no_such_module\n{t}"),
            "tribench_no_such_module",
        ),
        (
            "java",
            "luhn-check",
            "src/test/java/LuhnCheckTest.java",
            &|t| format!("import org.tribench.missing.Thing;\n{t}"),
            "org.tribench.missing",
        ),
        (
            "go",
            "isbn-check",
            "go.mod",
            &|t| {
                t.lines()
                    .map(|l| {
                        if l.starts_with("go ") {
                            "go 1.99".to_string()
                        } else {
                            l.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
                    + "\n"
            },
            "1.99",
        ),
    ];
    for (lang, name, file, change, named) in cases {
        let suite = suite_of(lang, name);
        edit(suite.path(), lang, name, file, change);
        let t = run_one(suite.path(), oracle()).await;
        assert_eq!(
            t.outcome,
            Outcome::EnvironmentError,
            "{lang}/{name}: {t:#?}"
        );
        let error = t.error.clone().unwrap_or_default();
        assert!(error.contains(named), "{lang}/{name}: {error}");
    }
    // The solution's own missing import is the agent's failure.
    let suite = suite_of("python", "word-tally");
    let server_side = suite
        .path()
        .join("python/exercises/practice/word-tally/.meta/example.py");
    let text = std::fs::read_to_string(&server_side).unwrap();
    std::fs::write(
        &server_side,
        format!("import tribench_no_such_module\n{text}"),
    )
    .unwrap();
    let t = run_one(suite.path(), oracle()).await;
    assert_eq!(t.outcome, Outcome::Unresolved, "{t:#?}");
}
