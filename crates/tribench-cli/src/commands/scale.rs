//! `tribench merge`, `tribench slurm render` and `tribench k8s render`: glue over
//! tribench-store's merge and tribench-scale's renderers.

use crate::args::{DockerAccessArg, K8sRenderArgs, MergeArgs, SlurmRenderArgs, StudyArgs};
use anyhow::Result;
use std::process::ExitCode;
use tribench_scale::{k8s, slurm, Study};

pub(crate) fn merge(a: MergeArgs) -> Result<ExitCode> {
    let s = tribench_store::merge::merge(&a.shards, &a.run_dir)?;
    super::emit(a.json, &s, |s| s.render(a.shards.len(), &a.run_dir))?;
    // Missing trials: the merged run is incomplete; merging again once they exist adds them.
    Ok(ExitCode::from(u8::from(!s.missing.is_empty())))
}

/// The study of this render command line; `local` when the nodes share this machine's files.
fn study(s: &StudyArgs, local: bool) -> Result<Study> {
    let argv: Vec<String> = std::env::args().collect();
    let tribench = s.tribench.clone();
    Ok(Study::from_command_line(
        &argv,
        s.shards,
        &s.run_root,
        tribench,
        local,
    )?)
}

pub(crate) fn slurm_render(a: SlurmRenderArgs) -> Result<ExitCode> {
    let study = study(&a.study, true)?;
    let res = slurm::SlurmResources {
        job_name: Some(a.study.name.clone()),
        cpus_per_task: a.cpus_per_task,
        mem: a.mem,
        time: a.time,
        partition: a.partition,
        account: a.account,
        max_parallel: a.max_parallel,
    };
    print!("{}", slurm::render(&study, &res, &std::env::current_dir()?));
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn k8s_render(a: K8sRenderArgs) -> Result<ExitCode> {
    let study = study(&a.study, false)?;
    let node_selector = k8s::node_selector(&a.node_selector)?;
    let o = k8s::K8sOptions {
        name: a.study.name.clone(),
        namespace: a.namespace,
        image: a.image,
        parallelism: a.parallelism,
        volume: k8s::ResultsVolume::from_flags(a.pvc, a.host_path)?,
        cpu: a.cpu,
        memory: a.memory,
        node_selector,
        docker: match a.docker {
            DockerAccessArg::Socket => k8s::DockerAccess::NodeSocket,
            DockerAccessArg::None => k8s::DockerAccess::None,
        },
        merge_wait_sec: a.merge_wait,
    };
    print!("{}", k8s::render(&study, &o)?);
    Ok(ExitCode::SUCCESS)
}
