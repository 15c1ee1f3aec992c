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
    let runs = invocation::validation_runs(&suites, (oracle.engine, nop.engine), a.repeat, !a.json);
    let tasks = match runs.await {
        Err(EngineError::Interrupted { .. }) => return Ok(ExitCode::from(INTERRUPTED)),
        done => done?,
    };
    let v = tribench_analysis::validation(&tasks, &base.join("oracle"), &base.join("nop"))?;
    emit(a.json, &v, |v| {
        tribench_analysis::render_validation(v, a.repeat)
    })?;
    Ok(ExitCode::from(u8::from(v.broken != 0)))
}
