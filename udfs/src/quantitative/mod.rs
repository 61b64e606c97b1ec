//! Quantitative imaging categories: amyloid PET Centiloid and positivity,
//! tau PET categories, LVEF and GLS categories. Each function cites its
//! equation's or cut-off's source; equations that change over time live in
//! the versioned rule file `methods/rules/centiloid.toml`, cut-offs that
//! differ between studies are arguments.

use std::sync::Arc;

use datafusion::logical_expr::ScalarUDF;

use crate::harmonize::RuleTables;

mod amyloid_positive;
mod centiloid;
mod gls_category;
mod lvef_category;
mod tau_category;

pub use amyloid_positive::AmyloidPositive;
pub use centiloid::{Centiloid, CentiloidEquationDetails};
pub use gls_category::GlsCategory;
pub use lvef_category::LvefCategory;
pub use tau_category::TauCategory;

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
