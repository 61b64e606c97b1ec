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
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::stats::Precision;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{GetExt, Result, ScalarValue, Statistics, plan_datafusion_err, plan_err};
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::file_format::{FileFormat, FileFormatFactory};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{
    FileOpenFuture, FileOpener, FileScanConfig, FileSource,
};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::object_store::{ObjectMeta, ObjectStore};
use datafusion::physical_expr::projection::ProjectionExprs;
use datafusion::physical_expr::{PhysicalExpr, expressions};
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion::physical_plan::{DisplayFormatType, ExecutionPlan};
use futures::{FutureExt, StreamExt};

use super::batch::build_batch;
use super::columns::{Column, schema_of, table_columns};
use super::scan::{DicomFile, DicomScanExec, FileReader, OnError, apply_on_error};
use super::table::parse_dicom_options;
use rwid_dicom::CustomAttribute;

/// The `dicom` format's options, as `OPTIONS (...)` or `format_options` give them.
fn parse_options(options: &HashMap<String, String>) -> Result<DicomFormat> {
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
            .map(|group| group.iter().map(dicom_file).collect())
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

/// A listed file as the DICOM scan takes it: partition values as text.
fn dicom_file(file: &PartitionedFile) -> DicomFile {
    DicomFile {
        meta: file.object_meta.clone(),
        partition_values: file
            .partition_values
            .iter()
            .map(|value| (!value.is_null()).then(|| partition_text(value)))
            .collect(),
    }
}

fn partition_text(value: &ScalarValue) -> String {
    match value {
        ScalarValue::Dictionary(_, inner) => partition_text(inner),
        other => other.to_string(),
    }
}

/// The `FileSource` of the `dicom` format: the table's columns and the
/// projection pushed into it.
#[derive(Debug, Clone)]
pub struct DicomSource {
    table_schema: TableSchema,
    /// Every column of the table, partition columns last.
    columns: Vec<Column>,
    /// Column indices the scan produces; `None` is all.
    projection: Option<ProjectionExprs>,
    on_error: OnError,
    metrics: ExecutionPlanMetricsSet,
}

impl DicomSource {
    pub fn new(table_schema: TableSchema, custom: &[CustomAttribute], on_error: OnError) -> Self {
        let partition_fields: Vec<_> = table_schema
            .table_partition_cols()
            .iter()
            .map(|field| field.as_ref().clone())
            .collect();
        Self {
            columns: table_columns(custom, &partition_fields),
            table_schema,
            projection: None,
            on_error,
            metrics: ExecutionPlanMetricsSet::new(),
        }
    }

    /// The columns the scan produces, in output order.
    fn output_columns(&self) -> Vec<Column> {
        match &self.projection {
            Some(projection) => projection
                .column_indices()
                .into_iter()
                .map(|i| self.columns[i].clone())
                .collect(),
            None => self.columns.clone(),
        }
    }
}

impl FileSource for DicomSource {
    fn create_file_opener(
        &self,
        store: Arc<dyn ObjectStore>,
        config: &FileScanConfig,
        _partition: usize,
    ) -> Result<Arc<dyn FileOpener>> {
        let columns = self.output_columns();
        let reader = FileReader::new(store, &config.object_store_url, &columns, self.on_error);
        Ok(Arc::new(DicomOpener {
            reader: Arc::new(reader),
            schema: schema_of(&columns),
            columns,
            on_error: self.on_error,
        }))
    }

    fn table_schema(&self) -> &TableSchema {
        &self.table_schema
    }

    fn with_batch_size(&self, _batch_size: usize) -> Arc<dyn FileSource> {
        // One file is one row: an opener's batch is always one row.
        Arc::new(self.clone())
    }

    fn projection(&self) -> Option<&ProjectionExprs> {
        self.projection.as_ref()
    }

    fn metrics(&self) -> &ExecutionPlanMetricsSet {
        &self.metrics
    }

    fn file_type(&self) -> &str {
        "dicom"
    }

    fn fmt_extra(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, ", on_error={}", self.on_error)
    }

    /// Multi-frame files are often larger than the size at which DataFusion
    /// splits files into byte ranges; a header cannot be read from a range.
    fn supports_repartitioning(&self) -> bool {
        false
    }

    /// Column selections are pushed into the scan (they decide how far each
    /// header is parsed); computed expressions are not.
    fn try_pushdown_projection(
        &self,
        projection: &ProjectionExprs,
    ) -> Result<Option<Arc<dyn FileSource>>> {
        let schema: &Schema = self.table_schema.table_schema();
        let plain_columns = projection.iter().all(|p| {
            p.expr
                .downcast_ref::<expressions::Column>()
                .is_some_and(|c| {
                    c.index() < schema.fields().len()
                        && schema.field(c.index()).name() == c.name()
                        && p.alias == c.name()
                })
        });
        if !plain_columns {
            return Ok(None);
        }
        let projection = match &self.projection {
            Some(existing) => existing.try_merge(projection)?,
            None => projection.clone(),
        };
        Ok(Some(Arc::new(DicomSource {
            projection: Some(projection),
            ..self.clone()
        })))
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        if let Some(projection) = &self.projection {
            for expression in projection.iter() {
                if f(&expression.expr)? == TreeNodeRecursion::Stop {
                    return Ok(TreeNodeRecursion::Stop);
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    }
}

/// Reads one file into a one-row batch (none when the file is skipped).
struct DicomOpener {
    reader: Arc<FileReader>,
    columns: Vec<Column>,
    schema: SchemaRef,
    on_error: OnError,
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
            let scanned = reader.read(dicom_file(&file)).await;
            let rows: Vec<_> = apply_on_error(scanned, on_error)?.into_iter().collect();
            let batch = build_batch(&schema, &columns, &rows)?;
            Ok(futures::stream::once(async move { Ok(batch) }).boxed())
        }
        .boxed())
    }
}
