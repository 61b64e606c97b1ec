//! DICOM headers, read the way an index of an archive needs them: from a
//! file's first bytes, leniently, without decoding pixel data, and without
//! DataFusion (rwid-catalog turns them into tables).
//!
//! - [`dataset`]: a walker finding each data element's value in the bytes,
//!   in any of the uncompressed transfer syntaxes, and through sequences;
//! - [`header`]: one file's header, and the typed values of its attributes;
//! - [`values`]: lenient parsing of DA, TM and AS values;
//! - [`json`]: a header as DICOM JSON (PS3.18 F.2);
//! - [`sr`]: the measurements of an SR measurement report (TID 1500);
//! - [`uid`]: stable integer identifiers for UIDs;
//! - [`attributes`]: the attributes an index keeps by default, and those a
//!   user names by keyword or tag.

pub mod attributes;
pub mod dataset;
pub mod header;
pub mod json;
pub mod sr;
pub mod uid;
pub mod values;

pub use attributes::{Attribute, CURATED, CustomAttribute, ValueType};
pub use header::{DicomHeader, HeaderError, Value};
