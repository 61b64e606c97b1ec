//! Large Parquet row groups read by several partitions at once.
//!
//! DataFusion parallelizes a Parquet scan by handing each partition a byte
//! range of a file, and a row group goes whole to the range that holds its
//! first page. A file written as one big row group (pyarrow and pandas put
//! up to a million rows in one; IDC's 1,044,191-series index is a single
//! row group, and so is a 600,000-row OMOP table written in one go) is then
//! decoded on one core while the others wait, and a round-robin
//! repartition above it only spreads the decoded batches.
//!
//! [`SplitRowGroups`] rewrites such scans: each large row group becomes
//! pieces of consecutive rows, each read through a [`ParquetAccessPlan`]
//! that selects its rows (the Parquet reader skips the pages of the other
//! pieces without decompressing them), and the pieces are spread over the
//! scan's partitions, which also take unstarted pieces from each other
//! as they finish (DataFusion's file stream work stealing). A round-robin
//! repartition whose input scan has fewer partitions is replaced by the
//! scan itself, split into as many partitions. Every row is read by exactly
//! one piece; the scan's schema, filters and partition count stay as they
//! were, and so does everything above it.
//!
//! The row group layout comes from DataFusion's file metadata cache, which
//! planning fills when it gathers the files' statistics; a file whose
//! metadata is not cached (or was cached for another version of the file)
//! leaves its scan as DataFusion planned it. Scans that promise an order
//! or a partitioning, or carry a limit, are left alone too, and so are
//! scans of object stores (S3): a piece reads its row group's whole column
//! chunks and skips the other pieces' pages, which costs nothing from a
//! local file but would download each split row group once per piece.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::stats::Precision;
use datafusion::config::ConfigOptions;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::{
    ParquetAccessPlan, RowGroupAccess, RowGroupAccessPlanFilter,
};
use datafusion::datasource::physical_plan::{FileGroup, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::cache::cache_manager::FileMetadataCache;
use datafusion::parquet::arrow::arrow_reader::{RowSelection, RowSelector};
use datafusion::parquet::file::metadata::ParquetMetaData;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{ExecutionPlan, Partitioning};

use super::{Walk, rewrite_nodes};
use crate::footers::cached_metadata;
use crate::options::scan_piece_min_rows;

/// The physical optimizer rule; see the module documentation.
#[derive(Debug)]
pub struct SplitRowGroups {
    /// Where the scans' Parquet footers are found: the session's cache.
    metadata: Arc<FileMetadataCache>,
}

impl SplitRowGroups {
    pub fn new(metadata: Arc<FileMetadataCache>) -> Self {
        Self { metadata }
    }

    /// `scan` as `partitions` partitions reading pieces of its row groups,
    /// or `None` when it is not a Parquet scan this rule may change or none
    /// of its row groups is large enough to split.
    fn split(
        &self,
        scan: &DataSourceExec,
        partitions: usize,
        min_rows: usize,
    ) -> Option<Arc<dyn ExecutionPlan>> {
        let (config, _) = scan.downcast_to_file_source::<ParquetSource>()?;
        // Local files only (see the module documentation).
        if config.object_store_url.as_str() != "file:///" {
            return None;
        }
        if !config.output_ordering.is_empty()
            || config.output_partitioning.is_some()
            || config.preserve_order
            || config.limit.is_some()
        {
            return None;
        }
        let mut files = Vec::new();
        for file in config.file_groups.iter().flat_map(FileGroup::iter) {
            // An access plan already attached (by rwid or an application) is
            // not ours to override.
            if !file.extensions.is_empty() {
                return None;
            }
            files.push(ScannedFile::new(
                file,
                cached_metadata(self.metadata.as_ref(), file)?,
            ));
        }
        let total_rows: usize = files.iter().map(ScannedFile::rows).sum();
        let piece_rows = total_rows.div_ceil(partitions).max(min_rows);
        if files
            .iter()
            .all(|file| file.largest_row_group() <= piece_rows)
        {
            return None;
        }
        let pieces: Vec<(PartitionedFile, usize)> = files
            .iter()
            .flat_map(|file| file.pieces(piece_rows))
            .collect();
        let mut scan_config = config.clone();
        scan_config.file_groups = spread(pieces, partitions, total_rows);
        Some(DataSourceExec::from_data_source(scan_config))
    }
}

impl PhysicalOptimizerRule for SplitRowGroups {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // DataFusion's own switch for splitting file scans across partitions.
        if !config.optimizer.repartition_file_scans {
            return Ok(plan);
        }
        // No piece is smaller than this (`rwid.scan_piece_min_rows`): a
        // piece costs one more file open and dictionary decode per column.
        let min_rows = scan_piece_min_rows(config);
        rewrite_nodes(plan, config, Walk::BottomUp, |node| {
            if let Some(repartition) = node.downcast_ref::<RepartitionExec>()
                && let Partitioning::RoundRobinBatch(partitions) = repartition.partitioning()
                && !repartition.preserve_order()
                && let Some(scan) = repartition.input().downcast_ref::<DataSourceExec>()
                && scan.properties().output_partitioning().partition_count() < *partitions
            {
                // A round-robin repartition promises no order and no
                // placement of rows: the split scan gives the same.
                return Ok(self.split(scan, *partitions, min_rows));
            }
            if let Some(scan) = node.downcast_ref::<DataSourceExec>() {
                let partitions = scan.properties().output_partitioning().partition_count();
                if partitions > 1 {
                    return Ok(self.split(scan, partitions, min_rows));
                }
            }
            Ok(None)
        })
    }

    fn name(&self) -> &str {
        "split_row_groups"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// One file of a scan: the row groups it reads (those whose first page lies
/// in its byte range, as DataFusion's opener decides) and their row counts.
struct ScannedFile<'a> {
    file: &'a PartitionedFile,
    metadata: Arc<ParquetMetaData>,
    row_groups: Vec<usize>,
}

impl<'a> ScannedFile<'a> {
    fn new(file: &'a PartitionedFile, metadata: Arc<ParquetMetaData>) -> Self {
        // DataFusion's own test of which row groups a byte range reads.
        let mut row_groups =
            RowGroupAccessPlanFilter::new(ParquetAccessPlan::new_all(metadata.num_row_groups()));
        if let Some(range) = &file.range {
            row_groups.prune_by_range(metadata.row_groups(), range);
        }
        let row_groups = row_groups.row_group_indexes().collect();
        Self {
            file,
            metadata,
            row_groups,
        }
    }

    fn row_group_rows(&self, index: usize) -> usize {
        usize::try_from(self.metadata.row_group(index).num_rows()).unwrap_or(0)
    }

    fn rows(&self) -> usize {
        self.row_groups
            .iter()
            .map(|&index| self.row_group_rows(index))
            .sum()
    }

    fn largest_row_group(&self) -> usize {
        self.row_groups
            .iter()
            .map(|&index| self.row_group_rows(index))
            .max()
            .unwrap_or(0)
    }

    /// The file's row groups as pieces of at most `piece_rows` rows (a row
    /// group that small is one piece), each with its row count; a file
    /// without a larger row group stays whole, as DataFusion planned it.
    fn pieces(&self, piece_rows: usize) -> Vec<(PartitionedFile, usize)> {
        if self.largest_row_group() <= piece_rows {
            return vec![(self.file.clone(), self.rows())];
        }
        let row_group_count = self.metadata.num_row_groups();
        let mut pieces = Vec::new();
        for &index in &self.row_groups {
            let rows = self.row_group_rows(index);
            let mut start = 0;
            while start < rows {
                let end = (start + piece_rows).min(rows);
                let mut access = ParquetAccessPlan::new_none(row_group_count);
                if start == 0 && end == rows {
                    access.scan(index);
                } else {
                    let mut selectors = Vec::with_capacity(3);
                    if start > 0 {
                        selectors.push(RowSelector::skip(start));
                    }
                    selectors.push(RowSelector::select(end - start));
                    if end < rows {
                        selectors.push(RowSelector::skip(rows - end));
                    }
                    access.set(
                        index,
                        RowGroupAccess::Selection(RowSelection::from(selectors)),
                    );
                }
                pieces.push((self.piece(access, end - start), end - start));
                start = end;
            }
        }
        pieces
    }

    /// The file restricted to `access`, reading `rows` rows.
    fn piece(&self, access: ParquetAccessPlan, rows: usize) -> PartitionedFile {
        let mut piece = self.file.clone();
        // The access plan names the rows; a byte range would prune them again.
        piece.range = None;
        // The file's statistics still bound each column of a piece (inexact);
        // the row count is the piece's own.
        piece.statistics = self.file.statistics.as_ref().map(|statistics| {
            let mut statistics = statistics.as_ref().clone().to_inexact();
            statistics.num_rows = Precision::Exact(rows);
            statistics.total_byte_size = Precision::Absent;
            Arc::new(statistics)
        });
        piece.extensions.insert(access);
        piece
    }
}

/// `pieces` in order over `partitions` file groups of about equal row counts
/// (a partition that finishes early takes unstarted pieces from the others
/// at run time).
fn spread(
    pieces: Vec<(PartitionedFile, usize)>,
    partitions: usize,
    total_rows: usize,
) -> Vec<FileGroup> {
    let mut groups: Vec<Vec<PartitionedFile>> = vec![Vec::new(); partitions];
    let mut rows_before = 0;
    for (piece, rows) in pieces {
        // The partition of the piece's middle row.
        let middle = rows_before + rows / 2;
        let partition = (middle * partitions / total_rows.max(1)).min(partitions - 1);
        groups[partition].push(piece);
        rows_before += rows;
    }
    groups.into_iter().map(FileGroup::new).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_go_to_the_partition_of_their_middle_row_in_order() {
        let pieces = [100, 300, 50, 50, 500, 0]
            .into_iter()
            .enumerate()
            .map(|(index, rows)| (PartitionedFile::new(format!("piece-{index}"), 1), rows))
            .collect();
        let groups = spread(pieces, 2, 1000);
        let names: Vec<Vec<String>> = groups
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|file| file.object_meta.location.to_string())
                    .collect()
            })
            .collect();
        // Middle rows 50, 250, 425, 475 (partition 0 holds rows 0..500),
        // 750 and 1000 (the empty last piece, clamped to the last partition).
        assert_eq!(
            names,
            [
                vec!["piece-0", "piece-1", "piece-2", "piece-3"],
                vec!["piece-4", "piece-5"]
            ]
        );
    }
}
