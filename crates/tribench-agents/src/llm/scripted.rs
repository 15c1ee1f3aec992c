//! A local server speaking the OpenAI chat-completions protocol, replying from a script: the
//! stand-in for the model in tests (the model is the one thing tests may fake).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A completion with this assistant message and usage.
    Message {
        message: Value,
        prompt_tokens: u64,
        completion_tokens: u64,
    },
    /// An HTTP error, with an optional `Retry-After` in seconds.
    Status {
        status: u16,
        retry_after: Option<u64>,
        body: String,
    },
    /// Never answer within this time.
    Hang(Duration),
    /// Accept the request and never answer at all (the connection stays open).
    Silent,
    /// Status 200 and a body of this many bytes (a runaway reply).
    Huge(usize),
    /// Status 200 and the start of a completion, then the connection drops mid-body.
    CutOff,
    /// This status with this exact body (a proxy's HTML error page with 200, say).
    Raw { status: u16, body: String },
    /// A completion without a `usage` object, as some servers send.
    Unmetered { message: Value },
}

impl Reply {
    /// An assistant message calling one tool.
    pub fn tool(name: &str, arguments: Value) -> Reply {
        Reply::raw_tool(name, &arguments.to_string())
    }

    /// A tool call whose arguments are this exact text (for malformed JSON).
    pub fn raw_tool(name: &str, arguments: &str) -> Reply {
        Reply::Message {
            message: json!({"role": "assistant", "content": null, "tool_calls": [
                {"id": format!("call_{name}"), "type": "function", "function": {"name": name, "arguments": arguments}}
            ]}),
            prompt_tokens: 100,
            completion_tokens: 20,
        }
    }

    /// A plain assistant message (text mode, or a reply without a tool call).
    pub fn text(content: &str) -> Reply {
        Reply::Message {
            message: json!({"role": "assistant", "content": content}),
            prompt_tokens: 100,
            completion_tokens: 20,
        }
    }
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: Value,
    pub authorization: Option<String>,
}

struct Shared {
    script: Mutex<VecDeque<Reply>>,
    received: Mutex<Vec<Received>>,
}

/// A running scripted server on 127.0.0.1; stops when dropped.
pub struct ScriptedServer {
    pub base_url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl ScriptedServer {
    pub async fn start(script: Vec<Reply>) -> std::io::Result<ScriptedServer> {
        let shared = Arc::new(Shared {
            script: Mutex::new(script.into()),
            received: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(handle))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(ScriptedServer {
            base_url: format!("http://{addr}/v1"),
            shared,
            task,
        })
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let model = body.get("model").cloned().unwrap_or(Value::Null);
    if let Ok(mut r) = shared.received.lock() {
        r.push(Received {
            body,
            authorization,
        });
    }
    let next = shared.script.lock().ok().and_then(|mut s| s.pop_front());
    match next {
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the script has no more replies",
        )
            .into_response(),
        Some(Reply::CutOff) => {
            let chunks: Vec<Result<&'static str, std::io::Error>> = vec![
                Ok(r#"{"id": "chatcmpl-scripted", "choices": [{"index": 0, "mess"#),
                Err(std::io::Error::other(
                    "scripted: connection dropped mid-body",
                )),
            ];
            // The drop comes a moment after the first bytes, so the status line and the
            // headers are on the wire first (a cut-off body, not a refused request).
            let stream =
                futures_util::StreamExt::then(futures_util::stream::iter(chunks), |c| async move {
                    if c.is_err() {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    c
                });
            let body = axum::body::Body::from_stream(stream);
            let mut resp = Response::new(body);
            resp.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            );
            resp
        }
        Some(Reply::Raw { status, body }) => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (code, body).into_response()
        }
        Some(Reply::Silent) => std::future::pending().await,
        Some(Reply::Huge(len)) => {
            // Streamed in pieces so the server never holds it whole.
            let piece = vec![b' '; 64 * 1024];
            let chunks = (0..len.div_ceil(piece.len())).map(move |i| {
                let n = piece.len().min(len - i * piece.len());
                Ok::<_, std::io::Error>(axum::body::Bytes::copy_from_slice(&piece[..n]))
            });
            let body = axum::body::Body::from_stream(futures_util::stream::iter(chunks));
            let mut resp = Response::new(body);
            resp.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            );
            resp
        }
        Some(Reply::Hang(d)) => {
            tokio::time::sleep(d).await;
            (StatusCode::GATEWAY_TIMEOUT, "hung").into_response()
        }
        Some(Reply::Status {
            status,
            retry_after,
            body,
        }) => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut resp = (code, body).into_response();
            if let Some(s) = retry_after {
                if let Ok(v) = s.to_string().parse() {
                    resp.headers_mut().insert("retry-after", v);
                }
            }
            resp
        }
        Some(Reply::Unmetered { message }) => Json(json!({
            "id": "chatcmpl-scripted",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        }))
        .into_response(),
        Some(Reply::Message {
            message,
            prompt_tokens,
            completion_tokens,
        }) => {
            let finish = if message.get("tool_calls").is_some() {
                "tool_calls"
            } else {
                "stop"
            };
            Json(json!({
                "id": "chatcmpl-scripted",
                "object": "chat.completion",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens},
            }))
            .into_response()
        }
    }
}
