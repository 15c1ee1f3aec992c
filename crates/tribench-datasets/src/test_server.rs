//! A static HTTP server of the Hugging Face download layout for tests: `GET
//! /datasets/{owner}/{name}/resolve/{revision}/{path}` serves `<root>/{owner}/{name}/{path}`,
//! honours `Range: bytes=N-`, answers `X-Repo-Commit`, records each request, and can cut the
//! next response off after some bytes (a dropped connection, for resume tests).

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::Response;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// One request the server saw: the path and the Range header, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub range: Option<String>,
}

#[derive(Default)]
struct State {
    root: PathBuf,
    commit: String,
    cut_after: Mutex<Option<usize>>,
    seen: Mutex<Vec<Seen>>,
}

/// A running server; it stops when dropped.
pub struct StaticServer {
    /// `http://127.0.0.1:PORT`: what `HF_ENDPOINT` is set to.
    pub endpoint: String,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl StaticServer {
    /// Serves `root` on a free local port; `commit` is sent as `X-Repo-Commit`.
    pub async fn start(root: PathBuf, commit: &str) -> std::io::Result<StaticServer> {
        let state = Arc::new(State {
            root,
            commit: commit.to_string(),
            ..State::default()
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let s = state.clone();
        let app = axum::Router::new().fallback(
            move |method: axum::http::Method, uri: Uri, headers: HeaderMap| {
                let s = s.clone();
                async move { serve(&s, &method, &uri, &headers) }
            },
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(StaticServer {
            endpoint,
            state,
            task,
        })
    }

    /// The next file response sends only `bytes` bytes of its body, then drops the connection.
    pub fn cut_next_after(&self, bytes: usize) {
        *self
            .state
            .cut_after
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(bytes);
    }

    /// The GET requests served so far (file transfers).
    pub fn gets(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.method == "GET")
            .collect()
    }

    /// The requests served so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn status(code: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = code;
    r
}

fn serve(s: &State, method: &axum::http::Method, uri: &Uri, headers: &HeaderMap) -> Response {
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    s.seen.lock().unwrap_or_else(|e| e.into_inner()).push(Seen {
        method: method.to_string(),
        path: uri.path().to_string(),
        range: range.clone(),
    });
    // /datasets/{owner}/{name}/resolve/{revision}/{path...}
    let Some(rest) = uri.path().strip_prefix("/datasets/") else {
        return status(StatusCode::NOT_FOUND);
    };
    let Some((repo, after)) = rest.split_once("/resolve/") else {
        return status(StatusCode::NOT_FOUND);
    };
    let Some((_revision, path)) = after.split_once('/') else {
        return status(StatusCode::NOT_FOUND);
    };
    if path.split('/').any(|c| c == ".." || c.is_empty()) {
        return status(StatusCode::BAD_REQUEST);
    }
    let Ok(data) = std::fs::read(s.root.join(repo).join(path)) else {
        return status(StatusCode::NOT_FOUND);
    };
    let start = match range.as_deref().and_then(|r| r.strip_prefix("bytes=")) {
        Some(r) => match r.trim_end_matches('-').parse::<usize>() {
            Ok(n) if n < data.len() => Some(n),
            Ok(_) => return status(StatusCode::RANGE_NOT_SATISFIABLE),
            Err(_) => return status(StatusCode::BAD_REQUEST),
        },
        None => None,
    };
    let from = start.unwrap_or(0);
    let body = data[from..].to_vec();
    let len = body.len();
    let cut = match *method == axum::http::Method::GET {
        true => s.cut_after.lock().unwrap_or_else(|e| e.into_inner()).take(),
        false => None,
    };
    let body = match cut {
        Some(n) if n < len => {
            // The head, then one pending poll (so the server flushes what it has), then an
            // error: the connection drops mid-body.
            let mut head = Some(Bytes::from(body[..n].to_vec()));
            let mut flushed = false;
            Body::from_stream(futures_util::stream::poll_fn(move |cx| {
                use std::task::Poll;
                if let Some(h) = head.take() {
                    return Poll::Ready(Some(Ok(h)));
                }
                if !flushed {
                    flushed = true;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Poll::Ready(Some(Err(std::io::Error::other(
                    "connection cut by the test",
                ))))
            }))
        }
        _ => Body::from(body),
    };
    let mut r = Response::new(body);
    *r.status_mut() = if start.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let h = r.headers_mut();
    h.insert(header::CONTENT_LENGTH, len.into());
    if let Ok(v) = s.commit.parse() {
        h.insert("x-repo-commit", v);
    }
    if start.is_some() {
        if let Ok(v) = format!("bytes {from}-{}/{}", data.len() - 1, data.len()).parse() {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    r
}
