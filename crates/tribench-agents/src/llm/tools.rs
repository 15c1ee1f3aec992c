//! The scaffold's tools: their schema, parsing the model's requests (tool calls or a fenced
//! bash block), and carrying them out in the sandbox.

use super::{Limits, Mode};
use base64::Engine as _;
use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::Duration;
use tribench_sandbox::shell_quote;
use tribench_sandbox::{ExecRequest, Sandbox};
use tribench_types::{ChatMessage, ToolArguments};

/// One thing the model asked for.
#[derive(Debug, Clone)]
pub(crate) struct Action {
    /// The tool call id (tools mode).
    pub id: Option<String>,
    pub name: String,
    pub arguments: Value,
}

impl Action {
    pub fn is_submit(&self) -> bool {
        self.name == "submit"
    }
}

/// The OpenAI `tools` array.
pub(crate) fn schema() -> Value {
    let f = |name: &str, description: &str, properties: Value, required: &[&str]| {
        json!({"type": "function", "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        }})
    };
    json!([
        f(
            "bash",
            "Run a shell command in the working directory and get its exit code and output.",
            json!({"command": {"type": "string"}, "timeout_sec": {"type": "integer"}}),
            &["command"]
        ),
        f(
            "read_file",
            "Read a text file.",
            json!({"path": {"type": "string"}}),
            &["path"]
        ),
        f(
            "write_file",
            "Create or overwrite a file with the given content.",
            json!({"path": {"type": "string"}, "content": {"type": "string"}}),
            &["path", "content"]
        ),
        f(
            "str_replace",
            "Replace the one occurrence of old_str in a file with new_str.",
            json!({"path": {"type": "string"}, "old_str": {"type": "string"}, "new_str": {"type": "string"}}),
            &["path", "old_str", "new_str"]
        ),
        f("submit", "Finish: the task is done.", json!({}), &[]),
    ])
}

pub(crate) const TOOL_NAMES: &[&str] =
    &["bash", "read_file", "write_file", "str_replace", "submit"];
pub(crate) const INTERACTIVE_TOOL_NAMES: &[&str] = &["send_keys", "read_screen", "submit"];

/// The `tools` array of interactive mode: a terminal the model types into and reads.
pub(crate) fn interactive_schema() -> Value {
    json!([
        {"type": "function", "function": {
            "name": "send_keys",
            "description": "Type into the terminal, then wait and get the screen. `keys` is text (a newline presses Enter); `key` is one named key: enter, tab, escape, backspace, ctrl-c, ctrl-d, ctrl-z, ctrl-l, up, down, left, right.",
            "parameters": {"type": "object", "properties": {
                "keys": {"type": "string"}, "key": {"type": "string"}, "wait_ms": {"type": "integer"}}, "required": []}}},
        {"type": "function", "function": {
            "name": "read_screen", "description": "Get what the terminal shows now.",
            "parameters": {"type": "object", "properties": {}, "required": []}}},
        {"type": "function", "function": {
            "name": "submit", "description": "Finish: the task is done.",
            "parameters": {"type": "object", "properties": {}, "required": []}}},
    ])
}

/// The tool calls of an assistant message; an error says what is wrong with them.
pub(crate) fn parse_tool_calls(msg: &Value, allowed: &[&str]) -> Result<Vec<Action>, String> {
    let calls = msg
        .get("tool_calls")
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty());
    let Some(calls) = calls else {
        return Err("the reply has no tool call".into());
    };
    let mut out = Vec::new();
    for c in calls {
        let id = c.get("id").and_then(Value::as_str).map(String::from);
        let f = c.get("function").ok_or("a tool call has no function")?;
        let name = f
            .get("name")
            .and_then(Value::as_str)
            .ok_or("a tool call has no name")?;
        if !allowed.contains(&name) {
            return Err(format!(
                "there is no tool named {name:?}; the tools are {}",
                allowed.join(", ")
            ));
        }
        let raw = f.get("arguments").cloned().unwrap_or(json!("{}"));
        let arguments = match raw {
            Value::String(s) if s.trim().is_empty() => json!({}),
            Value::String(s) => serde_json::from_str(&s)
                .map_err(|e| format!("the arguments of {name} are not valid JSON ({e})"))?,
            other => other,
        };
        if !arguments.is_object() {
            return Err(format!("the arguments of {name} must be a JSON object"));
        }
        out.push(Action {
            id,
            name: name.to_string(),
            arguments,
        });
    }
    Ok(out)
}

/// Text mode: exactly one ```bash block.
pub(crate) fn parse_text(msg: &Value) -> Result<Vec<Action>, String> {
    static BLOCK: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let re = BLOCK
        .get_or_init(|| regex::Regex::new(r"(?s)```(?:bash|sh)[ \t]*\n(.*?)```").ok())
        .as_ref()
        .ok_or("internal: the code-block pattern did not compile")?;
    let content = msg.get("content").and_then(Value::as_str).unwrap_or("");
    let blocks: Vec<&str> = re
        .captures_iter(content)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str())
        .collect();
    match blocks.as_slice() {
        [one] if one.trim() == "submit" => Ok(vec![Action {
            id: None,
            name: "submit".into(),
            arguments: json!({}),
        }]),
        [one] => Ok(vec![Action {
            id: None,
            name: "bash".into(),
            arguments: json!({"command": one.trim_end()}),
        }]),
        [] => Err("the reply has no ```bash code block".into()),
        many => Err(format!(
            "the reply has {} ```bash code blocks; send exactly one",
            many.len()
        )),
    }
}

pub(crate) fn correction(mode: Mode, why: &str) -> String {
    match mode {
                Mode::Interactive => format!("Your last reply could not be used: {why}. Reply with a call to send_keys, read_screen or submit, with valid JSON arguments."),
        Mode::Tools => format!("Your last reply could not be used: {why}. Reply with a call to one of the tools (bash, read_file, write_file, str_replace, submit), with valid JSON arguments."),
        Mode::Text => format!("Your last reply could not be used: {why}. Reply with exactly one fenced code block marked bash, or a block holding only `submit` when you are done."),
    }
}

/// The messages answering a malformed reply: a tool message for every call id it made (the API
/// requires them), then the correction.
pub(crate) fn malformed_replies(assistant: &Value, correction: &str) -> Vec<Value> {
    let mut out: Vec<Value> = assistant
        .get("tool_calls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("id").and_then(Value::as_str))
        .map(|id| json!({"role": "tool", "tool_call_id": id, "content": "error: not run (see below)"}))
        .collect();
    out.push(json!({"role": "user", "content": correction}));
    out
}

pub(crate) fn reply_message(mode: Mode, a: &Action, output: &str) -> Value {
    match (mode, &a.id) {
        (Mode::Tools | Mode::Interactive, Some(id)) => {
            json!({"role": "tool", "tool_call_id": id, "content": output})
        }
        _ => json!({"role": "user", "content": output}),
    }
}

/// A wire message as the trajectory keeps it.
pub(crate) fn chat_message(v: &Value) -> ChatMessage {
    ChatMessage::from_wire(v)
}

/// A tool call's arguments as the trajectory keeps them.
pub(crate) fn typed_arguments(v: &Value) -> ToolArguments {
    ToolArguments::from_wire(v)
}

fn arg<'a>(a: &'a Action, key: &str) -> Result<&'a str, String> {
    a.arguments
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("error: {} needs a string argument {key:?}", a.name))
}

/// A path the model gave: inside the workspace (relative, or absolute under it) or elsewhere
/// in the sandbox (absolute), which only commands can reach.
enum Target {
    Workspace(String),
    Elsewhere(String),
}

fn target(sb: &dyn Sandbox, path: &str) -> Target {
    let work = sb.workdir().trim_end_matches('/');
    if let Some(rest) = path.strip_prefix(work).and_then(|r| r.strip_prefix('/')) {
        return Target::Workspace(rest.to_string());
    }
    if path.starts_with('/') {
        Target::Elsewhere(path.to_string())
    } else {
        Target::Workspace(path.to_string())
    }
}

async fn read(sb: &dyn Sandbox, path: &str) -> Result<String, String> {
    match target(sb, path) {
        Target::Workspace(rel) => sb
            .read_file(&rel)
            .await
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| format!("error: {e}")),
        Target::Elsewhere(abs) => {
            let out = sb
                .exec(ExecRequest::new(
                    format!("cat -- {}", shell_quote(&abs)),
                    Duration::from_secs(60),
                ))
                .await
                .map_err(|e| format!("error: {e}"))?;
            if out.success() {
                Ok(out.stdout.text)
            } else {
                Err(format!("error: {}", out.stderr.text.trim()))
            }
        }
    }
}

async fn write(sb: &dyn Sandbox, path: &str, content: &str) -> Result<(), String> {
    match target(sb, path) {
        Target::Workspace(rel) => sb
            .write_file(&rel, content.as_bytes())
            .await
            .map_err(|e| format!("error: {e}")),
        Target::Elsewhere(abs) => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(content.as_bytes());
            let dir = std::path::Path::new(&abs)
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "/".into());
            let script = format!(
                "mkdir -p {} && echo {} | base64 -d > {}",
                shell_quote(&dir),
                b64,
                shell_quote(&abs)
            );
            let out = sb
                .exec(ExecRequest::new(script, Duration::from_secs(60)))
                .await
                .map_err(|e| format!("error: {e}"))?;
            if out.success() {
                Ok(())
            } else {
                Err(format!("error: {}", out.stderr.text.trim()))
            }
        }
    }
}

/// Carries out one action and returns what the model sees.
pub(crate) async fn run(sb: &dyn Sandbox, a: &Action, limits: &Limits) -> String {
    let result = match a.name.as_str() {
        "submit" => Ok("submitted".to_string()),
        "bash" => match arg(a, "command") {
            Err(e) => Err(e),
            Ok(cmd) => {
                let secs = a.arguments.get("timeout_sec").and_then(Value::as_u64).unwrap_or(limits.command_timeout_sec);
                let mut req = ExecRequest::new(cmd, Duration::from_secs(secs.min(limits.command_timeout_sec.max(1))));
                req.output_cap = limits.observation_chars;
                match sb.exec(req).await {
                    Err(e) => Err(format!("error: {e}")),
                    Ok(out) if out.timed_out => Ok(format!("the command was killed after {secs}s\n{}", out.combined())),
                    Ok(out) => Ok(format!("exit code {}\n{}", out.exit_code.unwrap_or(-1), out.combined())),
                }
            }
        },
        "read_file" => match arg(a, "path") {
            Err(e) => Err(e),
            Ok(p) => read(sb, p).await,
        },
        "write_file" => match (arg(a, "path"), arg(a, "content")) {
            (Ok(p), Ok(c)) => write(sb, p, c).await.map(|()| format!("wrote {} bytes to {p}", c.len())),
            (Err(e), _) | (_, Err(e)) => Err(e),
        },
        "str_replace" => match (arg(a, "path"), arg(a, "old_str"), arg(a, "new_str")) {
            (Ok(p), Ok(old), Ok(new)) => match read(sb, p).await {
                Err(e) => Err(e),
                Ok(text) => match text.matches(old).count() {
                    0 => Err(format!("error: old_str does not occur in {p}; read the file and copy the text exactly")),
                    1 => write(sb, p, &text.replacen(old, new, 1)).await.map(|()| format!("replaced one occurrence in {p}")),
                    n => Err(format!("error: old_str occurs {n} times in {p}; include more context so it occurs once")),
                },
            },
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(e),
        },
        other => Err(format!("error: there is no tool named {other:?}")),
    };
    match result {
        Ok(s) | Err(s) => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_calls_parse_and_malformed_ones_say_why() {
        let ok = json!({"tool_calls": [{"id": "c1", "type": "function", "function": {"name": "bash", "arguments": "{\"command\": \"ls\"}"}}]});
        let a = parse_tool_calls(&ok, TOOL_NAMES).unwrap();
        assert_eq!(a[0].name, "bash");
        assert_eq!(a[0].arguments["command"], "ls");
        let bad = json!({"tool_calls": [{"id": "c1", "function": {"name": "bash", "arguments": "{\"command\": "}}]});
        assert!(parse_tool_calls(&bad, TOOL_NAMES)
            .unwrap_err()
            .contains("not valid JSON"));
        assert!(parse_tool_calls(&json!({"content": "hi"}), TOOL_NAMES)
            .unwrap_err()
            .contains("no tool call"));
        let unknown =
            json!({"tool_calls": [{"id": "c", "function": {"name": "rm_rf", "arguments": "{}"}}]});
        assert!(parse_tool_calls(&unknown, TOOL_NAMES)
            .unwrap_err()
            .contains("no tool named"));
    }

    #[test]
    fn text_mode_wants_exactly_one_bash_block() {
        let one = json!({"content": "Let me look.\n```bash\nls -la\n```\n"});
        assert_eq!(parse_text(&one).unwrap()[0].arguments["command"], "ls -la");
        let done = json!({"content": "```bash\nsubmit\n```"});
        assert!(parse_text(&done).unwrap()[0].is_submit());
        assert!(parse_text(&json!({"content": "no code"})).is_err());
        let two = json!({"content": "```bash\na\n```\n```bash\nb\n```"});
        assert!(parse_text(&two).unwrap_err().contains("2"));
    }
}
