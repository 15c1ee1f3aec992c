//! A trial's container with its services (a database, a cache, a web server the agent talks
//! to). The group shares the main container's network namespace: a network of the trial's own
//! in which every service name (and the main one) resolves to 127.0.0.1. So a task without the
//! network has none for the whole group (the main container's namespace has only loopback; a
//! Docker "internal" network would still let the group reach the host's own addresses), and a
//! task with the network has it for the whole group. Services start in dependency order, are
//! waited for as their `depends_on` conditions say, and are removed with the trial.

use super::{docker_err, DockerBackend, ImageSpec, PID_LABEL, RUN_LABEL};
use crate::SandboxError;
use bollard::models::{ContainerCreateBody, HealthConfig, HealthStatusEnum, HostConfig};
use bollard::query_parameters::{CreateContainerOptions, RemoveContainerOptions};
use std::collections::HashMap;
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

/// What a group leaves to remove: its services' containers.
#[derive(Debug, Default)]
pub(crate) struct Group {
    pub services: Vec<String>,
}

/// `extra_hosts` for the main container: every name of the group on loopback.
pub(crate) fn hosts(services: &[ServiceSpec], main: &str) -> Vec<String> {
    std::iter::once(main)
        .chain(services.iter().map(|s| s.name.as_str()))
        .map(|n| format!("{n}:127.0.0.1"))
        .collect()
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
    /// Starts `services` in the network namespace of the (started) main container `main_id`,
    /// in dependency order, then waits for what the main container depends on. Whatever was
    /// started is in `group`, for the caller to remove, on error too.
    pub(crate) async fn start_group(
        &self,
        services: &[ServiceSpec],
        main_depends_on: &[(String, DependsOn)],
        main_id: &str,
        build_timeout: Duration,
        group: &mut Group,
    ) -> Result<(), SandboxError> {
        let mut labels = HashMap::new();
        labels.insert(PID_LABEL.to_string(), std::process::id().to_string());
        labels.insert(RUN_LABEL.to_string(), self.run_id.clone());
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
                    network_mode: Some(format!("container:{main_id}")),
                    pids_limit: Some(4096),
                    ..Default::default()
                }),
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
        self.wait_for(main_depends_on, services, &ids).await
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

    /// Removes a group's services (errors ignored: the sweep catches leftovers).
    pub(crate) async fn remove_group(&self, group: &Group) {
        for id in &group.services {
            let opts = RemoveContainerOptions {
                force: true,
                v: true,
                ..Default::default()
            };
            let _ = self.docker.remove_container(id, Some(opts)).await;
        }
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
