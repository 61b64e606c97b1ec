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
use datafusion::common::{Result, internal_err};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use dicom_core::Tag;
use futures::{StreamExt, TryStreamExt};

use crate::dicom::batch::build_batch;
use crate::dicom::columns::{Column, schema_of};
use crate::dicom::reader::{
    DicomFile, FileReader, OnError, apply_on_error, header_stop_tag, needs_header,
};

/// Files read at once per partition; hides object-store latency.
pub(crate) const IO_CONCURRENCY: usize = 16;

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
