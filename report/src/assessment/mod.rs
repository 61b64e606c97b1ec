//! The assessment report: the verdict first (purpose, context of use, the
//! five requirements, the checks that decided them), who is in (a
//! CONSORT-style flow and N evaluable against N needed), the sites and
//! patients behind the failures, every check with its SQL and violating
//! rows, the charts with their numbers, what changed since an earlier run,
//! and the provenance.
//!
//! The page is built from the results JSON ([`rwid_fitness::output::to_json`],
//! the same figures `assessment.json` holds) and the assessment's figures;
//! small-cell suppression, when asked, is applied to both before anything
//! is drawn.

pub mod charts;

use serde::Serialize;
use serde_json::{Value, json};

use rwid_fitness::compare::CheckChange;
use rwid_fitness::output::to_json;
use rwid_fitness::requirement::Requirement;
use rwid_fitness::{Assessment, figures::Figure};

use crate::chart::Chart;
use crate::page::{ReportError, render};
use crate::suppress;

/// How a report is rendered.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// Counts from 1 to this bound minus one are suppressed (`None`: all
    /// counts shown).
    pub suppress_below: Option<u64>,
}

/// A section of charts.
#[derive(Debug, Serialize)]
struct Section {
    id: &'static str,
    title: &'static str,
    charts: Vec<Chart>,
}

/// The report of `assessment` as one HTML page.
pub fn assessment_report(
    assessment: &Assessment,
    changes: Option<&[CheckChange]>,
    options: &ReportOptions,
) -> Result<String, ReportError> {
    let mut results = to_json(assessment, changes);
    let mut figures: Vec<Figure> = assessment.figures.clone();
    let geometry_failures: Vec<(Option<String>, Option<String>)> = assessment
        .failures
        .iter()
        .filter(|f| f.check_id == "imaging.geometry")
        .map(|f| (f.site.clone(), f.detail.clone()))
        .collect();
    if let Some(bound) = options.suppress_below {
        suppress::results(&mut results, bound);
        suppress::figures(&mut figures, bound);
    }
    let mut checks: Vec<Value> = results["checks"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(with_titles)
        .collect();
    // What needs attention first, as DQD's results list failures first.
    checks.sort_by_key(|c| {
        let rank = [
            "failed",
            "error",
            "not_assessable",
            "insufficient_n",
            "passed",
        ]
        .iter()
        .position(|s| c["status"] == *s)
        .unwrap_or(5);
        (rank, c["id"].as_str().unwrap_or_default().to_string())
    });
    let geometry_check = checks.iter().find(|c| c["id"] == "imaging.geometry");

    let mut unavailable = charts::unavailable(&figures);
    let sections: Vec<Section> = [
        Section {
            id: "imaging",
            title: "Imaging across sites",
            charts: [
                charts::scanners(&figures),
                charts::kernels(&figures),
                charts::slice_thickness(&figures),
                charts::geometry(geometry_check, &geometry_failures, options.suppress_below),
            ]
            .into_iter()
            .flatten()
            .collect(),
        },
        Section {
            id: "completeness",
            title: "Completeness and timing",
            charts: [charts::completeness(&checks), charts::scan_timing(&figures)]
                .into_iter()
                .flatten()
                .collect(),
        },
        Section {
            id: "indication",
            title: "The indication's measurements",
            charts: [
                charts::waterfall(&figures),
                charts::spider(&figures),
                charts::centiloid(&figures),
                charts::lvef(&figures),
            ]
            .into_iter()
            .flatten()
            .collect(),
        },
        Section {
            id: "harmonization",
            title: "Harmonization",
            charts: charts::batch_effect(&figures).into_iter().collect(),
        },
    ]
    .into_iter()
    .map(|mut section| {
        // A chart whose every cell is suppressed has nothing to draw.
        section.charts.retain(|chart| {
            let drawable = chart.expected_marks > 0;
            if !drawable {
                let why = if options.suppress_below.is_some() {
                    "nothing to draw: every count is under the suppression bound"
                } else {
                    "nothing to draw: no values"
                };
                unavailable.push((chart.id.clone(), why.to_string()));
            }
            drawable
        });
        section
    })
    .filter(|s| !s.charts.is_empty())
    .collect();

    let requirements: Vec<Value> = assessment
        .verdict
        .requirements
        .iter()
        .map(|r| {
            json!({
                "name": r.requirement.name(),
                "title": r.requirement.title(),
                "verdict": r.verdict.name(),
                "decided_by": r.decided_by,
                "passed": r.passed,
                "failed": r.failed,
                "not_assessable": r.not_assessable,
                "insufficient_n": r.insufficient_n,
                "error": r.error,
            })
        })
        .collect();
    let deviating_sites = deviating_sites(&checks);
    let profile = &assessment.profile.profile;
    let context = json!({
        "title": format!("Fit for purpose? {}", profile.title),
        "kind": "assessment",
        "results": results,
        "checks": checks,
        "requirements": requirements,
        "dataset_verdict": assessment.verdict.verdict.name(),
        "decided_by": assessment.verdict.decided_by.iter().map(|r| r.title()).collect::<Vec<_>>(),
        "sample_size": profile.sample_size,
        "deviating_sites": deviating_sites,
        "sections": sections,
        "unavailable": unavailable,
        "suppress_below": options.suppress_below,
        "sample_rows": rwid_fitness::run::SAMPLE_ROWS,
    });
    render("assessment.html", &context)
}

/// A check with its requirement's title and its verdict's class.
fn with_titles(mut check: Value) -> Value {
    let title = Requirement::ALL
        .iter()
        .find(|r| check["requirement"] == r.name())
        .map(|r| r.title());
    if let (Some(object), Some(title)) = (check.as_object_mut(), title) {
        object.insert("requirement_title".into(), title.into());
    }
    check
}

/// Sites whose figure for a failed check lies above the other sites'
/// (the checks' `deviates` flags), worst first.
fn deviating_sites(checks: &[Value]) -> Vec<Value> {
    let mut rows = Vec::new();
    for check in checks {
        for site in check["sites"].as_array().into_iter().flatten() {
            if site["deviates"] == "higher" {
                rows.push(json!({
                    "site": site["site"],
                    "check": check["id"],
                    "description": check["description"],
                    "status": check["status"],
                    "violating": site["violating"],
                    "total": site["total"],
                    "percent": site["percent"],
                    "overall_percent": check["percent"],
                }));
            }
        }
    }
    rows.sort_by(|a, b| {
        let key = |v: &Value| (v["status"] != "failed", v["site"].to_string());
        key(a).cmp(&key(b))
    });
    rows
}
