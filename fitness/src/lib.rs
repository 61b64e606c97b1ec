//! Fit-for-purpose assessment of a lake for a stated context of use.
//!
//! A **profile** ([`profile`], a versioned TOML file) states the purpose
//! and what it needs: the study elements as SQL over the lake, the imaging,
//! the variability to keep or control, the sample size. The
//! **catalogue** ([`catalogue`]) compiles it into checks, each filed under
//! one of the five requirements ([`requirement`]) with its Kahn category,
//! FDA aspect and EMA dimension. The **runner** ([`run`]) runs them on the
//! lake, keeps the rows behind every failure, builds the per-patient record
//! and attrition ([`patients`]), and rolls the checks up into verdicts
//! ([`verdict`]); [`figures`] keeps the tables its charts draw; [`compare`] sets a run beside an earlier one and
//! [`output`] writes the results as JSON and Parquet. `assess('PROFILE')`
//! ([`table_function`]) runs a profile from SQL.
//!
//! The frameworks behind the checks: SPIFD/SPIFD2 (Gatto et al. 2022,
//! 2023), the FDA RWE guidance (2018 framework; RWD from EHR and claims,
//! 2024), the FDA-NIH BEST glossary, Kahn et al. 2016's data-quality terms,
//! OHDSI's DataQualityDashboard, IDC's series geometry flags, DICOM PS3.15's
//! de-identification profile, and the EMA Data Quality Framework.

pub mod catalogue;
pub mod check;
pub mod compare;
pub mod figures;
pub mod inputs;
pub mod output;
pub mod patients;
pub mod profile;
pub mod requirement;
pub mod run;
pub mod shipped;
pub mod sql;
pub mod table_function;
pub mod verdict;

pub use profile::{Profile, ProfileError, ProfileSource};
pub use run::{Assessment, assess, compile};
pub use shipped::read_profile;
pub use table_function::Assess;
