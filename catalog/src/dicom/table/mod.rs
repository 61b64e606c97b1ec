//! The DICOM tables and table functions: [`DicomTable`] (`read_dicom`,
//! `STORED AS DICOM`, a lake's live `imaging.instances`), `read_dicom_sr`
//! over SR measurement reports, and `dicom_series` / `dicom_studies` at
//! IDC's series and study grain.

pub mod arguments;
pub mod factory;
pub mod provider;
pub mod read_dicom;
pub mod read_dicom_sr;
pub mod rollups;

pub use factory::DicomTableFactory;
pub use provider::DicomTable;
pub use read_dicom::ReadDicom;
pub use read_dicom_sr::ReadDicomSr;
pub use rollups::{DicomSeries, DicomStudies};
