//! The task families. Each knows how to load its tasks, prepare a sandbox for one (withholding
//! tests and solutions), word the instruction, hand over the reference solution, and grade.
//! The engine sees only [`Suite`] and [`SuiteTask`] and never which family it runs.

mod pin;
pub mod polyglot;
pub mod swebench;
pub mod terminal;
pub mod testlog;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tribench_sandbox::{ImageSpec, Sandbox, SandboxError, ServiceGroup};
use tribench_types::{
    DatasetInfo, FamilyKind, GradingMode, Outcome, Reference, TaskInfo, TaskLimits, TestResult,
};

#[derive(Debug, thiserror::Error)]
pub enum FamilyError {
    #[error("{}: {message}", path.display())]
    InvalidTask { path: PathBuf, message: String },
    #[error("{} problem(s) in the suite:\n  {}", .0.len(), .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n  "))]
    Many(Vec<FamilyError>),
    #[error("no tasks found in {}: expected Exercism exercises (folders with .meta/config.json) or Terminal-Bench tasks (task.toml or task.yaml)", .0.display())]
    NoTasks(PathBuf),
    #[error("{}: {what} suites are not supported by this version of tribench yet", path.display())]
    Unsupported { path: PathBuf, what: &'static str },
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
}

/// Settings a family needs at grading time: the trial's effective ones.
#[derive(Debug, Clone)]
pub struct FamilyContext {
    pub test_timeout: Duration,
    pub output_cap: usize,
    /// Folder with `node_modules/jest` and `jest.config.js` for JavaScript exercises.
    pub js_tools: Option<PathBuf>,
    /// Verdicts of families graded as an official harness grades: its own, faults included, or
    /// strict.
    pub grading_mode: GradingMode,
}

/// One grading pass.
#[derive(Debug, Clone)]
pub struct GradeResult {
    pub outcome: Outcome,
    pub exit_code: Option<i32>,
    pub tests: Vec<TestResult>,
    /// The test command's output (stdout then stderr), capped.
    pub log: String,
    pub test_ms: u64,
    pub reward: Option<f64>,
    pub error: Option<String>,
    /// Extra files to keep with the trial (name, bytes): the graded patch, an official
    /// report.json and the like.
    pub artifacts: Vec<(String, Vec<u8>)>,
}

impl GradeResult {
    /// Something the agent broke kept its work from being graded (a repository it deleted, a
    /// container it left unusable): `unresolved`, the cause recorded, never infrastructure.
    pub fn broken_by_agent(cause: String) -> Self {
        GradeResult {
            outcome: Outcome::Unresolved,
            exit_code: None,
            tests: Vec::new(),
            log: cause.clone(),
            test_ms: 0,
            reward: None,
            error: Some(cause),
            artifacts: Vec::new(),
        }
    }

    /// Grading could not get a sandbox (or the tests could not run in it): the environment's
    /// fault, recorded as such.
    pub fn environment_error(error: String, artifacts: Vec<(String, Vec<u8>)>) -> Self {
        GradeResult {
            outcome: Outcome::EnvironmentError,
            exit_code: None,
            tests: Vec::new(),
            log: error.clone(),
            test_ms: 0,
            reward: None,
            error: Some(error),
            artifacts,
        }
    }
}

/// How a patch made elsewhere fared.
#[derive(Debug, Clone)]
pub enum PatchGrade {
    /// The tests ran (or grading failed trying).
    Graded(GradeResult),
    /// Nothing ran: the verdict follows from the patch alone (an empty patch, as the official
    /// SWE-bench harness counts it).
    NotRun {
        outcome: Outcome,
        artifacts: Vec<(String, Vec<u8>)>,
    },
}

/// Why no fresh sandbox could be had: the message, and files worth keeping (a build log).
#[derive(Debug, Clone)]
pub struct Unavailable {
    pub message: String,
    pub artifacts: Vec<(String, Vec<u8>)>,
}

/// Opens sandboxes to grade in, handed to a task by the engine: each a new sandbox of the
/// task's environment, without the network, with the task prepared in it. Nothing the agent
/// installed, started or planted outside its submission reaches the tests there.
#[async_trait]
pub trait FreshSandboxes: Send + Sync {
    async fn open(&self) -> Result<Box<dyn Sandbox>, Unavailable>;
}

/// A fresh sandbox to grade in; none is an environment error, ready to be the verdict.
pub(crate) async fn open_fresh(
    fresh: &dyn FreshSandboxes,
) -> Result<Box<dyn Sandbox>, GradeResult> {
    fresh
        .open()
        .await
        .map_err(|u| GradeResult::environment_error(u.message, u.artifacts))
}

/// Removes a sandbox from [`open_fresh`] and gives the verdict: a grading that failed there is
/// an environment error.
pub(crate) async fn close_fresh(
    sb: Box<dyn Sandbox>,
    graded: Result<GradeResult, FamilyError>,
) -> GradeResult {
    if let Err(e) = sb.stop().await {
        tracing::warn!("could not remove sandbox: {e}");
    }
    graded.unwrap_or_else(|e| {
        GradeResult::environment_error(format!("grading failed: {e}"), Vec::new())
    })
}

/// Where a task must run.
#[derive(Debug, Clone)]
pub enum Environment {
    /// A plain workspace folder with this name (any backend will do).
    Workspace { name: String },
    /// A container from this image (its limits are the trial's: see [`Task::limits`]).
    Container {
        image: ImageSpec,
        env: Vec<(String, String)>,
        /// The workspace inside the container; `None`: the image's WORKDIR.
        workdir: Option<String>,
    },
}

/// One task of some family: everything the engine asks of it. Each family implements it; the
/// engine never knows which it runs.
#[async_trait]
pub trait Task: Send + Sync + std::fmt::Debug + Any {
    /// Where the task must run.
    fn environment(&self) -> Environment;

    /// Services started beside the task's container (a compose file's).
    fn services(&self) -> Option<ServiceGroup> {
        None
    }

    /// What the task's own format says about its limits (the run's settings fill the rest:
    /// [`tribench_types::RunLimits::for_task`]).
    fn limits(&self) -> TaskLimits;

    /// What the agent is asked to do.
    fn instruction(&self) -> String;

    /// The reference solution, for the oracle agent only.
    fn reference(&self) -> Result<Reference, FamilyError>;

    /// Puts the task into a fresh sandbox, without its tests or reference solution.
    async fn prepare(&self, sb: &dyn Sandbox) -> Result<(), FamilyError>;

    /// Grades the agent's work in `sb`, the agent's sandbox, after it stopped: in place, or
    /// from what the agent hands in (a patch, solution files) in a sandbox from `fresh`.
    async fn grade(
        &self,
        sb: &dyn Sandbox,
        fresh: &dyn FreshSandboxes,
        ctx: &FamilyContext,
    ) -> Result<GradeResult, FamilyError>;

    /// Grades a patch made elsewhere (`None`: the prediction had none) with no agent sandbox:
    /// by default the patch is applied with `git apply` in a fresh sandbox (none or an empty
    /// one: nothing applied) and that sandbox graded as an agent's would be.
    async fn grade_prediction(
        &self,
        patch: Option<&[u8]>,
        fresh: &dyn FreshSandboxes,
        ctx: &FamilyContext,
    ) -> Result<PatchGrade, FamilyError> {
        let sb = match fresh.open().await {
            Ok(sb) => sb,
            Err(u) => {
                return Ok(PatchGrade::Graded(GradeResult::environment_error(
                    u.message,
                    u.artifacts,
                )))
            }
        };
        let applied = match patch.filter(|p| !p.iter().all(u8::is_ascii_whitespace)) {
            Some(p) => apply_patch(sb.as_ref(), p).await,
            None => Ok(None),
        };
        let graded = match applied {
            Ok(None) => self.grade(sb.as_ref(), fresh, ctx).await,
            Ok(Some(failed)) => Ok(failed),
            Err(e) => Err(e),
        };
        if let Err(e) = sb.stop().await {
            tracing::warn!("could not remove sandbox: {e}");
        }
        graded.map(PatchGrade::Graded)
    }

    /// How many grading tries the task allows.
    fn max_tries(&self) -> u32 {
        1
    }

    /// The message that starts the agent's next try after a failed grade.
    fn feedback(&self, grade: &GradeResult, _workdir: &str) -> String {
        grade.log.clone()
    }

    /// The agent's change, as a unified diff (empty when the family keeps none).
    async fn diff(&self, _sb: &dyn Sandbox) -> String {
        String::new()
    }

    /// Whether the run's [`GradingMode`] decides this task's verdicts (recorded in the
    /// manifest when some task's does).
    fn follows_grading_mode(&self) -> bool {
        false
    }

    /// The task as its family's own type (for the family's own tools: see
    /// `swebench::SwebenchTask::of`).
    fn as_any(&self) -> &dyn Any;
}

/// Applies a patch in the sandbox's workspace with `git apply`; `Some` unresolved result when
/// it does not apply.
async fn apply_patch(sb: &dyn Sandbox, patch: &[u8]) -> Result<Option<GradeResult>, FamilyError> {
    let name = ".tribench-apply.patch";
    sb.write_file(name, patch).await?;
    let out = sb
        .exec(tribench_sandbox::ExecRequest::new(
            format!("git apply --whitespace=nowarn {name}"),
            Duration::from_secs(300),
        ))
        .await;
    sb.remove(name).await?;
    let out = out?;
    if out.success() {
        return Ok(None);
    }
    let log = out.combined();
    Ok(Some(GradeResult {
        outcome: Outcome::PatchApplyFailed,
        exit_code: out.exit_code,
        tests: Vec::new(),
        error: Some(format!("the patch does not apply: {}", log.trim())),
        log,
        test_ms: 0,
        reward: None,
        artifacts: Vec::new(),
    }))
}

/// A task ready to run, whatever its family: what identifies it, and the family's own task
/// (whose [`Task`] methods it dereferences to).
#[derive(Debug, Clone)]
pub struct SuiteTask {
    pub info: TaskInfo,
    /// sha256 of the task's id and files.
    pub checksum: String,
    task: Arc<dyn Task>,
}

impl SuiteTask {
    pub fn new(info: TaskInfo, checksum: String, task: Arc<dyn Task>) -> Self {
        SuiteTask {
            info,
            checksum,
            task,
        }
    }
}

impl std::ops::Deref for SuiteTask {
    type Target = dyn Task;

    fn deref(&self) -> &Self::Target {
        self.task.as_ref()
    }
}

/// A loaded suite: its tasks and what identifies it in a run manifest.
#[derive(Debug, Clone)]
pub struct Suite {
    pub name: String,
    pub family: FamilyKind,
    pub path: PathBuf,
    pub tasks: Vec<SuiteTask>,
}

impl Suite {
    /// Host paths no agent may see: the suite (tests, reference solutions) and, for a suite
    /// given as a file (SWE-bench instances), the repository bundles beside it.
    pub fn private_paths(&self) -> Vec<PathBuf> {
        let mut paths = vec![self.path.clone()];
        if let (true, Some(dir)) = (self.path.is_file(), self.path.parent()) {
            paths.push(dir.join("repos"));
        }
        paths
    }

    /// sha256 over the checksums of the given tasks, in id order.
    pub fn checksum_of<'a>(tasks: impl IntoIterator<Item = &'a SuiteTask>) -> String {
        let mut sums: Vec<(&str, &str)> = tasks
            .into_iter()
            .map(|t| (t.info.id.as_str(), t.checksum.as_str()))
            .collect();
        sums.sort();
        let mut h = Sha256::new();
        for (id, sum) in sums {
            h.update(id.as_bytes());
            h.update([0]);
            h.update(sum.as_bytes());
            h.update([0]);
        }
        hex::encode(h.finalize())
    }

    pub fn dataset_info(&self) -> DatasetInfo {
        DatasetInfo {
            name: self.name.clone(),
            family: self.family,
            path: self.path.display().to_string(),
            version: None,
            checksum: Suite::checksum_of(&self.tasks),
            tasks: self.tasks.len(),
            pin: pin::pin_of(&self.path),
        }
    }
}

/// Host folders the families keep for themselves that no agent may see (repository mirrors
/// hold the commits after every base commit, fixes included).
pub fn private_host_dirs() -> Vec<PathBuf> {
    vec![tribench_datasets::cache_root().join("repos")]
}

/// A family of tasks: tells its suites when it sees one, and loads their tasks.
pub trait Family: Sync {
    fn kind(&self) -> FamilyKind;

    /// The tasks of the suite at `path` (canonical); `None`: no suite of this family there.
    fn load(&self, path: &Path) -> Option<Result<Vec<SuiteTask>, FamilyError>>;
}

/// The families tribench knows, in the order a suite path is tried against them.
pub fn families() -> [&'static dyn Family; 3] {
    [&SwebenchFamily, &TerminalFamily, &PolyglotFamily]
}

/// Loads a suite from a path, telling its family from what is there.
pub fn load_suite(path: &Path) -> Result<Suite, FamilyError> {
    let path = path.canonicalize().map_err(|e| FamilyError::InvalidTask {
        path: path.to_path_buf(),
        message: format!("cannot open suite: {e}"),
    })?;
    let Some((family, tasks)) = families()
        .into_iter()
        .find_map(|f| f.load(&path).map(|tasks| (f, tasks)))
    else {
        return Err(FamilyError::NoTasks(path));
    };
    let mut tasks = tasks?;
    if tasks.is_empty() {
        return Err(FamilyError::NoTasks(path));
    }
    tasks.sort_by(|a, b| a.info.id.cmp(&b.info.id));
    if let Some(w) = tasks.windows(2).find(|w| w[0].info.id == w[1].info.id) {
        return Err(FamilyError::InvalidTask {
            path: w[1].info.source.clone(),
            message: format!("task id {} appears twice in the suite", w[1].info.id),
        });
    }
    // A suite given as a file is named without its extension.
    let name = if path.is_file() {
        path.file_stem()
    } else {
        path.file_name()
    };
    let name = name.map_or_else(|| "suite".into(), |n| n.to_string_lossy().into_owned());
    // A dataset pulled by name is called by that name, not by its cache folder or file.
    let name = pin::pin_of(&path).map_or(name, |p| p.name);
    Ok(Suite {
        name,
        family: family.kind(),
        path,
        tasks,
    })
}

/// Every task, or every problem found (one, or all of them).
fn all_or_errors(
    results: Vec<Result<SuiteTask, FamilyError>>,
) -> Result<Vec<SuiteTask>, FamilyError> {
    let mut tasks = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(t) => tasks.push(t),
            Err(e) => errors.push(e),
        }
    }
    match errors.len() {
        0 => Ok(tasks),
        1 => Err(errors.remove(0)),
        _ => Err(FamilyError::Many(errors)),
    }
}

/// SWE-bench: an instances file (`.json`/`.jsonl`), or a folder holding one.
struct SwebenchFamily;

impl Family for SwebenchFamily {
    fn kind(&self) -> FamilyKind {
        FamilyKind::Swebench
    }

    fn load(&self, path: &Path) -> Option<Result<Vec<SuiteTask>, FamilyError>> {
        let file = swebench::instances_file(path)?;
        Some(swebench::load_tasks(&file).map(|tasks| {
            tasks
                .into_iter()
                .map(|t| {
                    let mut h = Sha256::new();
                    t.instance.hash_into(&mut h);
                    if let Some(spec) = &t.spec {
                        h.update(format!("{spec:?}").as_bytes());
                    }
                    if let Some(source) = &t.source {
                        h.update(source.key().as_bytes());
                    }
                    let info = TaskInfo {
                        id: t.instance.instance_id.clone(),
                        family: FamilyKind::Swebench,
                        group: t.instance.repo.clone(),
                        source: file.clone(),
                        created_at: t.instance.created_at.clone(),
                    };
                    SuiteTask::new(info, hex::encode(h.finalize()), Arc::new(t))
                })
                .collect()
        }))
    }
}

/// Terminal-Bench: folders with a `task.toml` (Harbor) or a `task.yaml` (TB1).
struct TerminalFamily;

impl Family for TerminalFamily {
    fn kind(&self) -> FamilyKind {
        FamilyKind::Terminal
    }

    fn load(&self, path: &Path) -> Option<Result<Vec<SuiteTask>, FamilyError>> {
        let dirs = terminal::find_task_dirs(path);
        if dirs.is_empty() {
            return None;
        }
        let load = |dir: &PathBuf| {
            let t = terminal::load_task(dir)?;
            let checksum = dir_checksum(&t.id, &t.dir)?;
            let info = TaskInfo {
                id: t.id.clone(),
                family: FamilyKind::Terminal,
                group: t.category.clone().unwrap_or_else(|| "terminal".into()),
                source: t.dir.clone(),
                created_at: None,
            };
            Ok(SuiteTask::new(info, checksum, Arc::new(t)))
        };
        Some(all_or_errors(dirs.iter().map(load).collect()))
    }
}

/// Exercism practice exercises (folders with `.meta/config.json`).
struct PolyglotFamily;

impl Family for PolyglotFamily {
    fn kind(&self) -> FamilyKind {
        FamilyKind::Polyglot
    }

    fn load(&self, path: &Path) -> Option<Result<Vec<SuiteTask>, FamilyError>> {
        let dirs = polyglot::find_exercise_dirs(path);
        if dirs.is_empty() {
            return None;
        }
        let load = |dir: &PathBuf| {
            let ex = polyglot::load_exercise(dir)?;
            let checksum = dir_checksum(&ex.id, &ex.dir)?;
            let info = TaskInfo {
                id: ex.id.clone(),
                family: FamilyKind::Polyglot,
                group: ex.language.name().to_string(),
                source: ex.dir.clone(),
                created_at: None,
            };
            Ok(SuiteTask::new(info, checksum, Arc::new(ex)))
        };
        Some(all_or_errors(dirs.iter().map(load).collect()))
    }
}

pub(crate) use tribench_sandbox::shell_quote;

/// sha256 over a task id and every file under its directory (relative path and bytes).
fn dir_checksum(id: &str, dir: &Path) -> Result<String, FamilyError> {
    let mut h = Sha256::new();
    h.update(id.as_bytes());
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| FamilyError::InvalidTask {
            path: dir.to_path_buf(),
            message: format!("cannot read task directory: {e}"),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let bytes = std::fs::read(entry.path()).map_err(|e| FamilyError::InvalidTask {
            path: entry.path().to_path_buf(),
            message: format!("cannot read: {e}"),
        })?;
        h.update([0]);
        h.update(rel.to_string_lossy().as_bytes());
        h.update([0]);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    Ok(hex::encode(h.finalize()))
}
