//! `cli` agents: an agent program installed and run inside the sandbox (mini-swe-agent, aider,
//! or anything else), described by a small TOML file: an install script, a command template,
//! and the environment variables passed through to it by name. Whatever the program leaves in
//! the workspace is graded like any other agent's work.
//!
//! ```toml
//! name = "my-agent"
//! install = "python3 -m pip install --user my-agent"   # once per trial, before the first turn
//! command = "my-agent --task-file {instruction_file} --model {model}"
//! env = ["OPENAI_API_KEY"]                              # passed through from tribench's environment
//! network = true                                         # the program must reach its model
//! ```
//!
//! Template variables: `{instruction_file}` (the instruction, or the feedback on a later try),
//! `{model}`, `{base_url}`, `{workdir}`. `TRIBENCH_MODEL` and `TRIBENCH_BASE_URL` are set too.
//! The variables listed in `env` reach the program, so an installed agent can see its own API
//! key: that is the price of running someone else's agent inside the sandbox.

use crate::{Agent, AgentError, AgentSession, AgentTask, TurnOutcome};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::Path;
use std::time::Duration;
use tribench_sandbox::{ExecRequest, Sandbox};
use tribench_types::{ProgramFormat, ProgramRun, ProgramTrajectory, Sampling, Trajectory};

/// An agent program's description.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CliAgentDef {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub install: String,
    pub command: String,
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default = "yes")]
    pub network: bool,
}

fn yes() -> bool {
    true
}

/// Runs a [`CliAgentDef`] with a model and endpoint.
pub struct CliAgent {
    def: CliAgentDef,
    model: String,
    base_url: String,
}

/// Where the instruction file goes, relative to the workspace; removed after each turn.
const INSTRUCTION_DIR: &str = ".tribench-agent";

impl CliAgent {
    pub fn new(def: CliAgentDef, model: String, base_url: String) -> Self {
        CliAgent {
            def,
            model,
            base_url,
        }
    }

    pub fn load(path: &Path, model: String, base_url: String) -> Result<CliAgent, AgentError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| AgentError::Failed(format!("{}: {e}", path.display())))?;
        let def: CliAgentDef = toml::from_str(&text).map_err(|e| {
            AgentError::Failed(format!(
                "{}: not a valid agent definition: {e}",
                path.display()
            ))
        })?;
        Ok(CliAgent::new(def, model, base_url))
    }
}

impl Agent for CliAgent {
    fn name(&self) -> &str {
        &self.def.name
    }
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }
    fn config_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let cfg = json!({"def": self.def, "model": self.model, "base_url": self.base_url});
        hex::encode(Sha256::digest(cfg.to_string().as_bytes()))[..16].to_string()
    }
    fn needs_network(&self) -> bool {
        self.def.network
    }
    fn settings(&self) -> std::collections::BTreeMap<String, String> {
        let def = serde_json::to_string(&self.def).unwrap_or_default();
        [
            ("--model", self.model.clone()),
            ("--base-url", self.base_url.clone()),
            (
                "agent definition",
                format!("{} ({})", self.def.name, crate::llm::short_hash(&def)),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
    fn model_info(&self) -> Option<tribench_types::ModelInfo> {
        (!self.model.is_empty()).then(|| tribench_types::ModelInfo {
            id: self.model.clone(),
            provider: format!("via {}", self.def.name),
            endpoint: self.base_url.clone(),
            sampling: Sampling::default(),
        })
    }
    fn start(&self, _task: AgentTask) -> Box<dyn AgentSession> {
        Box::new(CliSession {
            def: self.def.clone(),
            model: self.model.clone(),
            base_url: self.base_url.clone(),
            installed: false,
            log: Vec::new(),
        })
    }
}

struct CliSession {
    def: CliAgentDef,
    model: String,
    base_url: String,
    installed: bool,
    log: Vec<ProgramRun>,
}

/// Long enough for any agent; the engine's agent timeout is what really bounds it.
const NO_LIMIT: Duration = Duration::from_secs(7 * 24 * 3600);

impl CliSession {
    fn request(&self, script: String) -> ExecRequest {
        let mut req = ExecRequest::new(script, NO_LIMIT)
            .env("TRIBENCH_MODEL", self.model.clone())
            .env("TRIBENCH_BASE_URL", self.base_url.clone());
        for name in &self.def.env {
            if let Ok(v) = std::env::var(name) {
                req = req.env(name.clone(), v);
            }
        }
        req.output_cap = 256 * 1024;
        req
    }
}

#[async_trait]
impl AgentSession for CliSession {
    async fn turn(&mut self, sb: &dyn Sandbox, message: &str) -> Result<TurnOutcome, AgentError> {
        if !self.installed && !self.def.install.trim().is_empty() {
            let out = sb.exec(self.request(self.def.install.clone())).await?;
            self.log.push(ProgramRun {
                phase: "install".into(),
                command: None,
                exit_code: out.exit_code.map(i64::from),
                output: out.combined(),
            });
            if !out.success() {
                return Err(AgentError::Failed(format!(
                    "installing {} failed with {:?}",
                    self.def.name, out.exit_code
                )));
            }
        }
        self.installed = true;
        let file = format!("{INSTRUCTION_DIR}/instruction.md");
        sb.write_file(&file, message.as_bytes()).await?;
        let workdir = sb.workdir().to_string();
        let command = self
            .def
            .command
            .replace(
                "{instruction_file}",
                &format!("{}/{file}", workdir.trim_end_matches('/')),
            )
            .replace("{model}", &self.model)
            .replace("{base_url}", &self.base_url)
            .replace("{workdir}", &workdir);
        let out = sb.exec(self.request(command.clone())).await;
        // The instruction file is the harness's, not part of the agent's work.
        sb.remove(INSTRUCTION_DIR).await?;
        let out = out?;
        self.log.push(ProgramRun {
            phase: "run".into(),
            command: Some(command),
            exit_code: out.exit_code.map(i64::from),
            output: out.combined(),
        });
        Ok(TurnOutcome::default())
    }

    fn trajectory(&self) -> Option<Trajectory> {
        Some(Trajectory::Program(ProgramTrajectory {
            format: ProgramFormat::V1,
            agent: self.def.name.clone(),
            runs: self.log.clone(),
        }))
    }
}
