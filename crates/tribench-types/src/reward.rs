//! A verifier's `reward.json`, decided as Harbor decides it: the `"reward"` key when present,
//! otherwise the only key's value; anything else is refused rather than guessed, so a side
//! metric (`accuracy`, `n_passed`, ...) can never decide whether a task was solved.

use serde_json::Value;

/// Why a `reward.json` text does not decide a reward.
#[derive(Debug, Clone, PartialEq)]
pub enum RewardJsonError {
    /// Not JSON at all.
    NotJson(String),
    /// JSON, but not an object of named values (`[1]`, `0.5`, `"yes"`).
    NotAnObject,
    /// An object with no keys.
    Empty,
    /// Several keys and none named `reward`: which one decides is not said.
    Ambiguous { keys: Vec<String> },
    /// The deciding key holds something other than a number.
    NotANumber { key: String },
}

impl std::fmt::Display for RewardJsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RewardJsonError::NotJson(e) => write!(f, "is not valid JSON ({e})"),
            RewardJsonError::NotAnObject => {
                f.write_str("is not a JSON object of named rewards")
            }
            RewardJsonError::Empty => f.write_str("is an empty object: it holds no reward"),
            RewardJsonError::Ambiguous { keys } => write!(
                f,
                "has keys {} and no \"reward\" key: with several keys one must be named \"reward\" (as Harbor requires), so none decides",
                keys.join(", ")
            ),
            RewardJsonError::NotANumber { key } => {
                write!(f, "holds a non-number under \"{key}\"")
            }
        }
    }
}

impl std::error::Error for RewardJsonError {}

/// The reward a `reward.json` text gives: `"reward"` when present, the single value when the
/// object has exactly one key, otherwise an error naming the keys.
pub fn reward_from_json(text: &str) -> Result<f64, RewardJsonError> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| RewardJsonError::NotJson(e.to_string()))?;
    let Value::Object(map) = v else {
        return Err(RewardJsonError::NotAnObject);
    };
    let (key, value) = match map.get("reward") {
        Some(value) => ("reward".to_string(), value),
        None => {
            let mut entries = map.iter();
            match (entries.next(), entries.next()) {
                (None, _) => return Err(RewardJsonError::Empty),
                (Some((k, value)), None) => (k.clone(), value),
                (Some(_), Some(_)) => {
                    return Err(RewardJsonError::Ambiguous {
                        keys: map.keys().cloned().collect(),
                    })
                }
            }
        }
    };
    // A bool is not a reward, though Python would count `true` as 1.
    match value {
        Value::Number(n) => n.as_f64().ok_or(RewardJsonError::NotANumber { key }),
        _ => Err(RewardJsonError::NotANumber { key }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reward_key_then_the_only_key_else_an_error_naming_the_keys() {
        assert_eq!(reward_from_json(r#"{"reward": 0.0}"#), Ok(0.0));
        assert_eq!(
            reward_from_json(r#"{"accuracy": 1.0, "reward": 0.0, "n": 3}"#),
            Ok(0.0)
        );
        assert_eq!(reward_from_json(r#"{"score": 0.75}"#), Ok(0.75));
        assert_eq!(reward_from_json(r#"{"pass": 1}"#), Ok(1.0));
        // Before: the alphabetically first number decided, so `accuracy` resolved the task.
        let e = reward_from_json(r#"{"passed_tests": 0, "accuracy": 0.5}"#).unwrap_err();
        assert_eq!(
            e,
            RewardJsonError::Ambiguous {
                keys: vec!["accuracy".into(), "passed_tests".into()]
            }
        );
        let msg = e.to_string();
        assert!(msg.contains("accuracy, passed_tests"), "{msg}");
        assert_eq!(reward_from_json("{}"), Err(RewardJsonError::Empty));
        assert_eq!(reward_from_json("1"), Err(RewardJsonError::NotAnObject));
        assert_eq!(
            reward_from_json(r#"{"reward": "1"}"#),
            Err(RewardJsonError::NotANumber {
                key: "reward".into()
            })
        );
        assert_eq!(
            reward_from_json(r#"{"ok": true}"#),
            Err(RewardJsonError::NotANumber { key: "ok".into() })
        );
        assert!(matches!(
            reward_from_json("not json"),
            Err(RewardJsonError::NotJson(_))
        ));
    }
}
