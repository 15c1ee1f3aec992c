//! Which image a container runs, and where it came from. A Harbor task names a prebuilt image
//! *and* ships the Dockerfile it was built from: the prebuilt image is used by default (present
//! locally, else pulled when pulling is allowed), the Dockerfile when `--force-build` asks for it
//! or when the prebuilt image cannot be had. Each image is resolved once per run; the answer
//! (present, pulled, built, and the image id) is kept for the trial records and the manifest.

use super::{DockerBackend, ImageSpec};
use crate::SandboxError;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Where a trial's image came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSource {
    /// The named image was already on this machine.
    Present,
    /// The named image was pulled from a registry by this run.
    Pulled,
    /// Built from the task's Dockerfile (now, or an earlier build of the same content).
    Built,
}

impl ImageSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageSource::Present => "present",
            ImageSource::Pulled => "pulled",
            ImageSource::Built => "built",
        }
    }
}

/// The image a container was started from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedImage {
    /// The name the task asked for (a prebuilt image's name, or the build's tag).
    pub requested: String,
    /// The name the container was created from.
    pub name: String,
    pub source: ImageSource,
    /// The engine's image id (`sha256:...`): two runs on the same id ran the same image.
    pub digest: Option<String>,
    /// Why a prebuilt image was not used, when the Dockerfile was built instead.
    pub note: Option<String>,
}

impl DockerBackend {
    /// Builds from the Dockerfile even when a task names a prebuilt image (Harbor's
    /// `force_build`).
    pub fn force_build(&self, yes: bool) {
        self.force_build.store(yes, Ordering::SeqCst);
    }

    /// Makes sure the image exists and says where it came from. A named image that is absent
    /// and cannot be pulled, with nothing to build it from, is [`SandboxError::ImageMissing`]:
    /// remembered, so later trials of the run fail at once with the same words.
    pub async fn resolve_image(
        &self,
        spec: &ImageSpec,
        timeout: Duration,
    ) -> Result<ResolvedImage, SandboxError> {
        let key = format!("{spec:?}");
        if let Some(r) = self.lock_resolved().get(&key) {
            return Ok(r.clone());
        }
        if let Some(reason) = self.lock_missing().get(&key) {
            return Err(SandboxError::ImageMissing(reason.clone()));
        }
        let resolved = match spec {
            ImageSpec::Named(name) => self.named(name, timeout).await,
            ImageSpec::Build { .. } => {
                let tag = self.ensure_image(spec, timeout).await?;
                Ok(self.built(tag.clone(), tag, None).await)
            }
            ImageSpec::NamedOrBuild {
                name,
                context,
                dockerfile,
            } => {
                let build = ImageSpec::Build {
                    context: context.clone(),
                    dockerfile: dockerfile.clone(),
                };
                if self.force_build.load(Ordering::SeqCst) {
                    let tag = self.ensure_image(&build, timeout).await?;
                    Ok(self.built(name.clone(), tag, None).await)
                } else {
                    match self.named(name, timeout).await {
                        Ok(r) => Ok(r),
                        Err(SandboxError::ImageMissing(why)) => {
                            let note = format!("{why}; built it from {dockerfile} instead");
                            if self.lock_warned().insert(name.clone()) {
                                tracing::warn!("{note}");
                            }
                            let tag = self.ensure_image(&build, timeout).await?;
                            Ok(self.built(name.clone(), tag, Some(note)).await)
                        }
                        Err(e) => Err(e),
                    }
                }
            }
        };
        match resolved {
            Ok(r) => {
                self.lock_resolved().insert(key, r.clone());
                Ok(r)
            }
            Err(SandboxError::ImageMissing(reason)) => {
                self.lock_missing().insert(key, reason.clone());
                Err(SandboxError::ImageMissing(reason))
            }
            Err(e) => Err(e),
        }
    }

    /// Every image this backend resolved, in the order of their names.
    pub fn resolved_images(&self) -> Vec<ResolvedImage> {
        let mut v: Vec<ResolvedImage> = self.lock_resolved().values().cloned().collect();
        v.sort_by(|a, b| (&a.requested, &a.name).cmp(&(&b.requested, &b.name)));
        v.dedup();
        v
    }

    async fn named(&self, name: &str, timeout: Duration) -> Result<ResolvedImage, SandboxError> {
        let mapped = self
            .image_map
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_string());
        if let Ok(info) = self.docker.inspect_image(&mapped).await {
            return Ok(ResolvedImage {
                requested: name.to_string(),
                name: mapped,
                source: ImageSource::Present,
                digest: info.id,
                note: None,
            });
        }
        if !self.pull.load(Ordering::SeqCst) {
            return Err(SandboxError::ImageMissing(format!(
                "image {mapped} is not present locally and pulling is off (--pull)"
            )));
        }
        self.pull(&mapped, timeout).await.map_err(|e| {
            SandboxError::ImageMissing(format!(
                "image {mapped} is not present locally and could not be pulled: {e}"
            ))
        })?;
        Ok(ResolvedImage {
            requested: name.to_string(),
            digest: self.image_id(&mapped).await,
            name: mapped,
            source: ImageSource::Pulled,
            note: None,
        })
    }

    async fn built(&self, requested: String, tag: String, note: Option<String>) -> ResolvedImage {
        ResolvedImage {
            requested,
            digest: self.image_id(&tag).await,
            name: tag,
            source: ImageSource::Built,
            note,
        }
    }

    async fn image_id(&self, name: &str) -> Option<String> {
        self.docker
            .inspect_image(name)
            .await
            .ok()
            .and_then(|i| i.id)
    }

    fn lock_resolved(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, ResolvedImage>> {
        self.resolved.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_missing(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, String>> {
        self.missing.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_warned(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
        self.warned.lock().unwrap_or_else(|p| p.into_inner())
    }
}
