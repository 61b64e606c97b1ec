//! The [`WindowTopK`] rule: under a filter `rn <= K` (or `rn < K`,
//! `rn = K`) on a `row_number()` column, a [`PartitionTopKExec`] below the
//! window's sort (and below a repartition) keeps each partition's first K
//! rows (see its module for why). Only a window operator whose functions
//! are all that same `row_number()` is taken: any other function would see
//! the missing rows.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{BinaryExpr, Column, Literal};
use datafusion::physical_expr::utils::split_conjunction;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::windows::{BoundedWindowAggExec, WindowAggExec};
use datafusion::physical_plan::{ExecutionPlan, WindowExpr, replace_children_if_necessary};

use super::{Walk, rewrite_nodes};
use crate::physical_plan::partition_top_k::PartitionTopKExec;
use crate::physical_plan::sorted_window::window_udf;

/// Filters asking for more rows per partition than this keep DataFusion's
/// plan: the candidates would no longer be few.
const LARGEST_K: u64 = 1000;

/// The physical optimizer rule; see the module documentation.
#[derive(Debug, Default)]
pub struct WindowTopK;

impl PhysicalOptimizerRule for WindowTopK {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        rewrite_nodes(plan, config, Walk::TopDown, top_k_below)
    }

    fn name(&self) -> &str {
        "window_top_k"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `node` with a [`PartitionTopKExec`] below the window it filters, when it
/// is a filter on a `row_number()` column with a bound K.
fn top_k_below(node: &Arc<dyn ExecutionPlan>) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let Some(filter) = node.downcast_ref::<FilterExec>() else {
        return Ok(None);
    };
    for conjunct in split_conjunction(filter.predicate()) {
        let Some((column, k)) = row_number_bound(conjunct) else {
            continue;
        };
        if let Some(child) = with_top_k(filter.input(), column, k)? {
            return Ok(Some(replace_children_if_necessary(
                Arc::clone(node),
                vec![child],
            )?));
        }
    }
    Ok(None)
}

/// The column and the largest row number that `rn <= K`, `rn < K + 1`,
/// `rn = K` (either side) lets through.
fn row_number_bound(conjunct: &Arc<dyn PhysicalExpr>) -> Option<(usize, u64)> {
    let binary = conjunct.downcast_ref::<BinaryExpr>()?;
    let literal = |e: &Arc<dyn PhysicalExpr>| -> Option<u64> {
        match e.downcast_ref::<Literal>()?.value() {
            ScalarValue::UInt64(Some(v)) => Some(*v),
            ScalarValue::Int64(Some(v)) => u64::try_from(*v).ok(),
            _ => None,
        }
    };
    let column = |e: &Arc<dyn PhysicalExpr>| e.downcast_ref::<Column>().map(Column::index);
    // As `rn <op> value`: `3 >= rn` is `rn <= 3`.
    let (index, op, value) = match (column(binary.left()), column(binary.right())) {
        (Some(index), None) => (index, *binary.op(), literal(binary.right())?),
        (None, Some(index)) => (index, binary.op().swap()?, literal(binary.left())?),
        _ => return None,
    };
    let bound = match op {
        Operator::LtEq | Operator::Eq => value,
        Operator::Lt => value.checked_sub(1)?,
        _ => return None,
    };
    (1..=LARGEST_K).contains(&bound).then_some((index, bound))
}

/// `plan` (above the window) rebuilt with a [`PartitionTopKExec`] keeping
/// the K first rows per partition of the `row_number()` at output column
/// `column`; None when that column is not one.
fn with_top_k(
    plan: &Arc<dyn ExecutionPlan>,
    column: usize,
    k: u64,
) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    if let Some(projection) = plan.downcast_ref::<ProjectionExec>() {
        let Some(source) = projection
            .expr()
            .get(column)
            .and_then(|e| e.expr.downcast_ref::<Column>())
        else {
            return Ok(None);
        };
        return match with_top_k(projection.input(), source.index(), k)? {
            Some(child) => Ok(Some(replace_children_if_necessary(
                Arc::clone(plan),
                vec![child],
            )?)),
            None => Ok(None),
        };
    }
    let window_expressions: &[Arc<dyn WindowExpr>] =
        if let Some(window) = plan.downcast_ref::<BoundedWindowAggExec>() {
            window.window_expr()
        } else if let Some(window) = plan.downcast_ref::<WindowAggExec>() {
            window.window_expr()
        } else {
            return Ok(None);
        };
    let window_input = &plan.children()[0];
    let Some(function) = column
        .checked_sub(window_input.schema().fields().len())
        .and_then(|j| window_expressions.get(j))
    else {
        return Ok(None);
    };
    // Without partition or order keys there is nothing to rank by. Every
    // function of the operator sees only the kept rows: all must be this
    // same row_number.
    let same_row_number = |w: &Arc<dyn WindowExpr>| {
        is_row_number(w)
            && w.partition_by() == function.partition_by()
            && w.order_by() == function.order_by()
    };
    if function.partition_by().is_empty()
        || function.order_by().is_empty()
        || !window_expressions.iter().all(same_row_number)
    {
        return Ok(None);
    }
    let top_k = |input: &Arc<dyn ExecutionPlan>| -> Arc<dyn ExecutionPlan> {
        Arc::new(PartitionTopKExec::new(
            Arc::clone(input),
            function.partition_by().to_vec(),
            function.order_by().to_vec(),
            k as usize,
        ))
    };
    let child = match window_input.downcast_ref::<SortExec>() {
        Some(sort) if sort.fetch().is_none() => replace_children_if_necessary(
            Arc::clone(window_input),
            vec![below_repartitions(sort.input(), &top_k)?],
        )?,
        // Already sorted: the top-K keeps the input's order.
        _ => top_k(window_input),
    };
    Ok(Some(replace_children_if_necessary(
        Arc::clone(plan),
        vec![child],
    )?))
}

/// Builds an operator over the plan it is given.
type PlanAbove<'a> = &'a dyn Fn(&Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan>;

/// `make(plan)`, placed below the repartitions on top of `plan` (fewer rows
/// to move).
fn below_repartitions(
    plan: &Arc<dyn ExecutionPlan>,
    make: PlanAbove,
) -> Result<Arc<dyn ExecutionPlan>> {
    match plan.downcast_ref::<RepartitionExec>() {
        Some(repartition) if !repartition.preserve_order() => replace_children_if_necessary(
            Arc::clone(plan),
            vec![below_repartitions(repartition.input(), make)?],
        ),
        _ => Ok(make(plan)),
    }
}

fn is_row_number(function: &Arc<dyn WindowExpr>) -> bool {
    window_udf(function)
        .is_some_and(|udf| udf.fun().name() == "row_number" && udf.args().is_empty())
}
