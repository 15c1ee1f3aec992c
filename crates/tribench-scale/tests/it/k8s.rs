use k8s_openapi::api::batch::v1::Job;
use std::collections::BTreeMap;
use tribench_scale::k8s::{render, DockerAccess, K8sOptions, ResultsVolume};
use tribench_scale::Study;

fn study() -> Study {
    Study::new(
        [
            "-s",
            "/suites/terminal-sample",
            "--agent",
            "llm",
            "--model",
            "qwen3-coder",
            "--base-url",
            "http://models.svc:8000/v1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        6,
        "/results/study-1".into(),
        "/usr/local/bin/tribench".into(),
    )
    .unwrap()
}

fn options() -> K8sOptions {
    K8sOptions {
        name: "qwen-tb".into(),
        namespace: Some("evals".into()),
        image: "registry.invalid/tribench:0.1".into(),
        parallelism: Some(3),
        volume: ResultsVolume::Claim("tribench-results".into()),
        cpu: Some("4".into()),
        memory: Some("16Gi".into()),
        node_selector: BTreeMap::from([("tribench/pool".to_string(), "docker".to_string())]),
        docker: DockerAccess::NodeSocket,
        merge_wait_sec: 86400,
    }
}

#[test]
fn the_rendered_jobs_parse_back_into_kubernetes_types_with_every_field() {
    let yaml = render(&study(), &options()).unwrap();
    let jobs: Vec<Job> =
        serde_saphyr::from_str_multiple(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    assert_eq!(jobs.len(), 2, "{yaml}");
    assert!(
        yaml.contains("apiVersion: batch/v1") && yaml.contains("kind: Job"),
        "{yaml}"
    );

    let shards = &jobs[0];
    assert_eq!(shards.metadata.name.as_deref(), Some("qwen-tb-shards"));
    assert_eq!(shards.metadata.namespace.as_deref(), Some("evals"));
    let spec = shards.spec.as_ref().unwrap();
    assert_eq!(spec.completion_mode.as_deref(), Some("Indexed"));
    assert_eq!(spec.completions, Some(6));
    assert_eq!(spec.parallelism, Some(3));
    let pod = spec.template.spec.as_ref().unwrap();
    assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
    assert_eq!(
        pod.node_selector
            .as_ref()
            .unwrap()
            .get("tribench/pool")
            .map(String::as_str),
        Some("docker")
    );
    let c = &pod.containers[0];
    assert_eq!(c.image.as_deref(), Some("registry.invalid/tribench:0.1"));
    let cmd = c.command.as_ref().unwrap();
    assert_eq!(&cmd[..2], ["/bin/sh", "-c"]);
    let script = &cmd[2];
    assert!(script.contains("i=\"$JOB_COMPLETION_INDEX\""), "{script}");
    assert!(
        script.contains("/usr/local/bin/tribench run -s /suites/terminal-sample --agent llm --model qwen3-coder --base-url http://models.svc:8000/v1 --shard \"$i/6\" --run-dir /results/study-1/shard-\"$i\""),
        "{script}"
    );
    assert!(
        script.contains("/results/study-1/shard-\"$i\".exit"),
        "{script}"
    );
    let res = c.resources.as_ref().unwrap();
    for q in [res.requests.as_ref().unwrap(), res.limits.as_ref().unwrap()] {
        assert_eq!(q["cpu"].0, "4");
        assert_eq!(q["memory"].0, "16Gi");
    }
    let mounts: BTreeMap<&str, &str> = c
        .volume_mounts
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| (m.name.as_str(), m.mount_path.as_str()))
        .collect();
    assert_eq!(mounts["results"], "/results/study-1");
    assert_eq!(mounts["docker-socket"], "/var/run/docker.sock");
    let vols = pod.volumes.as_ref().unwrap();
    let results = vols.iter().find(|v| v.name == "results").unwrap();
    assert_eq!(
        results.persistent_volume_claim.as_ref().unwrap().claim_name,
        "tribench-results"
    );
    let sock = vols.iter().find(|v| v.name == "docker-socket").unwrap();
    let hp = sock.host_path.as_ref().unwrap();
    assert_eq!(
        (hp.path.as_str(), hp.type_.as_deref()),
        ("/var/run/docker.sock", Some("Socket"))
    );

    let merge = &jobs[1];
    assert_eq!(merge.metadata.name.as_deref(), Some("qwen-tb-merge"));
    let mspec = merge.spec.as_ref().unwrap();
    assert_eq!(mspec.completion_mode, None);
    assert_eq!(mspec.completions, Some(1));
    let mpod = mspec.template.spec.as_ref().unwrap();
    let mscript = &mpod.containers[0].command.as_ref().unwrap()[2];
    assert!(mscript.contains("for i in $(seq 0 5)"), "{mscript}");
    assert!(mscript.contains("exec /usr/local/bin/tribench merge /results/study-1/shard-0 /results/study-1/shard-1 /results/study-1/shard-2 /results/study-1/shard-3 /results/study-1/shard-4 /results/study-1/shard-5 --run-dir /results/study-1/merged"), "{mscript}");
    // The merge needs neither Docker nor the shards' resources.
    assert!(mpod
        .volumes
        .as_ref()
        .unwrap()
        .iter()
        .all(|v| v.name == "results"));
}

#[test]
fn a_host_path_volume_and_no_docker_render_too() {
    let mut o = options();
    o.volume = ResultsVolume::HostPath("/srv/tribench".into());
    o.docker = DockerAccess::None;
    o.namespace = None;
    o.parallelism = None;
    o.cpu = None;
    o.memory = None;
    let yaml = render(&study(), &o).unwrap();
    let jobs: Vec<Job> = serde_saphyr::from_str_multiple(&yaml).unwrap();
    let spec = jobs[0].spec.as_ref().unwrap();
    assert_eq!(spec.parallelism, Some(6), "all shards at once by default");
    let pod = spec.template.spec.as_ref().unwrap();
    let vols = pod.volumes.as_ref().unwrap();
    assert_eq!(vols.len(), 1);
    let hp = vols[0].host_path.as_ref().unwrap();
    assert_eq!(
        (hp.path.as_str(), hp.type_.as_deref()),
        ("/srv/tribench", Some("DirectoryOrCreate"))
    );
    assert!(vols[0].persistent_volume_claim.is_none());
    assert_eq!(jobs[0].metadata.namespace, None);
    let res = pod.containers[0].resources.as_ref().unwrap();
    assert!(res.requests.is_none() && res.limits.is_none());
    let mut o = options();
    o.image = String::new();
    assert!(render(&study(), &o)
        .unwrap_err()
        .to_string()
        .contains("--image"));
}
