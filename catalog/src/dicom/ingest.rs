//! `rwid ingest`: a DICOM archive's instance table as one Parquet file, kept
//! up to date incrementally.
//!
//! A run lists the archive, keeps the rows of files whose size and
//! modification time are unchanged, reads only new or changed files, drops
//! the rows of files that are gone, and replaces the index in one atomic
//! rename: a run that fails or is killed leaves the previous index as it
//! was.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::dicom::columns::file_columns;
use crate::dicom::exec::DicomScanExec;
use crate::dicom::reader::{OnError, display_path};
use crate::dicom::table::provider::DicomTable;
use datafusion::arrow::array::{Array, AsArray, BooleanArray, RecordBatch};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::{Int64Type, TimestampMicrosecondType};
use datafusion::catalog::TableProvider;
use datafusion::common::{DataFusionError, Result, plan_err};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::physical_plan::collect;
use datafusion::prelude::SessionContext;

/// The index file inside the destination folder.
pub const INDEX_FILE: &str = "instances.parquet";

/// What one ingest run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestReport {
    /// Files in the archive now.
    pub files: usize,
    /// Files whose rows were kept without reading them.
    pub unchanged: usize,
    /// New or changed files read.
    pub read: usize,
    /// Files gone since the last run, whose rows were dropped.
    pub removed: usize,
    /// Rows with `read_error` set in the index.
    pub unreadable: usize,
    pub index: PathBuf,
}

/// Ingests `source` (folder, glob or object-store URL of DICOM files) into
/// `destination/instances.parquet`; `destination` is a local folder, such as
/// a lake's `imaging/instances/`.
pub async fn ingest(
    ctx: &SessionContext,
    source: &str,
    destination: &Path,
) -> Result<IngestReport> {
    if destination.to_string_lossy().contains("://") {
        return plan_err!(
            "ingest writes to a local folder; '{}' is a URL",
            destination.display()
        );
    }
    std::fs::create_dir_all(destination).map_err(|e| io_error(destination, e))?;
    let index = destination.join(INDEX_FILE);
    let table = DicomTable::try_new(&[source.to_string()], &[], &[], OnError::Row)?;
    let schema = table.schema();
    let state = ctx.state();
    let (store_url, files) = table.files(&state).await?;

    // The previous index, unless written by an rwid with other columns.
    let previous: Vec<RecordBatch> = match read_index(&index)? {
        Some(batches) if batches.first().is_none_or(|b| b.schema() == schema) => batches,
        _ => Vec::new(),
    };
    let mut known: HashMap<String, (i64, i64)> = HashMap::new();
    for batch in &previous {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .expect("index has the file columns")
        };
        let paths = column(file_columns::FILE_PATH).as_string::<i32>().clone();
        let sizes = column(file_columns::FILE_SIZE)
            .as_primitive::<Int64Type>()
            .clone();
        let modified = column(file_columns::FILE_MODIFIED)
            .as_primitive::<TimestampMicrosecondType>()
            .clone();
        for row in 0..batch.num_rows() {
            known.insert(
                paths.value(row).to_string(),
                (sizes.value(row), modified.value(row)),
            );
        }
    }

    let store = store_url.as_str().to_string();
    let mut unchanged: HashSet<String> = HashSet::new();
    let mut current: HashSet<String> = HashSet::with_capacity(files.len());
    let mut to_read = Vec::new();
    for file in files.iter() {
        let path = display_path(&store, &file.meta.location);
        current.insert(path.clone());
        let now = (
            file.meta.size as i64,
            file.meta.last_modified.timestamp_micros(),
        );
        if known.get(&path) == Some(&now) {
            unchanged.insert(path);
        } else {
            to_read.push(file.clone());
        }
    }
    let removed = known.keys().filter(|p| !current.contains(*p)).count();

    let mut batches = Vec::new();
    for batch in &previous {
        let paths = batch
            .column_by_name(file_columns::FILE_PATH)
            .expect("index has file_path")
            .as_string::<i32>();
        let keep: BooleanArray = paths
            .iter()
            .map(|p| Some(p.is_some_and(|p| unchanged.contains(p))))
            .collect();
        batches.push(filter_record_batch(batch, &keep)?);
    }
    let read = to_read.len();
    if !to_read.is_empty() {
        let partitions = state.config().target_partitions().max(1);
        let per_group = to_read.len().div_ceil(partitions);
        let groups = to_read.chunks(per_group).map(<[_]>::to_vec).collect();
        let scan = DicomScanExec::new(
            store_url,
            groups,
            table.columns().to_vec(),
            None,
            OnError::Row,
        );
        batches.extend(collect(Arc::new(scan), ctx.task_ctx()).await?);
    }
    let unreadable = batches
        .iter()
        .map(|b| {
            b.column_by_name(file_columns::READ_ERROR)
                .map_or(0, |c| c.len() - c.null_count())
        })
        .sum();
    write_atomically(&index, &schema, &batches)?;
    Ok(IngestReport {
        files: files.len(),
        unchanged: unchanged.len(),
        read,
        removed,
        unreadable,
        index,
    })
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Execution(format!("'{}': {e}", path.display()))
}

/// The index's batches, or None when there is no index yet.
fn read_index(index: &Path) -> Result<Option<Vec<RecordBatch>>> {
    if !index.exists() {
        return Ok(None);
    }
    let file = File::open(index).map_err(|e| io_error(index, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| io_error(index, format!("not a readable index: {e}")))?
        .build()?;
    Ok(Some(reader.collect::<Result<Vec<_>, _>>()?))
}

/// Writes beside `index` and renames over it: readers see the old or the
/// new index, never a partial one.
fn write_atomically(
    index: &Path,
    schema: &datafusion::arrow::datatypes::SchemaRef,
    batches: &[RecordBatch],
) -> Result<()> {
    let name = index
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let staging = index.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> Result<()> {
        let file = File::create(&staging).map_err(|e| io_error(&staging, e))?;
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let mut writer = ArrowWriter::try_new(file, Arc::clone(schema), Some(properties))?;
        for batch in batches {
            writer.write(batch)?;
        }
        let file = writer.into_inner()?;
        file.sync_all().map_err(|e| io_error(&staging, e))?;
        std::fs::rename(&staging, index).map_err(|e| io_error(index, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&staging);
    }
    result
}
