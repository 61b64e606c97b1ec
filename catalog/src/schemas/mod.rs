//! The standard tables rwid knows: their columns, types, whether each is
//! required, and what it means, from the specifications they come from.
//!
//! One [`TableSpec`] per table. Writers (the demo generator, `rwid ingest`)
//! build their Arrow schemas from it and checks compare lake tables against it,
//! so the documented shape and the written shape cannot drift apart.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

pub mod imaging;
pub mod omop;
pub mod reference;

/// A column's type in the specification's own terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub column_type: ColumnType,
    /// Required by the specification (NOT NULL there).
    pub required: bool,
    pub description: &'static str,
}

/// One standard table: where it lives in the lake and what it holds.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    /// Lake schema (`clinical`, `imaging`, ...).
    pub schema: &'static str,
    pub name: &'static str,
    /// The specification and version the table follows.
    pub source: &'static str,
    pub description: &'static str,
    pub columns: &'static [ColumnSpec],
}

impl TableSpec {
    /// The Arrow schema for this table; required columns are non-nullable.
    pub fn arrow_schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .columns
            .iter()
            .map(|c| Field::new(c.name, c.column_type.data_type(), !c.required))
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// The column called `name`, if the table has one.
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Every standard table rwid knows.
pub fn all_tables() -> Vec<&'static TableSpec> {
    let mut tables: Vec<&'static TableSpec> = omop::TABLES.to_vec();
    tables.extend(imaging::TABLES.iter().copied());
    tables
}

/// Shorthand for the column lists below.
pub(crate) const fn col(
    name: &'static str,
    column_type: ColumnType,
    required: bool,
    description: &'static str,
) -> ColumnSpec {
    ColumnSpec {
        name,
        column_type,
        required,
        description,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn table_and_column_names_are_unique() {
        let mut tables = HashSet::new();
        for table in all_tables() {
            assert!(tables.insert((table.schema, table.name)), "{}", table.name);
            let mut columns = HashSet::new();
            for column in table.columns {
                assert!(
                    columns.insert(column.name),
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
        let person = omop::PERSON.arrow_schema();
        assert!(!person.field_with_name("person_id").unwrap().is_nullable());
        assert!(
            person
                .field_with_name("birth_datetime")
                .unwrap()
                .is_nullable()
        );
    }
}
