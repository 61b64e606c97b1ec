//! Functions over image series: geometry and acquisition checks.

use std::sync::Arc;

use datafusion::logical_expr::AggregateUDF;

mod dicom_volume_check;

pub use dicom_volume_check::VolumeCheckUdaf;

/// The imaging family's aggregate functions.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![Arc::new(AggregateUDF::from(VolumeCheckUdaf::new()))]
}
