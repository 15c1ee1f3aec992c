//! `tribench merge`, `tribench slurm render` and `tribench k8s render`: glue over
//! tribench-store's merge and tribench-scale's renderers.

use crate::args::{DockerAccessArg, K8sRenderArgs, MergeArgs, SlurmRenderArgs, StudyArgs};
use anyhow::{Context, Result};
use std::process::ExitCode;
use tribench_scale::{k8s, slurm, Study};

/// The renderers' own flags (each takes a value): the rest of the command line is `tribench run`'s.
const STUDY_FLAGS: &[&str] = &[
    "--shards",
    "--run-root",
    "--tribench",
    "--name",
    "--cpus-per-task",
    "--mem",
    "--time",
    "--partition",
    "--account",
    "--max-parallel",
    "--image",
    "--namespace",
    "--pvc",
    "--host-path",
    "--parallelism",
    "--cpu",
    "--memory",
    "--node-selector",
    "--docker",
    "--merge-wait",
];

pub(crate) fn merge(a: MergeArgs) -> Result<ExitCode> {
    let s = tribench_store::merge::merge(&a.shards, &a.run_dir)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        println!(
            "merged {} run directories into {}: {} trials added, {} already there{}",
            a.shards.len(),
            a.run_dir.display(),
            s.added,
            s.already,
            s.expected
                .map(|n| format!(", {n} expected"))
                .unwrap_or_default()
        );
        for d in &s.duplicates {
            let dropped: Vec<String> = d
                .dropped
                .iter()
                .map(|(p, o)| format!("{} ({o})", p.display()))
                .collect();
            println!(
                "duplicate {}: kept {} ({}), dropped {}",
                d.trial_id,
                d.kept.display(),
                d.kept_outcome,
                dropped.join(", ")
            );
        }
        for m in &s.missing {
            let dir = m
                .shard_dir
                .as_ref()
                .map_or("not given".into(), |d| d.display().to_string());
            println!("missing {}: owed by shard {} ({dir})", m.trial_id, m.shard);
        }
    }
    // Missing trials: the merged run is incomplete; merging again once they exist adds them.
    Ok(if s.missing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The study of a render command line; `local` when the nodes share this machine's files
/// (Slurm): then the binary defaults to this one and the run root is made here.
fn study(s: &StudyArgs, local: bool) -> Result<Study> {
    let argv: Vec<String> = std::env::args().collect();
    let after = argv
        .iter()
        .position(|a| a == "render")
        .map_or(&argv[..0], |i| &argv[i + 1..]);
    let tribench = match (&s.tribench, local) {
        (Some(t), _) => t.clone(),
        (None, true) => std::env::current_exe()?.display().to_string(),
        (None, false) => "tribench".into(),
    };
    let mut root = s.run_root.clone();
    if local {
        root = std::path::absolute(&root)?;
        std::fs::create_dir_all(root.join("logs"))
            .with_context(|| format!("cannot create the run root {}", root.display()))?;
    }
    let run_args = tribench_scale::strip_flags(after, STUDY_FLAGS);
    Ok(Study::new(run_args, s.shards, root, tribench)?)
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
    let mut node_selector = std::collections::BTreeMap::new();
    for kv in &a.node_selector {
        let (k, v) = kv
            .split_once('=')
            .with_context(|| format!("--node-selector {kv}: expected KEY=VALUE"))?;
        node_selector.insert(k.to_string(), v.to_string());
    }
    let o = k8s::K8sOptions {
        name: a.study.name.clone(),
        namespace: a.namespace,
        image: a.image,
        parallelism: a.parallelism,
        volume: match (a.pvc, a.host_path) {
            (Some(c), _) => k8s::ResultsVolume::Claim(c),
            (None, Some(p)) => k8s::ResultsVolume::HostPath(p),
            (None, None) => anyhow::bail!("give the results volume: --pvc NAME or --host-path DIR"),
        },
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
