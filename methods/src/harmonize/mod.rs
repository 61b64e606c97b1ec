//! Scanner harmonization: scanner metadata made comparable across sites
//! (vendor, model, kernel, body part, acquisition classes) by rule tables
//! users extend, and the batch effect measured (ANOVA) and removed (ComBat).

pub mod acquisition;
pub mod anova;
pub mod body_parts;
pub mod combat;
pub mod kernels;
pub mod vendors;
