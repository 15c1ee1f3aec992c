//! A study as one Slurm batch script: an array job (`--array=0-N-1`) whose element I runs shard
//! I from `SLURM_ARRAY_TASK_ID`, and a merge job that waits for every element to end, whether
//! it succeeded or not (`--dependency=afterany`). `sbatch study.sbatch` submits it all: the
//! first element to start submits the merge job (once: a directory made atomically guards it).

use crate::Study;
use tribench_sandbox::shell_quote;

/// Resources of each array element (Slurm's own flag names and value formats).
#[derive(Debug, Clone, Default)]
pub struct SlurmResources {
    pub job_name: Option<String>,
    pub cpus_per_task: Option<u32>,
    /// `--mem` per element, e.g. `8G`.
    pub mem: Option<String>,
    /// `--time` per element, e.g. `4:00:00`.
    pub time: Option<String>,
    pub partition: Option<String>,
    pub account: Option<String>,
    /// At most this many elements run at once (`--array=0-N-1%M`).
    pub max_parallel: Option<u32>,
}

/// The batch script; `workdir` is where relative paths in the run arguments are resolved.
pub fn render(study: &Study, res: &SlurmResources, workdir: &std::path::Path) -> String {
    let root = study.root();
    let name = res.job_name.clone().unwrap_or_else(|| "tribench".into());
    let last = study.shards - 1;
    let throttle = res
        .max_parallel
        .map(|m| format!("%{m}"))
        .unwrap_or_default();
    let mut s = String::new();
    s.push_str("#!/bin/bash\n");
    s.push_str(&format!(
        "# tribench study: {} shards of one run, then a merge into {root}/merged.\n",
        study.shards
    ));
    s.push_str(
        "# Submit with: sbatch THIS_FILE (render made the run root and its logs/ folder).\n",
    );
    s.push_str(&format!("#SBATCH --job-name={}\n", shell_quote(&name)));
    s.push_str(&format!("#SBATCH --array=0-{last}{throttle}\n"));
    s.push_str(&format!(
        "#SBATCH --chdir={}\n",
        shell_quote(&workdir.display().to_string())
    ));
    s.push_str(&format!(
        "#SBATCH --output={}\n",
        shell_quote(&format!("{root}/logs/shard-%a.out"))
    ));
    let mut common = Vec::new();
    if let Some(p) = &res.partition {
        common.push(format!("--partition={}", shell_quote(p)));
    }
    if let Some(a) = &res.account {
        common.push(format!("--account={}", shell_quote(a)));
    }
    for c in &common {
        s.push_str(&format!("#SBATCH {c}\n"));
    }
    if let Some(c) = res.cpus_per_task {
        s.push_str(&format!("#SBATCH --cpus-per-task={c}\n"));
    }
    if let Some(m) = &res.mem {
        s.push_str(&format!("#SBATCH --mem={}\n", shell_quote(m)));
    }
    if let Some(t) = &res.time {
        s.push_str(&format!("#SBATCH --time={}\n", shell_quote(t)));
    }
    s.push_str("set -u\n\n");
    s.push_str("# The merge job: submitted once, by the first element to start.\n");
    s.push_str(&format!(
        "if mkdir {} 2>/dev/null; then\n",
        shell_quote(&format!("{root}/.merge-submitted"))
    ));
    let mut merge = vec![
        "sbatch".to_string(),
        "--parsable".into(),
        format!("--job-name={}", shell_quote(&format!("{name}-merge"))),
        "--dependency=afterany:\"$SLURM_ARRAY_JOB_ID\"".into(),
        format!("--chdir={}", shell_quote(&workdir.display().to_string())),
        format!(
            "--output={}",
            shell_quote(&format!("{root}/logs/merge.out"))
        ),
    ];
    merge.extend(common);
    merge.push(format!("--wrap={}", shell_quote(&study.merge_command())));
    s.push_str(&format!(
        "  {} \\\n    || echo \"tribench: could not submit the merge job; run it by hand: {}\" >&2\n",
        merge.join(" "),
        study.merge_command().replace(['"', '\\', '$', '`'], "")
    ));
    s.push_str("fi\n\n");
    s.push_str(&format!(
        "exec {}\n",
        study.shard_command("$SLURM_ARRAY_TASK_ID")
    ));
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_script_is_an_array_with_a_dependent_merge() {
        let study = Study::new(
            vec![
                "-s".into(),
                "suites/polyglot sample".into(),
                "--agent".into(),
                "oracle".into(),
            ],
            4,
            "/data/study".into(),
            "/opt/tribench".into(),
        )
        .unwrap();
        let res = SlurmResources {
            cpus_per_task: Some(4),
            mem: Some("8G".into()),
            time: Some("2:00:00".into()),
            partition: Some("cpu".into()),
            max_parallel: Some(2),
            ..Default::default()
        };
        let s = render(&study, &res, std::path::Path::new("/home/me"));
        for line in [
            "#SBATCH --array=0-3%2",
            "#SBATCH --cpus-per-task=4",
            "#SBATCH --mem=8G",
            "#SBATCH --time=2:00:00",
            "#SBATCH --partition=cpu",
            "#SBATCH --chdir=/home/me",
            "#SBATCH --output=/data/study/logs/shard-%a.out",
            "exec /opt/tribench run -s 'suites/polyglot sample' --agent oracle --shard \"$SLURM_ARRAY_TASK_ID/4\" --run-dir /data/study/shard-\"$SLURM_ARRAY_TASK_ID\"",
        ] {
            assert!(s.lines().any(|l| l == line), "{line:?} not in\n{s}");
        }
        assert!(
            s.contains("--dependency=afterany:\"$SLURM_ARRAY_JOB_ID\""),
            "{s}"
        );
        assert!(s.contains("--wrap='/opt/tribench merge /data/study/shard-0 /data/study/shard-1 /data/study/shard-2 /data/study/shard-3 --run-dir /data/study/merged'"), "{s}");
    }
}
