//! A client for OpenAI-compatible chat completions (vLLM, SGLang, Ollama, llama.cpp server,
//! hosted APIs): retries with backoff on 429, 5xx, timeouts and dropped connections (honouring
//! `Retry-After`), a per-endpoint concurrency limit that shrinks while the endpoint rate-limits,
//! and token usage per call. The API key is read from an environment variable and never stored
//! anywhere else.

use serde::Serialize;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tribench_types::Sampling;

/// Seconds one model request may take unless configured otherwise (`--request-timeout`).
pub const DEFAULT_REQUEST_TIMEOUT_SEC: u64 = 600;

/// The largest model reply read unless configured otherwise: far above any real completion
/// (a 128k-token reply is well under 1 MiB of JSON).
pub const MAX_REPLY_BYTES: usize = 16 * 1024 * 1024;

/// Most tokens one call's usage may count: far past any context window; a larger count is
/// garbage from the endpoint and leaves the call's usage unknown.
pub const MAX_CALL_TOKENS: u64 = 1_000_000_000;

/// How to reach a model and sample from it: built in code by the agent builder and by tests
/// (no file holds it; the models file is `tribench_analysis::ModelEntry`).
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// e.g. `http://gpu-box:8000/v1`; `/chat/completions` is appended.
    pub base_url: String,
    pub model: String,
    /// Name of the environment variable holding the API key (the key itself is never written).
    pub api_key_env: Option<String>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u64>,
    pub seed: Option<u64>,
    /// Extra fields merged into every request body (e.g. `{"chat_template_kwargs": {...}}`).
    pub extra_body: serde_json::Map<String, Value>,
    /// Seconds one request may take (default 600): a request still unanswered then is
    /// retried, and counts as the endpoint's failure, never the agent's.
    pub request_timeout_sec: u64,
    /// Bytes of one reply read at most (default 16 MiB); a longer reply is the endpoint's
    /// failure, not buffered.
    pub max_reply_bytes: usize,
    /// Retries of a request that failed for a reason worth retrying (default 4).
    pub max_retries: u32,
    /// Requests in flight to this endpoint at once (default 8).
    pub concurrency: usize,
    /// USD per million prompt, completion and cached prompt tokens.
    pub price_input_per_mtok: Option<f64>,
    pub price_output_per_mtok: Option<f64>,
    pub price_cached_per_mtok: Option<f64>,
}

impl ModelConfig {
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        ModelConfig {
            base_url: base_url.into(),
            model: model.into(),
            api_key_env: None,
            temperature: None,
            top_p: None,
            max_tokens: None,
            seed: None,
            extra_body: Default::default(),
            request_timeout_sec: DEFAULT_REQUEST_TIMEOUT_SEC,
            max_reply_bytes: MAX_REPLY_BYTES,
            max_retries: 4,
            concurrency: 8,
            price_input_per_mtok: None,
            price_output_per_mtok: None,
            price_cached_per_mtok: None,
        }
    }

    /// The sampling parameters as recorded in the run manifest.
    pub fn sampling(&self) -> Sampling {
        Sampling {
            extra_body: serde_json::to_string(&self.extra_body)
                .ok()
                .and_then(|t| serde_json::value::RawValue::from_string(t).ok()),
            max_tokens: self.max_tokens,
            seed: self.seed,
            temperature: self.temperature,
            top_p: self.top_p,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The model's context cannot hold the conversation.
    #[error("the model's context is exhausted: {0}")]
    ContextExhausted(String),
    /// A 4xx other than a context overflow or a rate limit.
    #[error("the model endpoint refused the request ({status}): {body}")]
    Rejected { status: u16, body: String },
    /// Unreachable, timed out, 5xx, rate-limited or a broken reply on every attempt.
    #[error("the model endpoint failed {attempts} times; last: {last}")]
    GaveUp { attempts: u32, last: String },
    #[error("the model endpoint sent a reply that is not a chat completion: {0}")]
    BadReply(String),
    /// A reply longer than [`ModelConfig::max_reply_bytes`]: reading stopped there.
    #[error("the model endpoint sent a reply of more than {limit} bytes ({status}); reading stopped there (a runaway generation? --max-tokens caps a reply)")]
    TooLarge { status: u16, limit: usize },
}

impl ClientError {
    /// A refusal no retry and no other trial can get past: a bad or missing key (401, 403), a
    /// model (or path) the endpoint does not serve (404), or a request it rejects as invalid
    /// (400, 422 and the other 4xx; a context overflow is [`ClientError::ContextExhausted`]).
    /// The same request would be refused on every trial.
    pub fn is_fatal(&self) -> bool {
        matches!(self, ClientError::Rejected { status, .. } if (400..500).contains(status))
    }

    /// The endpoint, not the agent, failed: unreachable, broken, or refusing for good.
    pub fn is_endpoint_failure(&self) -> bool {
        self.is_fatal()
            || matches!(
                self,
                ClientError::GaveUp { .. }
                    | ClientError::BadReply(_)
                    | ClientError::TooLarge { .. }
            )
    }
}

pub use tribench_types::CallUsage;

/// One completion: the assistant message as sent, and what it cost.
#[derive(Debug, Clone)]
pub struct Completion {
    pub message: Value,
    pub finish_reason: Option<String>,
    pub usage: CallUsage,
    /// Whether the reply said how many tokens it used (some servers send no `usage`).
    pub usage_reported: bool,
    pub cost_usd: f64,
    /// Whether `cost_usd` comes from configured prices (a zero is then a real zero).
    pub priced: bool,
    /// Attempts the call took (1 without retries).
    pub attempts: u32,
}

/// The request body, borrowing the conversation. Extra fields are merged at the top level.
#[derive(Serialize)]
struct RequestBody<'a> {
    model: &'a str,
    messages: &'a [Value],
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    #[serde(flatten)]
    extra: &'a serde_json::Map<String, Value>,
}

/// A client for one endpoint, shared by every trial of a run.
pub struct ChatClient {
    http: reqwest::Client,
    config: ModelConfig,
    api_key: Option<String>,
    limiter: Arc<Semaphore>,
    /// Permits taken away while the endpoint rate-limits; given back on success.
    withheld: AtomicUsize,
}

/// Whether an error body says the conversation does not fit the model's context: OpenAI's
/// `error.code` `context_length_exceeded` (sent with status 400), or the wording vLLM, SGLang,
/// llama.cpp and others use in their messages.
fn looks_like_context_overflow(body: &str) -> bool {
    let code = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        v.get("error")
            .and_then(|e| e.get("code"))
            .and_then(Value::as_str)
            .map(String::from)
    });
    if code.as_deref() == Some("context_length_exceeded") {
        return true;
    }
    let b = body.to_ascii_lowercase();
    [
        "context length",
        "context_length",
        "maximum context",
        "context window",
        "too many tokens",
        "prompt is too long",
    ]
    .iter()
    .any(|p| b.contains(p))
}

impl ChatClient {
    pub fn new(config: ModelConfig) -> Result<ChatClient, ClientError> {
        let api_key = match &config.api_key_env {
            Some(var) => Some(std::env::var(var).map_err(|_| ClientError::Rejected {
                status: 0,
                body: format!("environment variable {var} (the API key) is not set"),
            })?),
            None => None,
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.request_timeout_sec))
            .build()
            .map_err(|e| ClientError::BadReply(e.to_string()))?;
        Ok(ChatClient {
            http,
            limiter: Arc::new(Semaphore::new(config.concurrency.max(1))),
            withheld: AtomicUsize::new(0),
            api_key,
            config,
        })
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    fn cost(&self, u: &CallUsage) -> f64 {
        match (
            self.config.price_input_per_mtok,
            self.config.price_output_per_mtok,
        ) {
            (Some(pi), Some(po)) => tribench_types::token_cost(
                u.prompt_tokens,
                u.completion_tokens,
                u.cached_tokens,
                pi,
                po,
                self.config.price_cached_per_mtok,
            ),
            _ => 0.0,
        }
    }

    /// Sends `messages` (and `tools`, when given) and returns the first choice.
    pub async fn chat(
        &self,
        messages: &[Value],
        tools: Option<&Value>,
    ) -> Result<Completion, ClientError> {
        self.chat_seeded(messages, tools, self.config.seed).await
    }

    /// [`ChatClient::chat`] with the request's seed given (the trial's), not the configured one.
    pub async fn chat_seeded(
        &self,
        messages: &[Value],
        tools: Option<&Value>,
        seed: Option<u64>,
    ) -> Result<Completion, ClientError> {
        // Serialised once from borrowed data: the history is not copied on every call.
        let body = serde_json::to_vec(&RequestBody {
            model: &self.config.model,
            messages,
            tools,
            temperature: self.config.temperature,
            top_p: self.config.top_p,
            max_tokens: self.config.max_tokens,
            seed,
            extra: &self.config.extra_body,
        })
        .map_err(|e| ClientError::BadReply(format!("cannot encode the request: {e}")))?;
        let url = format!(
            "{}/chat/completions",
            self.config.base_url.trim_end_matches('/')
        );
        let mut last = String::new();
        for attempt in 1..=self.config.max_retries + 1 {
            let permit = self
                .limiter
                .acquire()
                .await
                .map_err(|e| ClientError::BadReply(e.to_string()))?;
            let mut req = self
                .http
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
            if let Some(key) = &self.api_key {
                req = req.bearer_auth(key);
            }
            let sent = req.send().await;
            drop(permit);
            let wait = match sent {
                Err(e) => {
                    last = if e.is_timeout() {
                        "request timed out".into()
                    } else {
                        format!("request failed: {}", error_chain(&e))
                    };
                    None
                }
                Ok(resp) => {
                    let status = resp.status();
                    let retry_after = resp
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<f64>().ok())
                        .map(|s| Duration::from_secs_f64(s.clamp(0.0, 300.0)));
                    // A body cut off mid-way is a dropped connection: retried, never read as an
                    // empty reply.
                    let text = match read_capped(resp, self.config.max_reply_bytes).await {
                        Ok(Some(t)) => t,
                        Ok(None) => {
                            return Err(ClientError::TooLarge {
                                status: status.as_u16(),
                                limit: self.config.max_reply_bytes,
                            })
                        }
                        Err(e) => {
                            last = format!(
                                "the reply ({status}) was cut off: {}",
                                if e.is_timeout() {
                                    "timed out".to_string()
                                } else {
                                    error_chain(&e)
                                }
                            );
                            self.backoff(attempt, None).await;
                            continue;
                        }
                    };
                    if status.is_success() {
                        match self.parse(&text, attempt) {
                            Ok(c) => {
                                self.recover();
                                return Ok(c);
                            }
                            // Not JSON at all: a proxy's error page or a truncated stream.
                            Err(Unparsed::NotJson(why)) => {
                                last = format!("the reply ({status}) is not JSON: {why}");
                                None
                            }
                            Err(Unparsed::Shape(why)) => return Err(ClientError::BadReply(why)),
                        }
                    } else if status.as_u16() == 429 {
                        self.slow_down();
                        last = format!("429 rate limited: {}", truncate(&text, 300));
                        retry_after
                    } else if status.is_server_error() {
                        last = format!("{status}: {}", truncate(&text, 300));
                        retry_after
                    } else if status.as_u16() == 408 {
                        // The server's own request timeout: worth another attempt.
                        last = format!("{status}: {}", truncate(&text, 300));
                        retry_after
                    } else if looks_like_context_overflow(&text) || status.as_u16() == 413 {
                        return Err(ClientError::ContextExhausted(truncate(&text, 500)));
                    } else {
                        return Err(ClientError::Rejected {
                            status: status.as_u16(),
                            body: truncate(&text, 1000),
                        });
                    }
                }
            };
            self.backoff(attempt, wait).await;
        }
        Err(ClientError::GaveUp {
            attempts: self.config.max_retries + 1,
            last,
        })
    }

    /// Waits before the next attempt (none after the last one): `Retry-After` when the server
    /// sent one, else exponential backoff from half a second, capped at 30 s.
    async fn backoff(&self, attempt: u32, wait: Option<Duration>) {
        if attempt <= self.config.max_retries {
            let backoff = Duration::from_millis(500u64.saturating_mul(1 << (attempt - 1).min(6)))
                .min(Duration::from_secs(30));
            tokio::time::sleep(wait.unwrap_or(backoff)).await;
        }
    }

    fn parse(&self, text: &str, attempts: u32) -> Result<Completion, Unparsed> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| Unparsed::NotJson(format!("{e}: {}", truncate(text, 300))))?;
        let choice = v
            .get("choices")
            .and_then(|c| c.get(0))
            .ok_or_else(|| Unparsed::Shape(format!("no choices: {}", truncate(text, 300))))?;
        let message = choice
            .get("message")
            .cloned()
            .ok_or_else(|| Unparsed::Shape("no message".into()))?;
        let u = v.get("usage").cloned().unwrap_or(Value::Null);
        // A count is a whole number of tokens no call could exceed; anything else (negative,
        // fractional, 1e30) makes the call's usage unknown rather than a made-up 0.
        let count = |x: Option<&Value>| x.and_then(Value::as_u64).filter(|n| *n <= MAX_CALL_TOKENS);
        let (prompt, completion) = (
            count(u.get("prompt_tokens")),
            count(u.get("completion_tokens")),
        );
        let cached_field = u
            .get("prompt_tokens_details")
            .and_then(|d| d.get("cached_tokens"));
        let cached = match cached_field.filter(|c| !c.is_null()) {
            None => Some(0),
            Some(c) => count(Some(c)),
        };
        let usage = CallUsage {
            prompt_tokens: prompt.unwrap_or(0),
            completion_tokens: completion.unwrap_or(0),
            cached_tokens: cached.unwrap_or(0),
        };
        let usage_reported =
            u.is_object() && prompt.is_some() && completion.is_some() && cached.is_some();
        Ok(Completion {
            message,
            finish_reason: choice
                .get("finish_reason")
                .and_then(Value::as_str)
                .map(String::from),
            cost_usd: self.cost(&usage),
            priced: self.config.price_input_per_mtok.is_some()
                && self.config.price_output_per_mtok.is_some(),
            usage,
            usage_reported,
            attempts,
        })
    }

    /// While the endpoint rate-limits, fewer requests go out at once (never fewer than one).
    fn slow_down(&self) {
        if self.limiter.available_permits() > 0
            && self.withheld.load(Ordering::SeqCst) + 1 < self.config.concurrency
        {
            if let Ok(p) = self.limiter.clone().try_acquire_owned() {
                p.forget();
                self.withheld.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    fn recover(&self) {
        if self.withheld.load(Ordering::SeqCst) > 0 {
            self.withheld.fetch_sub(1, Ordering::SeqCst);
            self.limiter.add_permits(1);
        }
    }

    /// Requests that may be in flight at once right now.
    pub fn current_concurrency(&self) -> usize {
        self.config.concurrency.max(1) - self.withheld.load(Ordering::SeqCst)
    }
}

/// The body of `resp` as text (lossy UTF-8), read piece by piece: `None` once it passes
/// `limit` bytes (announced by `Content-Length` or read), so a runaway reply is never buffered.
async fn read_capped(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<Option<String>, reqwest::Error> {
    if resp
        .content_length()
        .is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX))
    {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(String::from_utf8_lossy(&body).into_owned()))
}

/// Why a 2xx body is not a completion: not JSON at all (retried like a dropped connection), or
/// JSON of another shape (not retried: the server means it).
enum Unparsed {
    NotJson(String),
    Shape(String),
}

/// A reqwest error with its causes (`connection refused`, a DNS or TLS failure), which its own
/// message leaves out. reqwest's errors can carry the URL; endpoints are not secrets, but keys in
/// query strings would be, so the URL is left out.
fn error_chain(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(&format!(" ({})", u.as_str()), "");
        s = s.replace(u.as_str(), "<endpoint>");
    }
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
        source = cause.source();
    }
    s
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
