//! The `FileOpener` of [`DicomSource`](super::source::DicomSource): one file
//! into a one-row batch.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::Result;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileOpenFuture, FileOpener};
use futures::{FutureExt, StreamExt};

use crate::dicom::batch::build_batch;
use crate::dicom::columns::Column;
use crate::dicom::reader::{DicomFile, FileReader, OnError, apply_on_error};

/// Reads one file into a one-row batch (none when the file is skipped).
pub(crate) struct DicomOpener {
    pub(crate) reader: Arc<FileReader>,
    pub(crate) columns: Vec<Column>,
    pub(crate) schema: SchemaRef,
    pub(crate) on_error: OnError,
}

impl FileOpener for DicomOpener {
    fn open(&self, file: PartitionedFile) -> Result<FileOpenFuture> {
        let (reader, columns, schema, on_error) = (
            Arc::clone(&self.reader),
            self.columns.clone(),
            Arc::clone(&self.schema),
            self.on_error,
        );
        Ok(async move {
            let scanned = reader.read(DicomFile::from(&file)).await;
            let rows: Vec<_> = apply_on_error(scanned, on_error)?.into_iter().collect();
            let batch = build_batch(&schema, &columns, &rows)?;
            Ok(futures::stream::once(async move { Ok(batch) }).boxed())
        }
        .boxed())
    }
}
