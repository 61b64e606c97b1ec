//! Functions that decode DICOM value representations (PS3.5 §6.2) the way
//! real archives write them, for use on header tables. The parsing itself
//! lives in `rwid_dicom::values`, shared with the DICOM scan.

use std::sync::Arc;

use datafusion::logical_expr::ScalarUDF;

mod dicom_age_years;
mod dicom_date;
mod dicom_uid_id;

pub use dicom_age_years::DicomAgeYears;
pub use dicom_date::DicomDate;
pub use dicom_uid_id::DicomUidId;

/// The DICOM family's functions.
pub fn functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ScalarUDF::from(DicomDate::new())),
        Arc::new(ScalarUDF::from(DicomAgeYears::new())),
        Arc::new(ScalarUDF::from(DicomUidId::new())),
    ]
}
