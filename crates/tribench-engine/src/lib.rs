//! The trial engine: runs (task × attempt) trials with bounded concurrency, per-phase timeouts
//! and retries of infrastructure errors; records each trial atomically as it ends; resumes a
//! run directory by skipping what is recorded; stops cleanly when asked.

pub mod certs;
pub mod invocation;
mod progress;
pub mod shipped;
mod trial;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::task::JoinSet;
use tribench_agents::Agent;
use tribench_families::Environment;
use tribench_families::{Suite, SuiteTask};
use tribench_sandbox::{DockerBackend, ImageSpec, Isolation, LocalSandboxConfig};
use tribench_store::{RunStore, StoreError};
use tribench_types::{
    EnvironmentInfo, GradingMode, Outcome, RunLimits, RunManifest, ScaffoldInfo, Timeouts,
    TrialKey, TrialLimits, TrialRecord,
};

pub use progress::ProgressMode;
pub use trial::harness_error_record;

/// The version string recorded in manifests: crate version plus `git describe`.
pub const HARNESS_VERSION: &str = env!("TRIBENCH_HARNESS_VERSION");

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{dir} holds a different run: {what}. Use another --run-dir, or remove that directory to start over.")]
    ManifestMismatch { dir: PathBuf, what: String },
    #[error(
        "the run was interrupted; rerun the same command to finish it ({done} trials recorded)"
    )]
    Interrupted { done: usize },
    #[error("task id {id} appears in two suites ({first} and {second}); run them separately")]
    DuplicateTask {
        id: String,
        first: String,
        second: String,
    },
    #[error("this run needs a Docker engine: {0}")]
    Docker(String),
    #[error("could not record a trial: {0}")]
    Record(String),
    /// The endpoint refused a request for good (bad key, unknown model): the run stopped at the
    /// first trial that met it.
    #[error("the run stopped: {message}. Fix the endpoint, key or --model, then rerun the same command with --retry-errors ({done} trials recorded)")]
    ModelRefused { message: String, done: usize },
    /// Too many trials in a row could not reach the model: the run stopped, keeping what finished.
    #[error("the run stopped after {count} trials in a row could not use the model endpoint; last: {last}. When the endpoint is back, rerun the same command with --retry-errors to finish ({done} trials recorded)")]
    ModelUnreachable {
        count: u32,
        last: String,
        done: usize,
    },
    #[error("cannot load suite {}", path.display())]
    Suite {
        path: PathBuf,
        source: tribench_families::FamilyError,
    },
    #[error("no suite to run: pass --suite PATH (no bundled suites/ folder was found)")]
    NoSuites,
    /// Grading predictions could not start: what is wrong with the suite or the predictions.
    #[error("{0}")]
    Grade(String),
    #[error(transparent)]
    Family(#[from] tribench_families::FamilyError),
    /// An agent or a shipped file named on the command line is not there.
    #[error("{0}")]
    Agent(String),
    #[error("{} is not JSON", path.display())]
    NotJson {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// Everything a run needs besides the suites and the agent.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub run_dir: PathBuf,
    pub attempts: u32,
    pub jobs: usize,
    pub timeouts: Timeouts,
    /// Caps every task's grading tries (validation uses 1).
    pub max_tries: Option<u32>,
    /// Where per-trial sandboxes are made; the system temp dir when unset.
    pub sandbox_base: Option<PathBuf>,
    pub js_tools: Option<PathBuf>,
    /// Run again the recorded trials whose outcome was an infrastructure error.
    pub retry_errors: bool,
    /// Extra starts a trial gets when it ends in an infrastructure error.
    pub infra_retries: u32,
    /// What the run shows on stderr while it goes.
    pub progress: ProgressMode,
    /// Bytes of a command's output kept (stdout and stderr each).
    pub output_cap: usize,
    /// The network of tasks whose format says nothing about it (local workspace tasks:
    /// `--network on`).
    pub network: bool,
    /// Tasks whose definition allows the network get it (`--network off` clears this: then no
    /// task gets it; an agent that runs inside the sandbox still reaches its model).
    pub allow_network: bool,
    /// Building or pulling a task's image, in seconds, unless the task sets its own.
    pub build_timeout_sec: u64,
    /// CPUs and memory (MiB) of each sandbox, unless the task sets its own.
    pub cpus: Option<f64>,
    pub memory_mb: Option<u64>,
    /// Forces unconfined execution even when bubblewrap is present.
    pub no_isolation: bool,
    /// Run workspace tasks in containers of this image instead of local folders.
    pub workspace_image: Option<ImageSpec>,
    /// Where the JavaScript test tools are inside `workspace_image`.
    pub workspace_image_js_tools: Option<PathBuf>,
    /// `FROM` images a task's Dockerfile names, mapped to local ones (tribench.toml [images]).
    pub image_map: HashMap<String, String>,
    /// The run's seed, handed to the agent (plus the attempt number less one); `None`: unseeded.
    pub seed: Option<u64>,
    /// Verdicts of tasks graded as an official harness grades: `official` (the default) or
    /// `strict`.
    pub grading_mode: GradingMode,
    /// Pull named images missing locally (a benchmark's official images) from a registry.
    pub pull_images: bool,
    /// Trials in a row ending in `model_error` before the run stops (0: never stop).
    pub max_consecutive_model_errors: u32,
    /// Build a task's Dockerfile even when it names a prebuilt image (`force_build`).
    pub force_build: bool,
    /// CA certificates (file name, PEM bytes) trusted in image builds and containers.
    pub ca_certificates: Vec<(String, Vec<u8>)>,
    /// Run only the trials of this shard (`--shard I/N`); the manifest records it.
    pub shard: Option<tribench_types::Shard>,
}

impl EngineConfig {
    /// The run's limits, each what a trial gets unless its task sets its own.
    pub fn limits(&self) -> RunLimits {
        RunLimits {
            defaults: TrialLimits {
                setup_timeout_sec: self.timeouts.setup_sec as f64,
                agent_timeout_sec: self.timeouts.agent_sec as f64,
                test_timeout_sec: self.timeouts.test_sec as f64,
                build_timeout_sec: self.build_timeout_sec as f64,
                network: self.network,
                cpus: self.cpus,
                memory_mb: self.memory_mb,
                output_cap: self.output_cap as u64,
                seed: self.seed,
            },
            no_network: !self.allow_network,
        }
    }

    pub fn new(run_dir: impl Into<PathBuf>) -> Self {
        EngineConfig {
            run_dir: run_dir.into(),
            attempts: 1,
            jobs: default_jobs(),
            timeouts: Timeouts {
                setup_sec: 300,
                agent_sec: 1800,
                test_sec: 180,
            },
            max_tries: None,
            sandbox_base: None,
            js_tools: None,
            retry_errors: false,
            infra_retries: 1,
            progress: ProgressMode::Off,
            output_cap: tribench_sandbox::DEFAULT_OUTPUT_CAP,
            network: false,
            allow_network: true,
            build_timeout_sec: 1800,
            cpus: None,
            memory_mb: None,
            no_isolation: false,
            workspace_image: None,
            workspace_image_js_tools: None,
            image_map: HashMap::new(),
            seed: None,
            grading_mode: Default::default(),
            pull_images: false,
            max_consecutive_model_errors: 5,
            force_build: false,
            ca_certificates: Vec::new(),
            shard: None,
        }
    }
}

/// One job per core, at least two.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .max(2)
}

/// What a finished (or resumed-and-finished) run did.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub run_dir: PathBuf,
    /// Trials run by this invocation.
    pub ran: usize,
    /// Trials found already recorded and skipped.
    pub skipped: usize,
    pub manifest: RunManifest,
}

/// Shared, read-only state of a run, handed to every trial.
pub(crate) struct RunContext {
    pub docker: Option<Arc<DockerBackend>>,
    /// Set under `--sandbox docker`: workspace tasks run in containers of this image.
    pub workspace_image: Option<ImageSpec>,
    /// The run's limits; each trial's follow from them and its task's (`RunLimits::for_task`).
    pub limits: RunLimits,
    /// The agent must reach the network from inside the sandbox (an installed agent CLI).
    pub agent_network: bool,
    pub store: RunStore,
    pub agent: Arc<dyn Agent>,
    pub sandbox: Arc<LocalSandboxConfig>,
    /// Where the JavaScript test tools are, as the sandboxes see them.
    pub js_tools: Option<PathBuf>,
    pub grading_mode: GradingMode,
    pub max_tries: Option<u32>,
    pub infra_retries: u32,
    /// Set by the first trial whose model endpoint refused for good; the run stops on it.
    pub refused: std::sync::Mutex<Option<String>>,
}

impl RunContext {
    pub(crate) fn refuse(&self, message: String) {
        let mut r = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        r.get_or_insert(message);
    }

    pub(crate) fn refusal(&self) -> Option<String> {
        self.refused
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Runs every task of `suites` `attempts` times with `agent`, recording into `cfg.run_dir`.
/// Returns when all trials are recorded or `shutdown` resolves (then with `Interrupted`, after
/// every running trial was stopped and its sandbox removed).
pub async fn run(
    suites: Vec<Suite>,
    agent: Arc<dyn Agent>,
    cfg: EngineConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<RunSummary, EngineError> {
    let mut seen: HashMap<&str, &Suite> = HashMap::new();
    for suite in &suites {
        for task in &suite.tasks {
            if let Some(first) = seen.insert(task.info.id.as_str(), suite) {
                return Err(EngineError::DuplicateTask {
                    id: task.info.id.clone(),
                    first: first.path.display().to_string(),
                    second: suite.path.display().to_string(),
                });
            }
        }
    }
    let store = RunStore::open_for_writing(&cfg.run_dir)?;
    let sandbox_parent = cfg.sandbox_base.clone().unwrap_or_else(std::env::temp_dir);
    sweep_stale_sandboxes(&sandbox_parent);
    let sandbox_base = sandbox_parent.join(format!("tribench-{}", std::process::id()));
    let mut sandbox = LocalSandboxConfig::new(&sandbox_base);
    if cfg.no_isolation {
        sandbox.isolation = Isolation::None;
    }
    // An installed agent must reach its model from inside the sandbox. Each trial sets the
    // network its limits give it; this is what tasks that say nothing get.
    sandbox.network = (cfg.network && cfg.allow_network) || agent.needs_network();
    // The agent must see neither the suites (tests, reference solutions) nor the run directory.
    sandbox.hide = suites.iter().flat_map(Suite::private_paths).collect();
    sandbox.hide.push(absolute(&cfg.run_dir));
    // Host folders of the families' own (repository mirrors hold every fix).
    sandbox.hide.extend(tribench_families::private_host_dirs());
    // Grading tools must stay visible wherever they live (a checkout under /tmp, say).
    sandbox.expose = cfg.js_tools.iter().map(|p| absolute(p)).collect();
    let needs_docker = cfg.workspace_image.is_some()
        || suites
            .iter()
            .flat_map(|s| &s.tasks)
            .any(|t| matches!(t.environment(), Environment::Container { .. }));
    let docker = if needs_docker {
        let d = DockerBackend::connect(cfg.image_map.clone())
            .await
            .map_err(|e| EngineError::Docker(e.to_string()))?;
        d.allow_pull(cfg.pull_images);
        d.force_build(cfg.force_build);
        d.trust_ca_certificates(cfg.ca_certificates.clone());
        let stale = d.sweep(true).await;
        if stale > 0 {
            tracing::info!("removed {stale} containers left by earlier runs");
        }
        Some(d)
    } else {
        None
    };
    let has_local = cfg.workspace_image.is_none()
        && suites
            .iter()
            .flat_map(|s| &s.tasks)
            .any(|t| matches!(t.environment(), Environment::Workspace { .. }));
    let isolation = match (has_local, docker.is_some()) {
        (true, true) => format!(
            "{}; containers for container tasks",
            sandbox.isolation.describe(sandbox.network)
        ),
        (false, true) => {
            "containers (cpu, memory and pids limits; network only where the task allows it)"
                .to_string()
        }
        _ => sandbox.isolation.describe(sandbox.network),
    };
    let backend = match (has_local, docker.is_some()) {
        (true, true) => "local+docker",
        (false, true) => "docker",
        _ => "local",
    };

    let manifest = reconcile_manifest(&store, &suites, agent.as_ref(), &cfg, backend, isolation)?;

    let finished = store.finished()?;
    let mut todo: Vec<(SuiteTask, TrialKey)> = Vec::new();
    let mut skipped = 0;
    for suite in &suites {
        for task in &suite.tasks {
            for attempt in 1..=cfg.attempts {
                let key = TrialKey {
                    task_id: task.info.id.clone(),
                    attempt,
                };
                if cfg.shard.is_some_and(|s| !s.contains(&key)) {
                    continue;
                }
                match finished.get(&key) {
                    Some(o) if !(cfg.retry_errors && o.is_infrastructure()) => skipped += 1,
                    _ => todo.push((task.clone(), key)),
                }
            }
        }
    }

    let js_tools = if cfg.workspace_image.is_some() {
        cfg.workspace_image_js_tools.clone()
    } else {
        cfg.js_tools.clone()
    };
    let ctx = Arc::new(RunContext {
        docker: docker.clone(),
        workspace_image: cfg.workspace_image.clone(),
        limits: cfg.limits(),
        agent_network: agent.needs_network(),
        store,
        agent,
        sandbox: Arc::new(sandbox),
        js_tools,
        grading_mode: cfg.grading_mode,
        max_tries: cfg.max_tries,
        infra_retries: cfg.infra_retries,
        refused: std::sync::Mutex::new(None),
    });

    let mut progress = progress::Progress::new(cfg.progress, todo.len());

    let result = schedule(
        ctx.clone(),
        todo,
        cfg.jobs.max(1),
        cfg.max_consecutive_model_errors,
        &mut progress,
        shutdown,
    )
    .await;
    progress.finish();
    // Containers of trials that were cancelled (Ctrl-C) or whose removal did not finish.
    if let Some(d) = &docker {
        d.sweep(false).await;
    }
    remove_sandbox_base(&sandbox_base);
    let ran = result?;

    let mut manifest = manifest;
    manifest.ended_at = Some(now());
    if let Some(d) = &docker {
        record_images(&mut manifest.environment.images, d.resolved_images());
    }
    ctx.store.write_manifest(&manifest)?;
    Ok(RunSummary {
        run_dir: cfg.run_dir.clone(),
        ran,
        skipped,
        manifest,
    })
}

async fn schedule(
    ctx: Arc<RunContext>,
    todo: Vec<(SuiteTask, TrialKey)>,
    jobs: usize,
    max_model_errors: u32,
    progress: &mut progress::Progress,
    shutdown: impl Future<Output = ()>,
) -> Result<usize, EngineError> {
    let mut pending = todo.into_iter();
    let mut running: JoinSet<Result<TrialRecord, EngineError>> = JoinSet::new();
    let mut keys: HashMap<tokio::task::Id, (SuiteTask, TrialKey)> = HashMap::new();
    let mut ran = 0usize;
    // Trials in a row (in the order they ended) that could not use the model endpoint.
    let mut model_errors = 0u32;
    tokio::pin!(shutdown);

    let mut spawn_next = |running: &mut JoinSet<_>, keys: &mut HashMap<_, _>| {
        if let Some((task, key)) = pending.next() {
            let ctx = ctx.clone();
            let (t, k) = (task.clone(), key.clone());
            let handle = running.spawn(async move { trial::run_and_record(&ctx, &t, &k).await });
            keys.insert(handle.id(), (task, key));
        }
    };
    for _ in 0..jobs {
        spawn_next(&mut running, &mut keys);
    }

    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => {
                // Dropping the trials kills their process groups and removes their sandboxes;
                // none of them is recorded, so a rerun runs them in full.
                running.abort_all();
                while running.join_next().await.is_some() {}
                return Err(EngineError::Interrupted { done: ran });
            }
            next = running.join_next_with_id() => {
                let Some(joined) = next else { break };
                match joined {
                    Ok((id, result)) => {
                        keys.remove(&id);
                        let rec = result?;
                        progress.finished(&rec);
                        match rec.outcome {
                            Outcome::ModelError => model_errors += 1,
                            // These never got to the model: they say nothing about it.
                            Outcome::EnvironmentError | Outcome::HarnessError => {}
                            _ => model_errors = 0,
                        }
                        // Trials still running are dropped unrecorded (their sandboxes removed):
                        // a rerun runs them in full.
                        if let Some(message) = ctx.refusal() {
                            running.abort_all();
                            while running.join_next().await.is_some() {}
                            return Err(EngineError::ModelRefused { message, done: ran + 1 });
                        }
                        if max_model_errors > 0 && model_errors >= max_model_errors {
                            running.abort_all();
                            while running.join_next().await.is_some() {}
                            return Err(EngineError::ModelUnreachable {
                                count: model_errors,
                                last: rec.error.unwrap_or_default(),
                                done: ran + 1,
                            });
                        }
                    }
                    Err(e) => {
                        // A panic in a trial is a harness bug: record it and go on.
                        let Some((task, key)) = keys.remove(&e.id()) else { continue };
                        let rec = harness_error_record(&task, &key, ctx.agent.name(), format!("trial panicked: {e}"));
                        let store_ctx = ctx.clone();
                        let shown = rec.clone();
                        tokio::task::spawn_blocking(move || store_ctx.store.record(&rec))
                            .await
                            .map_err(|e| EngineError::Record(e.to_string()))??;
                        progress.finished(&shown);
                    }
                }
                ran += 1;
                spawn_next(&mut running, &mut keys);
            }
        }
    }
    Ok(ran)
}

fn reconcile_manifest(
    store: &RunStore,
    suites: &[Suite],
    agent: &dyn Agent,
    cfg: &EngineConfig,
    backend: &str,
    isolation: String,
) -> Result<RunManifest, EngineError> {
    let datasets: Vec<_> = suites.iter().map(Suite::dataset_info).collect();
    let scaffold = ScaffoldInfo {
        agent: agent.name().to_string(),
        version: agent.version(),
        config_hash: agent.config_hash(),
        prompt_hash: agent.prompt_hash(),
        settings: agent.settings(),
    };
    let grading_mode = suites
        .iter()
        .flat_map(|s| &s.tasks)
        .any(|t| t.follows_grading_mode())
        .then(|| cfg.grading_mode.as_str().to_string());
    let existing = store.read_manifest()?;
    let model = agent.model_info();
    let run_limits = cfg.limits();
    let agent_network = agent.needs_network();
    let task_limits = tribench_types::group_limits(suites.iter().flat_map(|s| &s.tasks).map(|t| {
        (
            t.info.id.clone(),
            run_limits.for_task(&t.limits(), 1, agent_network),
        )
    }));
    if let Some(old) = &existing {
        let mut diffs = scaffold_differences(&old.scaffold, &scaffold);
        diffs.extend(dataset_differences(&old.datasets, &datasets));
        let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "unset".into());
        if old.max_tries != cfg.max_tries {
            diffs.push(format!(
                "--tries: {} in the run, {} now",
                shown(&old.max_tries.map(|t| t.to_string())),
                shown(&cfg.max_tries.map(|t| t.to_string()))
            ));
        }
        let old_shard = old.shard.as_ref().map(|s| s.shard().to_string());
        if old_shard != cfg.shard.map(|s| s.to_string()) {
            diffs.push(format!(
                "--shard: {} in the run, {} now",
                shown(&old_shard),
                shown(&cfg.shard.map(|s| s.to_string()))
            ));
        }
        if old.grading_mode.is_some() && old.grading_mode != grading_mode {
            diffs.push(format!(
                "--grading-mode: {} in the run, {} now",
                shown(&old.grading_mode),
                shown(&grading_mode)
            ));
        }
        if !diffs.is_empty() {
            return Err(EngineError::ManifestMismatch {
                dir: cfg.run_dir.clone(),
                what: diffs.join("; "),
            });
        }
        // The same model served elsewhere (or back after an outage) may finish the run; each
        // trial records the endpoint it used.
        if let (Some(o), Some(n)) = (&old.model, &model) {
            if o.endpoint != n.endpoint {
                tracing::warn!(
                    "--base-url: {} in the run, {} now; the model and its settings are the same, and each trial records the endpoint it used",
                    o.endpoint,
                    n.endpoint
                );
            }
        }
    }
    let run_id = cfg
        .run_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let mut manifest = RunManifest {
        shard: None,
        grading_mode,
        schema: tribench_store::MANIFEST_SCHEMA,
        run_id,
        model,
        scaffold,
        datasets,
        harness_version: HARNESS_VERSION.to_string(),
        environment: EnvironmentInfo {
            backend: backend.into(),
            isolation,
            timeouts: cfg.timeouts.clone(),
            cpus: cfg.cpus,
            memory_mb: cfg.memory_mb,
            jobs: cfg.jobs,
            tools: if backend.starts_with("local") {
                tribench_sandbox::SandboxTools::detect()
                    .describe()
                    .into_iter()
                    .collect()
            } else {
                Default::default()
            },
            images: existing
                .as_ref()
                .map(|o| o.environment.images.clone())
                .unwrap_or_default(),
        },
        attempts: existing
            .as_ref()
            .map_or(cfg.attempts, |o| o.attempts.max(cfg.attempts)),
        max_tries: cfg.max_tries,
        seed: cfg.seed.unwrap_or(0),
        limits: Some(run_limits.clone()),
        task_limits,
        started_at: existing.as_ref().map_or_else(now, |o| o.started_at.clone()),
        ended_at: None,
        host: nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_else(|| "unknown".into()),
    };
    manifest.shard = cfg.shard.map(|s| tribench_types::ShardInfo {
        index: s.index,
        count: s.count,
        identity: manifest.identity(),
        task_ids: suites
            .iter()
            .flat_map(|s| &s.tasks)
            .map(|t| t.info.id.clone())
            .collect(),
    });
    store.write_manifest(&manifest)?;
    Ok(manifest)
}

/// What differs between the agent a run directory was made with and this one, each difference
/// named by its flag: `--model: qwen in the run, llama now`.
fn scaffold_differences(old: &ScaffoldInfo, new: &ScaffoldInfo) -> Vec<String> {
    if old.agent != new.agent {
        return vec![format!(
            "--agent: {} in the run, {} now",
            old.agent, new.agent
        )];
    }
    let mut diffs = Vec::new();
    // A run recorded before settings were has none: then only the hashes can be compared.
    let comparable = !old.settings.is_empty() && !new.settings.is_empty();
    let keys: std::collections::BTreeSet<&String> =
        old.settings.keys().chain(new.settings.keys()).collect();
    for k in keys.into_iter().filter(|_| comparable) {
        let (o, n) = (old.settings.get(k), new.settings.get(k));
        // How long to wait for the endpoint is not the agent's configuration (as --base-url).
        if o != n && k.as_str() == "--request-timeout" {
            tracing::warn!(
                "--request-timeout: {} in the run, {} now",
                o.map_or("unset", String::as_str),
                n.map_or("unset", String::as_str)
            );
        } else if o != n {
            let shown = |v: Option<&String>| v.map_or("unset", String::as_str).to_string();
            diffs.push(format!("{k}: {} in the run, {} now", shown(o), shown(n)));
        }
    }
    let prompts_differ = old.prompt_hash.is_some()
        && new.prompt_hash.is_some()
        && old.prompt_hash != new.prompt_hash;
    if diffs.is_empty() && (old.config_hash != new.config_hash || prompts_differ) {
        diffs.push(format!(
            "the {} agent's settings differ (configuration {} in the run, {} now; prompts {} in the run, {} now)",
            new.agent,
            old.config_hash,
            new.config_hash,
            old.prompt_hash.as_deref().unwrap_or("unset"),
            new.prompt_hash.as_deref().unwrap_or("unset"),
        ));
    }
    diffs
}

/// Suites added, dropped or changed since the run directory was made.
fn dataset_differences(
    old: &[tribench_types::DatasetInfo],
    new: &[tribench_types::DatasetInfo],
) -> Vec<String> {
    let by_name = |d: &[tribench_types::DatasetInfo]| {
        d.iter()
            .map(|d| (d.name.clone(), d.checksum.clone()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let (o, n) = (by_name(old), by_name(new));
    let mut diffs = Vec::new();
    for (name, sum) in &o {
        match n.get(name) {
            None => diffs.push(format!("--suite: {name} in the run, not given now")),
            Some(s) if s != sum => diffs.push(format!(
                "--suite {name}: its tasks changed (checksum {} in the run, {} now)",
                short(sum),
                short(s)
            )),
            Some(_) => {}
        }
    }
    for name in n.keys().filter(|k| !o.contains_key(*k)) {
        diffs.push(format!("--suite: {name} given now, not in the run"));
    }
    fn sums(d: &[tribench_types::DatasetInfo]) -> Vec<(&str, &str)> {
        let mut v: Vec<(&str, &str)> = d
            .iter()
            .map(|d| (d.name.as_str(), d.checksum.as_str()))
            .collect();
        v.sort_unstable();
        v
    }
    // Two suites of one name: the names alone cannot say which changed.
    if diffs.is_empty() && sums(old) != sums(new) {
        diffs.push("--suite: the suites (names or checksums) differ from the run's".into());
    }
    diffs
}

fn short(checksum: &str) -> &str {
    checksum.get(..12).unwrap_or(checksum)
}

/// Removes this process's sandbox folder once no trial sandbox is left in it (runs in one
/// process share the folder, so a folder still holding another run's trials stays).
fn remove_sandbox_base(base: &std::path::Path) {
    let _ = std::fs::remove_dir(base);
}

/// Removes `tribench-<pid>` sandbox folders left by processes that no longer exist (a run
/// killed with SIGKILL cannot clean up after itself).
fn sweep_stale_sandboxes(parent: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("tribench-")) else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            tracing::info!(
                "removing stale sandboxes of process {pid}: {}",
                e.path().display()
            );
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn absolute(p: &std::path::Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    })
}

/// Adds the images this invocation resolved to the manifest's list (a resumed run keeps those
/// of earlier invocations; an image whose id changed is listed again).
fn record_images(
    images: &mut Vec<tribench_types::ImageRecord>,
    resolved: Vec<tribench_sandbox::ResolvedImage>,
) {
    for r in resolved {
        let rec = tribench_types::ImageRecord {
            requested: r.requested,
            name: r.name,
            source: r.source.as_str().to_string(),
            digest: r.digest,
            note: r.note,
        };
        if !images.contains(&rec) {
            images.push(rec);
        }
    }
}
