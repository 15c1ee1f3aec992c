//! `tribench grade`: SWE-bench predictions graded as the official harness grades them, with
//! its output files beside the run; and `--audit`, the instances where the official and strict
//! verdicts part, with the tests and log lines behind each.

use crate::args::GradeArgs;
use crate::settings;
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use tribench_agents::Predictions;
use tribench_engine::EngineError;
use tribench_families::swebench::grade::{grade_log, GradeSpec, InstanceReport};
use tribench_families::swebench::parse::GradingMode;
use tribench_families::{load_suite, Suite};
use tribench_store::swebench_export::{write_swebench_outputs, RunReportInput};
use tribench_store::RunStore;
use tribench_types::FamilyKind;

pub async fn grade(a: GradeArgs) -> Result<ExitCode> {
    if let Some(run) = &a.audit {
        return audit(run, a.json);
    }
    if let (Some(logs), Some(suite)) = (&a.logs, &a.suite) {
        return regrade_logs(suite, logs, &a);
    }
    let (Some(suite_path), Some(pred)) = (&a.suite, &a.predictions) else {
        bail!("grade needs --suite and --predictions (or --audit RUN_DIR)");
    };
    let mut suite = load_suite(suite_path)
        .with_context(|| format!("cannot load suite {}", suite_path.display()))?;
    if suite.family != FamilyKind::Swebench {
        bail!(
            "{} is not a SWE-bench suite: grade takes SWE-bench instances",
            suite_path.display()
        );
    }
    let dataset_ids: Vec<String> = suite.tasks.iter().map(|t| t.info.id.clone()).collect();
    let predictions = match pred.as_str() {
        "gold" => Predictions::new(
            "gold",
            suite
                .tasks
                .iter()
                .filter_map(|t| {
                    let s = tribench_families::swebench::SwebenchTask::of(t)?;
                    Some((t.info.id.clone(), Some(s.instance.patch.clone())))
                })
                .collect(),
        ),
        "nop" => Predictions::new(
            "nop",
            dataset_ids
                .iter()
                .map(|i| (i.clone(), Some(String::new())))
                .collect(),
        ),
        path => Predictions::load(Path::new(path)).map_err(anyhow::Error::msg)?,
    };
    let mut submitted: Vec<String> = predictions.ids().map(str::to_string).collect();
    let unknown: Vec<&String> = submitted
        .iter()
        .filter(|i| !dataset_ids.contains(i))
        .collect();
    if !unknown.is_empty() {
        eprintln!(
            "note: {} prediction(s) name instances not in the suite, ignored: {}",
            unknown.len(),
            unknown
                .iter()
                .take(5)
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    submitted.retain(|i| dataset_ids.contains(i));
    // With --instance-id the run report covers the selected instances only, as the official
    // harness's does (its dataset is loaded with the same filter): total, incomplete and the
    // rest count over them.
    let report_ids: Vec<String> = if a.instance_ids.is_empty() {
        dataset_ids.clone()
    } else {
        let unknown: Vec<&String> = a
            .instance_ids
            .iter()
            .filter(|i| !dataset_ids.contains(i))
            .collect();
        if !unknown.is_empty() {
            bail!(
                "--instance-id names instances not in the suite: {}",
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        submitted.retain(|i| a.instance_ids.contains(i));
        dataset_ids
            .iter()
            .filter(|i| a.instance_ids.contains(i))
            .cloned()
            .collect()
    };
    suite.tasks.retain(|t| submitted.contains(&t.info.id));
    if suite.tasks.is_empty() {
        bail!("no prediction matches an instance of the suite");
    }
    let model = predictions.model_name().to_string();
    let run_dir = a.run_dir.clone().unwrap_or_else(|| {
        settings::default_run_dir(&format!("grade-{}", model.replace('/', "__")))
    });
    let (mut cfg, _stage) =
        settings::engine_config(&a.exec, &run_dir, std::slice::from_ref(&suite.path))?;
    cfg.progress = crate::commands::progress_mode(&a.exec);
    eprintln!(
        "grading {} predictions of {} in {} ({} at once, {} mode)",
        suite.tasks.len(),
        model,
        run_dir.display(),
        cfg.jobs,
        cfg.grading_mode.as_str()
    );
    let t0 = std::time::Instant::now();
    let jobs = cfg.jobs;
    let agent: Arc<dyn tribench_agents::Agent> = Arc::new(predictions);
    let summary =
        match tribench_engine::run(vec![suite], agent, cfg, crate::commands::shutdown_signal())
            .await
        {
            Ok(s) => s,
            Err(EngineError::Interrupted { done }) => {
                eprintln!(
                    "interrupted after grading {done} instances; rerun the same command to finish"
                );
                return Ok(ExitCode::from(130));
            }
            Err(e) => return Err(e.into()),
        };
    let elapsed = t0.elapsed().as_secs_f64();
    if summary.ran > 0 {
        eprintln!(
            "graded {} instances in {:.1} s with {} at once: {:.1} instances/minute",
            summary.ran,
            elapsed,
            jobs,
            summary.ran as f64 * 60.0 / elapsed.max(1e-9)
        );
    }
    let run_id = a
        .run_id
        .clone()
        .unwrap_or_else(|| summary.manifest.run_id.clone());
    let store = RunStore::open_for_reading(&run_dir)?;
    let report_path = write_swebench_outputs(
        &store,
        &RunReportInput {
            dataset_ids: &report_ids,
            submitted_ids: &submitted,
            model: &model,
            run_id: &run_id,
        },
    )?;
    eprintln!("official run report: {}", report_path.display());
    crate::commands::print_report_of(&run_dir, a.json)?;
    if let Some(why) = crate::commands::all_infrastructure(
        &run_dir,
        "grade again into a new --run-dir (a rerun of this one keeps the recorded errors)",
    )? {
        eprintln!("error: {why}");
        return Ok(ExitCode::from(crate::commands::ALL_INFRASTRUCTURE));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes SWE-bench's own files for an agent run that had SWE-bench suites.
pub fn export_agent_run(run_dir: &Path, suites: &[Suite], model: &str) -> Result<()> {
    let ids: Vec<String> = suites
        .iter()
        .filter(|s| s.family == FamilyKind::Swebench)
        .flat_map(|s| s.tasks.iter().map(|t| t.info.id.clone()))
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let store = RunStore::open_for_reading(run_dir)?;
    let run_id = store
        .read_manifest()?
        .map_or_else(|| "run".to_string(), |m| m.run_id);
    write_swebench_outputs(
        &store,
        &RunReportInput {
            dataset_ids: &ids,
            submitted_ids: &ids,
            model,
            run_id: &run_id,
        },
    )?;
    Ok(())
}

/// One disagreement between the modes.
#[derive(serde::Serialize)]
struct Disagreement {
    instance_id: String,
    trial_id: String,
    official_resolved: bool,
    strict_resolved: bool,
    parser: String,
    /// Listed tests whose verdict differs, with the status each mode read.
    tests: Vec<TestDiff>,
    /// The validity of the log in each mode, when one rejected it.
    official_invalid: Option<String>,
    strict_invalid: Option<String>,
    fixes: Vec<&'static str>,
}

#[derive(serde::Serialize)]
struct TestDiff {
    test: String,
    list: &'static str,
    official: String,
    strict: String,
}

fn audit(run: &Path, json: bool) -> Result<ExitCode> {
    let store = RunStore::open_for_reading(run)?;
    let mut out = Vec::new();
    let mut suspicious: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut official_rule: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut graded = 0usize;
    for t in store.trials()? {
        let path = run
            .join(RunStore::trial_dir_rel(&t.trial_id))
            .join("grading.json");
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let g: Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        graded += 1;
        if let Some(s) = g.get("suspicious").and_then(Value::as_array) {
            if !s.is_empty() {
                suspicious.insert(
                    t.task_id.clone(),
                    s.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect(),
                );
            }
        }
        // Dataset ids that are artifacts of the official parser, graded by its rule in strict.
        if let Some(ids) = g
            .get("strict")
            .and_then(|s| s.get("official_rule_ids"))
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
        {
            official_rule.insert(
                t.task_id.clone(),
                ids.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
            );
        }
        // A patch that did not apply has no strict verdict: both modes stop there alike.
        let present = |k: &str| g.get(k).filter(|v| !v.is_null());
        let (Some(o), Some(s)) = (present("official"), present("strict")) else {
            continue;
        };
        let resolved = |v: &Value| v.get("resolved").and_then(Value::as_bool).unwrap_or(false);
        if resolved(o) == resolved(s) && o.get("tests_status") == s.get("tests_status") {
            continue;
        }
        let parser = g
            .get("parser")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let fixes = tribench_families::swebench::parse::LogParser::from_name(&parser)
            .map(|p| p.strict_fixes().to_vec())
            .unwrap_or_default();
        out.push(Disagreement {
            instance_id: t.task_id.clone(),
            trial_id: t.trial_id.clone(),
            official_resolved: resolved(o),
            strict_resolved: resolved(s),
            tests: test_diffs(o, s),
            official_invalid: o.get("invalid").and_then(Value::as_str).map(str::to_string),
            strict_invalid: s.get("invalid").and_then(Value::as_str).map(str::to_string),
            parser,
            fixes,
        });
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "graded": graded,
                "disagreements": out,
                "suspicious_patches": suspicious,
                "official_rule_ids": official_rule,
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{graded} graded instances; official and strict verdicts differ on {}",
        out.len()
    );
    for d in &out {
        println!(
            "\n{} ({}): official {}, strict {}  [{}]",
            d.instance_id,
            d.trial_id,
            if d.official_resolved {
                "RESOLVED"
            } else {
                "not resolved"
            },
            if d.strict_resolved {
                "RESOLVED"
            } else {
                "not resolved"
            },
            d.parser
        );
        if let Some(w) = &d.official_invalid {
            println!("  official rejected the log: {w}");
        }
        if let Some(w) = &d.strict_invalid {
            println!("  strict rejected the log: {w}");
        }
        for t in &d.tests {
            println!(
                "  {} {}: official read {}, strict read {}",
                t.list, t.test, t.official, t.strict
            );
        }
        for f in &d.fixes {
            println!("  strict: {f}");
        }
    }
    if !official_rule.is_empty() {
        println!("\ndataset ids that are not tests but artifacts of the official parser (strict grades them by the official rule):");
        for (id, tests) in &official_rule {
            println!("  {id}: {}", tests.join(", "));
        }
    }
    if !suspicious.is_empty() {
        println!("\nsuspicious patches (they touch what the grader runs):");
        for (id, why) in &suspicious {
            for w in why {
                println!("  {id}: {w}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The listed tests whose success/failure differs between the modes.
fn test_diffs(o: &Value, s: &Value) -> Vec<TestDiff> {
    let lists = [("FAIL_TO_PASS", "F2P"), ("PASS_TO_PASS", "P2P")];
    let status_of = |v: &Value, test: &str| -> String {
        v.get("status_map")
            .and_then(|m| m.get(test))
            .and_then(Value::as_str)
            .unwrap_or("missing")
            .to_string()
    };
    let success = |v: &Value, list: &str| -> Vec<String> {
        v.get("tests_status")
            .and_then(|t| t.get(list))
            .and_then(|l| l.get("success"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let all = |v: &Value, list: &str| -> Vec<String> {
        let mut names = success(v, list);
        if let Some(f) = v
            .get("tests_status")
            .and_then(|t| t.get(list))
            .and_then(|l| l.get("failure"))
            .and_then(Value::as_array)
        {
            names.extend(f.iter().filter_map(|x| x.as_str().map(str::to_string)));
        }
        names
    };
    let mut out = Vec::new();
    for (list, short) in lists {
        let (so, ss) = (success(o, list), success(s, list));
        let mut names = all(o, list);
        for n in all(s, list) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        for n in names {
            if so.contains(&n) != ss.contains(&n) {
                out.push(TestDiff {
                    official: status_of(o, &n),
                    strict: status_of(s, &n),
                    test: n,
                    list: short,
                });
            }
        }
    }
    out
}

/// Grades recorded logs: no sandbox, no patch, the verdict only.
fn regrade_logs(suite_path: &Path, logs: &Path, a: &GradeArgs) -> Result<ExitCode> {
    let suite = load_suite(suite_path)
        .with_context(|| format!("cannot load suite {}", suite_path.display()))?;
    let mode: GradingMode = a.exec.grading_mode.into();
    // The logs to grade: (instance, path).
    let mut jobs = Vec::new();
    let mut missing = 0usize;
    for t in &suite.tasks {
        let Some(sw) = tribench_families::swebench::SwebenchTask::of(t) else {
            continue;
        };
        if !a.instance_ids.is_empty() && !a.instance_ids.contains(&t.info.id) {
            continue;
        }
        let candidates = [
            logs.join(format!("{}.log", t.info.id)),
            logs.join(&t.info.id).join("test_output.txt"),
        ];
        match candidates.into_iter().find(|p| p.is_file()) {
            Some(path) => jobs.push((t.info.id.as_str(), sw, path)),
            None => missing += 1,
        }
    }
    // Logs are independent: grade them on every core.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len().max(1));
    let chunk = jobs.len().div_ceil(threads).max(1);
    let graded: Vec<Result<Vec<(&str, InstanceReport)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(id, sw, path)| {
                            let bytes = std::fs::read(path)
                                .with_context(|| format!("cannot read {}", path.display()))?;
                            let log = match String::from_utf8(bytes) {
                                Ok(s) => s,
                                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                            };
                            let spec = GradeSpec {
                                fail_to_pass: &sw.instance.fail_to_pass,
                                pass_to_pass: &sw.instance.pass_to_pass,
                                parser: sw.parser(),
                                eval_type: sw.eval_type(),
                            };
                            Ok((*id, grade_log(&log, &spec, mode).report))
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a grading thread panicked")))
            })
            .collect()
    });
    let mut out = std::collections::BTreeMap::new();
    for part in graded {
        out.extend(part?);
    }
    if missing > 0 {
        eprintln!(
            "note: {missing} instance(s) have no log in {}",
            logs.display()
        );
    }
    let resolved = out.values().filter(|r| r.resolved).count();
    eprintln!(
        "{resolved} of {} graded logs resolved ({} mode)",
        out.len(),
        mode.as_str()
    );
    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer(&mut w, &out)?;
    std::io::Write::write_all(&mut w, b"\n")?;
    std::io::Write::flush(&mut w)?;
    Ok(ExitCode::SUCCESS)
}
