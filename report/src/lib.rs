//! Reports as one self-contained HTML file: the fit-for-purpose
//! assessment ([`assessment_report`]), a lake's conformance
//! ([`lake_check_report`]) and a cohort's attrition ([`attrition_report`]).
//!
//! A report needs nothing but a browser: the style, the page's script and
//! the chart libraries (vega, vega-lite and vega-embed, pinned in
//! `assets/vendor/VERSIONS`) are inlined, and the page makes no request.
//! Charts are Vega-Lite specifications ([`chart`]) with the numbers beside
//! them; pages are minijinja templates (`templates/`, [`page`]); counts can
//! be suppressed under a bound so that a report can leave the institution
//! ([`suppress`]). Why these libraries: `docs/report.md`.
//!
//! Rendering is pure: the assessment, findings or attrition in, the page
//! out. The figures the charts draw were computed by the assessment
//! itself ([`rwid_fitness::figures`]).

pub mod assessment;
pub mod attrition;
pub mod chart;
pub mod lake_check;
pub mod page;
pub mod suppress;

pub use assessment::{ReportOptions, assessment_report};
pub use attrition::{FlowStep, attrition_report};
pub use lake_check::lake_check_report;
pub use page::ReportError;
