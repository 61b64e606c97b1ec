//! A cohort's attrition (`rwid cohort FILE --html PAGE`): the CONSORT-style
//! flow of the persons each criterion leaves, and every criterion's SQL.

use serde::Serialize;
use serde_json::json;

use crate::page::{ReportError, render};

/// One step of a cohort's attrition.
#[derive(Debug, Clone, Serialize)]
pub struct FlowStep {
    pub criterion: String,
    /// Persons meeting this criterion and every earlier one.
    pub persons: u64,
    /// Persons this step removed.
    pub removed: u64,
    /// The criterion's SQL.
    pub sql: String,
}

/// The attrition of the cohort `name` as one HTML page; the first step is
/// the population the criteria start from.
pub fn attrition_report(name: &str, steps: &[FlowStep]) -> Result<String, ReportError> {
    let (start, rest) = match steps.split_first() {
        Some((first, rest)) => (Some(first), rest),
        None => (None, steps),
    };
    let context = json!({
        "title": format!("Cohort attrition: {name}"),
        "kind": "attrition",
        "name": name,
        "start": start,
        "steps": rest,
        "all_steps": steps,
    });
    render("attrition.html", &context)
}
