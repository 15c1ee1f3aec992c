//! Folders shipped with tribench (sample suites, agent definitions, test tools, image
//! contexts), found in the current directory or the source tree the binary was built
//! in; and the names that refer to them.

use crate::EngineError;
use std::path::{Path, PathBuf};
use tribench_agents::build::AgentChoice;

/// A shipped folder or file: `rel` in the current directory, else in the source tree the binary
/// was built in (`target/<profile>/tribench` → repository root).
pub fn shipped(rel: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok();
    let ups = exe.iter().flat_map(|e| e.ancestors().skip(1).take(4));
    std::iter::once(PathBuf::from(rel))
        .chain(ups.map(|up| up.join(rel)))
        .find(|p| p.exists())
        .and_then(|p| p.canonicalize().ok())
}

/// The bundled sample suites: every folder under `suites/`, in name order.
pub fn bundled_suites() -> Vec<PathBuf> {
    let Some(Ok(rd)) = shipped("suites").map(std::fs::read_dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = (rd.flatten().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// The suites `given`, else (none given) the bundled ones; `true` when they are the bundled.
pub fn suites_or_bundled(given: &[PathBuf]) -> (Vec<PathBuf>, bool) {
    match given.is_empty() {
        true => (bundled_suites(), true),
        false => (given.to_vec(), false),
    }
}

/// Which agent `--agent` names: `cli:NAME|PATH` is an agent program's definition file (a path,
/// or agents/NAME.toml shipped with tribench); anything else a named agent.
pub fn agent_choice(name: &str) -> Result<AgentChoice, EngineError> {
    let Some(which) = name.strip_prefix("cli:") else {
        return Ok(AgentChoice::Named(name.to_string()));
    };
    let path = PathBuf::from(which);
    if path.is_file() {
        return Ok(AgentChoice::Program(path));
    }
    match shipped(&format!("agents/{which}.toml")) {
        Some(p) => Ok(AgentChoice::Program(p)),
        None => Err(EngineError::Agent(format!(
            "no agent definition {which:?}: give a .toml path or one of agents/*.toml"
        ))),
    }
}

/// The JavaScript test tools shipped in tools/js, when `npm install` has been run there.
pub fn js_tools() -> Option<PathBuf> {
    shipped("tools/js").filter(|p| p.join("node_modules").is_dir())
}

/// A new run's default directory: `runs/<YYYY-MM-DD-HHMMSS>-<name>`.
pub fn default_run_dir(name: &str) -> PathBuf {
    let stamp = chrono::Local::now().format("%Y-%m-%d-%H%M%S");
    Path::new("runs").join(format!("{stamp}-{name}"))
}

/// The default directory of `tribench grade` for a model's predictions: `grade-<model>`, a
/// `/` in the model name (`org/model`) written `__`.
pub fn grade_run_dir(model: &str) -> PathBuf {
    default_run_dir(&format!("grade-{}", model.replace('/', "__")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn agent_names_and_definition_files() {
        assert!(matches!(agent_choice("oracle").unwrap(), AgentChoice::Named(n) if n == "oracle"));
        let dir = tempfile::tempdir().unwrap();
        let def = dir.path().join("mine.toml");
        std::fs::write(&def, "").unwrap();
        let named = agent_choice(&format!("cli:{}", def.display())).unwrap();
        assert!(matches!(named, AgentChoice::Program(p) if p == def));
        let err = agent_choice("cli:no-such-agent-here")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no agent definition \"no-such-agent-here\""),
            "{err}"
        );
    }

    #[test]
    fn given_suites_are_kept_and_none_means_the_bundled() {
        let given = vec![PathBuf::from("a"), PathBuf::from("b")];
        assert_eq!(suites_or_bundled(&given), (given, false));
        assert_eq!(suites_or_bundled(&[]), (bundled_suites(), true));
    }

    #[test]
    fn default_run_dirs_are_under_runs_and_end_with_the_name() {
        let d = default_run_dir("grade-org__model");
        assert!(d.starts_with("runs"));
        assert!(d.to_string_lossy().ends_with("-grade-org__model"));
    }

    #[test]
    fn grade_run_dirs_name_the_model_without_slashes() {
        let d = grade_run_dir("org/model");
        assert!(d.starts_with("runs"));
        let name = d.file_name().unwrap().to_string_lossy().to_string();
        assert!(name.ends_with("-grade-org__model"), "{name}");
        assert_eq!(d.components().count(), 2, "{}", d.display());
    }
}
