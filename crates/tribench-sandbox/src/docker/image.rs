//! Images for trials: present, pulled (when allowed) or built from a task's Dockerfile, cached by
//! a content hash of the build context and built once however many trials ask at once.

use super::*;

impl DockerBackend {
    /// Pulls an image, within `timeout`.
    pub(super) async fn pull(&self, name: &str, timeout: Duration) -> Result<(), String> {
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

    pub(super) async fn build(
        &self,
        tag: &str,
        dockerfile: &str,
        tar: Vec<u8>,
    ) -> Result<(), SandboxError> {
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
    pub(super) fn build_context(
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

    pub(super) fn map_from_lines(&self, dockerfile: &str) -> String {
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
}
