//! DICOM as a DataFusion file format (`dicom`), for the code that works with
//! formats rather than tables: `ListingTable`s built in Rust, the session's
//! file-format registry, and plans that carry a `FileScanConfig` (Ballista).
//!
//! - [`DicomFormatFactory`] / [`DicomFormat`]: the fixed schema (no I/O to
//!   infer it), one row per file as statistics, and a physical plan that is
//!   the same [`DicomScanExec`] `read_dicom` uses;
//! - [`DicomSource`] / its opener: the `FileSource` a `FileScanConfig`
//!   carries; a `DataSourceExec` built on it reads one file per batch.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::stats::Precision;
use datafusion::common::{GetExt, Result, Statistics, plan_datafusion_err, plan_err};
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::file_format::{FileFormat, FileFormatFactory};
use datafusion::datasource::physical_plan::{FileScanConfig, FileSource};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::object_store::{ObjectMeta, ObjectStore};
use datafusion::physical_plan::ExecutionPlan;

use crate::dicom::columns::{schema_of, table_columns};
use crate::dicom::exec::DicomScanExec;
use crate::dicom::reader::DicomFile;
use crate::dicom::reader::OnError;
use crate::dicom::source::DicomSource;
use crate::dicom::table::arguments::parse_dicom_options;
use rwid_dicom::CustomAttribute;

/// The `dicom` format's options, as `OPTIONS (...)` or `format_options` give them.
pub(crate) fn parse_options(options: &HashMap<String, String>) -> Result<DicomFormat> {
    let options = options
        .iter()
        .map(|(k, v)| (k.trim_start_matches("format."), v.as_str()));
    let (on_error, custom) = parse_dicom_options(options, "the dicom format")?;
    Ok(DicomFormat { custom, on_error })
}

/// Registered in the session under `dicom`.
#[derive(Debug, Default)]
pub struct DicomFormatFactory;

impl GetExt for DicomFormatFactory {
    fn get_ext(&self) -> String {
        "dicom".to_string()
    }
}

impl FileFormatFactory for DicomFormatFactory {
    fn create(
        &self,
        _state: &dyn Session,
        format_options: &HashMap<String, String>,
    ) -> Result<Arc<dyn FileFormat>> {
        Ok(Arc::new(parse_options(format_options)?))
    }

    fn default(&self) -> Arc<dyn FileFormat> {
        Arc::new(DicomFormat::default())
    }
}

/// DICOM files, one row per file, with the curated attributes plus `custom` ones.
#[derive(Debug, Default, Clone)]
pub struct DicomFormat {
    custom: Vec<CustomAttribute>,
    on_error: OnError,
}

impl DicomFormat {
    pub fn new(custom: Vec<CustomAttribute>, on_error: OnError) -> Self {
        Self { custom, on_error }
    }
}

#[async_trait]
impl FileFormat for DicomFormat {
    /// Most DICOM files have no extension; listings should not filter on one.
    fn get_ext(&self) -> String {
        "dicom".to_string()
    }

    fn get_ext_with_compression(&self, compression: &FileCompressionType) -> Result<String> {
        if compression.is_compressed() {
            return plan_err!("DICOM files are not read through a compression codec");
        }
        Ok(self.get_ext())
    }

    fn compression_type(&self) -> Option<FileCompressionType> {
        None
    }

    /// The schema is fixed by the attributes asked for: no file is read.
    async fn infer_schema(
        &self,
        _state: &dyn Session,
        _store: &Arc<dyn ObjectStore>,
        _objects: &[ObjectMeta],
    ) -> Result<SchemaRef> {
        Ok(schema_of(&table_columns(&self.custom, &[])))
    }

    /// One file is one row: `count(*)` and limits are exact without a read.
    async fn infer_stats(
        &self,
        _state: &dyn Session,
        _store: &Arc<dyn ObjectStore>,
        table_schema: SchemaRef,
        _object: &ObjectMeta,
    ) -> Result<Statistics> {
        let mut statistics = Statistics::new_unknown(&table_schema);
        statistics.num_rows = Precision::Exact(1);
        Ok(statistics)
    }

    /// The scan `read_dicom` uses: many files read at once per partition,
    /// batches of many rows.
    async fn create_physical_plan(
        &self,
        _state: &dyn Session,
        conf: FileScanConfig,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let source = conf
            .file_source
            .downcast_ref::<DicomSource>()
            .ok_or_else(|| plan_datafusion_err!("the dicom format needs a DicomSource"))?;
        let file_groups = conf
            .file_groups
            .iter()
            .map(|group| group.iter().map(DicomFile::from).collect())
            .collect();
        Ok(Arc::new(DicomScanExec::new(
            conf.object_store_url.clone(),
            file_groups,
            source.output_columns(),
            conf.limit,
            self.on_error,
        )))
    }

    fn file_source(&self, table_schema: TableSchema) -> Arc<dyn FileSource> {
        Arc::new(DicomSource::new(table_schema, &self.custom, self.on_error))
    }
}
