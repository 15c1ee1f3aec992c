//! The polyglot toolchain image's build context: its Dockerfile and the JavaScript test tools
//! staged together in a temporary folder (hard links where possible), so `--sandbox docker`
//! can build one image holding every language's toolchain.

use crate::FamilyError;
use std::path::Path;
use tribench_sandbox::ImageSpec;

/// Where the toolchain image keeps the JavaScript test tools.
pub const IMAGE_JS_TOOLS: &str = "/opt/tribench-js";

fn io_error(path: &Path, e: impl std::fmt::Display) -> FamilyError {
    FamilyError::InvalidTask {
        path: path.to_path_buf(),
        message: format!("cannot stage the polyglot image context: {e}"),
    }
}

/// Stages the build context of `dockerfile` with the test tools of `js_tools` (which must hold
/// `node_modules/jest`); the returned folder must live as long as the image spec is used.
pub fn stage_toolchain_image(
    dockerfile: &Path,
    js_tools: &Path,
) -> Result<(tempfile::TempDir, ImageSpec), FamilyError> {
    if !js_tools.join("node_modules/jest/bin/jest.js").is_file() {
        return Err(FamilyError::InvalidTask {
            path: js_tools.join("node_modules"),
            message: "has no jest: run scripts/setup.sh first".into(),
        });
    }
    let stage = tempfile::Builder::new()
        .prefix("tribench-polyglot-image-")
        .tempdir()
        .map_err(|e| io_error(dockerfile, e))?;
    std::fs::copy(dockerfile, stage.path().join("Dockerfile"))
        .map_err(|e| io_error(dockerfile, e))?;
    link_tree(js_tools, &stage.path().join("js")).map_err(|e| io_error(js_tools, e))?;
    let spec = ImageSpec::Build {
        context: stage.path().to_path_buf(),
        dockerfile: "Dockerfile".into(),
    };
    Ok((stage, spec))
}

/// Mirrors a directory tree with hard links (a copy where linking is not possible).
fn link_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in walkdir::WalkDir::new(from).follow_links(false) {
        let entry = entry?;
        let rel = entry
            .path()
            .strip_prefix(from)
            .map_err(std::io::Error::other)?;
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest)?;
        } else if entry.file_type().is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &dest)?;
        } else if std::fs::hard_link(entry.path(), &dest).is_err() {
            std::fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_context_holds_the_dockerfile_and_the_tools_and_needs_jest() {
        let src = tempfile::tempdir().unwrap();
        let df = src.path().join("Dockerfile");
        std::fs::write(&df, "FROM scratch\n").unwrap();
        let js = src.path().join("js");
        std::fs::create_dir_all(js.join("node_modules/jest/bin")).unwrap();
        let err = stage_toolchain_image(&df, &js).unwrap_err().to_string();
        assert!(err.contains("node_modules: has no jest"), "{err}");
        std::fs::write(js.join("node_modules/jest/bin/jest.js"), "x").unwrap();
        std::os::unix::fs::symlink("jest.js", js.join("node_modules/jest/bin/link.js")).unwrap();
        let (stage, spec) = stage_toolchain_image(&df, &js).unwrap();
        let ctx = stage.path();
        assert_eq!(
            std::fs::read_to_string(ctx.join("Dockerfile")).unwrap(),
            "FROM scratch\n"
        );
        assert!(ctx.join("js/node_modules/jest/bin/jest.js").is_file());
        assert!(ctx.join("js/node_modules/jest/bin/link.js").is_symlink());
        assert!(matches!(spec, ImageSpec::Build { context, .. } if context == ctx));
    }
}
