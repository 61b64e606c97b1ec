//! One dictionary-encoded column chunk read as its dictionary and the runs
//! of its dictionary keys, without producing a value per row.

use std::ops::Range;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use datafusion::arrow::array::builder::make_view;
use datafusion::arrow::array::{ArrayRef, Date32Array, Int32Array, Int64Array, StringViewArray};
use datafusion::arrow::buffer::{Buffer, ScalarBuffer};
use datafusion::arrow::datatypes::DataType;
use datafusion::parquet::basic::{Encoding, PageType, Type as PhysicalType};
use datafusion::parquet::column::page::{Page, PageReader};
use datafusion::parquet::errors::{ParquetError, Result as ParquetResult};
use datafusion::parquet::file::metadata::ColumnChunkMetaData;
use datafusion::parquet::file::reader::{ChunkReader, Length};
use datafusion::parquet::file::serialized_reader::SerializedPageReader;

use super::hybrid::{self, NULL_KEY, Runs, SKIPPED_KEY};

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
            (None, Some(stats)) => stats.iter().all(|page| match page.page_type {
                PageType::DATA_PAGE | PageType::DATA_PAGE_V2 => dictionary(&page.encoding),
                _ => true,
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

/// Within a page, a column's runs are weighed each time this many more are
/// read (a page can hold most of a row group).
const RUNS_BETWEEN_CHECKS: usize = 1024;

/// Reads one column chunk a page at a time into the runs of its keys,
/// leaving out the pages with no selected row, and reads its dictionary
/// last: the runs of the first pages may show that reading on does not pay,
/// and a dictionary (100,000 person ids) costs more than those pages.
pub(super) struct ChunkRunReader {
    chunk: Arc<ChunkBytes>,
    column: ColumnChunkMetaData,
    /// The row group's rows.
    rows: u64,
    pages: SerializedPageReader<ChunkBytes>,
    kind: ValueKind,
    nullable: bool,
    /// Whether the dictionary page was passed (it comes first).
    dictionary_passed: bool,
    /// The largest key read, checked against the dictionary at the end.
    largest_key: Option<u32>,
    runs: Runs,
    /// Rows of the pages passed so far, read or left out.
    rows_passed: u64,
    /// Rows read, and the runs they made (left-out pages not counted).
    rows_read: u64,
    runs_read: usize,
    finished: bool,
}

impl ChunkRunReader {
    /// A reader of `column`, a flat column chunk of a row group of `rows`
    /// rows (definition levels only when `nullable`), whose bytes are
    /// `chunk`.
    pub(super) fn new(
        chunk: Arc<ChunkBytes>,
        column: &ColumnChunkMetaData,
        rows: u64,
        kind: ValueKind,
        nullable: bool,
    ) -> Result<Self, Unread> {
        Ok(Self {
            pages: page_reader(&chunk, column, rows)?,
            chunk,
            column: column.clone(),
            rows,
            kind,
            nullable,
            dictionary_passed: false,
            largest_key: None,
            runs: Runs::default(),
            rows_passed: 0,
            rows_read: 0,
            runs_read: 0,
            finished: false,
        })
    }

    pub(super) fn is_finished(&self) -> bool {
        self.finished
    }

    pub(super) fn rows_read(&self) -> u64 {
        self.rows_read
    }

    /// Runs per row read so far (0 before any row).
    pub(super) fn runs_per_row(&self) -> f64 {
        self.runs_read as f64 / self.rows_read.max(1) as f64
    }

    /// Reads the next page: the keys of a data page with a row in
    /// `selected` (ascending row ranges), or past a data page without one,
    /// or past the dictionary. Stops with [`Unread::ShortRuns`] when
    /// `too_short(runs per row, rows read)` says this column's runs so far
    /// no longer pay.
    pub(super) fn read_page(
        &mut self,
        selected: &[Range<u64>],
        too_short: impl Fn(f64, u64) -> bool,
    ) -> Result<(), Unread> {
        let unsupported = |_: ParquetError| Unread::Unsupported;
        let Some(next) = self.pages.peek_next_page().map_err(unsupported)? else {
            self.finished = true;
            return Ok(());
        };
        if next.is_dict {
            if self.dictionary_passed {
                return Err(Unread::Unsupported);
            }
            self.dictionary_passed = true;
            return self.pages.skip_next_page().map_err(unsupported);
        }
        if !self.dictionary_passed {
            return Err(Unread::Unsupported);
        }
        // A flat column has one level per row.
        if let Some(rows) = next.num_rows.or(next.num_levels) {
            let (start, end) = (self.rows_passed, self.rows_passed + rows as u64);
            if !selected
                .iter()
                .any(|range| range.start < end && start < range.end)
            {
                self.pages.skip_next_page().map_err(unsupported)?;
                // Rows no segment will be taken from.
                let rows = u32::try_from(rows).map_err(|_| Unread::Unsupported)?;
                self.runs.push(SKIPPED_KEY, rows);
                self.rows_passed = end;
                return Ok(());
            }
        }
        let page = self
            .pages
            .get_next_page()
            .map_err(unsupported)?
            .ok_or(Unread::Unsupported)?;
        let DataPageParts {
            encoding,
            levels,
            keys: values,
            rows: page_rows,
        } = DataPageParts::of(&page, self.nullable).ok_or(Unread::Unsupported)?;
        let runs_before = self.runs.len();
        let (runs_read, rows_read) = (self.runs_read, self.rows_read);
        let short = |page_runs: usize, page_rows_read: u64| {
            let (runs, rows) = (
                runs_read + page_runs - runs_before,
                rows_read + page_rows_read,
            );
            too_short(runs as f64 / rows.max(1) as f64, rows)
        };
        let keys = Keys {
            runs: &mut self.runs,
            largest: &mut self.largest_key,
        };
        read_data_page(encoding, levels, values, page_rows, keys, short)?;
        self.runs_read += self.runs.len() - runs_before;
        self.rows_read += u64::from(page_rows);
        self.rows_passed += u64::from(page_rows);
        Ok(())
    }

    /// The column's dictionary and runs, once every page is passed: the
    /// runs must cover the row group's rows and every key must be in the
    /// dictionary.
    pub(super) fn finish(self) -> Result<ColumnRuns, Unread> {
        if !self.finished || self.runs.values() != self.rows {
            return Err(Unread::Unsupported);
        }
        let mut pages = page_reader(&self.chunk, &self.column, self.rows)?;
        let Ok(Some(Page::DictionaryPage {
            buf,
            num_values,
            encoding: Encoding::PLAIN | Encoding::PLAIN_DICTIONARY,
            ..
        })) = pages.get_next_page()
        else {
            return Err(Unread::Unsupported);
        };
        let count = usize::try_from(num_values).map_err(|_| Unread::Unsupported)?;
        let dictionary = read_dictionary(buf, count, self.kind).ok_or(Unread::Unsupported)?;
        match self.largest_key {
            Some(key) if usize::try_from(key).map_or(true, |key| key >= dictionary.len()) => {
                Err(Unread::Unsupported)
            }
            _ => Ok(ColumnRuns {
                dictionary,
                runs: self.runs,
            }),
        }
    }
}

/// Parquet's page reader over a column chunk's bytes.
fn page_reader(
    chunk: &Arc<ChunkBytes>,
    column: &ColumnChunkMetaData,
    rows: u64,
) -> Result<SerializedPageReader<ChunkBytes>, Unread> {
    let rows = usize::try_from(rows).map_err(|_| Unread::Unsupported)?;
    SerializedPageReader::new(Arc::clone(chunk), column, rows, None)
        .map_err(|_| Unread::Unsupported)
}

/// Where a data page's keys go: appended to the column's runs, the largest
/// one noted.
struct Keys<'a> {
    runs: &'a mut Runs,
    largest: &'a mut Option<u32>,
}

/// A data page's parts.
struct DataPageParts<'a> {
    encoding: Encoding,
    /// Definition levels, for a nullable column.
    levels: Option<&'a [u8]>,
    /// Dictionary keys: a bit-width byte, then the hybrid runs.
    keys: &'a [u8],
    rows: u32,
}

impl<'a> DataPageParts<'a> {
    fn of(page: &'a Page, nullable: bool) -> Option<Self> {
        match page {
            Page::DictionaryPage { .. } => None,
            Page::DataPage {
                buf,
                num_values,
                encoding,
                def_level_encoding,
                ..
            } => {
                let (levels, keys) = if nullable {
                    // Levels come first, after their byte length.
                    if *def_level_encoding != Encoding::RLE {
                        return None;
                    }
                    let length = u32::from_le_bytes(buf.get(..4)?.try_into().ok()?);
                    let end = 4usize.checked_add(usize::try_from(length).ok()?)?;
                    (Some(buf.get(4..end)?), buf.get(end..)?)
                } else {
                    (None, &buf[..])
                };
                Some(Self {
                    encoding: *encoding,
                    levels,
                    keys,
                    rows: *num_values,
                })
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
                Some(Self {
                    encoding: *encoding,
                    levels,
                    keys: buf.get(split..)?,
                    rows: *num_values,
                })
            }
        }
    }
}

/// Appends the keys of one data page (`level_count` rows) to `keys`.
/// `short(runs, rows)` tells when the runs so far, over the page's first
/// rows, no longer pay.
fn read_data_page(
    encoding: Encoding,
    levels: Option<&[u8]>,
    values: &[u8],
    level_count: u32,
    keys: Keys,
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
        return read_keys(values, level_count, keys.runs, keys.largest, short);
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
    let Keys { runs, largest } = keys;
    let earlier_runs = runs.len();
    let mut key_runs = Runs::default();
    read_keys(values, present, &mut key_runs, largest, |key_runs, keys| {
        short(earlier_runs + key_runs, keys)
    })?;
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
/// into `runs`, noting the largest in `largest`, and stopping once
/// `short(runs, keys read)` says so.
fn read_keys(
    values: &[u8],
    count: usize,
    runs: &mut Runs,
    largest: &mut Option<u32>,
    short: impl Fn(usize, u64) -> bool,
) -> Result<(), Unread> {
    if count == 0 {
        return Ok(());
    }
    let (&bit_width, data) = values.split_first().ok_or(Unread::Unsupported)?;
    let mut keys_read = 0u64;
    let mut next_check = runs.len() + RUNS_BETWEEN_CHECKS;
    // A key past the dictionary, NULL_KEY and SKIPPED_KEY included (no
    // dictionary is that long), is refused by `finish` through `largest`.
    let finished = hybrid::decode(data, bit_width, count, |key, count| {
        *largest = Some(largest.map_or(key, |largest| largest.max(key)));
        runs.push(key, count);
        keys_read += u64::from(count);
        if runs.len() < next_check {
            return true;
        }
        next_check += RUNS_BETWEEN_CHECKS;
        !short(runs.len(), keys_read)
    })
    .ok_or(Unread::Unsupported)?;
    if finished {
        Ok(())
    } else {
        Err(Unread::ShortRuns)
    }
}

/// A PLAIN-encoded dictionary page of `count` values.
fn read_dictionary(page: Bytes, count: usize, kind: ValueKind) -> Option<ArrayRef> {
    if count >= SKIPPED_KEY as usize {
        // Keys that large mark NULLs and unread rows.
        return None;
    }
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
