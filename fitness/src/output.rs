//! An assessment's results: JSON shaped for machines and Parquet tables
//! (checks, elements, attrition, sites, per-site check figures, patients,
//! failures, inputs), written atomically into one folder, and the same
//! tables as Arrow batches for SQL.
//!
//! The JSON is deterministic: the same inputs and profile give the same
//! bytes, but for `provenance.started_at` and `finished_at`.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::json::ReaderBuilder;
use datafusion::common::{DataFusionError, Result};
use datafusion::parquet::arrow::ArrowWriter;
use serde::Serialize;
use serde_json::{Value, json};

use rwid_catalog::lake::replace_folder;

use crate::compare::CheckChange;
use crate::run::Assessment;
use crate::verdict::Verdict;

/// The verdict rule, as the results state it (see [`crate::verdict`]).
pub const VERDICT_RULE: &str = "Per requirement: NOT FIT when an essential check failed; else NOT ASSESSABLE when an essential check could not be assessed or no check could; else FIT WITH CAVEATS when a supplemental check failed or could not be assessed (but for one that found nothing to check); else FIT. The dataset takes the worst requirement.";

/// The results as JSON.
pub fn to_json(assessment: &Assessment, changes: Option<&[CheckChange]>) -> Value {
    let profile = &assessment.profile;
    let checks: Vec<Value> = assessment
        .checks
        .iter()
        .map(|check| {
            let mut value = serde_json::to_value(check).unwrap_or(Value::Null);
            if let Some(object) = value.as_object_mut() {
                object.insert(
                    "sample".into(),
                    serde_json::to_value(
                        assessment
                            .samples
                            .get(&check.id)
                            .cloned()
                            .unwrap_or_default(),
                    )
                    .unwrap_or(Value::Null),
                );
                if let Some(change) = changes.and_then(|c| c.iter().find(|c| c.id == check.id)) {
                    object.insert(
                        "change".into(),
                        serde_json::to_value(change).unwrap_or(Value::Null),
                    );
                }
            }
            value
        })
        .collect();
    let mut results = json!({
        "rwid_version": assessment.rwid_version,
        "profile": {
            "id": profile.profile.id,
            "version": profile.profile.version,
            "title": profile.profile.title,
            "origin": profile.origin,
            "sha256": profile.sha256,
            "text": profile.text,
        },
        "purpose": profile.profile.purpose,
        "verdict": {
            "dataset": assessment.verdict.verdict,
            "decided_by": assessment.verdict.decided_by,
            "requirements": assessment.verdict.requirements,
            "rule": VERDICT_RULE,
        },
        "counts": {
            "population": assessment.population,
            "eligible": assessment.eligible,
            "evaluable": assessment.evaluable,
            "required": profile.profile.sample_size.evaluable_patients,
        },
        "attrition": assessment.attrition,
        "elements": assessment.elements,
        "sites": assessment.sites,
        "checks": checks,
        "provenance": {
            "rwid_version": assessment.rwid_version,
            "profile_sha256": profile.sha256,
            "tables": assessment.tables,
            "inputs": assessment.inputs,
            "started_at": assessment.started_at,
            "finished_at": assessment.finished_at,
        },
    });
    if let (Some(changes), Some(object)) = (changes, results.as_object_mut()) {
        object.insert(
            "comparison".into(),
            serde_json::to_value(changes).unwrap_or(Value::Null),
        );
    }
    results
}

/// The result tables, by name: `checks`, `elements`, `attrition`, `sites`,
/// `site_checks`, `patients`, `failures`, `inputs`.
pub fn tables(
    assessment: &Assessment,
    changes: Option<&[CheckChange]>,
) -> Result<Vec<(&'static str, Vec<RecordBatch>)>> {
    #[derive(Serialize)]
    struct CheckRow<'a> {
        id: &'a str,
        requirement: &'static str,
        kahn_category: &'a str,
        kahn_subcategory: &'a str,
        fda_aspect: Value,
        ema_dimension: Value,
        description: &'a str,
        rank: Value,
        element: Option<&'a str>,
        status: &'static str,
        reason: Option<&'a str>,
        threshold_percent: Option<f64>,
        violating: Option<u64>,
        total: Option<u64>,
        percent: Option<f64>,
        interval_low: Option<f64>,
        interval_high: Option<f64>,
        value: Option<f64>,
        bound: Option<f64>,
        change: Option<&'static str>,
        sql: String,
    }
    let check_rows: Vec<CheckRow> = assessment
        .checks
        .iter()
        .map(|c| CheckRow {
            id: &c.id,
            requirement: c.requirement.name(),
            kahn_category: c.kahn_category,
            kahn_subcategory: c.kahn_subcategory,
            fda_aspect: serde_json::to_value(c.fda_aspect).unwrap_or(Value::Null),
            ema_dimension: serde_json::to_value(c.ema_dimension).unwrap_or(Value::Null),
            description: &c.description,
            rank: serde_json::to_value(c.rank).unwrap_or(Value::Null),
            element: c.element.as_deref(),
            status: c.status.name(),
            reason: c.reason.as_deref(),
            threshold_percent: c.threshold_percent,
            violating: c.violating,
            total: c.total,
            percent: c.percent,
            interval_low: c.interval.map(|i| i.0),
            interval_high: c.interval.map(|i| i.1),
            value: c.value,
            bound: c.bound,
            change: changes
                .and_then(|all| all.iter().find(|ch| ch.id == c.id))
                .map(|ch| ch.state.name()),
            sql: c.sql.join(";\n"),
        })
        .collect();
    let text = |name: &str| (name.to_string(), DataType::Utf8, true);
    let float = |name: &str| (name.to_string(), DataType::Float64, true);
    let int = |name: &str| (name.to_string(), DataType::Int64, true);
    let checks = batch(checks_schema(), &check_rows)?;

    #[derive(Serialize)]
    struct SiteCheckRow<'a> {
        check_id: &'a str,
        site: &'a str,
        violating: u64,
        total: u64,
        percent: Option<f64>,
        interval_low: Option<f64>,
        interval_high: Option<f64>,
        deviates: Option<&'a str>,
    }
    let site_rows: Vec<SiteCheckRow> = assessment
        .checks
        .iter()
        .flat_map(|c| {
            c.sites.iter().map(move |s| SiteCheckRow {
                check_id: &c.id,
                site: &s.site,
                violating: s.violating,
                total: s.total,
                percent: s.percent,
                interval_low: s.interval.map(|i| i.0),
                interval_high: s.interval.map(|i| i.1),
                deviates: s.deviates,
            })
        })
        .collect();
    let site_checks = batch(
        schema(vec![
            text("check_id"),
            text("site"),
            int("violating"),
            int("total"),
            float("percent"),
            float("interval_low"),
            float("interval_high"),
            text("deviates"),
        ]),
        &site_rows,
    )?;
    let failures = batch(
        schema(vec![
            text("check_id"),
            int("person_id"),
            text("site"),
            text("record"),
            text("detail"),
        ]),
        &assessment.failures,
    )?;
    let elements = batch(
        schema(vec![
            text("id"),
            text("name"),
            text("kind"),
            text("rank"),
            text("availability"),
            float("missing_percent"),
            text("completeness"),
            float("implausible_percent"),
            text("validity"),
        ]),
        &assessment.elements,
    )?;
    let attrition = batch(
        schema(vec![
            int("step"),
            text("criterion"),
            text("column"),
            int("persons"),
            int("removed"),
            int("met"),
            int("only_failure"),
        ]),
        &assessment.attrition,
    )?;
    let sites = batch(
        schema(vec![
            text("site"),
            int("persons"),
            int("eligible"),
            int("evaluable"),
        ]),
        &assessment.sites,
    )?;
    let inputs = batch(
        schema(vec![
            text("table"),
            text("location"),
            int("size"),
            text("last_modified"),
            text("e_tag"),
            text("sha256"),
        ]),
        &assessment.inputs,
    )?;
    Ok(vec![
        ("checks", vec![checks]),
        ("elements", vec![elements]),
        ("attrition", vec![attrition]),
        ("sites", vec![sites]),
        ("site_checks", vec![site_checks]),
        ("patients", assessment.patients.clone()),
        ("failures", vec![failures]),
        ("inputs", vec![inputs]),
    ])
}

/// The schema of the `checks` table (and of `assess()`'s result).
pub fn checks_schema() -> SchemaRef {
    let text = |name: &str| (name.to_string(), DataType::Utf8, true);
    let float = |name: &str| (name.to_string(), DataType::Float64, true);
    let int = |name: &str| (name.to_string(), DataType::Int64, true);
    schema(vec![
        text("id"),
        text("requirement"),
        text("kahn_category"),
        text("kahn_subcategory"),
        text("fda_aspect"),
        text("ema_dimension"),
        text("description"),
        text("rank"),
        text("element"),
        text("status"),
        text("reason"),
        float("threshold_percent"),
        int("violating"),
        int("total"),
        float("percent"),
        float("interval_low"),
        float("interval_high"),
        float("value"),
        float("bound"),
        text("change"),
        text("sql"),
    ])
}

fn schema(fields: Vec<(String, DataType, bool)>) -> SchemaRef {
    Arc::new(Schema::new(
        fields
            .into_iter()
            .map(|(name, data_type, nullable)| Field::new(name, data_type, nullable))
            .collect::<Vec<_>>(),
    ))
}

/// `rows` as one batch of `schema`, through serde (enums as their names).
fn batch<S: Serialize>(schema: SchemaRef, rows: &[S]) -> Result<RecordBatch> {
    let mut decoder = ReaderBuilder::new(Arc::clone(&schema)).build_decoder()?;
    decoder.serialize(rows)?;
    Ok(decoder
        .flush()?
        .unwrap_or_else(|| RecordBatch::new_empty(schema)))
}

/// Writes `assessment.json`, one Parquet file per result table and the
/// `extra` files (name, bytes: the HTML report) into `folder`, replacing
/// what was there only once everything is written: a failed write leaves
/// the previous results whole.
pub fn write(
    folder: &Path,
    assessment: &Assessment,
    changes: Option<&[CheckChange]>,
    extra: &[(&str, &[u8])],
) -> Result<()> {
    let json = serde_json::to_string_pretty(&to_json(assessment, changes)).map_err(|e| {
        DataFusionError::Execution(format!("cannot write the results as JSON: {e}"))
    })?;
    let tables = tables(assessment, changes)?;
    replace_folder(folder, |staging| {
        let io = |path: &Path, e: &dyn std::fmt::Display| {
            DataFusionError::Execution(format!("cannot write '{}': {e}", path.display()))
        };
        let json_path = staging.join("assessment.json");
        std::fs::write(&json_path, format!("{json}\n")).map_err(|e| io(&json_path, &e))?;
        for (name, batches) in &tables {
            let path = staging.join(format!("{name}.parquet"));
            let file = std::fs::File::create(&path).map_err(|e| io(&path, &e))?;
            let schema = batches
                .first()
                .map(|b| b.schema())
                .unwrap_or_else(|| Arc::new(Schema::empty()));
            let mut writer = ArrowWriter::try_new(file, schema, None)?;
            for batch in batches {
                writer.write(batch)?;
            }
            writer.close()?;
        }
        for (name, bytes) in extra {
            let path = staging.join(name);
            std::fs::write(&path, bytes).map_err(|e| io(&path, &e))?;
        }
        Ok(())
    })
}

/// One line per requirement and one for the dataset, for a terminal.
pub fn verdict_lines(assessment: &Assessment) -> Vec<String> {
    let mut lines = Vec::new();
    for requirement in &assessment.verdict.requirements {
        let decided = if requirement.decided_by.is_empty() {
            String::new()
        } else {
            format!("  ({})", requirement.decided_by.join(", "))
        };
        lines.push(format!(
            "{:<32} {:<17}{decided}",
            requirement.requirement.title(),
            requirement.verdict.name()
        ));
    }
    let verdict: Verdict = assessment.verdict.verdict;
    lines.push(format!(
        "{:<32} {}  ({} evaluable of {} needed; {} eligible of {})",
        "Dataset",
        verdict.name(),
        assessment.evaluable,
        assessment.profile.profile.sample_size.evaluable_patients,
        assessment.eligible,
        assessment.population
    ));
    lines
}
