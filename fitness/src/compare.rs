//! An assessment compared with an earlier one (its `assessment.json`):
//! each check NEW (failing now, not before), RESOLVED (failing before, not
//! now), PERSISTING (failing in both) or STABLE (failing in neither), with
//! the change in its figure.

use serde::Serialize;
use serde_json::Value;

use crate::check::{CheckResult, Status};

/// How a check changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeState {
    New,
    Resolved,
    Persisting,
    Stable,
}

impl ChangeState {
    pub fn name(self) -> &'static str {
        match self {
            ChangeState::New => "NEW",
            ChangeState::Resolved => "RESOLVED",
            ChangeState::Persisting => "PERSISTING",
            ChangeState::Stable => "STABLE",
        }
    }
}

/// One check's change between the earlier assessment and this one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckChange {
    pub id: String,
    pub state: ChangeState,
    /// The earlier status (`None`: the check did not exist).
    pub previous_status: Option<String>,
    pub status: String,
    pub previous_percent: Option<f64>,
    pub percent: Option<f64>,
    /// `percent - previous_percent`, points.
    pub percent_change: Option<f64>,
    pub previous_value: Option<f64>,
    pub value: Option<f64>,
}

/// The changes of `checks` against an earlier results JSON. Checks the
/// earlier run had and this one has not are RESOLVED when they had
/// failed.
pub fn compare(checks: &[CheckResult], previous: &Value) -> Vec<CheckChange> {
    let earlier: Vec<&Value> = previous
        .get("checks")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let find = |id: &str| {
        earlier
            .iter()
            .find(|c| c.get("id").and_then(Value::as_str) == Some(id))
    };
    let failed = |status: &str| status == "failed";
    let mut changes: Vec<CheckChange> = checks
        .iter()
        .map(|check| {
            let before = find(&check.id);
            let previous_status = before
                .and_then(|c| c.get("status"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let failing_now = check.status == Status::Failed;
            let failing_before = previous_status.as_deref().is_some_and(failed);
            let state = match (failing_before, failing_now) {
                (false, true) => ChangeState::New,
                (true, false) => ChangeState::Resolved,
                (true, true) => ChangeState::Persisting,
                (false, false) => ChangeState::Stable,
            };
            let number = |key: &str| before.and_then(|c| c.get(key)).and_then(Value::as_f64);
            let previous_percent = number("percent");
            CheckChange {
                id: check.id.clone(),
                state,
                previous_status,
                status: check.status.name().to_string(),
                previous_percent,
                percent: check.percent,
                percent_change: match (check.percent, previous_percent) {
                    (Some(now), Some(then)) => Some(((now - then) * 1e9).round() / 1e9),
                    _ => None,
                },
                previous_value: number("value"),
                value: check.value,
            }
        })
        .collect();
    for before in &earlier {
        let Some(id) = before.get("id").and_then(Value::as_str) else {
            continue;
        };
        if checks.iter().any(|c| c.id == id) {
            continue;
        }
        let status = before.get("status").and_then(Value::as_str).unwrap_or("");
        changes.push(CheckChange {
            id: id.to_string(),
            state: if failed(status) {
                ChangeState::Resolved
            } else {
                ChangeState::Stable
            },
            previous_status: Some(status.to_string()),
            status: "absent".to_string(),
            previous_percent: before.get("percent").and_then(Value::as_f64),
            percent: None,
            percent_change: None,
            previous_value: before.get("value").and_then(Value::as_f64),
            value: None,
        });
    }
    changes.sort_by(|a, b| a.id.cmp(&b.id));
    changes
}
