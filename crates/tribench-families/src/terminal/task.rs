//! Reading Terminal-Bench task directories in both formats, with errors that name the task and
//! the file.

use crate::FamilyError;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tribench_sandbox::{ImageSpec, ServiceGroup};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalFormat {
    /// Harbor / Terminal-Bench 2 (`task.toml`).
    Harbor,
    /// Terminal-Bench 1 (`task.yaml`).
    Tb1,
}

/// One task, validated.
#[derive(Debug, Clone)]
pub struct TerminalTask {
    pub id: String,
    pub dir: PathBuf,
    pub format: TerminalFormat,
    pub instruction: String,
    pub category: Option<String>,
    pub image: ImageSpec,
    pub build_timeout: Duration,
    pub agent_timeout: Option<Duration>,
    pub verifier_timeout: Option<Duration>,
    pub cpus: Option<f64>,
    pub memory_mb: Option<u64>,
    pub network: bool,
    pub env: Vec<(String, String)>,
    /// Services from the task's docker-compose file, started beside its container.
    pub services: Option<ServiceGroup>,
}

fn invalid(path: &Path, message: impl Into<String>) -> FamilyError {
    FamilyError::InvalidTask {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Task directories under `root`: `root` itself when it is one, else its subfolders that are.
pub fn find_task_dirs(root: &Path) -> Vec<PathBuf> {
    let is_task = |p: &Path| p.join("task.toml").is_file() || p.join("task.yaml").is_file();
    if is_task(root) {
        return vec![root.to_path_buf()];
    }
    let mut v: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir() && is_task(p))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[derive(Deserialize, Default)]
struct TaskToml {
    #[serde(default)]
    metadata: HashMap<String, toml::Value>,
    #[serde(default)]
    agent: TimeoutSection,
    #[serde(default)]
    verifier: TimeoutSection,
    #[serde(default)]
    environment: EnvironmentSection,
}

#[derive(Deserialize, Default)]
struct TimeoutSection {
    timeout_sec: Option<f64>,
}

#[derive(Deserialize, Default)]
struct EnvironmentSection {
    build_timeout_sec: Option<f64>,
    docker_image: Option<String>,
    cpus: Option<f64>,
    memory_mb: Option<u64>,
    /// Deprecated spelling: "2G", "512M".
    memory: Option<String>,
    allow_internet: Option<bool>,
}

#[derive(Deserialize, Default)]
struct TaskYaml {
    instruction: Option<String>,
    descriptions: Option<Vec<Description>>,
    category: Option<String>,
    max_agent_timeout_sec: Option<f64>,
    max_test_timeout_sec: Option<f64>,
}

#[derive(Deserialize)]
struct Description {
    description: String,
}

fn secs(x: Option<f64>) -> Option<Duration> {
    x.filter(|s| *s > 0.0).map(Duration::from_secs_f64)
}

fn memory_mb(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_uppercase();
    let (num, mul) = match s.chars().last()? {
        'G' => (&s[..s.len() - 1], 1024.0),
        'M' => (&s[..s.len() - 1], 1.0),
        'K' => (&s[..s.len() - 1], 1.0 / 1024.0),
        _ => (s.as_str(), 1.0),
    };
    num.parse::<f64>().ok().map(|n| (n * mul) as u64)
}

fn read(path: &Path) -> Result<String, FamilyError> {
    std::fs::read_to_string(path).map_err(|e| invalid(path, format!("cannot read: {e}")))
}

pub fn load_task(dir: &Path) -> Result<TerminalTask, FamilyError> {
    let id = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "task".into());
    if dir.join("task.toml").is_file() {
        load_harbor(dir, id)
    } else {
        load_tb1(dir, id)
    }
}

fn load_harbor(dir: &Path, id: String) -> Result<TerminalTask, FamilyError> {
    let toml_path = dir.join("task.toml");
    let cfg: TaskToml = toml::from_str(&read(&toml_path)?)
        .map_err(|e| invalid(&toml_path, format!("task {id}: not valid task.toml: {e}")))?;
    let instr_path = dir.join("instruction.md");
    if !instr_path.is_file() {
        return Err(invalid(
            &instr_path,
            format!("task {id}: missing: the task has no instruction"),
        ));
    }
    let instruction = read(&instr_path)?;
    if instruction.trim().is_empty() {
        return Err(invalid(
            &instr_path,
            format!("task {id}: the instruction is empty"),
        ));
    }
    let env = &cfg.environment;
    let dockerfile = dir.join("environment").join("Dockerfile");
    // Harbor uses the prebuilt image unless told to build; we also build when the image
    // cannot be had (see `ImageSpec::NamedOrBuild`).
    let image = match &env.docker_image {
        Some(name) if dockerfile.is_file() => ImageSpec::NamedOrBuild {
            name: name.clone(),
            context: dir.join("environment"),
            dockerfile: "Dockerfile".into(),
        },
        Some(name) => ImageSpec::Named(name.clone()),
        None => {
            if !dockerfile.is_file() {
                return Err(invalid(
                    &dockerfile,
                    format!("task {id}: missing, and task.toml names no docker_image"),
                ));
            }
            ImageSpec::Build {
                context: dir.join("environment"),
                dockerfile: "Dockerfile".into(),
            }
        }
    };
    let test_sh = dir.join("tests").join("test.sh");
    if !test_sh.is_file() {
        return Err(invalid(
            &test_sh,
            format!("task {id}: missing: the task has no verifier"),
        ));
    }
    let compose_path = dir.join("environment").join("docker-compose.yaml");
    let compose = if compose_path.is_file() {
        super::compose::read(&compose_path, &id, "main")?
    } else {
        super::compose::Compose::default()
    };
    let build_timeout = secs(env.build_timeout_sec).unwrap_or(Duration::from_secs(600));
    let services = group(&compose, "main", build_timeout);
    Ok(TerminalTask {
        category: cfg
            .metadata
            .get("category")
            .and_then(|v| v.as_str())
            .map(String::from),
        id,
        dir: dir.to_path_buf(),
        format: TerminalFormat::Harbor,
        instruction,
        image,
        build_timeout,
        agent_timeout: secs(cfg.agent.timeout_sec),
        verifier_timeout: secs(cfg.verifier.timeout_sec),
        cpus: env.cpus,
        memory_mb: env
            .memory_mb
            .or_else(|| env.memory.as_deref().and_then(memory_mb)),
        // Harbor's default: the internet is allowed unless the task says otherwise.
        network: env.allow_internet.unwrap_or(true),
        env: compose.main_env,
        services,
    })
}

/// The services of a compose file, as the sandbox starts them (none: `None`).
fn group(
    compose: &super::compose::Compose,
    main: &str,
    build_timeout: Duration,
) -> Option<ServiceGroup> {
    (!compose.services.is_empty()).then(|| ServiceGroup {
        services: compose.services.clone(),
        main_name: main.to_string(),
        main_depends_on: compose.main_depends_on.clone(),
        build_timeout,
    })
}

fn load_tb1(dir: &Path, id: String) -> Result<TerminalTask, FamilyError> {
    let yaml_path = dir.join("task.yaml");
    let cfg: TaskYaml = serde_saphyr::from_str(&read(&yaml_path)?)
        .map_err(|e| invalid(&yaml_path, format!("task {id}: not valid task.yaml: {e}")))?;
    let instruction = cfg
        .instruction
        .clone()
        .or_else(|| {
            cfg.descriptions
                .as_ref()
                .and_then(|d| d.first())
                .map(|d| d.description.clone())
        })
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| invalid(&yaml_path, format!("task {id}: missing instruction")))?;
    let compose_path = dir.join("docker-compose.yaml");
    let compose = if compose_path.is_file() {
        super::compose::read(&compose_path, &id, "client")?
    } else {
        super::compose::Compose::default()
    };
    let (context, dockerfile) = compose
        .main_build
        .clone()
        .unwrap_or_else(|| (".".into(), "Dockerfile".into()));
    let context = dir.join(context);
    if !context.join(&dockerfile).is_file() {
        return Err(invalid(
            &context.join(&dockerfile),
            format!("task {id}: missing Dockerfile"),
        ));
    }
    let run_tests = dir.join("run-tests.sh");
    if !run_tests.is_file() {
        return Err(invalid(
            &run_tests,
            format!("task {id}: missing: the task has no test runner"),
        ));
    }
    let services = group(&compose, "client", Duration::from_secs(600));
    let env = compose.main_env;
    Ok(TerminalTask {
        id,
        dir: dir.to_path_buf(),
        format: TerminalFormat::Tb1,
        instruction,
        category: cfg.category,
        image: ImageSpec::Build {
            context,
            dockerfile,
        },
        build_timeout: Duration::from_secs(600),
        agent_timeout: secs(cfg.max_agent_timeout_sec),
        verifier_timeout: secs(cfg.max_test_timeout_sec),
        cpus: None,
        memory_mb: None,
        network: true,
        env,
        services,
    })
}

impl TerminalTask {
    /// What grading copies to `/tests`: the task's `tests/`, plus `run-tests.sh` for TB1.
    pub fn staged_tests(&self) -> Result<tempfile::TempDir, FamilyError> {
        let staged = tempfile::tempdir()
            .map_err(|e| invalid(&self.dir, format!("cannot stage tests: {e}")))?;
        let tests = self.dir.join("tests");
        if tests.is_dir() {
            copy_dir(&tests, staged.path())?;
        }
        if self.format == TerminalFormat::Tb1 {
            let from = self.dir.join("run-tests.sh");
            std::fs::copy(&from, staged.path().join("run-tests.sh"))
                .map_err(|e| invalid(&from, format!("cannot stage: {e}")))?;
        }
        Ok(staged)
    }

    /// TB1's solution lives beside the task's other files; the oracle gets it in a folder of
    /// its own, kept for the life of the process.
    pub(crate) fn staged_solution(&self) -> Result<PathBuf, FamilyError> {
        let from = self.dir.join("solution.sh");
        if !from.is_file() {
            return Err(invalid(
                &from,
                format!(
                    "task {}: missing: the task has no reference solution",
                    self.id
                ),
            ));
        }
        let dir = std::env::temp_dir()
            .join(format!("tribench-solutions-{}", std::process::id()))
            .join(&self.id);
        std::fs::create_dir_all(&dir)
            .map_err(|e| invalid(&dir, format!("cannot stage the solution: {e}")))?;
        std::fs::copy(&from, dir.join("solution.sh"))
            .map_err(|e| invalid(&from, format!("cannot stage: {e}")))?;
        Ok(dir)
    }
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), FamilyError> {
    for entry in walkdir::WalkDir::new(from).follow_links(false) {
        let entry = entry.map_err(|e| invalid(from, format!("cannot read: {e}")))?;
        let rel = entry.path().strip_prefix(from).unwrap_or(entry.path());
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).map_err(|e| invalid(&dest, e.to_string()))?;
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &dest).map_err(|e| invalid(entry.path(), e.to_string()))?;
        }
    }
    Ok(())
}
