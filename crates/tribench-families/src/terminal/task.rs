//! Reading Terminal-Bench task directories in both formats, with errors that name the task and
//! the file.

use crate::FamilyError;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
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
    /// The task's own limit on building its image, when its format sets one.
    pub build_timeout: Option<Duration>,
    pub agent_timeout: Option<Duration>,
    pub verifier_timeout: Option<Duration>,
    pub cpus: Option<f64>,
    pub memory_mb: Option<u64>,
    pub network: bool,
    pub env: Vec<(String, String)>,
    /// TB1's reference solution staged for the oracle: a private temporary folder, removed
    /// when the last copy of the task is dropped.
    solution_stage: Arc<OnceLock<tempfile::TempDir>>,
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

/// The longest timeout a task may set: 30 days.
const MAX_TIMEOUT_SEC: f64 = 30.0 * 24.0 * 3600.0;
/// CPUs a task may ask for.
const MAX_CPUS: f64 = 1024.0;
/// Memory (MiB) a task may ask for: Docker's floor of 6 MiB up to a terabyte.
const MEMORY_MB_RANGE: (u64, u64) = (6, 1 << 20);

/// The settings of a `task.toml` or `task.yaml`, every number validated. What the task loaders
/// use, and what a fuzzing harness can drive with arbitrary text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskSettings {
    pub category: Option<String>,
    /// task.yaml only: `instruction`, or the first of `descriptions`.
    pub instruction: Option<String>,
    /// task.toml only: `[environment] docker_image`.
    pub docker_image: Option<String>,
    pub build_timeout: Option<Duration>,
    pub agent_timeout: Option<Duration>,
    pub verifier_timeout: Option<Duration>,
    pub cpus: Option<f64>,
    pub memory_mb: Option<u64>,
    /// task.toml only: `[environment] allow_internet`.
    pub network: Option<bool>,
}

/// A timeout in seconds: finite, above 0, at most [`MAX_TIMEOUT_SEC`].
fn secs(field: &str, x: Option<f64>) -> Result<Option<Duration>, String> {
    let Some(x) = x else { return Ok(None) };
    if !(x.is_finite() && x > 0.0 && x <= MAX_TIMEOUT_SEC) {
        return Err(format!(
            "{field} = {x} is not a number of seconds above 0 and at most {MAX_TIMEOUT_SEC}"
        ));
    }
    Ok(Some(Duration::from_secs_f64(x)))
}

fn cpus(field: &str, x: Option<f64>) -> Result<Option<f64>, String> {
    match x {
        Some(c) if !(c.is_finite() && c > 0.0 && c <= MAX_CPUS) => Err(format!(
            "{field} = {c} is not a number of CPUs above 0 and at most {MAX_CPUS}"
        )),
        x => Ok(x),
    }
}

fn check_memory(field: &str, shown: &str, mb: Option<u64>) -> Result<u64, String> {
    match mb {
        Some(mb) if (MEMORY_MB_RANGE.0..=MEMORY_MB_RANGE.1).contains(&mb) => Ok(mb),
        _ => Err(format!(
            "{field} = {shown} is not a memory size between {} and {} MiB",
            MEMORY_MB_RANGE.0, MEMORY_MB_RANGE.1
        )),
    }
}

/// "2G", "512M", "1048576K" or a bare number of MiB, in MiB.
fn memory_mb(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_uppercase();
    let (num, mul) = match s.chars().last()? {
        'G' => (&s[..s.len() - 1], 1024.0),
        'M' => (&s[..s.len() - 1], 1.0),
        'K' => (&s[..s.len() - 1], 1.0 / 1024.0),
        _ => (s.as_str(), 1.0),
    };
    let mb = num.trim().parse::<f64>().ok()? * mul;
    // The range check happens on the result; this only keeps the cast meaningful.
    (mb.is_finite() && mb >= 0.0 && mb < u64::MAX as f64).then_some(mb as u64)
}

/// Parses and validates a Harbor `task.toml`. The error names the field.
pub fn parse_task_toml(text: &str) -> Result<TaskSettings, String> {
    let cfg: TaskToml = toml::from_str(text).map_err(|e| format!("not valid task.toml: {e}"))?;
    let env = &cfg.environment;
    let memory = match (env.memory_mb, env.memory.as_deref()) {
        (Some(mb), _) => Some(check_memory(
            "[environment] memory_mb",
            &mb.to_string(),
            Some(mb),
        )?),
        (None, Some(m)) => Some(check_memory(
            "[environment] memory",
            &format!("{m:?}"),
            memory_mb(m),
        )?),
        (None, None) => None,
    };
    Ok(TaskSettings {
        category: cfg
            .metadata
            .get("category")
            .and_then(|v| v.as_str())
            .map(String::from),
        instruction: None,
        docker_image: env.docker_image.clone(),
        build_timeout: secs("[environment] build_timeout_sec", env.build_timeout_sec)?,
        agent_timeout: secs("[agent] timeout_sec", cfg.agent.timeout_sec)?,
        verifier_timeout: secs("[verifier] timeout_sec", cfg.verifier.timeout_sec)?,
        cpus: cpus("[environment] cpus", env.cpus)?,
        memory_mb: memory,
        network: env.allow_internet,
    })
}

/// Parses and validates a Terminal-Bench 1 `task.yaml`. The error names the field.
pub fn parse_task_yaml(text: &str) -> Result<TaskSettings, String> {
    let cfg: TaskYaml =
        serde_saphyr::from_str(text).map_err(|e| format!("not valid task.yaml: {e}"))?;
    let instruction = cfg
        .instruction
        .clone()
        .or_else(|| {
            cfg.descriptions
                .as_ref()
                .and_then(|d| d.first())
                .map(|d| d.description.clone())
        })
        .filter(|s| !s.trim().is_empty());
    Ok(TaskSettings {
        category: cfg.category,
        instruction,
        agent_timeout: secs("max_agent_timeout_sec", cfg.max_agent_timeout_sec)?,
        verifier_timeout: secs("max_test_timeout_sec", cfg.max_test_timeout_sec)?,
        ..TaskSettings::default()
    })
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
    let cfg = parse_task_toml(&read(&toml_path)?)
        .map_err(|e| invalid(&toml_path, format!("task {id}: {e}")))?;
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
    let dockerfile = dir.join("environment").join("Dockerfile");
    // Harbor uses the prebuilt image unless told to build; we also build when the image
    // cannot be had (see `ImageSpec::NamedOrBuild`).
    let image = match &cfg.docker_image {
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
    let build_timeout = cfg.build_timeout;
    let services = group(&compose, "main");
    Ok(TerminalTask {
        category: cfg.category,
        id,
        dir: dir.to_path_buf(),
        format: TerminalFormat::Harbor,
        instruction,
        image,
        build_timeout,
        agent_timeout: cfg.agent_timeout,
        verifier_timeout: cfg.verifier_timeout,
        cpus: cfg.cpus,
        memory_mb: cfg.memory_mb,
        // Harbor's default: the internet is allowed unless the task says otherwise.
        network: cfg.network.unwrap_or(true),
        env: compose.main_env,
        solution_stage: Arc::default(),
        services,
    })
}

/// The services of a compose file, as the sandbox starts them (none: `None`). Their build
/// timeout is the trial's, set when the trial opens its sandbox.
fn group(compose: &super::compose::Compose, main: &str) -> Option<ServiceGroup> {
    (!compose.services.is_empty()).then(|| ServiceGroup {
        services: compose.services.clone(),
        main_name: main.to_string(),
        main_depends_on: compose.main_depends_on.clone(),
        build_timeout: Duration::ZERO,
    })
}

fn load_tb1(dir: &Path, id: String) -> Result<TerminalTask, FamilyError> {
    let yaml_path = dir.join("task.yaml");
    let cfg = parse_task_yaml(&read(&yaml_path)?)
        .map_err(|e| invalid(&yaml_path, format!("task {id}: {e}")))?;
    let instruction = cfg
        .instruction
        .clone()
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
    let services = group(&compose, "client");
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
        build_timeout: None,
        agent_timeout: cfg.agent_timeout,
        verifier_timeout: cfg.verifier_timeout,
        cpus: None,
        memory_mb: None,
        network: true,
        env,
        solution_stage: Arc::default(),
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

    /// TB1's solution lives beside the task's other files (its tests among them); the oracle
    /// gets it in a folder of its own: private to this user (mode 700), staged once per task and
    /// removed with the task, so no reference solution outlives the run.
    pub(crate) fn staged_solution(&self) -> Result<PathBuf, FamilyError> {
        if let Some(d) = self.solution_stage.get() {
            return Ok(d.path().to_path_buf());
        }
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
        remove_stale_stages();
        let prefix = format!("{STAGE_PREFIX}{}-", std::process::id());
        let dir = tempfile::Builder::new()
            .prefix(&prefix)
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .map_err(|e| invalid(&from, format!("cannot stage the solution: {e}")))?;
        std::fs::copy(&from, dir.path().join("solution.sh"))
            .map_err(|e| invalid(&from, format!("cannot stage: {e}")))?;
        // Two trials staging at once: one folder wins, the other is removed as it drops.
        let _ = self.solution_stage.set(dir);
        self.solution_stage
            .get()
            .map(|d| d.path().to_path_buf())
            .ok_or_else(|| invalid(&from, "cannot stage the solution"))
    }
}

/// Staged solutions live in the temporary folder under this prefix, then the owner's pid.
const STAGE_PREFIX: &str = "tribench-solutions-";

/// Removes staged solutions left by tribench processes that are gone (killed before they could
/// clean up), once per process.
fn remove_stale_stages() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let tmp = std::env::temp_dir();
        let Ok(entries) = std::fs::read_dir(&tmp) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix(STAGE_PREFIX) else {
                continue;
            };
            let pid = rest.split('-').next().unwrap_or("");
            let gone = !pid.is_empty()
                && pid.bytes().all(|b| b.is_ascii_digit())
                && !Path::new("/proc").join(pid).exists();
            if gone {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    });
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
