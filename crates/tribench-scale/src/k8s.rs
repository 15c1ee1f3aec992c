//! A study as Kubernetes Jobs, built from the `k8s-openapi` types so the manifests are valid by
//! construction: an Indexed Job (`completionMode: Indexed`) whose pod of index I runs shard I
//! (Kubernetes sets `JOB_COMPLETION_INDEX` in each pod), and a merge Job that waits until every
//! shard has ended (each writes `RUN_ROOT/shard-I.exit`), then merges.
//!
//! Tasks that run in containers reach Docker through the node's socket, mounted into the pod:
//! containers are siblings on the node, sharing its image cache. (A Docker-in-Docker sidecar
//! would need a privileged pod and start with an empty image cache; docs/scale.md says more.)

use crate::{ScaleError, Study};
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Container, HostPathVolumeSource, PersistentVolumeClaimVolumeSource, PodSpec, PodTemplateSpec,
    ResourceRequirements, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;
use tribench_sandbox::shell_quote;

/// Where the run root lives on the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultsVolume {
    /// An existing PersistentVolumeClaim (ReadWriteMany when pods land on several nodes).
    Claim(String),
    /// A directory on the node (one node, or a file system every node mounts there).
    HostPath(String),
}

impl ResultsVolume {
    /// The volume `--pvc NAME` names, else the one `--host-path DIR` names; one is required.
    pub fn from_flags(pvc: Option<String>, host_path: Option<String>) -> Result<Self, ScaleError> {
        match (pvc, host_path) {
            (Some(c), _) => Ok(ResultsVolume::Claim(c)),
            (None, Some(p)) => Ok(ResultsVolume::HostPath(p)),
            (None, None) => Err(ScaleError::Invalid(
                "give the results volume: --pvc NAME or --host-path DIR".into(),
            )),
        }
    }
}

/// The node selector of `--node-selector KEY=VALUE` flags.
pub fn node_selector(pairs: &[String]) -> Result<BTreeMap<String, String>, ScaleError> {
    (pairs.iter())
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            None => Err(ScaleError::Invalid(format!(
                "--node-selector {kv}: expected KEY=VALUE"
            ))),
        })
        .collect()
}

/// How task containers reach a Docker engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DockerAccess {
    /// The node's `/var/run/docker.sock`, mounted into the pod.
    NodeSocket,
    /// No Docker: every task runs in the local sandbox (polyglot without `--sandbox docker`).
    None,
}

/// Everything besides the study that the manifests say.
#[derive(Debug, Clone)]
pub struct K8sOptions {
    /// Names the Jobs `NAME-shards` and `NAME-merge`.
    pub name: String,
    pub namespace: Option<String>,
    /// An image holding the tribench binary (and the toolchains local-sandbox tasks need).
    pub image: String,
    /// Pods of the shard Job running at once (default: all).
    pub parallelism: Option<u32>,
    pub volume: ResultsVolume,
    /// Kubernetes quantities per shard pod, e.g. `2` and `8Gi` (requests and limits alike).
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub node_selector: BTreeMap<String, String>,
    pub docker: DockerAccess,
    /// Seconds the merge Job waits for shards that never report an end before merging anyway.
    pub merge_wait_sec: u64,
}

/// The shard Job and the merge Job.
pub fn jobs(study: &Study, o: &K8sOptions) -> Result<Vec<Job>, ScaleError> {
    if o.image.is_empty() {
        return Err(ScaleError::Invalid(
            "--image: the image holding tribench is required".into(),
        ));
    }
    let root = study.root();
    let count = i32::try_from(study.shards)
        .map_err(|_| ScaleError::Invalid(format!("--shards {} is too many", study.shards)))?;
    let parallelism = o
        .parallelism
        .map_or(Ok(count), i32::try_from)
        .map_err(|_| ScaleError::Invalid("--parallelism is too large".into()))?;
    let shard = format!(
        "i=\"$JOB_COMPLETION_INDEX\"\n{}\ncode=$?\necho \"$code\" > {}/shard-\"$i\".exit\nexit \"$code\"\n",
        study.shard_command("$i"),
        shell_quote(&root)
    );
    let merge = format!(
        "deadline=$(( $(date +%s) + {wait} ))\n\
         for i in $(seq 0 {last}); do\n\
         \x20 until [ -e {root_q}/shard-\"$i\".exit ]; do\n\
         \x20   if [ \"$(date +%s)\" -ge \"$deadline\" ]; then echo \"shard $i has not ended; merging what there is\" >&2; break; fi\n\
         \x20   sleep 10\n\
         \x20 done\n\
         done\n\
         exec {merge}\n",
        wait = o.merge_wait_sec,
        last = study.shards - 1,
        root_q = shell_quote(&root),
        merge = study.merge_command(),
    );
    let shards = job(
        o,
        &root,
        &format!("{}-shards", o.name),
        shard,
        true,
        JobSpec {
            completion_mode: Some("Indexed".into()),
            completions: Some(count),
            parallelism: Some(parallelism),
            // A failed shard is retried once on its own (it resumes its run directory).
            backoff_limit_per_index: Some(1),
            ..Default::default()
        },
    );
    let merge = job(
        o,
        &root,
        &format!("{}-merge", o.name),
        merge,
        false,
        JobSpec {
            completions: Some(1),
            parallelism: Some(1),
            backoff_limit: Some(2),
            ..Default::default()
        },
    );
    Ok(vec![shards, merge])
}

/// The Jobs as one YAML stream (`kubectl apply -f` takes it as is).
pub fn render(study: &Study, o: &K8sOptions) -> Result<String, ScaleError> {
    let jobs = jobs(study, o)?;
    serde_saphyr::to_string_multiple(&jobs).map_err(|e| ScaleError::Yaml(e.to_string()))
}

/// One Job; `shard` marks the shard Job (resources, Docker access). The results volume is
/// mounted at the run root itself, so every pod sees the same paths.
fn job(o: &K8sOptions, root: &str, name: &str, script: String, shard: bool, spec: JobSpec) -> Job {
    let mut mounts = vec![VolumeMount {
        name: "results".into(),
        mount_path: root.to_string(),
        ..Default::default()
    }];
    let mut volumes = vec![Volume {
        name: "results".into(),
        persistent_volume_claim: match &o.volume {
            ResultsVolume::Claim(c) => Some(PersistentVolumeClaimVolumeSource {
                claim_name: c.clone(),
                read_only: None,
            }),
            ResultsVolume::HostPath(_) => None,
        },
        host_path: match &o.volume {
            ResultsVolume::HostPath(p) => Some(HostPathVolumeSource {
                path: p.clone(),
                type_: Some("DirectoryOrCreate".into()),
            }),
            ResultsVolume::Claim(_) => None,
        },
        ..Default::default()
    }];
    if o.docker == DockerAccess::NodeSocket && shard {
        mounts.push(VolumeMount {
            name: "docker-socket".into(),
            mount_path: "/var/run/docker.sock".into(),
            ..Default::default()
        });
        volumes.push(Volume {
            name: "docker-socket".into(),
            host_path: Some(HostPathVolumeSource {
                path: "/var/run/docker.sock".into(),
                type_: Some("Socket".into()),
            }),
            ..Default::default()
        });
    }
    let quantities = || {
        let mut q = BTreeMap::new();
        if let Some(c) = &o.cpu {
            q.insert("cpu".to_string(), Quantity(c.clone()));
        }
        if let Some(m) = &o.memory {
            q.insert("memory".to_string(), Quantity(m.clone()));
        }
        (!q.is_empty()).then_some(q)
    };
    let container = Container {
        name: "tribench".into(),
        image: Some(o.image.clone()),
        command: Some(vec!["/bin/sh".into(), "-c".into(), script]),
        volume_mounts: Some(mounts),
        resources: shard.then(|| ResourceRequirements {
            requests: quantities(),
            limits: quantities(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut labels = BTreeMap::new();
    labels.insert("app.kubernetes.io/name".to_string(), "tribench".to_string());
    labels.insert("tribench/study".to_string(), o.name.clone());
    Job {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: o.namespace.clone(),
            labels: Some(labels.clone()),
            ..Default::default()
        },
        spec: Some(JobSpec {
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    restart_policy: Some("Never".into()),
                    containers: vec![container],
                    volumes: Some(volumes),
                    node_selector: (!o.node_selector.is_empty()).then(|| o.node_selector.clone()),
                    ..Default::default()
                }),
            },
            ..spec
        }),
        ..Default::default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn volume_and_node_selector_come_from_their_flags() {
        let v = |c: Option<&str>, p: Option<&str>| {
            ResultsVolume::from_flags(c.map(Into::into), p.map(Into::into))
        };
        assert_eq!(
            v(Some("c"), Some("/p")).unwrap(),
            ResultsVolume::Claim("c".into())
        );
        assert_eq!(
            v(None, Some("/p")).unwrap(),
            ResultsVolume::HostPath("/p".into())
        );
        let e = v(None, None).unwrap_err().to_string();
        assert_eq!(e, "give the results volume: --pvc NAME or --host-path DIR");
        let pairs = ["disk=ssd".to_string(), "zone=a=b".to_string()];
        let sel = node_selector(&pairs).unwrap();
        assert_eq!(sel.get("disk").map(String::as_str), Some("ssd"));
        assert_eq!(sel.get("zone").map(String::as_str), Some("a=b"));
        let e = node_selector(&["nokey".to_string()])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "--node-selector nokey: expected KEY=VALUE");
    }
}
