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
//! [`CollapseRunsExec`]: crate::collapse_runs::CollapseRunsExec

mod column_chunk;
mod exec;
mod hybrid;
mod row_group;
mod short_runs;

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::execution::cache::cache_manager::FileMetadataCache;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{ExecutionPlan, replace_children_if_necessary};

pub use exec::RunScanExec;
use short_runs::ShortRunFiles;

use crate::collapse_runs::CollapseRunsExec;
use crate::options::{Walk, rewrite_nodes};

/// The physical optimizer rule; see the module documentation.
#[derive(Debug)]
pub struct ScanRuns {
    /// The session's Parquet footers: a scan none of whose cached footers
    /// shows a row group that can be read as runs is left as it is.
    metadata: Arc<FileMetadataCache>,
    /// The session's files found to have runs too short to pay: so is a
    /// scan of only those.
    short_runs: Arc<ShortRunFiles>,
}

impl ScanRuns {
    pub fn new(metadata: Arc<FileMetadataCache>) -> Self {
        Self {
            metadata,
            short_runs: Arc::default(),
        }
    }
}

impl PhysicalOptimizerRule for ScanRuns {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        rewrite_nodes(plan, config, Walk::BottomUp, |node| {
            let Some(collapse) = node.downcast_ref::<CollapseRunsExec>() else {
                return Ok(None);
            };
            if !collapse.keys_only() {
                return Ok(None);
            }
            let Some(input) = read_as_runs(collapse.children()[0], self)? else {
                return Ok(None);
            };
            replace_children_if_necessary(Arc::clone(node), vec![input]).map(Some)
        })
    }

    fn name(&self) -> &str {
        "scan_runs"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `plan` with its Parquet scan read as runs, when it is one, or one under
/// repartitions (a small file's scan, spread round-robin over the
/// partitions): rows dropped before a repartition would have been dropped
/// after it, by a consumer that ignores duplicates wherever they land.
fn read_as_runs(
    plan: &Arc<dyn ExecutionPlan>,
    rule: &ScanRuns,
) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    if let Some(run_scan) = RunScanExec::try_new(plan, Arc::clone(&rule.short_runs)) {
        return Ok(run_scan
            .may_read_runs(rule.metadata.as_ref())
            .then(|| Arc::new(run_scan) as _));
    }
    let Some(repartition) = plan.downcast_ref::<RepartitionExec>() else {
        return Ok(None);
    };
    match read_as_runs(repartition.input(), rule)? {
        Some(input) => replace_children_if_necessary(Arc::clone(plan), vec![input]).map(Some),
        None => Ok(None),
    }
}
