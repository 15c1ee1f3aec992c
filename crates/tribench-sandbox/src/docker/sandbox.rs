//! [`Sandbox`] for a container: commands through `docker exec` (killed by their tag on
//! timeout), files as tar archives, a terminal, and removal with the container's services.

use super::container::{first_file, tar_of, ShExec};
use super::*;

#[async_trait]
impl Sandbox for DockerSandbox {
    fn workdir(&self) -> &str {
        &self.workdir
    }

    async fn exec(&self, req: ExecRequest) -> Result<ExecOutput, SandboxError> {
        self.check_live()?;
        let tag = format!(
            "{}-{}",
            &self.id[..12.min(self.id.len())],
            self.execs.fetch_add(1, Ordering::SeqCst)
        );
        let cwd = match &req.cwd {
            Some(rel) => self.abs(rel)?,
            None => self.workdir.clone(),
        };
        let mut env: Vec<String> = req.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        // Every process of this exec inherits the tag, so a timeout can find and kill them all.
        env.push(format!("TRIBENCH_EXEC_ID={tag}"));
        let start = Instant::now();
        let mut stdout = HeadTail::new(req.output_cap);
        let mut stderr = HeadTail::new(req.output_cap);
        let (exec_id, started) = self
            .backend
            .start_sh(
                &self.id,
                ShExec {
                    script: req.script.clone(),
                    user: req.user.clone(),
                    workdir: cwd,
                    env,
                    tty: false,
                },
            )
            .await
            .map_err(docker_err)?;
        let timed_out = match started {
            StartExecResults::Attached { mut output, .. } => {
                let read = async {
                    while let Some(item) = output.next().await {
                        match item {
                            Ok(bollard::container::LogOutput::StdErr { message }) => {
                                stderr.push(&message)
                            }
                            Ok(log) => stdout.push(&log.into_bytes()),
                            Err(_) => break,
                        }
                    }
                };
                tokio::time::timeout(req.timeout, read).await.is_err()
            }
            StartExecResults::Detached => false,
        };
        let duration = start.elapsed();
        if timed_out {
            self.kill_tagged(&tag).await;
        }
        let exit_code = if timed_out {
            None
        } else {
            self.backend
                .docker
                .inspect_exec(&exec_id)
                .await
                .ok()
                .and_then(|i| i.exit_code)
                .and_then(|c| i32::try_from(c).ok())
        };
        Ok(ExecOutput {
            exit_code,
            timed_out,
            stdout: stdout.finish(),
            stderr: stderr.finish(),
            duration,
        })
    }

    async fn write_file(&self, rel: &str, contents: &[u8]) -> Result<(), SandboxError> {
        self.check_live()?;
        let rel_path = check_relative(rel)?.to_string_lossy().into_owned();
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, &rel_path, contents)
            .map_err(SandboxError::io("pack", &rel_path))?;
        let tar = builder
            .into_inner()
            .map_err(SandboxError::io("pack", &rel_path))?;
        self.upload(&self.workdir, tar).await
    }

    async fn read_file(&self, rel: &str) -> Result<Vec<u8>, SandboxError> {
        self.check_live()?;
        let path = self.abs(rel)?;
        let tar = self.download(&path).await?;
        first_file(&tar, &path)?
            .ok_or_else(|| SandboxError::Docker(format!("{path} is not a regular file")))
    }

    async fn remove(&self, rel: &str) -> Result<(), SandboxError> {
        self.check_live()?;
        let path = self.abs(rel)?;
        self.sh(format!("rm -rf -- {}", crate::shell_quote(&path)))
            .await
            .map(|_| ())
    }

    async fn exists(&self, rel: &str) -> Result<bool, SandboxError> {
        self.check_live()?;
        let path = self.abs(rel)?;
        Ok(self
            .sh(format!(
                "test -e {} || test -L {}",
                crate::shell_quote(&path),
                crate::shell_quote(&path)
            ))
            .await?
            .success())
    }

    async fn copy_in(&self, host_src: &Path, rel: &str) -> Result<(), SandboxError> {
        self.check_live()?;
        let prefix = if rel == "." {
            String::new()
        } else {
            check_relative(rel)?.to_string_lossy().into_owned()
        };
        let src = host_src.to_path_buf();
        let tar = tokio::task::spawn_blocking(move || tar_of(&src, &prefix))
            .await
            .map_err(|e| SandboxError::Docker(e.to_string()))??;
        self.upload(&self.workdir, tar).await
    }

    async fn copy_out(&self, rel: &str, host_dest: &Path) -> Result<(), SandboxError> {
        self.check_live()?;
        let path = if rel == "." {
            self.workdir.clone()
        } else {
            self.abs(rel)?
        };
        let tar = self.download(&path).await?;
        let dest = host_dest.to_path_buf();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dest).map_err(SandboxError::io("create", &dest))?;
            // unpack_in refuses entries that would land outside `dest`.
            let mut archive = tar::Archive::new(tar.as_slice());
            for entry in archive
                .entries()
                .map_err(SandboxError::io("unpack", &dest))?
            {
                let mut entry = entry.map_err(SandboxError::io("unpack", &dest))?;
                entry
                    .unpack_in(&dest)
                    .map_err(SandboxError::io("unpack", &dest))?;
            }
            Ok(())
        })
        .await
        .map_err(|e| SandboxError::Docker(e.to_string()))?
    }

    async fn put_dir(&self, host_src: &Path, abs_dest: &str) -> Result<(), SandboxError> {
        self.check_live()?;
        if !abs_dest.starts_with('/') || abs_dest.split('/').any(|c| c == "..") {
            return Err(SandboxError::PathOutsideWorkspace(abs_dest.to_string()));
        }
        // Entries carry the destination's path, so unpacking at `/` creates the folders: no
        // `mkdir` exec needed.
        let prefix = abs_dest
            .trim_start_matches('/')
            .trim_end_matches('/')
            .to_string();
        let src = host_src.to_path_buf();
        let tar = tokio::task::spawn_blocking(move || tar_of(&src, &prefix))
            .await
            .map_err(|e| SandboxError::Docker(e.to_string()))??;
        self.upload("/", tar).await
    }

    async fn read_abs(&self, abs_path: &str) -> Result<Option<Vec<u8>>, SandboxError> {
        self.check_live()?;
        if !abs_path.starts_with('/') || abs_path.split('/').any(|c| c == "..") {
            return Err(SandboxError::PathOutsideWorkspace(abs_path.to_string()));
        }
        let Ok(tar) = self.download(abs_path).await else {
            return Ok(None);
        };
        first_file(&tar, abs_path)
    }

    async fn open_terminal(
        &self,
        cols: u16,
        rows: u16,
    ) -> Result<crate::TerminalSession, SandboxError> {
        self.check_live()?;
        let (exec_id, started) = self
            .backend
            .start_sh(
                &self.id,
                ShExec {
                    script:
                        "if command -v bash >/dev/null 2>&1; then exec bash -i; else exec sh -i; fi"
                            .to_string(),
                    user: None,
                    workdir: self.workdir.clone(),
                    env: vec!["TERM=xterm".to_string()],
                    tty: true,
                },
            )
            .await
            .map_err(docker_err)?;
        let StartExecResults::Attached { mut output, input } = started else {
            return Err(SandboxError::Docker(
                "the terminal exec did not attach".into(),
            ));
        };
        let resize = bollard::query_parameters::ResizeExecOptions {
            h: i32::from(rows),
            w: i32::from(cols),
        };
        // A shell that has not started yet cannot be resized; the emulator's size is what matters.
        let _ = self.backend.docker.resize_exec(&exec_id, resize).await;
        let screen = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let feed = screen.clone();
        let reader = tokio::spawn(async move {
            while let Some(Ok(chunk)) = output.next().await {
                let bytes = chunk.into_bytes();
                feed.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .process(&bytes);
            }
        });
        Ok(crate::TerminalSession::new(input, screen, reader))
    }

    async fn verify_isolated(
        &self,
        verifier: crate::IsolatedVerifier,
    ) -> Result<crate::VerifierOutput, SandboxError> {
        self.verify_in_own_namespace(verifier).await
    }

    async fn quiesce(&self, fresh_dirs: &[&str]) -> Result<crate::Quiesced, SandboxError> {
        self.check_live()?;
        self.quiesce_container(fresh_dirs).await
    }

    async fn stop(&self) -> Result<(), SandboxError> {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let opts = RemoveContainerOptions {
            force: true,
            v: true,
            ..Default::default()
        };
        let removed = self
            .backend
            .docker
            .remove_container(&self.id, Some(opts))
            .await
            .map_err(docker_err);
        self.backend.remove_group(&self.group).await;
        removed
    }
}

impl Drop for DockerSandbox {
    fn drop(&mut self) {
        // A trial dropped mid-way (Ctrl-C, a panic) still removes its container; the run's final
        // sweep catches any removal the runtime did not get to.
        if !self.stopped.swap(true, Ordering::SeqCst) {
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                let backend = self.backend.clone();
                let id = self.id.clone();
                let group = std::mem::take(&mut self.group);
                handle.spawn(async move {
                    let opts = RemoveContainerOptions {
                        force: true,
                        v: true,
                        ..Default::default()
                    };
                    let _ = backend.docker.remove_container(&id, Some(opts)).await;
                    backend.remove_group(&group).await;
                });
            }
        }
    }
}
