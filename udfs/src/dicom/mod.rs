//! Functions that decode DICOM value representations (PS3.5 §6.2) the way
//! real archives write them, for use on header tables. The parsing itself
//! lives in `rwid_dicom::values`, shared with the DICOM scan.

use std::sync::Arc;

use datafusion::logical_expr::ScalarUDF;

mod age;
mod date;
mod uid_id;

pub use age::DicomAgeYears;
pub use date::DicomDate;
pub use uid_id::DicomUidId;

/// The DICOM family's functions.
pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ScalarUDF::from(DicomDate::new())),
        Arc::new(ScalarUDF::from(DicomAgeYears::new())),
        Arc::new(ScalarUDF::from(DicomUidId::new())),
    ]
}
