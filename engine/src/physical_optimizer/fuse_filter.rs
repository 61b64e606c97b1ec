//! What the run-collapsing rules share: a filter fused into the collapse
//! above it, and expressions moved onto another plan's columns.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Result, internal_datafusion_err};
use datafusion::physical_expr::PhysicalExprRef;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::filter::FilterExec;

use crate::physical_plan::collapse_runs::RunColumn;

/// The input to collapse, and the predicate to apply while collapsing: a
/// filter right below the aggregation is fused in (no filtered copy of its
/// input is made), its projection undone by pointing the run columns at
/// the filter's input.
#[allow(clippy::type_complexity)]
pub(super) fn fuse_filter(
    input: &Arc<dyn ExecutionPlan>,
    columns: Vec<RunColumn>,
) -> Result<(
    Arc<dyn ExecutionPlan>,
    Option<PhysicalExprRef>,
    Vec<RunColumn>,
)> {
    let Some(filter) = input.downcast_ref::<FilterExec>() else {
        return Ok((Arc::clone(input), None, columns));
    };
    if filter.fetch().is_some() {
        return Ok((Arc::clone(input), None, columns));
    }
    let below = filter.input().schema();
    let projection = filter.projection().clone();
    let unproject = |expression: &PhysicalExprRef| -> Result<PhysicalExprRef> {
        let Some(projection) = &projection else {
            return Ok(Arc::clone(expression));
        };
        let moved = remap_columns(expression, &|column| {
            let index = projection[column.index()];
            Some(Column::new(below.field(index).name(), index))
        })?;
        moved.ok_or_else(|| internal_datafusion_err!("{expression} has no column below the filter"))
    };
    let columns = columns
        .iter()
        .map(|column| {
            Ok(match column {
                RunColumn::Key(e) => RunColumn::Key(unproject(e)?),
                RunColumn::Rows => RunColumn::Rows,
                RunColumn::Count(e) => RunColumn::Count(unproject(e)?),
                RunColumn::Sum(e) => RunColumn::Sum(unproject(e)?),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((
        Arc::clone(filter.input()),
        Some(Arc::clone(filter.predicate())),
        columns,
    ))
}

/// `expression` with every column replaced by `to(column)`; `None` when
/// `to` has no place for one of them.
pub(super) fn remap_columns(
    expression: &PhysicalExprRef,
    to: &dyn Fn(&Column) -> Option<Column>,
) -> Result<Option<PhysicalExprRef>> {
    let mut unplaced = false;
    let rewritten = Arc::clone(expression)
        .transform(|e| {
            Ok(match e.downcast_ref::<Column>().map(to) {
                Some(Some(moved)) => Transformed::yes(Arc::new(moved) as PhysicalExprRef),
                Some(None) => {
                    unplaced = true;
                    Transformed::no(e)
                }
                None => Transformed::no(e),
            })
        })?
        .data;
    Ok((!unplaced).then_some(rewritten))
}
