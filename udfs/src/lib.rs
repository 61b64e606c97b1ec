//! rwid's SQL functions, one file per function, grouped by family.
//!
//! Each family module exposes `functions()`; [`all_scalar_functions`] collects
//! them, and the session builder in `rwid-engine` registers that list, so
//! every entry point (CLI, tests, embedding applications) sees the same set.
//! Every function carries `#[user_doc]` documentation that names its source;
//! `docs/functions.md` is generated from it.

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};

mod args;
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

/// Every window function rwid adds.
pub fn all_window_functions() -> Vec<Arc<WindowUDF>> {
    recist::window_functions()
}

/// Functions that read rule tables are equal when they read the same rules.
macro_rules! same_rules_same_function {
    ($($type:ident),+) => {$(
        impl PartialEq for $type {
            fn eq(&self, other: &Self) -> bool {
                std::sync::Arc::ptr_eq(&self.rules, &other.rules)
            }
        }
        impl Eq for $type {}
        impl std::hash::Hash for $type {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                std::sync::Arc::as_ptr(&self.rules).hash(state);
            }
        }
    )+};
}
pub(crate) use same_rules_same_function;
