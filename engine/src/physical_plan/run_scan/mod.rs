//! Parquet scans read as runs of dictionary keys.
//!
//! `rwid ingest` writes an imaging index the way DICOM archives hold it: a
//! series' instances one after the other, a study's series together, a
//! patient's studies together. Parquet stores such a column as a
//! dictionary and runs of dictionary keys (a series' 300 instances with one
//! SeriesInstanceUID are one run: a few bytes), but a reader that returns
//! Arrow arrays expands every run back into a value per row, and 28 % of a
//! cohort query over 10 million instances went into turning keys into
//! 16-byte string views, before [`CollapseRunsExec`] collapsed the rows
//! back into runs.
//!
//! Where a [`CollapseRunsExec`] that only drops repeated rows (every output
//! column a key: under `SELECT DISTINCT`, `count(DISTINCT ...)` and
//! duplicate-insensitive joins) reads a Parquet scan, directly or through
//! repartitions, the
//! [`ScanRuns`] rule replaces the scan with a [`RunScanExec`]. It reads
//! each row group's column chunks as their dictionaries and the runs of
//! their keys (`hybrid.rs`, `column_chunk.rs`), and emits one row per
//! segment, a stretch of rows in which no column changes (`row_group.rs`):
//! the rows of the scan with consecutive duplicates dropped, which is all
//! the collapse above would have kept. Its fused filter then tests one row
//! per segment instead of one per instance.
//!
//! Row groups are chosen as DataFusion's Parquet opener chooses them (byte
//! ranges, rwid's row group split, statistics pruning with the joins'
//! dynamic filters). A row group with a column chunk that is not
//! dictionary-encoded throughout (a dictionary that overflowed into PLAIN
//! pages), and any file whose columns are not flat text, Int32, Date32 or
//! Int64 columns, is read by DataFusion's own scan. So is the rest of a
//! partition once the columns' runs promise fewer than four rows per
//! segment, which then cost more than rows; the session remembers such
//! files (`short_runs.rs`), and later scans of only those keep DataFusion's
//! scan.
//!
//! [`CollapseRunsExec`]: crate::physical_plan::collapse_runs::CollapseRunsExec
//! [`ScanRuns`]: crate::physical_optimizer::scan_runs::ScanRuns

mod column_chunk;
mod hybrid;
mod row_group;
mod short_runs;

pub(crate) use short_runs::ShortRunFiles;

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Result, exec_datafusion_err};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::metadata::DFParquetMetadata;
use datafusion::datasource::physical_plan::parquet::{
    ParquetAccessPlan, ParquetFileMetrics, RowGroupAccess, RowGroupAccessPlanFilter,
    apply_file_schema_type_coercions,
};
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfig, FileSource, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::cache::cache_manager::FileMetadataCache;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::object_store::ObjectStore;
use datafusion::parquet::arrow::arrow_reader::RowSelection;
use datafusion::parquet::arrow::{parquet_column, parquet_to_arrow_schema};
use datafusion::parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, RowGroupMetaData};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::simplifier::PhysicalExprSimplifier;
use datafusion::physical_expr_adapter::{
    DefaultPhysicalExprAdapterFactory, PhysicalExprAdapterFactory,
};
use datafusion::physical_optimizer::pruning::PruningPredicateBuilder;
use datafusion::physical_plan::metrics::{
    BaselineMetrics, Count, ExecutionPlanMetricsSet, MetricBuilder, MetricsSet,
};
use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties,
    ReplaceChildrenOptions, apply_expression_roots,
};
use futures::StreamExt;
use tokio::sync::mpsc::Sender;

use crate::footers::cached_metadata;
use column_chunk::{
    ChunkBytes, ChunkRunReader, ColumnRuns, Unread, ValueKind, all_pages_dictionary_encoded,
};
use row_group::{read_row_group, segment_batches, segment_keys};

/// A Parquet scan of plain columns (text, Int32, Date32, Int64) that may
/// leave out any row equal in every column to the row before it, for a
/// consumer that ignores such duplicates (see the module documentation).
///
/// Each row group whose column chunks are all dictionary-encoded is read as
/// runs of dictionary keys and becomes one row per segment; any other row
/// group (or file) is read by DataFusion's own scan, which also reports
/// anything wrong with the file.
#[derive(Debug)]
pub struct RunScanExec {
    /// The scan this replaces: its schema and properties are this node's.
    scan: Arc<dyn ExecutionPlan>,
    /// What the partitions' readers share.
    parts: Arc<ScanParts>,
}

/// What a [`RunScanExec`]'s partitions read and how.
#[derive(Debug)]
struct ScanParts {
    schema: SchemaRef,
    /// The replaced scan's configuration, which also reads what cannot be
    /// read as runs.
    config: FileScanConfig,
    /// The output columns: file column name and kind.
    columns: Vec<(String, ValueKind)>,
    /// The scan's predicate (with the joins' dynamic filters), for row
    /// group pruning by statistics.
    predicate: Option<Arc<dyn PhysicalExpr>>,
    /// Whether the session prunes row groups by statistics.
    prune_by_statistics: bool,
    /// The longest `IN` list turned into a pruning predicate.
    max_in_list_size: usize,
    /// The session's files whose runs were found too short to pay.
    short_runs: Arc<ShortRunFiles>,
    metrics: ExecutionPlanMetricsSet,
}

impl RunScanExec {
    /// `scan` read as runs, when it is a Parquet scan that returns every row
    /// of its files (no row filter, no limit) as plain file columns of the
    /// kinds above, without partition columns.
    pub(crate) fn try_new(
        scan: &Arc<dyn ExecutionPlan>,
        short_runs: Arc<ShortRunFiles>,
    ) -> Option<Self> {
        let data_source = scan.downcast_ref::<DataSourceExec>()?;
        let (config, source) = data_source.downcast_to_file_source::<ParquetSource>()?;
        let options = &source.table_parquet_options().global;
        if config.limit.is_some()
            || options.pushdown_filters
            || !config.table_partition_cols().is_empty()
            || config.expr_adapter_factory.is_some()
        {
            return None;
        }
        let file_schema = config.file_schema();
        let schema = scan.schema();
        let names: Vec<String> = match source.projection() {
            Some(projection) => projection
                .iter()
                .map(|projected| {
                    let column = projected.expr.downcast_ref::<Column>()?;
                    let name = file_schema.fields().get(column.index())?.name();
                    (name == column.name()).then(|| name.clone())
                })
                .collect::<Option<_>>()?,
            None => file_schema
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect(),
        };
        if names.is_empty() || names.len() != schema.fields().len() {
            return None;
        }
        let columns = names
            .into_iter()
            .zip(schema.fields())
            .map(|(name, field)| Some((name, ValueKind::of(field.data_type())?)))
            .collect::<Option<_>>()?;
        Some(Self {
            scan: Arc::clone(scan),
            parts: Arc::new(ScanParts {
                schema,
                config: config.clone(),
                columns,
                predicate: source.filter(),
                prune_by_statistics: options.pruning,
                max_in_list_size: source.max_in_list_size(),
                short_runs,
                metrics: ExecutionPlanMetricsSet::new(),
            }),
        })
    }
}

impl RunScanExec {
    /// Whether any row group of the scan may be read as runs, by the
    /// footers in `cache` and the files found with short runs: `false` only
    /// when every file's runs were found too short, or its footer is cached
    /// and has no row group whose columns are all dictionary-encoded
    /// throughout (a dictionary that overflowed into PLAIN pages, as IDC's
    /// million PatientIDs do).
    pub fn may_read_runs(&self, cache: &FileMetadataCache) -> bool {
        let parts = &self.parts;
        let names = parts.column_names();
        parts
            .config
            .file_groups
            .iter()
            .flat_map(FileGroup::iter)
            .any(|file| {
                !parts.short_runs.contains(file, &names)
                    && cached_metadata(cache, file).is_none_or(|metadata| {
                        PhysicalFile::new(&metadata, &parts.config)
                            .and_then(|physical| physical.leaf_columns(&parts.columns))
                            .is_some_and(|leaves| has_dictionary_row_group(&metadata, &leaves))
                    })
            })
    }
}

impl DisplayAs for RunScanExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let names: Vec<&str> = self
            .parts
            .columns
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        write!(
            f,
            "RunScanExec: runs of identical rows once, dictionary-encoded row groups read as runs, [{}], of ",
            names.join(", ")
        )?;
        self.scan.fmt_as(t, f)
    }
}

impl ExecutionPlan for RunScanExec {
    fn name(&self) -> &str {
        "RunScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.scan.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        apply_expression_roots(self.parts.predicate.iter(), f)
    }

    fn replace_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let files = self
            .parts
            .config
            .file_groups
            .get(partition)
            .ok_or_else(|| exec_datafusion_err!("RunScanExec has no partition {partition}"))?
            .files()
            .to_vec();
        let store = context
            .runtime_env()
            .object_store(&self.parts.config.object_store_url)?;
        let reader = PartitionReader {
            scan: Arc::clone(&self.parts),
            partition,
            store,
            context,
            baseline: BaselineMetrics::new(&self.parts.metrics, partition),
            runs_read: MetricBuilder::new(&self.parts.metrics)
                .counter("row_groups_read_as_runs", partition),
            rows_read: MetricBuilder::new(&self.parts.metrics)
                .counter("files_read_by_rows", partition),
        };
        let mut builder = RecordBatchReceiverStreamBuilder::new(self.schema(), 2);
        let sender = builder.tx();
        builder.spawn(async move { reader.read(files, sender).await });
        Ok(builder.build())
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.parts.metrics.clone_inner())
    }
}

impl ScanParts {
    fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|(name, _)| name.clone()).collect()
    }
}

/// Reads one partition's files in order, sending batches to the stream.
struct PartitionReader {
    scan: Arc<ScanParts>,
    partition: usize,
    /// Where the files are.
    store: Arc<dyn ObjectStore>,
    context: Arc<TaskContext>,
    baseline: BaselineMetrics,
    runs_read: Count,
    rows_read: Count,
}

type BatchSender = Sender<Result<RecordBatch>>;

/// How far a file was read.
enum FileRead {
    Done,
    /// The consumer is gone (a limit reached, the query cancelled).
    ConsumerGone,
    /// A column's runs were too short to pay: this file from the row group
    /// where that showed (restricted by an access plan), to be read by rows
    /// with the partition's remaining files.
    ByRowsFrom(Box<PartitionedFile>),
}

impl PartitionReader {
    async fn read(self, files: Vec<PartitionedFile>, sender: BatchSender) -> Result<()> {
        let mut files = files.into_iter();
        while let Some(file) = files.next() {
            match self.read_file(&file, &sender).await? {
                FileRead::Done => {}
                FileRead::ConsumerGone => break,
                FileRead::ByRowsFrom(rest) => {
                    let rest = std::iter::once(*rest).chain(files).collect();
                    self.read_by_rows(rest, &sender).await?;
                    break;
                }
            }
        }
        Ok(())
    }

    async fn read_file(&self, file: &PartitionedFile, sender: &BatchSender) -> Result<FileRead> {
        let scan = &self.scan;
        let cache = self
            .context
            .runtime_env()
            .cache_manager
            .get_file_metadata_cache();
        let metadata = DFParquetMetadata::new(self.store.as_ref(), &file.object_meta)
            .with_file_metadata_cache(Some(cache))
            .with_page_index_policy(Some(PageIndexPolicy::Skip))
            .with_metadata_size_hint(file.metadata_size_hint)
            .fetch_metadata()
            .await?;
        // A file to be read with a schema of its own is DataFusion's to read.
        let physical = match file.arrow_schema {
            None => PhysicalFile::new(&metadata, &scan.config),
            Some(_) => None,
        };
        let Some(physical) = physical else {
            return self.read_by_rows(vec![file.clone()], sender).await;
        };
        let (Some(leaves), Some(plan)) = (
            physical.leaf_columns(&scan.columns),
            self.access_plan(file, &physical)?,
        ) else {
            return self.read_by_rows(vec![file.clone()], sender).await;
        };
        // `file` restricted to the row groups `access` gives.
        let restricted = |access: ParquetAccessPlan| {
            let mut piece = file.clone();
            // The access plan names the row groups; a byte range would
            // prune them again.
            piece.range = None;
            piece.extensions.insert(access);
            piece
        };
        for (index, access) in plan.inner().iter().enumerate() {
            let row_group = metadata.row_group(index);
            let Ok(rows) = u64::try_from(row_group.num_rows()) else {
                continue;
            };
            let selected: Vec<Range<u64>> = match access {
                RowGroupAccess::Skip => continue,
                RowGroupAccess::Scan => std::iter::once(0..rows).collect(),
                RowGroupAccess::Selection(selection) => selected_ranges(selection),
            };
            match self
                .read_runs(file, row_group, &leaves, rows, &selected)
                .await?
            {
                Ok(columns) => {
                    self.runs_read.add(1);
                    let timer = self.baseline.elapsed_compute().timer();
                    let keys = segment_keys(&columns, &selected);
                    // The scan's batch size, else the session's, as
                    // DataFusion's scan decides.
                    let batch_size = scan
                        .config
                        .batch_size
                        .unwrap_or_else(|| self.context.session_config().batch_size());
                    let batches = segment_batches(&columns, &keys, &scan.schema, batch_size)?;
                    timer.done();
                    for batch in batches {
                        self.baseline.record_output(batch.num_rows());
                        if sender.send(Ok(batch)).await.is_err() {
                            return Ok(FileRead::ConsumerGone);
                        }
                    }
                }
                Err(Unread::Unsupported) => {
                    let mut only = ParquetAccessPlan::new_none(plan.len());
                    only.set(index, access.clone());
                    if let FileRead::ConsumerGone =
                        self.read_by_rows(vec![restricted(only)], sender).await?
                    {
                        return Ok(FileRead::ConsumerGone);
                    }
                }
                Err(Unread::ShortRuns) => {
                    scan.short_runs.record(file, &scan.column_names());
                    let mut rest = plan.clone();
                    (0..index).for_each(|before| rest.skip(before));
                    return Ok(FileRead::ByRowsFrom(Box::new(restricted(rest))));
                }
            }
        }
        Ok(FileRead::Done)
    }

    /// The row groups to read and how, as DataFusion's Parquet opener
    /// decides: an access plan the file carries (rwid's row group split),
    /// its byte range, and the predicate, rewritten against the file's own
    /// columns, against row group statistics. `None` for a file carrying
    /// anything else.
    fn access_plan(
        &self,
        file: &PartitionedFile,
        physical: &PhysicalFile,
    ) -> Result<Option<ParquetAccessPlan>> {
        let metadata = &physical.metadata;
        let row_groups = metadata.row_groups();
        let initial = match (
            file.extensions.len(),
            file.extensions.get::<ParquetAccessPlan>(),
        ) {
            (0, _) => ParquetAccessPlan::new_all(row_groups.len()),
            (1, Some(plan)) if plan.len() == row_groups.len() => plan.clone(),
            _ => return Ok(None),
        };
        let mut access = RowGroupAccessPlanFilter::new(initial);
        if let Some(range) = &file.range {
            access.prune_by_range(row_groups, range);
        }
        if let Some(predicate) = &self.scan.predicate
            && self.scan.prune_by_statistics
        {
            let predicate = physical.adapt(Arc::clone(predicate), &self.scan.config)?;
            let pruning = PruningPredicateBuilder::new()
                .with_file_schema(Arc::clone(&physical.schema))
                .with_error_counter(&Count::new())
                .with_max_in_list_size(self.scan.max_in_list_size)
                .build(predicate);
            if let Some(pruning) = pruning {
                let file_name = file.object_meta.location.as_ref();
                let file_metrics =
                    ParquetFileMetrics::new(self.partition, file_name, &self.scan.metrics);
                access.prune_by_statistics(
                    &physical.schema,
                    metadata.file_metadata().schema_descr(),
                    row_groups,
                    &pruning,
                    &file_metrics,
                );
            }
        }
        Ok(Some(access.build()))
    }

    /// The row group's columns as runs over its `rows` rows (reading only
    /// pages with a row in `selected`), or why not.
    async fn read_runs(
        &self,
        file: &PartitionedFile,
        row_group: &RowGroupMetaData,
        leaves: &[usize],
        rows: u64,
        selected: &[Range<u64>],
    ) -> Result<std::result::Result<Vec<ColumnRuns>, Unread>> {
        let chunks: Vec<_> = leaves.iter().map(|&leaf| row_group.column(leaf)).collect();
        if !chunks
            .iter()
            .all(|chunk| all_pages_dictionary_encoded(chunk))
        {
            return Ok(Err(Unread::Unsupported));
        }
        let ranges: Vec<Range<u64>> = chunks
            .iter()
            .map(|chunk| {
                let (start, length) = chunk.byte_range();
                start..start + length
            })
            .collect();
        let data = self
            .store
            .get_ranges(&file.object_meta.location, &ranges)
            .await?;
        let _timer = self.baseline.elapsed_compute().timer();
        let mut readers = Vec::with_capacity(chunks.len());
        for (((chunk, data), range), (_, kind)) in
            chunks.iter().zip(data).zip(&ranges).zip(&self.scan.columns)
        {
            let bytes = Arc::new(ChunkBytes {
                start: range.start,
                data,
            });
            let nullable = chunk.column_descr().max_def_level() == 1;
            match ChunkRunReader::new(bytes, chunk, rows, *kind, nullable) {
                Ok(reader) => readers.push(reader),
                Err(unread) => return Ok(Err(unread)),
            }
        }
        Ok(read_row_group(readers, selected))
    }

    /// `files` read by DataFusion's own scan, as one file group (each
    /// restricted as it says).
    async fn read_by_rows(
        &self,
        files: Vec<PartitionedFile>,
        sender: &BatchSender,
    ) -> Result<FileRead> {
        self.rows_read.add(files.len());
        let mut config = self.scan.config.clone();
        config.file_groups = vec![FileGroup::new(files)];
        let mut batches =
            DataSourceExec::from_data_source(config).execute(0, Arc::clone(&self.context))?;
        while let Some(batch) = batches.next().await {
            let batch = batch?;
            self.baseline.record_output(batch.num_rows());
            if sender.send(Ok(batch)).await.is_err() {
                return Ok(FileRead::ConsumerGone);
            }
        }
        Ok(FileRead::Done)
    }
}

/// A file as DataFusion's Parquet opener sees it: its footer and its own
/// Arrow schema, which may order, type and name its columns otherwise than
/// the table does (a table written at several times: columns added,
/// reordered, widened). Every column of the scan is found in it by name,
/// and every expression over the table's columns is rewritten against it
/// by DataFusion's schema adapter, as the opener does.
struct PhysicalFile {
    metadata: Arc<ParquetMetaData>,
    /// The file's Arrow schema, with the table's string and binary types
    /// applied (Utf8View for Utf8), as the opener applies them.
    schema: SchemaRef,
}

impl PhysicalFile {
    /// The file with footer `metadata` in a scan configured by `config`;
    /// `None` when its Parquet schema has no Arrow equivalent (DataFusion's
    /// reader then says why).
    fn new(metadata: &Arc<ParquetMetaData>, config: &FileScanConfig) -> Option<Self> {
        let footer = metadata.file_metadata();
        let own =
            parquet_to_arrow_schema(footer.schema_descr(), footer.key_value_metadata()).ok()?;
        let schema = apply_file_schema_type_coercions(config.file_schema(), &own).unwrap_or(own);
        Some(Self {
            metadata: Arc::clone(metadata),
            schema: Arc::new(schema),
        })
    }

    /// `expression` over the table's columns rewritten against this file's:
    /// columns found by name, cast where the file's type differs, NULL where
    /// the file lacks them, then simplified (`s = NULL` is false).
    fn adapt(
        &self,
        expression: Arc<dyn PhysicalExpr>,
        config: &FileScanConfig,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        let adapter = DefaultPhysicalExprAdapterFactory
            .create(Arc::clone(config.file_schema()), Arc::clone(&self.schema))?;
        PhysicalExprSimplifier::new(&self.schema).simplify(adapter.rewrite(expression)?)
    }

    /// The leaf column of each of `columns` (name and kind), found by name,
    /// when every one is a flat column of its kind in this file (else the
    /// file is read by rows, and DataFusion's reader fills missing columns
    /// with NULLs and casts the others).
    fn leaf_columns(&self, columns: &[(String, ValueKind)]) -> Option<Vec<usize>> {
        let parquet_schema = self.metadata.file_metadata().schema_descr();
        columns
            .iter()
            .map(|(name, kind)| {
                let (leaf, field) = parquet_column(parquet_schema, &self.schema, name)?;
                let column = parquet_schema.column(leaf);
                (ValueKind::of(field.data_type()) == Some(*kind)
                    && column.physical_type() == kind.physical_type()
                    && column.max_rep_level() == 0
                    && column.max_def_level() <= 1)
                    .then_some(leaf)
            })
            .collect()
    }
}

/// Whether the columns `leaves` of some row group are all dictionary-encoded
/// throughout: what reading as runs needs.
fn has_dictionary_row_group(metadata: &ParquetMetaData, leaves: &[usize]) -> bool {
    metadata.row_groups().iter().any(|row_group| {
        leaves
            .iter()
            .all(|&leaf| all_pages_dictionary_encoded(row_group.column(leaf)))
    })
}

/// The row ranges a selection selects, in order.
fn selected_ranges(selection: &RowSelection) -> Vec<Range<u64>> {
    let mut ranges = Vec::new();
    let mut row = 0u64;
    for selector in selection.iter() {
        let end = row + selector.row_count as u64;
        if !selector.skip {
            ranges.push(row..end);
        }
        row = end;
    }
    ranges
}
