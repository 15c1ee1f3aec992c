//! Building the agent a run asks for from its resolved settings: a built-in (`oracle`, `nop`),
//! an agent program described by a definition file (`cli:NAME`), or the `llm` scaffold over an
//! OpenAI-compatible endpoint, priced from the prices the caller found for its model. Every
//! default not given here is the one [`Limits`] and [`ModelConfig`] own.

use crate::llm::{ChatClient, Limits, LlmAgent, Mode, ModelConfig, Prompts};
use crate::{by_name, Agent, AgentError, AGENT_NAMES};
use std::path::PathBuf;
use std::sync::Arc;

/// Prices of a model in USD per million tokens (unknown ones stay unpriced).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Prices {
    pub input_per_mtok: Option<f64>,
    pub output_per_mtok: Option<f64>,
    pub cached_per_mtok: Option<f64>,
}

/// Settings of the `llm` agent (and the model and endpoint an agent program is told).
/// `None` leaves the default of [`Limits`] or [`ModelConfig`].
#[derive(Debug, Clone, Default)]
pub struct LlmSettings {
    pub model: Option<String>,
    pub base_url: Option<String>,
    pub api_key_env: Option<String>,
    /// `tools`, `text` or `interactive`; `None`: tools.
    pub mode: Option<String>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u64>,
    pub seed: Option<u64>,
    pub max_steps: Option<u32>,
    pub max_cost_usd: Option<f64>,
    pub concurrency: Option<usize>,
    /// Seconds one model request may take (`None`: [`ModelConfig`]'s default).
    pub request_timeout_sec: Option<u64>,
    pub trim_history: bool,
    /// Folder with system.md and/or instance.md replacing the default prompts.
    pub prompts: Option<PathBuf>,
    pub prices: Prices,
}

/// Which agent to build.
#[derive(Debug, Clone)]
pub enum AgentChoice {
    /// `oracle`, `nop`, or `llm`.
    Named(String),
    /// An agent program described by this definition file.
    Program(PathBuf),
}

/// Builds the agent `choice` with `llm`'s settings.
pub fn build_agent(choice: &AgentChoice, llm: &LlmSettings) -> Result<Arc<dyn Agent>, AgentError> {
    let name = match choice {
        AgentChoice::Program(path) => {
            let agent = crate::cli::CliAgent::load(
                path,
                llm.model.clone().unwrap_or_default(),
                llm.base_url.clone().unwrap_or_default(),
            )?;
            return Ok(Arc::new(agent));
        }
        AgentChoice::Named(name) => name.as_str(),
    };
    if name != "llm" {
        return match by_name(name) {
            Some(agent) => Ok(Arc::from(agent)),
            None => Err(AgentError::Failed(format!(
                "unknown agent {name:?}; known agents: llm, {}",
                AGENT_NAMES.join(", ")
            ))),
        };
    }
    let (Some(model), Some(base_url)) = (&llm.model, &llm.base_url) else {
        return Err(AgentError::Failed(
            "the llm agent needs --model and --base-url".into(),
        ));
    };
    let mut cfg = ModelConfig::new(base_url.clone(), model.clone());
    cfg.api_key_env = llm.api_key_env.clone();
    cfg.temperature = llm.temperature;
    cfg.top_p = llm.top_p;
    cfg.max_tokens = llm.max_tokens;
    cfg.seed = llm.seed;
    match llm.request_timeout_sec {
        Some(0) => {
            return Err(AgentError::Failed(
                "--request-timeout 0: a request needs at least 1 second".into(),
            ))
        }
        Some(t) => cfg.request_timeout_sec = t,
        None => {}
    }
    if let Some(c) = llm.concurrency {
        cfg.concurrency = c.max(1);
    }
    cfg.price_input_per_mtok = llm.prices.input_per_mtok;
    cfg.price_output_per_mtok = llm.prices.output_per_mtok;
    cfg.price_cached_per_mtok = llm.prices.cached_per_mtok;
    let mode = match llm.mode.as_deref().unwrap_or("tools") {
        "tools" => Mode::Tools,
        "text" => Mode::Text,
        "interactive" => Mode::Interactive,
        other => {
            return Err(AgentError::Failed(format!(
                "--mode {other:?}: expected tools, text or interactive"
            )))
        }
    };
    let prompts = match &llm.prompts {
        Some(dir) => Prompts::from_dir(dir).map_err(|e| {
            AgentError::Failed(format!("cannot read prompts from {}: {e}", dir.display()))
        })?,
        None => Prompts::default(),
    };
    let defaults = Limits::default();
    let limits = Limits {
        max_steps: llm.max_steps.unwrap_or(defaults.max_steps),
        max_cost_usd: llm.max_cost_usd.unwrap_or(defaults.max_cost_usd),
        trim_history: llm.trim_history,
        ..defaults
    };
    let client = ChatClient::new(cfg).map_err(|e| AgentError::Failed(e.to_string()))?;
    Ok(Arc::new(LlmAgent::new(
        Arc::new(client),
        mode,
        limits,
        prompts,
    )))
}

/// The agent replaying the recorded run in `source`: its final patches graded again when
/// `patches`, else its recorded actions run again (`tribench replay [--patches]`).
pub fn replay_agent(
    source: PathBuf,
    patches: bool,
    recorded: std::collections::HashMap<String, tribench_types::Outcome>,
) -> Arc<dyn Agent> {
    match patches {
        true => Arc::new(crate::Predictions::from_run(source)),
        false => Arc::new(crate::llm::ReplayAgent::new(source).with_recorded(recorded)),
    }
}

/// `model_name_or_path` for SWE-bench's files: the model, or the agent's name.
pub fn model_name(agent: &str, model: Option<&str>) -> String {
    match (model, agent) {
        (Some(m), "llm") => m.to_string(),
        (Some(m), a) => format!("{a}+{m}"),
        (None, a) => a.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn named(n: &str) -> AgentChoice {
        AgentChoice::Named(n.into())
    }

    fn err(choice: &AgentChoice, llm: &LlmSettings) -> String {
        match build_agent(choice, llm) {
            Ok(a) => panic!("built {}", a.name()),
            Err(e) => e.to_string(),
        }
    }

    fn llm() -> LlmSettings {
        LlmSettings {
            model: Some("m1".into()),
            base_url: Some("http://127.0.0.1:9/v1".into()),
            ..LlmSettings::default()
        }
    }

    #[test]
    fn the_request_timeout_reaches_the_client_and_the_recorded_settings() {
        let default = build_agent(&named("llm"), &llm()).unwrap();
        assert_eq!(default.settings()["--request-timeout"], "600");
        let s = LlmSettings {
            request_timeout_sec: Some(5),
            ..llm()
        };
        let agent = build_agent(&named("llm"), &s).unwrap();
        assert_eq!(agent.settings()["--request-timeout"], "5");
        let zero = LlmSettings {
            request_timeout_sec: Some(0),
            ..llm()
        };
        assert!(err(&named("llm"), &zero).contains("--request-timeout 0"));
    }

    #[test]
    fn built_ins_and_unknown_names() {
        let s = LlmSettings::default();
        assert_eq!(build_agent(&named("oracle"), &s).unwrap().name(), "oracle");
        assert_eq!(build_agent(&named("nop"), &s).unwrap().name(), "nop");
        assert_eq!(
            err(&named("wizard"), &s),
            "unknown agent \"wizard\"; known agents: llm, oracle, nop"
        );
        assert_eq!(
            err(&named("llm"), &s),
            "the llm agent needs --model and --base-url"
        );
    }

    #[test]
    fn the_llm_agent_takes_its_settings_and_prices() {
        let mut s = llm();
        s.mode = Some("chatty".into());
        assert_eq!(
            err(&named("llm"), &s),
            "--mode \"chatty\": expected tools, text or interactive"
        );
        s.mode = Some("text".into());
        s.seed = Some(7);
        s.temperature = Some(0.5);
        s.prices = Prices {
            input_per_mtok: Some(1.0),
            output_per_mtok: Some(2.0),
            cached_per_mtok: None,
        };
        let a = build_agent(&named("llm"), &s).unwrap();
        let info = a.model_info().unwrap();
        assert_eq!(info.id, "m1");
        assert_eq!(info.sampling.seed, Some(7));
        assert_eq!(info.sampling.temperature, Some(0.5));
        // The settings differ from the defaults' in the hash a resumed run compares.
        let plain = build_agent(&named("llm"), &llm()).unwrap();
        assert_ne!(a.config_hash(), plain.config_hash());
    }

    #[test]
    fn an_agent_program_is_loaded_from_its_definition() {
        let missing = AgentChoice::Program("/nonexistent/agent.toml".into());
        assert!(err(&missing, &llm()).contains("/nonexistent/agent.toml"));
    }

    #[test]
    fn model_names_for_swebench_files() {
        assert_eq!(model_name("llm", Some("qwen")), "qwen");
        assert_eq!(model_name("cli:codex", Some("qwen")), "cli:codex+qwen");
        assert_eq!(model_name("oracle", None), "oracle");
    }

    #[test]
    fn a_replay_runs_the_recorded_actions_or_grades_the_recorded_patches() {
        let (actions, patches) = (
            replay_agent("runs/a".into(), false, Default::default()),
            replay_agent("runs/a".into(), true, Default::default()),
        );
        assert_eq!((actions.name(), patches.name()), ("replay", "replay"));
        assert_eq!(patches.config_hash(), "replay:patches:runs/a");
        assert_ne!(actions.config_hash(), patches.config_hash());
        assert_eq!(patches.version(), "predictions");
        assert_eq!(actions.version(), env!("CARGO_PKG_VERSION"));
    }
}
