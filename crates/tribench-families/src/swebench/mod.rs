//! The SWE-bench family: instances (official, Multilingual, Pro and swebench 5.x fields), the
//! repository at `base_commit` with its future cut off, an environment per instance (official
//! image, or built from the spec table, or the local machine), and grading as the official
//! harness does it: patch applied by the same command chain, test files restored, the test
//! patch applied, the tests run between markers, the log parsed and judged (`official` mode),
//! or with the official parsers' known faults fixed (`strict` mode).

pub mod audit;
pub mod grade;
pub mod instance;
pub mod parse;
pub mod regrade;
pub mod repo;
pub mod selection;
pub mod spec;

use crate::shell_quote;
use crate::{Environment, FamilyContext, FamilyError, GradeResult};
use grade::{GradeSpec, InstanceReport, Verdict};
use instance::Instance;
use parse::{GradingMode, LogParser, StatusMap};
use repo::RepoSource;
use spec::{Spec, SpecEnvironment, SpecTable};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tribench_sandbox::{ExecRequest, ImageSpec, Sandbox};
use tribench_types::swebench::{GradingDetails, ModeVerdict};
use tribench_types::{Outcome, Reference, TestResult, TestStatus};

/// One instance, ready to run.
#[derive(Debug, Clone)]
pub struct SwebenchTask {
    pub instance: Instance,
    pub spec: Option<Arc<Spec>>,
    /// Where the repository comes from; `None`: it is already inside the instance's image.
    pub source: Option<RepoSource>,
}

/// Files a suite may hold its instances in, in order of preference.
pub const INSTANCE_FILES: [&str; 3] = ["instances.jsonl", "instances.json", "instances.parquet"];

/// Finds the instances file of a suite path (the file itself, or one inside the folder).
pub fn instances_file(path: &Path) -> Option<PathBuf> {
    if path.is_file() {
        return Some(path.to_path_buf());
    }
    INSTANCE_FILES
        .iter()
        .map(|f| path.join(f))
        .find(|p| p.is_file())
}

/// Loads the instances with their specs and repository sources.
pub fn load_tasks(instances_path: &Path) -> Result<Vec<SwebenchTask>, FamilyError> {
    let invalid = |message: String| FamilyError::InvalidTask {
        path: instances_path.to_path_buf(),
        message,
    };
    let instances = instance::load_instances(instances_path).map_err(invalid)?;
    let dir = instances_path.parent().unwrap_or(Path::new("."));
    let table_path = dir.join("swebench.toml");
    let table = if table_path.is_file() {
        SpecTable::load(&table_path).map_err(|message| FamilyError::InvalidTask {
            path: table_path.clone(),
            message,
        })?
    } else {
        SpecTable::default()
    };
    let mut tasks = Vec::new();
    // One lookup (and one bundle hash) per repository, however many instances it has.
    let mut sources: std::collections::HashMap<String, Option<RepoSource>> = Default::default();
    for inst in instances {
        let spec = table.find(&inst.repo, &inst.version).cloned();
        let source = sources
            .entry(inst.repo.clone())
            .or_insert_with(|| {
                table
                    .repos
                    .get(&inst.repo)
                    .cloned()
                    .or_else(|| find_repo_source(dir, &inst.repo))
                    .or_else(|| table.url_for(&inst.repo))
            })
            .clone();
        if let Some(s) = &spec {
            let needs_host_repo = s.environment == SpecEnvironment::Local
                || s.dockerfile.is_some()
                || s.image.is_some();
            if needs_host_repo && source.is_none() {
                return Err(invalid(format!(
                    "{}: no source for repository {} (give it in swebench.toml [repos], or put repos/{}.bundle beside the instances)",
                    inst.instance_id,
                    inst.repo,
                    inst.repo.replace('/', "__")
                )));
            }
        }
        tasks.push(SwebenchTask {
            instance: inst,
            spec,
            source,
        });
    }
    Ok(tasks)
}

/// `repos/<owner>__<name>.bundle` (or a mirror folder of that name, with or without `.git`)
/// beside the instances, or in `$TRIBENCH_REPOS`.
fn find_repo_source(dir: &Path, repo: &str) -> Option<RepoSource> {
    let name = repo.replace('/', "__");
    let mut roots = vec![dir.join("repos")];
    if let Some(r) = std::env::var_os("TRIBENCH_REPOS") {
        roots.push(PathBuf::from(r));
    }
    for root in roots {
        for cand in [
            root.join(format!("{name}.bundle")),
            root.join(format!("{name}.git")),
            root.join(&name),
        ] {
            if cand.exists() {
                return Some(RepoSource::local(cand));
            }
        }
    }
    None
}

impl SwebenchTask {
    /// The SWE-bench instance behind a suite's task, if it is one.
    pub fn of(task: &crate::SuiteTask) -> Option<&SwebenchTask> {
        task.as_any().downcast_ref()
    }

    /// Grades a patch in a sandbox of its own, freshly prepared.
    async fn grade_fresh(
        &self,
        patch: &[u8],
        fresh: &dyn crate::FreshSandboxes,
        ctx: &FamilyContext,
    ) -> GradeResult {
        let sb = match crate::open_fresh(fresh).await {
            Ok(sb) => sb,
            Err(failed) => return failed,
        };
        let graded = self.grade_patch_in(sb.as_ref(), patch, ctx).await;
        crate::close_fresh(sb, graded).await
    }

    pub fn parser(&self) -> LogParser {
        self.instance
            .log_parser
            .or(self.spec.as_ref().map(|s| s.log_parser))
            .or_else(|| LogParser::for_repo(&self.instance.repo))
            .unwrap_or(LogParser::Pytest)
    }

    pub fn eval_type(&self) -> grade::EvalType {
        if let Some(t) = self.instance.eval_type {
            return t;
        }
        if grade::fail_only_repo(&self.instance.repo) {
            return grade::EvalType::FailOnly;
        }
        self.spec.as_ref().map(|s| s.eval_type).unwrap_or_default()
    }

    /// The workspace folder's name for local runs: the repository's name.
    pub fn workspace_name(&self) -> String {
        self.instance
            .repo
            .rsplit('/')
            .next()
            .unwrap_or("repo")
            .to_string()
    }

    pub fn environment(&self) -> Environment {
        let spec = self.spec.as_deref();
        if let Some(s) = spec {
            if s.environment == SpecEnvironment::Local {
                return Environment::Workspace {
                    name: self.workspace_name(),
                };
            }
        }
        let image = match (spec, &self.instance.image) {
            (Some(Spec { image: Some(i), .. }), _) => ImageSpec::Named(i.clone()),
            (
                Some(Spec {
                    dockerfile: Some(d),
                    ..
                }),
                _,
            ) => ImageSpec::Build {
                context: d.parent().map(Path::to_path_buf).unwrap_or_default(),
                dockerfile: d
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "Dockerfile".into()),
            },
            (_, Some(i)) => ImageSpec::Named(i.clone()),
            _ => ImageSpec::Named(self.instance.official_image()),
        };
        Environment::Container {
            image,
            env: spec.map(|s| s.env.clone()).unwrap_or_default(),
            workdir: Some(spec.map_or("/testbed".to_string(), |s| s.workdir.clone())),
        }
    }

    fn exec_env(&self) -> Vec<(String, String)> {
        self.spec
            .as_ref()
            .map(|s| s.env.clone())
            .unwrap_or_default()
    }

    /// The grading commands' environment: the spec's, and git hooks off, so a hook a patch
    /// planted (through `patch`, which does not guard `.git/`) cannot run when the eval script
    /// checks the test files out.
    fn grading_env(&self) -> Vec<(String, String)> {
        let mut env = self.exec_env();
        env.extend([
            ("GIT_CONFIG_COUNT".to_string(), "1".to_string()),
            ("GIT_CONFIG_KEY_0".to_string(), "core.hooksPath".to_string()),
            ("GIT_CONFIG_VALUE_0".to_string(), "/dev/null".to_string()),
        ]);
        env
    }

    /// The agent's change against `base_commit`, new files included, as a binary-safe diff.
    pub async fn model_patch(&self, sb: &dyn Sandbox) -> Result<Vec<u8>, FamilyError> {
        // GIT_DIR pinned: with the agent's .git gone, git must not find a repository above
        // the workspace and stage files there.
        let script = format!(
            "export GIT_DIR=\"$PWD/.git\" GIT_WORK_TREE=\"$PWD\"; [ -d .git ] || {{ echo 'the repository (.git) is gone' >&2; exit 1; }}; git add -A >/dev/null 2>&1; git -c core.fileMode=false diff --cached --binary --no-color --no-ext-diff {} > .git/tribench-model.patch",
            shell_quote(&self.instance.base_commit)
        );
        let out = sb
            .exec(ExecRequest::new(script, Duration::from_secs(300)))
            .await?;
        if !out.success() {
            return Err(FamilyError::InvalidTask {
                path: PathBuf::from(&self.instance.instance_id),
                message: format!("cannot read the agent's change: {}", out.combined()),
            });
        }
        let patch = sb.read_file(".git/tribench-model.patch").await?;
        let _ = sb.remove(".git/tribench-model.patch").await;
        Ok(patch)
    }

    /// The eval script: the instance's own (swebench 5.x datasets), or one made from the spec.
    pub fn eval_script(&self) -> String {
        if let Some(s) = &self.instance.eval_script {
            return record_test_exit_code(s);
        }
        let base = shell_quote(&self.instance.base_commit);
        let files = instance::patch_files(&self.instance.test_patch);
        let test_files = self
            .instance
            .test_files()
            .iter()
            .map(|f| shell_quote(f))
            .collect::<Vec<_>>()
            .join(" ");
        let test_cmd = self
            .spec
            .as_ref()
            .map_or("python -m pytest -rA {test_files}".to_string(), |s| {
                s.test_cmd.clone()
            })
            .replace("{test_files}", &test_files);
        let mut s = String::from("#!/bin/bash\nset -uxo pipefail\n");
        if let Some(spec) = &self.spec {
            for line in &spec.pre_test {
                s.push_str(line);
                s.push('\n');
            }
        }
        // Restore every file the test patch touches: tracked ones to base, new ones removed.
        for f in &files {
            let q = shell_quote(f);
            s.push_str(&format!(
                "if git cat-file -e {base}:{q} 2>/dev/null; then git checkout {base} -- {q}; else rm -rf -- {q}; fi\n"
            ));
        }
        if !self.instance.test_patch.trim().is_empty() {
            s.push_str(&format!(
                "git apply --verbose --binary .git/tribench-test.patch || echo '{}'\n",
                grade::TEST_PATCH_FAILED
            ));
        }
        s.push_str(&format!(": '{}'\n", grade::START_TEST_OUTPUT));
        s.push_str(&test_cmd);
        s.push('\n');
        s.push_str("SWEBENCH_TEST_EXIT_CODE=$?\n");
        s.push_str(&format!(": '{}'\n", grade::END_TEST_OUTPUT));
        s.push_str(&format!(
            "echo \"{}: $SWEBENCH_TEST_EXIT_CODE\"\n",
            grade::TEST_EXIT_CODE
        ));
        for f in &files {
            let q = shell_quote(f);
            s.push_str(&format!(
                "if git cat-file -e {base}:{q} 2>/dev/null; then git checkout {base} -- {q}; fi\n"
            ));
        }
        s
    }

    /// Applies a patch with the official command chain in `sb` (freshly prepared), runs the
    /// eval script, and judges the log in both modes; `ctx.grading_mode` decides the outcome.
    pub async fn grade_patch_in(
        &self,
        sb: &dyn Sandbox,
        patch: &[u8],
        ctx: &FamilyContext,
    ) -> Result<GradeResult, FamilyError> {
        let mode = ctx.grading_mode;
        let t0 = Instant::now();
        let empty = patch.iter().all(u8::is_ascii_whitespace);
        let suspicious = suspicious_changes(&String::from_utf8_lossy(patch), &self.instance);
        let mut apply_log = String::new();
        if !empty {
            sb.write_file(".git/tribench-patch.diff", patch).await?;
            let mut req = ExecRequest::new(APPLY_SCRIPT, Duration::from_secs(600));
            req.env = self.grading_env();
            let out = sb.exec(req).await?;
            apply_log = out.combined();
            if !out.success() {
                let hunk = failing_hunk(&apply_log);
                let report = InstanceReport {
                    patch_exists: true,
                    ..InstanceReport::default()
                };
                let details = GradingDetails {
                    mode: mode.as_str().to_string(),
                    parser: self.parser().name().to_string(),
                    official: Some(verdict_details(&report, None, None)),
                    strict: None,
                    suspicious,
                    apply_log: apply_log.clone(),
                    empty_patch: false,
                };
                return Ok(GradeResult {
                    outcome: Outcome::PatchApplyFailed,
                    exit_code: out.exit_code,
                    tests: Vec::new(),
                    log: apply_log,
                    test_ms: ms(t0.elapsed()),
                    reward: None,
                    error: Some(format!(
                        "the patch does not apply to {}@{}: {hunk}",
                        self.instance.repo,
                        short(&self.instance.base_commit)
                    )),
                    artifacts: self.artifacts(&report, &details),
                });
            }
        }
        if !self.instance.test_patch.trim().is_empty() {
            sb.write_file(
                ".git/tribench-test.patch",
                self.instance.test_patch.as_bytes(),
            )
            .await?;
        }
        sb.write_file(".git/tribench-eval.sh", self.eval_script().as_bytes())
            .await?;
        let mut req = ExecRequest::new("bash .git/tribench-eval.sh 2>&1", ctx.test_timeout);
        req.env = self.grading_env();
        // Test logs are parsed whole: a cut in the middle would drop results.
        req.output_cap = ctx.output_cap.max(64 << 20);
        let t_test = Instant::now();
        let out = sb.exec(req).await?;
        let test_ms = ms(t_test.elapsed());
        let mut log = out.combined();
        if out.timed_out {
            log.push_str(&format!(
                "\n\nTimeout error: {} seconds exceeded.",
                ctx.test_timeout.as_secs()
            ));
        }
        let spec = GradeSpec {
            fail_to_pass: &self.instance.fail_to_pass,
            pass_to_pass: &self.instance.pass_to_pass,
            parser: self.parser(),
            eval_type: self.eval_type(),
        };
        let official = grade::grade_log(&log, &spec, GradingMode::Official);
        let strict = grade::grade_log(&log, &spec, GradingMode::Strict);
        let chosen = match mode {
            GradingMode::Official => &official,
            GradingMode::Strict => &strict,
        };
        // The files the test patch touches were restored first: a test patch that still does
        // not apply is the task's fault. Strict grading says so (an environment error, rerun
        // apart from the agent's failures); official grading counts it as the official
        // harness does (its script goes on without the tests) and names it.
        let broken_tests = log.lines().any(|l| l == grade::TEST_PATCH_FAILED);
        let outcome = if broken_tests && mode == GradingMode::Strict {
            Outcome::EnvironmentError
        } else if out.timed_out {
            Outcome::TestTimeout
        } else if chosen.report.resolved {
            Outcome::Resolved
        } else if empty {
            Outcome::EmptyPatch
        } else {
            Outcome::Unresolved
        };
        let error = if broken_tests {
            Some(format!(
                "the instance's test patch does not apply to {}@{}: the task is broken, not the agent's change",
                self.instance.repo,
                short(&self.instance.base_commit)
            ))
        } else {
            chosen
                .invalid
                .clone()
                .filter(|_| outcome != Outcome::Resolved)
        };
        let details = GradingDetails {
            mode: mode.as_str().to_string(),
            parser: self.parser().name().to_string(),
            official: Some(verdict_details(
                &official.report,
                Some(&official),
                Some(&official.status),
            )),
            strict: Some(verdict_details(
                &strict.report,
                Some(&strict),
                Some(&strict.status),
            )),
            suspicious,
            apply_log,
            empty_patch: empty,
        };
        Ok(GradeResult {
            outcome,
            exit_code: grade::test_exit_code(&log).and_then(|c| i32::try_from(c).ok()),
            tests: tests_of(&chosen.status),
            log,
            test_ms,
            reward: None,
            error,
            artifacts: self.artifacts(&chosen.report, &details),
        })
    }

    /// The official `report.json`: `{instance_id: report}`, laid out as Python writes it.
    pub fn report_json(&self, report: &InstanceReport) -> Vec<u8> {
        let one: std::collections::BTreeMap<&str, &InstanceReport> =
            [(self.instance.instance_id.as_str(), report)].into();
        tribench_types::python_json(&one)
    }

    fn artifacts(
        &self,
        report: &InstanceReport,
        details: &GradingDetails,
    ) -> Vec<(String, Vec<u8>)> {
        vec![
            ("report.json".into(), self.report_json(report)),
            (
                "grading.json".into(),
                serde_json::to_vec_pretty(details).unwrap_or_default(),
            ),
        ]
    }
}

/// A SWE-bench instance as the engine runs it: graded from the agent's patch in a fresh
/// sandbox, so the agent's sandbox, with whatever it installed or left running, never sees the
/// tests.
#[async_trait::async_trait]
impl crate::Task for SwebenchTask {
    fn environment(&self) -> Environment {
        SwebenchTask::environment(self)
    }

    /// The spec's `cpus` and `memory_mb`; never the network (the official harness builds its
    /// images with what the tests need).
    fn limits(&self) -> tribench_types::TaskLimits {
        tribench_types::TaskLimits {
            cpus: self.spec.as_ref().and_then(|s| s.cpus),
            memory_mb: self.spec.as_ref().and_then(|s| s.memory_mb),
            network: Some(false),
            ..Default::default()
        }
    }

    fn instruction(&self) -> String {
        format!(
            "{}\n\n---\n\nThe repository {} is checked out in your working directory. Change its non-test files so that the issue above is resolved. Do not modify the tests: hidden tests will check your change.\n",
            self.instance.problem_statement.trim_end(),
            self.instance.repo
        )
    }

    /// The gold patch; an instance without one is a broken task for the oracle (an empty patch
    /// would be charged to it as a failed change).
    fn reference(&self) -> Result<Reference, FamilyError> {
        if self.instance.patch.trim().is_empty() {
            return Err(FamilyError::InvalidTask {
                path: PathBuf::from(&self.instance.instance_id),
                message: "the instance has no gold patch (its `patch` field is empty)".into(),
            });
        }
        Ok(Reference::Patch {
            patch: self.instance.patch.clone(),
        })
    }

    /// Puts the repository at `base_commit` into the sandbox (or strips the image's own copy of
    /// its future), then runs the spec's install commands.
    async fn prepare(&self, sb: &dyn Sandbox) -> Result<(), FamilyError> {
        let env_err = |message: String| FamilyError::InvalidTask {
            path: PathBuf::from(&self.instance.instance_id),
            message,
        };
        if let Some(name) = &self.instance.unsupported_parser {
            return Err(env_err(format!(
                "the instance's log parser `{name}` is not one tribench implements yet"
            )));
        }
        if let Some(spec) = self.spec.as_ref().filter(|s| !s.needs.is_empty()) {
            if spec.environment == SpecEnvironment::Local {
                let words: Vec<String> = spec.needs.iter().map(|c| shell_quote(c)).collect();
                let script = format!(
                    "for c in {}; do command -v \"$c\" >/dev/null 2>&1 || echo \"$c\"; done",
                    words.join(" ")
                );
                let out = sb
                    .exec(ExecRequest::new(script, Duration::from_secs(30)))
                    .await?;
                let missing: Vec<&str> = out.stdout.text.split_whitespace().collect();
                if !missing.is_empty() {
                    return Err(env_err(format!(
                        "{} needs {} on this machine, which it lacks",
                        self.instance.repo,
                        missing.join(", ")
                    )));
                }
            }
        }
        match &self.source {
            Some(source) => {
                let (source, repo, base) = (
                    source.clone(),
                    self.instance.repo.clone(),
                    self.instance.base_commit.clone(),
                );
                let checkout =
                    tokio::task::spawn_blocking(move || repo::checkout(&source, &repo, &base))
                        .await
                        .map_err(|e| env_err(e.to_string()))?
                        .map_err(env_err)?;
                match self.environment() {
                    Environment::Workspace { .. } => sb.copy_in(&checkout, ".").await?,
                    Environment::Container { .. } => sb.put_dir(&checkout, sb.workdir()).await?,
                }
            }
            None => {
                let out = sb
                    .exec(ExecRequest::new(
                        repo::SANITIZE_SCRIPT,
                        Duration::from_secs(600),
                    ))
                    .await?;
                if !out.success() {
                    return Err(env_err(format!(
                        "could not remove the repository's history after base_commit in the image: {}",
                        out.combined()
                    )));
                }
            }
        }
        if let Some(spec) = &self.spec {
            if !spec.install.is_empty() {
                let mut req = ExecRequest::new(spec.install.join("\n"), Duration::from_secs(1800));
                req.env = self.exec_env();
                let out = sb.exec(req).await?;
                if !out.success() {
                    return Err(env_err(format!("install failed: {}", out.combined())));
                }
            }
        }
        Ok(())
    }

    /// The agent's patch (kept as `diff.patch`), graded in a fresh sandbox. A repository the
    /// agent broke (deleted `.git`, say) is its failure, not ours.
    async fn grade(
        &self,
        sb: &dyn Sandbox,
        fresh: &dyn crate::FreshSandboxes,
        ctx: &FamilyContext,
    ) -> Result<GradeResult, FamilyError> {
        let patch = match self.model_patch(sb).await {
            Ok(p) => p,
            Err(e @ FamilyError::InvalidTask { .. }) => {
                return Ok(GradeResult::broken_by_agent(e.to_string()))
            }
            Err(e) => return Err(e),
        };
        let mut graded = self.grade_fresh(&patch, fresh, ctx).await;
        if !patch.is_empty() {
            graded.artifacts.insert(0, ("diff.patch".into(), patch));
        }
        Ok(graded)
    }

    /// An empty or null patch is `empty_patch` without running anything, as the official
    /// harness counts it, with its report.json.
    async fn grade_prediction(
        &self,
        patch: Option<&[u8]>,
        fresh: &dyn crate::FreshSandboxes,
        ctx: &FamilyContext,
    ) -> Result<crate::PatchGrade, FamilyError> {
        match patch.filter(|p| !p.iter().all(u8::is_ascii_whitespace)) {
            Some(p) => Ok(crate::PatchGrade::Graded(
                self.grade_fresh(p, fresh, ctx).await,
            )),
            None => {
                let report = InstanceReport {
                    patch_is_none: patch.is_none(),
                    patch_exists: patch.is_some(),
                    ..Default::default()
                };
                Ok(crate::PatchGrade::NotRun {
                    outcome: Outcome::EmptyPatch,
                    artifacts: vec![("report.json".into(), self.report_json(&report))],
                })
            }
        }
    }

    async fn diff(&self, sb: &dyn Sandbox) -> String {
        self.model_patch(sb)
            .await
            .map(|p| String::from_utf8_lossy(&p).into_owned())
            .unwrap_or_default()
    }

    fn follows_grading_mode(&self) -> bool {
        true
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// One mode's verdict as `grading.json` keeps it.
fn verdict_details(
    report: &InstanceReport,
    verdict: Option<&Verdict>,
    status: Option<&StatusMap>,
) -> ModeVerdict {
    ModeVerdict {
        resolved: report.resolved,
        resolution: verdict.and_then(|v| v.resolution),
        invalid: verdict.and_then(|v| v.invalid.clone()),
        tests_status: report.tests_status.clone(),
        status_map: status.map(|m| {
            m.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        }),
        official_rule_ids: verdict
            .map(|v| v.official_rule_ids.clone())
            .unwrap_or_default(),
    }
}

fn tests_of(map: &StatusMap) -> Vec<TestResult> {
    map.iter()
        .map(|(name, s)| TestResult {
            name: name.to_string(),
            // A word the grader does not know reads as an error.
            status: crate::testlog::test_status(s).unwrap_or(TestStatus::Error),
        })
        .collect()
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

/// The official chain: `git apply`, then `--3way`, then `--reject`, then `patch --fuzz=5`, each
/// from a clean tree; last, a patch already applied counts as applied.
const APPLY_SCRIPT: &str = r#"P=.git/tribench-patch.diff
n=0
for cmd in "git apply --verbose" "git apply --verbose --3way" "git apply --verbose --reject" "patch --batch --forward --fuzz=5 -p1 -i"; do
  if [ $n -gt 0 ]; then git checkout -- . >/dev/null 2>&1; git clean -fdq >/dev/null 2>&1; fi
  n=$((n+1))
  echo ">>>>> Trying: $cmd"
  if $cmd "$P"; then echo ">>>>> Applied Patch ($cmd)"; rm -f "$P"; exit 0; fi
done
if git apply --check --reverse "$P" >/dev/null 2>&1; then echo ">>>>> Applied Patch (already applied)"; rm -f "$P"; exit 0; fi
git checkout -- . >/dev/null 2>&1; git clean -fdq >/dev/null 2>&1
echo ">>>>> Patch Apply Failed"
rm -f "$P"
exit 1
"#;

/// The most telling line of a failed apply: the first `error: patch failed: file:line`, or a
/// failed hunk from `patch`, or the last error.
fn failing_hunk(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    if let Some(l) = lines.iter().find(|l| l.contains("patch failed:")) {
        return l.trim().to_string();
    }
    let mut file = "";
    for l in &lines {
        if let Some(f) = l.strip_prefix("patching file ") {
            file = f.trim();
        } else if l.contains("FAILED at") {
            return format!("{file}: {}", l.trim());
        }
    }
    lines
        .iter()
        .rev()
        .find(|l| l.starts_with("error:"))
        .map_or_else(
            || "no command in the chain could apply it".to_string(),
            |l| l.trim().to_string(),
        )
}

/// `record_test_exit_code`: capture `$?` before the end marker and print it after it.
pub fn record_test_exit_code(script: &str) -> String {
    let lines: Vec<&str> = script.trim().split('\n').collect();
    if let Some(i) = lines
        .iter()
        .position(|l| l.contains(grade::END_TEST_OUTPUT))
    {
        let mut out: Vec<String> = lines[..i].iter().map(|s| s.to_string()).collect();
        out.push("SWEBENCH_TEST_EXIT_CODE=$?".into());
        out.push(lines[i].to_string());
        out.push(format!(
            "echo \"{}: $SWEBENCH_TEST_EXIT_CODE\"",
            grade::TEST_EXIT_CODE
        ));
        out.extend(lines[i + 1..].iter().map(|s| s.to_string()));
        let mut s = out.join("\n");
        s.push('\n');
        return s;
    }
    format!("{}\n", script.trim())
}

/// Ways a patch can fool a grader: editing the tests the grader runs, or adding files that run
/// inside the test process (pytest's conftest.py, Python's sitecustomize/usercustomize, `.pth`
/// files, test-runner configuration).
pub fn suspicious_changes(patch: &str, inst: &Instance) -> Vec<String> {
    let test_files = instance::patch_files(&inst.test_patch);
    let mut out = Vec::new();
    for f in instance::patch_files(patch) {
        let name = f.rsplit('/').next().unwrap_or(&f);
        let reason = if f == ".git" || f.starts_with(".git/") {
            Some("writes inside .git (hooks, config)")
        } else if test_files.contains(&f) {
            Some("touches a file the test patch changes")
        } else if name == "conftest.py" {
            Some("adds or edits a pytest conftest.py hook")
        } else if name == "sitecustomize.py" || name == "usercustomize.py" {
            Some("adds a Python start-up hook")
        } else if name.ends_with(".pth") {
            Some("adds a .pth file (code run at Python start-up)")
        } else if matches!(
            name,
            "pytest.ini"
                | "tox.ini"
                | "setup.cfg"
                | "pyproject.toml"
                | "jest.config.js"
                | "go.mod"
                | "Cargo.toml"
        ) {
            Some("changes test-runner or build configuration")
        } else if is_test_path(&f) {
            Some("touches a test file")
        } else {
            None
        };
        if let Some(r) = reason {
            out.push(format!("{f}: {r}"));
        }
    }
    out
}

fn is_test_path(f: &str) -> bool {
    let name = f.rsplit('/').next().unwrap_or(f);
    f.split('/')
        .any(|c| c == "tests" || c == "test" || c == "testing")
        || name.starts_with("test_")
        || name.ends_with("_test.py")
        || name.ends_with("_test.go")
        || name.contains(".test.")
        || name.contains(".spec.")
}
