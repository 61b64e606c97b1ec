//! Printing query results in the formats users pipe into other tools.

use std::io::Write;

use clap::ValueEnum;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::csv::WriterBuilder as CsvWriterBuilder;
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::json::{ArrayWriter, LineDelimitedWriter};
use datafusion::arrow::util::display::FormatOptions;
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
        empty = [RecordBatch::new_empty(std::sync::Arc::new(schema.clone()))];
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
                writer.write(batch)?;
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
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field};
    use std::sync::Arc;

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
