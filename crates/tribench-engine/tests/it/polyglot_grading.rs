//! Polyglot grading an agent cannot tamper with: a scripted model drives the real `llm` agent
//! in the real sandbox (bubblewrap locally, a container under Docker) and plants what a
//! reward-hacking agent would plant. Grading runs in a fresh copy of the pristine exercise with
//! only the solution files taken from the agent: nothing forged is `resolved`, processes the
//! agent leaves running never see the tests, what the agent breaks is its own failure, and the
//! legitimate solution still resolves.

use super::*;
use serde_json::json;
use tribench_agents::llm::scripted::{Reply, ScriptedServer};
use tribench_agents::llm::Mode;
use tribench_sandbox::ImageSpec;

fn sample(lang: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../suites/polyglot-sample")
        .join(lang)
        .join("exercises/practice")
        .join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A suite holding one of the bundled sample exercises.
pub(super) fn suite_of(lang: &str, name: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    copy_dir(
        &sample(lang, name),
        &root.path().join(lang).join("exercises/practice").join(name),
    );
    root
}

/// Bash commands, then submit.
fn commands(cmds: &[&str]) -> Vec<Reply> {
    let mut script: Vec<Reply> = cmds
        .iter()
        .map(|c| Reply::tool("bash", json!({"command": c})))
        .collect();
    script.push(Reply::tool("submit", json!({})));
    script
}

/// Writes each file of the exercise's reference solution where it belongs, then submits.
fn legitimate(lang: &str, name: &str, files: &[(&str, &str)]) -> Vec<Reply> {
    let mut script: Vec<Reply> = files
        .iter()
        .map(|(reference, target)| {
            let content = std::fs::read_to_string(sample(lang, name).join(reference)).unwrap();
            Reply::tool("write_file", json!({"path": target, "content": content}))
        })
        .collect();
    script.push(Reply::tool("submit", json!({})));
    script
}

async fn run_llm(
    suite: &Path,
    script: Vec<Reply>,
    tries: u32,
    image: Option<ImageSpec>,
) -> (TrialRecord, ScriptedServer) {
    let server = ScriptedServer::start(script).await.unwrap();
    let mut model = model_at(&server.base_url, 5);
    model.max_retries = 1;
    let agent = llm_agent(model, Mode::Tools);
    let work = tempfile::tempdir().unwrap();
    let mut cfg = config(&work.path().join("r"));
    cfg.max_tries = Some(tries);
    cfg.infra_retries = 0;
    cfg.timeouts.test_sec = 300;
    cfg.workspace_image = image;
    let trials = run_with(suite, agent, cfg).await;
    (trials[0].clone(), server)
}

fn assert_forgery_failed(t: &TrialRecord) {
    assert_eq!(t.outcome, Outcome::Unresolved, "{t:#?}");
    assert_eq!(t.passed_on_try, None);
}

fn bwrap() -> bool {
    let ok = matches!(Isolation::detect(), Isolation::Bwrap(_));
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "CI must have bubblewrap");
    }
    ok
}

// ---- Issue 17 item 4: files the agent may write do not reach grading ----

/// A forgery that must not resolve, then the honest solution that must.
struct Attack {
    lang: &'static str,
    name: &'static str,
    plant: &'static str,
    reference: &'static [(&'static str, &'static str)],
}

const CMAKE_ATTACK: Attack = Attack {
    lang: "cpp",
    name: "prime-factors",
    plant:
        "printf 'cmake_minimum_required(VERSION 3.10)\\nproject(nothing NONE)\\n' > CMakeLists.txt",
    reference: &[
        (".meta/example.cpp", "prime_factors.cpp"),
        (".meta/example.h", "prime_factors.h"),
    ],
};

/// Cargo.toml is one of this exercise's solution files: the agent may edit it.
const CARGO_ATTACK: Attack = Attack {
    lang: "rust",
    name: "balanced-brackets",
    plant: "printf '[package]\\nname = \"balanced_brackets\"\\nversion = \"0.1.0\"\\nedition = \"2021\"\\nautotests = false\\n' > Cargo.toml",
    reference: &[(".meta/example.rs", "src/lib.rs")],
};

const GO_ATTACK: Attack = Attack {
    lang: "go",
    name: "isbn-check",
    plant: "printf 'package isbn\\n\\nimport (\\n\\t\"os\"\\n\\t\"testing\"\\n)\\n\\nfunc TestMain(m *testing.M) { os.Exit(0) }\\n' > aaa_main_test.go",
    reference: &[(".meta/example.go", "isbn_check.go")],
};

async fn attack(a: &Attack, image: Option<ImageSpec>) {
    let suite = suite_of(a.lang, a.name);
    let (t, _s) = run_llm(suite.path(), commands(&[a.plant]), 1, image.clone()).await;
    assert_forgery_failed(&t);
    let (t, _s) = run_llm(
        suite.path(),
        legitimate(a.lang, a.name, a.reference),
        1,
        image,
    )
    .await;
    assert_eq!(
        t.outcome,
        Outcome::Resolved,
        "{}/{}: {t:#?}",
        a.lang,
        a.name
    );
}

#[tokio::test]
async fn a_pytest_package_in_the_workspace_does_not_grade_the_tests() {
    if !bwrap() {
        return;
    }
    let suite = suite_of("python", "word-tally");
    let forge = commands(&[
        "mkdir -p pytest && printf 'import sys\\nprint(\"===== 9 passed in 0.01s =====\")\\nsys.exit(0)\\n' > pytest/__main__.py && touch pytest/__init__.py && printf 'import sys\\nsys.exit(0)\\n' > conftest.py",
    ]);
    let (t, _s) = run_llm(suite.path(), forge, 1, None).await;
    assert_forgery_failed(&t);
    assert!(!t.tries[0].tests.is_empty(), "the real tests ran: {t:#?}");

    let honest = legitimate(
        "python",
        "word-tally",
        &[(".meta/example.py", "word_tally.py")],
    );
    let (t, _s) = run_llm(suite.path(), honest, 1, None).await;
    assert_eq!(t.outcome, Outcome::Resolved, "{t:#?}");
}

#[tokio::test]
async fn a_cmakelists_that_builds_nothing_does_not_grade_the_tests() {
    if !bwrap() {
        return;
    }
    attack(&CMAKE_ATTACK, None).await;
}

#[tokio::test]
async fn autotests_false_in_cargo_toml_does_not_switch_the_tests_off() {
    if !bwrap() {
        return;
    }
    attack(&CARGO_ATTACK, None).await;
}

#[tokio::test]
async fn an_extra_go_test_file_whose_testmain_exits_0_is_not_graded() {
    if !bwrap() {
        return;
    }
    attack(&GO_ATTACK, None).await;
}

// ---- Issue 17 item 8: what the agent breaks is the agent's failure ----

#[tokio::test]
async fn a_directory_or_dangling_link_where_the_tests_go_is_no_infrastructure_error() {
    if !bwrap() {
        return;
    }
    check_broken_paths(None).await;
}

/// The test file's place taken by a directory or a dangling link changes nothing: the honest
/// solution resolves. A solution file broken the same way is the agent's failure, with the
/// cause recorded, never an infrastructure error.
async fn check_broken_paths(image: Option<ImageSpec>) {
    let suite = suite_of("python", "word-tally");
    let solution =
        std::fs::read_to_string(sample("python", "word-tally").join(".meta/example.py")).unwrap();
    let write = |extra: &str| {
        vec![
            Reply::tool(
                "write_file",
                json!({"path": "word_tally.py", "content": solution}),
            ),
            Reply::tool("bash", json!({"command": extra})),
            Reply::tool("submit", json!({})),
        ]
    };
    for plant in [
        "mkdir -p word_tally_test.py/inner",
        "ln -sf /nonexistent/tests.py word_tally_test.py",
    ] {
        let (t, _s) = run_llm(suite.path(), write(plant), 1, image.clone()).await;
        assert_eq!(t.outcome, Outcome::Resolved, "{plant}: {t:#?}");
    }
    for (plant, cause) in [
        (
            "rm -f word_tally.py && mkdir word_tally.py",
            "not a regular file",
        ),
        (
            "rm -f word_tally.py && ln -s /nonexistent/solution.py word_tally.py",
            "not a regular file",
        ),
        ("rm -f word_tally.py", "was removed"),
    ] {
        let (t, _s) = run_llm(suite.path(), write(plant), 1, image.clone()).await;
        assert_eq!(t.outcome, Outcome::Unresolved, "{plant}: {t:#?}");
        let error = t.error.clone().unwrap_or_default();
        assert!(
            error.contains("word_tally.py") && error.contains(cause),
            "{plant}: the cause is not recorded: {error:?}"
        );
    }
}

// ---- Under Docker: the same grading in a fresh container ----

/// A small toolchain image (python3 and pytest) on the registry-free Debian base.
fn python_image() -> (tempfile::TempDir, ImageSpec) {
    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(
        ctx.path().join("Dockerfile"),
        "FROM tribench/debian:bookworm\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-pytest && rm -rf /var/lib/apt/lists/*\nWORKDIR /work\n",
    )
    .unwrap();
    let spec = ImageSpec::Build {
        context: ctx.path().to_path_buf(),
        dockerfile: "Dockerfile".into(),
    };
    (ctx, spec)
}

#[tokio::test]
async fn docker_a_broken_test_path_is_no_infrastructure_error_and_a_pytest_package_forges_nothing()
{
    if !docker_available() {
        return;
    }
    let (_ctx, image) = python_image();
    check_broken_paths(Some(image.clone())).await;
    let suite = suite_of("python", "word-tally");
    let forge = commands(&[
        "mkdir -p pytest && printf 'import sys\\nsys.exit(0)\\n' > pytest/__main__.py && touch pytest/__init__.py",
    ]);
    let (t, _s) = run_llm(suite.path(), forge, 1, Some(image)).await;
    assert_forgery_failed(&t);
}

/// The polyglot toolchain image without the JavaScript tools: its package layer is the one
/// images/polyglot/Dockerfile builds, so Docker's cache shares it.
fn toolchain_image() -> (tempfile::TempDir, ImageSpec) {
    let dockerfile = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../images/polyglot/Dockerfile"),
    )
    .unwrap();
    let ctx = tempfile::tempdir().unwrap();
    let without_js: String = dockerfile
        .lines()
        .filter(|l| !l.starts_with("COPY "))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(ctx.path().join("Dockerfile"), without_js).unwrap();
    let spec = ImageSpec::Build {
        context: ctx.path().to_path_buf(),
        dockerfile: "Dockerfile".into(),
    };
    (ctx, spec)
}

#[tokio::test]
async fn docker_planted_build_and_test_files_forge_nothing_in_cpp_rust_and_go() {
    if !docker_available() {
        return;
    }
    let (_ctx, image) = toolchain_image();
    for a in [&CMAKE_ATTACK, &CARGO_ATTACK, &GO_ATTACK] {
        attack(a, Some(image.clone())).await;
    }
}

// ---- Issue 17 item 5: processes the agent leaves running do not survive into grading ----

#[tokio::test]
async fn docker_a_background_loop_cannot_copy_the_tests_while_they_are_graded() {
    if !docker_available() {
        return;
    }
    let (_ctx, image) = python_image();
    let suite = suite_of("python", "word-tally");
    let test_text =
        std::fs::read_to_string(sample("python", "word-tally").join("word_tally_test.py")).unwrap();
    // Try 1 starts a loop that copies the test file whenever it appears; try 2 prints the loot.
    let script = vec![
        Reply::tool(
            "bash",
            json!({"command": "setsid sh -c 'while true; do cp word_tally_test.py /tmp/stolen.py 2>/dev/null; cp word_tally_test.py stolen.txt 2>/dev/null; sleep 0.05; done' >/dev/null 2>&1 </dev/null & echo started"}),
        ),
        Reply::tool("submit", json!({})),
        Reply::tool(
            "bash",
            json!({"command": "cat /tmp/stolen.py stolen.txt 2>&1; ps -eo pid,args | grep -c 'while true' || true"}),
        ),
        Reply::tool("submit", json!({})),
    ];
    let (t, server) = run_llm(suite.path(), script, 2, Some(image)).await;
    assert_forgery_failed(&t);
    assert_eq!(t.tries.len(), 2, "{t:#?}");
    // The model saw the loop's output: it never held the tests.
    let last = server.received().last().unwrap().body["messages"].clone();
    let seen: String = last
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .filter_map(|m| m["content"].as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let probe = test_text
        .lines()
        .find(|l| l.contains("assert"))
        .unwrap()
        .trim();
    assert!(!seen.contains(probe), "the agent read the tests: {seen}");
    assert!(seen.contains("No such file"), "the loop's output: {seen}");
}

#[tokio::test]
async fn docker_a_background_loop_cannot_replace_the_tests_while_they_are_graded() {
    if !docker_available() {
        return;
    }
    let (_ctx, image) = python_image();
    let suite = suite_of("python", "word-tally");
    let forge = commands(&[
        "setsid sh -c 'while true; do printf \"def test_fine():\\n    pass\\n\" > word_tally_test.py; sleep 0.02; done' >/dev/null 2>&1 </dev/null & echo started",
    ]);
    let (t, _s) = run_llm(suite.path(), forge, 1, Some(image)).await;
    assert_forgery_failed(&t);
    // The pristine tests ran, all of them, not the planted one.
    assert!(t.tries[0].tests.len() > 1, "{t:#?}");
    assert!(t.tries[0]
        .tests
        .iter()
        .all(|r| !r.name.contains("test_fine")));
}

#[tokio::test]
async fn grading_has_no_network_even_when_the_agent_had_it() {
    if !bwrap() {
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let suite = tempfile::tempdir().unwrap();
    let body = format!(
        "import socket\n\ndef test_answer():\n    try:\n        socket.create_connection(('127.0.0.1', {port}), timeout=3)\n        reached = True\n    except OSError:\n        reached = False\n    assert not reached, 'grading reached the network'\n    assert answer() == 42\n"
    );
    python_exercise(suite.path(), "offline", &body);
    let reached = Arc::new(Mutex::new(String::new()));
    let seen = reached.clone();
    let agent = scripted(move |_, _, sb| {
        let seen = seen.clone();
        Box::pin(async move {
            sb.write_file("offline.py", b"def answer():\n    return 42\n")
                .await?;
            let probe = format!("python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3); print('AGENT-REACHED')\"");
            *seen.lock().unwrap() = sh(sb, &probe).await;
            Ok(TurnOutcome::default())
        })
    });
    let work = tempfile::tempdir().unwrap();
    let mut cfg = config(&work.path().join("r"));
    cfg.max_tries = Some(1);
    cfg.network = true;
    let trials = run_with(suite.path(), agent, cfg).await;
    assert!(
        reached.lock().unwrap().contains("AGENT-REACHED"),
        "the agent was meant to have the network: {}",
        reached.lock().unwrap()
    );
    assert_eq!(trials[0].outcome, Outcome::Resolved, "{:#?}", trials[0]);
    drop(listener);
}
