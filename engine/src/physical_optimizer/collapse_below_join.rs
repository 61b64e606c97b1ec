//! Run-collapsing below an inner hash join, for aggregations that count.
//!
//! `SELECT l.site, i.Manufacturer, count(*), sum(i.file_size) FROM
//! instances i JOIN patient_link l ON l.patient_id = i.PatientID GROUP BY
//! l.site, i.Manufacturer` probes the join with 10 million instance rows and
//! then aggregates the 10 million joined rows. The probe rows of a run with
//! equal join key and equal grouped columns all match the same build rows.
//! So the run can enter the join as one row carrying its row count and sums,
//! and each joined row carries them on to the partial aggregation, which
//! adds them up: a run of n rows matching k build rows gives k rows of count
//! n, n * k in all, as the n * k joined rows did.
//!
//! `collapse_below_join` builds that join for [`super::collapse_runs::CollapseRuns`]: its
//! output has exactly the columns a `CollapseRunsExec` under the aggregation
//! would have had, so the aggregation is rewritten the same way.

use std::sync::Arc;

use datafusion::common::{JoinSide, JoinType, Result};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::utils::collect_columns;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::joins::HashJoinExec;
use datafusion::physical_plan::joins::utils::{ColumnIndex, JoinFilter};

use super::fuse_filter::{fuse_filter, remap_columns};
use crate::physical_plan::collapse_runs::{CollapseRunsExec, RunColumn};

/// Where a column of the aggregation's input comes from in the new join.
enum Source {
    /// A build-side column, by index in the build schema.
    Build(usize),
    /// A probe column of the run key, by position in the key.
    ProbeKey(usize),
    /// A run's count or sum, by position among them (after the key).
    Weight(usize),
}

/// The position of probe column `index` in the run key, added if new.
fn key_position(probe_keys: &mut Vec<usize>, index: usize) -> usize {
    match probe_keys.iter().position(|&k| k == index) {
        Some(found) => found,
        None => {
            probe_keys.push(index);
            probe_keys.len() - 1
        }
    }
}

/// `input`, an inner hash join, with its probe side collapsed into runs,
/// producing `columns` (over `input`'s schema) in order; `None` when the
/// join or the columns do not allow it: another join type, a limit, a
/// group key that is not a plain column, a count or sum over build columns,
/// or nothing counted or summed (then nothing needs carrying through).
pub(super) fn collapse_below_join(
    input: &Arc<dyn ExecutionPlan>,
    columns: &[RunColumn],
) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let Some(join) = input.downcast_ref::<HashJoinExec>() else {
        return Ok(None);
    };
    let counts_rows = columns.iter().any(|c| !matches!(c, RunColumn::Key(_)));
    if *join.join_type() != JoinType::Inner
        || join.fetch().is_some()
        || join.null_aware
        || !counts_rows
    {
        return Ok(None);
    }
    let build_width = join.left().schema().fields().len();
    let probe_schema = join.right().schema();
    // A join output column, as a build column or a probe column.
    let side_of = |output: usize| -> (JoinSide, usize) {
        let joined = join.projection.as_ref().map_or(output, |p| p[output]);
        if joined < build_width {
            (JoinSide::Left, joined)
        } else {
            (JoinSide::Right, joined - build_width)
        }
    };

    // The probe run key: the probe columns the join compares, those its
    // filter reads, and those the aggregation groups by.
    let mut probe_keys: Vec<usize> = Vec::new();
    for (_, probe_key) in join.on() {
        for column in collect_columns(probe_key) {
            key_position(&mut probe_keys, column.index());
        }
    }
    if let Some(filter) = join.filter() {
        for index in filter.column_indices() {
            if index.side == JoinSide::Right {
                key_position(&mut probe_keys, index.index);
            }
        }
    }
    let mut sources = Vec::with_capacity(columns.len());
    let mut weights: Vec<RunColumn> = Vec::new();
    for column in columns {
        let source = match column {
            RunColumn::Key(e) => {
                let Some(column) = e.downcast_ref::<Column>() else {
                    return Ok(None);
                };
                match side_of(column.index()) {
                    (JoinSide::Left, index) => Source::Build(index),
                    (_, index) => Source::ProbeKey(key_position(&mut probe_keys, index)),
                }
            }
            RunColumn::Rows => {
                weights.push(RunColumn::Rows);
                Source::Weight(weights.len() - 1)
            }
            RunColumn::Count(e) | RunColumn::Sum(e) => {
                // Counted and summed values must come from the probe side.
                let on_probe = remap_columns(e, &|c| match side_of(c.index()) {
                    (JoinSide::Right, index) => Some(Column::new(c.name(), index)),
                    _ => None,
                })?;
                let Some(on_probe) = on_probe else {
                    return Ok(None);
                };
                weights.push(match column {
                    RunColumn::Count(_) => RunColumn::Count(on_probe),
                    _ => RunColumn::Sum(on_probe),
                });
                Source::Weight(weights.len() - 1)
            }
        };
        sources.push(source);
    }

    let mut run_columns: Vec<RunColumn> = probe_keys
        .iter()
        .map(|&k| RunColumn::Key(Arc::new(Column::new(probe_schema.field(k).name(), k)) as _))
        .collect();
    let mut names: Vec<String> = probe_keys
        .iter()
        .map(|&k| probe_schema.field(k).name().clone())
        .collect();
    names.extend((0..weights.len()).map(|i| format!("run_weight_{i}")));
    run_columns.extend(weights);
    let (probe, predicate, run_columns) = fuse_filter(join.right(), run_columns)?;
    let probe: Arc<dyn ExecutionPlan> = Arc::new(CollapseRunsExec::try_new(
        probe,
        predicate,
        run_columns,
        names,
    )?);
    let collapsed_schema = probe.schema();
    let collapsed_index = |index: usize| probe_keys.iter().position(|&k| k == index);

    let mut on = Vec::with_capacity(join.on().len());
    for (build_key, probe_key) in join.on() {
        let moved = remap_columns(probe_key, &|c| {
            collapsed_index(c.index()).map(|i| Column::new(collapsed_schema.field(i).name(), i))
        })?;
        let Some(probe_key) = moved else {
            return Ok(None);
        };
        on.push((Arc::clone(build_key), probe_key));
    }
    let filter = match join.filter() {
        Some(filter) => {
            let mut indices = Vec::with_capacity(filter.column_indices().len());
            for index in filter.column_indices() {
                indices.push(match index.side {
                    JoinSide::Right => match collapsed_index(index.index) {
                        Some(i) => ColumnIndex {
                            index: i,
                            side: JoinSide::Right,
                        },
                        None => return Ok(None),
                    },
                    _ => index.clone(),
                });
            }
            Some(JoinFilter::new(
                Arc::clone(filter.expression()),
                indices,
                Arc::clone(filter.schema()),
            ))
        }
        None => None,
    };
    let projection = sources
        .iter()
        .map(|source| match source {
            Source::Build(index) => *index,
            Source::ProbeKey(position) => build_width + position,
            Source::Weight(position) => build_width + probe_keys.len() + position,
        })
        .collect();
    // The join's dynamic filter, pushed into the probe scan, is written in
    // terms of the old probe columns: the new join builds without one.
    let rewritten = join
        .builder()
        .reset_state()
        .with_on(on)
        .with_filter(filter)
        .with_projection(Some(projection))
        .with_new_children(vec![Arc::clone(join.left()), probe])?
        .recompute_properties()
        .build_exec()?;
    Ok(Some(rewritten))
}
