//! DICOM headers as a table from Rust: register a folder (or `s3://` prefix)
//! of DICOM files as a named table and query it.
//!
//! ```sh
//! cargo run --release -- demo                       # writes ./demo-lake once
//! cargo run --release --example read_dicom -- ./demo-lake/dicom
//! ```

use std::sync::Arc;

use rwid::catalog::dicom::{DicomTable, OnError};
use rwid::datafusion::arrow::util::pretty::print_batches;
use rwid::datafusion::error::Result;
use rwid::{RwidConfig, RwidContext};

#[tokio::main]
async fn main() -> Result<()> {
    let location = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "demo-lake/dicom".to_string());
    let ctx = RwidContext::new(RwidConfig::default()).await?;

    // The provider behind `read_dicom` and `STORED AS DICOM`; unreadable files
    // are left out here, as with `OPTIONS ('dicom.on_error' 'skip')`.
    let scans = DicomTable::try_new(&[location], &[], &[], OnError::Skip)?;
    ctx.session().register_table("scans", Arc::new(scans))?;

    // One row per series, the grain IDC's index uses.
    let batches = ctx
        .sql(
            "SELECT PatientID, StudyDate, Modality, SeriesDescription,
                    count(*) AS instances, min(SliceThickness) AS slice_thickness_mm
             FROM scans
             GROUP BY PatientID, StudyDate, Modality, SeriesInstanceUID, SeriesDescription
             ORDER BY PatientID, StudyDate, Modality LIMIT 10",
        )
        .await?
        .collect()
        .await?;
    print_batches(&batches)?;
    Ok(())
}
