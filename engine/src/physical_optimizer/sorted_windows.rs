//! The [`SortedWindows`] rule replaces a `BoundedWindowAggExec` over
//! sorted input (its `Sorted` mode) whose functions are all `row_number()`,
//! or `lag` / `lead` with a literal offset, no default and no `IGNORE NULLS`,
//! with a [`SortedWindowExec`] (see its module for why).
//! Everything else keeps DataFusion's operator.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::windows::BoundedWindowAggExec;

use super::{Walk, rewrite_nodes};
use crate::physical_plan::sorted_window::SortedWindowExec;

/// The physical optimizer rule; see the module documentation.
#[derive(Debug, Default)]
pub struct SortedWindows;

impl PhysicalOptimizerRule for SortedWindows {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        rewrite_nodes(plan, config, Walk::BottomUp, |node| {
            Ok(node
                .downcast_ref::<BoundedWindowAggExec>()
                .and_then(SortedWindowExec::replacing)
                .map(|exec| Arc::new(exec) as Arc<dyn ExecutionPlan>))
        })
    }

    fn name(&self) -> &str {
        "sorted_windows"
    }

    fn schema_check(&self) -> bool {
        true
    }
}
