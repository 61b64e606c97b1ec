//! Run-collapsing before partial aggregation.
//!
//! An imaging index is clustered: `rwid ingest` (like every DICOM crawler)
//! writes a series' instances one after the other, and a study's series
//! together, so `GROUP BY SeriesInstanceUID` or `SELECT DISTINCT PatientID,
//! StudyInstanceUID` meets the same key in hundreds of consecutive rows.
//! DataFusion's hash aggregation hashes and probes every one of them. The
//! [`CollapseRuns`] rule puts a [`CollapseRunsExec`] under each eligible
//! partial aggregation: consecutive rows with equal keys become one row
//! that carries their count and sums (comparing a row with the one before is
//! far cheaper than hashing it, and free when the Parquet reader repeats a
//! dictionary entry's string view), and the partial aggregation adds those
//! up instead of counting rows. The final aggregation is untouched and
//! receives exactly the partial states it would have received.
//!
//! Eligible: a `Partial` aggregation with GROUP BY keys (no grouping sets,
//! no filters, no ordered-input mode, no limit) whose aggregates are all
//! `count(*)`, `count(x)`, `sum(x)` of signed integers, `min`, `max`, or
//! any `DISTINCT` aggregate. `min`, `max` and `DISTINCT` arguments join the
//! run key (a run then holds one value of them, which is all these
//! functions can see of it); `count` becomes a sum of per-run counts and
//! `sum` a sum of per-run sums. Anything else (`avg`, `array_agg`, float
//! sums whose rounding would change) keeps DataFusion's plan. A filter
//! right below the aggregation is fused into the operator. When the
//! first batches show runs of under four rows, the operator stops comparing
//! and passes rows through.
//!
//! When the aggregation's input is an inner hash join and it counts or sums,
//! the runs are collapsed on the join's probe side instead ([`collapse_below_join`]): the
//! join then sees one row per run too and carries the counts and sums.
//! [`CollapseProbeRuns`](super::collapse_probe_runs::CollapseProbeRuns) uses the same operator on the probe
//! side of hash joins whose result ignores duplicate rows.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::functions_aggregate::sum::sum_udaf;
use datafusion::physical_expr::aggregate::{AggregateExprBuilder, AggregateFunctionExpr};
use datafusion::physical_expr::expressions::{Column, Literal};
use datafusion::physical_expr::{PhysicalExpr, PhysicalExprRef};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::InputOrderMode;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode, PhysicalGroupBy};
use datafusion::physical_plan::projection::ProjectionExec;

use super::collapse_below_join;
use super::fuse_filter::fuse_filter;
use super::{Walk, rewrite_nodes};
use crate::physical_plan::collapse_runs::{CollapseRunsExec, RunColumn};

/// The physical optimizer rule; see the module documentation.
#[derive(Debug, Default)]
pub struct CollapseRuns;

impl PhysicalOptimizerRule for CollapseRuns {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        rewrite_nodes(plan, config, Walk::BottomUp, collapse_before)
    }

    fn name(&self) -> &str {
        "collapse_runs"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// How one aggregate is computed from collapsed runs.
enum Rewrite {
    /// The same aggregate over a run key column (`min`, `max`, `DISTINCT`).
    SameOverKey(Vec<usize>),
    /// `sum` over a per-run column (counts or sums).
    SumOf(usize),
}

/// The rewritten plan for `node`, when it is an eligible partial aggregation.
fn collapse_before(node: &Arc<dyn ExecutionPlan>) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let Some(aggregate) = node.downcast_ref::<AggregateExec>() else {
        return Ok(None);
    };
    let group_by = aggregate.group_expr();
    let eligible = *aggregate.mode() == AggregateMode::Partial
        && group_by.is_single()
        && !group_by.expr().is_empty()
        && aggregate.limit_options().is_none()
        && *aggregate.input_order_mode() == InputOrderMode::Linear
        && aggregate.filter_expr().iter().all(Option::is_none);
    if !eligible {
        return Ok(None);
    }
    let input_schema = aggregate.input().schema();

    // The run columns: group keys first, then what the aggregates need.
    let mut columns: Vec<RunColumn> = group_by
        .expr()
        .iter()
        .map(|(e, _)| RunColumn::Key(Arc::clone(e)))
        .collect();
    let mut rewrites = Vec::new();
    for function in aggregate.aggr_expr() {
        let arguments = function.expressions();
        let name = function.fun().name();
        let rewrite = if !function.order_bys().is_empty() {
            return Ok(None);
        } else if function.is_distinct() || name == "min" || name == "max" {
            let keys = arguments
                .iter()
                .map(|e| push(&mut columns, RunColumn::Key(Arc::clone(e))))
                .collect();
            Rewrite::SameOverKey(keys)
        } else if name == "count" && arguments.len() == 1 {
            let argument = &arguments[0];
            let column = if is_non_null_literal(argument) {
                RunColumn::Rows
            } else {
                RunColumn::Count(Arc::clone(argument))
            };
            Rewrite::SumOf(push(&mut columns, column))
        } else if name == "sum"
            && arguments.len() == 1
            && is_signed_integer(&arguments[0].data_type(&input_schema)?)
        {
            Rewrite::SumOf(push(
                &mut columns,
                RunColumn::Sum(Arc::clone(&arguments[0])),
            ))
        } else {
            return Ok(None);
        };
        rewrites.push(rewrite);
    }

    // Below an inner join when the aggregation counts or sums: the join
    // then sees one row per run too. Else right under the aggregation.
    let collapse: Arc<dyn ExecutionPlan> =
        match collapse_below_join::collapse_below_join(aggregate.input(), &columns)? {
            Some(join) => join,
            None => {
                let names = (0..columns.len()).map(|i| format!("run_{i}")).collect();
                let (input, predicate, columns) = fuse_filter(aggregate.input(), columns)?;
                Arc::new(CollapseRunsExec::try_new(input, predicate, columns, names)?)
            }
        };
    let schema = collapse.schema();
    let column = |i: usize| -> PhysicalExprRef { Arc::new(Column::new(schema.field(i).name(), i)) };

    let groups = group_by
        .expr()
        .iter()
        .enumerate()
        .map(|(i, (_, alias))| (column(i), alias.clone()))
        .collect();
    let mut functions: Vec<Arc<AggregateFunctionExpr>> = Vec::new();
    for (function, rewrite) in aggregate.aggr_expr().iter().zip(rewrites) {
        let rewritten = match rewrite {
            Rewrite::SameOverKey(keys) => {
                let arguments = keys.into_iter().map(column).collect();
                match function.with_new_expressions(arguments, vec![]) {
                    Some(rewritten) => rewritten,
                    None => return Ok(None),
                }
            }
            Rewrite::SumOf(i) => AggregateExprBuilder::new(sum_udaf(), vec![column(i)])
                .schema(Arc::clone(&schema))
                .alias(function.name())
                .build()?,
        };
        functions.push(Arc::new(rewritten));
    }
    let filters = vec![None; functions.len()];
    let partial = AggregateExec::try_new(
        AggregateMode::Partial,
        PhysicalGroupBy::new_single(groups),
        functions,
        filters,
        collapse,
        Arc::clone(&schema),
    )?;

    // The final aggregation reads partial states by position; they must have
    // the types it was planned for. Where the states' names differ (a
    // count's state is now a sum's), a projection restores the original names.
    let expected = aggregate.schema();
    let produced = partial.schema();
    let same_types = expected.fields().len() == produced.fields().len()
        && expected
            .fields()
            .iter()
            .zip(produced.fields())
            .all(|(e, p)| e.data_type() == p.data_type());
    if !same_types {
        return Ok(None);
    }
    let partial: Arc<dyn ExecutionPlan> = Arc::new(partial);
    if expected
        .fields()
        .iter()
        .zip(produced.fields())
        .all(|(e, p)| e.name() == p.name())
    {
        return Ok(Some(partial));
    }
    let renamed = expected.fields().iter().enumerate().map(|(i, field)| {
        let expression: PhysicalExprRef = Arc::new(Column::new(produced.field(i).name(), i));
        (expression, field.name().clone())
    });
    Ok(Some(Arc::new(ProjectionExec::try_new(renamed, partial)?)))
}

/// Adds a run column, reusing an equal key already present.
fn push(columns: &mut Vec<RunColumn>, column: RunColumn) -> usize {
    if let RunColumn::Key(e) = &column
        && let Some(found) = columns
            .iter()
            .position(|c| matches!(c, RunColumn::Key(k) if k.as_ref() == e.as_ref()))
    {
        return found;
    }
    columns.push(column);
    columns.len() - 1
}

fn is_non_null_literal(expression: &Arc<dyn PhysicalExpr>) -> bool {
    expression
        .downcast_ref::<Literal>()
        .is_some_and(|literal| !literal.value().is_null())
}

fn is_signed_integer(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64
    )
}
