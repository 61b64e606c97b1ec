//! Writing rows of a standard table to Parquet, checked against its spec.

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, RecordBatch,
    StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{Date32Type, Field, Schema};
use datafusion::common::{DataFusionError, Result, exec_err};
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;

use rwid_catalog::specs::{ColumnType, TableSpec};

use crate::fixtures::write_parquet;

/// A cell value before it is typed by the table's spec.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    Date(NaiveDate),
    Bool(bool),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<NaiveDate> for Value {
    fn from(v: NaiveDate) -> Self {
        Value::Date(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Value::Null)
    }
}

/// Rows for one table; columns not given in a row are NULL.
pub struct TableRows {
    spec: &'static TableSpec,
    rows: Vec<Vec<(&'static str, Value)>>,
    /// Required columns may be NULL (see [`TableRows::incomplete`]).
    incomplete: bool,
}

impl TableRows {
    pub fn new(spec: &'static TableSpec) -> Self {
        Self {
            spec,
            rows: Vec::new(),
            incomplete: false,
        }
    }

    /// Rows whose required columns may be missing: vocabulary facts no
    /// verified file gives are left NULL rather than made up (the lake
    /// check then reports them).
    pub fn incomplete(spec: &'static TableSpec) -> Self {
        Self {
            incomplete: true,
            ..Self::new(spec)
        }
    }

    pub fn push(&mut self, row: Vec<(&'static str, Value)>) {
        self.rows.push(row);
    }

    pub fn spec(&self) -> &'static TableSpec {
        self.spec
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Builds the record batch, rejecting unknown columns, values of the
    /// wrong type, and missing values in required columns.
    pub fn to_batch(&self) -> Result<RecordBatch> {
        let table = &self.spec.name;
        for row in &self.rows {
            for (name, _) in row {
                if self.spec.column(name).is_none() {
                    return exec_err!("table {table} has no column {name}");
                }
            }
        }
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.spec.columns.len());
        for column in &self.spec.columns {
            let values = self.rows.iter().map(|row| {
                row.iter()
                    .find(|(name, _)| *name == column.name)
                    .map(|(_, v)| v)
                    .unwrap_or(&Value::Null)
            });
            let mismatch = |v: &Value| -> DataFusionError {
                DataFusionError::Execution(format!(
                    "{table}.{}: {v:?} is not a {:?}",
                    column.name, column.column_type
                ))
            };
            let mut nulls = 0;
            let array: ArrayRef = match column.column_type {
                ColumnType::Integer => {
                    let mut b = Int64Builder::new();
                    for v in values {
                        match v {
                            Value::Int(i) => b.append_value(*i),
                            Value::Null => {
                                nulls += 1;
                                b.append_null()
                            }
                            other => return Err(mismatch(other)),
                        }
                    }
                    Arc::new(b.finish())
                }
                ColumnType::Float => {
                    let mut b = Float64Builder::new();
                    for v in values {
                        match v {
                            Value::Float(f) => b.append_value(*f),
                            Value::Int(i) => b.append_value(*i as f64),
                            Value::Null => {
                                nulls += 1;
                                b.append_null()
                            }
                            other => return Err(mismatch(other)),
                        }
                    }
                    Arc::new(b.finish())
                }
                ColumnType::Text => {
                    let mut b = StringBuilder::new();
                    for v in values {
                        match v {
                            Value::Text(s) => b.append_value(s),
                            Value::Null => {
                                nulls += 1;
                                b.append_null()
                            }
                            other => return Err(mismatch(other)),
                        }
                    }
                    Arc::new(b.finish())
                }
                ColumnType::Date => {
                    let mut b = Date32Builder::new();
                    for v in values {
                        match v {
                            Value::Date(d) => b.append_value(Date32Type::from_naive_date(*d)),
                            Value::Null => {
                                nulls += 1;
                                b.append_null()
                            }
                            other => return Err(mismatch(other)),
                        }
                    }
                    Arc::new(b.finish())
                }
                ColumnType::Datetime => {
                    let mut b = TimestampMicrosecondBuilder::new();
                    for v in values {
                        match v {
                            Value::Date(d) => b.append_value(
                                d.and_hms_opt(0, 0, 0)
                                    .expect("midnight")
                                    .and_utc()
                                    .timestamp_micros(),
                            ),
                            Value::Null => {
                                nulls += 1;
                                b.append_null()
                            }
                            other => return Err(mismatch(other)),
                        }
                    }
                    Arc::new(b.finish())
                }
                ColumnType::Boolean => {
                    let mut b = BooleanBuilder::new();
                    for v in values {
                        match v {
                            Value::Bool(x) => b.append_value(*x),
                            Value::Null => {
                                nulls += 1;
                                b.append_null()
                            }
                            other => return Err(mismatch(other)),
                        }
                    }
                    Arc::new(b.finish())
                }
            };
            if column.required && nulls > 0 && !self.incomplete {
                return exec_err!(
                    "{table}.{} is required but {nulls} rows have no value",
                    column.name
                );
            }
            arrays.push(array);
        }
        let schema = if self.incomplete {
            let fields: Vec<Field> = self
                .spec
                .arrow_schema()
                .fields()
                .iter()
                .map(|f| f.as_ref().clone().with_nullable(true))
                .collect();
            Arc::new(Schema::new(fields))
        } else {
            self.spec.arrow_schema()
        };
        Ok(RecordBatch::try_new(schema, arrays)?)
    }

    /// Writes the table as `DIR/<schema>/<table>/part-0.parquet`.
    pub fn write(&self, lake: &Path) -> Result<()> {
        let path = lake
            .join(&self.spec.schema)
            .join(&self.spec.name)
            .join("part-0.parquet");
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        write_parquet(&path, &[self.to_batch()?], Some(properties))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rwid_catalog::specs::standard_table;

    #[test]
    fn required_columns_must_have_values() {
        let mut rows = TableRows::new(standard_table("clinical", "death").unwrap());
        rows.push(vec![("person_id", 1.into())]);
        let err = rows.to_batch().unwrap_err().to_string();
        assert!(err.contains("death.death_date is required"), "{err}");
    }

    #[test]
    fn unknown_columns_and_wrong_types_are_rejected() {
        let mut rows = TableRows::new(standard_table("clinical", "death").unwrap());
        rows.push(vec![
            ("person_id", 1.into()),
            ("death_place", "home".into()),
        ]);
        assert!(
            rows.to_batch()
                .unwrap_err()
                .to_string()
                .contains("no column death_place")
        );
        let mut rows = TableRows::new(standard_table("clinical", "death").unwrap());
        rows.push(vec![("person_id", "one".into())]);
        assert!(
            rows.to_batch()
                .unwrap_err()
                .to_string()
                .contains("person_id")
        );
    }

    #[test]
    fn builds_typed_columns() {
        let mut rows = TableRows::new(standard_table("clinical", "death").unwrap());
        let day = NaiveDate::from_ymd_opt(2023, 5, 1).unwrap();
        rows.push(vec![("person_id", 7.into()), ("death_date", day.into())]);
        let batch = rows.to_batch().unwrap();
        assert_eq!(batch.num_rows(), 1);
        assert_eq!(
            batch.num_columns(),
            standard_table("clinical", "death").unwrap().columns.len()
        );
    }
}
