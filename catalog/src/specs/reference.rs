//! `standard_columns()`: every standard table's expected columns as a table
//! (schema, table, column, type, required, description, specification), so
//! SQL and the shell's `\d TABLE` can show what a column means.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::Documentation;

use super::{ColumnSpec, TableSpec, all_tables};

/// The `standard_columns` table function.
#[derive(Debug, Default)]
pub struct StandardColumns;

impl StandardColumns {
    pub fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            crate::table_function_documentation(
                "The expected columns of every standard table rwid knows (OMOP CDM 5.4 and \
                 rwid's imaging tables): `table_schema`, `table_name`, `column_name`, \
                 `ordinal_position`, `expected_type`, `required`, `description` and \
                 `specification`. The shell's `\\d TABLE` joins it to the lake's own columns.",
                "standard_columns()",
            )
            .with_sql_example(
                "```sql\n> SELECT column_name, required, description FROM standard_columns()\n  WHERE table_name = 'person' LIMIT 3;\n```",
            )
            .build()
        });
        &DOCUMENTATION
    }
}

impl TableFunctionImpl for StandardColumns {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        if !args.exprs().is_empty() {
            return plan_err!("standard_columns takes no arguments");
        }
        let columns: Vec<(&TableSpec, usize, &ColumnSpec)> = all_tables()
            .into_iter()
            .flat_map(|table| {
                table
                    .columns
                    .iter()
                    .enumerate()
                    .map(move |(position, column)| (table, position, column))
            })
            .collect();
        let text = |values: Vec<String>| Arc::new(StringArray::from(values)) as ArrayRef;
        let schema = Arc::new(Schema::new(vec![
            Field::new("table_schema", DataType::Utf8, false),
            Field::new("table_name", DataType::Utf8, false),
            Field::new("column_name", DataType::Utf8, false),
            Field::new("ordinal_position", DataType::Int64, false),
            Field::new("expected_type", DataType::Utf8, false),
            Field::new("required", DataType::Boolean, false),
            Field::new("description", DataType::Utf8, false),
            Field::new("specification", DataType::Utf8, false),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                text(
                    columns
                        .iter()
                        .map(|(t, _, _)| t.schema.to_string())
                        .collect(),
                ),
                text(columns.iter().map(|(t, _, _)| t.name.to_string()).collect()),
                text(columns.iter().map(|(_, _, c)| c.name.to_string()).collect()),
                Arc::new(Int64Array::from_iter_values(
                    columns.iter().map(|(_, p, _)| *p as i64 + 1),
                )),
                text(
                    columns
                        .iter()
                        .map(|(_, _, c)| c.column_type.data_type().to_string())
                        .collect(),
                ),
                Arc::new(BooleanArray::from_iter(
                    columns.iter().map(|(_, _, c)| Some(c.required)),
                )),
                text(
                    columns
                        .iter()
                        .map(|(_, _, c)| c.description.to_string())
                        .collect(),
                ),
                text(
                    columns
                        .iter()
                        .map(|(t, _, _)| t.source.to_string())
                        .collect(),
                ),
            ],
        )?;
        Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
    }
}
