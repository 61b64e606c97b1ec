//! Quantitative imaging categories: amyloid PET Centiloid and positivity,
//! tau PET categories, LVEF and GLS categories. Each function cites its
//! equation's or cut-off's source; equations that change over time live in
//! the versioned rule file `methods/rules/centiloid.toml`, cut-offs that
//! differ between studies are arguments.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF};

use crate::harmonize::RuleTables;

mod cardiac;
mod centiloid;
mod thresholds;

pub use cardiac::{GlsCategory, LvefCategory};
pub use centiloid::{Centiloid, CentiloidEquationDetails};
pub use thresholds::{AmyloidPositive, TauCategory};

/// The quantitative functions, reading `rules` for the Centiloid equations.
pub fn functions(rules: Arc<RuleTables>) -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ScalarUDF::from(Centiloid::new(Arc::clone(&rules)))),
        Arc::new(ScalarUDF::from(CentiloidEquationDetails::new(rules))),
        Arc::new(ScalarUDF::from(AmyloidPositive::new())),
        Arc::new(ScalarUDF::from(TauCategory::new())),
        Arc::new(ScalarUDF::from(LvefCategory::new())),
        Arc::new(ScalarUDF::from(GlsCategory::new())),
    ]
}

/// Coerces the numeric arguments of a function taking `counts` numbers to
/// Float64; otherwise an error that says the function takes `expected`
/// (such as `2 numbers (centiloid, threshold)`).
fn numeric_arguments(
    name: &str,
    arg_types: &[DataType],
    counts: std::ops::RangeInclusive<usize>,
    expected: &str,
) -> Result<Vec<DataType>> {
    if !counts.contains(&arg_types.len())
        || !arg_types.iter().all(|t| t.is_numeric() || t.is_null())
    {
        return plan_err!("{name} takes {expected}, got {arg_types:?}");
    }
    Ok(vec![DataType::Float64; arg_types.len()])
}

/// A Float64 argument's value at `row`, `None` for NULL or NaN.
fn number(arrays: &[ArrayRef], column: usize, row: usize) -> Option<f64> {
    let array = arrays.get(column)?.as_primitive::<Float64Type>();
    (!array.is_null(row) && !array.value(row).is_nan()).then(|| array.value(row))
}

/// A Utf8 argument's value at `row`.
fn text(arrays: &[ArrayRef], column: usize, row: usize) -> Option<&str> {
    let array = arrays.get(column)?.as_string::<i32>();
    (!array.is_null(row)).then(|| array.value(row))
}

fn text_output(values: Vec<Option<&'static str>>, all_scalars: bool) -> Result<ColumnarValue> {
    crate::columnar(Arc::new(StringArray::from(values)), all_scalars)
}

fn number_output(values: Vec<Option<f64>>, all_scalars: bool) -> Result<ColumnarValue> {
    crate::columnar(Arc::new(Float64Array::from(values)), all_scalars)
}
