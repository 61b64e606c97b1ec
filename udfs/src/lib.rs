//! rwid's SQL functions, one file per function, grouped by family.
//!
//! Each family module exposes `functions()`; [`all_scalar_functions`] collects
//! them, and the session builder in `rwid-engine` registers that list, so
//! every entry point (CLI, tests, embedding applications) sees the same set.
//! Every function carries `#[user_doc]` documentation that names its source;
//! `docs/functions.md` is generated from it.

use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{AggregateUDF, ColumnarValue, ScalarUDF, WindowUDF};

pub mod builtin;
pub mod clinical;
pub mod dicom;
pub mod harmonize;
pub mod imaging;
pub mod quantitative;
pub mod recist;

/// Every scalar function rwid adds to DataFusion's built-ins.
pub fn all_scalar_functions() -> Vec<Arc<ScalarUDF>> {
    let mut functions = dicom::functions();
    functions.extend(clinical::functions());
    functions.extend(recist::functions());
    let rules = harmonize::RuleTables::builtin();
    functions.extend(harmonize::functions(Arc::clone(&rules)));
    functions.extend(quantitative::functions(rules));
    functions
}

/// Every aggregate function rwid adds.
pub fn all_aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    let mut functions = builtin::aggregate_functions();
    functions.extend(imaging::aggregate_functions());
    functions.extend(recist::aggregate_functions());
    functions.extend(harmonize::aggregate_functions());
    functions
}

/// How many rows a function computes, and whether its result is a scalar:
/// one row when every argument is a scalar (see [`columnar`]), else the
/// batch's `number_rows`.
pub(crate) fn rows_to_compute(args: &[ColumnarValue], number_rows: usize) -> (usize, bool) {
    let all_scalars = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    (if all_scalars { 1 } else { number_rows }, all_scalars)
}

/// The arguments as arrays of the rows to compute ([`rows_to_compute`]),
/// each cast to its type in `types`, and whether they were all scalars.
pub(crate) fn cast_arguments(
    args: &[ColumnarValue],
    number_rows: usize,
    types: &[DataType],
) -> Result<(Vec<ArrayRef>, bool)> {
    let (rows, all_scalars) = rows_to_compute(args, number_rows);
    let arrays = args
        .iter()
        .zip(types)
        .map(|(arg, data_type)| Ok(cast(&arg.to_array(rows)?, data_type)?))
        .collect::<Result<Vec<_>>>()?;
    Ok((arrays, all_scalars))
}

/// A field of an aggregate's partial state, named `aggregate[part]` as
/// DataFusion's own aggregates name theirs.
pub(crate) fn state_field(aggregate: &str, part: &str, data_type: DataType) -> FieldRef {
    Arc::new(Field::new(format!("{aggregate}[{part}]"), data_type, true))
}

/// A function's result: a scalar when every argument was one (the array
/// then holds one row), an array otherwise.
pub(crate) fn columnar(array: ArrayRef, all_scalars: bool) -> Result<ColumnarValue> {
    if all_scalars {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
            &array, 0,
        )?))
    } else {
        Ok(ColumnarValue::Array(array))
    }
}

/// Every window function rwid adds.
pub fn all_window_functions() -> Vec<Arc<WindowUDF>> {
    recist::window_functions()
}
