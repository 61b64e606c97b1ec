//! One dictionary-encoded column chunk read as its dictionary and the runs
//! of its dictionary keys, without producing a value per row.

use std::sync::Arc;

use bytes::{Buf, Bytes};
use datafusion::arrow::array::builder::make_view;
use datafusion::arrow::array::{ArrayRef, Date32Array, Int32Array, Int64Array, StringViewArray};
use datafusion::arrow::buffer::{Buffer, ScalarBuffer};
use datafusion::arrow::datatypes::DataType;
use datafusion::parquet::basic::{Encoding, Type as PhysicalType};
use datafusion::parquet::column::page::{Page, PageReader};
use datafusion::parquet::errors::{ParquetError, Result as ParquetResult};
use datafusion::parquet::file::metadata::ColumnChunkMetaData;
use datafusion::parquet::file::reader::{ChunkReader, Length};

use super::hybrid::{self, NULL_KEY, Runs};

/// What a column's values are, as far as reading them goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ValueKind {
    /// UTF-8 text (Parquet BYTE_ARRAY annotated as a string).
    Text,
    Int32,
    Date32,
    Int64,
}

impl ValueKind {
    /// The kind a column of Arrow type `data_type` is read as, if any.
    pub(super) fn of(data_type: &DataType) -> Option<Self> {
        match data_type {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(Self::Text),
            DataType::Int32 => Some(Self::Int32),
            DataType::Date32 => Some(Self::Date32),
            DataType::Int64 => Some(Self::Int64),
            _ => None,
        }
    }

    /// The Parquet physical type that stores this kind.
    pub(super) fn physical_type(self) -> PhysicalType {
        match self {
            Self::Text => PhysicalType::BYTE_ARRAY,
            Self::Int32 | Self::Date32 => PhysicalType::INT32,
            Self::Int64 => PhysicalType::INT64,
        }
    }
}

/// Whether every data page of `column` is dictionary-encoded, by the page
/// encoding statistics in the footer (a column chunk without them, or one
/// whose dictionary overflowed into PLAIN pages, is read row by row).
pub(super) fn all_pages_dictionary_encoded(column: &ColumnChunkMetaData) -> bool {
    let dictionary = |encoding: &Encoding| {
        matches!(
            encoding,
            Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY
        )
    };
    column.dictionary_page_offset().is_some()
        && match (
            column.page_encoding_stats_mask(),
            column.page_encoding_stats(),
        ) {
            (Some(mask), _) => {
                mask.is_only(Encoding::RLE_DICTIONARY) || mask.is_only(Encoding::PLAIN_DICTIONARY)
            }
            (None, Some(stats)) => stats.iter().all(|page| {
                use datafusion::parquet::basic::PageType;
                match page.page_type {
                    PageType::DATA_PAGE | PageType::DATA_PAGE_V2 => dictionary(&page.encoding),
                    _ => true,
                }
            }),
            (None, None) => false,
        }
}

/// A column chunk's dictionary (as an Arrow array of its kind) and the runs
/// of its keys over the row group's rows ([`NULL_KEY`] for NULLs).
pub(super) struct ColumnRuns {
    pub dictionary: ArrayRef,
    pub runs: Runs,
}

/// Why a column chunk was not read as runs.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Unread {
    /// A page this reader does not handle (not dictionary-encoded,
    /// deprecated bit-packed levels), a key outside the dictionary, a row
    /// count that does not add up: DataFusion's reader reads the row group,
    /// and reports any real corruption.
    Unsupported,
    /// Runs too short to pay: segments would cost more than rows.
    ShortRuns,
}

/// Segments are worth reading only when they average at least this many
/// rows: a segment costs more than a row does in Parquet's own reader.
const WORTHWHILE_ROWS_PER_SEGMENT: u128 = 4;
/// Rows read before the runs seen so far decide whether to go on.
const ROWS_BEFORE_DECIDING: u64 = 4096;
/// Within a page, runs are weighed each time this many more are read.
const RUNS_BETWEEN_CHECKS: usize = 1024;

/// When reading a row group's column as runs stops paying. A segment ends
/// wherever any column's run ends, so the row group's segments are about
/// the runs of the columns read before this one plus this one's.
#[derive(Debug, Clone, Copy)]
struct Budget {
    /// The row group's rows.
    rows: u64,
    /// The runs of the columns read before this one.
    other_runs: usize,
}

impl Budget {
    /// Whether `runs` runs over this column's first `rows_read` rows (the
    /// other columns' runs over all rows) promise fewer than
    /// [`WORTHWHILE_ROWS_PER_SEGMENT`] rows per segment.
    fn exceeded_by(self, runs: usize, rows_read: u64) -> bool {
        let (rows, rows_read) = (u128::from(self.rows), u128::from(rows_read));
        let segments = self.other_runs as u128 * rows_read + runs as u128 * rows;
        rows_read >= u128::from(ROWS_BEFORE_DECIDING).min(rows)
            && segments * WORTHWHILE_ROWS_PER_SEGMENT > rows * rows_read
    }
}

/// Reads the column chunk `pages` of a flat column (definition levels only
/// when `nullable`) of `rows` rows, after columns with `other_runs` runs
/// in all. Gives up with [`Unread::ShortRuns`] as soon as the runs read so
/// far promise too few rows per segment (see [`Budget`]).
pub(super) fn read_runs(
    pages: &mut dyn PageReader,
    kind: ValueKind,
    nullable: bool,
    rows: u64,
    other_runs: usize,
) -> Result<ColumnRuns, Unread> {
    let budget = Budget { rows, other_runs };
    let mut dictionary: Option<ArrayRef> = None;
    let mut runs = Runs::default();
    let mut rows_read = 0u64;
    loop {
        let page = match pages.get_next_page() {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(_) => return Err(Unread::Unsupported),
        };
        if let Page::DictionaryPage {
            buf,
            num_values,
            encoding,
            ..
        } = page
        {
            let plain = matches!(encoding, Encoding::PLAIN | Encoding::PLAIN_DICTIONARY);
            let count = usize::try_from(num_values).ok();
            dictionary = match (plain, &dictionary, count) {
                (true, None, Some(count)) => read_dictionary(buf, count, kind),
                _ => None,
            };
            dictionary.as_ref().ok_or(Unread::Unsupported)?;
            continue;
        }
        let (encoding, levels, values, page_rows) =
            data_page_parts(&page, nullable).ok_or(Unread::Unsupported)?;
        let keys = dictionary.as_ref().ok_or(Unread::Unsupported)?.len();
        let page_budget =
            |runs: usize, page_rows_read: u64| budget.exceeded_by(runs, rows_read + page_rows_read);
        read_data_page(
            encoding,
            levels,
            values,
            page_rows,
            keys,
            &mut runs,
            page_budget,
        )?;
        rows_read += u64::from(page_rows);
        if budget.exceeded_by(runs.len(), rows_read) {
            return Err(Unread::ShortRuns);
        }
    }
    match dictionary {
        Some(dictionary) if runs.values() == rows => Ok(ColumnRuns { dictionary, runs }),
        _ => Err(Unread::Unsupported),
    }
}

/// A data page's encoding, definition levels (for a nullable column),
/// dictionary keys and row count.
fn data_page_parts(page: &Page, nullable: bool) -> Option<(Encoding, Option<&[u8]>, &[u8], u32)> {
    match page {
        Page::DictionaryPage { .. } => None,
        Page::DataPage {
            buf,
            num_values,
            encoding,
            def_level_encoding,
            ..
        } => {
            if !nullable {
                return Some((*encoding, None, buf, *num_values));
            }
            // Levels come first, after their byte length.
            if *def_level_encoding != Encoding::RLE {
                return None;
            }
            let length =
                usize::try_from(u32::from_le_bytes(buf.get(..4)?.try_into().ok()?)).ok()?;
            let end = 4usize.checked_add(length)?;
            Some((
                *encoding,
                Some(buf.get(4..end)?),
                buf.get(end..)?,
                *num_values,
            ))
        }
        Page::DataPageV2 {
            buf,
            num_values,
            encoding,
            def_levels_byte_len,
            rep_levels_byte_len,
            ..
        } => {
            if *rep_levels_byte_len != 0 || (!nullable && *def_levels_byte_len != 0) {
                return None;
            }
            let split = usize::try_from(*def_levels_byte_len).ok()?;
            let levels = if nullable {
                Some(buf.get(..split)?)
            } else {
                None
            };
            Some((*encoding, levels, buf.get(split..)?, *num_values))
        }
    }
}

/// Appends the keys of one data page (`level_count` rows) to `runs`.
/// `short(runs, rows)` tells when the runs so far, over the page's first
/// rows, no longer pay.
fn read_data_page(
    encoding: Encoding,
    levels: Option<&[u8]>,
    values: &[u8],
    level_count: u32,
    dictionary_len: usize,
    runs: &mut Runs,
    short: impl Fn(usize, u64) -> bool,
) -> Result<(), Unread> {
    if !matches!(
        encoding,
        Encoding::RLE_DICTIONARY | Encoding::PLAIN_DICTIONARY
    ) {
        return Err(Unread::Unsupported);
    }
    let level_count = usize::try_from(level_count).map_err(|_| Unread::Unsupported)?;
    let Some(levels) = levels else {
        return read_keys(values, level_count, dictionary_len, runs, short);
    };
    // A nullable flat column: level 1 is a value, level 0 a NULL.
    let mut level_runs = Runs::default();
    hybrid::decode(levels, 1, level_count, |level, count| {
        level_runs.push(level, count);
        true
    })
    .ok_or(Unread::Unsupported)?;
    let present: u64 = level_runs
        .as_slice()
        .iter()
        .filter(|&&(level, _)| level == 1)
        .map(|&(_, count)| u64::from(count))
        .sum();
    let present = usize::try_from(present).map_err(|_| Unread::Unsupported)?;
    let earlier_runs = runs.len();
    let mut key_runs = Runs::default();
    read_keys(
        values,
        present,
        dictionary_len,
        &mut key_runs,
        |key_runs, keys| short(earlier_runs + key_runs, keys),
    )?;
    // Interleave: each run of present values takes its keys in turn.
    let mut keys = key_runs.as_slice().iter().copied();
    let mut current = keys.next();
    for &(level, mut count) in level_runs.as_slice() {
        if level == 0 {
            runs.push(NULL_KEY, count);
            continue;
        }
        while count > 0 {
            let (key, left) = current.as_mut().ok_or(Unread::Unsupported)?;
            let taken = count.min(*left);
            runs.push(*key, taken);
            count -= taken;
            *left -= taken;
            if *left == 0 {
                current = keys.next();
            }
        }
    }
    Ok(())
}

/// Decodes `count` dictionary keys (a bit-width byte, then the hybrid runs)
/// into `runs`, refusing any key outside a dictionary of `dictionary_len`
/// entries, and stopping once `short(runs, keys read)` says so.
fn read_keys(
    values: &[u8],
    count: usize,
    dictionary_len: usize,
    runs: &mut Runs,
    short: impl Fn(usize, u64) -> bool,
) -> Result<(), Unread> {
    if count == 0 {
        return Ok(());
    }
    let (&bit_width, data) = values.split_first().ok_or(Unread::Unsupported)?;
    let mut in_range = true;
    let mut keys_read = 0u64;
    let mut next_check = runs.len() + RUNS_BETWEEN_CHECKS;
    let finished = hybrid::decode(data, bit_width, count, |key, count| {
        in_range &= usize::try_from(key).is_ok_and(|key| key < dictionary_len);
        runs.push(key, count);
        keys_read += u64::from(count);
        if runs.len() < next_check {
            return true;
        }
        next_check += RUNS_BETWEEN_CHECKS;
        !short(runs.len(), keys_read)
    })
    .ok_or(Unread::Unsupported)?;
    match (finished, in_range) {
        (_, false) => Err(Unread::Unsupported),
        (false, true) => Err(Unread::ShortRuns),
        (true, true) => Ok(()),
    }
}

/// A PLAIN-encoded dictionary page of `count` values.
fn read_dictionary(page: Bytes, count: usize, kind: ValueKind) -> Option<ArrayRef> {
    Some(match kind {
        ValueKind::Text => {
            // Each value is its 4-byte little-endian length, then its bytes;
            // the views point into the page itself.
            let mut views = Vec::with_capacity(count);
            let mut at = 0usize;
            for _ in 0..count {
                let length = u32::from_le_bytes(page.get(at..at + 4)?.try_into().ok()?);
                at += 4;
                let value = page.get(at..at.checked_add(usize::try_from(length).ok()?)?)?;
                views.push(make_view(value, 0, u32::try_from(at).ok()?));
                at += value.len();
            }
            // Checks that every value is UTF-8.
            let array =
                StringViewArray::try_new(ScalarBuffer::from(views), vec![Buffer::from(page)], None)
                    .ok()?;
            Arc::new(array)
        }
        ValueKind::Int32 => Arc::new(Int32Array::from(plain_i32(&page, count)?)),
        ValueKind::Date32 => Arc::new(Date32Array::from(plain_i32(&page, count)?)),
        ValueKind::Int64 => Arc::new(Int64Array::from(plain_i64(&page, count)?)),
    })
}

/// `count` little-endian 32-bit integers from the start of `page`.
fn plain_i32(page: &[u8], count: usize) -> Option<Vec<i32>> {
    let bytes = page.get(..count.checked_mul(4)?)?;
    Some(
        bytes
            .chunks_exact(4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
    )
}

/// `count` little-endian 64-bit integers from the start of `page`.
fn plain_i64(page: &[u8], count: usize) -> Option<Vec<i64>> {
    let bytes = page.get(..count.checked_mul(8)?)?;
    Some(
        bytes
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
            .collect(),
    )
}

/// A column chunk's bytes, fetched on their own, read by Parquet's page
/// reader at the file offsets the footer gives.
pub(super) struct ChunkBytes {
    /// The file offset of `data`'s first byte.
    pub start: u64,
    pub data: Bytes,
}

impl Length for ChunkBytes {
    fn len(&self) -> u64 {
        self.start + self.data.len() as u64
    }
}

impl ChunkReader for ChunkBytes {
    type T = bytes::buf::Reader<Bytes>;

    fn get_read(&self, start: u64) -> ParquetResult<Self::T> {
        let length = self.len().saturating_sub(start);
        Ok(self
            .get_bytes(start, usize::try_from(length).unwrap_or(usize::MAX))?
            .reader())
    }

    fn get_bytes(&self, start: u64, length: usize) -> ParquetResult<Bytes> {
        let from = start
            .checked_sub(self.start)
            .and_then(|from| usize::try_from(from).ok());
        match from.and_then(|from| Some(from..from.checked_add(length)?)) {
            Some(range) if range.end <= self.data.len() => Ok(self.data.slice(range)),
            _ => Err(ParquetError::EOF(format!(
                "{length} bytes at offset {start} lie outside the column chunk fetched at {}..{}",
                self.start,
                self.len()
            ))),
        }
    }
}
