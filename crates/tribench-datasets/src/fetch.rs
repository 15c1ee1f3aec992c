//! One file over HTTP into the cache: appended to `<dest>.part` (resumed with a Range request
//! when a part is already there), checked against its sha256, then renamed to `<dest>`.

use crate::DatasetError;
use sha2::{Digest, Sha256};
use std::path::Path;
use tokio::io::AsyncWriteExt;

/// What a finished download is.
pub(crate) struct Fetched {
    pub sha256: String,
    /// The commit the server says the revision resolved to (`X-Repo-Commit`), if it says.
    pub commit: Option<String>,
}

/// sha256 of a file, in hex.
pub(crate) fn sha256_file(path: &Path) -> Result<String, DatasetError> {
    let mut f = std::fs::File::open(path).map_err(DatasetError::io(path))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(DatasetError::io(path))?;
    Ok(hex::encode(h.finalize()))
}

/// Downloads `url` to `dest`, resuming `<dest>.part`. A file whose sha256 differs from
/// `expected` is removed (so the next pull starts over) and nothing is put at `dest`.
pub(crate) async fn download(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    dest: &Path,
    expected: Option<&str>,
) -> Result<Fetched, DatasetError> {
    let part = dest.with_file_name(format!(
        "{}.part",
        dest.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    if let Some(parent) = part.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(DatasetError::io(parent))?;
    }
    let have = tokio::fs::metadata(&part)
        .await
        .map(|m| m.len())
        .unwrap_or(0);
    let failed = |message: String| DatasetError::Download {
        url: url.to_string(),
        message,
    };
    let mut req = client.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if have > 0 {
        req = req.header(reqwest::header::RANGE, format!("bytes={have}-"));
    }
    let mut resp = req.send().await.map_err(|e| failed(e.to_string()))?;
    let status = resp.status().as_u16();
    let commit = resp
        .headers()
        .get("x-repo-commit")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let append = match status {
        206 => true,
        // The server ignored the range (or there was none): start over.
        200 => false,
        // The part already holds the whole file.
        416 if have > 0 => {
            return finish(&part, dest, url, expected, commit);
        }
        _ => {
            return Err(DatasetError::Http {
                url: url.to_string(),
                status,
            })
        }
    };
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(&part)
        .await
        .map_err(DatasetError::io(&part))?;
    loop {
        match resp.chunk().await {
            Ok(Some(bytes)) => file
                .write_all(&bytes)
                .await
                .map_err(DatasetError::io(&part))?,
            Ok(None) => break,
            Err(e) => {
                // Keep what arrived: the next pull asks for the rest.
                let _ = file.flush().await;
                return Err(failed(format!("the transfer was cut off: {e}")));
            }
        }
    }
    file.flush().await.map_err(DatasetError::io(&part))?;
    file.sync_all().await.map_err(DatasetError::io(&part))?;
    drop(file);
    finish(&part, dest, url, expected, commit)
}

fn finish(
    part: &Path,
    dest: &Path,
    url: &str,
    expected: Option<&str>,
    commit: Option<String>,
) -> Result<Fetched, DatasetError> {
    let actual = sha256_file(part)?;
    if let Some(exp) = expected {
        if !exp.eq_ignore_ascii_case(&actual) {
            let _ = std::fs::remove_file(part);
            return Err(DatasetError::ChecksumMismatch {
                what: url.to_string(),
                expected: exp.to_string(),
                actual,
            });
        }
    }
    std::fs::rename(part, dest).map_err(DatasetError::io(dest))?;
    Ok(Fetched {
        sha256: actual,
        commit,
    })
}
