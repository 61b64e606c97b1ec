//! `row_number`, `lag` and `lead` over input sorted by partition, in
//! whole-array kernels.
//!
//! Cohort SQL numbers and compares a patient's studies: the first CT per
//! person (`row_number() OVER (PARTITION BY person_id ORDER BY StudyDate)`),
//! days since the previous study (`lag(StudyDate)`). Such windows have one
//! partition per patient, hundreds of thousands of partitions of a few rows.
//! DataFusion's `BoundedWindowAggExec` keeps per-partition state (a key of
//! scalar values, a buffered batch slice) and pays a few microseconds per
//! partition, which is most of such a query's time. These three functions
//! need no frame and no state beyond the partition boundaries: this
//! operator collects its sorted input, finds the boundaries once (rows
//! whose partition key differs from the row before) and computes every
//! value with one `take` per function.
//!
//! The `SortedWindows` rule (`physical_optimizer/sorted_windows.rs`) puts
//! it in place of DataFusion's operator where it applies.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, UInt32Array, UInt64Array};
use datafusion::arrow::compute::{concat_batches, take};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Result, ScalarValue};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::expressions::Literal;
use datafusion::physical_expr::window::StandardWindowExpr;
use datafusion::physical_expr::{OrderingRequirements, PhysicalExpr};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::windows::{BoundedWindowAggExec, WindowUDFExpr};
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, Distribution, ExecutionPlan,
    InputOrderMode, PlanProperties, ReplaceChildrenOptions, WindowExpr, apply_expression_roots,
};
use futures::{StreamExt, TryStreamExt, stream};

use crate::physical_plan::runs::run_starts;

/// One window function the operator computes.
#[derive(Debug, Clone)]
enum Function {
    /// `row_number()`: 1, 2, ... within the partition.
    RowNumber,
    /// `lag(value, offset)` (negative offset: `lead`): the value `offset`
    /// rows before, NULL where that row is outside the partition.
    Shift {
        value: Arc<dyn PhysicalExpr>,
        offset: i64,
    },
}

/// Evaluates `row_number`, `lag` and `lead` over input sorted by partition.
#[derive(Debug)]
pub struct SortedWindowExec {
    input: Arc<dyn ExecutionPlan>,
    partition_by: Vec<Arc<dyn PhysicalExpr>>,
    functions: Vec<Function>,
    /// The replaced operator's, kept so the plan around it is unchanged.
    names: Vec<String>,
    ordering: Vec<Option<OrderingRequirements>>,
    distribution: Vec<Distribution>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl SortedWindowExec {
    /// The operator that computes `window`'s functions, if it can.
    pub fn replacing(window: &BoundedWindowAggExec) -> Option<Self> {
        if window.input_order_mode != InputOrderMode::Sorted {
            return None;
        }
        let input_schema = window.input().schema();
        let mut functions = Vec::new();
        let mut names = Vec::new();
        for expression in window.window_expr() {
            let udf = window_udf(expression)?;
            // The only trace of IGNORE NULLS outside the private evaluator.
            if expression.name().contains("IGNORE NULLS") {
                return None;
            }
            let field = expression.field().ok()?;
            let args = udf.args();
            let function = match udf.fun().name() {
                "row_number" if args.is_empty() && field.data_type() == &DataType::UInt64 => {
                    Function::RowNumber
                }
                name @ ("lag" | "lead") if !args.is_empty() && args.len() <= 2 => {
                    let offset = match args.get(1) {
                        None => 1,
                        Some(offset) => match offset.downcast_ref::<Literal>()?.value() {
                            ScalarValue::Int64(Some(offset)) => *offset,
                            _ => return None,
                        },
                    };
                    let value = Arc::clone(&args[0]);
                    if value.data_type(&input_schema).ok()? != *field.data_type() {
                        return None;
                    }
                    let offset = if name == "lag" {
                        offset
                    } else {
                        offset.checked_neg()?
                    };
                    Function::Shift { value, offset }
                }
                _ => return None,
            };
            functions.push(function);
            names.push(expression.name().to_string());
        }
        let partition_by = window.window_expr().first()?.partition_by().to_vec();
        Some(Self {
            input: Arc::clone(window.input()),
            partition_by,
            functions,
            names,
            ordering: window.required_input_ordering(),
            #[allow(deprecated)]
            distribution: window.required_input_distribution(),
            schema: window.schema(),
            properties: Arc::clone(window.properties()),
            metrics: ExecutionPlanMetricsSet::new(),
        })
    }

    /// The window columns for one sorted partition of the input.
    fn evaluate(
        partition_by: &[Arc<dyn PhysicalExpr>],
        functions: &[Function],
        input: &RecordBatch,
    ) -> Result<Vec<ArrayRef>> {
        let rows = input.num_rows();
        let keys = partition_by
            .iter()
            .map(|e| e.evaluate(input)?.into_array(rows))
            .collect::<Result<Vec<_>>>()?;
        let starts = run_starts(&keys, rows)?;
        // The first row of each row's partition, and the row after its last.
        let mut first = vec![0usize; rows];
        let mut end = vec![0usize; rows];
        for (k, &start) in starts.iter().enumerate() {
            let stop = starts.get(k + 1).map_or(rows, |&next| next as usize);
            first[start as usize..stop].fill(start as usize);
            end[start as usize..stop].fill(stop);
        }
        functions
            .iter()
            .map(|function| match function {
                Function::RowNumber => {
                    let numbers: UInt64Array =
                        (0..rows).map(|i| Some((i - first[i] + 1) as u64)).collect();
                    Ok(Arc::new(numbers) as ArrayRef)
                }
                Function::Shift { value, offset } => {
                    let values = value.evaluate(input)?.into_array(rows)?;
                    let indices: UInt32Array = (0..rows)
                        .map(|i| {
                            let source = i as i64 - offset;
                            (source >= first[i] as i64 && source < end[i] as i64)
                                .then_some(source as u32)
                        })
                        .collect();
                    Ok(take(values.as_ref(), &indices, None)?)
                }
            })
            .collect()
    }
}

/// The window function `expression` calls, when it is a user-defined or
/// built-in window UDF (`row_number`, `lag`, `lead`, ...).
pub(crate) fn window_udf(expression: &Arc<dyn WindowExpr>) -> Option<&WindowUDFExpr> {
    expression
        .as_any()
        .downcast_ref::<StandardWindowExpr>()?
        .get_standard_func_expr()
        .as_any()
        .downcast_ref::<WindowUDFExpr>()
}

impl DisplayAs for SortedWindowExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "SortedWindowExec: wdw=[{}]", self.names.join(", "))
    }
}

impl ExecutionPlan for SortedWindowExec {
    fn name(&self) -> &str {
        "SortedWindowExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn required_input_ordering(&self) -> Vec<Option<OrderingRequirements>> {
        self.ordering.clone()
    }

    fn required_input_distribution(&self) -> Vec<Distribution> {
        self.distribution.clone()
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        let values = self.functions.iter().filter_map(|function| match function {
            Function::RowNumber => None,
            Function::Shift { value, .. } => Some(value),
        });
        apply_expression_roots(self.partition_by.iter().chain(values), f)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(Self {
            input: children.swap_remove(0),
            partition_by: self.partition_by.clone(),
            functions: self.functions.clone(),
            names: self.names.clone(),
            ordering: self.ordering.clone(),
            distribution: self.distribution.clone(),
            schema: Arc::clone(&self.schema),
            properties: Arc::clone(&self.properties),
            metrics: ExecutionPlanMetricsSet::new(),
        }))
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
        let batch_size = context.session_config().batch_size();
        let input = self.input.execute(partition, context)?;
        let input_schema = self.input.schema();
        let schema = Arc::clone(&self.schema);
        let (partition_by, functions) = (self.partition_by.clone(), self.functions.clone());
        let baseline = BaselineMetrics::new(&self.metrics, partition);
        // A partition may span batches: the whole sorted input first, as
        // DataFusion's WindowAggExec does (the sort below holds it anyway).
        let output = stream::once(async move {
            let batches: Vec<RecordBatch> = input.try_collect().await?;
            let elapsed = baseline.elapsed_compute().clone();
            let _timer = elapsed.timer();
            let all = concat_batches(&input_schema, &batches)?;
            drop(batches);
            let mut columns = all.columns().to_vec();
            columns.extend(Self::evaluate(&partition_by, &functions, &all)?);
            let result = RecordBatch::try_new(Arc::clone(&schema), columns)?;
            baseline.record_output(result.num_rows());
            let chunks: Vec<Result<RecordBatch>> = (0..result.num_rows())
                .step_by(batch_size.max(1))
                .map(|start| Ok(result.slice(start, batch_size.min(result.num_rows() - start))))
                .collect();
            Ok::<_, datafusion::error::DataFusionError>(stream::iter(chunks))
        })
        .try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            output.boxed(),
        )))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}
