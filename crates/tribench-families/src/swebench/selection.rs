//! Which predictions a grading run grades and which instances its run report covers. As the
//! official harness does, predictions naming instances outside the dataset are ignored, and
//! with an explicit instance selection the report counts over the selected instances only
//! (its dataset is loaded with the same filter).

use super::SwebenchTask;

/// The instances to grade and to report on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Predicted instances that are graded, in prediction order.
    pub submitted: Vec<String>,
    /// The instances the run report counts over (total, incomplete and the rest).
    pub report_ids: Vec<String>,
    /// Predicted instances not in the dataset, ignored.
    pub ignored: Vec<String>,
}

/// Selects from `predicted` the instances of `dataset` (and of `only`, when not empty).
/// `Err` lists the ids of `only` that are not in the dataset.
pub fn select_predictions(
    dataset: &[String],
    predicted: &[String],
    only: &[String],
) -> Result<Selection, Vec<String>> {
    let (mut submitted, ignored): (Vec<String>, Vec<String>) =
        predicted.iter().cloned().partition(|i| dataset.contains(i));
    let unknown: Vec<String> = only
        .iter()
        .filter(|i| !dataset.contains(i))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let report_ids = if only.is_empty() {
        dataset.to_vec()
    } else {
        submitted.retain(|i| only.contains(i));
        dataset
            .iter()
            .filter(|i| only.contains(i))
            .cloned()
            .collect()
    };
    Ok(Selection {
        submitted,
        report_ids,
        ignored,
    })
}

/// The built-in predictions `gold` (each instance's reference patch) and `nop` (an empty patch
/// for each), as (instance id, patch); `None` for any other name.
pub fn builtin_patches(
    name: &str,
    tasks: &[&SwebenchTask],
) -> Option<Vec<(String, Option<String>)>> {
    let patch = |t: &SwebenchTask| match name {
        "gold" => t.instance.patch.clone(),
        _ => String::new(),
    };
    matches!(name, "gold" | "nop").then(|| {
        tasks
            .iter()
            .map(|t| (t.instance.instance_id.clone(), Some(patch(t))))
            .collect()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn predictions_outside_the_dataset_are_ignored_and_the_report_covers_the_dataset() {
        let s = select_predictions(&ids(&["a", "b", "c"]), &ids(&["c", "x", "a"]), &[]).unwrap();
        assert_eq!(s.submitted, ids(&["c", "a"]));
        assert_eq!(s.ignored, ids(&["x"]));
        assert_eq!(s.report_ids, ids(&["a", "b", "c"]));
    }

    #[test]
    fn gold_and_nop_are_built_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("instances.jsonl");
        let line = serde_json::json!({
            "instance_id": "acme-1", "repo": "acme/w", "base_commit": "abc", "patch": "diff --git a/x b/x\n",
            "test_patch": "", "problem_statement": "p", "version": "1.0",
            "FAIL_TO_PASS": [], "PASS_TO_PASS": [],
        });
        std::fs::write(&path, line.to_string()).unwrap();
        let tasks = super::super::load_tasks(&path).unwrap();
        let refs: Vec<&SwebenchTask> = tasks.iter().collect();
        let gold = builtin_patches("gold", &refs).unwrap();
        assert_eq!(
            gold,
            vec![(
                "acme-1".to_string(),
                Some("diff --git a/x b/x\n".to_string())
            )]
        );
        let nop = builtin_patches("nop", &refs).unwrap();
        assert_eq!(nop, vec![("acme-1".to_string(), Some(String::new()))]);
        assert!(builtin_patches("preds.jsonl", &refs).is_none());
    }

    #[test]
    fn an_instance_selection_narrows_both_and_unknown_ones_are_refused() {
        let d = ids(&["a", "b", "c"]);
        let s = select_predictions(&d, &ids(&["a", "b"]), &ids(&["b", "c"])).unwrap();
        assert_eq!(s.submitted, ids(&["b"]));
        assert_eq!(s.report_ids, ids(&["b", "c"]));
        assert_eq!(
            select_predictions(&d, &ids(&["a"]), &ids(&["z", "a", "y"])).unwrap_err(),
            ids(&["z", "y"])
        );
    }
}
