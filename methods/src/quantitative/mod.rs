//! Quantitative imaging: amyloid PET Centiloid (Klunk et al. 2015) and
//! positivity, tau PET staging, LVEF and GLS categories.

pub mod cardiac;
pub mod centiloid;
pub mod pet;
