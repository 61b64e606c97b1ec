//! Runs of consecutive equal rows in a record batch, and what a run keeps of
//! its rows: plain functions over Arrow arrays, tested on their own.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanBufferBuilder, Int64Array, UInt32Array,
};
use datafusion::arrow::buffer::BooleanBuffer;
use datafusion::arrow::compute::kernels::cmp::distinct;
use datafusion::arrow::compute::{cast, take};
use datafusion::arrow::datatypes::{DataType, Date32Type, Int32Type, Int64Type};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::Result;

use super::word_bits::neighbour_changes;

/// The first row of every run: rows where any key column differs from the
/// row before (NULL equals NULL, as in grouping). Row 0 always starts a run;
/// with no key columns the whole batch is one run.
pub fn run_starts(keys: &[ArrayRef], rows: usize) -> Result<Vec<u32>> {
    if rows == 0 {
        return Ok(Vec::new());
    }
    let mut changed: Option<BooleanBuffer> = None;
    for key in keys {
        let column = changes(key.as_ref())?;
        changed = Some(match changed {
            Some(mut so_far) => {
                so_far |= &column;
                so_far
            }
            None => column,
        });
    }
    let mut starts = vec![0u32];
    if let Some(changed) = changed {
        // Bit i set: row i + 1 differs from row i.
        starts.extend(changed.set_indices().map(|i| i as u32 + 1));
    }
    Ok(starts)
}

/// Bit i set when row i + 1 differs from row i (length `rows - 1`).
fn changes(column: &dyn Array) -> Result<BooleanBuffer> {
    let pairs = column.len() - 1;
    if let Some(changed) = string_view_changes(column).or_else(|| plain_changes(column)) {
        return Ok(changed);
    }
    let before = column.slice(0, pairs);
    let after = column.slice(1, pairs);
    if let Ok(changed) = distinct(&before, &after) {
        return Ok(changed.values().clone());
    }
    // Types Arrow's comparison kernels do not cover (lists, structs, maps):
    // compare the rows' binary row-format encodings.
    let converter = RowConverter::new(vec![SortField::new(column.data_type().clone())])?;
    let encoded = converter.convert_columns(&[column.slice(0, column.len())])?;
    let mut changed = BooleanBufferBuilder::new(pairs);
    for i in 0..pairs {
        changed.append(encoded.row(i) != encoded.row(i + 1));
    }
    Ok(changed.finish())
}

/// Integers, dates and booleans without NULLs, compared in place (Arrow's
/// `distinct` kernel would first make two sliced arrays and handle NULLs).
fn plain_changes(column: &dyn Array) -> Option<BooleanBuffer> {
    if column.null_count() > 0 {
        return None;
    }
    let pairs = column.len() - 1;
    Some(match column.data_type() {
        DataType::Int32 => neighbour_changes(column.as_primitive::<Int32Type>().values()),
        DataType::Int64 => neighbour_changes(column.as_primitive::<Int64Type>().values()),
        DataType::Date32 => neighbour_changes(column.as_primitive::<Date32Type>().values()),
        // A run of kept rows ends where a bit differs from the next one.
        DataType::Boolean => {
            let bits = column.as_boolean().values();
            &bits.slice(0, pairs) ^ &bits.slice(1, pairs)
        }
        _ => return None,
    })
}

/// String views without NULLs: rows whose 16-byte views are identical hold
/// the same string whatever its length (same length, prefix, buffer and
/// offset), so a run of one Parquet dictionary entry, which the reader gives
/// as repeated views, is recognized without reading its bytes. The views
/// are compared first as plain 128-bit integers, without branches;
/// then the few rows where they differ but could still hold equal strings
/// (longer than 12 bytes, same length and prefix: a plain-encoded page)
/// compare their bytes.
fn string_view_changes(column: &dyn Array) -> Option<BooleanBuffer> {
    if column.null_count() > 0 {
        return None;
    }
    fn differ<'a>(views: &[u128], value: impl Fn(usize) -> &'a [u8]) -> BooleanBuffer {
        let pairs = views.len() - 1;
        let views_differ = neighbour_changes(views);
        let equal_after_all: Vec<usize> = views_differ
            .set_indices()
            .filter(|&i| {
                let (left, right) = (views[i], views[i + 1]);
                (left as u32) == (right as u32)
                    && (left as u32) > 12
                    && (left >> 32) as u32 == (right >> 32) as u32
                    && value(i) == value(i + 1)
            })
            .collect();
        if equal_after_all.is_empty() {
            return views_differ;
        }
        let mut changed = BooleanBufferBuilder::new(pairs);
        changed.append_buffer(&views_differ);
        for i in equal_after_all {
            changed.set_bit(i, false);
        }
        changed.finish()
    }
    match column.data_type() {
        DataType::Utf8View => {
            let strings = column.as_string_view();
            Some(differ(strings.views(), |i| strings.value(i).as_bytes()))
        }
        DataType::BinaryView => {
            let bytes = column.as_binary_view();
            Some(differ(bytes.views(), |i| bytes.value(i)))
        }
        _ => None,
    }
}

/// The rows of `column` at the run starts: a key column's value per run.
pub fn first_of_runs(column: &ArrayRef, starts: &[u32]) -> Result<ArrayRef> {
    let indices = UInt32Array::from(starts.to_vec());
    Ok(take(column.as_ref(), &indices, None)?)
}

/// The half-open row range of every run.
fn run_ranges(starts: &[u32], rows: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    starts.iter().enumerate().map(move |(k, &start)| {
        let end = starts.get(k + 1).map_or(rows, |&next| next as usize);
        (start as usize, end)
    })
}

/// Rows per run (what `count(*)` adds up).
pub fn run_lengths(starts: &[u32], rows: usize) -> ArrayRef {
    let lengths: Int64Array = run_ranges(starts, rows)
        .map(|(start, end)| (end - start) as i64)
        .collect();
    Arc::new(lengths)
}

/// Non-NULL values per run (what `count(x)` adds up).
pub fn run_value_counts(column: &ArrayRef, starts: &[u32]) -> ArrayRef {
    let rows = column.len();
    let counts: Int64Array = match column.logical_nulls() {
        None => run_ranges(starts, rows)
            .map(|(start, end)| (end - start) as i64)
            .collect(),
        Some(nulls) => run_ranges(starts, rows)
            .map(|(start, end)| {
                let valid = nulls.inner().slice(start, end - start).count_set_bits();
                valid as i64
            })
            .collect(),
    };
    Arc::new(counts)
}

/// The sum of an integer column over every run, wrapping on overflow as
/// DataFusion's `sum` does; NULL for a run of NULLs only.
pub fn run_sums(column: &ArrayRef, starts: &[u32]) -> Result<ArrayRef> {
    let rows = column.len();
    let values = cast(column.as_ref(), &DataType::Int64)?;
    let values = values.as_primitive::<Int64Type>();
    let sums: Int64Array = run_ranges(starts, rows)
        .map(|(start, end)| {
            let mut sum: Option<i64> = None;
            for row in start..end {
                if values.is_valid(row) {
                    sum = Some(sum.unwrap_or(0).wrapping_add(values.value(row)));
                }
            }
            sum
        })
        .collect();
    Ok(Arc::new(sums))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        BooleanArray, Date32Array, Int32Array, ListArray, StringArray, StringViewArray,
    };
    use datafusion::arrow::datatypes::Int32Type;

    fn view(values: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringViewArray::from(values.to_vec()))
    }

    #[test]
    fn runs_break_where_any_key_changes() {
        let series = view(&[Some("1.2.3"), Some("1.2.3"), Some("1.2.4"), Some("1.2.4")]);
        let day: ArrayRef = Arc::new(Int32Array::from(vec![1, 2, 2, 2]));
        assert_eq!(
            run_starts(std::slice::from_ref(&series), 4).unwrap(),
            vec![0, 2]
        );
        assert_eq!(run_starts(&[series, day], 4).unwrap(), vec![0, 1, 2]);
        assert_eq!(run_starts(&[], 3).unwrap(), vec![0]);
        assert!(run_starts(&[], 0).unwrap().is_empty());
    }

    #[test]
    fn integers_dates_and_booleans_compare_in_place_and_across_offsets() {
        let ids: ArrayRef = Arc::new(Int64Array::from(vec![7, 7, 8, 8, 8, 7]));
        assert_eq!(run_starts(&[ids], 6).unwrap(), vec![0, 2, 5]);
        let days: ArrayRef = Arc::new(Date32Array::from(vec![100, 100, 100, 101]));
        assert_eq!(run_starts(&[days], 4).unwrap(), vec![0, 3]);
        // A sliced boolean array starts inside a byte: the XOR of its bits
        // with their neighbours' must respect the offset.
        let kept = BooleanArray::from(vec![
            false, true, true, false, false, true, true, true, true, true, false,
        ]);
        let sliced: ArrayRef = Arc::new(kept.slice(3, 8));
        assert_eq!(run_starts(&[sliced], 8).unwrap(), vec![0, 2, 7]);
        // With NULLs, Arrow's kernel decides: NULL equals NULL.
        let with_nulls: ArrayRef = Arc::new(Int32Array::from(vec![None, None, Some(1)]));
        assert_eq!(run_starts(&[with_nulls], 3).unwrap(), vec![0, 2]);
    }

    #[test]
    fn equal_long_strings_in_different_views_are_one_run() {
        // Long values written twice each: distinct views, equal bytes.
        let uid = "1.2.826.0.1.3680043.10.1386.1.42.3.17";
        let other = "1.2.826.0.1.3680043.10.1386.1.42.3.18";
        let column = view(&[Some(uid), Some(uid), Some(other), Some(uid)]);
        let views = column.as_string_view().views();
        assert_ne!(views[0], views[1], "the test needs distinct views");
        assert_eq!(run_starts(&[column], 4).unwrap(), vec![0, 2, 3]);
    }

    #[test]
    fn same_prefix_and_length_but_different_bytes_differ() {
        let a = "1.2.826.0.1.3680043.10.1386.1.42.3.17";
        let b = "1.2.826.0.1.3680043.10.1386.1.42.3.19";
        let column = view(&[Some(a), Some(b), Some("CT"), Some("CT"), Some("MR")]);
        assert_eq!(run_starts(&[column], 5).unwrap(), vec![0, 1, 2, 4]);
    }

    #[test]
    fn nulls_equal_nulls_and_differ_from_values() {
        let column = view(&[None, None, Some("CT"), None]);
        assert_eq!(run_starts(&[column], 4).unwrap(), vec![0, 2, 3]);
        let plain: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None, None]));
        assert_eq!(run_starts(&[plain], 3).unwrap(), vec![0, 1]);
    }

    #[test]
    fn nested_keys_compare_through_the_row_format() {
        let lists: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(1), Some(2)]),
            Some(vec![Some(1), Some(2)]),
            Some(vec![Some(1)]),
        ]));
        assert_eq!(run_starts(&[lists], 3).unwrap(), vec![0, 2]);
    }

    #[test]
    fn lengths_counts_and_sums_per_run() {
        let starts = [0, 2, 5];
        let sizes: ArrayRef = Arc::new(Int32Array::from(vec![
            Some(1),
            Some(2),
            None,
            Some(4),
            Some(5),
            None,
        ]));
        let lengths = run_lengths(&starts, 6);
        assert_eq!(lengths.as_primitive::<Int64Type>().values(), &[2, 3, 1]);
        let counts = run_value_counts(&sizes, &starts);
        assert_eq!(counts.as_primitive::<Int64Type>().values(), &[2, 2, 0]);
        let sums = run_sums(&sizes, &starts).unwrap();
        let sums = sums.as_primitive::<Int64Type>();
        assert_eq!((sums.value(0), sums.value(1)), (3, 9));
        assert!(sums.is_null(2), "a run of NULLs sums to NULL");
        let firsts = first_of_runs(&sizes, &starts).unwrap();
        assert_eq!(
            firsts
                .as_primitive::<Int32Type>()
                .iter()
                .collect::<Vec<_>>(),
            vec![Some(1), None, None]
        );
    }

    #[test]
    fn sums_wrap_like_datafusion() {
        let values: ArrayRef = Arc::new(Int64Array::from(vec![i64::MAX, 1]));
        let sums = run_sums(&values, &[0]).unwrap();
        assert_eq!(sums.as_primitive::<Int64Type>().value(0), i64::MIN);
    }
}
