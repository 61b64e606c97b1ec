//! Running an assessment: the profile's queries planned against the lake
//! (which tables they read), the checks compiled and run one by one, each
//! failure kept with the rows behind it, the per-patient record, the
//! verdicts and the provenance of every input.
//!
//! Nothing stops an assessment but a profile that cannot be read: a check
//! whose SQL fails is an error row with its message, a missing table makes
//! its checks not assessable (naming it), and the others run.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::catalog::memory::MemorySchemaProvider;
use datafusion::catalog::{MemTable, SchemaProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result, TableReference};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use serde::Serialize;
use std::sync::Arc;

use rwid_methods::statistics::cramers_v;

use crate::catalogue::{LakeTable, profile_checks, table_checks};
use crate::check::{
    CheckResult, CheckSpec, Measure, StatisticKind, Status, Violation, site_figures,
};
use crate::figures::{self, Figure};
use crate::inputs::{InputObject, list_inputs};
use crate::patients::{AttritionStep, Records, SiteCounts, criteria};
use crate::profile::{ProfileSource, Rank};
use crate::requirement::{EmaDimension, FdaAspect, Kahn, Requirement};
use crate::sql::{GEOMETRY_COLUMNS, LakeShape, Prelude};
use crate::verdict::{DatasetVerdict, dataset_verdict};

/// Violating rows kept per check in the results' JSON (all are in
/// `failures.parquet`).
pub const SAMPLE_ROWS: usize = 20;

/// A finished assessment.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub profile: ProfileSource,
    pub rwid_version: String,
    pub checks: Vec<CheckResult>,
    /// Up to [`SAMPLE_ROWS`] violating rows per check, by check id.
    pub samples: BTreeMap<String, Vec<Violation>>,
    /// Every violating row of every check.
    pub failures: Vec<Violation>,
    pub verdict: DatasetVerdict,
    pub attrition: Vec<AttritionStep>,
    pub elements: Vec<ElementRating>,
    pub sites: Vec<SiteCounts>,
    /// The per-patient record (one row per person of the population), as
    /// `patient_record` gives it.
    pub patients: Vec<RecordBatch>,
    pub population: u64,
    pub eligible: u64,
    pub evaluable: u64,
    /// Tables the profile's queries read, `schema.table`.
    pub tables: Vec<String>,
    pub inputs: Vec<InputObject>,
    /// The tables behind the report's charts.
    pub figures: Vec<Figure>,
    pub started_at: String,
    pub finished_at: String,
}

/// An element's ratings, from its checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElementRating {
    pub id: String,
    pub name: String,
    pub kind: crate::profile::ElementKind,
    pub rank: Rank,
    /// Whether the data capture the element at all.
    pub availability: Status,
    /// Percent of eligible persons lacking it (elements that do not define
    /// eligibility).
    pub missing_percent: Option<f64>,
    pub completeness: Option<Status>,
    /// Percent of its values outside the plausible range.
    pub implausible_percent: Option<f64>,
    pub validity: Option<Status>,
}

/// Every check an assessment of `source` runs on the lake in `ctx`, with
/// its SQL (what `rwid assess --sql` prints).
pub async fn compile(ctx: &SessionContext, source: &ProfileSource) -> Vec<CheckSpec> {
    let tables = tables_read(ctx, source).await;
    compile_for(ctx, source, &tables).await
}

/// The checks of `source` on a lake whose `tables` the profile reads.
async fn compile_for(
    ctx: &SessionContext,
    source: &ProfileSource,
    tables: &[String],
) -> Vec<CheckSpec> {
    let has_concept = ctx.table_exist("clinical.concept").unwrap_or(false);
    let mut lake_tables = Vec::new();
    for name in tables {
        if let Some(columns) = columns_of(ctx, name).await {
            lake_tables.push(LakeTable {
                name: name.clone(),
                columns,
            });
        }
    }
    let shape = lake_shape(ctx).await;
    let mut checks = profile_checks(&source.profile, &shape);
    checks.extend(table_checks(
        &source.profile,
        &shape,
        &lake_tables,
        has_concept,
    ));
    checks
}

/// The columns of the lake's table `name`, if it has one.
async fn columns_of(ctx: &SessionContext, name: &str) -> Option<Vec<String>> {
    let provider = ctx.table_provider(TableReference::from(name)).await.ok()?;
    Some(
        provider
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect(),
    )
}

/// What the imaging checks need to know of the lake.
async fn lake_shape(ctx: &SessionContext) -> LakeShape {
    let instances = columns_of(ctx, "imaging.instances")
        .await
        .unwrap_or_default();
    LakeShape {
        series_columns: columns_of(ctx, "imaging.series").await,
        instance_geometry: GEOMETRY_COLUMNS
            .iter()
            .all(|c| instances.iter().any(|have| have == c)),
    }
}

/// Runs the assessment of `source` on the lake mounted in `ctx`.
pub async fn assess(ctx: &SessionContext, source: &ProfileSource) -> Result<Assessment> {
    let started_at = now();
    let profile = &source.profile;
    let min_denominator = profile.verdict.min_denominator;
    let tables = tables_read(ctx, source).await;
    let specs = compile_for(ctx, source, &tables).await;

    let prelude = Prelude::of(profile, &lake_shape(ctx).await);
    let scratch = Scratch::materialize(ctx, &prelude).await?;
    let mut checks = Vec::new();
    let mut samples = BTreeMap::new();
    let mut failures = Vec::new();
    for spec in &specs {
        let needed = spec.min_units.unwrap_or(min_denominator);
        let (result, violations) = run_check(&scratch, spec, needed).await;
        if !violations.is_empty() {
            samples.insert(
                result.id.clone(),
                violations.iter().take(SAMPLE_ROWS).cloned().collect(),
            );
        }
        failures.extend(violations);
        checks.push(result);
    }
    checks.extend(conformance_checks(ctx, profile, &tables).await);
    checks.sort_by(|a, b| a.id.cmp(&b.id));

    let criteria = criteria(profile);
    // Empty when the population, sites or index date could not be
    // computed; the checks say why.
    let patients = scratch
        .collect("SELECT * FROM patient_record ORDER BY person_id")
        .await
        .unwrap_or_default();
    let figures = figures::gather(&scratch.ctx, profile).await;
    scratch.drop(ctx);
    let records = Records::read(&patients, &criteria)?;
    let attrition = records.attrition(&criteria);
    let verdict = dataset_verdict(&checks);
    let elements = element_ratings(profile, &checks);
    let inputs = list_inputs(ctx, &tables).await;
    Ok(Assessment {
        profile: source.clone(),
        rwid_version: env!("CARGO_PKG_VERSION").to_string(),
        samples,
        failures,
        verdict,
        attrition,
        elements,
        sites: records.sites(),
        population: records.persons.len() as u64,
        eligible: records.eligible.iter().filter(|e| **e).count() as u64,
        evaluable: records.evaluable.iter().filter(|e| **e).count() as u64,
        patients,
        checks,
        tables,
        inputs,
        figures,
        started_at,
        finished_at: now(),
    })
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The `schema.table`s the profile's queries read, sorted; queries that do
/// not plan are left to their checks to report.
async fn tables_read(ctx: &SessionContext, source: &ProfileSource) -> Vec<String> {
    let profile = &source.profile;
    let mut queries: Vec<&str> = vec![
        &profile.population.sql,
        &profile.population.site_sql,
        &profile.purpose.index_date.sql,
    ];
    queries.extend(profile.elements.iter().map(|e| e.sql.as_str()));
    if let Some(imaging) = &profile.imaging {
        if let Some(amyloid) = &imaging.amyloid {
            queries.push(&amyloid.suvr_sql);
        }
        if let Some(cardiac) = &imaging.cardiac {
            queries.push(&cardiac.lvef_sql);
        }
    }
    if let Some(features) = profile
        .variability
        .as_ref()
        .and_then(|v| v.features.as_ref())
    {
        queries.push(&features.sql);
    }
    let mut tables = BTreeSet::new();
    for sql in queries {
        let Ok(plan) = ctx.state().create_logical_plan(sql).await else {
            continue;
        };
        let _ = plan.apply_with_subqueries(|node| {
            if let LogicalPlan::TableScan(scan) = node
                && let TableReference::Partial { schema, table }
                | TableReference::Full { schema, table, .. } = &scan.table_name
            {
                tables.insert(format!("{schema}.{table}"));
            }
            Ok(TreeNodeRecursion::Continue)
        });
    }
    tables.into_iter().collect()
}

/// Runs one check: its result and every violating row.
async fn run_check(
    scratch: &Scratch,
    spec: &CheckSpec,
    min_denominator: u64,
) -> (CheckResult, Vec<Violation>) {
    let mut result = CheckResult::of(spec);
    if let Some(select) = match &spec.measure {
        Measure::Units { select, .. } | Measure::Statistic { select, .. } => Some(select),
        Measure::Stated { .. } => None,
    } && let Some((name, error)) = scratch.failed_input(select)
    {
        let (status, reason) = classify(error);
        result.status = status;
        result.reason = reason.map(|r| format!("{}: {r}", scratch.describe(name)));
        return (result, Vec::new());
    }
    let outcome = match &spec.measure {
        Measure::Units { with, select } => {
            run_units(scratch, spec, with, select, min_denominator, &mut result).await
        }
        Measure::Statistic {
            kind,
            with,
            select,
            bound,
        } => run_statistic(scratch, *kind, with, select, *bound, &mut result)
            .await
            .map(|()| Vec::new()),
        Measure::Stated { violating, total } => {
            if *total == 0 {
                result.status = Status::NotAssessable;
                result.reason = Some(format!("{} is missing", violating.join(", ")));
            } else {
                result.rate(violating.len() as u64, *total, 1);
            }
            Ok(violating
                .iter()
                .map(|item| Violation {
                    check_id: spec.id.clone(),
                    person_id: None,
                    site: None,
                    record: Some(item.clone()),
                    detail: None,
                })
                .collect())
        }
    };
    match outcome {
        Ok(violations) => (result, violations),
        Err(error) => {
            (result.status, result.reason) = classify(&error);
            (result, Vec::new())
        }
    }
}

/// The profile's common table expressions computed once, as memory tables
/// in a schema of their own that a session over the same lake reads by
/// default: each check then runs its own query over them, instead of every
/// check computing the elements again. An element whose query fails leaves
/// an empty table behind (nobody meets it) and its error, which the checks
/// reading it report; any other expression that fails takes the checks
/// depending on it down with its error.
struct Scratch {
    ctx: SessionContext,
    /// The schema's name, and the catalog it was made in.
    schema: String,
    catalog: String,
    names: Vec<String>,
    failed: BTreeMap<String, DataFusionError>,
}

/// Scratch schemas made in this process, so concurrent assessments in one
/// session do not meet.
static SCRATCH_SCHEMAS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Scratch {
    async fn materialize(ctx: &SessionContext, prelude: &Prelude) -> Result<Self> {
        let mut state = ctx.state();
        let catalog_name = state.config().options().catalog.default_catalog.clone();
        let catalog = ctx
            .catalog(&catalog_name)
            .ok_or_else(|| datafusion::common::plan_datafusion_err!("no catalog {catalog_name}"))?;
        let schema = format!(
            "rwid_assessment_{}_{}",
            std::process::id(),
            SCRATCH_SCHEMAS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let tables = Arc::new(MemorySchemaProvider::new());
        catalog.register_schema(&schema, Arc::clone(&tables) as _)?;
        state.config_mut().options_mut().catalog.default_schema = schema.clone();
        let scratch_ctx = SessionContext::new_with_state(state);
        // Errors that take dependent expressions down, and errors of element
        // queries, which leave an empty table for the others to read.
        let mut failed: BTreeMap<String, DataFusionError> = BTreeMap::new();
        let mut element_errors: BTreeMap<String, DataFusionError> = BTreeMap::new();
        let mut names = Vec::new();
        for (name, sql) in prelude.ctes() {
            names.push(name.clone());
            if let Some((input, cause)) = failed_reference(sql, &names, &failed) {
                // The root cause's words, so a missing table still reads as one.
                let error = DataFusionError::Plan(format!(
                    "{input} could not be computed: {}",
                    cause.find_root()
                ));
                failed.insert(name.clone(), error);
                continue;
            }
            let computed = async {
                let frame = scratch_ctx.sql(sql).await?;
                let planned = Arc::new(frame.schema().as_arrow().clone());
                let batches = frame.collect().await?;
                // Batches may say less of nullability than the plan does.
                let schema = batches.first().map_or(planned, |b| b.schema());
                MemTable::try_new(schema, vec![batches])
            }
            .await;
            match computed {
                Ok(table) => {
                    tables.register_table(name.clone(), Arc::new(table))?;
                }
                Err(error) if name.starts_with("el_") => {
                    tables.register_table(
                        name.clone(),
                        Arc::new(MemTable::try_new(empty_element_schema(), vec![vec![]])?),
                    )?;
                    element_errors.insert(name.clone(), error);
                }
                Err(error) => {
                    failed.insert(name.clone(), error);
                }
            }
        }
        failed.extend(element_errors);
        Ok(Self {
            ctx: scratch_ctx,
            schema,
            catalog: catalog_name,
            names,
            failed,
        })
    }

    async fn collect(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        self.ctx.sql(sql).await?.collect().await
    }

    /// The first failed expression `sql` reads, with its error.
    fn failed_input(&self, sql: &str) -> Option<(&String, &DataFusionError)> {
        failed_reference(sql, &self.names, &self.failed)
    }

    /// How a scratch table is named to a user.
    fn describe(&self, name: &str) -> String {
        match name.strip_prefix("el_") {
            Some(element) => format!("element '{element}'"),
            None => format!("'{name}'"),
        }
    }

    fn drop(self, ctx: &SessionContext) {
        if let Some(catalog) = ctx.catalog(&self.catalog) {
            let _ = catalog.deregister_schema(&self.schema, true);
        }
    }
}

/// The columns an element's table may have.
fn empty_element_schema() -> datafusion::arrow::datatypes::SchemaRef {
    use datafusion::arrow::datatypes::{Field, Schema};
    Arc::new(Schema::new(vec![
        Field::new("person_id", DataType::Int64, true),
        Field::new("value", DataType::Float64, true),
        Field::new("date", DataType::Date32, true),
    ]))
}

/// The first of `names` that `sql` names as an identifier and that failed.
fn failed_reference<'a>(
    sql: &str,
    names: &'a [String],
    failed: &'a BTreeMap<String, DataFusionError>,
) -> Option<(&'a String, &'a DataFusionError)> {
    let words: BTreeSet<&str> = sql
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    names
        .iter()
        .filter(|name| words.contains(name.as_str()))
        .find_map(|name| failed.get_key_value(name))
}

/// Not assessable for what the lake lacks (a table or a column), an error
/// for anything else; the message on one line.
fn classify(error: &DataFusionError) -> (Status, Option<String>) {
    let message = error.strip_backtrace().replace('\n', " ");
    let root = error.find_root().to_string();
    if let Some(table) = root
        .split_once("table '")
        .and_then(|(_, rest)| rest.split_once("' not found"))
        .map(|(table, _)| table)
    {
        return (
            Status::NotAssessable,
            Some(format!("table {table} is missing")),
        );
    }
    if root.contains("No field named") {
        return (
            Status::NotAssessable,
            Some(format!("a column is missing: {message}")),
        );
    }
    (Status::Error, Some(message))
}

async fn run_units(
    scratch: &Scratch,
    spec: &CheckSpec,
    with: &str,
    select: &str,
    min_denominator: u64,
    result: &mut CheckResult,
) -> Result<Vec<Violation>> {
    let counts_sql = format!(
        "SELECT site, count(*) AS total, count(*) FILTER (WHERE violated) AS violating \
         FROM ({select}) AS u GROUP BY site ORDER BY site"
    );
    let violations_sql = format!(
        "SELECT site, person_id, record, detail FROM ({select}) AS u WHERE violated \
         ORDER BY person_id, record, detail, site"
    );
    result.sql = vec![
        format!("{with}\n{counts_sql}"),
        format!("{with}\n{violations_sql}"),
    ];
    let mut per_site = Vec::new();
    for batch in scratch.collect(&counts_sql).await? {
        let site = cast(batch.column(0), &DataType::Utf8)?;
        let total = cast(batch.column(1), &DataType::Int64)?;
        let violating = cast(batch.column(2), &DataType::Int64)?;
        let (site, total, violating) = (
            site.as_string::<i32>(),
            total.as_primitive::<Int64Type>(),
            violating.as_primitive::<Int64Type>(),
        );
        for row in 0..batch.num_rows() {
            let name = if site.is_null(row) {
                "unknown".to_string()
            } else {
                site.value(row).to_string()
            };
            per_site.push((name, violating.value(row) as u64, total.value(row) as u64));
        }
    }
    let violating: u64 = per_site.iter().map(|(_, v, _)| v).sum();
    let total: u64 = per_site.iter().map(|(_, _, t)| t).sum();
    result.rate(violating, total, min_denominator);
    result.sites = site_figures(&per_site, min_denominator);
    if violating == 0 {
        return Ok(Vec::new());
    }
    let mut violations = Vec::new();
    for batch in scratch.collect(&violations_sql).await? {
        let text = |index: usize| cast(batch.column(index), &DataType::Utf8);
        let (site, record, detail) = (text(0)?, text(2)?, text(3)?);
        let person = cast(batch.column(1), &DataType::Int64)?;
        let person = person.as_primitive::<Int64Type>();
        let optional = |array: &dyn Array, row: usize| {
            let array = array.as_string::<i32>();
            (!array.is_null(row)).then(|| array.value(row).to_string())
        };
        for row in 0..batch.num_rows() {
            violations.push(Violation {
                check_id: spec.id.clone(),
                person_id: (!person.is_null(row)).then(|| person.value(row)),
                site: optional(site.as_ref(), row),
                record: optional(record.as_ref(), row),
                detail: optional(detail.as_ref(), row),
            });
        }
    }
    Ok(violations)
}

/// `value` rounded to 9 significant digits: statistics summed in another
/// order (other partitions, other row order) agree to that many.
fn significant(value: f64) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    format!("{value:.8e}").parse().unwrap_or(value)
}

async fn run_statistic(
    scratch: &Scratch,
    kind: StatisticKind,
    with: &str,
    select: &str,
    bound: f64,
    result: &mut CheckResult,
) -> Result<()> {
    result.sql = vec![format!("{with}\n{select}")];
    let batches = scratch.collect(select).await?;
    result.bound = Some(bound);
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let value = match kind {
        StatisticKind::AtLeastDistinct => {
            let mut values = BTreeSet::new();
            for batch in &batches {
                let column = cast(batch.column(0), &DataType::Utf8)?;
                let column = column.as_string::<i32>();
                values.extend(column.iter().flatten().map(str::to_string));
            }
            let value = values.len() as f64;
            result.status = if value >= bound {
                Status::Passed
            } else {
                Status::Failed
            };
            Some(value)
        }
        StatisticKind::LargestSharePercent => {
            let counts = group_counts(&batches, 1)?;
            let total: u64 = counts.iter().map(|(_, n)| n).sum();
            if total == 0 {
                None
            } else {
                let largest = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
                let value = significant(largest as f64 * 100.0 / total as f64);
                result.status = if value <= bound {
                    Status::Passed
                } else {
                    Status::Failed
                };
                Some(value)
            }
        }
        StatisticKind::CramersV => {
            let counts = group_counts(&batches, 2)?;
            let rows_of: BTreeSet<&str> = counts.iter().map(|(k, _)| k[0].as_str()).collect();
            let columns_of: BTreeSet<&str> = counts.iter().map(|(k, _)| k[1].as_str()).collect();
            let table: Vec<Vec<u64>> = rows_of
                .iter()
                .map(|r| {
                    columns_of
                        .iter()
                        .map(|c| {
                            counts
                                .iter()
                                .find(|(k, _)| k[0] == *r && k[1] == *c)
                                .map_or(0, |(_, n)| *n)
                        })
                        .collect()
                })
                .collect();
            match cramers_v(&table) {
                Some(v) => {
                    let value = significant(v);
                    result.status = if value <= bound {
                        Status::Passed
                    } else {
                        Status::Failed
                    };
                    Some(value)
                }
                None => {
                    result.status = Status::NotAssessable;
                    result.reason = Some(format!(
                        "Cramér's V needs two batches and two exposure groups; there are {} and {} (a comparator element gives the second group)",
                        rows_of.len(),
                        columns_of.len()
                    ));
                    return Ok(());
                }
            }
        }
        StatisticKind::FeaturesWithBatchEffect => {
            let mut flagged = 0u64;
            let mut measured = 0u64;
            for batch in &batches {
                let p = cast(batch.column(1), &DataType::Float64)?;
                let p = p.as_primitive::<Float64Type>();
                for value in p.iter().flatten() {
                    measured += 1;
                    flagged += u64::from(value < bound);
                }
            }
            if measured == 0 {
                None
            } else {
                result.violating = Some(flagged);
                result.total = Some(measured);
                result.status = if flagged == 0 {
                    Status::Passed
                } else {
                    Status::Failed
                };
                Some(flagged as f64)
            }
        }
    };
    match value {
        Some(value) => result.value = Some(value),
        None => {
            result.status = Status::NotAssessable;
            result.reason = Some(format!(
                "nothing to measure: the query returned {rows} rows"
            ));
        }
    }
    Ok(())
}

/// `(key columns, n)` rows: the first `keys` columns as text, then a count.
fn group_counts(batches: &[RecordBatch], keys: usize) -> Result<Vec<(Vec<String>, u64)>> {
    let mut rows = Vec::new();
    for batch in batches {
        let texts: Vec<_> = (0..keys)
            .map(|k| cast(batch.column(k), &DataType::Utf8))
            .collect::<std::result::Result<_, _>>()?;
        let counts = cast(batch.column(keys), &DataType::Int64)?;
        let counts = counts.as_primitive::<Int64Type>();
        for row in 0..batch.num_rows() {
            let key = texts
                .iter()
                .map(|t| {
                    let t = t.as_string::<i32>();
                    if t.is_null(row) {
                        "unknown".to_string()
                    } else {
                        t.value(row).to_string()
                    }
                })
                .collect();
            rows.push((key, counts.value(row) as u64));
        }
    }
    Ok(rows)
}

/// The lake check's conformance findings (OHDSI DQD's cdmField,
/// cdmDatatype, isRequired, isPrimaryKey, isForeignKey) on the tables the
/// profile reads, as checks.
async fn conformance_checks(
    ctx: &SessionContext,
    profile: &crate::profile::Profile,
    tables: &[String],
) -> Vec<CheckResult> {
    use rwid_catalog::conformance::{Status as Found, check_lake};
    let findings = match check_lake(ctx).await {
        Ok(findings) => findings,
        Err(error) => {
            let spec = conformance_spec(
                profile,
                "conformance.lake_check".into(),
                "The lake check's conformance checks".into(),
                Kahn::ConformanceRelational,
            );
            let mut result = CheckResult::of(&spec);
            (result.status, result.reason) = classify(&error);
            return vec![result];
        }
    };
    findings
        .into_iter()
        // Keys and required values are checked row by row, with their
        // rows; the lake check gives the schema's conformance.
        .filter(|f| {
            tables.contains(&f.table)
                && matches!(
                    f.check,
                    "columns"
                        | "column_type"
                        | "required_column"
                        | "missing_column"
                        | "extra_column"
                )
        })
        .map(|finding| {
            let kahn = match finding.check {
                "column_type" => Kahn::ConformanceValue,
                _ => Kahn::ConformanceRelational,
            };
            let id = match &finding.column {
                Some(column) => format!("conformance.{}.{}.{column}", finding.table, finding.check),
                None => format!("conformance.{}.{}", finding.table, finding.check),
            };
            let spec = conformance_spec(
                profile,
                id,
                format!("{} ({})", finding.check.replace('_', " "), finding.detail),
                kahn,
            );
            let mut result = CheckResult::of(&spec);
            match (finding.violating_rows, finding.total_rows) {
                (Some(violating), Some(total)) => {
                    result.rate(violating.max(0) as u64, total.max(0) as u64, 1)
                }
                _ => {
                    result.status = if finding.status == Found::Fail {
                        Status::Failed
                    } else {
                        Status::Passed
                    };
                }
            }
            if matches!(finding.status, Found::Warn | Found::Info) {
                result.reason = Some(finding.detail.clone());
            }
            result
        })
        .collect()
}

fn conformance_spec(
    profile: &crate::profile::Profile,
    id: String,
    description: String,
    kahn: Kahn,
) -> CheckSpec {
    CheckSpec {
        rank: profile.verdict.rank_of(&id, Rank::Supplemental),
        id,
        requirement: Requirement::AccuracyCompleteness,
        kahn,
        fda: FdaAspect::DataQuality,
        ema: EmaDimension::Coherence,
        description,
        element: None,
        threshold_percent: 0.0,
        min_units: None,
        measure: Measure::Stated {
            violating: Vec::new(),
            total: 0,
        },
    }
}

fn element_ratings(
    profile: &crate::profile::Profile,
    checks: &[CheckResult],
) -> Vec<ElementRating> {
    let find = |id: String| checks.iter().find(|c| c.id == id);
    profile
        .elements
        .iter()
        .map(|element| {
            let completeness = find(format!("completeness.{}", element.id));
            let validity = find(format!("plausibility.{}", element.id));
            ElementRating {
                id: element.id.clone(),
                name: element.name.clone(),
                kind: element.kind,
                rank: element.rank,
                availability: find(format!("availability.{}", element.id))
                    .map_or(Status::NotAssessable, |c| c.status),
                missing_percent: completeness.and_then(|c| c.percent),
                completeness: completeness.map(|c| c.status),
                implausible_percent: validity.and_then(|c| c.percent),
                validity: validity.map(|c| c.status),
            }
        })
        .collect()
}
