//! RECIST 1.1 tumour response (Eisenhauer et al., Eur J Cancer 2009) and
//! iRECIST (Seymour et al., Lancet Oncol 2017): the rules in `rules.rs` and
//! `irecist.rs` as plain Rust, and one SQL function per rule.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{AggregateUDF, ColumnarValue, ScalarUDF, WindowUDF};

mod assessments;
mod best_response;
mod irecist_best_response;
mod irecist_response;
mod lesion_class;
mod measurement;
mod overall_response;
mod response_dates;
mod select_targets;
mod target_response;

pub use best_response::Recist11BestResponse;
pub use irecist_best_response::IrecistBestResponse;
pub use irecist_response::IrecistResponse;
pub use lesion_class::Recist11LesionClass;
pub use measurement::Recist11MeasurementMm;
pub use overall_response::Recist11OverallResponse;
pub use response_dates::Recist11ResponseDates;
pub use select_targets::Recist11SelectTargets;
pub use target_response::Recist11TargetResponse;

/// The RECIST family's functions.
pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ScalarUDF::from(Recist11LesionClass::new())),
        Arc::new(ScalarUDF::from(Recist11MeasurementMm::new())),
        Arc::new(ScalarUDF::from(Recist11TargetResponse::new())),
        Arc::new(ScalarUDF::from(Recist11OverallResponse::new())),
    ]
}

/// The RECIST family's aggregate functions.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![
        Arc::new(AggregateUDF::from(Recist11BestResponse::new())),
        Arc::new(AggregateUDF::from(Recist11SelectTargets::new())),
        Arc::new(AggregateUDF::from(Recist11ResponseDates::new())),
        Arc::new(AggregateUDF::from(IrecistBestResponse::new())),
    ]
}

/// The RECIST family's window functions.
pub fn window_functions() -> Vec<Arc<WindowUDF>> {
    vec![Arc::new(WindowUDF::from(IrecistResponse::new()))]
}

/// The argument types of a function taking exactly `types.len()`
/// arguments, named in `arguments` for the error.
fn fixed_arguments(
    function: &str,
    arguments: &str,
    arg_types: &[DataType],
    types: &[DataType],
) -> Result<Vec<DataType>> {
    if arg_types.len() != types.len() {
        return plan_err!(
            "{function} takes {} arguments ({arguments}), got {}",
            types.len(),
            arg_types.len()
        );
    }
    Ok(types.to_vec())
}

/// Runs `row` over every row of `args` (cast to `types`) and returns text:
/// a scalar when every argument is one, an array otherwise.
fn text_rows(
    args: Vec<ColumnarValue>,
    rows: usize,
    types: &[DataType],
    mut row: impl FnMut(&[ArrayRef], usize) -> Result<Option<&'static str>>,
) -> Result<ColumnarValue> {
    let (arrays, all_scalars) = crate::cast_arguments(&args, rows, types)?;
    let length = arrays.first().map_or(rows, |a| a.len());
    let mut out = StringBuilder::with_capacity(length, length * 2);
    for index in 0..length {
        out.append_option(row(&arrays, index)?);
    }
    crate::columnar(Arc::new(out.finish()), all_scalars)
}

/// A nullable argument's value at `index`.
fn value<T: Array + 'static, V>(
    arrays: &[ArrayRef],
    column: usize,
    index: usize,
    get: impl Fn(&T, usize) -> V,
) -> Option<V> {
    let array = arrays[column].as_any().downcast_ref::<T>()?;
    (!array.is_null(index)).then(|| get(array, index))
}
