//! `trials/<id>/trajectory.json`: what an agent did in one trial. The `llm` scaffold records its
//! conversation and one [`Step`] per model call; agent programs (`cli:`) their install and run
//! commands; the oracle the solution script it ran. Every field a reader uses is typed, so the
//! viewer, `tribench trajectory` and `replay` read one format.

use crate::Usage;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The format tag of an `llm` trajectory.
pub const LLM_TRAJECTORY_FORMAT: &str = "tribench-trajectory/1";
/// The format tag of an agent program's log.
pub const PROGRAM_TRAJECTORY_FORMAT: &str = "tribench-cli-agent/1";

/// One trial's `trajectory.json`, whichever agent wrote it. The three shapes are told apart by
/// their `format` tag (the oracle's has none: it is recognised by its `solution`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Trajectory {
    Llm(LlmTrajectory),
    Program(ProgramTrajectory),
    Oracle(OracleTrajectory),
}

impl Trajectory {
    /// Reads a trajectory from its JSON text.
    pub fn from_json(text: &str) -> Result<Trajectory, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// `tribench-trajectory/1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum LlmFormat {
    #[serde(rename = "tribench-trajectory/1")]
    V1,
}

/// `tribench-cli-agent/1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ProgramFormat {
    #[serde(rename = "tribench-cli-agent/1")]
    V1,
}

/// The `llm` scaffold's record: the conversation as sent, the steps, and the usage in total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LlmTrajectory {
    pub format: LlmFormat,
    /// The chat messages of the last request, system prompt first.
    #[serde(default, deserialize_with = "lenient_messages")]
    pub messages: Vec<ChatMessage>,
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(default)]
    pub usage: Usage,
}

/// One chat message, as the OpenAI chat-completions protocol has it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChatMessage {
    /// `system`, `user`, `assistant` or `tool` (empty when an old file left it out).
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub content: Option<String>,
    /// The model's reasoning, for servers that return it apart from the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// The call a `tool` message answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

/// A tool call in an assistant message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ToolCall {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    #[serde(default)]
    pub function: FunctionCall,
}

fn function_type() -> String {
    "function".into()
}

/// The function a tool call names, with its arguments as the JSON text the model sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FunctionCall {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub arguments: String,
}

/// One model call and what came of it, or an event between calls (`error`, `trimmed`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    /// 1-based, over the whole trial.
    pub step: u32,
    /// The agent turn (1, then 2 after the grader's feedback); absent in old files = 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn: Option<u32>,
    /// The model's reply.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient_message"
    )]
    pub assistant: Option<ChatMessage>,
    /// What each action of the reply gave, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<Observation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<CallUsage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Requests the call took (1 without retries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<StepTiming>,
    /// Why the model call failed (the trial's error names it too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The context overflowed and the oldest command output was replaced by a marker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trimmed: Option<String>,
}

impl Step {
    /// The turn this step belongs to; steps recorded before turns were numbered are turn 1.
    pub fn turn(&self) -> u32 {
        self.turn.unwrap_or(1)
    }
}

/// Token usage of one model call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CallUsage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
    #[serde(default)]
    pub cached_tokens: u64,
}

/// Where a step's time went, in (fractional) milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StepTiming {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_ms: Option<f64>,
}

/// What one action gave, or why the reply held no usable action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Observation {
    /// A tool ran.
    Action(Box<ActionResult>),
    /// The reply could not be used; the model was told why.
    Malformed { malformed: String },
}

/// A tool the agent called, its arguments and what it printed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActionResult {
    /// `bash`, `read_file`, `write_file`, `str_replace`, `submit`, `send_keys`, `read_screen`.
    pub tool: String,
    #[serde(default, deserialize_with = "lenient_arguments")]
    pub arguments: ToolArguments,
    #[serde(default)]
    pub output: String,
}

/// The arguments of the scaffold's tools; each tool uses some of them. (Fields in alphabetical
/// order: the JSON text reads as the untyped arguments always did.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ToolArguments {
    /// `bash`: the command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// `write_file`: the file's new content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// `send_keys`: a named key pressed after the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `send_keys`: text typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<String>,
    /// `str_replace`: the replacement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_str: Option<String>,
    /// `str_replace`: the text replaced (must occur once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_str: Option<String>,
    /// `read_file`, `write_file`, `str_replace`: the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `bash`: seconds the command may run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_sec: Option<u64>,
    /// `send_keys`: milliseconds to wait before reading the screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<u64>,
}

/// An agent program's log: what was installed and run, with output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProgramTrajectory {
    pub format: ProgramFormat,
    /// The agent definition's name.
    #[serde(default)]
    pub agent: String,
    #[serde(default)]
    pub runs: Vec<ProgramRun>,
}

/// One command of an agent program.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProgramRun {
    /// `install` or `run`.
    pub phase: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default)]
    pub exit_code: Option<i64>,
    #[serde(default)]
    pub output: String,
}

/// The oracle's record when it ran a solution script (Terminal-Bench's `solve.sh`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OracleTrajectory {
    /// Always `oracle`.
    pub agent: String,
    pub solution: SolutionRun,
}

/// What running a solution script did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SolutionRun {
    #[serde(default)]
    pub command: String,
    #[serde(default)]
    pub exit_code: Option<i64>,
    #[serde(default)]
    pub timed_out: bool,
    /// The output's last characters.
    #[serde(default)]
    pub output_tail: String,
}

/// The text of a JSON value: a string as itself, anything else (but null) as its JSON.
fn text(v: Option<&Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    }
}

impl ChatMessage {
    /// A message as the wire (or an old trajectory) has it, read leniently: a field of an
    /// unexpected shape (content as a list of parts, arguments as an object) is kept as its
    /// JSON text, and fields the format does not name are left out.
    pub fn from_wire(v: &Value) -> ChatMessage {
        let tool_calls = v
            .get("tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| ToolCall {
                id: text(c.get("id")),
                kind: text(c.get("type")).unwrap_or_else(function_type),
                function: FunctionCall {
                    name: text(c.pointer("/function/name")).unwrap_or_default(),
                    arguments: text(c.pointer("/function/arguments")).unwrap_or_default(),
                },
            })
            .collect();
        ChatMessage {
            role: text(v.get("role")).unwrap_or_default(),
            content: text(v.get("content")),
            reasoning_content: text(v.get("reasoning_content")),
            tool_calls,
            tool_call_id: text(v.get("tool_call_id")),
        }
    }
}

impl ToolArguments {
    /// A tool call's arguments: the ones the tools read, each only when it has the type the
    /// tool reads it as (the tools treat any other as missing too, so a replay does the same).
    pub fn from_wire(v: &Value) -> ToolArguments {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(String::from);
        let n = |k: &str| v.get(k).and_then(Value::as_u64);
        ToolArguments {
            command: s("command"),
            timeout_sec: n("timeout_sec"),
            path: s("path"),
            content: s("content"),
            old_str: s("old_str"),
            new_str: s("new_str"),
            keys: s("keys"),
            key: s("key"),
            wait_ms: n("wait_ms"),
        }
    }
}

fn lenient_messages<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ChatMessage>, D::Error> {
    let v = Option::<Vec<Value>>::deserialize(d)?.unwrap_or_default();
    Ok(v.iter().map(ChatMessage::from_wire).collect())
}

fn lenient_message<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ChatMessage>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?
        .filter(|v| !v.is_null())
        .map(|v| ChatMessage::from_wire(&v)))
}

fn lenient_arguments<'de, D: Deserializer<'de>>(d: D) -> Result<ToolArguments, D::Error> {
    Ok(Option::<Value>::deserialize(d)?
        .map(|v| ToolArguments::from_wire(&v))
        .unwrap_or_default())
}
