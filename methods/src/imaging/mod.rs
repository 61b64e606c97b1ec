//! Checks of image series.

pub mod volume;
