//! The Docker backend, over the Engine API (bollard; `DOCKER_HOST` honoured). One container per
//! trial, started with an init process (so stopping never waits out a grace period), the task's
//! cpu and memory limits, a pids limit, and no network unless the task allows it. Files move as
//! tar archives. Images built from a task's Dockerfile are cached by a content hash of the build
//! context, and built once even when many trials ask at the same moment.

use crate::capture::HeadTail;
use crate::{check_relative, ExecOutput, ExecRequest, Sandbox, SandboxError};
use async_trait::async_trait;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    BuildImageOptions, CreateContainerOptions, DownloadFromContainerOptions, ListContainersOptions,
    RemoveContainerOptions, TopOptions, UploadToContainerOptions,
};
use bollard::Docker;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Label every tribench container carries: the pid of the process that made it (so a later
/// run can remove what a killed one left).
const PID_LABEL: &str = "tribench.pid";
/// And the backend (one per run) that made it, so a run removes only its own containers even
/// when several runs share a process.
const RUN_LABEL: &str = "tribench.run";

mod ca;
mod grading;
mod group;
mod limits;
mod resolve;
mod verify;

pub use group::{DependsOn, HealthCheck, ServiceSpec};
pub use limits::{DEFAULT_CPUS, DEFAULT_MEMORY_MB};
pub use resolve::{ImageSource, ResolvedImage};

fn docker_err(e: bollard::errors::Error) -> SandboxError {
    SandboxError::Docker(e.to_string())
}

/// Where a container's image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSpec {
    /// An image that must already exist locally (there may be no registry).
    Named(String),
    /// Built from a Dockerfile (relative to the context directory).
    Build {
        context: PathBuf,
        dockerfile: String,
    },
    /// A prebuilt image and the Dockerfile it was made from (a Harbor task's `docker_image`
    /// beside `environment/Dockerfile`): the image by default, the Dockerfile when building is
    /// forced or the image cannot be had.
    NamedOrBuild {
        name: String,
        context: PathBuf,
        dockerfile: String,
    },
}

/// How to start a trial's container.
#[derive(Debug, Clone)]
pub struct ContainerSpec {
    pub image: String,
    /// The workspace: relative file paths resolve here. Created if missing.
    pub workdir: String,
    pub cpus: Option<f64>,
    pub memory_mb: Option<u64>,
    pub pids_limit: i64,
    pub network: bool,
    pub env: Vec<(String, String)>,
    /// Services started beside the container on a network of the trial's own.
    pub services: Option<ServiceGroup>,
}

/// A trial's services (a task's docker-compose services other than its main one).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceGroup {
    pub services: Vec<ServiceSpec>,
    /// The main container's host name on the trial's network.
    pub main_name: String,
    /// What the main container waits for before it starts.
    pub main_depends_on: Vec<(String, DependsOn)>,
    pub build_timeout: Duration,
}

/// A connection to the Docker engine, shared by every trial of a run.
pub struct DockerBackend {
    docker: Docker,
    run_id: String,
    /// `FROM` image names rewritten before building (an air-gapped site's local images).
    image_map: HashMap<String, String>,
    builds: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Image builds this backend started (each Dockerfile content is built at most once).
    builds_started: AtomicU64,
    /// Built or checked images, so later trials skip the engine round trip.
    ready: Mutex<std::collections::HashSet<String>>,
    workdirs: Mutex<HashMap<String, Option<String>>>,
    /// Whether a named image missing locally may be pulled from a registry.
    pull: AtomicBool,
    /// Build from the Dockerfile even when a prebuilt image is named.
    force_build: AtomicBool,
    /// Images resolved so far (by spec), and why the missing ones are missing.
    resolved: Mutex<HashMap<String, ResolvedImage>>,
    missing: Mutex<HashMap<String, String>>,
    /// Prebuilt images whose fallback to a build has been reported.
    warned: Mutex<std::collections::HashSet<String>>,
    /// CA certificates (file name, PEM) installed in builds and containers.
    ca_certs: Mutex<Vec<(String, Vec<u8>)>>,
}

impl DockerBackend {
    /// Connects to the engine (`DOCKER_HOST`, else the local socket) and checks it answers.
    pub async fn connect(
        image_map: HashMap<String, String>,
    ) -> Result<Arc<DockerBackend>, SandboxError> {
        // `DOCKER_HOST` as `unix://`, `tcp://` or `http://`: a remote engine works, because
        // files only ever move through the API (tar archives), never through the host's disk.
        let docker = Docker::connect_with_defaults().map_err(|e| {
            SandboxError::Docker(format!("cannot connect to the Docker engine: {e}"))
        })?;
        docker
            .ping()
            .await
            .map_err(|e| SandboxError::Docker(format!("the Docker engine does not answer: {e}")))?;
        let docker = docker.negotiate_version().await.map_err(docker_err)?;
        static BACKENDS: AtomicU64 = AtomicU64::new(0);
        let run_id = format!(
            "{}-{}-{}",
            std::process::id(),
            BACKENDS.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        Ok(Arc::new(DockerBackend {
            docker,
            run_id,
            image_map,
            builds: Mutex::new(HashMap::new()),
            builds_started: AtomicU64::new(0),
            ready: Mutex::new(Default::default()),
            workdirs: Mutex::new(HashMap::new()),
            pull: AtomicBool::new(false),
            force_build: AtomicBool::new(false),
            resolved: Mutex::new(HashMap::new()),
            missing: Mutex::new(HashMap::new()),
            warned: Mutex::new(Default::default()),
            ca_certs: Mutex::new(Vec::new()),
        }))
    }

    /// Lets named images that are not present locally be pulled (off by default: many sites
    /// have no registry, and a pull there only waits to fail).
    pub fn allow_pull(&self, yes: bool) {
        self.pull.store(yes, Ordering::SeqCst);
    }

    /// Pulls an image, within `timeout`.
    async fn pull(&self, name: &str, timeout: Duration) -> Result<(), String> {
        use futures_util::StreamExt;
        let options = bollard::query_parameters::CreateImageOptionsBuilder::new()
            .from_image(name)
            .build();
        let pull = async {
            let mut stream = self.docker.create_image(Some(options), None, None);
            while let Some(item) = stream.next().await {
                item.map_err(|e| e.to_string())?;
            }
            Ok::<(), String>(())
        };
        match tokio::time::timeout(timeout, pull).await {
            Ok(r) => r,
            Err(_) => Err(format!("the pull took longer than {}s", timeout.as_secs())),
        }
    }

    /// Makes sure the image exists and returns its name: named images must be present locally;
    /// Dockerfiles are built once per content hash and reused afterwards.
    pub async fn ensure_image(
        &self,
        spec: &ImageSpec,
        timeout: Duration,
    ) -> Result<String, SandboxError> {
        match spec {
            ImageSpec::NamedOrBuild { .. } => Box::pin(self.resolve_image(spec, timeout))
                .await
                .map(|r| r.name),
            ImageSpec::Named(name) => {
                let name = self
                    .image_map
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| name.clone());
                let Err(missing) = self.docker.inspect_image(&name).await else {
                    return Ok(name);
                };
                if !self.pull.load(Ordering::SeqCst) {
                    return Err(SandboxError::Docker(format!(
                        "image {name} is not present locally ({missing}); build it, map it to a local image in tribench.toml [images], or allow pulling it with --pull"
                    )));
                }
                self.pull(&name, timeout).await.map_err(|e| {
                    SandboxError::Docker(format!(
                        "image {name} is not present locally and could not be pulled: {e}"
                    ))
                })?;
                Ok(name)
            }
            ImageSpec::Build {
                context,
                dockerfile,
            } => {
                let (tar, hash) = self.build_context(context, dockerfile)?;
                let tag = format!("tribench-build:{}", &hash[..16]);
                let lock = {
                    let mut builds = self.builds.lock().unwrap_or_else(|p| p.into_inner());
                    builds.entry(tag.clone()).or_default().clone()
                };
                let _guard = lock.lock().await;
                if self
                    .ready
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .contains(&tag)
                {
                    return Ok(tag);
                }
                if self.docker.inspect_image(&tag).await.is_ok() {
                    self.ready
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(tag.clone());
                    return Ok(tag);
                }
                let build = self.build(&tag, dockerfile, tar);
                match tokio::time::timeout(timeout, build).await {
                    Ok(r) => r.map(|()| {
                        self.ready
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(tag.clone());
                        tag
                    }),
                    Err(_) => Err(SandboxError::Build {
                        image: tag,
                        log: format!("the build took longer than {}s", timeout.as_secs()),
                    }),
                }
            }
        }
    }

    /// How many image builds this backend has started.
    pub fn builds_started(&self) -> u64 {
        self.builds_started.load(Ordering::SeqCst)
    }

    async fn build(&self, tag: &str, dockerfile: &str, tar: Vec<u8>) -> Result<(), SandboxError> {
        self.builds_started.fetch_add(1, Ordering::SeqCst);
        let options = BuildImageOptions {
            dockerfile: dockerfile.to_string(),
            t: Some(tag.to_string()),
            rm: true,
            forcerm: true,
            ..Default::default()
        };
        let mut stream =
            self.docker
                .build_image(options, None, Some(bollard::body_full(tar.into())));
        let mut log = HeadTail::new(256 * 1024);
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(s) = info.stream {
                        log.push(s.as_bytes());
                    }
                    if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                        log.push(detail.as_bytes());
                        return Err(SandboxError::Build {
                            image: tag.into(),
                            log: log.finish().text,
                        });
                    }
                }
                Err(e) => {
                    log.push(e.to_string().as_bytes());
                    return Err(SandboxError::Build {
                        image: tag.into(),
                        log: log.finish().text,
                    });
                }
            }
        }
        Ok(())
    }

    /// The build context as a tar, with the Dockerfile's `FROM` lines mapped, and its sha256.
    fn build_context(
        &self,
        context: &Path,
        dockerfile: &str,
    ) -> Result<(Vec<u8>, String), SandboxError> {
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let certs = self.ca_certificates();
        for entry in walkdir::WalkDir::new(context)
            .sort_by_file_name()
            .follow_links(false)
        {
            let entry = entry.map_err(|e| {
                SandboxError::Docker(format!("reading build context {}: {e}", context.display()))
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(context)
                .unwrap_or(entry.path())
                .to_string_lossy()
                .into_owned();
            let mut bytes =
                std::fs::read(entry.path()).map_err(SandboxError::io("read", entry.path()))?;
            if rel == dockerfile {
                bytes = self
                    .map_from_lines(&String::from_utf8_lossy(&bytes))
                    .into_bytes();
                if !certs.is_empty() {
                    bytes = ca::dockerfile_with_certificates(&String::from_utf8_lossy(&bytes))
                        .into_bytes();
                }
            }
            files.push((rel, bytes));
        }
        files.extend(ca::context_files(&certs));
        if !files.iter().any(|(r, _)| r == dockerfile) {
            return Err(SandboxError::Build {
                image: context.display().to_string(),
                log: format!("no {dockerfile} in {}", context.display()),
            });
        }
        let mut hash = Sha256::new();
        let mut builder = tar::Builder::new(Vec::new());
        for (rel, bytes) in &files {
            hash.update(rel.as_bytes());
            hash.update([0]);
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(bytes);
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o755);
            header.set_cksum();
            builder
                .append_data(&mut header, rel, bytes.as_slice())
                .map_err(SandboxError::io("pack", context))?;
        }
        let tar = builder
            .into_inner()
            .map_err(SandboxError::io("pack", context))?;
        Ok((tar, hex::encode(hash.finalize())))
    }

    fn map_from_lines(&self, dockerfile: &str) -> String {
        dockerfile
            .lines()
            .map(|line| {
                let mut words = line.split_whitespace();
                match (words.next(), words.next()) {
                    (Some(kw), Some(image)) if kw.eq_ignore_ascii_case("FROM") => {
                        match self.image_map.get(image) {
                            Some(to) => line.replacen(image, to, 1),
                            None => line.to_string(),
                        }
                    }
                    _ => line.to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    }

    /// The working directory an image declares, if any (looked up once per image).
    pub async fn image_workdir(&self, image: &str) -> Option<String> {
        if let Some(w) = self
            .workdirs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(image)
        {
            return w.clone();
        }
        let info = self.docker.inspect_image(image).await.ok()?;
        let w = info
            .config
            .and_then(|c| c.working_dir)
            .filter(|w| !w.is_empty());
        self.workdirs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(image.to_string(), w.clone());
        w
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

    /// Removes the containers this backend started (`include_dead`: also those of processes
    /// that are gone, left by a run killed with SIGKILL). Returns how many were removed.
    pub async fn sweep(&self, include_dead: bool) -> usize {
        let mut removed = 0;
        // Trials dropped a moment ago may be removing their containers already ("removal in
        // progress"): go round until none is listed, so nothing is left when the run exits.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let targets = self.sweep_targets(include_dead).await;
            if targets.is_empty() || Instant::now() > deadline {
                return removed;
            }
            for id in targets {
                let opts = RemoveContainerOptions {
                    force: true,
                    v: true,
                    ..Default::default()
                };
                if self.docker.remove_container(&id, Some(opts)).await.is_ok() {
                    removed += 1;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Containers of this backend, and (`include_dead`) of processes that are gone.
    async fn sweep_targets(&self, include_dead: bool) -> Vec<String> {
        let mut filters = HashMap::new();
        filters.insert("label".to_string(), vec![PID_LABEL.to_string()]);
        let opts = ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        };
        let list = self
            .docker
            .list_containers(Some(opts))
            .await
            .unwrap_or_default();
        list.into_iter()
            .filter(|c| {
                let label = |k: &str| {
                    c.labels
                        .as_ref()
                        .and_then(|l| l.get(k))
                        .cloned()
                        .unwrap_or_default()
                };
                let pid = label(PID_LABEL);
                let dead = !Path::new(&format!("/proc/{pid}")).exists();
                label(RUN_LABEL) == self.run_id || (include_dead && dead)
            })
            .filter_map(|c| c.id)
            .collect()
    }

    /// Containers of this backend still present.
    pub async fn count_own(&self) -> usize {
        let mut filters = HashMap::new();
        filters.insert(
            "label".to_string(),
            vec![format!("{RUN_LABEL}={}", self.run_id)],
        );
        self.docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filters),
                ..Default::default()
            }))
            .await
            .map(|l| l.len())
            .unwrap_or(0)
    }
}

/// One trial's container.
pub struct DockerSandbox {
    backend: Arc<DockerBackend>,
    id: String,
    workdir: String,
    stopped: AtomicBool,
    execs: AtomicU64,
    /// The trial's services and network, if any.
    group: group::Group,
}

impl DockerSandbox {
    pub fn container_id(&self) -> &str {
        &self.id
    }

    fn abs(&self, rel: &str) -> Result<String, SandboxError> {
        let rel = check_relative(rel)?;
        Ok(format!(
            "{}/{}",
            self.workdir.trim_end_matches('/'),
            rel.display()
        ))
    }

    /// Puts the CA certificates in the container and into its bundle, as root.
    async fn install_ca_certificates(
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

    fn check_live(&self) -> Result<(), SandboxError> {
        if self.stopped.load(Ordering::SeqCst) {
            Err(SandboxError::Stopped)
        } else {
            Ok(())
        }
    }

    async fn upload(&self, dest_dir: &str, tar: Vec<u8>) -> Result<(), SandboxError> {
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

    async fn download(&self, path: &str) -> Result<Vec<u8>, SandboxError> {
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
    async fn kill_tagged(&self, tag: &str) {
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

    async fn sh(&self, script: String) -> Result<ExecOutput, SandboxError> {
        self.exec(ExecRequest::new(script, Duration::from_secs(120)))
            .await
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The contents of the tar archive the engine sent for `path` when `path` itself is a regular
/// file: the archive's first entry is the path itself, so a directory or a symlink there (and
/// whatever a directory holds) is `None`.
fn first_file(tar: &[u8], path: &str) -> Result<Option<Vec<u8>>, SandboxError> {
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
fn tar_of(src: &Path, prefix: &str) -> Result<Vec<u8>, SandboxError> {
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
        let created = self
            .backend
            .docker
            .create_exec(
                &self.id,
                CreateExecOptions {
                    cmd: Some(vec![
                        "/bin/sh".to_string(),
                        "-c".to_string(),
                        req.script.clone(),
                    ]),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    working_dir: Some(cwd),
                    env: Some(env),
                    user: req.user.clone(),
                    ..Default::default()
                },
            )
            .await
            .map_err(docker_err)?;
        let start = Instant::now();
        let mut stdout = HeadTail::new(req.output_cap);
        let mut stderr = HeadTail::new(req.output_cap);
        let started = self
            .backend
            .docker
            .start_exec(&created.id, None)
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
                .inspect_exec(&created.id)
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
        self.sh(format!("rm -rf -- {}", quote(&path)))
            .await
            .map(|_| ())
    }

    async fn exists(&self, rel: &str) -> Result<bool, SandboxError> {
        self.check_live()?;
        let path = self.abs(rel)?;
        Ok(self
            .sh(format!(
                "test -e {} || test -L {}",
                quote(&path),
                quote(&path)
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
        let created = self
            .backend
            .docker
            .create_exec(
                &self.id,
                CreateExecOptions {
                    cmd: Some(vec![
                        "/bin/sh".to_string(),
                        "-c".to_string(),
                        "if command -v bash >/dev/null 2>&1; then exec bash -i; else exec sh -i; fi".to_string(),
                    ]),
                    attach_stdin: Some(true),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    tty: Some(true),
                    working_dir: Some(self.workdir.clone()),
                    env: Some(vec!["TERM=xterm".to_string()]),
                    ..Default::default()
                },
            )
            .await
            .map_err(docker_err)?;
        let started = self
            .backend
            .docker
            .start_exec(&created.id, None)
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
        let _ = self.backend.docker.resize_exec(&created.id, resize).await;
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
