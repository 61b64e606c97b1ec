//! Conformance of a lake's tables to the standard table specifications
//! (`specs/`), in the spirit of OHDSI DataQualityDashboard's conformance
//! checks (Kahn et al. 2016's "conformance" category; DQD's `cdmField`,
//! `cdmDatatype`, `isRequired`, `isPrimaryKey`, `isForeignKey`), plus imaging linkage
//! coverage.
//!
//! Checks, one [`Finding`] each:
//! - `required_column`: a required column is missing (fail);
//! - `missing_column`: an optional column is missing (warn);
//! - `column_type`: a column's type is not one the specification allows (fail);
//! - `extra_column`: a column the specification does not have (warn);
//! - `required_value`: a required column holds NULLs (fail; DQD's
//!   `isRequired`);
//! - `primary_key`: the table's `<table>_id` column is NULL or repeated (fail);
//! - `foreign_key`: a `<other>_id` column holds a value the `<other>` table
//!   does not, or a `*_concept_id` column a concept `concept` does not hold
//!   when the lake has a concept table (fail; NULL, and concept 0, "no
//!   matching concept", are allowed);
//! - `linkage`: DICOM PatientIDs that no `imaging.patient_link` row maps to a
//!   person (warn), and persons without linked imaging (info).
//!
//! Schema checks need no data and run when a lake is mounted, so a
//! non-conforming table still queries with a warning; the data checks run in
//! `rwid lake check` and the `lake_check()` table function.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{Result, plan_datafusion_err, plan_err};
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::{Documentation, Expr};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;

use crate::specs::{ColumnType, TableSpec, all_tables, standard_table};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Pass,
    /// A figure to know, not a defect.
    Info,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Info => "info",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// The result of one check on one table (and column).
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// `schema.table`.
    pub table: String,
    pub check: &'static str,
    pub column: Option<String>,
    pub status: Status,
    /// Rows (or patients, for linkage) that break the rule.
    pub violating_rows: Option<i64>,
    /// Rows checked.
    pub total_rows: Option<i64>,
    pub detail: String,
}

impl Finding {
    fn new(spec: &TableSpec, check: &'static str, column: Option<&str>, status: Status) -> Self {
        Finding {
            table: format!("{}.{}", spec.schema, spec.name),
            check,
            column: column.map(str::to_string),
            status,
            violating_rows: None,
            total_rows: None,
            detail: String::new(),
        }
    }

    fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    /// One line for a terminal: `warn clinical.person.race_concept_id: ...`.
    pub fn summary(&self) -> String {
        let column = self
            .column
            .as_ref()
            .map(|c| format!(".{c}"))
            .unwrap_or_default();
        format!(
            "{} {}{column} ({}): {}",
            self.status.as_str(),
            self.table,
            self.check,
            self.detail
        )
    }
}

/// Whether a lake column of `actual` type can hold the specification's `expected` type.
fn type_conforms(expected: ColumnType, actual: &DataType) -> bool {
    match (expected, actual) {
        (_, DataType::Dictionary(_, value)) => type_conforms(expected, value),
        (ColumnType::Integer, t) => t.is_integer(),
        (ColumnType::Float, t) => t.is_floating() || matches!(t, DataType::Decimal128(..)),
        (ColumnType::Text, t) => {
            matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
        }
        (ColumnType::Date, t) => matches!(t, DataType::Date32 | DataType::Date64),
        (ColumnType::Datetime, t) => matches!(t, DataType::Timestamp(..)),
        (ColumnType::Boolean, t) => matches!(t, DataType::Boolean),
    }
}

/// The checks that need only a table's schema: missing, mistyped and extra columns.
pub fn schema_findings(spec: &TableSpec, schema: &Schema) -> Vec<Finding> {
    let mut findings = Vec::new();
    for column in &spec.columns {
        match schema.field_with_name(&column.name) {
            Err(_) if column.required => findings.push(
                Finding::new(spec, "required_column", Some(&column.name), Status::Fail)
                    .detail(format!("required by {} but missing", spec.source)),
            ),
            Err(_) => findings.push(
                Finding::new(spec, "missing_column", Some(&column.name), Status::Warn)
                    .detail(format!("optional in {}, missing", spec.source)),
            ),
            Ok(field) if !type_conforms(column.column_type, field.data_type()) => findings.push(
                Finding::new(spec, "column_type", Some(&column.name), Status::Fail).detail(
                    format!(
                        "{} expects {:?} ({}), the lake has {}",
                        spec.source,
                        column.column_type,
                        column.column_type.data_type(),
                        field.data_type()
                    ),
                ),
            ),
            Ok(_) => {}
        }
    }
    for field in schema.fields() {
        if spec.column(field.name()).is_none() {
            findings.push(
                Finding::new(spec, "extra_column", Some(field.name()), Status::Warn)
                    .detail(format!("not a column of {} {}", spec.source, spec.name)),
            );
        }
    }
    if findings.is_empty() {
        findings.push(
            Finding::new(spec, "columns", None, Status::Pass)
                .detail(format!("every column as {} specifies", spec.source)),
        );
    }
    findings
}

/// The standard tables present in the session, with their schemas.
async fn present_tables(ctx: &SessionContext) -> Vec<(&'static TableSpec, SchemaRef)> {
    let mut present = Vec::new();
    for spec in all_tables() {
        if let Ok(frame) = ctx.table(format!("{}.{}", spec.schema, spec.name)).await {
            present.push((spec, Arc::new(frame.schema().as_arrow().clone())));
        }
    }
    present
}

/// The schema findings of every standard table in the session (no data read).
pub async fn schema_check(ctx: &SessionContext) -> Vec<Finding> {
    present_tables(ctx)
        .await
        .into_iter()
        .flat_map(|(spec, schema)| schema_findings(spec, &schema))
        .collect()
}

/// Quotes an identifier for SQL (rwid keeps identifier case).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Runs a query returning one row of BIGINT columns.
async fn counts(ctx: &SessionContext, sql: &str) -> Result<Vec<i64>> {
    let batches = ctx.sql(sql).await?.collect().await?;
    let batch = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .ok_or_else(|| plan_datafusion_err!("conformance query returned no row: {sql}"))?;
    (0..batch.num_columns())
        .map(|i| {
            let column = datafusion::arrow::compute::cast(batch.column(i), &DataType::Int64)?;
            let column = column
                .as_any()
                .downcast_ref::<Int64Array>()
                .ok_or_else(|| plan_datafusion_err!("conformance count is not an integer"))?
                .clone();
            Ok(if column.is_null(0) {
                0
            } else {
                column.value(0)
            })
        })
        .collect()
}

/// Every check on every standard table in the session, schema and data.
pub async fn check_lake(ctx: &SessionContext) -> Result<Vec<Finding>> {
    let present = present_tables(ctx).await;
    // Primary keys by column name: `person_id` is clinical.person's.
    let primary_keys: HashMap<String, &TableSpec> = present
        .iter()
        .filter_map(|(spec, schema)| {
            let key = format!("{}_id", spec.name);
            (spec.column(&key).is_some() && schema.field_with_name(&key).is_ok())
                .then_some((key, *spec))
        })
        .collect();
    let mut findings = Vec::new();
    for (spec, schema) in &present {
        findings.extend(schema_findings(spec, schema));
        let table = format!("{}.{}", quoted(&spec.schema), quoted(&spec.name));
        let key = format!("{}_id", spec.name);
        if primary_keys
            .get(&key)
            .is_some_and(|owner| owner.name == spec.name)
        {
            let sql = format!(
                "SELECT count(*) - count(DISTINCT {k}) + count(*) FILTER (WHERE {k} IS NULL), count(*) FROM {table}",
                k = quoted(&key)
            );
            let [violating, total] = counts(ctx, &sql).await?[..] else {
                return plan_err!("unexpected primary key counts for {table}");
            };
            let status = if violating == 0 {
                Status::Pass
            } else {
                Status::Fail
            };
            findings.push(Finding {
                violating_rows: Some(violating),
                total_rows: Some(total),
                ..Finding::new(spec, "primary_key", Some(&key), status).detail(if violating == 0 {
                    "unique and never NULL".to_string()
                } else {
                    format!("{violating} rows repeat a {key} or leave it NULL")
                })
            });
        }
        findings.extend(required_values(ctx, spec, schema, &table).await?);
        for column in &spec.columns {
            // `person_id` points to person; every `*_concept_id` to concept,
            // where 0 is OMOP's "no matching concept".
            let is_concept = column.name.ends_with("_concept_id");
            let parent_key = if is_concept {
                "concept_id"
            } else {
                &column.name
            };
            let Some(parent) = primary_keys.get(parent_key) else {
                continue;
            };
            if parent.name == spec.name || schema.field_with_name(&column.name).is_err() {
                continue;
            }
            let unmatched = if is_concept { " AND c.{k} <> 0" } else { "" };
            let sql = format!(
                "SELECT count(*) FILTER (WHERE c.{k} IS NOT NULL{unmatched} AND p.k IS NULL), count(*)
                 FROM {table} c
                 LEFT JOIN (SELECT DISTINCT {pk} AS k FROM {ps}.{pt}) p ON c.{k} = p.k",
                unmatched = unmatched.replace("{k}", &quoted(&column.name)),
                k = quoted(&column.name),
                pk = quoted(parent_key),
                ps = quoted(&parent.schema),
                pt = quoted(&parent.name),
            );
            let [violating, total] = counts(ctx, &sql).await?[..] else {
                return plan_err!("unexpected foreign key counts for {table}");
            };
            let status = if violating == 0 {
                Status::Pass
            } else {
                Status::Fail
            };
            findings.push(Finding {
                violating_rows: Some(violating),
                total_rows: Some(total),
                ..Finding::new(spec, "foreign_key", Some(&column.name), status).detail(format!(
                    "{violating} rows point to no {}.{} row",
                    parent.schema, parent.name
                ))
            });
        }
    }
    findings.extend(linkage(ctx, &present).await?);
    Ok(findings)
}

/// DQD's `isRequired`: NULLs in the required columns the table has, one
/// query for all of them.
async fn required_values(
    ctx: &SessionContext,
    spec: &TableSpec,
    schema: &Schema,
    table: &str,
) -> Result<Vec<Finding>> {
    let required: Vec<&str> = spec
        .columns
        .iter()
        .filter(|c| c.required && schema.field_with_name(&c.name).is_ok())
        .map(|c| c.name.as_str())
        .collect();
    if required.is_empty() {
        return Ok(Vec::new());
    }
    let nulls: Vec<String> = required
        .iter()
        .map(|c| format!("count(*) FILTER (WHERE {} IS NULL)", quoted(c)))
        .collect();
    let sql = format!("SELECT count(*), {} FROM {table}", nulls.join(", "));
    let counts = counts(ctx, &sql).await?;
    let total = counts[0];
    Ok(required
        .iter()
        .zip(&counts[1..])
        .map(|(column, &violating)| {
            let (status, detail) = if violating == 0 {
                (Status::Pass, "never NULL".to_string())
            } else {
                (
                    Status::Fail,
                    format!("{violating} of {total} rows leave this required column NULL"),
                )
            };
            Finding {
                violating_rows: Some(violating),
                total_rows: Some(total),
                ..Finding::new(spec, "required_value", Some(column), status).detail(detail)
            }
        })
        .collect())
}

/// Linkage coverage between the DICOM archive and the persons.
async fn linkage(
    ctx: &SessionContext,
    present: &[(&'static TableSpec, SchemaRef)],
) -> Result<Vec<Finding>> {
    let has = |schema: &str, name: &str| {
        present
            .iter()
            .any(|(s, _)| s.schema == schema && s.name == name)
    };
    let link = standard_table("imaging", "patient_link")?;
    if !has("imaging", "patient_link") || ctx.table("imaging.series").await.is_err() {
        return Ok(Vec::new());
    }
    let sql = "SELECT count(DISTINCT s.\"PatientID\") FILTER (WHERE l.patient_id IS NULL),
                      count(DISTINCT s.\"PatientID\")
               FROM imaging.series s
               LEFT JOIN (SELECT DISTINCT patient_id FROM imaging.patient_link) l
                 ON s.\"PatientID\" = l.patient_id";
    let [unlinked, patients] = counts(ctx, sql).await?[..] else {
        return plan_err!("unexpected linkage counts");
    };
    let mut findings = vec![Finding {
        violating_rows: Some(unlinked),
        total_rows: Some(patients),
        ..Finding::new(
            link,
            "linkage",
            Some("patient_id"),
            if unlinked == 0 {
                Status::Pass
            } else {
                Status::Warn
            },
        )
        .detail(format!(
            "{unlinked} of {patients} DICOM PatientIDs have no person"
        ))
    }];
    if has("clinical", "person") {
        let sql = "SELECT count(*) FILTER (WHERE i.person_id IS NULL), count(*)
                   FROM clinical.person p
                   LEFT JOIN (SELECT DISTINCT l.person_id FROM imaging.patient_link l
                              JOIN imaging.series s ON s.\"PatientID\" = l.patient_id) i
                     ON p.person_id = i.person_id";
        let [without, persons] = counts(ctx, sql).await?[..] else {
            return plan_err!("unexpected linkage counts");
        };
        findings.push(Finding {
            violating_rows: Some(without),
            total_rows: Some(persons),
            ..Finding::new(link, "linkage", Some("person_id"), Status::Info).detail(format!(
                "{without} of {persons} persons have no linked imaging"
            ))
        });
    }
    Ok(findings)
}

/// The findings as a record batch, worst first.
pub fn findings_batch(mut findings: Vec<Finding>) -> Result<RecordBatch> {
    findings.sort_by(|a, b| {
        b.status
            .cmp(&a.status)
            .then_with(|| a.table.cmp(&b.table))
            .then_with(|| a.check.cmp(b.check))
            .then_with(|| a.column.cmp(&b.column))
    });
    let text = |values: Vec<Option<&str>>| Arc::new(StringArray::from(values)) as ArrayRef;
    let columns: Vec<ArrayRef> = vec![
        text(findings.iter().map(|f| Some(f.table.as_str())).collect()),
        text(findings.iter().map(|f| Some(f.check)).collect()),
        text(findings.iter().map(|f| f.column.as_deref()).collect()),
        text(findings.iter().map(|f| Some(f.status.as_str())).collect()),
        Arc::new(Int64Array::from(
            findings
                .iter()
                .map(|f| f.violating_rows)
                .collect::<Vec<_>>(),
        )),
        Arc::new(Int64Array::from(
            findings.iter().map(|f| f.total_rows).collect::<Vec<_>>(),
        )),
        text(findings.iter().map(|f| Some(f.detail.as_str())).collect()),
    ];
    Ok(RecordBatch::try_new(findings_schema(), columns)?)
}

fn findings_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("table_name", DataType::Utf8, false),
        Field::new("check_name", DataType::Utf8, false),
        Field::new("column_name", DataType::Utf8, true),
        Field::new("status", DataType::Utf8, false),
        Field::new("violating_rows", DataType::Int64, true),
        Field::new("total_rows", DataType::Int64, true),
        Field::new("detail", DataType::Utf8, false),
    ]))
}

/// `lake_check()`: every conformance check, run when the table is scanned.
#[derive(Debug, Default)]
pub struct LakeCheck;

impl LakeCheck {
    pub fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            crate::table_function_documentation(
                "Checks the mounted lake's standard tables (OMOP CDM 5.4 and rwid's imaging \
                 tables) against their specifications, like OHDSI DataQualityDashboard's \
                 conformance checks: required and optional columns present, column types, \
                 extra columns, primary keys (`<table>_id`) unique and not NULL, foreign keys \
                 (`<other>_id` columns) pointing to existing rows, and imaging linkage coverage \
                 (DICOM PatientIDs without a person, persons without imaging). One row per \
                 check with `status` pass, info, warn or fail, worst first. `rwid lake check \
                 ROOT` prints the same and exits with status 1 when a check fails.",
                "lake_check()",
            )
            .with_sql_example(
                "```sql\n> SELECT table_name, check_name, column_name, status, detail\n  FROM lake_check() WHERE status <> 'pass';\n```",
            )
            .build()
        });
        &DOCUMENTATION
    }
}

impl TableFunctionImpl for LakeCheck {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        if !args.exprs().is_empty() {
            return plan_err!("lake_check takes no arguments: SELECT * FROM lake_check()");
        }
        Ok(Arc::new(LakeCheckTable))
    }
}

#[derive(Debug)]
struct LakeCheckTable;

#[async_trait::async_trait]
impl TableProvider for LakeCheckTable {
    fn schema(&self) -> SchemaRef {
        findings_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let state = state
            .as_any()
            .downcast_ref::<SessionState>()
            .ok_or_else(|| plan_datafusion_err!("lake_check needs a DataFusion session"))?;
        let ctx = SessionContext::new_with_state(state.clone());
        let batch = findings_batch(check_lake(&ctx).await?)?;
        Ok(MemorySourceConfig::try_new_exec(
            &[vec![batch]],
            findings_schema(),
            projection.cloned(),
        )?)
    }
}
