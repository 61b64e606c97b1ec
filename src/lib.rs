//! rwid: an embedded analytical SQL engine for real-world imaging data.
//!
//! This crate is the `rwid` command-line tool and a facade over the
//! workspace's crates:
//! - [`engine`]: builds the DataFusion session ([`RwidContext`], [`session_state`]);
//! - [`udfs`]: rwid's SQL functions;
//! - [`catalog`]: the lake catalog and the standard table schemas;
//! - [`fitness`]: fit-for-purpose assessment, and [`report`] its HTML report.
//!
//! [`demo`] generates the demo lake; [`cli`] is the `rwid` command, whose
//! `rwid demo` runs the showcase queries on it.

pub use rwid_catalog as catalog;
pub use rwid_cohort as cohort;
pub use rwid_demo as demo;
pub use rwid_dicom as dicom;
pub use rwid_engine as engine;
pub use rwid_engine::{RwidConfig, RwidContext, datafusion, session_state};
pub use rwid_fitness as fitness;
pub use rwid_methods as methods;
pub use rwid_report as report;
pub use rwid_udfs as udfs;

pub mod cli;
pub mod docs;
