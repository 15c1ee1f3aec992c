//! `tribench validate`: the oracle (once or `--repeat` times) and the nop agent on each task,
//! judged by tribench-analysis's validation.

use super::*;
use crate::args::ValidateArgs;
use crate::settings::RunSettings;

pub async fn validate(a: ValidateArgs) -> Result<ExitCode> {
    let suites = load_suites(&a.suites, false)?;
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
        let agent: Arc<dyn Agent> = match tribench_agents::by_name(agent_name) {
            Some(agent) => Arc::from(agent),
            None => bail!("agent {agent_name} is missing from this build"),
        };
        let mut cfg = RunSettings::resolve(&a.exec, &base.join(agent_name), &a.suites)?.engine;
        // One try: the oracle must pass outright, and the nop's second try would change nothing.
        cfg.max_tries = Some(1);
        if agent_name == "oracle" {
            cfg.attempts = a.repeat.max(1);
        }
        if !a.json {
            eprintln!("validating with the {agent_name} agent ...");
        }
        if let Some(stopped) = run_engine(suites.clone(), agent, cfg).await? {
            return Ok(stopped);
        }
    }
    let tasks: Vec<(String, String)> = (suites.iter().flat_map(|s| &s.tasks))
        .map(|t| (t.info.id.clone(), t.info.group.clone()))
        .collect();
    let v = tribench_analysis::validation(&tasks, &base.join("oracle"), &base.join("nop"))?;
    emit(a.json, &v, |v| {
        tribench_analysis::render_validation(v, a.repeat)
    })?;
    Ok(ExitCode::from(u8::from(v.broken != 0)))
}
