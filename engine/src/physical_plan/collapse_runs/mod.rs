//! `CollapseRunsExec`: one row per run of consecutive rows with equal keys.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, Int64Array, RecordBatch};
use datafusion::arrow::compute::{BatchCoalescer, cast, filter, filter_record_batch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::projection::{ProjectionMapping, ProjectionTargets};
use datafusion::physical_plan::metrics::{
    BaselineMetrics, Count, ExecutionPlanMetricsSet, MetricBuilder, MetricsSet,
};
use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, ReplaceChildrenOptions,
    apply_expression_roots,
};
use futures::{StreamExt, stream};

mod distinct_runs;
mod kept_rows;

use super::runs::{first_of_runs, run_lengths, run_starts, run_sums, run_value_counts};
use distinct_runs::first_in_leading_runs;
use kept_rows::FusedFilter;

/// One output column of [`CollapseRunsExec`].
#[derive(Debug, Clone)]
pub enum RunColumn {
    /// Part of the run key, so equal in every row of a run: the run's value.
    Key(Arc<dyn PhysicalExpr>),
    /// The number of rows in the run (what `count(*)` adds up).
    Rows,
    /// The number of non-NULL values in the run (what `count(x)` adds up).
    Count(Arc<dyn PhysicalExpr>),
    /// The Int64 sum over the run of an integer expression (what `sum(x)`
    /// adds up); NULL for a run of NULLs.
    Sum(Arc<dyn PhysicalExpr>),
}

impl RunColumn {
    fn expression(&self) -> Option<&Arc<dyn PhysicalExpr>> {
        match self {
            RunColumn::Key(e) | RunColumn::Count(e) | RunColumn::Sum(e) => Some(e),
            RunColumn::Rows => None,
        }
    }
}

/// Runs shorter than this on average gain too little from collapsing to pay
/// for the comparisons and copies: the stream then passes rows through one
/// by one (every row a run of one) from its next batch on.
const WORTHWHILE_ROWS_PER_RUN: f64 = 4.0;
/// When every column is a key, each row dropped is one less row for the
/// aggregation or join above to hash and nothing is summed: dropping a
/// third of the rows pays.
const WORTHWHILE_ROWS_PER_DISTINCT_RUN: f64 = 1.5;
/// Batches observed before the stream decides whether collapsing pays.
const BATCHES_BEFORE_DECIDING: usize = 4;
/// Runs this short on average, over at least `EARLY_DECISION_ROWS` rows,
/// decide at once: nearly every row is its own run (a table of one row per
/// patient, a join's output in hash order).
const HOPELESS_ROWS_PER_RUN: f64 = 1.5;
const EARLY_DECISION_ROWS: usize = 4096;

/// Collapses every run of consecutive rows whose key columns are equal into
/// one row that carries the keys, the run's row count and its counts and
/// sums of other columns. With a predicate (a filter below fused in), only
/// rows where it is true count: a run of kept rows becomes a row, a run of
/// left-out rows none, and no filtered copy of the input is made. Placed under a partial aggregation (see
/// [`crate::physical_optimizer::collapse_runs::CollapseRuns`]), it lets the aggregation hash one row per run
/// instead of one per row: a DICOM instance index lists a series' hundreds
/// of instances one after the other.
#[derive(Debug)]
pub struct CollapseRunsExec {
    input: Arc<dyn ExecutionPlan>,
    predicate: Option<Arc<dyn PhysicalExpr>>,
    columns: Vec<RunColumn>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl CollapseRunsExec {
    /// `names` name the output columns, one per entry of `columns`.
    pub fn try_new(
        input: Arc<dyn ExecutionPlan>,
        predicate: Option<Arc<dyn PhysicalExpr>>,
        columns: Vec<RunColumn>,
        names: Vec<String>,
    ) -> Result<Self> {
        let input_schema = input.schema();
        let fields = columns
            .iter()
            .zip(names)
            .map(|(column, name)| {
                Ok(match column {
                    // A column keeps its field's metadata (OMOP descriptions).
                    RunColumn::Key(e) if let Some(c) = e.downcast_ref::<Column>() => {
                        input_schema.field(c.index()).clone().with_name(name)
                    }
                    RunColumn::Key(e) => Field::new(
                        name,
                        e.data_type(&input_schema)?,
                        e.nullable(&input_schema)?,
                    ),
                    RunColumn::Rows | RunColumn::Count(_) => {
                        Field::new(name, DataType::Int64, false)
                    }
                    RunColumn::Sum(_) => Field::new(name, DataType::Int64, true),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let input_properties = input.properties();
        let (schema, properties) = if keeps_every_input_column(&input_schema, &columns, &fields) {
            // Only duplicate rows are dropped: the output is a subsequence of
            // the input with the same columns, so it keeps the input's schema
            // (field metadata included), orderings and partitioning.
            (input_schema, Arc::clone(input_properties))
        } else {
            // Each output row is one input row's keys, in input order and in
            // the input's partition: the key columns keep the orderings and
            // the hash partitioning the input has on them, as through a
            // projection. Counts and sums are new.
            let schema = Arc::new(Schema::new(fields));
            let mapping: ProjectionMapping = columns
                .iter()
                .enumerate()
                .filter_map(|(i, column)| match column {
                    RunColumn::Key(e) => {
                        let target = Arc::new(Column::new(schema.field(i).name(), i)) as _;
                        Some((Arc::clone(e), ProjectionTargets::from(vec![(target, i)])))
                    }
                    _ => None,
                })
                .collect();
            let input_equivalences = input_properties.equivalence_properties();
            let properties = PlanProperties::new(
                input_equivalences.project(&mapping, Arc::clone(&schema)),
                input_properties
                    .output_partitioning()
                    .project(&mapping, input_equivalences),
                input_properties.emission_type,
                input_properties.boundedness,
            );
            (schema, Arc::new(properties))
        };
        Ok(Self {
            input,
            predicate,
            columns,
            schema,
            properties,
            metrics: ExecutionPlanMetricsSet::new(),
        })
    }
}

impl CollapseRunsExec {
    /// Whether every output column is part of the run key: the operator
    /// then only drops rows equal to the row before them.
    pub fn keys_only(&self) -> bool {
        self.columns
            .iter()
            .all(|column| matches!(column, RunColumn::Key(_)))
    }
}

/// The input column `column` passes on, when it is a key that is a plain
/// input column output under its own name.
fn input_column(column: &RunColumn, field: &Field, input: &Schema) -> Option<usize> {
    match column {
        RunColumn::Key(e) => e
            .downcast_ref::<Column>()
            .filter(|c| input.field(c.index()).name() == field.name())
            .map(Column::index),
        _ => None,
    }
}

/// Whether the run columns are the input's columns, in order and under their
/// own names: every column a key, so a run is a run of identical rows.
fn keeps_every_input_column(input: &Schema, columns: &[RunColumn], fields: &[Field]) -> bool {
    columns.len() == input.fields().len()
        && columns
            .iter()
            .zip(fields)
            .enumerate()
            .all(|(i, (column, field))| input_column(column, field, input) == Some(i))
}

impl DisplayAs for CollapseRunsExec {
    fn fmt_as(&self, _: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let described: Vec<String> = self
            .columns
            .iter()
            .map(|column| match column {
                RunColumn::Key(e) => format!("{e}"),
                RunColumn::Rows => "rows".to_string(),
                RunColumn::Count(e) => format!("count({e})"),
                RunColumn::Sum(e) => format!("sum({e})"),
            })
            .collect();
        let input_schema = self.input.schema();
        let input_columns_by_name = self
            .columns
            .iter()
            .zip(self.schema.fields())
            .all(|(column, field)| input_column(column, field, &input_schema).is_some());
        if input_columns_by_name {
            write!(
                f,
                "CollapseRunsExec: consecutive duplicates dropped, [{}]",
                described.join(", ")
            )?;
        } else {
            write!(f, "CollapseRunsExec: [{}]", described.join(", "))?;
        }
        if let Some(predicate) = &self.predicate {
            write!(f, ", where={predicate}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for CollapseRunsExec {
    fn name(&self) -> &str {
        "CollapseRunsExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
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
        let columns = self.columns.iter().filter_map(RunColumn::expression);
        apply_expression_roots(self.predicate.iter().chain(columns), f)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let names = self.schema.fields().iter().map(|f| f.name().clone());
        Ok(Arc::new(CollapseRunsExec::try_new(
            children.swap_remove(0),
            self.predicate.clone(),
            self.columns.clone(),
            names.collect(),
        )?))
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(
                datafusion::physical_plan::ChildrenPropertiesMode::Recompute,
            ),
        )
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let batch_size = context.session_config().batch_size();
        let input = self.input.execute(partition, context)?;
        let collapser = Collapser {
            filter: self.predicate.clone().map(FusedFilter::new),
            columns: self.columns.clone(),
            schema: Arc::clone(&self.schema),
            batches_seen: 0,
            rows_seen: 0,
            runs_seen: 0,
            pass_through: false,
            only_keys: self.keys_only(),
            only_columns: self.columns.iter().all(|column| {
                column
                    .expression()
                    .is_none_or(|e| e.downcast_ref::<Column>().is_some())
            }),
            baseline: BaselineMetrics::new(&self.metrics, partition),
            input_rows: MetricBuilder::new(&self.metrics).counter("input_rows", partition),
        };
        // Collapsed batches are small (a series' instances become one row):
        // they are gathered into batches of the session's size, so the
        // operators above see as many batches as rows would fill. Batches of
        // at least half that size (rows passed through) go on uncopied.
        let coalescer = BatchCoalescer::new(Arc::clone(&self.schema), batch_size)
            .with_biggest_coalesce_batch_size(Some(batch_size / 2));
        let output = stream::try_unfold(
            (input, collapser, coalescer, false),
            |(mut input, mut collapser, mut coalescer, mut finished)| async move {
                loop {
                    if let Some(batch) = coalescer.next_completed_batch() {
                        return Ok(Some((batch, (input, collapser, coalescer, finished))));
                    }
                    if finished {
                        if coalescer.is_empty() {
                            return Ok(None);
                        }
                        coalescer.finish_buffered_batch()?;
                        continue;
                    }
                    match input.next().await {
                        Some(batch) => coalescer.push_batch(collapser.collapse(&batch?)?)?,
                        None => finished = true,
                    }
                }
            },
        );
        // The input is read and collapsed from the moment the plan starts,
        // a few output batches ahead of the consumer: a hash join polls its
        // probe side only once its build side is in, and the collapse
        // shrinks millions of probe rows to thousands meanwhile.
        let mut prefetch = RecordBatchReceiverStreamBuilder::new(Arc::clone(&self.schema), 2);
        let sender = prefetch.tx();
        prefetch.spawn(async move {
            let mut output = Box::pin(output);
            while let Some(batch) = output.next().await {
                if sender.send(batch).await.is_err() {
                    // The consumer is gone (a limit reached, the query cancelled).
                    break;
                }
            }
            Ok(())
        });
        Ok(prefetch.build())
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}

/// One partition's state: whether collapsing has paid so far.
struct Collapser {
    filter: Option<FusedFilter>,
    columns: Vec<RunColumn>,
    schema: SchemaRef,
    batches_seen: usize,
    rows_seen: usize,
    runs_seen: usize,
    pass_through: bool,
    /// Whether every run column reads a plain input column. Other
    /// expressions see only the rows the filter keeps, as under FilterExec:
    /// `10 / x` after `WHERE x <> 0` must not divide by zero.
    only_columns: bool,
    /// Whether every output column is a key: then only the set of distinct
    /// rows matters, and duplicates within runs of the first key are
    /// dropped too (see `distinct_runs`).
    only_keys: bool,
    baseline: BaselineMetrics,
    input_rows: Count,
}

impl Collapser {
    fn collapse(&mut self, batch: &RecordBatch) -> Result<RecordBatch> {
        let elapsed = self.baseline.elapsed_compute().clone();
        let _timer = elapsed.timer();
        let rows = batch.num_rows();
        self.input_rows.add(rows);
        let kept = match &self.filter {
            Some(filter) => Some(filter.kept_rows(batch)?),
            None => None,
        };
        let output = match kept {
            Some(kept) if !self.only_columns => {
                let batch = filter_record_batch(batch, &kept)?;
                let values = self.evaluate(&batch)?;
                self.collapse_values(&values, batch.num_rows(), None)?
            }
            // A selective filter leaves few rows: comparing them all would
            // cost more than copying out the kept values first (only the
            // columns needed, unlike FilterExec's whole batch).
            Some(kept) if self.pass_through || kept.true_count() < rows / 2 => {
                let values = self
                    .evaluate(batch)?
                    .into_iter()
                    .map(|value| value.map(|v| filter(v.as_ref(), &kept)).transpose())
                    .collect::<Result<Vec<_>, _>>()?;
                self.collapse_values(&values, kept.true_count(), None)?
            }
            kept => {
                let values = self.evaluate(batch)?;
                self.collapse_values(&values, rows, kept.as_ref())?
            }
        };
        self.baseline.record_output(output.num_rows());
        Ok(output)
    }

    /// One row per run of `values` (every row its own run when passing
    /// through); with `kept`, only runs of kept rows.
    fn collapse_values(
        &mut self,
        values: &[Option<ArrayRef>],
        rows: usize,
        kept: Option<&BooleanArray>,
    ) -> Result<RecordBatch> {
        if self.pass_through {
            return self.rows_as_runs(values, rows);
        }
        let mut keys: Vec<ArrayRef> = self
            .columns
            .iter()
            .zip(values)
            .filter(|(column, _)| matches!(column, RunColumn::Key(_)))
            .filter_map(|(_, value)| value.clone())
            .collect();
        // A run never mixes kept and left-out rows.
        if let Some(kept) = kept {
            keys.push(Arc::new(kept.clone()));
        }
        let mut starts = run_starts(&keys, rows)?;
        if self.only_keys {
            starts = first_in_leading_runs(&keys, starts)?;
        }
        self.decide(rows, starts.len());
        let all = self.runs(values, &starts, rows)?;
        Ok(match kept {
            Some(kept) => {
                let run_kept: BooleanArray = starts
                    .iter()
                    .map(|&start| Some(kept.value(start as usize)))
                    .collect();
                filter_record_batch(&all, &run_kept)?
            }
            None => all,
        })
    }

    /// The run columns' expressions over `batch` (None for the row count).
    fn evaluate(&self, batch: &RecordBatch) -> Result<Vec<Option<ArrayRef>>> {
        self.columns
            .iter()
            .map(|column| {
                column
                    .expression()
                    .map(|e| e.evaluate(batch)?.into_array(batch.num_rows()))
                    .transpose()
            })
            .collect()
    }

    /// Collapsing pays when runs are long; decided from the first batches,
    /// at the first when nearly every row is its own run.
    fn decide(&mut self, rows: usize, runs: usize) {
        self.batches_seen += 1;
        self.rows_seen += rows;
        self.runs_seen += runs;
        let rows_per_run = self.rows_seen as f64 / self.runs_seen.max(1) as f64;
        if self.batches_seen == BATCHES_BEFORE_DECIDING {
            let worthwhile = match self.only_keys {
                true => WORTHWHILE_ROWS_PER_DISTINCT_RUN,
                false => WORTHWHILE_ROWS_PER_RUN,
            };
            self.pass_through = rows_per_run < worthwhile;
        } else if self.batches_seen < BATCHES_BEFORE_DECIDING
            && self.rows_seen >= EARLY_DECISION_ROWS
        {
            self.pass_through = rows_per_run < HOPELESS_ROWS_PER_RUN;
        }
    }

    fn runs(
        &self,
        values: &[Option<ArrayRef>],
        starts: &[u32],
        rows: usize,
    ) -> Result<RecordBatch> {
        let arrays = self
            .columns
            .iter()
            .zip(values)
            .map(|(column, value)| match (column, value) {
                (RunColumn::Key(_), Some(value)) => first_of_runs(value, starts),
                (RunColumn::Count(_), Some(value)) => Ok(run_value_counts(value, starts)),
                (RunColumn::Sum(_), Some(value)) => run_sums(value, starts),
                _ => Ok(run_lengths(starts, rows)),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(RecordBatch::try_new(Arc::clone(&self.schema), arrays)?)
    }

    /// Every row a run of one, without comparing rows.
    fn rows_as_runs(&self, values: &[Option<ArrayRef>], rows: usize) -> Result<RecordBatch> {
        let arrays = self
            .columns
            .iter()
            .zip(values)
            .map(|(column, value)| match (column, value) {
                (RunColumn::Key(_), Some(value)) => Ok(Arc::clone(value)),
                (RunColumn::Count(_), Some(value)) => {
                    let nulls = value.logical_nulls();
                    let counts: Int64Array = (0..rows)
                        .map(|row| Some(i64::from(nulls.as_ref().is_none_or(|n| n.is_valid(row)))))
                        .collect();
                    Ok(Arc::new(counts) as ArrayRef)
                }
                (RunColumn::Sum(_), Some(value)) => Ok(cast(value.as_ref(), &DataType::Int64)?),
                _ => Ok(Arc::new(Int64Array::from_value(1, rows)) as ArrayRef),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(RecordBatch::try_new(Arc::clone(&self.schema), arrays)?)
    }
}
