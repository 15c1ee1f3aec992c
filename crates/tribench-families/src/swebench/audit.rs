//! The audit of a graded SWE-bench run: from each instance's recorded grading details
//! (`grading.json`, which holds both the official and the strict verdict), the instances where
//! the two modes part, the listed tests behind each difference, the dataset ids that are parser
//! artifacts, and the patches flagged as touching what the grader runs.

use super::parse::LogParser;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use tribench_types::swebench::{GradingDetails, ModeVerdict};

/// What the audit found over every graded instance it was given.
#[derive(Debug, Default, Serialize)]
pub struct Audit {
    /// Instances whose grading details were read.
    pub graded: usize,
    pub disagreements: Vec<Disagreement>,
    /// Instance id → why its patch is suspicious (it touches what the grader runs).
    pub suspicious_patches: BTreeMap<String, Vec<String>>,
    /// Instance id → dataset ids that are artifacts of the official parser, graded by its rule
    /// in strict mode.
    pub official_rule_ids: BTreeMap<String, Vec<String>>,
}

/// One instance where the official and strict verdicts differ.
#[derive(Debug, Serialize)]
pub struct Disagreement {
    pub instance_id: String,
    pub trial_id: String,
    pub official_resolved: bool,
    pub strict_resolved: bool,
    pub parser: String,
    /// Listed tests whose verdict differs, with the status each mode read.
    pub tests: Vec<TestDiff>,
    /// The validity of the log in each mode, when one rejected it.
    pub official_invalid: Option<String>,
    pub strict_invalid: Option<String>,
    /// What strict mode fixes in this parser.
    pub fixes: Vec<&'static str>,
}

/// A listed test the two modes judged differently.
#[derive(Debug, Serialize)]
pub struct TestDiff {
    pub test: String,
    /// `F2P` or `P2P`.
    pub list: &'static str,
    pub official: String,
    pub strict: String,
}

impl Audit {
    /// Adds one instance's grading details (its trial's `grading.json`).
    pub fn add(&mut self, instance_id: &str, trial_id: &str, g: &GradingDetails) {
        self.graded += 1;
        if !g.suspicious.is_empty() {
            self.suspicious_patches
                .insert(instance_id.to_string(), g.suspicious.clone());
        }
        if let Some(ids) = g
            .strict
            .as_ref()
            .map(|s| &s.official_rule_ids)
            .filter(|ids| !ids.is_empty())
        {
            self.official_rule_ids
                .insert(instance_id.to_string(), ids.clone());
        }
        // A patch that did not apply has no strict verdict: both modes stop there alike.
        let (Some(o), Some(s)) = (&g.official, &g.strict) else {
            return;
        };
        if o.resolved == s.resolved && o.tests_status == s.tests_status {
            return;
        }
        let fixes = LogParser::from_name(&g.parser)
            .map(|p| p.strict_fixes().to_vec())
            .unwrap_or_default();
        self.disagreements.push(Disagreement {
            instance_id: instance_id.to_string(),
            trial_id: trial_id.to_string(),
            official_resolved: o.resolved,
            strict_resolved: s.resolved,
            tests: test_diffs(o, s),
            official_invalid: o.invalid.clone(),
            strict_invalid: s.invalid.clone(),
            parser: g.parser.clone(),
            fixes,
        });
    }

    /// The audit for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let verdict = |r: bool| if r { "RESOLVED" } else { "not resolved" };
        let _ = writeln!(
            out,
            "{} graded instances; official and strict verdicts differ on {}",
            self.graded,
            self.disagreements.len()
        );
        for d in &self.disagreements {
            let _ = writeln!(
                out,
                "\n{} ({}): official {}, strict {}  [{}]",
                d.instance_id,
                d.trial_id,
                verdict(d.official_resolved),
                verdict(d.strict_resolved),
                d.parser
            );
            if let Some(w) = &d.official_invalid {
                let _ = writeln!(out, "  official rejected the log: {w}");
            }
            if let Some(w) = &d.strict_invalid {
                let _ = writeln!(out, "  strict rejected the log: {w}");
            }
            for t in &d.tests {
                let _ = writeln!(
                    out,
                    "  {} {}: official read {}, strict read {}",
                    t.list, t.test, t.official, t.strict
                );
            }
            for f in &d.fixes {
                let _ = writeln!(out, "  strict: {f}");
            }
        }
        if !self.official_rule_ids.is_empty() {
            out.push_str("\ndataset ids that are not tests but artifacts of the official parser (strict grades them by the official rule):\n");
            for (id, tests) in &self.official_rule_ids {
                let _ = writeln!(out, "  {id}: {}", tests.join(", "));
            }
        }
        if !self.suspicious_patches.is_empty() {
            out.push_str("\nsuspicious patches (they touch what the grader runs):\n");
            for (id, why) in &self.suspicious_patches {
                for w in why {
                    let _ = writeln!(out, "  {id}: {w}");
                }
            }
        }
        out
    }
}

/// The listed tests whose success/failure differs between the modes.
fn test_diffs(o: &ModeVerdict, s: &ModeVerdict) -> Vec<TestDiff> {
    let status_of = |v: &ModeVerdict, test: &str| -> String {
        v.status_map
            .as_ref()
            .and_then(|m| m.get(test))
            .map_or("missing", String::as_str)
            .to_string()
    };
    let part = |v: &ModeVerdict, list: &str, which: &str| -> Vec<String> {
        let Some(t) = &v.tests_status else {
            return Vec::new();
        };
        let l = if list == "FAIL_TO_PASS" {
            &t.fail_to_pass
        } else {
            &t.pass_to_pass
        };
        if which == "success" {
            l.success.clone()
        } else {
            l.failure.clone()
        }
    };
    let mut out = Vec::new();
    for (list, short) in [("FAIL_TO_PASS", "F2P"), ("PASS_TO_PASS", "P2P")] {
        let (so, ss) = (part(o, list, "success"), part(s, list, "success"));
        let mut names = so.clone();
        names.extend(part(o, list, "failure"));
        for n in ss.iter().cloned().chain(part(s, list, "failure")) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        for n in names {
            if so.contains(&n) != ss.contains(&n) {
                out.push(TestDiff {
                    official: status_of(o, &n),
                    strict: status_of(s, &n),
                    test: n,
                    list: short,
                });
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// grading.json as the family writes it, from its JSON.
    fn details(v: Value) -> GradingDetails {
        serde_json::from_value(v).unwrap()
    }

    fn verdict(resolved: bool, f2p_ok: &[&str], f2p_bad: &[&str], status: Value) -> Value {
        json!({
            "resolved": resolved,
            "tests_status": {"FAIL_TO_PASS": {"success": f2p_ok, "failure": f2p_bad},
                             "PASS_TO_PASS": {"success": [], "failure": []}},
            "status_map": status,
        })
    }

    #[test]
    fn agreeing_modes_are_counted_but_not_listed() {
        let mut a = Audit::default();
        let v = verdict(true, &["t1"], &[], json!({"t1": "PASSED"}));
        a.add(
            "i1",
            "i1.a1",
            &details(json!({"official": v, "strict": v, "parser": "pytest"})),
        );
        // A patch that did not apply: no strict verdict, nothing to compare.
        a.add(
            "i2",
            "i2.a1",
            &details(json!({"official": v, "strict": null, "suspicious": ["edits conftest.py"]})),
        );
        assert_eq!(a.graded, 2);
        assert!(a.disagreements.is_empty());
        assert_eq!(a.suspicious_patches["i2"], vec!["edits conftest.py"]);
        let text = a.render();
        assert!(text.starts_with("2 graded instances; official and strict verdicts differ on 0"));
        assert!(text.contains(
            "suspicious patches (they touch what the grader runs):\n  i2: edits conftest.py"
        ));
    }

    #[test]
    fn a_disagreement_names_the_test_each_mode_read_and_the_parser_fixes() {
        let mut a = Audit::default();
        let g = json!({
            "parser": "django",
            "official": verdict(true, &["t1"], &[], json!({"t1": "PASSED"})),
            "strict": {
                "resolved": false,
                "invalid": "the log ends inside a test",
                "official_rule_ids": ["weird id"],
                "tests_status": {"FAIL_TO_PASS": {"success": [], "failure": ["t1"]}},
                "status_map": {"t1": "FAILED"},
            },
        });
        a.add("django-1", "django-1.a1", &details(g));
        assert_eq!(a.disagreements.len(), 1);
        let d = &a.disagreements[0];
        assert!(d.official_resolved && !d.strict_resolved);
        assert_eq!(
            d.strict_invalid.as_deref(),
            Some("the log ends inside a test")
        );
        assert_eq!(d.tests.len(), 1);
        assert_eq!(
            (
                d.tests[0].list,
                d.tests[0].official.as_str(),
                d.tests[0].strict.as_str()
            ),
            ("F2P", "PASSED", "FAILED")
        );
        assert_eq!(
            d.fixes,
            LogParser::from_name("django")
                .unwrap()
                .strict_fixes()
                .to_vec()
        );
        assert_eq!(a.official_rule_ids["django-1"], vec!["weird id"]);
        let text = a.render();
        assert!(text
            .contains("django-1 (django-1.a1): official RESOLVED, strict not resolved  [django]"));
        assert!(text.contains("  F2P t1: official read PASSED, strict read FAILED"));
        assert!(text.contains("  strict rejected the log: the log ends inside a test"));
        let j = serde_json::to_value(&a).unwrap();
        assert_eq!(j["disagreements"][0]["tests"][0]["test"], "t1");
        assert_eq!(j["graded"], 1);
    }
}
