//! Runs beyond one machine without a scheduler of our own: a study of N shards rendered as a
//! Slurm array job or a Kubernetes Indexed Job, each element running `tribench run --shard I/N`
//! into `RUN_ROOT/shard-I`, and a merge job joining the shards into `RUN_ROOT/merged`.

pub mod k8s;
pub mod slurm;

use std::path::{Path, PathBuf};
use tribench_sandbox::shell_quote;

/// The renderers' own flags (each takes a value): the rest of a `render` command line is
/// `tribench run`'s.
const RENDER_FLAGS: &[&str] = &[
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

#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    #[error("--shards must be at least 1")]
    NoShards,
    #[error("--{0} is set per shard by the study; leave it out of the run arguments")]
    PerShardFlag(&'static str),
    #[error("--run-root must be an absolute path (every node resolves it alike): {}", .0.display())]
    RelativeRoot(PathBuf),
    #[error("{0}")]
    Invalid(String),
    #[error("cannot write the manifests as YAML: {0}")]
    Yaml(String),
    #[error("cannot create the run root {}: {source}", .path.display())]
    RunRoot {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot find the running tribench binary: {0}")]
    CurrentExe(std::io::Error),
}

/// What every element of a study runs, whatever the scheduler.
#[derive(Debug, Clone)]
pub struct Study {
    /// The arguments of `tribench run` (without `--shard` and `--run-dir`).
    pub run_args: Vec<String>,
    pub shards: u32,
    /// Shard I writes `run_root/shard-I`; the merge writes `run_root/merged`.
    pub run_root: PathBuf,
    /// The tribench binary as the nodes see it.
    pub tribench: String,
}

impl Study {
    pub fn new(
        run_args: Vec<String>,
        shards: u32,
        run_root: PathBuf,
        tribench: String,
    ) -> Result<Study, ScaleError> {
        if shards == 0 {
            return Err(ScaleError::NoShards);
        }
        if !run_root.is_absolute() {
            return Err(ScaleError::RelativeRoot(run_root));
        }
        for (flag, name) in [("--shard", "shard"), ("--run-dir", "run-dir")] {
            if run_args
                .iter()
                .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
            {
                return Err(ScaleError::PerShardFlag(name));
            }
        }
        Ok(Study {
            run_args,
            shards,
            run_root,
            tribench,
        })
    }

    /// The study of a `render` command line (`argv`, program name first): the arguments after
    /// `render`, the renderers' own flags removed, are the run's. `local` when the nodes share
    /// this machine's files (Slurm): then `tribench` defaults to this binary (else to
    /// `tribench` on the PATH) and the run root, made absolute, is created here with its
    /// `logs/` folder.
    pub fn from_command_line(
        argv: &[String],
        shards: u32,
        run_root: &Path,
        tribench: Option<String>,
        local: bool,
    ) -> Result<Study, ScaleError> {
        let after =
            (argv.iter().position(|a| a == "render")).map_or(&argv[..0], |i| &argv[i + 1..]);
        let tribench = match (tribench, local) {
            (Some(t), _) => t,
            (None, true) => (std::env::current_exe().map_err(ScaleError::CurrentExe)?)
                .display()
                .to_string(),
            (None, false) => "tribench".into(),
        };
        let mut root = run_root.to_path_buf();
        if local {
            let io = |source| ScaleError::RunRoot {
                path: run_root.to_path_buf(),
                source,
            };
            root = std::path::absolute(&root).map_err(io)?;
            std::fs::create_dir_all(root.join("logs")).map_err(io)?;
        }
        Study::new(strip_flags(after, RENDER_FLAGS), shards, root, tribench)
    }

    fn root(&self) -> String {
        self.run_root.display().to_string()
    }

    /// The shell command of one element; `index` is a shell expression (`$SLURM_ARRAY_TASK_ID`).
    fn shard_command(&self, index: &str) -> String {
        let mut words = vec![shell_quote(&self.tribench), "run".to_string()];
        words.extend(self.run_args.iter().map(|a| shell_quote(a)));
        words.push(format!("--shard \"{index}/{}\"", self.shards));
        words.push(format!(
            "--run-dir {}/shard-\"{index}\"",
            shell_quote(&self.root())
        ));
        words.join(" ")
    }

    /// The merge command, every shard directory named.
    fn merge_command(&self) -> String {
        let root = self.root();
        let mut words = vec![shell_quote(&self.tribench), "merge".to_string()];
        words.extend((0..self.shards).map(|i| shell_quote(&format!("{root}/shard-{i}"))));
        words.push(format!(
            "--run-dir {}",
            shell_quote(&format!("{root}/merged"))
        ));
        words.join(" ")
    }
}

/// `argv` without the flags in `flags` (each taking one value, as `--f v` or `--f=v`): the
/// run arguments of a `render` command line, its own flags removed.
pub fn strip_flags(argv: &[String], flags: &[&str]) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        if flags.contains(&a.as_str()) {
            it.next();
        } else if !flags
            .iter()
            .any(|f| a.strip_prefix(f).is_some_and(|r| r.starts_with('=')))
        {
            out.push(a.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tribench_sandbox::shell_quote as shell_word;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn render_flags_are_stripped_and_run_flags_kept() {
        let argv = words(&[
            "-s",
            "suites/a b",
            "--shards",
            "4",
            "--agent=oracle",
            "--run-root=/r",
            "-j",
            "2",
        ]);
        assert_eq!(
            strip_flags(&argv, &["--shards", "--run-root"]),
            words(&["-s", "suites/a b", "--agent=oracle", "-j", "2"])
        );
    }

    #[test]
    fn a_render_command_line_gives_the_run_arguments() {
        let argv = words(&[
            "tribench",
            "slurm",
            "render",
            "-s",
            "suites/x",
            "--shards",
            "2",
            "--run-root",
            "/r",
            "--mem=8G",
            "--agent",
            "oracle",
        ]);
        let s = Study::from_command_line(&argv, 2, Path::new("/r"), None, false).unwrap();
        assert_eq!(s.run_args, words(&["-s", "suites/x", "--agent", "oracle"]));
        assert_eq!((s.tribench.as_str(), s.shards), ("tribench", 2));
        assert_eq!(s.run_root, Path::new("/r"));
        assert!(
            !Path::new("/r/logs").exists(),
            "only a local study makes its root"
        );
        // Local: the root is created with its logs/ folder; the binary defaults to this one.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("study-root");
        let s = Study::from_command_line(&argv, 2, &root, None, true).unwrap();
        assert!(root.join("logs").is_dir());
        let exe = std::env::current_exe().unwrap();
        assert_eq!((s.run_root, s.tribench), (root, exe.display().to_string()));
        let s = Study::from_command_line(&argv, 2, dir.path(), Some("/bin/tb".into()), true);
        assert_eq!(s.unwrap().tribench, "/bin/tb");
        let file = dir.path().join("a-file");
        std::fs::write(&file, "").unwrap();
        let e = Study::from_command_line(&argv, 2, &file.join("root"), None, true).unwrap_err();
        assert!(
            e.to_string().starts_with("cannot create the run root"),
            "{e}"
        );
        // Nothing after `render`, or no `render` at all: no run arguments.
        let s = Study::from_command_line(&argv[..1], 1, Path::new("/r"), None, false).unwrap();
        assert!(s.run_args.is_empty());
    }

    #[test]
    fn words_are_quoted_only_when_needed() {
        assert_eq!(
            shell_word("suites/polyglot-sample"),
            "suites/polyglot-sample"
        );
        assert_eq!(shell_word("it's here"), r"'it'\''s here'");
        assert_eq!(shell_word("$HOME"), "'$HOME'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn per_shard_flags_and_relative_roots_are_refused() {
        let e = Study::new(
            words(&["--run-dir", "x"]),
            2,
            "/r".into(),
            "tribench".into(),
        );
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("--run-dir is set per shard"));
        let e = Study::new(words(&["--shard=0/2"]), 2, "/r".into(), "tribench".into());
        assert!(e
            .unwrap_err()
            .to_string()
            .contains("--shard is set per shard"));
        let e = Study::new(vec![], 2, "runs/x".into(), "tribench".into());
        assert!(e.unwrap_err().to_string().contains("absolute"));
        assert!(Study::new(vec![], 0, "/r".into(), "t".into()).is_err());
    }
}
