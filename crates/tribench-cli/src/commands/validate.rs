//! `tribench validate`: the oracle (once or `--repeat` times) and the nop agent on each task,
//! judged by tribench-analysis's validation.

use super::*;
use crate::args::ValidateArgs;
use crate::settings::RunSettings;
use std::sync::Arc;
use tribench_engine::EngineError;

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
    for agent_name in ["oracle", "nop"] {
        let agent: Arc<dyn tribench_agents::Agent> = match tribench_agents::by_name(agent_name) {
            Some(agent) => Arc::from(agent),
            None => bail!("agent {agent_name} is missing from this build"),
        };
        let s = RunSettings::resolve(&a.exec, &base.join(agent_name), &paths)?;
        let mut cfg = s.engine;
        // One try: the oracle must pass outright, and the nop's second try would change nothing.
        cfg.max_tries = Some(1);
        if agent_name == "oracle" {
            cfg.attempts = a.repeat.max(1);
        }
        cfg.progress = progress_mode(a.exec.quiet);
        if !a.json {
            eprintln!("validating with the {agent_name} agent ...");
        }
        match tribench_engine::run(suites.clone(), agent, cfg, shutdown_signal()).await {
            Ok(_) => {}
            Err(EngineError::Interrupted { .. }) => return Ok(ExitCode::from(INTERRUPTED)),
            Err(e) => return Err(e.into()),
        }
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
    if a.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", tribench_analysis::render_validation(&v, a.repeat));
    }
    Ok(if v.broken == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
