//! Functions over clinical (EHR) values used in cohort definitions.

use std::sync::Arc;

use datafusion::logical_expr::ScalarUDF;

mod pack_years;

pub use pack_years::PackYears;

/// The clinical family's functions.
pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![Arc::new(ScalarUDF::from(PackYears::new()))]
}
