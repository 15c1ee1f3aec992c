//! `tribench datasets list|pull` and `-d/--dataset` on run, validate and grade: glue over
//! tribench-datasets, which does the work.

use crate::args::{DatasetArgs, DatasetsAction, DatasetsArgs, GradeArgs};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;
use tribench_datasets::{Options, Registry};

fn setup(d: &DatasetArgs) -> Result<(Registry, Options)> {
    let reg = Registry::load(&d.registries)?;
    let opts = Options {
        cache: None,
        offline: d.offline,
        hf_endpoint: d.hf_endpoint.clone(),
    };
    Ok((reg, opts))
}

/// The suite paths `-d` names, resolved to the cache (pulled when allowed).
pub(crate) async fn suites(d: &DatasetArgs) -> Result<Vec<PathBuf>> {
    if d.datasets.is_empty() {
        return Ok(Vec::new());
    }
    let (reg, opts) = setup(d)?;
    let describe = |p: &tribench_datasets::Pulled| eprintln!("{}", p.describe());
    Ok(tribench_datasets::resolve_suites(&reg, &d.datasets, &opts, describe).await?)
}

/// Grade's arguments with the one dataset `-d` names as its suite.
pub(crate) async fn grade_suite(mut a: GradeArgs) -> Result<GradeArgs> {
    if a.data.datasets.len() > 1 {
        bail!(
            "grade takes one dataset (-d), not {}",
            a.data.datasets.len()
        );
    }
    a.suite = suites(&a.data).await?.pop().or(a.suite);
    Ok(a)
}

pub(crate) async fn datasets(a: DatasetsArgs) -> Result<ExitCode> {
    match a.action {
        DatasetsAction::List { data, json } => {
            let (reg, opts) = setup(&data)?;
            let rows = tribench_datasets::list(&reg, &opts);
            super::emit(json, &rows, |r| tribench_datasets::render_list(r))?;
        }
        DatasetsAction::Pull { spec, data, json } => {
            let (reg, opts) = setup(&data)?;
            let p = tribench_datasets::pull(&reg, &spec, &opts)
                .await
                .with_context(|| format!("dataset {spec}"))?;
            if !json {
                eprintln!("{}", p.describe());
            }
            super::emit(json, &p, |p| format!("{}\n", p.suite.display()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
