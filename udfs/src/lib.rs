//! rwid's SQL functions, one file per function, grouped by family.
//!
//! Each family module exposes `functions()`; [`all_scalar_functions`] collects
//! them, and the session builder in `rwid-engine` registers that list, so
//! every entry point (CLI, tests, embedding applications) sees the same set.
//! Every function carries `#[user_doc]` documentation that names its source;
//! `docs/functions.md` is generated from it.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};

mod args;
pub mod builtin;
pub mod clinical;
pub mod dicom;
pub mod harmonize;
pub mod imaging;
pub mod quantitative;
pub mod recist;

/// rwid's SQL functions as one set: what a session registers and what the
/// lake's views are planned with, so both call the same functions (those
/// reading the rule tables read the same rules).
#[derive(Debug, Clone)]
pub struct Functions {
    pub scalars: Vec<Arc<ScalarUDF>>,
    pub aggregates: Vec<Arc<AggregateUDF>>,
    pub windows: Vec<Arc<WindowUDF>>,
}

impl Functions {
    /// Every function, reading the shipped rule tables.
    pub fn shipped() -> Self {
        Self::with_rules(harmonize::RuleTables::builtin())
    }

    /// Every function, reading `rules` (the shipped tables, or a site's files
    /// in front of them: `RuleTables::with_files`).
    pub fn with_rules(rules: Arc<harmonize::RuleTables>) -> Self {
        let mut scalars = dicom::functions();
        scalars.extend(clinical::functions());
        scalars.extend(recist::functions());
        scalars.extend(harmonize::functions(Arc::clone(&rules)));
        scalars.extend(quantitative::functions(rules));
        let mut aggregates = builtin::aggregate_functions();
        aggregates.extend(imaging::aggregate_functions());
        aggregates.extend(recist::aggregate_functions());
        aggregates.extend(harmonize::aggregate_functions());
        Self {
            scalars,
            aggregates,
            windows: recist::window_functions(),
        }
    }

    /// Registers every function in `registry`, replacing functions of the
    /// same name (the corrected `min` and `max` replace DataFusion's).
    pub fn register(&self, registry: &mut dyn FunctionRegistry) -> Result<()> {
        for function in &self.scalars {
            registry.register_udf(Arc::clone(function))?;
        }
        for function in &self.aggregates {
            registry.register_udaf(Arc::clone(function))?;
        }
        for function in &self.windows {
            registry.register_udwf(Arc::clone(function))?;
        }
        Ok(())
    }
}

/// Every scalar function rwid adds to DataFusion's built-ins.
pub fn all_scalar_functions() -> Vec<Arc<ScalarUDF>> {
    Functions::shipped().scalars
}

/// Every aggregate function rwid adds.
pub fn all_aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    Functions::shipped().aggregates
}

/// Every window function rwid adds.
pub fn all_window_functions() -> Vec<Arc<WindowUDF>> {
    Functions::shipped().windows
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
