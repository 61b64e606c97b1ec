//! DICOM files as SQL tables: one row per file (SOP instance), one column
//! per header attribute, read header-only. The headers are read by
//! `rwid-dicom`; this module is the DataFusion data source around it, in
//! DataFusion's own vocabulary:
//!
//! - `columns.rs`: a table's columns, named by DICOM keyword, typed by VR;
//! - `listing.rs`: the files under a table's locations;
//! - `reader.rs`: one file's header, read with ranged reads, and what to do
//!   when it cannot be read;
//! - `batch.rs`: headers to Arrow record batches;
//! - `exec.rs`: [`DicomScanExec`], the scan that reads many files at a time
//!   per partition and emits batches of the session's size;
//! - `table/`: the tables and table functions (`read_dicom`,
//!   `read_dicom_sr`, `dicom_series`, `dicom_studies`, `STORED AS DICOM`);
//! - `file_format.rs`, `source.rs`, `opener.rs`: the `dicom` file format;
//! - `ingest.rs`: the incremental Parquet index (`rwid ingest`).
//!
//! Which read path runs when: every table rwid itself makes (`read_dicom`,
//! `STORED AS DICOM`, a lake's live `imaging.instances`, the rollups) is a
//! [`DicomTable`], whose scan is a [`DicomScanExec`]. The `dicom` file
//! format serves code that works with formats rather than tables: a
//! `ListingTable` built in Rust plans the same [`DicomScanExec`]
//! (its `FileFormat::create_physical_plan`), while a plan that carries a
//! `FileScanConfig` (`DataSourceExec`, as Ballista ships plans) reads
//! through [`DicomSource`] and its opener, one file per batch.

pub mod batch;
pub mod columns;
pub mod exec;
pub mod file_format;
pub mod ingest;
pub mod listing;
pub mod opener;
pub mod reader;
pub mod source;
pub mod table;

pub use exec::DicomScanExec;
pub use file_format::{DicomFormat, DicomFormatFactory};
pub use reader::{DicomFile, OnError};
pub use rwid_dicom::CustomAttribute;
pub use source::DicomSource;
pub use table::{DicomSeries, DicomStudies, DicomTable, DicomTableFactory, ReadDicom, ReadDicomSr};

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
