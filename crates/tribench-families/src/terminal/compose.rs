//! A task's docker-compose file, read by us (Debian bookworm ships only compose v1, and we
//! drive the engine directly). The main service (`main` in Harbor, `client` in Terminal-Bench 1)
//! is the agent's container; every other service is started beside it. Only the keys below are
//! honoured; any other key is refused with an error naming the file, the service and the key,
//! never ignored.
//!
//! - other services: `build` (a context, or `context` and `dockerfile`), `image`,
//!   `environment` (list or map), `command` (string or list), `depends_on` (list, or map with
//!   `condition`: `service_started`, `service_healthy`, `service_completed_successfully`),
//!   `healthcheck` (`test`, `interval`, `timeout`, `retries`, `start_period`, `disable`),
//!   `expose` (documentation only: services on the trial's network reach each other's ports).
//! - the main service: `environment` and `depends_on`; in Terminal-Bench 1 also `build`, and the
//!   harness's own `image`, `container_name`, `command` and `volumes` (tribench names, keeps
//!   alive and collects logs from the container itself).

use crate::FamilyError;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use tribench_sandbox::{DependsOn, HealthCheck, ImageSpec, ServiceSpec};

/// What a compose file says.
#[derive(Debug, Clone, Default)]
pub struct Compose {
    /// The main service's build (context relative to the file, Dockerfile), if it has one.
    pub main_build: Option<(String, String)>,
    pub main_env: Vec<(String, String)>,
    pub main_depends_on: Vec<(String, DependsOn)>,
    pub services: Vec<ServiceSpec>,
}

const SIDECAR_KEYS: [&str; 7] = [
    "build",
    "image",
    "environment",
    "command",
    "depends_on",
    "healthcheck",
    "expose",
];
const HARBOR_MAIN_KEYS: [&str; 2] = ["environment", "depends_on"];
const TB1_MAIN_KEYS: [&str; 7] = [
    "build",
    "image",
    "container_name",
    "command",
    "environment",
    "volumes",
    "depends_on",
];

/// Reads `path`; `main` is the name of the agent's service.
pub fn read(path: &Path, task: &str, main: &str) -> Result<Compose, FamilyError> {
    let bad = |message: String| FamilyError::InvalidTask {
        path: path.to_path_buf(),
        message: format!("task {task}: {message}"),
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let doc: Value =
        serde_saphyr::from_str(&text).map_err(|e| bad(format!("not a valid compose file: {e}")))?;
    let top = doc
        .as_object()
        .ok_or_else(|| bad("not a compose file (no mapping at the top)".into()))?;
    for key in top.keys() {
        if key != "services" && key != "version" {
            return Err(bad(format!(
                "top-level key `{key}` is not supported (only `services`)"
            )));
        }
    }
    let Some(services) = top.get("services").and_then(Value::as_object) else {
        return Ok(Compose::default());
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut out = Compose::default();
    for (name, svc) in services {
        let svc = svc
            .as_object()
            .ok_or_else(|| bad(format!("service `{name}` is not a mapping")))?;
        let is_main = name == main;
        let allowed: &[&str] = match (is_main, main) {
            (false, _) => &SIDECAR_KEYS,
            (true, "main") => &HARBOR_MAIN_KEYS,
            (true, _) => &TB1_MAIN_KEYS,
        };
        if let Some(key) = svc.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(bad(format!(
                "service `{name}`: key `{key}` is not supported by tribench"
            )));
        }
        let field = |k: &str| svc.get(k);
        let env = match field("environment") {
            Some(v) => environment(v).map_err(|m| bad(format!("service `{name}`: {m}")))?,
            None => Vec::new(),
        };
        let depends_on = match field("depends_on") {
            Some(v) => depends_on(v).map_err(|m| bad(format!("service `{name}`: {m}")))?,
            None => Vec::new(),
        };
        let build = match field("build") {
            Some(v) => Some(build(v).map_err(|m| bad(format!("service `{name}`: {m}")))?),
            None => None,
        };
        if is_main {
            out.main_build = build;
            out.main_env = env;
            out.main_depends_on = depends_on;
            continue;
        }
        let image = match (build, field("image").and_then(Value::as_str)) {
            (Some((context, dockerfile)), _) => ImageSpec::Build {
                context: dir.join(context),
                dockerfile,
            },
            (None, Some(image)) => ImageSpec::Named(image.to_string()),
            (None, None) => {
                return Err(bad(format!(
                    "service `{name}` has neither `build` nor `image`"
                )))
            }
        };
        let command = match field("command") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(split_command(s)),
            Some(Value::Array(a)) => Some(a.iter().map(scalar).collect()),
            Some(_) => {
                return Err(bad(format!(
                    "service `{name}`: `command` is not a string or a list"
                )))
            }
        };
        let healthcheck = match field("healthcheck") {
            Some(v) => Some(healthcheck(v).map_err(|m| bad(format!("service `{name}`: {m}")))?),
            None => None,
        };
        out.services.push(ServiceSpec {
            name: name.clone(),
            image,
            env,
            command,
            depends_on,
            healthcheck,
        });
    }
    let known: Vec<&str> = out.services.iter().map(|s| s.name.as_str()).collect();
    let deps = out
        .services
        .iter()
        .flat_map(|s| s.depends_on.iter())
        .chain(out.main_depends_on.iter());
    for (dep, _) in deps {
        if !known.contains(&dep.as_str()) {
            return Err(bad(format!(
                "depends_on names `{dep}`, which is not one of the other services"
            )));
        }
    }
    Ok(out)
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => interpolate(s),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn environment(v: &Value) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    match v {
        Value::Array(list) => {
            for item in list {
                let s = scalar(item);
                match s.split_once('=') {
                    Some((k, v)) => out.push((k.to_string(), v.to_string())),
                    // `- NAME` passes the host's value through: not something a task should need.
                    None => return Err(format!("`environment` entry `{s}` has no value")),
                }
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                out.push((k.clone(), scalar(v)));
            }
            out.sort();
        }
        _ => return Err("`environment` is not a list or a mapping".into()),
    }
    Ok(out)
}

fn depends_on(v: &Value) -> Result<Vec<(String, DependsOn)>, String> {
    match v {
        Value::Array(list) => Ok(list
            .iter()
            .map(|x| (scalar(x), DependsOn::Started))
            .collect()),
        Value::Object(map) => {
            let mut out = Vec::new();
            for (name, spec) in map {
                let cond = match spec.get("condition").and_then(Value::as_str) {
                    None | Some("service_started") => DependsOn::Started,
                    Some("service_healthy") => DependsOn::Healthy,
                    Some("service_completed_successfully") => DependsOn::CompletedSuccessfully,
                    Some(other) => {
                        return Err(format!("depends_on `{name}`: unknown condition `{other}`"))
                    }
                };
                if let Some(obj) = spec.as_object() {
                    if let Some(k) = obj.keys().find(|k| k.as_str() != "condition") {
                        return Err(format!(
                            "depends_on `{name}`: key `{k}` is not supported by tribench"
                        ));
                    }
                }
                out.push((name.clone(), cond));
            }
            Ok(out)
        }
        _ => Err("`depends_on` is not a list or a mapping".into()),
    }
}

fn build(v: &Value) -> Result<(String, String), String> {
    match v {
        Value::String(context) => Ok((context.clone(), "Dockerfile".into())),
        Value::Object(map) => {
            if let Some(k) = map
                .keys()
                .find(|k| !["context", "dockerfile"].contains(&k.as_str()))
            {
                return Err(format!("build key `{k}` is not supported by tribench"));
            }
            Ok((
                map.get("context").map(scalar).unwrap_or_else(|| ".".into()),
                map.get("dockerfile")
                    .map(scalar)
                    .unwrap_or_else(|| "Dockerfile".into()),
            ))
        }
        _ => Err("`build` is not a string or a mapping".into()),
    }
}

fn healthcheck(v: &Value) -> Result<HealthCheck, String> {
    let map = v
        .as_object()
        .ok_or_else(|| "`healthcheck` is not a mapping".to_string())?;
    let allowed = [
        "test",
        "interval",
        "timeout",
        "retries",
        "start_period",
        "disable",
    ];
    if let Some(k) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!(
            "healthcheck key `{k}` is not supported by tribench"
        ));
    }
    let test = if map.get("disable").and_then(Value::as_bool) == Some(true) {
        vec!["NONE".to_string()]
    } else {
        match map.get("test") {
            Some(Value::String(s)) => vec!["CMD-SHELL".to_string(), interpolate(s)],
            Some(Value::Array(a)) => a.iter().map(scalar).collect(),
            _ => return Err("healthcheck has no `test`".into()),
        }
    };
    let dur = |k: &str| -> Result<Option<Duration>, String> {
        match map.get(k) {
            None => Ok(None),
            Some(v) => parse_duration(&scalar(v))
                .map(Some)
                .ok_or_else(|| format!("healthcheck `{k}`: `{}` is not a duration", scalar(v))),
        }
    };
    let retries = match map.get("retries") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| format!("healthcheck `retries`: `{v}` is not a count"))?,
        ),
    };
    Ok(HealthCheck {
        test,
        interval: dur("interval")?,
        timeout: dur("timeout")?,
        retries,
        start_period: dur("start_period")?,
    })
}

/// Compose durations: `1m30s`, `10s`, `500ms`, `2h`.
fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(end);
        let n: f64 = num.parse().ok()?;
        let unit_end = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_end);
        let secs = match unit {
            "h" => n * 3600.0,
            "m" => n * 60.0,
            "s" => n,
            "ms" => n / 1000.0,
            "us" => n / 1e6,
            _ => return None,
        };
        total += Duration::try_from_secs_f64(secs).ok()?;
        rest = next;
    }
    Some(total)
}

/// A command string split into words as a shell would (quotes, no expansion).
fn split_command(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in interpolate(s).chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// `${VAR:-default}` takes the default; the Terminal-Bench harness's variables take its values.
fn interpolate(v: &str) -> String {
    let known = [
        ("T_BENCH_TEST_DIR", "/tests"),
        ("T_BENCH_CONTAINER_LOGS_PATH", "/logs"),
        ("T_BENCH_CONTAINER_AGENT_LOGS_PATH", "/agent-logs"),
    ];
    let mut out = String::new();
    let mut rest = v;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        match known.iter().find(|(k, _)| *k == name) {
            Some((_, val)) => out.push_str(val),
            None => out.push_str(default.unwrap_or("")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let p = d.path().join("docker-compose.yaml");
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
        (d, p)
    }

    #[test]
    fn services_conditions_and_health_checks_are_read() {
        let (_d, p) = write(
            "services:\n  main:\n    depends_on:\n      db:\n        condition: service_healthy\n    environment:\n      DB_HOST: db\n  db:\n    build: ./db\n    command: serve --port 5432 'a b'\n    environment:\n      - PASSWORD=${DB_PASSWORD:-secret}\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 1s\n      timeout: 1m30s\n      retries: 5\n",
        );
        let c = read(&p, "t", "main").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.main_env, vec![("DB_HOST".into(), "db".into())]);
        assert_eq!(c.main_depends_on, vec![("db".into(), DependsOn::Healthy)]);
        let db = &c.services[0];
        assert_eq!(db.name, "db");
        assert_eq!(
            db.command.as_deref(),
            Some(&["serve", "--port", "5432", "a b"].map(String::from)[..])
        );
        assert_eq!(db.env, vec![("PASSWORD".into(), "secret".into())]);
        let h = db
            .healthcheck
            .as_ref()
            .unwrap_or_else(|| panic!("no check"));
        assert_eq!(h.timeout, Some(Duration::from_secs(90)));
        assert_eq!(h.retries, Some(5));
        assert!(matches!(db.image, ImageSpec::Build { .. }));
    }

    #[test]
    fn an_unsupported_key_is_refused_naming_the_file_service_and_key() {
        let (_d, p) = write(
            "services:\n  main: {}\n  cache:\n    image: redis\n    ports: [\"6379:6379\"]\n",
        );
        let e = read(&p, "t", "main")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("docker-compose.yaml"), "{e}");
        assert!(e.contains("service `cache`: key `ports`"), "{e}");
        let (_d, p) = write("services:\n  main:\n    build: .\n");
        let e = read(&p, "t", "main")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("service `main`: key `build`"), "{e}");
        let (_d, p) = write("services:\n  main: {}\nvolumes:\n  data: {}\n");
        let e = read(&p, "t", "main")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("top-level key `volumes`"), "{e}");
    }
}
