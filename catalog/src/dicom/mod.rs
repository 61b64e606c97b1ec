//! DICOM files as SQL tables: one row per file (SOP instance), one column per
//! header attribute, read header-only.
//!
//! Headers are read by `rwid-dicom`; this module makes tables of them:
//!
//! - `columns.rs`: a table's columns, named by DICOM keyword, typed by VR;
//! - `batch.rs`: headers to Arrow record batches;
//! - `scan.rs`: the execution plan that reads many files at a time;
//! - `format.rs`: the `dicom` file format, for listing tables and `FileScanConfig`s;
//! - `ingest.rs`: the incremental Parquet index (`rwid ingest`);
//! - `sr.rs`, `sr_table.rs`: SR measurement reports (TID 1500) as rows (`read_dicom_sr`);
//! - `rollups.rs`: the series and study grain (`dicom_series`, `dicom_studies`);
//! - `table.rs`: the table provider, the `read_dicom` table function and the
//!   `STORED AS DICOM` table factory.

pub mod batch;
pub mod columns;
pub mod format;
pub mod ingest;
pub mod rollups;
pub mod scan;
pub mod sr_table;
pub mod table;

pub use format::{DicomFormat, DicomFormatFactory, DicomSource};
pub use rollups::{DicomSeries, DicomStudies};
pub use rwid_dicom::CustomAttribute;
pub use scan::{DicomFile, DicomScanExec, OnError};
pub use sr_table::ReadDicomSr;
pub use table::{DicomTable, DicomTableFactory, ReadDicom};

/// rwid's DICOM table functions: name, implementation and reference
/// documentation (all of rwid's: `crate::table_functions`).
pub fn table_functions() -> Vec<(
    &'static str,
    std::sync::Arc<dyn datafusion::catalog::TableFunctionImpl>,
    &'static datafusion::logical_expr::Documentation,
)> {
    use std::sync::Arc;
    vec![
        (
            "read_dicom",
            Arc::new(ReadDicom),
            ReadDicom::documentation(),
        ),
        (
            "read_dicom_sr",
            Arc::new(ReadDicomSr),
            ReadDicomSr::documentation(),
        ),
        (
            "dicom_series",
            Arc::new(DicomSeries),
            DicomSeries::documentation(),
        ),
        (
            "dicom_studies",
            Arc::new(DicomStudies),
            DicomStudies::documentation(),
        ),
    ]
}
