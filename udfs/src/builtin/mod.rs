//! DataFusion built-in functions that rwid registers again, corrected.
//!
//! Each replaces the built-in of the same name where DataFusion 55.2 gives a
//! wrong answer, delegates everything else to it, names the upstream issue,
//! and goes when a DataFusion release with the fix is adopted.

use std::sync::Arc;

use datafusion::logical_expr::AggregateUDF;

mod min_max;

pub use min_max::TotalOrderMinMax;

/// The corrected aggregate functions.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![
        Arc::new(AggregateUDF::from(TotalOrderMinMax::min())),
        Arc::new(AggregateUDF::from(TotalOrderMinMax::max())),
    ]
}
