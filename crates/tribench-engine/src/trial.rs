//! One trial, end to end: open a sandbox, prepare the task, let the agent work (one turn per
//! try), grade, feed failures back, record.

use crate::{now, EngineError, RunContext};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tribench_agents::{AgentError, AgentTask};
use tribench_families::{
    Environment, FamilyContext, FreshSandboxes, GradeResult, PatchGrade, SuiteTask, Unavailable,
};
use tribench_sandbox::{ContainerSpec, LocalSandbox, ResolvedImage, Sandbox, SandboxError};
use tribench_store::RunStore;
use tribench_types::{Outcome, TrialKey, TrialLimits, TrialRecord, TryRecord};

/// Runs a trial (again, while it ends in an infrastructure error and retries are left) and
/// records it.
pub(crate) async fn run_and_record(
    ctx: &Arc<RunContext>,
    task: &SuiteTask,
    key: &TrialKey,
) -> Result<TrialRecord, EngineError> {
    let trial_id = key.trial_id();
    let mut retries = 0;
    let rec = loop {
        reset_dir(ctx, &trial_id).await?;
        let (mut rec, healable) = run_once(ctx, task, key).await?;
        rec.infra_retries = retries;
        // A refusal (bad key, unknown model) would only be refused again.
        if rec.outcome.is_infrastructure()
            && healable
            && retries < ctx.infra_retries
            && ctx.refusal().is_none()
        {
            retries += 1;
            tracing::warn!(trial = %trial_id, outcome = %rec.outcome, error = rec.error.as_deref().unwrap_or("none given"), "retrying after an infrastructure error");
            continue;
        }
        break rec;
    };
    let store_ctx = ctx.clone();
    let to_store = rec.clone();
    tokio::task::spawn_blocking(move || store_ctx.store.record(&to_store))
        .await
        .map_err(|e| EngineError::Record(e.to_string()))??;
    Ok(rec)
}

async fn reset_dir(ctx: &Arc<RunContext>, trial_id: &str) -> Result<(), EngineError> {
    let c = ctx.clone();
    let id = trial_id.to_string();
    tokio::task::spawn_blocking(move || c.store.reset_trial_dir(&id))
        .await
        .map_err(|e| EngineError::Record(e.to_string()))??;
    Ok(())
}

/// A record for a trial that never got to run properly.
pub fn harness_error_record(
    task: &SuiteTask,
    key: &TrialKey,
    agent: &str,
    error: String,
) -> TrialRecord {
    let t = now();
    TrialRecord {
        task_created_at: task.info.created_at.clone(),
        error: Some(error),
        started_at: t.clone(),
        ended_at: t,
        ..TrialRecord::new(
            key,
            task.info.family,
            task.info.group.clone(),
            agent,
            Outcome::HarnessError,
        )
    }
}

/// Seconds as a `Duration`; a value no `Duration` holds is the longest one.
fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or(Duration::MAX)
}

/// What the task's grading gets to know: the trial's limits and the run's grading settings.
fn family_context(ctx: &RunContext, limits: &TrialLimits) -> FamilyContext {
    FamilyContext {
        test_timeout: secs(limits.test_timeout_sec),
        output_cap: usize::try_from(limits.output_cap).unwrap_or(usize::MAX),
        js_tools: ctx.js_tools.clone(),
        grading_mode: ctx.grading_mode,
    }
}

/// Opens the sandbox a task needs, under the trial's limits: its own container for container
/// tasks; for workspace tasks a local directory, or a container of the workspace image under
/// `--sandbox docker`. Also says which image a container task's sandbox runs. A grading
/// sandbox never gets the network the agent may have had.
async fn open_sandbox_on(
    ctx: &Arc<RunContext>,
    task: &SuiteTask,
    limits: &TrialLimits,
    grading: bool,
) -> Result<(Box<dyn Sandbox>, Option<ResolvedImage>), SandboxError> {
    let network = !grading && limits.network;
    let build_timeout = secs(limits.build_timeout_sec);
    let need_docker = || {
        ctx.docker
            .clone()
            .ok_or(SandboxError::Docker("this run has no Docker engine".into()))
    };
    match task.environment() {
        Environment::Workspace { name } => match &ctx.workspace_image {
            None => {
                let memory = limits.memory_mb.map(|mb| mb.saturating_mul(1 << 20));
                let config = if ctx.sandbox.network == network
                    && memory.is_none_or(|m| m == ctx.sandbox.limits.max_sandbox_memory_bytes)
                {
                    ctx.sandbox.clone()
                } else {
                    let mut own = (*ctx.sandbox).clone();
                    own.network = network;
                    if let Some(m) = memory {
                        own.limits.max_sandbox_memory_bytes = m;
                    }
                    Arc::new(own)
                };
                Ok((Box::new(LocalSandbox::create(config, &name)?), None))
            }
            Some(image) => {
                let docker = need_docker()?;
                let image = docker.ensure_image(image, build_timeout).await?;
                let spec = ContainerSpec {
                    image,
                    workdir: format!("/work/{name}"),
                    cpus: limits.cpus,
                    memory_mb: limits.memory_mb,
                    pids_limit: 4096,
                    network,
                    env: Vec::new(),
                    services: None,
                };
                Ok((Box::new(docker.create(&spec).await?), None))
            }
        },
        Environment::Container {
            image,
            env,
            workdir,
        } => {
            let docker = need_docker()?;
            let resolved = docker.resolve_image(&image, build_timeout).await?;
            let image = resolved.name.clone();
            let workdir = match workdir {
                Some(w) => w,
                None => docker
                    .image_workdir(&image)
                    .await
                    .unwrap_or_else(|| "/".into()),
            };
            let services = task.services().map(|mut g| {
                g.build_timeout = build_timeout;
                g
            });
            let spec = ContainerSpec {
                image,
                workdir,
                cpus: limits.cpus,
                memory_mb: limits.memory_mb,
                pids_limit: 4096,
                network,
                env,
                services,
            };
            Ok((Box::new(docker.create(&spec).await?), Some(resolved)))
        }
    }
}

/// What a trial keeps about its image (`image.json`).
fn image_json(r: &ResolvedImage) -> Vec<u8> {
    let v = tribench_types::ImageRecord {
        requested: r.requested.clone(),
        name: r.name.clone(),
        source: r.source.as_str().to_string(),
        digest: r.digest.clone(),
        note: r.note.clone(),
    };
    serde_json::to_vec_pretty(&v).unwrap_or_default()
}

/// Collects artifacts as the trial goes; a failure to write one is a harness error.
struct Artifacts<'a> {
    store: &'a RunStore,
    trial_id: String,
    paths: Vec<String>,
}

impl Artifacts<'_> {
    fn has(&self, name: &str) -> bool {
        let suffix = format!("/{name}");
        self.paths.iter().any(|p| p.ends_with(&suffix))
    }

    fn write(&mut self, name: &str, contents: &[u8]) -> Result<String, EngineError> {
        let rel = self.store.write_artifact(&self.trial_id, name, contents)?;
        self.paths.push(rel.clone());
        Ok(rel)
    }
}

/// One start of a trial, and whether an infrastructure error in it could heal on a retry.
async fn run_once(
    ctx: &Arc<RunContext>,
    task: &SuiteTask,
    key: &TrialKey,
) -> Result<(TrialRecord, bool), EngineError> {
    let mut healable = true;
    let rec = run_once_inner(ctx, task, key, &mut healable).await?;
    Ok((rec, healable))
}

async fn run_once_inner(
    ctx: &Arc<RunContext>,
    task: &SuiteTask,
    key: &TrialKey,
    healable: &mut bool,
) -> Result<TrialRecord, EngineError> {
    let started_at = now();
    let t0 = Instant::now();
    let agent_name = ctx.agent.name().to_string();
    let mut rec = harness_error_record(task, key, &agent_name, String::new());
    rec.error = None;
    rec.model = ctx.agent.model_info();
    rec.started_at = started_at;
    let limits = ctx
        .limits
        .for_task(&task.limits(), key.attempt, ctx.agent_network);
    rec.limits = Some(limits.clone());
    let trial = Trial {
        ctx,
        task,
        limits: &limits,
        family: family_context(ctx, &limits),
    };
    let mut art = Artifacts {
        store: &ctx.store,
        trial_id: key.trial_id(),
        paths: Vec::new(),
    };

    if let Some(prediction) = ctx.agent.prediction(&task.info) {
        grade_prediction(&trial, &mut rec, &mut art, prediction).await?;
        return Ok(finish(rec, art, t0));
    }

    let sb = match open_sandbox_on(ctx, task, &limits, false).await {
        Ok((sb, image)) => {
            if let Some(image) = image {
                art.write("image.json", &image_json(&image))?;
            }
            sb
        }
        Err(e) => {
            // A broken image or a missing engine is the environment's fault, not the agent's.
            rec.outcome = match &e {
                SandboxError::Build { .. }
                | SandboxError::Docker(_)
                | SandboxError::ImageMissing(_) => Outcome::EnvironmentError,
                _ => Outcome::HarnessError,
            };
            // An image nobody can pull or build stays missing: one error, no retry.
            *healable = !matches!(e, SandboxError::ImageMissing(_));
            if let SandboxError::Build { log, .. } = &e {
                art.write("build-log.txt", log.as_bytes())?;
            }
            rec.error = Some(format!("could not open the task's sandbox: {e}"));
            rec.timings.setup_ms = ms(t0.elapsed());
            return Ok(finish(rec, art, t0));
        }
    };
    let sb: &dyn Sandbox = sb.as_ref();
    let setup = secs(limits.setup_timeout_sec);
    match tokio::time::timeout(setup, task.prepare(sb)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            rec.outcome = Outcome::EnvironmentError;
            rec.error = Some(format!("preparing the task failed: {e}"));
            rec.timings.setup_ms = ms(t0.elapsed());
            let _ = sb.stop().await;
            return Ok(finish(rec, art, t0));
        }
        Err(_) => {
            rec.outcome = Outcome::EnvironmentError;
            rec.error = Some(format!(
                "preparing the task took longer than {}s",
                setup.as_secs()
            ));
            let _ = sb.stop().await;
            return Ok(finish(rec, art, t0));
        }
    }
    rec.timings.setup_ms = ms(t0.elapsed());

    let outcome = work_and_grade(&trial, sb, &mut rec, &mut art).await;
    if let Err(e) = outcome {
        rec.outcome = Outcome::HarnessError;
        rec.error = Some(e.to_string());
    }
    // A graded patch was kept as it was graded; otherwise the workspace's final change.
    if !art.has("diff.patch") {
        let diff = task.diff(sb).await;
        if !diff.is_empty() {
            art.write("diff.patch", diff.as_bytes())?;
        }
    }
    if let Err(e) = sb.stop().await {
        tracing::warn!("could not remove sandbox: {e}");
    }
    Ok(finish(rec, art, t0))
}

/// One trial's task, context and limits, handed down its steps.
struct Trial<'a> {
    ctx: &'a Arc<RunContext>,
    task: &'a SuiteTask,
    limits: &'a TrialLimits,
    family: FamilyContext,
}

/// Sandboxes for the task to grade in, each of its environment, offline, prepared from
/// scratch. Failures to get one are the environment's, recorded as such.
#[async_trait::async_trait]
impl FreshSandboxes for Trial<'_> {
    async fn open(&self) -> Result<Box<dyn Sandbox>, Unavailable> {
        let unavailable = |message: String| Unavailable {
            message,
            artifacts: Vec::new(),
        };
        let sb = match open_sandbox_on(self.ctx, self.task, self.limits, true).await {
            Ok((sb, _)) => sb,
            Err(e) => {
                let artifacts = match &e {
                    SandboxError::Build { log, .. } => {
                        vec![("build-log.txt".to_string(), log.as_bytes().to_vec())]
                    }
                    _ => Vec::new(),
                };
                return Err(Unavailable {
                    message: format!("could not open a sandbox to grade in: {e}"),
                    artifacts,
                });
            }
        };
        let setup = secs(self.limits.setup_timeout_sec);
        let failed = match tokio::time::timeout(setup, self.task.prepare(sb.as_ref())).await {
            Ok(Ok(())) => return Ok(sb),
            Ok(Err(e)) => unavailable(format!("preparing the grading sandbox failed: {e}")),
            Err(_) => unavailable(format!(
                "preparing the grading sandbox took longer than {}s",
                setup.as_secs()
            )),
        };
        if let Err(e) = sb.stop().await {
            tracing::warn!("could not remove sandbox: {e}");
        }
        Err(failed)
    }
}

/// A patch made elsewhere: no agent sandbox, the task grades the patch itself (in a fresh
/// sandbox, or from the patch alone when its family says so: an empty patch).
async fn grade_prediction(
    trial: &Trial<'_>,
    rec: &mut TrialRecord,
    art: &mut Artifacts<'_>,
    prediction: tribench_agents::Prediction,
) -> Result<(), EngineError> {
    let patch = prediction.patch.as_deref().map(str::as_bytes);
    if let Some(p) = patch.filter(|p| !p.trim_ascii().is_empty()) {
        art.write("diff.patch", p)?;
    }
    let g0 = Instant::now();
    let graded = trial
        .task
        .grade_prediction(patch, trial, &trial.family)
        .await
        .unwrap_or_else(|e| {
            PatchGrade::Graded(GradeResult::environment_error(
                format!("grading failed: {e}"),
                Vec::new(),
            ))
        });
    rec.timings.grade_ms += ms(g0.elapsed());
    let grade = match graded {
        PatchGrade::Graded(g) => g,
        PatchGrade::NotRun { outcome, artifacts } => {
            for (name, bytes) in &artifacts {
                art.write(name, bytes)?;
            }
            rec.outcome = outcome;
            return Ok(());
        }
    };
    record_try(rec, art, 1, &grade)?;
    rec.outcome = grade.outcome;
    if grade.outcome == Outcome::Resolved {
        rec.passed_on_try = Some(1);
    } else {
        rec.error = grade.error;
    }
    Ok(())
}

/// Keeps one grading try: its files, its test output, its record.
fn record_try(
    rec: &mut TrialRecord,
    art: &mut Artifacts<'_>,
    index: u32,
    grade: &GradeResult,
) -> Result<(), EngineError> {
    rec.timings.test_ms += grade.test_ms;
    for (name, bytes) in &grade.artifacts {
        art.write(name, bytes)?;
    }
    let output_artifact = art.write(&format!("test-output-{index}.txt"), grade.log.as_bytes())?;
    rec.tries.push(TryRecord {
        index,
        outcome: grade.outcome,
        exit_code: grade.exit_code,
        tests: grade.tests.clone(),
        test_ms: grade.test_ms,
        output_artifact: Some(output_artifact),
        reward: grade.reward,
    });
    Ok(())
}

fn finish(mut rec: TrialRecord, art: Artifacts<'_>, t0: Instant) -> TrialRecord {
    rec.artifacts = art.paths;
    rec.timings.total_ms = ms(t0.elapsed());
    rec.ended_at = now();
    rec
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The agent's turns and the grading tries. Fills `rec`; an `Err` is a harness failure.
async fn work_and_grade(
    trial: &Trial<'_>,
    sb: &dyn Sandbox,
    rec: &mut TrialRecord,
    art: &mut Artifacts<'_>,
) -> Result<(), EngineError> {
    let (ctx, task) = (trial.ctx, trial.task);
    let instruction = task.instruction();
    art.write("instruction.md", instruction.as_bytes())?;
    let reference = if ctx.agent.needs_reference() {
        match task.reference() {
            Ok(r) => Some(r),
            Err(e) => {
                rec.outcome = Outcome::HarnessError;
                rec.error = Some(format!("the task's reference solution cannot be read: {e}"));
                return Ok(());
            }
        }
    } else {
        None
    };
    let mut session = ctx.agent.start(AgentTask {
        task: task.info.clone(),
        instruction: instruction.clone(),
        reference,
        seed: trial.limits.seed,
    });
    let result = run_tries(trial, sb, rec, art, session.as_mut(), instruction).await;
    // What the agent did is kept whatever the outcome, errors included.
    if let Some(t) = session.trajectory() {
        let text = serde_json::to_string_pretty(&t).unwrap_or_default();
        art.write("trajectory.json", text.as_bytes())?;
    }
    result
}

/// The tries: agent turn, grading, feedback. Fills `rec`.
async fn run_tries(
    trial: &Trial<'_>,
    sb: &dyn Sandbox,
    rec: &mut TrialRecord,
    art: &mut Artifacts<'_>,
    session: &mut dyn tribench_agents::AgentSession,
    instruction: String,
) -> Result<(), EngineError> {
    let (ctx, task) = (trial.ctx, trial.task);
    let agent_limit = secs(trial.limits.agent_timeout_sec);
    let agent_deadline = tokio::time::Instant::now() + agent_limit;
    let max_tries = ctx
        .max_tries
        .map_or(task.max_tries(), |m| m.min(task.max_tries()))
        .max(1);

    let mut message = instruction;
    let mut final_outcome = Outcome::Unresolved;
    for index in 1..=max_tries {
        let t = Instant::now();
        let turn = tokio::time::timeout_at(agent_deadline, session.turn(sb, &message)).await;
        rec.timings.agent_ms += ms(t.elapsed());
        // An agent that stopped on a limit or a timeout still has its work graded.
        let stopped = match turn {
            Err(_) => match session.stalled_on_model() {
                // The endpoint never answered: infrastructure, not the agent's timeout.
                Some(why) => {
                    rec.outcome = Outcome::ModelError;
                    rec.error = Some(why);
                    return Ok(());
                }
                None => Some(Outcome::AgentTimeout),
            },
            Ok(Err(e)) => {
                rec.outcome = match &e {
                    AgentError::ModelUnavailable(_) => Outcome::ModelError,
                    AgentError::ModelRefused(why) => {
                        ctx.refuse(why.clone());
                        Outcome::ModelError
                    }
                    _ => Outcome::AgentError,
                };
                rec.error = Some(e.to_string());
                return Ok(());
            }
            Ok(Ok(turn)) => {
                rec.usage.add(&turn.usage);
                turn.stopped
            }
        };

        let g0 = Instant::now();
        let grade = task.grade(sb, trial, &trial.family).await;
        rec.timings.grade_ms += ms(g0.elapsed());
        let grade: GradeResult = match grade {
            Ok(g) => g,
            Err(e) => {
                rec.outcome = Outcome::HarnessError;
                rec.error = Some(format!("grading failed: {e}"));
                return Ok(());
            }
        };
        record_try(rec, art, index, &grade)?;
        if grade.outcome == Outcome::Resolved {
            rec.passed_on_try = Some(index);
            final_outcome = Outcome::Resolved;
            break;
        }
        if grade.error.is_some() {
            rec.error = grade.error.clone();
        }
        final_outcome = match (stopped, grade.outcome) {
            (_, Outcome::EnvironmentError) => Outcome::EnvironmentError,
            (Some(s), _) => s,
            (None, o) => o,
        };
        if stopped.is_some() || grade.outcome == Outcome::EnvironmentError || index == max_tries {
            break;
        }
        message = task.feedback(&grade, sb.workdir());
        art.write(&format!("feedback-{index}.txt"), message.as_bytes())?;
    }
    rec.outcome = final_outcome;
    Ok(())
}
