//! The OMOP vocabulary concepts the demo lake uses.
//!
//! Standard concept ids are the OHDSI vocabulary's (Athena). Where a source
//! code has no standard concept id recorded here, the row carries concept 0
//! ("No matching concept", the CDM convention for unmapped source codes) and
//! the code in its `*_source_value` column, as real unmapped EHR data does.

/// A concept: OMOP id (0 when unmapped), name, and the source code written
/// to `*_source_value`.
#[derive(Debug, Clone, Copy)]
pub struct Concept {
    pub id: i64,
    pub name: &'static str,
    pub source_code: &'static str,
}

const fn concept(id: i64, name: &'static str, source_code: &'static str) -> Concept {
    Concept {
        id,
        name,
        source_code,
    }
}

// Gender, race, ethnicity (OMOP Gender/Race/Ethnicity vocabularies).
pub const MALE: Concept = concept(8507, "MALE", "M");
pub const FEMALE: Concept = concept(8532, "FEMALE", "F");
pub const WHITE: Concept = concept(8527, "White", "2106-3");
pub const BLACK: Concept = concept(8516, "Black or African American", "2054-5");
pub const ASIAN: Concept = concept(8515, "Asian", "2028-9");
pub const NOT_HISPANIC: Concept = concept(38003564, "Not Hispanic or Latino", "2186-5");
pub const HISPANIC: Concept = concept(38003563, "Hispanic or Latino", "2135-2");

// Provenance (Type Concept vocabulary).
pub const TYPE_EHR: i64 = 32817;
pub const TYPE_LAB: i64 = 32856;
pub const TYPE_REGISTRY: i64 = 32879;

// Conditions: SNOMED standard concepts; source codes are ICD-10-CM.
pub const NSCLC: Concept = concept(4115276, "Non-small cell lung cancer", "C34.90");
/// Small cell lung cancer, recorded by its ICD-10-CM code only: a lung cancer
/// that must not count as NSCLC.
pub const SCLC: Concept = concept(0, "Small cell carcinoma of lung", "C34.90");
pub const BREAST_CANCER: Concept = concept(4112853, "Malignant tumor of breast", "C50.911");
pub const ALZHEIMERS: Concept = concept(378419, "Alzheimer's disease", "G30.9");
pub const HEART_FAILURE: Concept = concept(316139, "Heart failure", "I50.9");
pub const HYPERTENSION: Concept = concept(320128, "Essential hypertension", "I10");
pub const TYPE_2_DIABETES: Concept = concept(201826, "Type 2 diabetes mellitus", "E11.9");

/// ICD-O-3 morphology codes (behaviour /3, malignant) of NSCLC histologies,
/// as tumour registries record them.
pub const NSCLC_HISTOLOGIES: &[(&str, &str)] = &[
    ("8140/3", "Adenocarcinoma, NOS"),
    ("8070/3", "Squamous cell carcinoma, NOS"),
    ("8046/3", "Non-small cell carcinoma"),
    ("8012/3", "Large cell carcinoma, NOS"),
];
pub const SCLC_HISTOLOGY: (&str, &str) = ("8041/3", "Small cell carcinoma, NOS");

// Drugs: RxNorm ingredient standard concepts.
pub const PEMBROLIZUMAB: Concept = concept(45775965, "pembrolizumab", "1547545");
pub const NIVOLUMAB: Concept = concept(45892628, "nivolumab", "1597876");
pub const CARBOPLATIN: Concept = concept(1344905, "carboplatin", "40048");
pub const PEMETREXED: Concept = concept(1304919, "pemetrexed", "68446");
pub const PACLITAXEL: Concept = concept(1378382, "paclitaxel", "56946");
pub const ETOPOSIDE: Concept = concept(1350504, "etoposide", "4179");
pub const TRASTUZUMAB: Concept = concept(1387104, "trastuzumab", "224905");
pub const DONEPEZIL: Concept = concept(715997, "donepezil", "135447");
pub const FUROSEMIDE: Concept = concept(956874, "furosemide", "4603");
pub const METFORMIN: Concept = concept(1503297, "metformin", "6809");
pub const LISINOPRIL: Concept = concept(1308216, "lisinopril", "29046");

// Measurements and observations, by LOINC source code.
/// LOINC 8664-5 "Cigarettes smoked total (pack per year) - Reported".
pub const PACK_YEARS: Concept = concept(0, "Cigarettes smoked total (pack per year)", "8664-5");
/// LOINC 64218-1 "How many cigarettes do you smoke per day now \[PhenX\]".
pub const CIGARETTES_PER_DAY: Concept = concept(0, "Cigarettes smoked per day", "64218-1");
/// LOINC 88029-4 "Tobacco use duration".
pub const YEARS_SMOKED: Concept = concept(0, "Tobacco use duration", "88029-4");
pub const PD_L1_TPS: Concept = concept(0, "PD-L1 tumor proportion score (22C3)", "PD-L1 TPS");
pub const EGFR_MUTATION: Concept = concept(0, "EGFR gene mutation analysis", "EGFR");
/// Quantitative imaging results, by the reading site's own names: no
/// verified standard concept, so concept 0 with the source value.
pub const AMYLOID_SUVR: Concept = concept(0, "Amyloid PET SUVR (florbetapir)", "amyloid PET SUVR");
pub const LVEF_DISKS: Concept = concept(
    0,
    "LVEF by cardiac MR, short-axis method of disks",
    "LVEF (short-axis method of disks)",
);
pub const LVEF_VISUAL: Concept = concept(0, "LVEF, visual estimate", "LVEF (visual estimate)");
/// LOINC answer concepts used as `value_as_concept_id`.
pub const POSITIVE: Concept = concept(45884084, "Positive", "LA6576-8");
pub const NEGATIVE: Concept = concept(45878583, "Negative", "LA6577-6");
