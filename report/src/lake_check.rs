//! `rwid lake check --html`: the lake's conformance to OMOP CDM 5.4 and
//! rwid's imaging specifications as a dashboard, findings by table and
//! status, every finding with its figures.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use rwid_catalog::conformance::{Finding, Status};

use crate::chart::{Chart, NumberTable, drawn, stacked_bars};
use crate::page::{ReportError, render};

/// Statuses, worst first, as the findings name them.
const STATUS_ORDER: &[&str] = &["fail", "warn", "info", "pass"];

/// The conformance of the lake at `lake` as one HTML page.
pub fn lake_check_report(lake: &str, findings: &[Finding]) -> Result<String, ReportError> {
    let mut by_table: BTreeMap<(String, &str), u64> = BTreeMap::new();
    for finding in findings {
        *by_table
            .entry((finding.table.clone(), finding.status.as_str()))
            .or_default() += 1;
    }
    let rows: Vec<Map<String, Value>> = by_table
        .iter()
        .map(|((table, status), n)| {
            let mut row = Map::new();
            row.insert("table".into(), table.clone().into());
            row.insert("status".into(), (*status).into());
            row.insert("findings".into(), (*n).into());
            row
        })
        .collect();
    let mut spec = stacked_bars(
        &rows,
        ("table", "Table"),
        ("status", "Status"),
        ("findings", "Findings"),
        Some(STATUS_ORDER),
    );
    spec["encoding"]["color"]["scale"]["range"] =
        json!(["#c62828", "#9a6700", "#6e7781", "#1a7f37"]);
    spec["encoding"]["x"]["axis"] = json!({"labelAngle": -40});
    let chart = Chart {
        id: "findings".into(),
        title: "Findings by table".into(),
        caption: "Each standard table's conformance findings by status.".into(),
        spec: spec.to_string(),
        mark: "rect",
        expected_marks: drawn(&rows, "findings"),
        table: NumberTable::of(&rows, &["table", "status", "findings"], &[]),
        notes: Vec::new(),
    };
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by(|a, b| {
        b.status
            .cmp(&a.status)
            .then_with(|| a.table.cmp(&b.table))
            .then_with(|| a.check.cmp(b.check))
    });
    let findings: Vec<Value> = sorted
        .iter()
        .map(|f| {
            json!({
                "table": f.table,
                "check": f.check,
                "column": f.column,
                "status": f.status.as_str(),
                "violating_rows": f.violating_rows,
                "total_rows": f.total_rows,
                "detail": f.detail,
            })
        })
        .collect();
    let count = |status: Status| sorted.iter().filter(|f| f.status == status).count();
    let context = json!({
        "title": format!("Lake check: {lake}"),
        "kind": "lake_check",
        "lake": lake,
        "findings": findings,
        "counts": {
            "fail": count(Status::Fail),
            "warn": count(Status::Warn),
            "info": count(Status::Info),
            "pass": count(Status::Pass),
        },
        "charts": [chart],
    });
    render("lake_check.html", &context)
}
