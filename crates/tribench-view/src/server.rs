//! The server: every GET path goes to [`Site::render`]; `/events` is the Live feed
//! (server-sent events with each run's progress, sent when it changes). On a non-loopback host
//! every request needs the token: `?token=` once (it is then kept in a cookie), or an
//! `Authorization: Bearer` header. Pages are sent with a content security policy that allows
//! only our own script and stylesheet.

use crate::{Site, ViewError};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub host: IpAddr,
    /// 0: any free port.
    pub port: u16,
    /// Required on non-loopback hosts; `None` there generates one.
    pub token: Option<String>,
    /// How often the Live feed looks at the runs.
    pub live_interval: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 0,
            token: None,
            live_interval: Duration::from_millis(500),
        }
    }
}

/// A server that is listening.
pub struct Served {
    pub addr: SocketAddr,
    /// The token requests need, if any.
    pub token: Option<String>,
    /// The address to open, with the token when there is one.
    pub url: String,
    /// Resolves when the server stops.
    pub task: tokio::task::JoinHandle<()>,
}

struct AppState {
    site: Site,
    token: Option<String>,
    live_interval: Duration,
}

/// Binds and starts serving `site` in the background.
pub async fn serve(site: Site, opts: ServeOptions) -> Result<Served, ViewError> {
    let token = if opts.host.is_loopback() {
        opts.token
    } else {
        Some(match opts.token {
            Some(t) if t.len() >= 16 => t,
            Some(_) => return Err(ViewError::TokenRequired(opts.host.to_string())),
            None => new_token()?,
        })
    };
    let state = Arc::new(AppState {
        site,
        token: token.clone(),
        live_interval: opts.live_interval,
    });
    let app = Router::new()
        .route("/events", get(events))
        .fallback(get(page))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state);
    let addr = SocketAddr::new(opts.host, opts.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ViewError::Listen {
            addr: addr.to_string(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ViewError::Listen {
        addr: addr.to_string(),
        source,
    })?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("tribench view server stopped: {e}");
        }
    });
    let url = match &token {
        Some(t) => format!("http://{addr}/?token={t}"),
        None => format!("http://{addr}/"),
    };
    Ok(Served {
        addr,
        token,
        url,
        task,
    })
}

/// 128 random bits from the kernel, in hex.
fn new_token() -> Result<String, ViewError> {
    use std::io::Read;
    let mut buf = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|source| ViewError::Io {
            path: "/dev/urandom".into(),
            source,
        })?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Equal-time comparison, so the token cannot be guessed byte by byte from response times.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

const COOKIE: &str = "tribench_view_token";

async fn guard(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let Some(token) = state.token.as_deref() else {
        return secured(next.run(req).await);
    };
    let from_query = req.uri().query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("token="))
            .map(String::from)
    });
    let from_header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(String::from);
    let from_cookie = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(&format!("{COOKIE}="))
                .map(String::from)
        });
    let query_ok = from_query.as_deref().is_some_and(|t| same(t, token));
    let ok = query_ok
        || from_header.as_deref().is_some_and(|t| same(t, token))
        || from_cookie.as_deref().is_some_and(|t| same(t, token));
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            "tribench view: this server needs its token (open the address it printed)\n",
        )
            .into_response();
    }
    let mut resp = secured(next.run(req).await);
    if query_ok {
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
        )) {
            resp.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    resp
}

fn secured(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

async fn page(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let site = state.site.clone();
    let rendered = tokio::task::spawn_blocking(move || site.render_cached(&path)).await;
    match rendered {
        Ok(Ok(Some(p))) => {
            let mut resp = Response::new(Body::from(p.body));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(p.content_type),
            );
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Ok(Ok(None)) => (StatusCode::NOT_FOUND, "not found\n").into_response(),
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

/// The Live feed: a JSON object `{run key: progress}` whenever any run's progress changes.
async fn events(
    State(state): State<Arc<AppState>>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let stream = futures_util::stream::unfold(
        (state, None::<String>, true),
        |(state, last, first)| async move {
            loop {
                if !first || last.is_some() {
                    tokio::time::sleep(state.live_interval).await;
                }
                let site = state.site.clone();
                let now = tokio::task::spawn_blocking(move || {
                    let map: serde_json::Map<String, serde_json::Value> = site
                        .progress()
                        .into_iter()
                        .filter_map(|(k, p)| Some((k, serde_json::to_value(p).ok()?)))
                        .collect();
                    serde_json::Value::Object(map).to_string()
                })
                .await
                .unwrap_or_default();
                if last.as_deref() != Some(now.as_str()) {
                    let ev = Event::default().data(now.clone());
                    return Some((Ok(ev), (state, Some(now), false)));
                }
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
