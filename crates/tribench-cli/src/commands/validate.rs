//! `tribench validate`: the oracle (once or `--repeat` times) and the nop agent on each task,
//! judged by tribench-analysis's validation.

use super::*;
use crate::args::ValidateArgs;
use crate::settings::RunSettings;

pub async fn validate(a: ValidateArgs) -> Result<ExitCode> {
    let paths = [a.suites.clone(), super::datasets::suites(&a.data).await?].concat();
    let suites = load_suites(&paths, false)?;
    let temp;
    let base = match &a.run_dir {
        Some(d) => d.clone(),
        None => {
            temp = tempfile::Builder::new()
                .prefix("tribench-validate-")
                .tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let cfg = |agent: &str| RunSettings::resolve(&a.exec, &base.join(agent), &paths);
    let (oracle, nop) = (cfg("oracle")?, cfg("nop")?); // kept: their staged image contexts
    match invocation::validation_runs(&suites, (oracle.engine, nop.engine), a.repeat, !a.json).await
    {
        Err(EngineError::Interrupted { .. }) => return Ok(ExitCode::from(INTERRUPTED)),
        done => done?,
    }
    // Under --shard, only the tasks with a trial (oracle attempts, nop's one) in this shard.
    let in_shard = |id: &str| {
        a.exec.shard.is_none_or(|s| {
            (1..=a.repeat.max(1)).any(|attempt| {
                s.contains(&tribench_types::TrialKey {
                    task_id: id.to_string(),
                    attempt,
                })
            })
        })
    };
    let tasks: Vec<(String, String)> = (suites.iter().flat_map(|s| &s.tasks))
        .filter(|t| in_shard(&t.info.id))
        .map(|t| (t.info.id.clone(), t.info.group.clone()))
        .collect();
    let v = tribench_analysis::validation(&tasks, &base.join("oracle"), &base.join("nop"))?;
    emit(a.json, &v, |v| {
        tribench_analysis::render_validation(v, a.repeat)
    })?;
    Ok(ExitCode::from(u8::from(v.broken != 0)))
}
