//! The layers on their own: one over another, from variables, from a tribench.toml found beside
//! a suite, and what they make of the engine's and the llm agent's settings.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;
use std::collections::HashMap;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = (pairs.iter())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

#[test]
fn a_layer_says_what_it_says_and_the_lower_one_the_rest() {
    let upper = RunLayer {
        jobs: Some(3),
        ..RunLayer::default()
    };
    let lower = RunLayer {
        jobs: Some(8),
        seed: Some(7),
        ..RunLayer::default()
    };
    let l = upper.over(lower);
    assert_eq!((l.jobs, l.seed, l.agent_timeout), (Some(3), Some(7), None));
}

#[test]
fn variables_are_read_by_name_and_a_bad_value_names_its_variable() {
    let l = RunLayer::from_env(&env(&[
        ("TRIBENCH_AGENT_TIMEOUT", "60"),
        ("TRIBENCH_NETWORK", "off"),
        ("TRIBENCH_JOBS", ""),
    ]))
    .unwrap();
    assert_eq!(l.agent_timeout, Some(60));
    assert_eq!(l.network, Some(NetworkChoice::Off));
    assert_eq!(l.jobs, None);
    let err = RunLayer::from_env(&env(&[("TRIBENCH_SEED", "x")])).unwrap_err();
    assert!(
        err.to_string().starts_with("TRIBENCH_SEED=\"x\": "),
        "{err}"
    );
}

#[test]
fn tribench_toml_is_found_beside_the_suite_and_its_paths_are_relative_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite");
    std::fs::create_dir(&suite).unwrap();
    assert_eq!(
        config_path(None, std::slice::from_ref(&suite)).unwrap(),
        None
    );
    let toml = dir.path().join("tribench.toml");
    std::fs::write(&toml, "[run]\njobs = 2\nsandbox_dir = \"boxes\"\n").unwrap();
    let found = config_path(None, std::slice::from_ref(&suite))
        .unwrap()
        .unwrap();
    assert_eq!(found.canonicalize().unwrap(), toml.canonicalize().unwrap());
    let cfg = file_config(Some(&found)).unwrap();
    assert_eq!(cfg.run.jobs, Some(2));
    assert_eq!(
        cfg.run.sandbox_dir,
        Some(found.parent().unwrap().join("boxes"))
    );
    let missing = dir.path().join("none.toml");
    let err = config_path(Some(&missing), &[]).unwrap_err().to_string();
    assert!(err.ends_with("none.toml: no such file"), "{err}");
}

#[test]
fn the_engine_keeps_its_defaults_where_no_layer_speaks() {
    let defaults = EngineConfig::new(Path::new("r"));
    let cfg = engine_config(RunLayer::default(), Path::new("r")).unwrap();
    assert_eq!(cfg.timeouts.agent_sec, defaults.timeouts.agent_sec);
    assert_eq!(cfg.output_cap, defaults.output_cap);
    let zero = RunLayer {
        output_cap: Some(0),
        ..RunLayer::default()
    };
    assert!(matches!(
        engine_config(zero, Path::new("r")),
        Err(SettingsError::OutputCapZero)
    ));
}

#[test]
fn the_llm_agent_is_priced_from_the_models_file_when_it_lists_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models.toml");
    let entry = "[[model]]\nid = \"m1\"\nprice_input_per_mtok = 0.2\nprice_output_per_mtok = 0.8\n";
    std::fs::write(&models, entry).unwrap();
    let args = |model: &str| LlmArgs {
        model: Some(model.into()),
        base_url: None,
        api_key_env: None,
        mode: None,
        temperature: None,
        top_p: None,
        max_tokens: None,
        max_steps: None,
        max_cost: None,
        concurrency: None,
        request_timeout: None,
        trim_history: false,
        prompts: None,
        models: Some(models.clone()),
    };
    let s = llm_settings(&args("m1"), Some(5)).unwrap();
    assert_eq!((s.prices.input_per_mtok, s.seed), (Some(0.2), Some(5)));
    let s = llm_settings(&args("other"), None).unwrap();
    assert_eq!(s.prices.input_per_mtok, None);
}

#[test]
fn flags_are_over_the_file_over_the_environment_and_the_file_is_named_first() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite");
    std::fs::create_dir(&suite).unwrap();
    let toml = dir.path().join("tribench.toml");
    std::fs::write(&toml, "[run]\njobs = 2\ntest_timeout = 50\n").unwrap();
    let flags = RunLayer {
        jobs: Some(7),
        ..RunLayer::default()
    };
    let vars = env(&[
        ("TRIBENCH_TEST_TIMEOUT", "9"),
        ("TRIBENCH_AGENT_TIMEOUT", "11"),
    ]);
    let mut named = None;
    let suites = std::slice::from_ref(&suite);
    let (file, l) = layered(flags, None, suites, &vars, |p| {
        named = Some(p.to_path_buf())
    })
    .unwrap();
    assert_eq!(
        (l.jobs, l.test_timeout, l.agent_timeout),
        (Some(7), Some(50), Some(11))
    );
    assert_eq!(
        file.run,
        RunLayer::default(),
        "the file's [run] table went into the layer"
    );
    assert_eq!(
        named.unwrap().canonicalize().unwrap(),
        toml.canonicalize().unwrap()
    );
    // A file that does not parse is named before the error.
    std::fs::write(&toml, "[run]\njobs = \"many\"\n").unwrap();
    let mut named = false;
    let e = layered(RunLayer::default(), Some(&toml), &[], &vars, |_| {
        named = true
    });
    assert!(named && e.is_err());
    let (_, l) = layered(RunLayer::default(), None, &[], &env(&[]), |_| panic!()).unwrap();
    assert_eq!(l, RunLayer::default());
}

#[test]
fn the_models_file_is_read_when_named_and_empty_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models.toml");
    std::fs::write(&models, "[[model]]\nid = \"m1\"\n").unwrap();
    assert!(models_file(Some(&models)).unwrap().get("m1").is_some());
    let missing = dir.path().join("none.toml");
    assert!(models_file(Some(&missing)).is_err());
}

#[test]
fn zero_jobs_and_zero_timeouts_are_refused_whichever_layer_says_them() {
    let env = RunLayer::from_env(&|k| (k == "TRIBENCH_JOBS").then(|| "0".to_string())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("tribench.toml");
    std::fs::write(&toml, "[run]\njobs = 0\n").unwrap();
    let file = file_config(Some(&toml)).unwrap().run;
    let flag = RunLayer {
        jobs: Some(0),
        ..RunLayer::default()
    };
    for layer in [env, file, flag] {
        let e = engine_config(layer, Path::new("r"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("jobs 0"), "{e}");
    }
    let too_many = RunLayer {
        jobs: Some(MAX_JOBS + 1),
        ..RunLayer::default()
    };
    let e = engine_config(too_many, Path::new("r"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("at most 1024"), "{e}");
    for (layer, name) in [
        (
            RunLayer {
                agent_timeout: Some(0),
                ..RunLayer::default()
            },
            "agent_timeout 0",
        ),
        (
            RunLayer {
                test_timeout: Some(0),
                ..RunLayer::default()
            },
            "test_timeout 0",
        ),
        (
            RunLayer {
                setup_timeout: Some(0),
                ..RunLayer::default()
            },
            "setup_timeout 0",
        ),
    ] {
        let e = engine_config(layer, Path::new("r"))
            .unwrap_err()
            .to_string();
        assert!(e.contains(name), "{e}");
    }
}

#[test]
fn sampling_and_limit_flags_out_of_range_are_refused() {
    let base = LlmArgs::default();
    let cases = [
        (
            LlmArgs {
                temperature: Some(f64::NAN),
                ..base.clone()
            },
            "--temperature NaN",
        ),
        (
            LlmArgs {
                temperature: Some(f64::INFINITY),
                ..base.clone()
            },
            "--temperature inf",
        ),
        (
            LlmArgs {
                top_p: Some(5.0),
                ..base.clone()
            },
            "--top-p 5",
        ),
        (
            LlmArgs {
                max_tokens: Some(0),
                ..base.clone()
            },
            "--max-tokens 0",
        ),
        (
            LlmArgs {
                max_cost: Some(-1.0),
                ..base.clone()
            },
            "--max-cost -1",
        ),
        (
            LlmArgs {
                max_cost: Some(f64::NAN),
                ..base.clone()
            },
            "--max-cost NaN",
        ),
        (
            LlmArgs {
                request_timeout: Some(0),
                ..base.clone()
            },
            "--request-timeout 0",
        ),
        (
            LlmArgs {
                prompts: Some("/nonexistent/prompts".into()),
                ..base.clone()
            },
            "no such folder",
        ),
    ];
    for (args, want) in cases {
        let e = llm_settings(&args, None).unwrap_err().to_string();
        assert!(e.contains(want), "{want}: {e}");
    }
    let ok = LlmArgs {
        temperature: Some(0.0),
        top_p: Some(1.0),
        max_tokens: Some(1),
        max_cost: Some(0.5),
        ..base
    };
    assert!(llm_settings(&ok, None).is_ok());
}
