//! [`DicomSource`]: the `FileSource` of the `dicom` format, which a
//! `FileScanConfig` carries (a `DataSourceExec` built on it reads one file
//! per batch through DataFusion's `FileStream`).

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::datatypes::Schema;
use datafusion::common::Result;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::physical_plan::{FileOpener, FileScanConfig, FileSource};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::object_store::ObjectStore;
use datafusion::physical_expr::projection::ProjectionExprs;
use datafusion::physical_expr::{PhysicalExpr, expressions};
use datafusion::physical_plan::DisplayFormatType;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;

use crate::dicom::columns::{Column, schema_of, table_columns};
use crate::dicom::opener::DicomOpener;
use crate::dicom::reader::{FileReader, OnError};
use rwid_dicom::CustomAttribute;

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
    pub(crate) fn output_columns(&self) -> Vec<Column> {
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
