//! Functions that decode DICOM value representations (PS3.5 §6.2) the way
//! real archives write them, for use on header tables.

use std::sync::Arc;

use datafusion::logical_expr::ScalarUDF;

mod age;
mod date;

pub use age::{DicomAgeYears, parse_age_string};
pub use date::{DicomDate, parse_date_string};

/// The DICOM family's functions.
pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ScalarUDF::from(DicomDate::new())),
        Arc::new(ScalarUDF::from(DicomAgeYears::new())),
    ]
}
