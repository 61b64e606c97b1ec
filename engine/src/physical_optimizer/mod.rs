//! rwid's physical optimizer rules, and where they go among DataFusion's.
//!
//! Each rule rewrites the plan DataFusion's rules leave into one that
//! gives the same rows faster, with an operator of `physical_plan/`:
//!
//! - [`split_row_groups`]: large Parquet row groups read in pieces by all
//!   partitions (DataFusion's own scan, with access plans);
//! - [`collapse_runs`]: runs of equal keys collapsed before a partial
//!   aggregation, or on the probe side of the join below it
//!   ([`collapse_below_join`]);
//! - [`collapse_probe_runs`]: runs collapsed on the probe side of joins whose
//!   result ignores duplicates;
//! - [`scan_runs`]: the Parquet scans under those collapses read as runs of
//!   dictionary keys;
//! - [`window_top_k`]: the first K rows per window partition kept before
//!   the sort, under `rn <= K` filters;
//! - [`sorted_windows`]: `row_number`, `lag` and `lead` over sorted input.
//!
//! `rwid.physical_rules = false` turns them all off (see [`rewrite_nodes`]).

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::execution::cache::cache_manager::FileMetadataCache;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::hash_join_buffering::HashJoinBuffering;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
use datafusion::physical_plan::ExecutionPlan;

use crate::options::physical_rules_enabled;

pub mod collapse_below_join;
pub mod collapse_probe_runs;
pub mod collapse_runs;
mod fuse_filter;
pub mod scan_runs;
pub mod sorted_windows;
pub mod split_row_groups;
pub mod window_top_k;

/// DataFusion's physical optimizer rules with rwid's, in order.
///
/// DataFusion's `HashJoinBuffering` (which reads a hash join's probe side
/// ahead, into a `BufferExec`, while the build side is still being built)
/// moves to the very end: placed where DataFusion places it, the buffer
/// would sit between a scan's filter and the run collapse above it, and the
/// collapse rules below could no longer fuse them.
/// `metadata` is the session's Parquet footer cache, which rwid's scan
/// rules read row group layouts from.
pub(crate) fn physical_optimizer_rules(
    metadata: Arc<FileMetadataCache>,
) -> Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
    let mut rules = PhysicalOptimizer::new().rules;
    let buffering = rules
        .iter()
        .position(|rule| rule.name() == HashJoinBuffering::new().name())
        .map(|at| rules.remove(at))
        .unwrap_or_else(|| Arc::new(HashJoinBuffering::new()));
    // First, on the plan DataFusion's rules leave: scans of large row
    // groups read by all partitions, in the same plan shape.
    rules.push(Arc::new(split_row_groups::SplitRowGroups::new(Arc::clone(
        &metadata,
    ))));
    // Then rules that replace partial aggregations and window operators,
    // and drop duplicate probe rows of joins, in the plan's final shape;
    // they keep every distribution and ordering. CollapseProbeRuns comes
    // after CollapseRuns: the key-only collapses that one places tell it
    // where duplicates are ignored.
    rules.push(Arc::new(collapse_runs::CollapseRuns));
    rules.push(Arc::new(collapse_probe_runs::CollapseProbeRuns));
    // Then the scans under key-only collapses read as runs of dictionary
    // keys, once every collapse is in place.
    rules.push(Arc::new(scan_runs::ScanRuns::new(metadata)));
    rules.push(Arc::new(window_top_k::WindowTopK));
    rules.push(Arc::new(sorted_windows::SortedWindows));
    rules.push(buffering);
    rules
}

/// Which way a rule walks the plan.
pub enum Walk {
    /// Children before their parents.
    BottomUp,
    /// Parents before their children.
    TopDown,
}

/// `plan` with every node that `rewrite` returns a replacement for replaced,
/// walking `walk`; unchanged when rwid's physical rules are off in `config`.
/// The body of each rwid rule's `optimize`.
pub fn rewrite_nodes(
    plan: Arc<dyn ExecutionPlan>,
    config: &ConfigOptions,
    walk: Walk,
    rewrite: impl Fn(&Arc<dyn ExecutionPlan>) -> Result<Option<Arc<dyn ExecutionPlan>>>,
) -> Result<Arc<dyn ExecutionPlan>> {
    if !physical_rules_enabled(config) {
        return Ok(plan);
    }
    let each = |node: Arc<dyn ExecutionPlan>| {
        Ok(match rewrite(&node)? {
            Some(rewritten) => Transformed::yes(rewritten),
            None => Transformed::no(node),
        })
    };
    match walk {
        Walk::BottomUp => plan.transform_up(each),
        Walk::TopDown => plan.transform_down(each),
    }
    .map(|t| t.data)
}
