//! Rendered study manifests, read back as their schedulers read them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod k8s;
