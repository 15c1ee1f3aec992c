//! Round trips of every on-disk format, and files as older tribench versions wrote them.

use tribench_types::swebench::{GradingDetails, ReportFile, Resolution};
use tribench_types::{
    ImageRecord, Observation, RunManifest, Sampling, Trajectory, TrialRecord, LLM_TRAJECTORY_FORMAT,
};

/// An `llm` trajectory as written before the types existed (built with `json!`): the assistant
/// message without a role, usage without cached tokens, an error step, a malformed reply.
const OLD_LLM_TRAJECTORY: &str = r#"{
  "format": "tribench-trajectory/1",
  "messages": [
    {"role": "system", "content": "You are a careful engineer."},
    {"role": "user", "content": "Make two_fer() greet."},
    {"content": null, "role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
      "function": {"name": "bash", "arguments": "{\"command\": \"ls\"}"}}]},
    {"role": "tool", "tool_call_id": "c1", "content": "exit 0\n"}
  ],
  "steps": [
    {"step": 1, "turn": 1,
     "assistant": {"content": "Let me look around.", "reasoning_content": "hmm"},
     "results": [{"tool": "bash", "arguments": {"command": "ls -la", "timeout_sec": 30},
                  "output": "exit 0\ntwo_fer.py\n"},
                 {"malformed": "the reply has no tool call"}],
     "usage": {"prompt_tokens": 120, "completion_tokens": 30},
     "cost_usd": 0.0, "attempts": 1, "finish_reason": null,
     "timing": {"model_ms": 30.4567, "tool_ms": 1234.5}},
    {"step": 2, "trimmed": "context exhausted (x); trimmed the oldest command output"},
    {"step": 3, "error": "context exhausted: 40000 tokens"}
  ],
  "usage": {"steps": 2, "prompt_tokens": 320, "completion_tokens": 90, "cost_usd": 0.0123}
}"#;

#[test]
fn an_old_llm_trajectory_loads_with_every_field_typed() {
    let Trajectory::Llm(t) = Trajectory::from_json(OLD_LLM_TRAJECTORY).unwrap() else {
        panic!("not read as an llm trajectory");
    };
    assert_eq!(t.messages.len(), 4);
    assert_eq!(t.messages[2].tool_calls[0].function.name, "bash");
    assert_eq!(t.messages[3].tool_call_id.as_deref(), Some("c1"));
    let s = &t.steps[0];
    assert_eq!(s.turn(), 1);
    let a = s.assistant.as_ref().unwrap();
    assert_eq!(a.role, "");
    assert_eq!(a.reasoning_content.as_deref(), Some("hmm"));
    let Observation::Action(r) = &s.results[0] else {
        panic!("an action read as {:?}", s.results[0]);
    };
    assert_eq!(r.tool, "bash");
    assert_eq!(r.arguments.command.as_deref(), Some("ls -la"));
    assert_eq!(r.arguments.timeout_sec, Some(30));
    assert_eq!(
        s.results[1],
        Observation::Malformed {
            malformed: "the reply has no tool call".into()
        }
    );
    assert_eq!(s.usage.unwrap().cached_tokens, 0);
    assert_eq!(s.timing.unwrap().model_ms, Some(30.4567));
    assert!(t.steps[1].trimmed.is_some() && t.steps[1].assistant.is_none());
    assert_eq!(t.steps[2].turn(), 1);
    assert_eq!(t.usage.steps, 2);
    assert_eq!(t.usage.cached_tokens, 0);
    // Round trip: what we write reads back the same.
    let again = Trajectory::from_json(&serde_json::to_string(&Trajectory::Llm(t.clone())).unwrap())
        .unwrap();
    assert_eq!(again, Trajectory::Llm(t));
}

#[test]
fn program_and_oracle_trajectories_are_told_apart() {
    let p = Trajectory::from_json(
        r#"{"format": "tribench-cli-agent/1", "agent": "mini", "runs": [
            {"phase": "install", "exit_code": 0, "output": "ok"},
            {"phase": "run", "command": "mini", "exit_code": null, "output": ""}]}"#,
    )
    .unwrap();
    let Trajectory::Program(p) = p else {
        panic!("{p:?}")
    };
    assert_eq!(p.runs[1].command.as_deref(), Some("mini"));
    assert_eq!(p.runs[1].exit_code, None);
    let o = Trajectory::from_json(
        r#"{"agent": "oracle", "solution": {"command": "bash solve.sh", "exit_code": 3,
            "timed_out": false, "output_tail": "boom"}}"#,
    )
    .unwrap();
    let Trajectory::Oracle(o) = o else {
        panic!("{o:?}")
    };
    assert_eq!(o.solution.exit_code, Some(3));
    // A file that is none of them is an error, not a silently empty trajectory.
    assert!(Trajectory::from_json(r#"{"format": "something-else/9", "steps": []}"#).is_err());
    assert!(Trajectory::from_json(LLM_TRAJECTORY_FORMAT).is_err());
}

/// grading.json as the SWE-bench family wrote it before the type existed.
const OLD_GRADING: &str = r#"{
  "mode": "official",
  "parser": "pytest",
  "official": {"resolved": true, "resolution": "RESOLVED_FULL", "invalid": null,
    "tests_status": {"FAIL_TO_PASS": {"success": ["t::a"], "failure": []},
                     "PASS_TO_PASS": {"success": [], "failure": []},
                     "FAIL_TO_FAIL": {"success": [], "failure": []},
                     "PASS_TO_FAIL": {"success": [], "failure": []}},
    "status_map": {"t::a": "PASSED", "t::b": "weird"}, "official_rule_ids": []},
  "strict": null,
  "suspicious": ["it edits the test file t.py"],
  "apply_log": "Checking patch t.py...\n",
  "empty_patch": false
}"#;

#[test]
fn grading_details_load_and_round_trip() {
    let g: GradingDetails = serde_json::from_str(OLD_GRADING).unwrap();
    let o = g.official.as_ref().unwrap();
    assert_eq!(o.resolution, Some(Resolution::Full));
    assert_eq!(o.status_map.as_ref().unwrap()["t::b"], "weird");
    assert_eq!(
        o.tests_status.as_ref().unwrap().fail_to_pass.success,
        ["t::a"]
    );
    assert!(g.strict.is_none());
    assert_eq!(g.suspicious, ["it edits the test file t.py"]);
    let text = serde_json::to_string(&g).unwrap();
    assert_eq!(serde_json::from_str::<GradingDetails>(&text).unwrap(), g);
    // The same keys as before, `null`s included: readers of the old file see no difference.
    let old: serde_json::Value = serde_json::from_str(OLD_GRADING).unwrap();
    assert_eq!(serde_json::to_value(&g).unwrap(), old);
}

#[test]
fn the_official_report_json_keeps_its_field_names() {
    let text = r#"{"django__django-1": {"patch_is_None": false, "patch_exists": true,
        "patch_successfully_applied": true, "resolved": false}}"#;
    let r: ReportFile = serde_json::from_str(text).unwrap();
    let e = &r["django__django-1"];
    assert!(e.patch_exists && !e.resolved && !e.infra_failure);
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["django__django-1"]["patch_is_None"], false);
}

const OLD_MANIFEST: &str = r#"{
  "schema": 1, "run_id": "r", "harness_version": "0.1.0", "attempts": 1, "seed": 0,
  "started_at": "2026-11-24T00:00:00Z", "host": "h",
  "model": {"id": "m", "provider": "openai-compatible", "endpoint": "http://x/v1",
            "sampling": null},
  "scaffold": {"agent": "cli:mini", "version": "1", "config_hash": "abc"},
  "datasets": [{"name": "s", "family": "polyglot", "path": "suites/s", "checksum": "c", "tasks": 2}],
  "environment": {"backend": "local", "isolation": "none",
                  "timeouts": {"setup_sec": 1, "agent_sec": 2, "test_sec": 3}, "jobs": 1}
}"#;

#[test]
fn manifests_with_null_or_object_sampling_load() {
    let m: RunManifest = serde_json::from_str(OLD_MANIFEST).unwrap();
    let model = m.model.as_ref().unwrap();
    assert!(model.sampling.is_unset());
    assert_eq!(model.sampling.to_string(), "null");
    let with = OLD_MANIFEST.replace(
        "\"sampling\": null",
        r#""sampling": {"temperature": 0.2, "top_p": null, "max_tokens": 512, "seed": null,
                        "extra_body": {"chat_template_kwargs": {"enable_thinking": false}}}"#,
    );
    let m: RunManifest = serde_json::from_str(&with).unwrap();
    let s: &Sampling = &m.model.as_ref().unwrap().sampling;
    assert_eq!(s.temperature, Some(0.2));
    assert_eq!(s.max_tokens, Some(512));
    // Printed as the untyped value always printed: keys sorted, compact.
    assert_eq!(
        s.to_string(),
        r#"{"extra_body":{"chat_template_kwargs":{"enable_thinking":false}},"max_tokens":512,"seed":null,"temperature":0.2,"top_p":null}"#
    );
    let back: RunManifest = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(back, m);
}

#[test]
fn an_old_trial_record_loads() {
    // Before `priced`, `cost_unknown` and `infra_retries`; usage without cached tokens.
    let text = r#"{"trial_id": "python+a.a1", "task_id": "python/a", "attempt": 1,
        "family": "polyglot", "group": "python", "agent": "oracle", "outcome": "resolved",
        "passed_on_try": 1, "tries": [{"index": 1, "outcome": "resolved", "test_ms": 5,
        "tests": [{"name": "t", "status": "passed"}]}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0, "steps": 0},
        "started_at": "a", "ended_at": "b"}"#;
    let t: TrialRecord = serde_json::from_str(text).unwrap();
    assert!(t.resolved() && t.usage.cost_known() && t.infra_retries == 0);
    let back: TrialRecord = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
    assert_eq!(back, t);
}

#[test]
fn image_json_round_trips() {
    let i = ImageRecord {
        requested: "tb/task:latest".into(),
        name: "tribench/task-abc".into(),
        source: "built".into(),
        digest: Some("sha256:00".into()),
        note: None,
    };
    let text = serde_json::to_string_pretty(&i).unwrap();
    assert_eq!(serde_json::from_str::<ImageRecord>(&text).unwrap(), i);
    // Older files wrote `null` for a missing note.
    let old =
        r#"{"requested": "a", "name": "a", "source": "present", "digest": null, "note": null}"#;
    assert_eq!(
        serde_json::from_str::<ImageRecord>(old).unwrap().digest,
        None
    );
}

#[test]
fn odd_shapes_a_model_sent_do_not_make_a_trajectory_unreadable() {
    // Content as a list of parts, arguments as an object, an argument of the wrong type.
    let text = r#"{"format": "tribench-trajectory/1",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "steps": [{"step": 1,
            "assistant": {"role": "assistant", "content": null, "tool_calls": [
                {"id": "c", "function": {"name": "bash", "arguments": {"command": "ls"}}}]},
            "results": [{"tool": "bash", "arguments": {"command": "ls", "timeout_sec": "30",
                         "extra": [1]}, "output": "x"}]}]}"#;
    let Trajectory::Llm(t) = Trajectory::from_json(text).unwrap() else {
        panic!("not an llm trajectory")
    };
    assert_eq!(
        t.messages[0].content.as_deref(),
        Some(r#"[{"text":"hi","type":"text"}]"#)
    );
    let call = &t.steps[0].assistant.as_ref().unwrap().tool_calls[0];
    assert_eq!(call.function.arguments, r#"{"command":"ls"}"#);
    assert_eq!(call.kind, "function");
    let Observation::Action(a) = &t.steps[0].results[0] else {
        panic!("not an action")
    };
    // The tool reads a non-number timeout as none given; so does the record.
    assert_eq!(a.arguments.command.as_deref(), Some("ls"));
    assert_eq!(a.arguments.timeout_sec, None);
}
