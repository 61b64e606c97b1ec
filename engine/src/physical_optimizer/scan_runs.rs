//! The `ScanRuns` rule: Parquet scans under a key-only [`CollapseRunsExec`]
//! read as runs of dictionary keys by a [`RunScanExec`] (see
//! `physical_plan/run_scan`).

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::execution::cache::cache_manager::FileMetadataCache;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{ExecutionPlan, replace_children_if_necessary};

use crate::physical_plan::run_scan::{RunScanExec, ShortRunFiles};

use super::{Walk, rewrite_nodes};
use crate::physical_plan::collapse_runs::CollapseRunsExec;

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
