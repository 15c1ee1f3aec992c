//! CA certificates to trust in image builds and task containers (a TLS-intercepting proxy's):
//! read and checked before anything runs, so a missing or non-PEM file stops the run at once.

use std::path::{Path, PathBuf};

/// A certificate that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("CA certificate {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("CA certificate {}: not a PEM certificate (no BEGIN CERTIFICATE line)", path.display())]
    NotPem { path: PathBuf },
}

/// Reads `files` as (file name to install under, PEM bytes), in order: `NN-<stem>.crt`.
pub fn read_ca_certificates(files: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>, CertError> {
    files
        .iter()
        .enumerate()
        .map(|(i, f)| read_one(i, f))
        .collect()
}

fn read_one(i: usize, f: &Path) -> Result<(String, Vec<u8>), CertError> {
    let bytes = std::fs::read(f).map_err(|source| CertError::Unreadable {
        path: f.to_path_buf(),
        source,
    })?;
    if !String::from_utf8_lossy(&bytes).contains("-----BEGIN CERTIFICATE-----") {
        return Err(CertError::NotPem {
            path: f.to_path_buf(),
        });
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
    Ok((format!("{i:02}-{stem}.crt"), bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn certificates_are_named_in_order_and_checked() {
        let d = tempfile::tempdir().unwrap();
        let pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        std::fs::write(d.path().join("corp proxy.pem"), pem).unwrap();
        std::fs::write(d.path().join("b.crt"), pem).unwrap();
        std::fs::write(d.path().join("junk.pem"), "hello\n").unwrap();
        let got = read_ca_certificates(&[d.path().join("corp proxy.pem"), d.path().join("b.crt")])
            .unwrap();
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["00-corp-proxy.crt", "01-b.crt"]);
        assert_eq!(got[0].1, pem.as_bytes());
        let err = read_ca_certificates(&[d.path().join("junk.pem")])
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("junk.pem: not a PEM certificate (no BEGIN CERTIFICATE line)"),
            "{err}"
        );
        let err = read_ca_certificates(&[d.path().join("none.pem")])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("CA certificate ") && err.contains("none.pem: "),
            "{err}"
        );
    }
}
