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
mod container;
mod grading;
mod group;
mod image;
mod limits;
mod resolve;
mod sandbox;
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
