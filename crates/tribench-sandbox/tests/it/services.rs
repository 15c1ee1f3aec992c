//! A container with services: they are removed when the sandbox is stopped or dropped (Ctrl-C
//! drops trials), and a run's sweep removes those its trials left; a service that never gets
//! healthy is an error, and nothing of the group is left behind.

use std::time::Duration;
use tribench_sandbox::{
    ContainerSpec, DependsOn, DockerBackend, ExecRequest, HealthCheck, ImageSpec, Sandbox,
    ServiceGroup, ServiceSpec,
};

use super::docker::{backend, BASE};

fn with_service(healthy: bool) -> ContainerSpec {
    let test = if healthy { "test -f /tmp/up" } else { "false" };
    ContainerSpec {
        image: BASE.into(),
        workdir: "/app".into(),
        cpus: None,
        memory_mb: None,
        pids_limit: 128,
        network: false,
        env: vec![],
        services: Some(ServiceGroup {
            services: vec![ServiceSpec {
                name: "helper".into(),
                image: ImageSpec::Named("tribench/debian:bookworm".into()),
                env: vec![("GREETING".into(), "hi".into())],
                command: Some(vec![
                    "sh".into(),
                    "-c".into(),
                    "touch /tmp/up; sleep infinity".into(),
                ]),
                depends_on: vec![],
                healthcheck: Some(HealthCheck {
                    test: vec!["CMD-SHELL".into(), test.into()],
                    interval: Some(Duration::from_millis(200)),
                    timeout: Some(Duration::from_secs(2)),
                    retries: Some(3),
                    start_period: None,
                }),
            }],
            main_name: "main".into(),
            main_depends_on: vec![("helper".into(), DependsOn::Healthy)],
            build_timeout: Duration::from_secs(60),
        }),
    }
}

async fn own_left(b: &DockerBackend) -> usize {
    // Removal of dropped sandboxes is scheduled: poll with a deadline.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let n = b.count_own().await;
        if n == 0 || std::time::Instant::now() > deadline {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn services_go_with_their_trial_stopped_dropped_or_swept() {
    let Some(b) = backend().await else { return };
    // Stopped.
    let sb = b.create(&with_service(true)).await.unwrap();
    let out = sb
        .exec(ExecRequest::new(
            "getent hosts helper main",
            Duration::from_secs(20),
        ))
        .await
        .unwrap();
    assert!(out.stdout.text.contains("127.0.0.1"), "{}", out.combined());
    assert_eq!(b.count_own().await, 2, "the main container and its service");
    sb.stop().await.unwrap();
    assert_eq!(own_left(&b).await, 0);
    // Dropped (a trial cancelled by Ctrl-C).
    let sb = b.create(&with_service(true)).await.unwrap();
    drop(sb);
    assert_eq!(own_left(&b).await, 0);
    // Left behind and swept at the run's end.
    let sb = b.create(&with_service(true)).await.unwrap();
    std::mem::forget(sb);
    assert_eq!(b.count_own().await, 2);
    b.sweep(false).await;
    assert_eq!(b.count_own().await, 0);
}

#[tokio::test]
async fn a_service_that_never_gets_healthy_is_an_error_and_leaves_nothing() {
    let Some(b) = backend().await else { return };
    let e = b
        .create(&with_service(false))
        .await
        .err()
        .map(|e| e.to_string());
    assert!(
        e.as_deref()
            .unwrap_or_default()
            .contains("service helper is unhealthy"),
        "{e:?}"
    );
    assert_eq!(own_left(&b).await, 0);
}
