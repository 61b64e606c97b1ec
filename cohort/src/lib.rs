//! Cohorts with attrition: a cohort file is a list of named criteria, each a
//! query returning the `person_id`s that meet it. A person is in the cohort
//! when they meet every criterion; the attrition table says how many remain
//! after each one, as OHDSI ATLAS's inclusion-rule report and a trial's
//! CONSORT diagram do.
//!
//! File format (see `examples/nsclc_pembrolizumab_cohort.sql`):
//!
//! ```sql
//! -- cohort: nsclc_pembrolizumab        (optional; default: the file name)
//! -- step: NSCLC diagnosis
//! SELECT person_id FROM clinical.condition_occurrence WHERE condition_concept_id = 4115276;
//! -- step: pembrolizumab exposure
//! SELECT person_id FROM clinical.drug_exposure WHERE drug_concept_id = 45775965;
//! ```

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::{DataFusionError, Result, plan_datafusion_err, plan_err};
use datafusion::parquet::arrow::ArrowWriter;

use rwid_catalog::lake::replace_folder;
use rwid_engine::RwidContext;

/// One criterion of a cohort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    pub sql: String,
}

/// A parsed cohort file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortDefinition {
    pub name: String,
    pub steps: Vec<Step>,
}

impl CohortDefinition {
    /// Parses a cohort file's text; `default_name` names a cohort without a
    /// `-- cohort:` line.
    pub fn parse(text: &str, default_name: &str) -> Result<Self> {
        let mut name = default_name.to_string();
        let mut steps: Vec<Step> = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let directive = line.trim().strip_prefix("--").map(str::trim);
            if let Some(value) = directive.and_then(|d| d.strip_prefix("cohort:")) {
                name = value.trim().to_string();
            } else if let Some(value) = directive.and_then(|d| d.strip_prefix("step:")) {
                steps.push(Step {
                    name: value.trim().to_string(),
                    sql: String::new(),
                });
            } else if let Some(step) = steps.last_mut() {
                if directive.is_none() {
                    step.sql.push_str(line);
                    step.sql.push('\n');
                }
            } else if directive.is_none() && !line.trim().is_empty() {
                return plan_err!(
                    "cohort file line {}: SQL before the first '-- step: NAME' line",
                    number + 1
                );
            }
        }
        if !is_table_name(&name) {
            return plan_err!(
                "cohort name '{name}' must be letters, digits and underscores (it names the derived table)"
            );
        }
        for step in &mut steps {
            step.sql = step.sql.trim().trim_end_matches(';').trim().to_string();
            if step.sql.is_empty() {
                return plan_err!("cohort step '{}' has no query", step.name);
            }
        }
        if steps.is_empty() {
            return plan_err!(
                "a cohort file needs at least one '-- step: NAME' followed by a query"
            );
        }
        Ok(Self { name, steps })
    }

    /// Reads and parses a cohort file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            DataFusionError::Execution(format!("cannot read cohort file '{}': {e}", path.display()))
        })?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().replace(['-', '.', ' '], "_"))
            .unwrap_or_else(|| "cohort".to_string());
        Self::parse(&text, &stem)
            .map_err(|e| DataFusionError::Plan(format!("{}: {e}", path.display())))
    }
}

fn is_table_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Patients remaining after one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttritionRow {
    pub step: usize,
    pub criterion: String,
    /// Persons meeting this criterion and every earlier one.
    pub persons: usize,
    /// Persons the criterion removed.
    pub removed: usize,
    pub sql: String,
}

/// A run cohort: who is in it and how they got there.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    pub name: String,
    pub attrition: Vec<AttritionRow>,
    /// person_ids, ascending.
    pub persons: Vec<i64>,
}

impl Cohort {
    /// Runs every step and intersects their persons in order.
    pub async fn run(ctx: &RwidContext, definition: &CohortDefinition) -> Result<Self> {
        let mut remaining: Option<HashSet<i64>> = None;
        let mut attrition = Vec::new();
        for (index, step) in definition.steps.iter().enumerate() {
            let persons = step_persons(ctx, step).await?;
            let before = remaining.as_ref().map(HashSet::len);
            let now: HashSet<i64> = match remaining.take() {
                None => persons,
                Some(previous) => previous.intersection(&persons).copied().collect(),
            };
            attrition.push(AttritionRow {
                step: index + 1,
                criterion: step.name.clone(),
                persons: now.len(),
                removed: before.map_or(0, |b| b - now.len()),
                sql: step.sql.clone(),
            });
            remaining = Some(now);
        }
        let mut persons: Vec<i64> = remaining.unwrap_or_default().into_iter().collect();
        persons.sort_unstable();
        Ok(Self {
            name: definition.name.clone(),
            attrition,
            persons,
        })
    }

    /// The attrition table: step, criterion, persons, removed, percent of
    /// the first step's persons remaining, and the step's SQL (provenance).
    pub fn attrition_batch(&self) -> Result<RecordBatch> {
        let first = self.attrition.first().map_or(0, |r| r.persons);
        let percent: Vec<Option<f64>> = self
            .attrition
            .iter()
            .map(|r| (first > 0).then(|| (r.persons as f64 * 1000.0 / first as f64).round() / 10.0))
            .collect();
        let schema = Arc::new(Schema::new(vec![
            Field::new("step", DataType::Int64, false),
            Field::new("criterion", DataType::Utf8, false),
            Field::new("persons", DataType::Int64, false),
            Field::new("removed", DataType::Int64, false),
            Field::new("percent_remaining", DataType::Float64, true),
            Field::new("sql", DataType::Utf8, false),
        ]));
        let int = |f: &dyn Fn(&AttritionRow) -> usize| -> ArrayRef {
            Arc::new(Int64Array::from_iter_values(
                self.attrition.iter().map(|r| f(r) as i64),
            ))
        };
        let text = |f: &dyn Fn(&AttritionRow) -> &str| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(self.attrition.iter().map(f)))
        };
        Ok(RecordBatch::try_new(
            schema,
            vec![
                int(&|r| r.step),
                text(&|r| &r.criterion),
                int(&|r| r.persons),
                int(&|r| r.removed),
                Arc::new(datafusion::arrow::array::Float64Array::from(percent)),
                text(&|r| &r.sql),
            ],
        )?)
    }

    /// The cohort's persons as a batch (`person_id`).
    pub fn persons_batch(&self) -> Result<RecordBatch> {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "person_id",
            DataType::Int64,
            false,
        )]));
        Ok(RecordBatch::try_new(
            schema,
            vec![Arc::new(Int64Array::from(self.persons.clone()))],
        )?)
    }

    /// Writes `ROOT/derived/<name>/` (the persons) and
    /// `ROOT/derived/<name>_attrition/` under a local lake root. Each table is
    /// written beside its folder and renamed into place, so readers see the
    /// old table or the new one, and a failed run leaves the old one.
    pub fn write(&self, lake_root: &Path) -> Result<Vec<PathBuf>> {
        let derived = lake_root.join("derived");
        let tables = [
            (self.name.clone(), self.persons_batch()?),
            (format!("{}_attrition", self.name), self.attrition_batch()?),
        ];
        let mut written = Vec::new();
        for (table, batch) in tables {
            let folder = derived.join(&table);
            replace_table_folder(&folder, &batch)?;
            written.push(folder);
        }
        Ok(written)
    }
}

/// The distinct person_ids a step's query returns.
async fn step_persons(ctx: &RwidContext, step: &Step) -> Result<HashSet<i64>> {
    let context = |e: DataFusionError| e.context(format!("cohort step '{}'", step.name));
    let frame = ctx.sql(&step.sql).await.map_err(context)?;
    let index = frame
        .schema()
        .index_of_column_by_name(None, "person_id")
        .ok_or_else(|| {
            plan_datafusion_err!(
                "cohort step '{}' must return a person_id column; it returns {}",
                step.name,
                frame.schema().field_names().join(", ")
            )
        })?;
    let mut persons = HashSet::new();
    for batch in frame.collect().await.map_err(context)? {
        let ids = cast(batch.column(index), &DataType::Int64)?;
        let ids = ids
            .as_any()
            .downcast_ref::<Int64Array>()
            .ok_or_else(|| plan_datafusion_err!("person_id is not an integer"))?;
        persons.extend(ids.iter().flatten());
    }
    Ok(persons)
}

/// Replaces `folder` with a folder holding one Parquet file of `batch`.
fn replace_table_folder(folder: &Path, batch: &RecordBatch) -> Result<()> {
    replace_folder(folder, |staging| {
        let file_path = staging.join("part-0.parquet");
        let io = |e: &dyn std::fmt::Display| {
            DataFusionError::Execution(format!("'{}': {e}", file_path.display()))
        };
        let file = std::fs::File::create(&file_path).map_err(|e| io(&e))?;
        let schema: SchemaRef = batch.schema();
        let mut writer = ArrowWriter::try_new(file, schema, None)?;
        writer.write(batch)?;
        writer.into_inner()?.sync_all().map_err(|e| io(&e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_steps_names_and_comments() {
        let text = "-- cohort: demo_1\n-- header comment\n\n-- step: first\nSELECT person_id\n-- a comment inside\nFROM t;\n-- step: second\nSELECT 1 AS person_id;\n";
        let cohort = CohortDefinition::parse(text, "file").unwrap();
        assert_eq!(cohort.name, "demo_1");
        assert_eq!(
            cohort.steps,
            vec![
                Step {
                    name: "first".into(),
                    sql: "SELECT person_id\nFROM t".into()
                },
                Step {
                    name: "second".into(),
                    sql: "SELECT 1 AS person_id".into()
                },
            ]
        );
    }

    #[test]
    fn rejects_what_it_cannot_run() {
        let error = |text: &str| CohortDefinition::parse(text, "c").unwrap_err().to_string();
        assert!(error("SELECT 1").contains("before the first '-- step: NAME'"));
        assert!(error("-- just a comment").contains("at least one"));
        assert!(error("-- step: empty\n").contains("has no query"));
        assert!(error("-- cohort: bad name\n-- step: a\nSELECT 1").contains("letters, digits"));
    }
}
