//! CA certificates handed to image builds and task containers, for sites behind a
//! TLS-intercepting proxy: without them `apt`, `pip` and `uv` fail their certificate checks.
//! Builds get the certificates in their context and a step after every `FROM` that installs
//! them; containers of images we did not build get them installed at start. Both set the
//! variables the usual tools read (`SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE`, `PIP_CERT`).

use super::DockerBackend;

/// Where the certificates go in an image (the folder `update-ca-certificates` reads).
pub(crate) const CERT_DIR: &str = "/usr/local/share/ca-certificates/tribench";
/// The bundle the variables point at.
pub(crate) const BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
/// The build context folder holding the certificates.
const CONTEXT_DIR: &str = ".tribench-ca";

/// Installs the certificates in `CERT_DIR` into the system bundle: with
/// `update-ca-certificates` when the image has it, else appended to the bundle.
pub(crate) fn install_script() -> String {
    format!(
        "if command -v update-ca-certificates >/dev/null 2>&1; then update-ca-certificates >/dev/null 2>&1; fi; \
         for c in {CERT_DIR}/*.crt; do grep -qF \"$(sed -n 2p \"$c\")\" {BUNDLE} 2>/dev/null || {{ mkdir -p /etc/ssl/certs && cat \"$c\" >> {BUNDLE}; }}; done"
    )
}

/// The variables that make the usual tools use the bundle.
pub(crate) fn env() -> Vec<(String, String)> {
    [
        "SSL_CERT_FILE",
        "REQUESTS_CA_BUNDLE",
        "PIP_CERT",
        "CURL_CA_BUNDLE",
    ]
    .iter()
    .map(|k| (k.to_string(), BUNDLE.to_string()))
    .collect()
}

impl DockerBackend {
    /// Trusts these CA certificates (file name, PEM bytes) in image builds and containers.
    pub fn trust_ca_certificates(&self, certs: Vec<(String, Vec<u8>)>) {
        *self.ca_certs.lock().unwrap_or_else(|p| p.into_inner()) = certs;
    }

    pub(crate) fn ca_certificates(&self) -> Vec<(String, Vec<u8>)> {
        self.ca_certs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// The build context's extra files for `certs`.
pub(crate) fn context_files(certs: &[(String, Vec<u8>)]) -> Vec<(String, Vec<u8>)> {
    certs
        .iter()
        .map(|(name, bytes)| (format!("{CONTEXT_DIR}/{name}"), bytes.clone()))
        .collect()
}

/// The Dockerfile with an install step after every `FROM` (except `FROM scratch`, which has no
/// shell to run it).
pub(crate) fn dockerfile_with_certificates(dockerfile: &str) -> String {
    let env: Vec<String> = env().iter().map(|(k, v)| format!("{k}={v}")).collect();
    let step = format!(
        "COPY {CONTEXT_DIR}/ {CERT_DIR}/\nRUN {}\nENV {}",
        install_script(),
        env.join(" ")
    );
    let mut out = String::new();
    for line in dockerfile.lines() {
        out.push_str(line);
        out.push('\n');
        let mut words = line.split_whitespace();
        let is_from = words.next().is_some_and(|w| w.eq_ignore_ascii_case("FROM"));
        let image = words.find(|w| !w.starts_with("--"));
        if is_from && !line.trim_end().ends_with('\\') && image.is_some_and(|i| i != "scratch") {
            out.push_str(&step);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_but_scratch_gets_the_certificates() {
        let df = "FROM debian:bookworm AS build\nRUN make\nFROM scratch\nCOPY --from=build /x /x\nfrom python:3.12\n";
        let out = dockerfile_with_certificates(df);
        assert_eq!(out.matches("COPY .tribench-ca/").count(), 2, "{out}");
        let after_scratch = out.split("FROM scratch\n").nth(1).unwrap_or_default();
        assert!(after_scratch.starts_with("COPY --from=build"), "{out}");
        assert!(out.contains("ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"));
    }
}
