//! The vocabularies a check is filed under: the five requirements of
//! fitness for purpose, Kahn et al.'s data-quality categories, the FDA
//! RWE guidance's reliability and relevance aspects, and the EMA Data
//! Quality Framework's dimensions (`../shared/docs/domain-rules.md` §9).

use serde::{Deserialize, Serialize};

/// The five things real-world imaging data must be, at once, to be fit for
/// a stated context of use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// Context-specific validation: technical (acquisition, geometry),
    /// biological and clinical (response criteria, equations, methods).
    Validation,
    /// Relevance and reliability: the right patients, exposures, outcomes
    /// and covariates, one definition applied the same way at every site,
    /// enough of them.
    RelevanceReliability,
    /// Standardization balanced with real-world variability: scanners and
    /// protocols harmonized where needed, diversity kept.
    StandardizationVariability,
    /// Accuracy and completeness: conformance, completeness, plausibility.
    AccuracyCompleteness,
    /// Alignment with regulatory frameworks: context of use, provenance,
    /// de-identification.
    RegulatoryAlignment,
}

impl Requirement {
    pub const ALL: [Requirement; 5] = [
        Requirement::Validation,
        Requirement::RelevanceReliability,
        Requirement::StandardizationVariability,
        Requirement::AccuracyCompleteness,
        Requirement::RegulatoryAlignment,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Requirement::Validation => "validation",
            Requirement::RelevanceReliability => "relevance_reliability",
            Requirement::StandardizationVariability => "standardization_variability",
            Requirement::AccuracyCompleteness => "accuracy_completeness",
            Requirement::RegulatoryAlignment => "regulatory_alignment",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Requirement::Validation => "Context-specific validation",
            Requirement::RelevanceReliability => "Relevance and reliability",
            Requirement::StandardizationVariability => "Standardization and variability",
            Requirement::AccuracyCompleteness => "Accuracy and completeness",
            Requirement::RegulatoryAlignment => "Regulatory alignment",
        }
    }
}

/// Kahn et al. 2016's categories and subcategories (eGEMs 4(1):1244).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kahn {
    ConformanceValue,
    ConformanceRelational,
    ConformanceComputational,
    Completeness,
    PlausibilityUniqueness,
    PlausibilityAtemporal,
    PlausibilityTemporal,
}

impl Kahn {
    /// (category, subcategory) as Kahn names them.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Kahn::ConformanceValue => ("Conformance", "Value"),
            Kahn::ConformanceRelational => ("Conformance", "Relational"),
            Kahn::ConformanceComputational => ("Conformance", "Computational"),
            Kahn::Completeness => ("Completeness", ""),
            Kahn::PlausibilityUniqueness => ("Plausibility", "Uniqueness"),
            Kahn::PlausibilityAtemporal => ("Plausibility", "Atemporal"),
            Kahn::PlausibilityTemporal => ("Plausibility", "Temporal"),
        }
    }
}

/// The FDA RWE guidance's aspects of reliability and relevance (Framework
/// for FDA's RWE Program 2018; RWD from EHR and claims, 2024).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FdaAspect {
    /// Reliability: how the data were accrued (capture, linkage, timing).
    Accrual,
    /// Reliability: traceability to the source records.
    Provenance,
    /// Reliability: accuracy, completeness, consistency.
    DataQuality,
    /// Relevance: key data elements and enough representative patients.
    Relevance,
}

/// The EMA Data Quality Framework's dimensions (EMA/326985/2023).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmaDimension {
    Reliability,
    Extensiveness,
    Coherence,
    Timeliness,
    Relevance,
}
