//! The published methods behind rwid's SQL functions, as plain Rust: no
//! DataFusion, no Arrow, each tested on its own against its paper's
//! examples or its reference implementation's output (`rwid-udfs` wraps
//! each as a SQL function).
//!
//! - [`recist`]: RECIST 1.1 (Eisenhauer et al. 2009) and iRECIST (Seymour
//!   et al. 2017) tumour response;
//! - [`harmonize`]: scanner vendor, model, kernel and body part
//!   normalization, acquisition classes, ComBat (Johnson et al. 2007, as
//!   neuroCombat fits it) and batch-effect ANOVA;
//! - [`quantitative`]: Centiloid equations, PET positivity and staging,
//!   LVEF and GLS categories;
//! - [`clinical`]: pack-years from packs per day and years smoked;
//! - [`imaging`]: the geometry of an image series (gaps, spacing, order);
//! - [`statistics`]: Wilson score intervals, chi-square and Cramér's V, as
//!   a fit-for-purpose assessment reports them;
//! - [`rule_tables`]: the versioned rule files (`methods/rules/*.toml`)
//!   these read, and users extend; [`rule_source`]: where a table's rules
//!   came from, and a rule file's errors.

pub mod clinical;
pub mod harmonize;
pub mod imaging;
pub mod quantitative;
pub mod recist;
pub mod rule_source;
pub mod rule_tables;
pub mod statistics;

pub use rule_source::{RuleError, RuleSource};
pub use rule_tables::RuleTables;
