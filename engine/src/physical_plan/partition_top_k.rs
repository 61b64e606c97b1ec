//! The first K rows of each window partition, without sorting the rest.
//!
//! "The first CT per person", "the 3 largest series per collection": SQL
//! writes these as `row_number() OVER (PARTITION BY p ORDER BY o)` and a
//! filter `rn <= K` (or `rn < K`, `rn = K`) above. DataFusion sorts every
//! input row by `p, o` (IDC's index: a million rows with 64-byte UIDs in
//! the sort key), numbers them all, and then keeps a few per partition.
//!
//! Only K rows per partition can pass such a filter. [`PartitionTopKExec`],
//! inserted by the `WindowTopK` rule below the window's sort (and below
//! a repartition: any subset of a partition's rows holds that partition's
//! first K rows that fall in it), keeps per partition key the K rows
//! ordered first, in one pass with a threshold compare per row. The sort,
//! the window and the filter above then run unchanged on far fewer rows.
//! Rows tied at the K-th place are numbered in no defined order by SQL (nor
//! by DataFusion); the first one met is kept. Only a window operator whose
//! functions are all that same `row_number()` is taken: any other function
//! would see the missing rows.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use datafusion::arrow::compute::take_record_batch;
use datafusion::arrow::row::{OwnedRow, Row, RowConverter, SortField};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{PhysicalExpr, PhysicalSortExpr};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, ReplaceChildrenOptions,
    apply_expression_roots,
};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt, stream};

use crate::physical_plan::runs::run_starts;

/// Keeping the first K rows per partition pays when a partition holds at
/// least this many rows per row kept; the operator judges from its first
/// rows and passes everything through when partitions are smaller.
const ROWS_PER_KEPT_ROW: usize = 4;
const ROWS_BEFORE_DECIDING: usize = 4096;

/// Keeps, per partition key, the K rows ordered first by the order keys,
/// in input order; see the module documentation. It holds the rows that
/// entered the candidates as they arrived, not its whole input.
#[derive(Debug)]
pub struct PartitionTopKExec {
    input: Arc<dyn ExecutionPlan>,
    partition_by: Vec<Arc<dyn PhysicalExpr>>,
    order_by: Vec<PhysicalSortExpr>,
    k: usize,
    metrics: ExecutionPlanMetricsSet,
}

impl PartitionTopKExec {
    pub fn new(
        input: Arc<dyn ExecutionPlan>,
        partition_by: Vec<Arc<dyn PhysicalExpr>>,
        order_by: Vec<PhysicalSortExpr>,
        k: usize,
    ) -> Self {
        Self {
            input,
            partition_by,
            order_by,
            k,
            metrics: ExecutionPlanMetricsSet::new(),
        }
    }
}

impl DisplayAs for PartitionTopKExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let partition_by: Vec<String> = self.partition_by.iter().map(|e| e.to_string()).collect();
        let order_by: Vec<String> = self.order_by.iter().map(|e| e.to_string()).collect();
        write!(
            f,
            "PartitionTopKExec: k={}, partition_by=[{}], order_by=[{}]",
            self.k,
            partition_by.join(", "),
            order_by.join(", ")
        )
    }
}

impl ExecutionPlan for PartitionTopKExec {
    fn name(&self) -> &str {
        "PartitionTopKExec"
    }

    /// A subsequence of the input in input order: its schema, partitioning
    /// and orderings.
    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        let order_by = self.order_by.iter().map(|sort| &sort.expr);
        apply_expression_roots(self.partition_by.iter().chain(order_by), f)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(Self::new(
            children.swap_remove(0),
            self.partition_by.clone(),
            self.order_by.clone(),
            self.k,
        )))
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(datafusion::physical_plan::ChildrenPropertiesMode::Keep),
        )
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let schema = self.input.schema();
        let mut selection = TopKSelection::try_new(
            self.partition_by.clone(),
            self.order_by.clone(),
            self.k,
            &schema,
        )?;
        let baseline = BaselineMetrics::new(&self.metrics, partition);
        let output_rows = baseline.output_rows().clone();
        let output = stream::once(async move {
            let mut input = input;
            let elapsed = baseline.elapsed_compute().clone();
            // Of each batch only the rows that entered the candidates are
            // kept; which of those stay among the first K is known at the end.
            let mut accepted: Vec<RecordBatch> = Vec::new();
            let mut rows_seen = 0;
            while let Some(batch) = input.next().await.transpose()? {
                let _timer = elapsed.timer();
                rows_seen += batch.num_rows();
                let rows = selection.add(accepted.len(), &batch)?;
                accepted.push(take_record_batch(&batch, &UInt32Array::from(rows))?);
                if selection.partitions_too_small(rows_seen) {
                    // Every row kept so far, then the rest unfiltered: rows
                    // left out so far ranked past K among rows of their own
                    // partition, so past K among all of them.
                    let rest: BoxStream<'static, Result<RecordBatch>> = input;
                    let kept = stream::iter(accepted.into_iter().map(Ok));
                    return Ok::<_, DataFusionError>(kept.chain(rest).boxed());
                }
            }
            let _timer = elapsed.timer();
            let kept = selection.kept_rows(accepted.len());
            let mut output = Vec::new();
            for (batch, rows) in accepted.iter().zip(kept) {
                if !rows.is_empty() {
                    output.push(Ok(take_record_batch(batch, &UInt32Array::from(rows))?));
                }
            }
            Ok(stream::iter(output).boxed())
        })
        .try_flatten()
        .inspect_ok(move |batch| output_rows.add(batch.num_rows()));
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.input.schema(),
            output.boxed(),
        )))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}

/// A candidate row: its input batch and its place among that batch's
/// candidates.
type RowId = (usize, u32);

/// The candidates so far: per partition key, the K rows ordered first, with
/// their order keys, sorted by order key.
struct TopKSelection {
    partition_by: Vec<Arc<dyn PhysicalExpr>>,
    order_by: Vec<PhysicalSortExpr>,
    k: usize,
    partition_rows: RowConverter,
    order_rows: RowConverter,
    partitions: HashMap<OwnedRow, Vec<(OwnedRow, RowId)>>,
}

impl TopKSelection {
    fn try_new(
        partition_by: Vec<Arc<dyn PhysicalExpr>>,
        order_by: Vec<PhysicalSortExpr>,
        k: usize,
        schema: &datafusion::arrow::datatypes::Schema,
    ) -> Result<Self> {
        let partition_fields = partition_by
            .iter()
            .map(|e| Ok(SortField::new(e.data_type(schema)?)))
            .collect::<Result<Vec<_>>>()?;
        let order_fields = order_by
            .iter()
            .map(|sort| {
                Ok(SortField::new_with_options(
                    sort.expr.data_type(schema)?,
                    sort.options,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            partition_by,
            order_by,
            k,
            partition_rows: RowConverter::new(partition_fields)?,
            order_rows: RowConverter::new(order_fields)?,
            partitions: HashMap::new(),
        })
    }

    /// Considers every row of `batch` (the input's `index`-th): the rows
    /// that became candidates, in order. A candidate is known by its batch
    /// and its place among those rows.
    fn add(&mut self, index: usize, batch: &RecordBatch) -> Result<Vec<u32>> {
        let rows = batch.num_rows();
        let evaluate = |expressions: &mut dyn Iterator<Item = &Arc<dyn PhysicalExpr>>| {
            expressions
                .map(|e| e.evaluate(batch)?.into_array(rows))
                .collect::<Result<Vec<ArrayRef>>>()
        };
        let partition_values = evaluate(&mut self.partition_by.iter())?;
        let order_values = evaluate(&mut self.order_by.iter().map(|sort| &sort.expr))?;
        let partition_keys = self.partition_rows.convert_columns(&partition_values)?;
        let order_keys = self.order_rows.convert_columns(&order_values)?;
        // One partition lookup per run of equal partition keys.
        let starts = run_starts(&partition_values, rows)?;
        let mut accepted = Vec::new();
        for (run, &start) in starts.iter().enumerate() {
            let end = starts.get(run + 1).map_or(rows, |&next| next as usize);
            let candidates = self
                .partitions
                .entry(partition_keys.row(start as usize).owned())
                .or_default();
            for row in start as usize..end {
                let id = (index, accepted.len() as u32);
                if offer(candidates, self.k, order_keys.row(row), id) {
                    accepted.push(row as u32);
                }
            }
        }
        Ok(accepted)
    }

    /// Whether the partitions met in the first `rows_seen` rows hold too
    /// few rows each for keeping K of them to pay (a window per patient
    /// over a patient's one or two studies): then every row passes.
    fn partitions_too_small(&self, rows_seen: usize) -> bool {
        rows_seen >= ROWS_BEFORE_DECIDING
            && self.partitions.len() * self.k * ROWS_PER_KEPT_ROW > rows_seen
    }

    /// The places of the rows kept among each input batch's candidates, in
    /// input order.
    fn kept_rows(self, batches: usize) -> Vec<Vec<u32>> {
        let mut kept = vec![Vec::new(); batches];
        for (_, (batch, row)) in self.partitions.into_values().flatten() {
            kept[batch].push(row);
        }
        for rows in &mut kept {
            rows.sort_unstable();
        }
        kept
    }
}

/// Adds the row with order key `key` to its partition's `candidates` as
/// `id` if it orders before the `k`-th, which it then replaces; whether it
/// was added. Of rows tied at the `k`-th place the first one met stays: any
/// numbering of ties is a valid `row_number`.
fn offer(candidates: &mut Vec<(OwnedRow, RowId)>, k: usize, key: Row, id: RowId) -> bool {
    if candidates.len() == k && key >= candidates[k - 1].0.row() {
        return false;
    }
    // After the candidates ordered before it or tied with it.
    let position = candidates.partition_point(|(c, _)| c.row() <= key);
    candidates.insert(position, (key.owned(), id));
    candidates.truncate(k);
    true
}
