//! Command-line arguments, kept apart from what the commands do.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "tribench", version = tribench_engine::HARNESS_VERSION, about = "Measure coding agents on real tasks, graded by real tests, with honest statistics.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run an agent on one or more suites (default: the bundled sample suites with the oracle).
    Run(Box<RunArgs>),
    /// Check a suite: the oracle must resolve every task and the nop agent none.
    Validate(ValidateArgs),
    /// Print the report of one or more run directories.
    Report(ReportArgs),
    /// Compare two runs on their shared tasks: paired difference, test, MDE, verdict.
    Compare(CompareArgs),
    /// Plan a study: the smallest difference a design detects, or the design a difference needs.
    Power(PowerArgs),
    /// Many runs: models x scaffolds grid, effects, leaderboard with rank intervals.
    Matrix(MatrixArgs),
    /// Print what an agent did in one trial, step by step.
    Trajectory(TrajectoryArgs),
    /// List a run's trials: id, outcome, tries, time and cost (ids for `trajectory`).
    Trials(TrialsArgs),
    /// Re-run the actions an llm run recorded, without the model, and check the outcomes repeat.
    Replay(ReplayArgs),
    /// Turn another harness's results into a tribench run (then report and compare work on it).
    Import(ImportArgs),
    /// Browse runs, trials and comparisons in a web browser (or write a static copy).
    View(ViewArgs),
    /// Grade SWE-bench predictions made elsewhere (or `gold`, `nop`); `--audit RUN` lists where
    /// the official and strict verdicts disagree, and why.
    // Grading has no agent: the agent's limits and the workspace-task options do not apply.
    #[command(
        mut_arg("agent_timeout", |a| a.hide(true)),
        mut_arg("js_tools", |a| a.hide(true)),
        mut_arg("sandbox", |a| a.hide(true)),
        mut_arg("network", |a| a.hide(true))
    )]
    Grade(Box<GradeArgs>),
    /// Datasets by name: list the registry, pull one into the cache (verified, resumable).
    Datasets(DatasetsArgs),
    /// Join the run directories of a run's shards (`--shard I/N`) into one run directory.
    Merge(MergeArgs),
    /// Run beyond one machine with Slurm: an array job of shards, then a merge job.
    #[command(subcommand)]
    Slurm(SlurmCommand),
    /// Run beyond one machine with Kubernetes: an Indexed Job of shards, then a merge Job.
    #[command(subcommand)]
    K8s(K8sCommand),
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The shards' run directories (all N of them, or those finished so far).
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// The merged run directory; merging into it again adds only what is new.
    #[arg(long)]
    pub run_dir: PathBuf,
    /// What the merge did, as JSON on stdout (duplicates, missing trials).
    #[arg(long)]
    pub json: bool,
}

/// Flags every study renderer shares; the rest of the command line is `tribench run`'s.
#[derive(Args, Debug)]
pub struct StudyArgs {
    /// How many shards (array elements, Job indexes) the run is split into (1 to 10000).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_SHARDS as i64))]
    pub shards: u32,
    /// Absolute folder every node sees: shard I writes RUN_ROOT/shard-I, the merge RUN_ROOT/merged.
    #[arg(long)]
    pub run_root: PathBuf,
    /// The tribench binary as the nodes see it (default: this one for Slurm, `tribench` on the
    /// image's PATH for Kubernetes).
    #[arg(long)]
    pub tribench: Option<String>,
    /// The job name.
    #[arg(long, default_value = "tribench")]
    pub name: String,
}

#[derive(Subcommand, Debug)]
pub enum SlurmCommand {
    /// Print an sbatch script: `tribench slurm render [run args] --shards N --run-root DIR > study.sbatch`.
    Render(Box<SlurmRenderArgs>),
}

#[derive(Args, Debug)]
pub struct SlurmRenderArgs {
    #[command(flatten)]
    pub study: StudyArgs,
    /// CPUs per array element (sbatch --cpus-per-task).
    #[arg(long)]
    pub cpus_per_task: Option<u32>,
    /// Memory per array element (sbatch --mem, e.g. 8G).
    #[arg(long)]
    pub mem: Option<String>,
    /// Time limit per array element (sbatch --time, e.g. 4:00:00).
    #[arg(long)]
    pub time: Option<String>,
    /// The partition the jobs run in (sbatch --partition).
    #[arg(long)]
    pub partition: Option<String>,
    /// The account the jobs are charged to (sbatch --account).
    #[arg(long)]
    pub account: Option<String>,
    /// At most this many elements at once (--array=0-N-1%M).
    #[arg(long)]
    pub max_parallel: Option<u32>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub enum K8sCommand {
    /// Print the Jobs as YAML: `tribench k8s render [run args] --shards N --run-root DIR --image IMG --pvc NAME | kubectl apply -f -`.
    Render(Box<K8sRenderArgs>),
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DockerAccessArg {
    /// Mount the node's /var/run/docker.sock (task containers are the node's siblings).
    Socket,
    /// No Docker (local-sandbox tasks only).
    None,
}

#[derive(Args, Debug)]
pub struct K8sRenderArgs {
    #[command(flatten)]
    pub study: StudyArgs,
    /// The image holding tribench (and the toolchains local-sandbox tasks need).
    #[arg(long)]
    pub image: String,
    /// The namespace of the Jobs (default: kubectl's current one).
    #[arg(long)]
    pub namespace: Option<String>,
    /// The results volume: an existing PersistentVolumeClaim, mounted at --run-root.
    #[arg(
        long,
        required_unless_present = "host_path",
        conflicts_with = "host_path"
    )]
    pub pvc: Option<String>,
    /// The results volume: a directory on the node, mounted at --run-root.
    #[arg(long)]
    pub host_path: Option<String>,
    /// Shard pods running at once (default: all).
    #[arg(long)]
    pub parallelism: Option<u32>,
    /// CPU per shard pod (a Kubernetes quantity: 2, 500m), requested and the limit.
    #[arg(long)]
    pub cpu: Option<String>,
    /// Memory per shard pod (8Gi), requested and the limit.
    #[arg(long)]
    pub memory: Option<String>,
    /// KEY=VALUE a node must carry (repeatable).
    #[arg(long = "node-selector", value_name = "KEY=VALUE")]
    pub node_selector: Vec<String>,
    /// How task containers reach Docker.
    #[arg(long, value_enum, default_value_t = DockerAccessArg::Socket)]
    pub docker: DockerAccessArg,
    /// Seconds the merge Job waits for shards that never end before merging what there is.
    #[arg(long, default_value_t = 86400)]
    pub merge_wait: u64,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Args, Debug)]
pub struct DatasetsArgs {
    #[command(subcommand)]
    pub action: DatasetsAction,
}

#[derive(Subcommand, Debug)]
pub enum DatasetsAction {
    /// Print the datasets the registry knows: source, revision, checksum, whether cached.
    List {
        #[command(flatten)]
        data: DatasetArgs,
        /// Machine-readable list on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Download NAME[@VERSION] into the cache ($XDG_CACHE_HOME/tribench/datasets), checksum
    /// verified; an interrupted pull resumes. Prints where it is.
    Pull {
        /// The dataset, NAME or NAME@VERSION.
        #[arg(value_name = "NAME[@VERSION]")]
        spec: String,
        #[command(flatten)]
        data: DatasetArgs,
        /// Machine-readable result on stdout.
        #[arg(long)]
        json: bool,
    },
}

/// Datasets by name, for run, validate and grade (and the registry and endpoint for `datasets`).
#[derive(Args, Debug, Clone, Default)]
pub struct DatasetArgs {
    /// A registry dataset, NAME or NAME@VERSION (repeatable; see `tribench datasets list`): its
    /// cached copy, pulled first when missing.
    #[arg(long = "dataset", short = 'd', value_name = "NAME[@VERSION]")]
    pub datasets: Vec<String>,
    /// Never download: a dataset missing from the cache is an error naming it.
    #[arg(long)]
    pub offline: bool,
    /// A registry file (TOML, the built-in registry's format) adding private datasets;
    /// repeatable.
    #[arg(long = "registry", value_name = "FILE")]
    pub registries: Vec<PathBuf>,
    /// Hugging Face endpoint URL for datasets published there.
    #[arg(long, env = "HF_ENDPOINT", value_name = "URL")]
    pub hf_endpoint: Option<String>,
}

#[derive(Args, Debug)]
pub struct GradeArgs {
    /// The SWE-bench instances (a JSON/JSONL/Parquet file, or a suite folder holding
    /// instances.jsonl).
    #[arg(long = "suite", short = 's', required_unless_present_any = ["audit", "datasets"], conflicts_with = "datasets")]
    pub suite: Option<PathBuf>,
    #[command(flatten)]
    pub data: DatasetArgs,
    /// preds.jsonl, preds.json (a list, or an object keyed by instance id), or the built-ins
    /// `gold` (the reference patches) and `nop` (empty patches).
    #[arg(long, required_unless_present_any = ["audit", "logs"])]
    pub predictions: Option<String>,
    /// Only these instances (repeatable).
    #[arg(long = "instance-id")]
    pub instance_ids: Vec<String>,
    /// Run directory (default: runs/<date>-grade-<model>); rerunning resumes.
    #[arg(long)]
    pub run_dir: Option<PathBuf>,
    /// Names the run report swebench/<model>.<run_id>.json (default: the run directory's name).
    #[arg(long)]
    pub run_id: Option<String>,
    /// List the instances of a graded run where official and strict verdicts differ.
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["suite", "predictions"])]
    pub audit: Option<PathBuf>,
    /// Grade recorded test logs instead of running anything: a folder of `<instance_id>.log`
    /// files, or the official layout `<instance_id>/test_output.txt` (an official run's
    /// logs/run_evaluation/<run>/<model>). Prints `{instance_id: report}` as the official
    /// report.json entries, in the chosen --grading-mode.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["predictions", "audit"])]
    pub logs: Option<PathBuf>,
    /// Machine-readable results on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub exec: ExecArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum ImportKind {
    /// A SWE-bench run report JSON, or a folder of per-instance report.json files.
    Swebench,
    /// A Terminal-Bench 1 run directory (run_metadata.json, results.json).
    TerminalBench,
    /// A Harbor job directory (a result.json per trial).
    Harbor,
    /// An Aider benchmark run folder (.aider.results.json per exercise).
    Aider,
    /// Aider leaderboard YAML rows: aggregates only, printed with intervals (no run is made).
    AiderLeaderboard,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The format of what is imported.
    pub kind: ImportKind,
    /// What to import.
    pub source: PathBuf,
    /// The new run directory (not for aider-leaderboard, which has no per-task data).
    #[arg(long)]
    pub run_dir: Option<PathBuf>,
    /// Dataset name for sources that do not record it (SWE-bench).
    #[arg(long, default_value = "swe-bench")]
    pub dataset: String,
    /// Print the imported run's full report (default: one summary line).
    #[arg(long)]
    pub report: bool,
    /// Machine-readable report of the imported run on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Run A.
    pub a: PathBuf,
    /// Run B.
    pub b: PathBuf,
    /// Compare even when the runs are on different datasets (shared tasks only).
    #[arg(long)]
    pub force: bool,
    /// Machine-readable comparison on stdout, with the task ids behind each figure.
    #[arg(long)]
    pub json: bool,
    /// The smallest difference that matters, in points; below it "no detectable difference"
    /// needs the comparison to have been able to see it (default: 5).
    #[arg(long, value_parser = effect_points)]
    pub min_effect: Option<f64>,
    /// Practice rule in points: smaller differences need more evidence whatever p says
    /// (default: 3 for SWE-bench Verified).
    #[arg(long, conflicts_with_all = ["rule_tasks", "no_rule"], value_parser = effect_points)]
    pub rule_points: Option<f64>,
    /// Practice rule in tasks (default: 2 for Terminal-Bench).
    #[arg(long, conflicts_with = "no_rule", value_parser = positive_tasks)]
    pub rule_tasks: Option<f64>,
    /// No practice rule.
    #[arg(long)]
    pub no_rule: bool,
    /// Significance level of the paired test (two-sided, strictly between 0 and 1; default:
    /// 0.05). The interval is at 1 - alpha.
    #[arg(long, value_parser = open_probability)]
    pub alpha: Option<f64>,
    /// Seed for the permutation test (default: 0).
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Args, Debug)]
pub struct PowerArgs {
    /// Tasks in the suite (at least 1).
    #[arg(long, value_parser = at_least_one)]
    pub tasks: f64,
    /// Attempts per task (1 to 1000).
    #[arg(long, short = 'k', default_value_t = 1.0, value_parser = plan_attempts)]
    pub attempts: f64,
    /// Expected resolve rate, strictly between 0 and 1.
    #[arg(long, default_value_t = 0.5, value_parser = open_probability)]
    pub base_rate: f64,
    /// Correlation between the two runs' per-task scores (0 for an unpaired design; -1 up to,
    /// not including, 1).
    #[arg(long, default_value_t = 0.5, value_parser = correlation)]
    pub correlation: f64,
    /// Share of outcome variance between tasks (0..1; 1: attempts never disagree).
    #[arg(long, default_value_t = 0.7, value_parser = closed_probability)]
    pub icc: f64,
    /// Significance level of the planned test (two-sided, strictly between 0 and 1).
    #[arg(long, default_value_t = 0.05, value_parser = open_probability)]
    pub alpha: f64,
    /// Chance the planned comparison detects a real difference of the MDE (strictly between 0
    /// and 1).
    #[arg(long, default_value_t = 0.8, value_parser = open_probability)]
    pub power: f64,
    /// A difference to detect, in points (above 0, at most 100): prints the tasks and attempts
    /// it needs.
    #[arg(long, value_parser = effect_points)]
    pub effect: Option<f64>,
    /// Machine-readable plan on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also write the power curves (MDE against tasks, for K = 1, 3, 5, 10) as HTML.
    #[arg(long)]
    pub html: Option<PathBuf>,
}

/// How trials run: the run settings, then options of this invocation only.
#[derive(Args, Debug, Clone, Default)]
pub struct ExecArgs {
    #[command(flatten)]
    pub run: RunLayer,
    /// No progress output: neither the terminal bar nor the per-trial lines.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Read settings from this file instead of the tribench.toml beside the suite or in the
    /// current directory.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A CA certificate (PEM) to trust in image builds and task containers (a TLS-intercepting
    /// proxy's); repeatable, added to tribench.toml's [build] ca_certificates.
    #[arg(long = "ca-cert", value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,
    /// Run only shard I of N (zero-based: 0/4 to 3/4). Trials (task, attempt) are split by a
    /// stable hash, the same on every machine; `tribench merge` joins the shards' run directories.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<tribench_types::Shard>,
}

use tribench_settings::{LlmArgs, RunLayer};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// A suite to run (repeatable). Default: every suite under the bundled suites/ folder.
    #[arg(long = "suite", short = 's')]
    pub suites: Vec<PathBuf>,
    /// oracle (reference solution), nop (changes nothing), llm (a model behind an
    /// OpenAI-compatible API, with --model and --base-url), or cli:NAME|PATH (an agent program
    /// run in the sandbox, described by agents/NAME.toml or a file of your own).
    #[arg(long, default_value = "oracle")]
    pub agent: String,
    #[command(flatten)]
    pub llm: LlmArgs,
    /// Trials per task, 1 to 1000 (default: 1).
    #[arg(long, short = 'k', value_parser = clap::value_parser!(u32).range(1..=MAX_RUN_ATTEMPTS as i64))]
    pub attempts: Option<u32>,
    /// Run directory; rerunning with the same one resumes it. Default: runs/<date>-<agent>.
    #[arg(long)]
    pub run_dir: Option<PathBuf>,
    /// Cap on grading tries per task, at least 1 (polyglot allows 2).
    #[arg(long, value_parser = at_least_one_try)]
    pub tries: Option<u32>,
    /// Run again recorded trials that ended in an infrastructure error (model_error included).
    #[arg(long)]
    pub retry_errors: bool,
    /// Stop the run (keeping what finished) after this many trials in a row could not use the
    /// model endpoint (model_error); rerunning the same command resumes. 0 never stops
    /// (default: 5).
    #[arg(long)]
    pub max_consecutive_model_errors: Option<u32>,
    /// Machine-readable report on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data: DatasetArgs,
    #[command(flatten)]
    pub exec: ExecArgs,
}

#[derive(Args, Debug)]
pub struct TrajectoryArgs {
    /// Run directory.
    pub run: PathBuf,
    /// Trial id (as in the report's --json, e.g. python+two-fer.a1).
    pub trial: String,
    /// Print the stored JSON as it is.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct TrialsArgs {
    /// Run directory.
    pub run: PathBuf,
    /// Only trials with this outcome (resolved, unresolved, agent_error, ...).
    #[arg(long)]
    pub outcome: Option<String>,
    /// Only trials of this group (a language, a repository, a category).
    #[arg(long)]
    pub group: Option<String>,
    /// Machine-readable list on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The suite(s) to check.
    #[arg(required_unless_present = "datasets")]
    pub suites: Vec<PathBuf>,
    #[command(flatten)]
    pub data: DatasetArgs,
    /// Run the oracle this many times and list tasks whose outcome changed (flaky tasks).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=MAX_RUN_ATTEMPTS as i64))]
    pub repeat: u32,
    /// Where to keep the oracle and nop runs (default: a temporary folder, removed after).
    #[arg(long)]
    pub run_dir: Option<PathBuf>,
    /// Per-task results as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub exec: ExecArgs,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Run directories (one report each).
    #[arg(required = true)]
    pub runs: Vec<PathBuf>,
    /// Machine-readable report, with the trial ids behind every figure.
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Markdown, for pasting into a review.
    #[arg(long)]
    pub markdown: bool,
    /// Every column of the score table (default: what fits in 100 columns).
    #[arg(long)]
    pub wide: bool,
    /// Also write one self-contained HTML file with charts (all the runs together).
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Models file with sizes, training cutoffs and prices (default: $TRIBENCH_MODELS, else
    /// ./models.toml if present).
    #[arg(long)]
    pub models: Option<PathBuf>,
    /// Split tasks by creation date at this day, YYYY-MM-DD (default: the model's training
    /// cutoff from the models file).
    #[arg(long, value_parser = day)]
    pub cutoff: Option<String>,
    /// Task creation dates for runs that do not record them: a JSON/JSONL dataset file with
    /// instance_id (or task_id, id) and created_at.
    #[arg(long)]
    pub task_dates: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct MatrixArgs {
    /// Run directories.
    #[arg(required = true, num_args = 2..)]
    pub runs: Vec<PathBuf>,
    /// Machine-readable matrix on stdout.
    #[arg(long)]
    pub json: bool,
    /// Significance level of the pairwise verdicts (Holm-adjusted; strictly between 0 and 1).
    #[arg(long, default_value_t = 0.05, value_parser = open_probability)]
    pub alpha: f64,
    /// Bootstrap draws for rank intervals (1 to 100000).
    #[arg(long, default_value_t = 2000, value_parser = draws)]
    pub draws: usize,
    /// Seed for the bootstrap draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// The run whose trajectories are replayed.
    pub source: PathBuf,
    /// The new run directory.
    #[arg(long)]
    pub run_dir: PathBuf,
    /// Grade each trial's recorded final change (diff.patch) instead of replaying its actions.
    #[arg(long)]
    pub patches: bool,
    /// Machine-readable comparison of recorded and replayed outcomes on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub exec: ExecArgs,
}

#[derive(Args, Debug)]
pub struct ViewArgs {
    /// Run directories, or directories holding runs (default: runs).
    #[arg(default_value = "runs")]
    pub paths: Vec<PathBuf>,
    /// Address to listen on; anything but loopback requires a token.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Port (0: any free port; the address is printed).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The token a non-loopback server requires (at least 16 characters; default: generated).
    #[arg(long, env = "TRIBENCH_VIEW_TOKEN")]
    pub token: Option<String>,
    /// Write a static copy that opens from file:// into this directory, then exit.
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
}

/// Most trials per task `run --attempts` takes: far beyond any study, and each is planned ahead.
pub const MAX_RUN_ATTEMPTS: u32 = 1000;
/// Most shards a study is split into: beyond any cluster's array or Job size in practice.
pub const MAX_SHARDS: u32 = 10_000;

fn number(s: &str) -> Result<f64, String> {
    s.trim().parse::<f64>().map_err(|e| format!("{s:?}: {e}"))
}

/// A probability strictly between 0 and 1 (alpha, power, a base rate).
fn open_probability(s: &str) -> Result<f64, String> {
    let x = number(s)?;
    if x > 0.0 && x < 1.0 {
        Ok(x)
    } else {
        Err(format!("{x} is not strictly between 0 and 1"))
    }
}

/// A share within 0..1, both ends included.
fn closed_probability(s: &str) -> Result<f64, String> {
    let x = number(s)?;
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(format!("{x} is not within 0..1"))
    }
}

fn correlation(s: &str) -> Result<f64, String> {
    let x = number(s)?;
    if (-1.0..1.0).contains(&x) {
        Ok(x)
    } else {
        Err(format!(
            "{x} is not within -1..1 (1 excluded: perfectly correlated runs never differ)"
        ))
    }
}

fn at_least_one(s: &str) -> Result<f64, String> {
    let x = number(s)?;
    if x >= 1.0 && x.is_finite() {
        Ok(x)
    } else {
        Err(format!("{x} is not a finite number of at least 1"))
    }
}

fn plan_attempts(s: &str) -> Result<f64, String> {
    let x = number(s)?;
    let max = tribench_analysis::MAX_PLAN_ATTEMPTS;
    if (1.0..=max).contains(&x) {
        Ok(x)
    } else {
        Err(format!("{x} is not within 1..{max}"))
    }
}

fn effect_points(s: &str) -> Result<f64, String> {
    let x = number(s)?;
    if x > 0.0 && x <= 100.0 {
        Ok(x)
    } else {
        Err(format!(
            "{x} is not a difference of more than 0 and at most 100 points"
        ))
    }
}

/// A number of tasks, more than 0 (the Terminal-Bench practice rule).
fn positive_tasks(s: &str) -> Result<f64, String> {
    let x = number(s)?;
    if x > 0.0 && x.is_finite() {
        Ok(x)
    } else {
        Err(format!("{x} is not a finite number of tasks above 0"))
    }
}

fn draws(s: &str) -> Result<usize, String> {
    let max = tribench_analysis::MAX_DRAWS;
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{s:?} is not a whole number of draws within 1..{max}"
        )),
    }
}

fn day(s: &str) -> Result<String, String> {
    tribench_analysis::check_day(s).map(|()| s.to_string())
}

fn at_least_one_try(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "{s:?} is not a whole number of tries of at least 1"
        )),
    }
}
