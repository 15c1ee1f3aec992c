//! The one place that resolves where things are and how runs are configured: flags first,
//! then environment variables (through clap's `env`), then what is found next to the binary or
//! in the current directory.

use crate::args::ExecArgs;
use std::path::{Path, PathBuf};
use tribench_engine::EngineConfig;
use tribench_types::Timeouts;

/// Places to look for a folder shipped with tribench: the current directory, then the source
/// tree the binary was built in (`target/<profile>/tribench` → repository root).
fn shipped(rel: &str) -> Option<PathBuf> {
    let mut candidates = vec![PathBuf::from(rel)];
    if let Ok(exe) = std::env::current_exe() {
        for up in exe.ancestors().skip(1).take(4) {
            candidates.push(up.join(rel));
        }
    }
    candidates
        .into_iter()
        .find(|p| p.exists())
        .and_then(|p| p.canonicalize().ok())
}

/// A shipped agent definition: `agents/<name>.toml`.
pub fn shipped_agent(name: &str) -> Option<PathBuf> {
    shipped(&format!("agents/{name}.toml"))
}

/// The bundled sample suites: every folder under `suites/`.
pub fn bundled_suites() -> Vec<PathBuf> {
    let Some(dir) = shipped("suites") else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

pub fn js_tools(flag: &Option<PathBuf>) -> Option<PathBuf> {
    match flag {
        Some(p) => Some(p.canonicalize().unwrap_or_else(|_| p.clone())),
        None => shipped("tools/js").filter(|p| p.join("node_modules").is_dir()),
    }
}

/// What `tribench.toml` may set. Flags override it.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Image names a task's Dockerfile uses in `FROM`, mapped to local images.
    #[serde(default)]
    pub images: std::collections::HashMap<String, String>,
    #[serde(default)]
    pub build: BuildConfig,
}

/// `[build]`: how images are built and containers set up.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildConfig {
    /// CA certificates (PEM files, relative to the tribench.toml) trusted in image builds and
    /// task containers: a TLS-intercepting proxy's.
    #[serde(default)]
    pub ca_certificates: Vec<PathBuf>,
}

/// Which tribench.toml applies: `--config FILE` when given; else the first found beside a suite
/// (in the suite's folder, then the folder holding it), then in the current directory.
pub fn config_path(flag: Option<&Path>, suites: &[PathBuf]) -> anyhow::Result<Option<PathBuf>> {
    if let Some(f) = flag {
        if !f.is_file() {
            anyhow::bail!("--config {}: no such file", f.display());
        }
        return Ok(Some(f.to_path_buf()));
    }
    let mut candidates = Vec::new();
    for s in suites {
        let s = s.canonicalize().unwrap_or_else(|_| s.clone());
        let dir = if s.is_dir() {
            s.clone()
        } else {
            s.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        candidates.push(dir.join("tribench.toml"));
        if let Some(parent) = dir.parent() {
            candidates.push(parent.join("tribench.toml"));
        }
    }
    candidates.push(PathBuf::from("tribench.toml"));
    Ok(candidates.into_iter().find(|p| p.is_file()))
}

/// Reads a tribench.toml; relative certificate paths are made relative to the file.
pub fn file_config(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let Some(p) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(p)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?;
    let mut cfg: FileConfig =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
    let base = p.parent().unwrap_or(Path::new("."));
    for c in &mut cfg.build.ca_certificates {
        if c.is_relative() {
            *c = base.join(&*c);
        }
    }
    Ok(cfg)
}

/// The CA certificates to install: tribench.toml's, then `--ca-cert`'s, read now so a missing
/// or non-PEM file is an error before anything runs.
fn ca_certificates(files: &[PathBuf]) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let bytes =
            std::fs::read(f).map_err(|e| anyhow::anyhow!("CA certificate {}: {e}", f.display()))?;
        if !String::from_utf8_lossy(&bytes).contains("-----BEGIN CERTIFICATE-----") {
            anyhow::bail!(
                "CA certificate {}: not a PEM certificate (no BEGIN CERTIFICATE line)",
                f.display()
            );
        }
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "ca".into());
        let stem: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        out.push((format!("{i:02}-{stem}.crt"), bytes));
    }
    Ok(out)
}

/// The build context of the polyglot toolchain image: its Dockerfile and the JavaScript test
/// tools' files, staged together (kept alive by the returned guard for the run).
pub fn polyglot_image() -> anyhow::Result<(tempfile::TempDir, tribench_sandbox::ImageSpec)> {
    let dockerfile = shipped("images/polyglot/Dockerfile")
        .ok_or_else(|| anyhow::anyhow!("images/polyglot/Dockerfile not found next to tribench"))?;
    let js = shipped("tools/js")
        .ok_or_else(|| anyhow::anyhow!("tools/js not found next to tribench"))?;
    if !js.join("node_modules/jest/bin/jest.js").is_file() {
        anyhow::bail!(
            "{}/node_modules has no jest: run scripts/setup.sh first",
            js.display()
        );
    }
    let stage = tempfile::Builder::new()
        .prefix("tribench-polyglot-image-")
        .tempdir()?;
    std::fs::copy(&dockerfile, stage.path().join("Dockerfile"))?;
    link_tree(&js, &stage.path().join("js"))?;
    let spec = tribench_sandbox::ImageSpec::Build {
        context: stage.path().to_path_buf(),
        dockerfile: "Dockerfile".into(),
    };
    Ok((stage, spec))
}

/// Mirrors a directory tree with hard links (a copy where linking is not possible).
fn link_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    for entry in walkdir::WalkDir::new(from).follow_links(false) {
        let entry = entry?;
        let rel = entry.path().strip_prefix(from)?;
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest)?;
        } else if entry.file_type().is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &dest)?;
        } else if std::fs::hard_link(entry.path(), &dest).is_err() {
            std::fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

/// Where the polyglot image keeps the JavaScript test tools.
pub const POLYGLOT_IMAGE_JS_TOOLS: &str = "/opt/tribench-js";

/// The engine configuration for `exec`, and the staged image context it refers to (keep it
/// alive for the run).
pub fn engine_config(
    exec: &ExecArgs,
    run_dir: &Path,
    suites: &[PathBuf],
) -> anyhow::Result<(EngineConfig, Option<tempfile::TempDir>)> {
    let mut cfg = EngineConfig::new(run_dir);
    let path = config_path(exec.config.as_deref(), suites)?;
    if let Some(p) = &path {
        eprintln!("settings from {}", p.display());
    }
    let file = file_config(path.as_deref())?;
    cfg.image_map = file.images;
    let mut certs = file.build.ca_certificates;
    certs.extend(exec.ca_cert.iter().cloned());
    cfg.ca_certificates = ca_certificates(&certs)?;
    let mut stage = None;
    if exec.sandbox == crate::args::SandboxChoice::Docker {
        let (dir, spec) = polyglot_image()?;
        cfg.workspace_image = Some(spec);
        cfg.workspace_image_js_tools = Some(PathBuf::from(POLYGLOT_IMAGE_JS_TOOLS));
        stage = Some(dir);
    }
    if let Some(j) = exec.jobs {
        cfg.jobs = j.max(1);
    }
    cfg.timeouts = Timeouts {
        setup_sec: exec.setup_timeout,
        agent_sec: exec.agent_timeout,
        test_sec: exec.test_timeout,
    };
    cfg.infra_retries = exec.infra_retries;
    cfg.no_isolation = exec.no_isolation;
    cfg.js_tools = js_tools(&exec.js_tools);
    cfg.sandbox_base = exec.sandbox_dir.clone();
    cfg.pull_images = exec.pull;
    cfg.force_build = exec.force_build;
    cfg.grading_mode = exec.grading_mode.into();
    cfg.shard = exec.shard;
    Ok((cfg, stage))
}

/// `runs/<YYYY-MM-DD-HHMMSS>-<agent>`.
pub fn default_run_dir(agent: &str) -> PathBuf {
    let stamp = chrono::Local::now().format("%Y-%m-%d-%H%M%S");
    PathBuf::from("runs").join(format!("{stamp}-{agent}"))
}
