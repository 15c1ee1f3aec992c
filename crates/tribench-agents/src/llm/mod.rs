//! The `llm` scaffold: a model behind an OpenAI-compatible API working in the sandbox through a
//! few tools (`bash`, `read_file`, `write_file`, `str_replace`, `submit`), natively as tool calls
//! or, for models without them, as one fenced bash block per reply. One loop for every family.

mod client;
mod replay;
#[cfg(feature = "scripted-server")]
pub mod scripted;
mod tools;

pub use client::{CallUsage, ChatClient, ClientError, Completion, ModelConfig};
pub use replay::{replayable, ReplayAgent};

use crate::{Agent, AgentError, AgentSession, AgentTask, TurnOutcome};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Instant;
use tribench_sandbox::Sandbox;
use tribench_types::{
    ActionResult, LlmFormat, LlmTrajectory, ModelInfo, Observation, Outcome, Step, StepTiming,
    Trajectory, Usage,
};

/// How the model acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Native tool calls.
    Tools,
    /// One fenced ```bash block per reply; a block holding only `submit` ends the turn.
    Text,
    /// A persistent terminal the model types into and reads (`send_keys`, `read_screen`), so
    /// interactive programs work. Needs a container sandbox.
    Interactive,
}

/// Limits on one trial; each is recorded as `limit_reached` when hit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Limits {
    pub max_steps: u32,
    pub max_total_tokens: u64,
    pub max_cost_usd: f64,
    /// Malformed replies in a row before the trial ends as `malformed_response`.
    pub max_malformed: u32,
    /// Seconds one bash command may run.
    pub command_timeout_sec: u64,
    /// Characters of command output shown to the model (head and tail kept).
    pub observation_chars: usize,
    /// When the context overflows, replace the oldest command outputs with a marker and go on,
    /// instead of ending the trial as `context_exhausted`.
    #[serde(default)]
    pub trim_history: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_steps: 100,
            max_total_tokens: 2_000_000,
            max_cost_usd: 5.0,
            max_malformed: 3,
            command_timeout_sec: 180,
            observation_chars: 10_000,
            trim_history: false,
        }
    }
}

/// The two prompt templates. `{{instruction}}` in the instance template is the task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Prompts {
    pub system: String,
    pub instance: String,
}

impl Default for Prompts {
    fn default() -> Self {
        Prompts {
            system: include_str!("prompts/system.md").to_string(),
            instance: include_str!("prompts/instance.md").to_string(),
        }
    }
}

impl Prompts {
    /// Reads `system.md` and `instance.md` from `dir`, keeping the default for a missing one.
    pub fn from_dir(dir: &std::path::Path) -> std::io::Result<Prompts> {
        let d = Prompts::default();
        let read = |f: &str, default: String| match std::fs::read_to_string(dir.join(f)) {
            Ok(s) => Ok(s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(default),
            Err(e) => Err(e),
        };
        Ok(Prompts {
            system: read("system.md", d.system)?,
            instance: read("instance.md", d.instance)?,
        })
    }
}

/// The `llm` agent, configured once per run.
pub struct LlmAgent {
    client: Arc<ChatClient>,
    mode: Mode,
    limits: Limits,
    prompts: Prompts,
}

impl LlmAgent {
    pub fn new(client: Arc<ChatClient>, mode: Mode, limits: Limits, prompts: Prompts) -> Self {
        LlmAgent {
            client,
            mode,
            limits,
            prompts,
        }
    }
}

/// A short hash of `text`, for naming a configuration without printing it.
pub(crate) fn short_hash(text: &str) -> String {
    sha(&[text])
}

fn sha(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())[..16].to_string()
}

impl Agent for LlmAgent {
    fn name(&self) -> &str {
        "llm"
    }
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }
    fn config_hash(&self) -> String {
        // The endpoint, model, sampling, mode and limits; never the key.
        let c = self.client.config();
        let cfg = json!({"model": c.model, "sampling": c.sampling(), "mode": self.mode, "limits": self.limits});
        sha(&[&cfg.to_string()])
    }
    fn prompt_hash(&self) -> Option<String> {
        Some(sha(&[
            &self.prompts.system,
            &self.prompts.instance,
            &tools::schema().to_string(),
        ]))
    }
    fn settings(&self) -> std::collections::BTreeMap<String, String> {
        let c = self.client.config();
        let opt = |v: Option<String>| v.unwrap_or_else(|| "unset".into());
        let l = &self.limits;
        let mut s: std::collections::BTreeMap<String, String> = [
            ("--model", c.model.clone()),
            ("--temperature", opt(c.temperature.map(|v| v.to_string()))),
            ("--top-p", opt(c.top_p.map(|v| v.to_string()))),
            ("--max-tokens", opt(c.max_tokens.map(|v| v.to_string()))),
            ("--seed", opt(c.seed.map(|v| v.to_string()))),
            (
                "--mode",
                json!(self.mode).as_str().unwrap_or("?").to_string(),
            ),
            ("--max-steps", l.max_steps.to_string()),
            ("--max-cost", l.max_cost_usd.to_string()),
            ("--request-timeout", c.request_timeout_sec.to_string()),
            ("--trim-history", l.trim_history.to_string()),
            ("max_total_tokens", l.max_total_tokens.to_string()),
            ("max_malformed", l.max_malformed.to_string()),
            ("command_timeout_sec", l.command_timeout_sec.to_string()),
            ("observation_chars", l.observation_chars.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        if !c.extra_body.is_empty() {
            s.insert(
                "extra_body".into(),
                Value::Object(c.extra_body.clone()).to_string(),
            );
        }
        if let Some(h) = self.prompt_hash() {
            s.insert("--prompts".into(), format!("prompts {h}"));
        }
        s
    }
    fn model_info(&self) -> Option<ModelInfo> {
        let c = self.client.config();
        Some(ModelInfo {
            id: c.model.clone(),
            provider: "openai-compatible".into(),
            endpoint: c.base_url.clone(),
            sampling: c.sampling(),
        })
    }
    fn start(&self, task: AgentTask) -> Box<dyn AgentSession> {
        let instance = self
            .prompts
            .instance
            .replace("{{instruction}}", &task.instruction);
        Box::new(LlmSession {
            client: self.client.clone(),
            mode: self.mode,
            limits: self.limits.clone(),
            messages: vec![json!({"role": "system", "content": self.prompts.system})],
            first_user: Some(instance),
            usage: Usage::default(),
            steps: Vec::new(),
            turns: 0,
            terminal: None,
            seed: task.seed.or(self.client.config().seed),
            asking_since: None,
        })
    }
}

struct LlmSession {
    client: Arc<ChatClient>,
    mode: Mode,
    limits: Limits,
    messages: Vec<Value>,
    /// The instance prompt, sent on the first turn instead of the bare instruction.
    first_user: Option<String>,
    usage: Usage,
    steps: Vec<Step>,
    /// Turns so far (1 on the first try, 2 after feedback).
    turns: u32,
    /// The interactive terminal, once opened.
    terminal: Option<tribench_sandbox::TerminalSession>,
    /// The seed sent with every request: the trial's when the run set one, else the model's.
    seed: Option<u64>,
    /// When the request in flight was sent (`None` between requests).
    asking_since: Option<Instant>,
}

impl LlmSession {
    /// `send_keys` and `read_screen`, on a terminal opened at first use.
    async fn interact(&mut self, sb: &dyn Sandbox, a: &tools::Action) -> String {
        if self.terminal.is_none() {
            match sb.open_terminal(120, 40).await {
                Ok(t) => self.terminal = Some(t),
                Err(e) => return format!("error: {e}"),
            }
        }
        let Some(term) = self.terminal.as_mut() else {
            return "error: no terminal".into();
        };
        let mut wait = 100;
        if a.name == "send_keys" {
            let text = a
                .arguments
                .get("keys")
                .and_then(Value::as_str)
                .unwrap_or("");
            // Enter on a terminal is a carriage return.
            if let Err(e) = term.send(text.replace('\n', "\r").as_bytes()).await {
                return format!("error: {e}");
            }
            if let Some(name) = a.arguments.get("key").and_then(Value::as_str) {
                match tribench_sandbox::key_bytes(name) {
                    Some(bytes) => {
                        if let Err(e) = term.send(bytes).await {
                            return format!("error: {e}");
                        }
                    }
                    None => return format!("error: no key named {name:?}"),
                }
            }
            wait = a
                .arguments
                .get("wait_ms")
                .and_then(Value::as_u64)
                .unwrap_or(500)
                .min(30_000);
        }
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
        term.screen()
    }

    /// The number the next step gets (1-based over the trial).
    fn next_step(&self) -> u32 {
        u32::try_from(self.steps.len() + 1).unwrap_or(u32::MAX)
    }

    fn over_budget(&self) -> bool {
        self.usage.prompt_tokens + self.usage.completion_tokens > self.limits.max_total_tokens
            || self.usage.cost_usd > self.limits.max_cost_usd
    }
}

/// Replaces the oldest untrimmed observation (a tool result or a user message after the first
/// one) with a marker. False when nothing is left to trim.
fn trim_oldest_observation(messages: &mut [Value]) -> bool {
    const MARK: &str = "[output removed to fit the context]";
    // Keep the system prompt and the task (the first two messages).
    for m in messages.iter_mut().skip(2) {
        let is_observation = matches!(
            m.get("role").and_then(Value::as_str),
            Some("tool") | Some("user")
        );
        let content = m.get("content").and_then(Value::as_str).unwrap_or("");
        if is_observation && content != MARK && content.len() > MARK.len() {
            m["content"] = json!(MARK);
            return true;
        }
    }
    false
}

#[async_trait]
impl AgentSession for LlmSession {
    async fn turn(&mut self, sb: &dyn Sandbox, message: &str) -> Result<TurnOutcome, AgentError> {
        self.turns += 1;
        let user = self
            .first_user
            .take()
            .unwrap_or_else(|| message.to_string());
        self.messages.push(json!({"role": "user", "content": user}));
        let schema = if self.mode == Mode::Interactive {
            tools::interactive_schema()
        } else {
            tools::schema()
        };
        let mut malformed = 0u32;
        let start_usage = self.usage.clone();
        let stopped = loop {
            if self.usage.steps >= self.limits.max_steps || self.over_budget() {
                break Some(Outcome::LimitReached);
            }
            let t = Instant::now();
            self.asking_since = Some(t);
            let reply = self
                .client
                .chat_seeded(
                    &self.messages,
                    (self.mode != Mode::Text).then_some(&schema),
                    self.seed,
                )
                .await;
            self.asking_since = None;
            // Fractional milliseconds: summing truncated whole ones would misstate short steps.
            let model_ms = t.elapsed().as_secs_f64() * 1000.0;
            let completion = match reply {
                Ok(c) => c,
                Err(ClientError::ContextExhausted(why)) => {
                    if self.limits.trim_history && trim_oldest_observation(&mut self.messages) {
                        self.steps.push(Step {
                            step: self.next_step(),
                            trimmed: Some(format!(
                                "context exhausted ({why}); trimmed the oldest command output"
                            )),
                            ..Step::default()
                        });
                        continue;
                    }
                    self.steps.push(Step {
                        step: self.next_step(),
                        error: Some(format!("context exhausted: {why}")),
                        ..Step::default()
                    });
                    break Some(Outcome::ContextExhausted);
                }
                Err(e) => {
                    // The cause stays in the trajectory, not only in the trial's record.
                    self.steps.push(Step {
                        step: self.next_step(),
                        turn: Some(self.turns),
                        error: Some(e.to_string()),
                        ..Step::default()
                    });
                    return Err(if e.is_fatal() {
                        AgentError::ModelRefused(e.to_string())
                    } else if e.is_endpoint_failure() {
                        AgentError::ModelUnavailable(e.to_string())
                    } else {
                        AgentError::Failed(e.to_string())
                    });
                }
            };
            self.usage.steps += 1;
            self.usage.prompt_tokens += completion.usage.prompt_tokens;
            self.usage.completion_tokens += completion.usage.completion_tokens;
            self.usage.cached_tokens += completion.usage.cached_tokens;
            self.usage.cost_usd += completion.cost_usd;
            self.usage.priced |= completion.priced;
            if !completion.usage_reported {
                // Zero tokens here would be a guess: the trial's tokens and cost are unknown.
                self.usage.tokens_unknown = true;
                self.usage.cost_unknown = true;
            }
            let mut assistant = completion.message.clone();
            if let Some(obj) = assistant.as_object_mut() {
                obj.insert("role".into(), json!("assistant"));
            }
            self.messages.push(assistant.clone());
            let actions = match self.mode {
                Mode::Tools => tools::parse_tool_calls(&assistant, tools::TOOL_NAMES),
                Mode::Interactive => {
                    tools::parse_tool_calls(&assistant, tools::INTERACTIVE_TOOL_NAMES)
                }
                Mode::Text => tools::parse_text(&assistant),
            };
            let mut results = Vec::new();
            let mut submitted = false;
            let tool_start = Instant::now();
            match actions {
                Err(why) => {
                    malformed += 1;
                    let correction = tools::correction(self.mode, &why);
                    results.push(Observation::Malformed { malformed: why });
                    self.messages
                        .extend(tools::malformed_replies(&assistant, &correction));
                }
                Ok(actions) => {
                    malformed = 0;
                    for a in actions {
                        let out = match a.name.as_str() {
                            "send_keys" | "read_screen" => self.interact(sb, &a).await,
                            _ => tools::run(sb, &a, &self.limits).await,
                        };
                        submitted |= a.is_submit();
                        self.messages
                            .push(tools::reply_message(self.mode, &a, &out));
                        results.push(Observation::Action(Box::new(ActionResult {
                            arguments: tools::typed_arguments(&a.arguments),
                            tool: a.name,
                            output: out,
                        })));
                    }
                }
            }
            self.steps.push(Step {
                step: self.next_step(),
                turn: Some(self.turns),
                assistant: Some(tools::chat_message(&assistant)),
                results,
                usage: Some(completion.usage),
                cost_usd: Some(completion.cost_usd),
                attempts: Some(completion.attempts),
                finish_reason: completion.finish_reason,
                timing: Some(StepTiming {
                    model_ms: Some(model_ms),
                    tool_ms: Some(tool_start.elapsed().as_secs_f64() * 1000.0),
                }),
                error: None,
                trimmed: None,
            });
            if submitted {
                break None;
            }
            if malformed > self.limits.max_malformed {
                break Some(Outcome::MalformedResponse);
            }
        };
        let mut turn_usage = self.usage.clone();
        turn_usage.prompt_tokens -= start_usage.prompt_tokens;
        turn_usage.completion_tokens -= start_usage.completion_tokens;
        turn_usage.cached_tokens -= start_usage.cached_tokens;
        turn_usage.cost_usd -= start_usage.cost_usd;
        turn_usage.steps -= start_usage.steps;
        Ok(TurnOutcome {
            usage: turn_usage,
            stopped,
        })
    }

    fn stalled_on_model(&self) -> Option<String> {
        let since = self.asking_since.filter(|_| self.usage.steps == 0)?;
        Some(format!(
            "the model endpoint sent no reply to the trial's first request in {:.0} s, when the agent's time ran out (--request-timeout is {} s)",
            since.elapsed().as_secs_f64(),
            self.client.config().request_timeout_sec
        ))
    }

    fn trajectory(&self) -> Option<Trajectory> {
        Some(Trajectory::Llm(LlmTrajectory {
            format: LlmFormat::V1,
            messages: self.messages.iter().map(tools::chat_message).collect(),
            steps: self.steps.clone(),
            usage: self.usage.clone(),
        }))
    }
}
