//! Packages an exercise's reference solution needs (a Rust exercise's `.meta/Cargo-example.toml`
//! crates). They are fetched on the host while a trial is prepared, the one phase allowed the
//! network, into a cache keyed by the manifest's bytes; grading copies them into the fresh
//! workspace, where the build reads them offline. The agent and the tests never get the network.
//! Each language says what declares its packages and how they are fetched and found offline;
//! Rust is the one language of the real benchmark whose exercises declare any.

use super::{Exercise, Language};
use crate::FamilyError;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tribench_sandbox::Sandbox;

/// The Rust reference's own manifest, relative to the exercise.
const CARGO_EXAMPLE: &str = ".meta/Cargo-example.toml";
/// Where grading puts the fetched crates, relative to the workspace.
const VENDOR_DIR: &str = ".tribench-vendor";
/// The oldest rustc the fetched crates must build with: Debian bookworm's, the polyglot image's.
/// Cargo's resolver prefers crate versions that declare no newer `rust-version`.
const OLDEST_RUSTC: &str = "1.63";
/// The longest a fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(600);

/// The reference's manifest and where it goes, when the exercise has one.
pub(crate) fn reference_manifest(ex: &Exercise) -> Option<(String, String)> {
    (ex.language == Language::Rust && ex.dir.join(CARGO_EXAMPLE).is_file())
        .then(|| (CARGO_EXAMPLE.to_string(), "Cargo.toml".to_string()))
}

/// The manifest declaring packages to fetch, with its bytes, when there are any.
fn declared(ex: &Exercise) -> Result<Option<(PathBuf, Vec<u8>)>, FamilyError> {
    let Some((manifest, _)) = reference_manifest(ex) else {
        return Ok(None);
    };
    let path = ex.dir.join(manifest);
    let bytes = std::fs::read(&path).map_err(|e| invalid(&path, format!("cannot read: {e}")))?;
    let table = parse_table(&bytes).ok_or_else(|| invalid(&path, "not a valid Cargo manifest"))?;
    let any = table
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .is_some_and(|d| !d.is_empty());
    Ok(any.then_some((path, bytes)))
}

fn invalid(path: &Path, message: impl Into<String>) -> FamilyError {
    FamilyError::InvalidTask {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn parse_table(bytes: &[u8]) -> Option<toml::Table> {
    std::str::from_utf8(bytes).ok()?.parse::<toml::Table>().ok()
}

/// Where fetched packages are kept: `$TRIBENCH_CACHE_DIR`, else tribench's cache folder.
fn cache_root() -> PathBuf {
    std::env::var_os("TRIBENCH_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(tribench_datasets::cache_root)
}

/// Fetches the packages the exercise declares, unless the cache has them; returns the folder
/// holding them (`vendor/` for Rust), or `None` when the exercise declares none.
pub(crate) async fn fetch(ex: &Exercise) -> Result<Option<PathBuf>, FamilyError> {
    let Some((manifest_path, manifest)) = declared(ex)? else {
        return Ok(None);
    };
    let mut h = Sha256::new();
    h.update(&manifest);
    h.update(OLDEST_RUSTC.as_bytes());
    let key = hex::encode(h.finalize());
    let root = cache_root().join("polyglot-deps");
    let done = root.join(format!("rust-{key}"));
    if done.join("vendor").is_dir() {
        return Ok(Some(done.join("vendor")));
    }
    let fail = |message: String| {
        invalid(
            &manifest_path,
            format!("fetching the crates it declares failed: {message}"),
        )
    };
    std::fs::create_dir_all(&root)
        .map_err(|e| fail(format!("cannot create {}: {e}", root.display())))?;
    let staging = tempfile::Builder::new()
        .prefix("fetching-")
        .tempdir_in(&root)
        .map_err(|e| fail(format!("cannot create a folder in {}: {e}", root.display())))?;
    // A package of its own: the manifest as the reference uses it, outside any workspace.
    let mut table = parse_table(&manifest).unwrap_or_default();
    table
        .entry("workspace")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let Some(package) = table.get_mut("package").and_then(toml::Value::as_table_mut) {
        package
            .entry("rust-version")
            .or_insert_with(|| toml::Value::String(OLDEST_RUSTC.into()));
    }
    let project = staging.path();
    let written = std::fs::create_dir_all(project.join("src"))
        .and_then(|()| std::fs::write(project.join("src/lib.rs"), ""))
        .and_then(|()| std::fs::write(project.join("Cargo.toml"), table.to_string()));
    written.map_err(|e| fail(format!("cannot write to {}: {e}", project.display())))?;
    let mut cmd = tokio::process::Command::new("cargo");
    cmd.arg("vendor")
        .arg("--manifest-path")
        .arg(project.join("Cargo.toml"))
        .arg(project.join("vendor"))
        .env("CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS", "fallback")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let out = match tokio::time::timeout(FETCH_TIMEOUT, cmd.output()).await {
        Err(_) => {
            return Err(fail(format!(
                "cargo vendor took longer than {}s",
                FETCH_TIMEOUT.as_secs()
            )))
        }
        Ok(Err(e)) => return Err(fail(format!("cannot run cargo on the host: {e}"))),
        Ok(Ok(out)) => out,
    };
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(10).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(fail(format!("cargo vendor: {}", tail.join("\n"))));
    }
    let staged = staging.keep();
    // Another trial may have finished the same fetch first: then its copy is used.
    if std::fs::rename(&staged, &done).is_err() {
        let _ = std::fs::remove_dir_all(&staged);
    }
    if done.join("vendor").is_dir() {
        Ok(Some(done.join("vendor")))
    } else {
        Err(fail(format!("{} was not created", done.display())))
    }
}

/// Puts the fetched packages into a grading workspace and points the build at them.
pub(crate) async fn install(ex: &Exercise, sb: &dyn Sandbox) -> Result<(), FamilyError> {
    let Some(vendor) = fetch(ex).await? else {
        return Ok(());
    };
    sb.copy_in(&vendor, VENDOR_DIR).await?;
    let config = format!(
        "[source.crates-io]\nreplace-with = \"tribench-vendored\"\n\n[source.tribench-vendored]\ndirectory = \"{VENDOR_DIR}\"\n"
    );
    sb.write_file(".cargo/config.toml", config.as_bytes())
        .await?;
    Ok(())
}

/// A solution file as grading uses it. Rust's `Cargo.toml` is a solution file (the agent may
/// add crates), yet it also says which tests run (`autotests = false`, `[[test]]`, `build`):
/// grading takes only the agent's `[dependencies]` into the pristine manifest.
pub(crate) fn graded_file<'a>(ex: &Exercise, rel: &str, bytes: &'a [u8]) -> Cow<'a, [u8]> {
    if ex.language != Language::Rust || rel != "Cargo.toml" {
        return Cow::Borrowed(bytes);
    }
    let pristine = std::fs::read(ex.dir.join(rel))
        .ok()
        .and_then(|b| parse_table(&b));
    // A manifest that is not TOML fails the build as it is.
    let (Some(mut graded), Some(agent)) = (pristine, parse_table(bytes)) else {
        return Cow::Borrowed(bytes);
    };
    match agent.get("dependencies") {
        Some(d) => {
            graded.insert("dependencies".into(), d.clone());
        }
        None => {
            graded.remove("dependencies");
        }
    }
    Cow::Owned(graded.to_string().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grading_takes_only_the_agents_dependencies_into_the_pristine_manifest() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("Cargo.toml"),
            "[package]\nname = \"x\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        )
        .unwrap();
        let ex = Exercise {
            id: "rust/x".into(),
            name: "x".into(),
            language: Language::Rust,
            dir: d.path().into(),
            solution: vec!["src/lib.rs".into(), "Cargo.toml".into()],
            tests: vec!["tests/x.rs".into()],
            examples: vec![".meta/example.rs".into()],
            instructions: String::new(),
        };
        let agent = "[package]\nname = \"x\"\nversion = \"0.1.0\"\nedition = \"2021\"\nautotests = false\nbuild = \"evil.rs\"\n\n[[test]]\nname = \"nothing\"\npath = \"src/lib.rs\"\n\n[dependencies]\nunicode-segmentation = \"1\"\n";
        let graded = graded_file(&ex, "Cargo.toml", agent.as_bytes());
        let graded: toml::Table = std::str::from_utf8(&graded).unwrap().parse().unwrap();
        assert!(graded.get("test").is_none(), "{graded}");
        let package = graded["package"].as_table().unwrap();
        assert!(package.get("autotests").is_none() && package.get("build").is_none());
        assert_eq!(
            graded["dependencies"]["unicode-segmentation"].as_str(),
            Some("1")
        );
        // Other solution files and other languages pass through untouched.
        assert_eq!(&*graded_file(&ex, "src/lib.rs", b"fn x() {}"), b"fn x() {}");
    }
}
