//! Every container gets a memory and a CPU limit: the task's when it sets one, else a default
//! (the defaults Harbor's task config uses: one CPU, 2 GiB). No swap beyond the memory limit.

use super::ContainerSpec;
use crate::SandboxError;
use std::sync::OnceLock;

/// CPUs a container gets when its task sets none.
pub const DEFAULT_CPUS: f64 = 1.0;
/// Memory (MiB) a container gets when its task sets none.
pub const DEFAULT_MEMORY_MB: u64 = 2048;

/// Docker refuses a memory limit under 6 MiB; anything above a terabyte is a typo.
const MEMORY_MB_RANGE: (u64, u64) = (6, 1 << 20);

/// The engine's CPU count, asked once per process (a process talks to one engine).
static ENGINE_CPUS: OnceLock<f64> = OnceLock::new();

/// The limits a container is created with, as Docker wants them: (NanoCpus, Memory bytes).
pub(super) fn resolve(spec: &ContainerSpec, engine_cpus: f64) -> Result<(i64, i64), SandboxError> {
    let cpus = spec.cpus.unwrap_or(DEFAULT_CPUS);
    if !cpus.is_finite() || cpus <= 0.0 {
        return Err(SandboxError::Docker(format!(
            "a CPU limit of {cpus} is not a positive number of CPUs"
        )));
    }
    // Docker refuses more CPUs than the machine has; a task asking for more gets them all.
    let cpus = if engine_cpus > 0.0 {
        cpus.min(engine_cpus)
    } else {
        cpus
    };
    let memory_mb = spec.memory_mb.unwrap_or(DEFAULT_MEMORY_MB);
    if !(MEMORY_MB_RANGE.0..=MEMORY_MB_RANGE.1).contains(&memory_mb) {
        return Err(SandboxError::Docker(format!(
            "a memory limit of {memory_mb} MiB is outside {}..={} MiB",
            MEMORY_MB_RANGE.0, MEMORY_MB_RANGE.1
        )));
    }
    // Both fit in i64: cpus is at most the engine's count, memory at most 2^40 bytes.
    Ok(((cpus * 1e9) as i64, (memory_mb * 1024 * 1024) as i64))
}

/// The engine's CPU count (0 when it does not say).
pub(super) async fn engine_cpus(docker: &bollard::Docker) -> f64 {
    if let Some(n) = ENGINE_CPUS.get() {
        return *n;
    }
    let n = docker
        .info()
        .await
        .ok()
        .and_then(|i| i.ncpu)
        .map_or(0.0, |n| n as f64);
    *ENGINE_CPUS.get_or_init(|| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(cpus: Option<f64>, memory_mb: Option<u64>) -> ContainerSpec {
        ContainerSpec {
            image: "i".into(),
            workdir: "/".into(),
            cpus,
            memory_mb,
            pids_limit: 1,
            network: false,
            env: Vec::new(),
            services: None,
        }
    }

    #[test]
    fn defaults_when_unset_clamped_to_the_engine_and_bad_values_refused() {
        assert_eq!(
            resolve(&spec(None, None), 8.0).unwrap(),
            (1_000_000_000, 2048 * 1024 * 1024)
        );
        assert_eq!(
            resolve(&spec(Some(16.0), Some(512)), 2.0).unwrap(),
            (2_000_000_000, 512 * 1024 * 1024)
        );
        for bad in [f64::INFINITY, f64::NAN, 0.0, -1.0] {
            assert!(resolve(&spec(Some(bad), None), 2.0).is_err(), "{bad}");
        }
        for bad in [0, 1, u64::MAX] {
            assert!(resolve(&spec(None, Some(bad)), 2.0).is_err(), "{bad}");
        }
    }
}
