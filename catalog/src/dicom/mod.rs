//! DICOM files as SQL tables: one row per file (SOP instance), one column per
//! header attribute, read header-only.
//!
//! - `attributes.rs`: the default columns, named by DICOM keyword, typed by VR;
//! - `values.rs`: lenient parsing of DA, TM and AS values;
//! - `dataset.rs`: a lenient walker finding each element's value in a file's bytes;
//! - `header.rs`: reading one header from a file's first bytes, and typed values;
//! - `json.rs`: a header as DICOM JSON (the `dicom_json` column);
//! - `batch.rs`: headers to Arrow record batches;
//! - `scan.rs`: the execution plan that reads many files at a time;
//! - `format.rs`: the `dicom` file format, for listing tables and `FileScanConfig`s;
//! - `ingest.rs`: the incremental Parquet index (`rwid ingest`);
//! - `sr.rs`, `sr_table.rs`: SR measurement reports (TID 1500) as rows (`read_dicom_sr`);
//! - `rollups.rs`: the series and study grain (`dicom_series`, `dicom_studies`);
//! - `table.rs`: the table provider, the `read_dicom` table function and the
//!   `STORED AS DICOM` table factory.

pub mod attributes;
pub mod batch;
pub mod dataset;
pub mod format;
pub mod header;
pub mod ingest;
pub mod json;
pub mod rollups;
pub mod scan;
pub mod sr;
pub mod sr_table;
pub mod table;
pub mod values;

pub use attributes::CustomAttribute;
pub use format::{DicomFormat, DicomFormatFactory, DicomSource};
pub use rollups::{DicomSeries, DicomStudies};
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
