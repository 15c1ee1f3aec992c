//! The task families. Each knows how to load its tasks, prepare a sandbox for one (withholding
//! tests and solutions), word the instruction, hand over the reference solution, and grade.
//! The engine sees only [`Suite`] and [`SuiteTask`] and never which family it runs.

mod pin;
pub mod polyglot;
pub mod swebench;
pub mod terminal;
pub mod testlog;

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tribench_sandbox::{ImageSpec, Sandbox, SandboxError};
use tribench_types::{DatasetInfo, FamilyKind, Outcome, Reference, TaskInfo, TestResult};

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

/// Settings a family needs at grading time.
#[derive(Debug, Clone)]
pub struct FamilyContext {
    pub test_timeout: Duration,
    pub output_cap: usize,
    /// Folder with `node_modules/jest` and `jest.config.js` for JavaScript exercises.
    pub js_tools: Option<PathBuf>,
    /// SWE-bench verdicts: the official grader's, faults included, or strict.
    pub grading_mode: swebench::parse::GradingMode,
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
    /// Extra files to keep with the trial (name, bytes): SWE-bench's report.json and the like.
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
}

#[derive(Debug, Clone)]
enum TaskKind {
    Polyglot(Arc<polyglot::Exercise>),
    Terminal(Arc<terminal::TerminalTask>),
    Swebench(Arc<swebench::SwebenchTask>),
}

/// Where a task must run.
#[derive(Debug, Clone)]
pub enum Environment {
    /// A plain workspace folder with this name (any backend will do).
    Workspace { name: String },
    /// A container from this image, with the task's limits.
    Container {
        image: ImageSpec,
        build_timeout: Duration,
        cpus: Option<f64>,
        memory_mb: Option<u64>,
        network: bool,
        env: Vec<(String, String)>,
        /// The workspace inside the container; `None`: the image's WORKDIR.
        workdir: Option<String>,
    },
}

/// What an agent hands in, to be graded in a sandbox of its own, freshly prepared: nothing the
/// agent installed, started or planted outside it reaches the tests.
#[derive(Debug, Clone)]
pub enum Submission {
    /// A patch against the task's repository (SWE-bench).
    Patch(Vec<u8>),
    /// The solution files as the agent left them (polyglot).
    Solution(polyglot::Solution),
}

/// A task ready to run, whatever its family.
#[derive(Debug, Clone)]
pub struct SuiteTask {
    pub info: TaskInfo,
    /// sha256 of the task's id and files.
    pub checksum: String,
    kind: TaskKind,
}

impl SuiteTask {
    /// Puts the task into a fresh sandbox, without its tests or reference solution.
    pub async fn prepare(&self, sb: &dyn Sandbox) -> Result<(), FamilyError> {
        match &self.kind {
            TaskKind::Polyglot(ex) => polyglot::prepare(ex, sb).await,
            // The image is the environment: no tests or solution in it.
            TaskKind::Terminal(t) => terminal::prepare(t, sb).await,
            TaskKind::Swebench(t) => t.prepare(sb).await,
        }
    }

    /// The name the task's workspace folder must have (Exercism's C++ build derives the
    /// exercise name from it).
    pub fn workspace_name(&self) -> String {
        match &self.kind {
            TaskKind::Polyglot(ex) => ex.name.clone(),
            TaskKind::Terminal(t) => t.id.clone(),
            TaskKind::Swebench(t) => t.workspace_name(),
        }
    }

    /// Where the task must run.
    pub fn environment(&self) -> Environment {
        match &self.kind {
            TaskKind::Polyglot(ex) => Environment::Workspace {
                name: ex.name.clone(),
            },
            TaskKind::Terminal(t) => Environment::Container {
                image: t.image.clone(),
                build_timeout: t.build_timeout,
                cpus: t.cpus,
                memory_mb: t.memory_mb,
                network: t.network,
                env: t.env.clone(),
                workdir: None,
            },
            TaskKind::Swebench(t) => t.environment(),
        }
    }

    /// Services started beside the task's container (a Terminal-Bench task's compose file).
    pub fn services(&self) -> Option<tribench_sandbox::ServiceGroup> {
        match &self.kind {
            TaskKind::Terminal(t) => t.services.clone(),
            TaskKind::Polyglot(_) | TaskKind::Swebench(_) => None,
        }
    }

    /// The task's own limit on the agent's time, when its format sets one.
    pub fn agent_timeout(&self) -> Option<Duration> {
        match &self.kind {
            TaskKind::Polyglot(_) | TaskKind::Swebench(_) => None,
            TaskKind::Terminal(t) => t.agent_timeout,
        }
    }

    /// What the agent is asked to do.
    pub fn instruction(&self) -> String {
        match &self.kind {
            TaskKind::Polyglot(ex) => polyglot::instruction(ex),
            TaskKind::Terminal(t) => terminal::instruction(t),
            TaskKind::Swebench(t) => t.instruction(),
        }
    }

    /// The reference solution, for the oracle agent only.
    pub fn reference(&self) -> Result<Reference, FamilyError> {
        match &self.kind {
            TaskKind::Polyglot(ex) => polyglot::reference(ex),
            TaskKind::Terminal(t) => terminal::reference(t),
            TaskKind::Swebench(t) => Ok(t.reference()),
        }
    }

    /// Restores the tests, runs them, parses the result, and withholds the tests again.
    pub async fn grade(
        &self,
        sb: &dyn Sandbox,
        ctx: &FamilyContext,
    ) -> Result<GradeResult, FamilyError> {
        match &self.kind {
            TaskKind::Polyglot(ex) => polyglot::grade(ex, sb, ctx).await,
            TaskKind::Terminal(t) => terminal::grade(t, sb, ctx).await,
            // Graded in place only when a caller insists; the engine grades SWE-bench patches
            // in a fresh sandbox (see `grades_patch`).
            TaskKind::Swebench(t) => {
                let patch = t.model_patch(sb).await?;
                t.grade_patch(sb, &patch, ctx, ctx.grading_mode).await
            }
        }
    }

    /// Whether the task is graded from the agent's patch in a fresh sandbox (SWE-bench): the
    /// agent's sandbox, with whatever it installed or left running, never sees the tests.
    pub fn grades_patch(&self) -> bool {
        matches!(self.kind, TaskKind::Swebench(_))
    }

    /// Whether the task is graded from its solution files in a fresh copy of the task
    /// (polyglot): build files, test runners and processes in the agent's sandbox never reach
    /// the tests.
    pub fn grades_solution(&self) -> bool {
        matches!(self.kind, TaskKind::Polyglot(_))
    }

    /// What the agent hands in for grading in a fresh sandbox: its patch (SWE-bench) or its
    /// solution files (polyglot).
    pub async fn submission(&self, sb: &dyn Sandbox) -> Result<Submission, FamilyError> {
        match &self.kind {
            TaskKind::Polyglot(ex) => Ok(Submission::Solution(polyglot::collect(ex, sb).await?)),
            _ => Ok(Submission::Patch(self.model_patch(sb).await?)),
        }
    }

    /// Grades a submission in a sandbox freshly prepared by [`SuiteTask::prepare`].
    pub async fn grade_submission(
        &self,
        sb: &dyn Sandbox,
        submission: &Submission,
        ctx: &FamilyContext,
    ) -> Result<GradeResult, FamilyError> {
        match (&self.kind, submission) {
            (TaskKind::Polyglot(ex), Submission::Solution(solution)) => {
                polyglot::grade_solution(ex, sb, solution, ctx).await
            }
            (_, Submission::Patch(patch)) => self.grade_patch(sb, patch, ctx).await,
            (_, Submission::Solution(_)) => Err(FamilyError::InvalidTask {
                path: self.info.source.clone(),
                message: "solution files were handed in for a task graded from a patch".into(),
            }),
        }
    }

    /// The agent's change as a patch (SWE-bench).
    pub async fn model_patch(&self, sb: &dyn Sandbox) -> Result<Vec<u8>, FamilyError> {
        match &self.kind {
            TaskKind::Swebench(t) => t.model_patch(sb).await,
            _ => Ok(self.diff(sb).await.into_bytes()),
        }
    }

    /// Grades a patch in a freshly prepared sandbox (SWE-bench).
    pub async fn grade_patch(
        &self,
        sb: &dyn Sandbox,
        patch: &[u8],
        ctx: &FamilyContext,
    ) -> Result<GradeResult, FamilyError> {
        match &self.kind {
            TaskKind::Swebench(t) => t.grade_patch(sb, patch, ctx, ctx.grading_mode).await,
            _ => self.grade(sb, ctx).await,
        }
    }

    /// The SWE-bench instance behind the task, if it is one.
    pub fn swebench(&self) -> Option<&swebench::SwebenchTask> {
        match &self.kind {
            TaskKind::Swebench(t) => Some(t),
            _ => None,
        }
    }

    /// How many grading tries the task allows (polyglot: 2).
    pub fn max_tries(&self) -> u32 {
        match &self.kind {
            TaskKind::Polyglot(_) => 2,
            TaskKind::Terminal(_) | TaskKind::Swebench(_) => 1,
        }
    }

    /// The message that starts the agent's next try after a failed grade.
    pub fn feedback(&self, grade: &GradeResult, workdir: &str) -> String {
        match &self.kind {
            TaskKind::Polyglot(ex) => polyglot::feedback(ex, grade, workdir),
            TaskKind::Terminal(_) | TaskKind::Swebench(_) => grade.log.clone(),
        }
    }

    /// The agent's change, as a unified diff.
    pub async fn diff(&self, sb: &dyn Sandbox) -> String {
        match &self.kind {
            TaskKind::Polyglot(ex) => polyglot::diff(ex, sb).await,
            TaskKind::Terminal(_) => String::new(),
            TaskKind::Swebench(t) => t
                .model_patch(sb)
                .await
                .map(|p| String::from_utf8_lossy(&p).into_owned())
                .unwrap_or_default(),
        }
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

/// Loads a suite from a path, telling its family from what is there.
pub fn load_suite(path: &Path) -> Result<Suite, FamilyError> {
    let path = path.canonicalize().map_err(|e| FamilyError::InvalidTask {
        path: path.to_path_buf(),
        message: format!("cannot open suite: {e}"),
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "suite".into());
    // A dataset pulled by name is called by that name, not by its cache folder or file.
    let name = pin::pin_of(&path).map_or(name, |p| p.name);
    if let Some(file) = swebench::instances_file(&path) {
        return load_swebench(name, path, &file);
    }
    let terminal_dirs = terminal::find_task_dirs(&path);
    if !terminal_dirs.is_empty() {
        return load_terminal(name, path, terminal_dirs);
    }
    let dirs = polyglot::find_exercise_dirs(&path);
    if dirs.is_empty() {
        return Err(FamilyError::NoTasks(path));
    }
    let mut tasks = Vec::new();
    let mut errors = Vec::new();
    for dir in dirs {
        match polyglot::load_exercise(&dir).and_then(polyglot_task) {
            Ok(t) => tasks.push(t),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(if errors.len() == 1 {
            errors.remove(0)
        } else {
            FamilyError::Many(errors)
        });
    }
    tasks.sort_by(|a, b| a.info.id.cmp(&b.info.id));
    if let Some(w) = tasks.windows(2).find(|w| w[0].info.id == w[1].info.id) {
        return Err(FamilyError::InvalidTask {
            path: w[1].info.source.clone(),
            message: format!("task id {} appears twice in the suite", w[1].info.id),
        });
    }
    Ok(Suite {
        name,
        family: FamilyKind::Polyglot,
        path,
        tasks,
    })
}

fn load_swebench(name: String, path: PathBuf, file: &Path) -> Result<Suite, FamilyError> {
    let name = if path.is_file() && pin::pin_of(&path).is_none() {
        path.file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(name)
    } else {
        name
    };
    let mut tasks = Vec::new();
    for t in swebench::load_tasks(file)? {
        let mut h = Sha256::new();
        t.instance.hash_into(&mut h);
        if let Some(spec) = &t.spec {
            h.update(format!("{spec:?}").as_bytes());
        }
        if let Some(source) = &t.source {
            h.update(source.key().as_bytes());
        }
        tasks.push(SuiteTask {
            info: TaskInfo {
                id: t.instance.instance_id.clone(),
                family: FamilyKind::Swebench,
                group: t.instance.repo.clone(),
                source: file.to_path_buf(),
                created_at: t.instance.created_at.clone(),
            },
            checksum: hex::encode(h.finalize()),
            kind: TaskKind::Swebench(Arc::new(t)),
        });
    }
    if tasks.is_empty() {
        return Err(FamilyError::NoTasks(path));
    }
    tasks.sort_by(|a, b| a.info.id.cmp(&b.info.id));
    Ok(Suite {
        name,
        family: FamilyKind::Swebench,
        path,
        tasks,
    })
}

fn load_terminal(name: String, path: PathBuf, dirs: Vec<PathBuf>) -> Result<Suite, FamilyError> {
    let mut tasks = Vec::new();
    let mut errors = Vec::new();
    for dir in dirs {
        match terminal::load_task(&dir) {
            Ok(t) => match dir_checksum(&t.id, &t.dir) {
                Ok(checksum) => tasks.push(SuiteTask {
                    info: TaskInfo {
                        id: t.id.clone(),
                        family: FamilyKind::Terminal,
                        group: t.category.clone().unwrap_or_else(|| "terminal".into()),
                        source: t.dir.clone(),
                        created_at: None,
                    },
                    checksum,
                    kind: TaskKind::Terminal(Arc::new(t)),
                }),
                Err(e) => errors.push(e),
            },
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(if errors.len() == 1 {
            errors.remove(0)
        } else {
            FamilyError::Many(errors)
        });
    }
    tasks.sort_by(|a, b| a.info.id.cmp(&b.info.id));
    Ok(Suite {
        name,
        family: FamilyKind::Terminal,
        path,
        tasks,
    })
}

fn polyglot_task(ex: polyglot::Exercise) -> Result<SuiteTask, FamilyError> {
    let checksum = dir_checksum(&ex.id, &ex.dir)?;
    Ok(SuiteTask {
        info: TaskInfo {
            id: ex.id.clone(),
            family: FamilyKind::Polyglot,
            group: ex.language.name().to_string(),
            source: ex.dir.clone(),
            created_at: None,
        },
        checksum,
        kind: TaskKind::Polyglot(Arc::new(ex)),
    })
}

/// Single-quotes a word for sh.
pub(crate) fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

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
