//! `DicomScanExec`: reads the headers of a list of files, many at a time, and
//! returns one row per file in batches of many rows.
//!
//! One DICOM file is one row, so a file-at-a-time scan would produce one-row
//! batches; this plan reads up to `IO_CONCURRENCY` files at once per
//! partition and emits batches of the session's batch size. Only the first
//! bytes of each file are fetched (ranged reads, grown on demand), and a
//! parse stops at the last attribute the query needs.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result, internal_err};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::object_store::local::LocalFileSystem;
use datafusion::object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use dicom_core::Tag;
use futures::{StreamExt, TryStreamExt};

use super::batch::{Outcome, ScannedFile, build_batch, header_values};
use super::columns::{Column, schema_of};
use rwid_dicom::header::{DicomHeader, HeaderError, stop_tag};

/// Files read at once per partition; hides object-store latency.
pub(crate) const IO_CONCURRENCY: usize = 16;
/// First bytes fetched per file; enough for the standard attributes of most
/// files, which sit before the large private groups and pixel data.
const INITIAL_READ_BYTES: u64 = 64 * 1024;

/// What to do with a file whose header cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Keep the file as a row with `read_error` set.
    #[default]
    Row,
    /// Leave the file out.
    Skip,
    /// Fail the query, naming the file.
    Fail,
}

impl std::str::FromStr for OnError {
    type Err = DataFusionError;
    fn from_str(value: &str) -> Result<Self> {
        match value.to_ascii_lowercase().as_str() {
            "row" | "read_error" => Ok(OnError::Row),
            "skip" => Ok(OnError::Skip),
            "fail" => Ok(OnError::Fail),
            other => Err(DataFusionError::Plan(format!(
                "dicom.on_error must be 'read_error', 'skip' or 'fail', got '{other}'"
            ))),
        }
    }
}

impl fmt::Display for OnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OnError::Row => "read_error",
            OnError::Skip => "skip",
            OnError::Fail => "fail",
        })
    }
}

/// A file to scan, with its partition column values.
#[derive(Debug, Clone)]
pub struct DicomFile {
    pub meta: ObjectMeta,
    pub partition_values: Arc<[Option<String>]>,
}

#[derive(Debug)]
pub struct DicomScanExec {
    store_url: ObjectStoreUrl,
    /// One group of files per output partition.
    file_groups: Vec<Vec<DicomFile>>,
    columns: Vec<Column>,
    schema: SchemaRef,
    limit: Option<usize>,
    on_error: OnError,
    properties: Arc<PlanProperties>,
}

impl DicomScanExec {
    pub fn new(
        store_url: ObjectStoreUrl,
        file_groups: Vec<Vec<DicomFile>>,
        columns: Vec<Column>,
        limit: Option<usize>,
        on_error: OnError,
    ) -> Self {
        let schema = schema_of(&columns);
        let properties = PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(file_groups.len().max(1)),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Self {
            store_url,
            file_groups,
            columns,
            schema,
            limit,
            on_error,
            properties: Arc::new(properties),
        }
    }

    fn needs_header(&self) -> bool {
        needs_header(&self.columns, self.on_error)
    }

    fn stop_tag(&self) -> Tag {
        header_stop_tag(&self.columns, self.on_error)
    }
}

/// Whether a scan of `columns` must read headers at all: `count(*)` and
/// file columns need none, unless unreadable files are to be skipped or fail.
pub(crate) fn needs_header(columns: &[Column], on_error: OnError) -> bool {
    columns.iter().any(Column::needs_header) || on_error != OnError::Row
}

/// Where header parsing stops. Reporting unreadable files (`read_error`,
/// or the `skip` and `fail` modes) reads each header up to the pixel data,
/// so the verdict does not depend on which attributes a query selects;
/// `dicom_json` is the whole header.
pub(crate) fn header_stop_tag(columns: &[Column], on_error: OnError) -> Tag {
    if on_error != OnError::Row
        || columns.contains(&Column::ReadError)
        || columns.contains(&Column::DicomJson)
    {
        return dicom_dictionary_std::tags::PIXEL_DATA;
    }
    stop_tag(columns.iter().filter_map(Column::top_level_tag))
}

/// Applies the error mode to a read file: kept, left out (`skip`), or an
/// error naming the file (`fail`).
pub(crate) fn apply_on_error(file: ScannedFile, on_error: OnError) -> Result<Option<ScannedFile>> {
    match (&file.outcome, on_error) {
        (Outcome::Failed(reason), OnError::Fail) => Err(DataFusionError::Execution(format!(
            "cannot read DICOM file '{}': {reason}",
            file.path
        ))),
        (Outcome::Failed(_), OnError::Skip) => Ok(None),
        _ => Ok(Some(file)),
    }
}

impl DisplayAs for DicomScanExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let files: usize = self.file_groups.iter().map(Vec::len).sum();
        let names: Vec<&str> = self.columns.iter().map(Column::name).collect();
        match t {
            DisplayFormatType::Default | DisplayFormatType::Verbose => {
                write!(
                    f,
                    "DicomScanExec: files={files}, projection=[{}]",
                    names.join(", ")
                )?;
                if let Some(limit) = self.limit {
                    write!(f, ", limit={limit}")?;
                }
                if self.needs_header() {
                    let Tag(group, element) = self.stop_tag();
                    write!(f, ", stop_before=({group:04X},{element:04X})")?;
                } else {
                    write!(f, ", headers=not read")?;
                }
                write!(f, ", on_error={}", self.on_error)
            }
            DisplayFormatType::TreeRender => write!(f, "files={files}"),
        }
    }
}

impl ExecutionPlan for DicomScanExec {
    fn name(&self) -> &str {
        "DicomScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            internal_err!("DicomScanExec has no children")
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let files = match self.file_groups.get(partition) {
            Some(files) => files.clone(),
            None if self.file_groups.is_empty() => Vec::new(),
            None => return internal_err!("DicomScanExec has no partition {partition}"),
        };
        let store = context.runtime_env().object_store(&self.store_url)?;
        let reader = Arc::new(FileReader::new(
            store,
            &self.store_url,
            &self.columns,
            self.on_error,
        ));
        let on_error = self.on_error;
        let batch_size = context.session_config().batch_size();
        let rows = futures::stream::iter(files)
            .map(move |file| {
                let reader = Arc::clone(&reader);
                async move { reader.read(file).await }
            })
            .buffered(IO_CONCURRENCY)
            .map(move |file| apply_on_error(file, on_error))
            .try_filter_map(futures::future::ok);
        let rows = match self.limit {
            Some(limit) => rows.take(limit).boxed(),
            None => rows.boxed(),
        };
        let (schema, columns) = (Arc::clone(&self.schema), self.columns.clone());
        let batches = rows
            .try_chunks(batch_size)
            .map_err(|e| e.1)
            .and_then(move |files| futures::future::ready(build_batch(&schema, &columns, &files)));
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            batches,
        )))
    }
}

/// A file's `file_path`: local files by their path, objects by their URL
/// (`s3://bucket/key`).
pub(crate) fn display_path(
    store_url: &str,
    location: &datafusion::object_store::path::Path,
) -> String {
    if store_url.starts_with("file:") {
        format!("/{location}")
    } else {
        format!("{}/{location}", store_url.trim_end_matches('/'))
    }
}

/// Reads one file's header with ranged reads, and takes the values of the
/// scan's columns out of it.
pub(crate) struct FileReader {
    store: Arc<dyn ObjectStore>,
    /// Set for local files, which are read without the object store.
    local: Option<LocalFileSystem>,
    store_url: String,
    columns: Vec<Column>,
    needs_header: bool,
    stop_before: Tag,
}

impl FileReader {
    pub(crate) fn new(
        store: Arc<dyn ObjectStore>,
        store_url: &ObjectStoreUrl,
        columns: &[Column],
        on_error: OnError,
    ) -> Self {
        Self {
            store,
            local: store_url
                .as_str()
                .starts_with("file:")
                .then(LocalFileSystem::new),
            store_url: store_url.as_str().to_string(),
            columns: columns.to_vec(),
            needs_header: needs_header(columns, on_error),
            stop_before: header_stop_tag(columns, on_error),
        }
    }

    fn display_path(&self, meta: &ObjectMeta) -> String {
        display_path(&self.store_url, &meta.location)
    }

    pub(crate) async fn read(&self, file: DicomFile) -> ScannedFile {
        let meta = &file.meta;
        let outcome = if self.needs_header {
            self.read_header(meta).await
        } else {
            Outcome::NotRead
        };
        ScannedFile {
            path: self.display_path(meta),
            size: meta.size,
            modified_micros: meta.last_modified.timestamp_micros(),
            partition_values: file.partition_values,
            outcome,
        }
    }

    /// The first `wanted` bytes of the file. Local files are read directly:
    /// the object store would hand each small read to another thread, which
    /// costs more than the read itself; scans are CPU-bound on local disks.
    async fn fetch(&self, meta: &ObjectMeta, wanted: u64) -> Result<Vec<u8>> {
        if let Some(local) = &self.local {
            use std::io::Read;
            let path = local.path_to_filesystem(&meta.location)?;
            let mut buffer = Vec::with_capacity(wanted as usize);
            std::fs::File::open(&path)?
                .take(wanted)
                .read_to_end(&mut buffer)?;
            return Ok(buffer);
        }
        Ok(self
            .store
            .get_range(&meta.location, 0..wanted)
            .await?
            .to_vec())
    }

    async fn read_header(&self, meta: &ObjectMeta) -> Outcome {
        match self.header(meta, self.stop_before).await {
            Ok(header) => Outcome::Read(header_values(&self.columns, &header)),
            Err(reason) => Outcome::Failed(reason),
        }
    }

    /// A file's header up to `stop_before`, fetched in growing ranges until
    /// it parses; the error says why it cannot be read.
    pub(crate) async fn header(
        &self,
        meta: &ObjectMeta,
        stop_before: Tag,
    ) -> std::result::Result<DicomHeader, String> {
        let size = meta.size;
        if size == 0 {
            return Err("empty file".to_string());
        }
        let mut wanted = INITIAL_READ_BYTES.min(size);
        loop {
            let bytes = match self.fetch(meta, wanted).await {
                Ok(bytes) => bytes,
                Err(e) => return Err(format!("cannot fetch bytes 0..{wanted}: {e}")),
            };
            match DicomHeader::parse(bytes, stop_before, wanted >= size) {
                Ok(header) => return Ok(header),
                Err(HeaderError::Incomplete(_)) => wanted = (wanted * 4).min(size),
                Err(HeaderError::Invalid(reason)) => return Err(reason),
            }
        }
    }
}
