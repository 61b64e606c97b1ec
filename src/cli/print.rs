//! Printing query results in the formats users pipe into other tools.

use std::io::Write;

use clap::ValueEnum;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::csv::WriterBuilder as CsvWriterBuilder;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::json::{ArrayWriter, LineDelimitedWriter};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::arrow::util::pretty::pretty_format_batches_with_options;
use datafusion::common::Result;

/// How results are written to standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned table with borders, for people.
    Table,
    /// Comma-separated, header row first.
    Csv,
    /// Tab-separated, header row first.
    Tsv,
    /// One JSON array of row objects.
    Json,
    /// One JSON object per line.
    Ndjson,
}

/// Printing choices shared by every statement of a run.
#[derive(Debug, Clone, Copy)]
pub struct PrintOptions {
    pub format: OutputFormat,
    /// No banner and no timings.
    pub quiet: bool,
    /// Most rows printed in table format; 0 prints all.
    pub maxrows: usize,
}

impl PrintOptions {
    pub fn new(format: OutputFormat, quiet: bool, maxrows: usize) -> Self {
        Self {
            format,
            quiet,
            maxrows,
        }
    }
}

/// Writes one statement's result and returns its row count. Statements that
/// return no columns (DDL, `SET`) print nothing.
pub fn print_result(
    out: &mut dyn Write,
    schema: &Schema,
    batches: &[RecordBatch],
    options: &PrintOptions,
) -> Result<usize> {
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    if schema.fields().is_empty() {
        return Ok(rows);
    }
    // Writers print headers from the first batch they see, so an empty
    // result still gets its header row.
    let empty;
    let batches = if batches.is_empty() {
        empty = [RecordBatch::new_empty(Arc::new(schema.clone()))];
        &empty[..]
    } else {
        batches
    };
    match options.format {
        OutputFormat::Table => {
            let shown = truncate(batches, options.maxrows);
            let format = FormatOptions::default().with_null("NULL");
            writeln!(
                out,
                "{}",
                pretty_format_batches_with_options(&shown, &format)?
            )?;
        }
        OutputFormat::Csv | OutputFormat::Tsv => {
            let delimiter = if options.format == OutputFormat::Csv {
                b','
            } else {
                b'\t'
            };
            let mut writer = CsvWriterBuilder::new()
                .with_header(true)
                .with_delimiter(delimiter)
                .build(&mut *out);
            for batch in batches {
                writer.write(&nested_as_text(batch)?)?;
            }
        }
        OutputFormat::Json => {
            let mut writer = ArrayWriter::new(&mut *out);
            for batch in batches {
                writer.write(batch)?;
            }
            writer.finish()?;
            writeln!(out)?;
        }
        OutputFormat::Ndjson => {
            let mut writer = LineDelimitedWriter::new(&mut *out);
            for batch in batches {
                writer.write(batch)?;
            }
            writer.finish()?;
        }
    }
    Ok(rows)
}

/// CSV has no nested values: lists, structs and maps are written as the text
/// the table format shows (`[0.7, 0.7]`), so multi-valued DICOM attributes survive.
fn nested_as_text(batch: &RecordBatch) -> Result<RecordBatch> {
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| f.data_type().is_nested())
    {
        return Ok(batch.clone());
    }
    let options = FormatOptions::default();
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if !field.data_type().is_nested() {
            fields.push(field.as_ref().clone());
            columns.push(Arc::clone(column));
            continue;
        }
        let formatter = ArrayFormatter::try_new(column.as_ref(), &options)?;
        let text: StringArray = (0..column.len())
            .map(|i| column.is_valid(i).then(|| formatter.value(i).to_string()))
            .collect();
        fields.push(Field::new(field.name(), DataType::Utf8, true));
        columns.push(Arc::new(text));
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// The first `maxrows` rows of `batches` (all of them when `maxrows` is 0).
fn truncate(batches: &[RecordBatch], maxrows: usize) -> Vec<RecordBatch> {
    if maxrows == 0 {
        return batches.to_vec();
    }
    let mut left = maxrows;
    let mut shown = Vec::new();
    for batch in batches {
        if left == 0 {
            break;
        }
        let take = left.min(batch.num_rows());
        shown.push(batch.slice(0, take));
        left -= take;
    }
    if shown.is_empty() {
        shown.push(batches[0].slice(0, 0));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, ListBuilder, StringBuilder};

    fn sample() -> (Schema, Vec<RecordBatch>) {
        let schema = Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("modality", DataType::Utf8, true),
        ]);
        let batch = RecordBatch::try_new(
            Arc::new(schema.clone()),
            vec![
                Arc::new(Int64Array::from(vec![1, 2])),
                Arc::new(StringArray::from(vec![Some("CT"), None])),
            ],
        )
        .unwrap();
        (schema, vec![batch])
    }

    fn render(format: OutputFormat, maxrows: usize, empty: bool) -> String {
        let (schema, batches) = sample();
        let batches = if empty { vec![] } else { batches };
        let mut out = Vec::new();
        print_result(
            &mut out,
            &schema,
            &batches,
            &PrintOptions::new(format, true, maxrows),
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_and_tsv_have_a_header_row() {
        assert_eq!(
            render(OutputFormat::Csv, 0, false),
            "id,modality\n1,CT\n2,\n"
        );
        assert_eq!(
            render(OutputFormat::Tsv, 0, false),
            "id\tmodality\n1\tCT\n2\t\n"
        );
        assert_eq!(render(OutputFormat::Csv, 0, true), "id,modality\n");
    }

    #[test]
    fn csv_writes_lists_as_text() {
        let mut list = ListBuilder::new(StringBuilder::new());
        list.values().append_value("ORIGINAL");
        list.values().append_value("PRIMARY");
        list.append(true);
        list.append(false);
        let batch =
            RecordBatch::try_from_iter(vec![("image_type", Arc::new(list.finish()) as ArrayRef)])
                .unwrap();
        let mut out = Vec::new();
        let options = PrintOptions::new(OutputFormat::Csv, true, 0);
        print_result(&mut out, &batch.schema(), &[batch], &options).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "image_type\n\"[ORIGINAL, PRIMARY]\"\n\"\"\n"
        );
    }

    #[test]
    fn json_formats() {
        assert_eq!(
            render(OutputFormat::Json, 0, false),
            "[{\"id\":1,\"modality\":\"CT\"},{\"id\":2}]\n"
        );
        assert_eq!(render(OutputFormat::Json, 0, true), "[]\n");
        assert_eq!(
            render(OutputFormat::Ndjson, 0, false),
            "{\"id\":1,\"modality\":\"CT\"}\n{\"id\":2}\n"
        );
    }

    #[test]
    fn table_shows_nulls_and_truncates() {
        let table = render(OutputFormat::Table, 0, false);
        assert!(table.contains("| 2  | NULL     |"), "{table}");
        let truncated = render(OutputFormat::Table, 1, false);
        assert!(
            truncated.contains("| 1  | CT       |") && !truncated.contains("NULL"),
            "{truncated}"
        );
        let empty = render(OutputFormat::Table, 0, true);
        assert!(empty.contains("| id | modality |"), "{empty}");
    }
}
