//! Tables for rwid: DICOM files as tables, the lake catalog that mounts a
//! folder or bucket of Parquet tables as SQL schemas, and the standard schemas
//! those tables follow.

pub mod dicom;
pub mod lake;
pub mod schemas;
