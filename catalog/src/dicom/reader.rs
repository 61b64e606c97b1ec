//! Reading one DICOM file's header for a scan: ranged reads of the first
//! bytes, grown on demand, a parse that stops at the last attribute the
//! query needs, and what to do with a file whose header cannot be read.

use std::fmt;
use std::sync::Arc;

use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::object_store::local::LocalFileSystem;
use datafusion::object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use dicom_core::Tag;

use crate::dicom::batch::{Outcome, ScannedFile, header_values};
use crate::dicom::columns::Column;
use rwid_dicom::header::{DicomHeader, HeaderError, stop_tag};

/// A file to scan, with its partition column values as text.
#[derive(Debug, Clone)]
pub struct DicomFile {
    pub meta: ObjectMeta,
    pub partition_values: Arc<[Option<String>]>,
}

impl From<&PartitionedFile> for DicomFile {
    /// A file DataFusion listed (a `ListingTable`'s or a shipped plan's).
    fn from(file: &PartitionedFile) -> Self {
        fn text(value: &ScalarValue) -> String {
            match value {
                ScalarValue::Dictionary(_, inner) => text(inner),
                other => other.to_string(),
            }
        }
        DicomFile {
            meta: file.object_meta.clone(),
            partition_values: file
                .partition_values
                .iter()
                .map(|value| (!value.is_null()).then(|| text(value)))
                .collect(),
        }
    }
}

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
