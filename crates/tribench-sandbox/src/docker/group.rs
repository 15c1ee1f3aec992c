//! A trial's container with its services (a database, a cache, a web server the agent talks
//! to): a network of the trial's own, the services started in dependency order with their names
//! as host names, waited for as their `depends_on` conditions say, and everything removed with
//! the trial. The network is internal (no way out) when the task has no network: the rule
//! holds for the group, not just the main container.

use super::{docker_err, DockerBackend, ImageSpec, PID_LABEL, RUN_LABEL};
use crate::SandboxError;
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HealthConfig, HealthStatusEnum, HostConfig,
    NetworkCreateRequest, NetworkingConfig,
};
use bollard::query_parameters::{CreateContainerOptions, RemoveContainerOptions};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A service started beside a trial's main container.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceSpec {
    /// Its name, and its host name on the trial's network.
    pub name: String,
    pub image: ImageSpec,
    pub env: Vec<(String, String)>,
    /// Replaces the image's command when set.
    pub command: Option<Vec<String>>,
    /// Services that must be up (and how) before this one starts.
    pub depends_on: Vec<(String, DependsOn)>,
    pub healthcheck: Option<HealthCheck>,
}

/// A `depends_on` condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DependsOn {
    Started,
    Healthy,
    CompletedSuccessfully,
}

/// A service's health check (compose's `healthcheck`).
#[derive(Debug, Clone, PartialEq)]
pub struct HealthCheck {
    /// `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`.
    pub test: Vec<String>,
    pub interval: Option<Duration>,
    pub timeout: Option<Duration>,
    pub retries: Option<u32>,
    pub start_period: Option<Duration>,
}

/// What a group leaves to remove: its services' containers and its network.
#[derive(Debug, Default)]
pub(crate) struct Group {
    pub services: Vec<String>,
    pub network: Option<String>,
}

fn ns(d: Option<Duration>) -> Option<i64> {
    d.map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// How long a dependency may take to become healthy, from its health check's own numbers.
fn health_deadline(h: Option<&HealthCheck>) -> Duration {
    let Some(h) = h else {
        return Duration::from_secs(120);
    };
    let interval = h.interval.unwrap_or(Duration::from_secs(30));
    let timeout = h.timeout.unwrap_or(Duration::from_secs(30));
    let retries = h.retries.unwrap_or(3);
    h.start_period.unwrap_or_default()
        + (interval + timeout) * (retries + 1)
        + Duration::from_secs(30)
}

impl DockerBackend {
    /// Creates the trial's network and starts `services` on it, in dependency order. On error,
    /// whatever was made is in the returned group's hands too (the caller removes it).
    pub(crate) async fn start_group(
        &self,
        services: &[ServiceSpec],
        main_depends_on: &[(String, DependsOn)],
        network: bool,
        build_timeout: Duration,
        group: &mut Group,
    ) -> Result<String, SandboxError> {
        static NETWORKS: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "tribench-{}-{}",
            self.run_id,
            NETWORKS.fetch_add(1, Ordering::SeqCst)
        );
        let mut labels = HashMap::new();
        labels.insert(PID_LABEL.to_string(), std::process::id().to_string());
        labels.insert(RUN_LABEL.to_string(), self.run_id.clone());
        self.docker
            .create_network(NetworkCreateRequest {
                name: name.clone(),
                driver: Some("bridge".into()),
                internal: Some(!network),
                labels: Some(labels.clone()),
                ..Default::default()
            })
            .await
            .map_err(|e| SandboxError::Docker(format!("cannot create the trial's network: {e}")))?;
        group.network = Some(name.clone());

        let order = start_order(services)?;
        let mut ids: HashMap<String, String> = HashMap::new();
        for i in order {
            let s = &services[i];
            self.wait_for(&s.depends_on, services, &ids).await?;
            let image = self.ensure_image(&s.image, build_timeout).await?;
            let healthcheck = s.healthcheck.as_ref().map(|h| HealthConfig {
                test: Some(h.test.clone()),
                interval: ns(h.interval),
                timeout: ns(h.timeout),
                retries: h.retries.map(i64::from),
                start_period: ns(h.start_period),
                ..Default::default()
            });
            let body = ContainerCreateBody {
                image: Some(image),
                cmd: s.command.clone(),
                env: Some(s.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
                labels: Some(labels.clone()),
                healthcheck,
                host_config: Some(HostConfig {
                    init: Some(true),
                    network_mode: Some(name.clone()),
                    pids_limit: Some(4096),
                    ..Default::default()
                }),
                networking_config: Some(endpoint(&name, &s.name)),
                ..Default::default()
            };
            let created = self
                .docker
                .create_container(None::<CreateContainerOptions>, body)
                .await
                .map_err(|e| SandboxError::Docker(format!("service {}: {e}", s.name)))?;
            group.services.push(created.id.clone());
            self.docker
                .start_container(&created.id, None)
                .await
                .map_err(|e| SandboxError::Docker(format!("service {}: {e}", s.name)))?;
            ids.insert(s.name.clone(), created.id);
        }
        self.wait_for(main_depends_on, services, &ids).await?;
        Ok(name)
    }

    /// Waits until every dependency meets its condition, within a deadline drawn from its
    /// health check.
    async fn wait_for(
        &self,
        deps: &[(String, DependsOn)],
        services: &[ServiceSpec],
        ids: &HashMap<String, String>,
    ) -> Result<(), SandboxError> {
        for (dep, cond) in deps {
            let Some(id) = ids.get(dep) else {
                return Err(SandboxError::Docker(format!(
                    "depends on service {dep}, which was not started"
                )));
            };
            if *cond == DependsOn::Started {
                continue;
            }
            let check = services
                .iter()
                .find(|s| &s.name == dep)
                .and_then(|s| s.healthcheck.as_ref());
            let deadline = Instant::now() + health_deadline(check);
            loop {
                let info = self
                    .docker
                    .inspect_container(id, None)
                    .await
                    .map_err(docker_err)?;
                let state = info.state.unwrap_or_default();
                let running = state.running.unwrap_or(false);
                match cond {
                    DependsOn::Healthy => {
                        let health = state.health.and_then(|h| h.status);
                        match health {
                            Some(HealthStatusEnum::HEALTHY) => break,
                            Some(HealthStatusEnum::UNHEALTHY) => {
                                return Err(SandboxError::Docker(format!(
                                    "service {dep} is unhealthy"
                                )))
                            }
                            None | Some(HealthStatusEnum::NONE) | Some(HealthStatusEnum::EMPTY) => {
                                return Err(SandboxError::Docker(format!(
                                    "service {dep} must be healthy but has no health check"
                                )))
                            }
                            _ if !running => {
                                return Err(SandboxError::Docker(format!(
                                    "service {dep} exited before it was healthy (exit code {:?})",
                                    state.exit_code
                                )))
                            }
                            _ => {}
                        }
                    }
                    DependsOn::CompletedSuccessfully => {
                        if !running {
                            if state.exit_code == Some(0) {
                                break;
                            }
                            return Err(SandboxError::Docker(format!(
                                "service {dep} exited with {:?}",
                                state.exit_code
                            )));
                        }
                    }
                    DependsOn::Started => break,
                }
                if Instant::now() > deadline {
                    return Err(SandboxError::Docker(format!(
                        "service {dep} did not become ready in time"
                    )));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        Ok(())
    }

    /// Removes a group's services and network (errors ignored: the sweep catches leftovers).
    pub(crate) async fn remove_group(&self, group: &Group) {
        for id in &group.services {
            let opts = RemoveContainerOptions {
                force: true,
                v: true,
                ..Default::default()
            };
            let _ = self.docker.remove_container(id, Some(opts)).await;
        }
        if let Some(n) = &group.network {
            let _ = self.docker.remove_network(n).await;
        }
    }

    /// Removes tribench networks of this backend and (`include_dead`) of processes that are gone.
    pub(crate) async fn sweep_networks(&self, include_dead: bool) {
        let mut filters = HashMap::new();
        filters.insert("label".to_string(), vec![PID_LABEL.to_string()]);
        let opts = bollard::query_parameters::ListNetworksOptions {
            filters: Some(filters),
        };
        let Ok(list) = self.docker.list_networks(Some(opts)).await else {
            return;
        };
        for n in list {
            let label = |k: &str| {
                n.labels
                    .as_ref()
                    .and_then(|l| l.get(k))
                    .cloned()
                    .unwrap_or_default()
            };
            let dead = !std::path::Path::new(&format!("/proc/{}", label(PID_LABEL))).exists();
            if label(RUN_LABEL) == self.run_id || (include_dead && dead) {
                if let Some(id) = &n.id {
                    let _ = self.docker.remove_network(id).await;
                }
            }
        }
    }
}

/// The network endpoint giving a container its host name on the trial's network.
pub(crate) fn endpoint(network: &str, alias: &str) -> NetworkingConfig {
    let mut endpoints = HashMap::new();
    endpoints.insert(
        network.to_string(),
        EndpointSettings {
            aliases: Some(vec![alias.to_string()]),
            ..Default::default()
        },
    );
    NetworkingConfig {
        endpoints_config: Some(endpoints),
    }
}

/// Services in an order where each comes after what it depends on; a cycle or an unknown
/// dependency is an error.
fn start_order(services: &[ServiceSpec]) -> Result<Vec<usize>, SandboxError> {
    let index: HashMap<&str, usize> = services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    let mut state = vec![0u8; services.len()]; // 0 new, 1 visiting, 2 done
    let mut order = Vec::new();
    fn visit(
        i: usize,
        services: &[ServiceSpec],
        index: &HashMap<&str, usize>,
        state: &mut [u8],
        order: &mut Vec<usize>,
    ) -> Result<(), SandboxError> {
        match state[i] {
            2 => return Ok(()),
            1 => {
                return Err(SandboxError::Docker(format!(
                    "services depend on each other in a cycle through {}",
                    services[i].name
                )))
            }
            _ => {}
        }
        state[i] = 1;
        for (dep, _) in &services[i].depends_on {
            let Some(&j) = index.get(dep.as_str()) else {
                return Err(SandboxError::Docker(format!(
                    "service {} depends on {dep}, which is not a service",
                    services[i].name
                )));
            };
            visit(j, services, index, state, order)?;
        }
        state[i] = 2;
        order.push(i);
        Ok(())
    }
    for i in 0..services.len() {
        visit(i, services, &index, &mut state, &mut order)?;
    }
    Ok(order)
}
