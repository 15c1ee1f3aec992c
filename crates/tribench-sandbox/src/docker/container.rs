//! One trial's container: creating it (limits, network, services, CA certificates) and the
//! helpers every file and command operation goes through (tar in and out, root commands, killing
//! an exec's processes).

use super::*;

/// A shell command to run in a container with `docker exec`.
pub(super) struct ShExec {
    /// Run by `/bin/sh -c`.
    pub script: String,
    /// `None`: the image's user.
    pub user: Option<String>,
    pub workdir: String,
    /// `NAME=value` entries.
    pub env: Vec<String>,
    /// A terminal, with stdin attached (interactive sessions).
    pub tty: bool,
}

impl DockerBackend {
    /// Creates and starts `sh -c` in a container, attached to its output: the one place an
    /// exec is made, for commands, the harness's root commands and terminals alike. Returns the
    /// exec's id (to inspect or resize it) and its streams.
    pub(super) async fn start_sh(
        &self,
        container: &str,
        e: ShExec,
    ) -> Result<(String, StartExecResults), bollard::errors::Error> {
        let created = self
            .docker
            .create_exec(
                container,
                CreateExecOptions {
                    cmd: Some(vec!["/bin/sh".to_string(), "-c".to_string(), e.script]),
                    attach_stdin: e.tty.then_some(true),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    tty: e.tty.then_some(true),
                    working_dir: Some(e.workdir),
                    env: (!e.env.is_empty()).then_some(e.env),
                    user: e.user,
                    ..Default::default()
                },
            )
            .await?;
        let started = self.docker.start_exec(&created.id, None).await?;
        Ok((created.id, started))
    }

    /// Starts a container for one trial.
    pub async fn create(
        self: &Arc<Self>,
        spec: &ContainerSpec,
    ) -> Result<DockerSandbox, SandboxError> {
        let (nano_cpus, memory) = limits::resolve(spec, limits::engine_cpus(&self.docker).await)?;
        let mut host = HostConfig {
            init: Some(true),
            nano_cpus: Some(nano_cpus),
            memory: Some(memory),
            memory_swap: Some(memory),
            pids_limit: Some(spec.pids_limit),
            network_mode: Some(if spec.network {
                "bridge".into()
            } else {
                "none".into()
            }),
            ..Default::default()
        };
        let mut labels = HashMap::new();
        labels.insert(PID_LABEL.to_string(), std::process::id().to_string());
        labels.insert(RUN_LABEL.to_string(), self.run_id.clone());
        if let Some(g) = &spec.services {
            // The group's names on loopback (see `group`).
            host.extra_hosts = Some(group::hosts(&g.services, &g.main_name));
        }
        let certs = self.ca_certificates();
        let mut env: Vec<String> = spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if !certs.is_empty() {
            env.extend(ca::env().iter().map(|(k, v)| format!("{k}={v}")));
        }
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            cmd: Some(vec!["sleep".into(), "infinity".into()]),
            // Docker creates the working directory when the container starts.
            working_dir: Some(spec.workdir.clone()),
            env: Some(env),
            labels: Some(labels),
            host_config: Some(host),
            // A group's services join this container's network namespace, which a container
            // with its network disabled does not share: `network_mode: none` does the job then.
            network_disabled: Some(!spec.network && spec.services.is_none()),
            ..Default::default()
        };
        let created = self
            .docker
            .create_container(None::<CreateContainerOptions>, body)
            .await
            .map_err(docker_err)?;
        let mut sb = DockerSandbox {
            backend: self.clone(),
            id: created.id,
            workdir: spec.workdir.clone(),
            stopped: AtomicBool::new(false),
            execs: AtomicU64::new(0),
            group: group::Group::default(),
        };
        self.docker
            .start_container(&sb.id, None)
            .await
            .map_err(docker_err)?;
        if let Some(g) = &spec.services {
            // Dropping `sb` on error removes the main container and whatever services started.
            let mut group = group::Group::default();
            let started = self
                .start_group(
                    &g.services,
                    &g.main_depends_on,
                    &sb.id,
                    g.build_timeout,
                    &mut group,
                )
                .await;
            sb.group = group;
            started?;
        }
        if !certs.is_empty() {
            sb.install_ca_certificates(&certs).await?;
        }
        Ok(sb)
    }
}

impl DockerSandbox {
    pub fn container_id(&self) -> &str {
        &self.id
    }

    pub(super) fn abs(&self, rel: &str) -> Result<String, SandboxError> {
        let rel = check_relative(rel)?;
        Ok(format!(
            "{}/{}",
            self.workdir.trim_end_matches('/'),
            rel.display()
        ))
    }

    /// Puts the CA certificates in the container and into its bundle, as root.
    pub(super) async fn install_ca_certificates(
        &self,
        certs: &[(String, Vec<u8>)],
    ) -> Result<(), SandboxError> {
        let mut builder = tar::Builder::new(Vec::new());
        let dir = ca::CERT_DIR.trim_start_matches('/');
        for (name, bytes) in certs {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, format!("{dir}/{name}"), bytes.as_slice())
                .map_err(SandboxError::io("pack", ca::CERT_DIR))?;
        }
        let tar = builder
            .into_inner()
            .map_err(SandboxError::io("pack", ca::CERT_DIR))?;
        self.upload("/", tar).await?;
        let out = self
            .exec(ExecRequest::new(ca::install_script(), Duration::from_secs(120)).user("root"))
            .await?;
        if !out.success() {
            return Err(SandboxError::Docker(format!(
                "installing the CA certificates in the container failed: {}",
                out.combined().trim()
            )));
        }
        Ok(())
    }

    pub(super) fn check_live(&self) -> Result<(), SandboxError> {
        if self.stopped.load(Ordering::SeqCst) {
            Err(SandboxError::Stopped)
        } else {
            Ok(())
        }
    }

    pub(super) async fn upload(&self, dest_dir: &str, tar: Vec<u8>) -> Result<(), SandboxError> {
        let opts = UploadToContainerOptions {
            path: dest_dir.to_string(),
            ..Default::default()
        };
        self.backend
            .docker
            .upload_to_container(&self.id, Some(opts), bollard::body_full(tar.into()))
            .await
            .map_err(docker_err)
    }

    pub(super) async fn download(&self, path: &str) -> Result<Vec<u8>, SandboxError> {
        let opts = DownloadFromContainerOptions {
            path: path.to_string(),
        };
        let mut stream = self
            .backend
            .docker
            .download_from_container(&self.id, Some(opts));
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.map_err(docker_err)?);
        }
        Ok(out)
    }

    /// Kills every process of one exec (they all carry its `TRIBENCH_EXEC_ID`). From the host
    /// when the engine is local: no fork is needed, so it works even when a fork bomb has used
    /// up the container's pids. Otherwise from inside the container.
    pub(super) async fn kill_tagged(&self, tag: &str) {
        let needle = format!("TRIBENCH_EXEC_ID={tag}");
        for _ in 0..20 {
            let Ok(top) = self
                .backend
                .docker
                .top_processes(&self.id, None::<TopOptions>)
                .await
            else {
                break;
            };
            let col = top
                .titles
                .as_ref()
                .and_then(|t| t.iter().position(|x| x == "PID"));
            let (Some(col), Some(rows)) = (col, top.processes) else {
                break;
            };
            let pids: Vec<i32> = rows
                .iter()
                .filter_map(|r| r.get(col)?.parse().ok())
                .collect();
            let mut visible = false;
            let mut found = 0;
            for pid in pids {
                let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
                    continue;
                };
                visible = true;
                if environ.split(|b| *b == 0).any(|e| e == needle.as_bytes()) {
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                    found += 1;
                }
            }
            if !visible {
                break;
            }
            if found == 0 {
                return;
            }
        }
        // A remote engine: its processes are not on this host.
        let kill = format!(
            "for e in /proc/[0-9]*/environ; do if grep -qz '^{needle}$' \"$e\" 2>/dev/null; then p=${{e#/proc/}}; kill -9 \"${{p%/environ}}\" 2>/dev/null; fi; done"
        );
        // A fresh exec: the killer carries a tag of its own, not the one it hunts.
        let _ = Box::pin(self.exec(ExecRequest::new(kill, Duration::from_secs(30)))).await;
    }

    pub(super) async fn sh(&self, script: String) -> Result<ExecOutput, SandboxError> {
        self.exec(ExecRequest::new(script, Duration::from_secs(120)))
            .await
    }
}

/// The contents of the tar archive the engine sent for `path` when `path` itself is a regular
/// file: the archive's first entry is the path itself, so a directory or a symlink there (and
/// whatever a directory holds) is `None`.
pub(super) fn first_file(tar: &[u8], path: &str) -> Result<Option<Vec<u8>>, SandboxError> {
    let mut archive = tar::Archive::new(tar);
    let mut entries = archive
        .entries()
        .map_err(SandboxError::io("unpack", path))?;
    let Some(entry) = entries.next() else {
        return Ok(None);
    };
    let mut entry = entry.map_err(SandboxError::io("unpack", path))?;
    let name = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path);
    let same_name = entry
        .path()
        .is_ok_and(|p| p.as_os_str() == std::ffi::OsStr::new(name));
    if !entry.header().entry_type().is_file() || !same_name {
        return Ok(None);
    }
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut entry, &mut out).map_err(SandboxError::io("unpack", path))?;
    Ok(Some(out))
}

/// A tar holding the contents of `src` (a file or a directory) under `prefix`.
pub(super) fn tar_of(src: &Path, prefix: &str) -> Result<Vec<u8>, SandboxError> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    if src.is_dir() {
        let prefix = if prefix.is_empty() { "." } else { prefix };
        builder
            .append_dir_all(prefix, src)
            .map_err(SandboxError::io("pack", src))?;
    } else {
        let mut f = std::fs::File::open(src).map_err(SandboxError::io("read", src))?;
        builder
            .append_file(prefix, &mut f)
            .map_err(SandboxError::io("pack", src))?;
    }
    builder.into_inner().map_err(SandboxError::io("pack", src))
}
