//! Run-collapsing on a hash join's probe side.
//!
//! Cohort SQL joins the imaging index to clinical tables on the patient:
//! `instances JOIN patient_link ON patient_id = PatientID`, 10 million
//! instance rows probing a table of 100,000 patients, when a series'
//! hundreds of instances carry the same PatientID (and StudyDate, Modality,
//! ...) one after the other. Every row of such a run finds the same
//! matches. Where the query asks only *whether* or *which* rows match, never
//! *how many times*, one row per run gives the same answer:
//!
//! - a left semi, anti or mark join (DataFusion's `HashJoinExec` builds on
//!   the left input and probes with the right) outputs build rows that have,
//!   or lack, a match: duplicate probe rows never show;
//! - any join whose output reaches only duplicate-insensitive consumers: an
//!   aggregation whose functions are all `min`, `max` or `DISTINCT` (a
//!   `SELECT DISTINCT`, a `count(DISTINCT person_id)`), through filters,
//!   projections, repartitions, unions, sorts without a limit and other
//!   joins. Relational joins commute with duplicate elimination, so the set
//!   of distinct rows such a consumer sees is unchanged.
//!
//! The [`CollapseProbeRuns`] rule puts a [`CollapseRunsExec`] keyed by every
//! probe column above the probe input (below a repartition): it drops each
//! row equal to the row before it and keeps the input's schema, order and
//! partitioning. On short runs it passes rows through after a few batches,
//! as under an aggregation.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{JoinType, Result};
use datafusion::physical_expr::PhysicalExprRef;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr_common::physical_expr::is_volatile;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::joins::HashJoinExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::union::UnionExec;
use datafusion::physical_plan::{
    ExecutionPlan, ExecutionPlanProperties, replace_children_if_necessary,
};

use super::fuse_filter::fuse_filter;
use crate::options::physical_rules_enabled;
use crate::physical_plan::collapse_runs::{CollapseRunsExec, RunColumn};

/// The physical optimizer rule; see the module documentation.
#[derive(Debug, Default)]
pub struct CollapseProbeRuns;

impl PhysicalOptimizerRule for CollapseProbeRuns {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if !physical_rules_enabled(config) {
            return Ok(plan);
        }
        rewrite(&plan, false)
    }

    fn name(&self) -> &str {
        "collapse_probe_runs"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `plan` with probe-side run-collapsing below it; `set_semantics` when
/// every consumer of `plan`'s rows ignores duplicates.
fn rewrite(plan: &Arc<dyn ExecutionPlan>, set_semantics: bool) -> Result<Arc<dyn ExecutionPlan>> {
    let children = plan.children();
    if children.is_empty() {
        return Ok(Arc::clone(plan));
    }
    let rewritten: Vec<Arc<dyn ExecutionPlan>> = match plan.downcast_ref::<HashJoinExec>() {
        Some(join) => {
            // A limit on the join keeps its first rows: fewer duplicates
            // would let other rows in.
            let probe_duplicates_ignored = join.fetch().is_none()
                && (set_semantics
                    || matches!(
                        join.join_type(),
                        JoinType::LeftSemi | JoinType::LeftAnti | JoinType::LeftMark
                    ));
            let build = rewrite(join.left(), set_semantics && join.fetch().is_none())?;
            let probe = rewrite(join.right(), probe_duplicates_ignored)?;
            let probe = if probe_duplicates_ignored {
                collapse_above(&probe)?
            } else {
                probe
            };
            vec![build, probe]
        }
        None => {
            let passes = set_semantics_below(plan, set_semantics);
            children
                .into_iter()
                .map(|child| rewrite(child, passes))
                .collect::<Result<_>>()?
        }
    };
    replace_children_if_necessary(Arc::clone(plan), rewritten)
}

/// Whether the inputs of `plan` (not a hash join) may lose duplicate rows
/// without changing what `plan`'s consumers see.
fn set_semantics_below(plan: &Arc<dyn ExecutionPlan>, set_semantics: bool) -> bool {
    if let Some(aggregate) = plan.downcast_ref::<AggregateExec>() {
        // A group's min, max and distinct values do not depend on how often
        // a row occurs; any other aggregate counts rows.
        return aggregate.aggr_expr().iter().all(|function| {
            function.order_bys().is_empty()
                && (function.is_distinct() || matches!(function.fun().name(), "min" | "max"))
        });
    }
    let keeps_rows = plan.is::<ProjectionExec>()
        || plan.is::<FilterExec>()
        || plan.is::<RepartitionExec>()
        || plan.is::<CoalescePartitionsExec>()
        || plan.is::<UnionExec>()
        || plan
            .downcast_ref::<SortExec>()
            .is_some_and(|sort| sort.fetch().is_none())
        || plan
            .downcast_ref::<SortPreservingMergeExec>()
            .is_some_and(|merge| merge.fetch().is_none())
        || plan
            .downcast_ref::<CollapseRunsExec>()
            .is_some_and(CollapseRunsExec::keys_only);
    // A volatile expression (`random()`) gives each copy of a row its own
    // value: the copies are no longer duplicates.
    set_semantics && keeps_rows && !has_volatile_expression(plan)
}

fn has_volatile_expression(plan: &Arc<dyn ExecutionPlan>) -> bool {
    let mut volatile = false;
    let _ = plan.apply_expressions(&mut |expression| {
        volatile |= is_volatile(expression);
        Ok(if volatile {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    });
    volatile
}

/// `probe` with consecutive duplicate rows dropped: below the repartitions
/// on top of it (fewer rows to move), over every column it produces.
fn collapse_above(probe: &Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    if probe.is::<CollapseRunsExec>() {
        return Ok(Arc::clone(probe));
    }
    if let Some(repartition) = probe.downcast_ref::<RepartitionExec>() {
        let below = collapse_above(repartition.input())?;
        return replace_children_if_necessary(Arc::clone(probe), vec![below]);
    }
    let schema = probe.schema();
    let columns = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, field)| RunColumn::Key(Arc::new(Column::new(field.name(), i)) as PhysicalExprRef))
        .collect();
    let names = schema.fields().iter().map(|f| f.name().clone()).collect();
    // A filter below is fused in (no filtered copy of its input is made),
    // unless its rows are ordered: the fused operator's output columns are
    // new to the planner, and an ordering above may depend on them.
    let (input, predicate, columns) = if probe.output_ordering().is_none() {
        fuse_filter(probe, columns)?
    } else {
        (Arc::clone(probe), None, columns)
    };
    Ok(Arc::new(CollapseRunsExec::try_new(
        input, predicate, columns, names,
    )?))
}
