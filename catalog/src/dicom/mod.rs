//! DICOM files as SQL tables: one row per file (SOP instance), one column per
//! header attribute, read header-only.
//!
//! - `attributes.rs`: the default columns, named by DICOM keyword, typed by VR;
//! - `values.rs`: lenient parsing of DA, TM and AS values;
//! - `header.rs`: reading one header from a file's first bytes;
//! - `batch.rs`: headers to Arrow record batches;
//! - `scan.rs`: the execution plan that reads many files at a time;
//! - `ingest.rs`: the incremental Parquet index (`rwid ingest`);
//! - `table.rs`: the table provider, the `read_dicom` table function and the
//!   `STORED AS DICOM` table factory.

pub mod attributes;
pub mod batch;
pub mod header;
pub mod ingest;
pub mod scan;
pub mod table;
pub mod values;

pub use attributes::CustomAttribute;
pub use scan::{DicomFile, DicomScanExec, OnError};
pub use table::{DicomTable, DicomTableFactory, ReadDicom};
