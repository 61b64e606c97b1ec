//! A row group's columns, read as runs, turned into rows: one row per
//! segment, a stretch of rows over which no column changes.

use std::ops::Range;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use datafusion::arrow::buffer::{NullBuffer, ScalarBuffer};
use datafusion::arrow::compute::{cast, take};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::{Result, internal_err};

use super::column_chunk::{ChunkRunReader, ColumnRuns, Unread};
use super::hybrid::NULL_KEY;

/// Segments are worth reading only when they average at least this many
/// rows: a segment costs more than a row does in Parquet's own reader.
const WORTHWHILE_ROWS_PER_SEGMENT: f64 = 4.0;
/// Rows each column reads before the runs so far decide whether to go on.
const ROWS_BEFORE_DECIDING: u64 = 4096;

/// Reads a row group's column chunks in step, a page of each in turn,
/// into their runs over its rows, leaving out pages without a row in
/// `selected`. A segment ends wherever any column's run ends, so the
/// columns' runs per row add up to about the segments per row: once that
/// sum promises fewer than [`WORTHWHILE_ROWS_PER_SEGMENT`] rows per
/// segment (over at least [`ROWS_BEFORE_DECIDING`] rows of each column, or
/// all of them), reading stops with [`Unread::ShortRuns`], within a page
/// if need be: reading in step finds that out after a page or so of each
/// column, however the columns are ordered.
pub(super) fn read_row_group(
    mut readers: Vec<ChunkRunReader>,
    selected: &[Range<u64>],
) -> std::result::Result<Vec<ColumnRuns>, Unread> {
    let most_runs_per_row = 1.0 / WORTHWHILE_ROWS_PER_SEGMENT;
    while readers.iter().any(|reader| !reader.is_finished()) {
        for index in 0..readers.len() {
            if readers[index].is_finished() {
                continue;
            }
            let others: f64 = readers
                .iter()
                .enumerate()
                .filter(|&(other, _)| other != index)
                .map(|(_, reader)| reader.runs_per_row())
                .sum();
            readers[index].read_page(selected, |runs_per_row, rows_read| {
                rows_read >= ROWS_BEFORE_DECIDING && others + runs_per_row > most_runs_per_row
            })?;
        }
        let decided = readers
            .iter()
            .all(|reader| reader.is_finished() || reader.rows_read() >= ROWS_BEFORE_DECIDING);
        let runs_per_row: f64 = readers.iter().map(ChunkRunReader::runs_per_row).sum();
        if decided && runs_per_row > most_runs_per_row {
            return Err(Unread::ShortRuns);
        }
    }
    readers.into_iter().map(ChunkRunReader::finish).collect()
}

/// The dictionary keys of each segment, one list per column: segment `i`
/// has key `keys[c][i]` in column `c`. Only segments with a row in
/// `selected` (ascending, disjoint row ranges) count, and a segment equal in
/// every column to the one kept before it is left out, so no two
/// consecutive rows of the result are equal.
pub(super) fn segment_keys(columns: &[ColumnRuns], selected: &[Range<u64>]) -> Vec<Vec<u32>> {
    let mut keys: Vec<Vec<u32>> = vec![Vec::new(); columns.len()];
    // Per column: the run being read and the rows left in it.
    let mut run: Vec<usize> = vec![0; columns.len()];
    let mut left: Vec<u32> = columns
        .iter()
        .map(|column| {
            column
                .runs
                .as_slice()
                .first()
                .map_or(0, |&(_, count)| count)
        })
        .collect();
    let mut row = 0u64;
    let mut range = selected.iter().peekable();
    loop {
        let Some(length) = left.iter().copied().min().filter(|&length| length > 0) else {
            // A column has no rows left: the row group is read.
            return keys;
        };
        let end = row + u64::from(length);
        while range.next_if(|range| range.end <= row).is_some() {}
        let is_selected = range.peek().is_some_and(|range| range.start < end);
        if is_selected {
            let repeats_last = keys[0].last().is_some()
                && columns
                    .iter()
                    .zip(&run)
                    .zip(&keys)
                    .all(|((column, &run), keys)| {
                        keys.last() == Some(&column.runs.as_slice()[run].0)
                    });
            if !repeats_last {
                for ((column, &run), keys) in columns.iter().zip(&run).zip(&mut keys) {
                    keys.push(column.runs.as_slice()[run].0);
                }
            }
        }
        row = end;
        for ((column, run), left) in columns.iter().zip(&mut run).zip(&mut left) {
            *left -= length;
            if *left == 0 {
                *run += 1;
                *left = column
                    .runs
                    .as_slice()
                    .get(*run)
                    .map_or(0, |&(_, count)| count);
            }
        }
    }
}

/// Record batches of at most `batch_size` rows, in `schema`, holding the
/// dictionary values that `keys` (from [`segment_keys`]) name.
pub(super) fn segment_batches(
    columns: &[ColumnRuns],
    keys: &[Vec<u32>],
    schema: &SchemaRef,
    batch_size: usize,
) -> Result<Vec<RecordBatch>> {
    let rows = keys.first().map_or(0, Vec::len);
    let mut batches = Vec::with_capacity(rows.div_ceil(batch_size.max(1)));
    let mut start = 0;
    while start < rows {
        let end = (start + batch_size.max(1)).min(rows);
        let arrays = columns
            .iter()
            .zip(keys)
            .zip(schema.fields())
            .map(|((column, keys), field)| {
                let keys = &keys[start..end];
                // Every key was checked against the dictionary, and no row
                // of an unread page is selected; checked again here because
                // `take` panics on an index past the end.
                let entries = column.dictionary.len();
                if let Some(key) = keys.iter().find(|&&key| {
                    key != NULL_KEY && usize::try_from(key).is_ok_and(|key| key >= entries)
                }) {
                    return internal_err!(
                        "run scan key {key} outside a dictionary of {entries} entries for {}",
                        field.name()
                    );
                }
                let values = take(&column.dictionary, &key_array(keys), None)?;
                Ok(if values.data_type() == field.data_type() {
                    values
                } else {
                    // Text read as views, wanted as Utf8 or LargeUtf8.
                    cast(&values, field.data_type())?
                })
            })
            .collect::<Result<Vec<ArrayRef>>>()?;
        batches.push(RecordBatch::try_new(Arc::clone(schema), arrays)?);
        start = end;
    }
    Ok(batches)
}

/// Dictionary keys as `take` indices, NULL where the key is [`NULL_KEY`].
fn key_array(keys: &[u32]) -> UInt32Array {
    let nulls = keys
        .contains(&NULL_KEY)
        .then(|| NullBuffer::from_iter(keys.iter().map(|&key| key != NULL_KEY)));
    let indices = keys
        .iter()
        .map(|&key| if key == NULL_KEY { 0 } else { key })
        .collect::<Vec<_>>();
    UInt32Array::new(ScalarBuffer::from(indices), nulls)
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Array, AsArray, Int32Array, StringViewArray};
    use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Schema};

    use super::super::hybrid::Runs;
    use super::*;

    /// Row ranges from (start, end) pairs.
    fn rows(ranges: &[(u64, u64)]) -> Vec<Range<u64>> {
        ranges.iter().map(|&(start, end)| start..end).collect()
    }

    fn column(dictionary: ArrayRef, runs: &[(u32, u32)]) -> ColumnRuns {
        let mut column = ColumnRuns {
            dictionary,
            runs: Runs::default(),
        };
        for &(key, count) in runs {
            column.runs.push(key, count);
        }
        column
    }

    #[test]
    fn segments_break_where_any_column_changes() {
        // Rows:   0 1 2 3 4 5 6 7 8 9
        // a:      0 0 0 0 1 1 1 1 1 1
        // b:      5 5 6 6 6 6 N N 6 6
        let a = column(Arc::new(Int32Array::from(vec![10, 11])), &[(0, 4), (1, 6)]);
        let b_dictionary = Arc::new(Int32Array::from(vec![0, 0, 0, 0, 0, 50, 60]));
        let b = column(b_dictionary, &[(5, 2), (6, 4), (NULL_KEY, 2), (6, 2)]);
        let columns = [a, b];
        let everything = rows(&[(0, 10)]);
        assert_eq!(
            segment_keys(&columns, &everything),
            [vec![0, 0, 1, 1, 1], vec![5, 6, 6, NULL_KEY, 6]]
        );
        // Rows 2..3 and 8..10: segments (0, 6) then (1, 6), whose neighbour
        // in the result is (0, 6); rows 4..6 alone: (1, 6).
        assert_eq!(
            segment_keys(&columns, &rows(&[(2, 3), (8, 10)])),
            [vec![0, 1], vec![6, 6]]
        );
        assert_eq!(segment_keys(&columns, &rows(&[(4, 6)])), [vec![1], vec![6]]);
        // Rows 5..6 and 8..9 are both (1, 6), with a NULL stretch unselected
        // between them: one row.
        assert_eq!(
            segment_keys(&columns, &rows(&[(5, 6), (8, 9)])),
            [vec![1], vec![6]]
        );
        assert_eq!(segment_keys(&columns, &[]), [Vec::<u32>::new(), vec![]]);

        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int32, false),
            Field::new("b", DataType::Int32, true),
        ]));
        let keys = segment_keys(&columns, &everything);
        let batches = segment_batches(&columns, &keys, &schema, 2).unwrap();
        assert_eq!(
            batches
                .iter()
                .map(RecordBatch::num_rows)
                .collect::<Vec<_>>(),
            [2, 2, 1]
        );
        let b: Vec<Option<i32>> = batches
            .iter()
            .flat_map(|batch| {
                batch
                    .column(1)
                    .as_primitive::<Int32Type>()
                    .iter()
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(b, [Some(50), Some(60), Some(60), None, Some(60)]);
    }

    #[test]
    fn a_key_past_the_dictionary_is_an_error_not_a_panic() {
        let columns = [column(Arc::new(Int32Array::from(vec![7])), &[(3, 2)])];
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int32, true)]));
        let error = segment_batches(&columns, &[vec![3]], &schema, 8).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("key 3 outside a dictionary of 1 entries for a"),
            "{error}"
        );
    }

    #[test]
    fn text_dictionaries_come_out_in_the_schema_type() {
        let dictionary = Arc::new(StringViewArray::from(vec![
            "CT",
            "a rather long series UID",
        ]));
        let columns = [column(dictionary, &[(1, 3), (0, 2)])];
        let keys = segment_keys(&columns, &rows(&[(0, 5)]));
        for data_type in [DataType::Utf8View, DataType::Utf8, DataType::LargeUtf8] {
            let schema = Arc::new(Schema::new(vec![Field::new("t", data_type.clone(), true)]));
            let batches = segment_batches(&columns, &keys, &schema, 8192).unwrap();
            let column = batches[0].column(0);
            assert_eq!(column.data_type(), &data_type);
            let text = cast(column, &DataType::Utf8).unwrap();
            let text: Vec<_> = text.as_string::<i32>().iter().flatten().collect();
            assert_eq!(text, ["a rather long series UID", "CT"]);
        }
    }
}
