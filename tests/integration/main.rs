//! rwid's integration tests, in one binary: every test binary links all of
//! DataFusion, so one binary links it once. A module per area; `support`
//! holds what several share.
//!
//! `cargo test --test integration AREA::` runs one area (`slt::`,
//! `differential::`, `read_dicom::`, ...).

mod support;

mod cli;
mod combat_neurocombat;
mod demo_lake;
mod dependencies;
mod differential;
mod fitness;
mod functions_doc;
mod highdicom_agreement;
mod lake_catalog;
mod lake_check;
mod lake_manifest;
mod physical_rules;
mod pydicom_agreement;
mod read_dicom;
mod recist_lake;
mod report;
mod run_scan;
mod s3_lake;
mod slt;
mod vocabulary;
