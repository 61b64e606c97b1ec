//! The standard tables rwid knows: their columns, types, whether each is
//! required, and what it means, from the specifications they come from.
//!
//! The tables are data, in versioned files under `catalog/specs/` (the OMOP
//! CDM 5.4 clinical tables in `omop_cdm.toml`; rwid's imaging tables and the
//! MI-CDM extension's in `imaging.toml`), compiled into the binary and parsed
//! on first use. One [`TableSpec`] per table: writers (the demo generator,
//! `rwid ingest`) build their Arrow schemas from it and checks compare lake
//! tables against it, so the documented shape and the written shape cannot
//! drift apart.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::common::{DataFusionError, Result, plan_datafusion_err};

pub mod reference;

/// The specification files, by name.
const FILES: [(&str, &str); 2] = [
    ("omop_cdm.toml", include_str!("../../specs/omop_cdm.toml")),
    ("imaging.toml", include_str!("../../specs/imaging.toml")),
];

/// A column's type in the specification's own terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// OMOP `integer` and `bigint` identifiers and concept ids.
    Integer,
    /// OMOP `float`, measurements in physical units.
    Float,
    /// OMOP `varchar`.
    Text,
    /// OMOP `date`.
    Date,
    /// OMOP `datetime`, without time zone.
    Datetime,
    /// true / false flags.
    Boolean,
}

impl ColumnType {
    /// The Arrow type rwid stores this column as.
    pub fn data_type(self) -> DataType {
        match self {
            ColumnType::Integer => DataType::Int64,
            ColumnType::Float => DataType::Float64,
            ColumnType::Text => DataType::Utf8,
            ColumnType::Date => DataType::Date32,
            ColumnType::Datetime => DataType::Timestamp(TimeUnit::Microsecond, None),
            ColumnType::Boolean => DataType::Boolean,
        }
    }
}

/// One column of a standard table.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    /// Required by the specification (NOT NULL there).
    pub required: bool,
    pub description: String,
}

/// One standard table: where it lives in the lake and what it holds.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// Lake schema (`clinical`, `imaging`, ...).
    pub schema: String,
    pub name: String,
    /// The specification and version the table follows.
    pub source: String,
    pub description: String,
    pub columns: Vec<ColumnSpec>,
}

impl TableSpec {
    /// The Arrow schema for this table; required columns are non-nullable.
    pub fn arrow_schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .columns
            .iter()
            .map(|c| Field::new(&c.name, c.column_type.data_type(), !c.required))
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// The column called `name`, if the table has one.
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// One specification file: its name, version and tables.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Specification {
    pub name: String,
    pub version: String,
    #[serde(rename = "table")]
    pub tables: Vec<TableSpec>,
}

/// The specification files, parsed once.
fn specifications() -> Result<&'static [Specification]> {
    static PARSED: LazyLock<std::result::Result<Vec<Specification>, String>> =
        LazyLock::new(|| {
            FILES
                .iter()
                .map(|(file, text)| {
                    toml::from_str(text).map_err(|e| format!("catalog/specs/{file}: {e}"))
                })
                .collect()
        });
    PARSED
        .as_deref()
        .map_err(|e| DataFusionError::Internal(e.clone()))
}

/// Every standard table rwid knows, in the files' order. Empty only if a
/// specification file does not parse, which the tests rule out.
pub fn all_tables() -> Vec<&'static TableSpec> {
    specifications()
        .map(|specs| specs.iter().flat_map(|s| &s.tables).collect())
        .unwrap_or_default()
}

/// The standard table `schema.name`.
pub fn standard_table(schema: &str, name: &str) -> Result<&'static TableSpec> {
    specifications()?
        .iter()
        .flat_map(|s| &s.tables)
        .find(|t| t.schema == schema && t.name == name)
        .ok_or_else(|| plan_datafusion_err!("{schema}.{name} is not a standard table"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn table_and_column_names_are_unique() {
        let mut tables = HashSet::new();
        for table in all_tables() {
            assert!(
                tables.insert((&table.schema, &table.name)),
                "{}",
                table.name
            );
            let mut columns = HashSet::new();
            for column in &table.columns {
                assert!(
                    columns.insert(&column.name),
                    "{}.{}",
                    table.name,
                    column.name
                );
                assert!(
                    !column.description.is_empty(),
                    "{}.{}",
                    table.name,
                    column.name
                );
            }
        }
    }

    #[test]
    fn required_columns_are_not_nullable() {
        let person = standard_table("clinical", "person").unwrap().arrow_schema();
        assert!(!person.field_with_name("person_id").unwrap().is_nullable());
        assert!(
            person
                .field_with_name("birth_datetime")
                .unwrap()
                .is_nullable()
        );
    }

    #[test]
    fn the_specification_files_parse_whole() {
        let specs = specifications().unwrap();
        let counted: Vec<(&str, usize, usize)> = specs
            .iter()
            .map(|s| {
                let columns = s.tables.iter().map(|t| t.columns.len()).sum();
                (s.name.as_str(), s.tables.len(), columns)
            })
            .collect();
        assert_eq!(counted, [("OMOP CDM", 15, 197), ("rwid imaging", 5, 53)]);
        assert_eq!(all_tables().len(), 20);
        let error = standard_table("clinical", "persons")
            .unwrap_err()
            .to_string();
        assert!(error.contains("clinical.persons"), "{error}");
    }
}
