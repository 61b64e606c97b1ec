//! rwid's SQL functions, one file per function, grouped by family.
//!
//! Each family module exposes `functions()`; [`all_scalar_functions`] collects
//! them, and the session builder in `rwid-engine` registers that list, so
//! every entry point (CLI, tests, embedding applications) sees the same set.
//! Every function carries `#[user_doc]` documentation that names its source;
//! `docs/functions.md` is generated from it.

use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{AggregateUDF, ColumnarValue, ScalarUDF, WindowUDF};

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
    let rules = harmonize::HarmonizationRules::builtin();
    functions.extend(harmonize::functions(Arc::clone(&rules)));
    functions.extend(quantitative::functions(rules));
    functions
}

/// Every aggregate function rwid adds.
pub fn all_aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    let mut functions = imaging::aggregate_functions();
    functions.extend(recist::aggregate_functions());
    functions.extend(harmonize::aggregate_functions());
    functions
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
