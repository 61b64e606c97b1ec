//! RECIST 1.1 tumour response (Eisenhauer et al., Eur J Cancer 2009) and
//! iRECIST (Seymour et al., Lancet Oncol 2017): the rules in `rules.rs` and
//! `irecist.rs` as plain Rust, and one SQL function per rule.

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};

mod assessments;
mod irecist_best_response;
mod irecist_response;
mod recist11_best_response;
mod recist11_lesion_class;
mod recist11_measurement_mm;
mod recist11_overall_response;
mod recist11_response_dates;
mod recist11_select_targets;
mod recist11_target_response;

pub use irecist_best_response::IrecistBestResponse;
pub use irecist_response::IrecistResponse;
pub use recist11_best_response::Recist11BestResponse;
pub use recist11_lesion_class::Recist11LesionClass;
pub use recist11_measurement_mm::Recist11MeasurementMm;
pub use recist11_overall_response::Recist11OverallResponse;
pub use recist11_response_dates::Recist11ResponseDates;
pub use recist11_select_targets::Recist11SelectTargets;
pub use recist11_target_response::Recist11TargetResponse;

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
