//! The demo lake's `clinical.concept` and `clinical.concept_relationship`:
//! a row for every concept the demo's tables name.
//!
//! Standard concepts are the OHDSI vocabulary's, each fact (id, name,
//! domain, vocabulary, class, standard flag, code, validity dates) as seen
//! in a public OHDSI file (`../shared/vocabulary/` lists the files; a test
//! compares these facts with it when it is present). A fact no such file
//! gives is left empty here, never filled in: complete those rows from an
//! Athena download before relying on them (the lake check reports them).
//!
//! Source codes without a verified standard concept (the demo's LOINC
//! smoking codes, its ICD-O-3 morphologies, PD-L1 and EGFR results, the
//! imaging sites' SUVR and LVEF records) get local concepts, with ids above
//! 2,000,000,000 as the CDM reserves for site-local concepts, vocabulary
//! `RWID Demo`, carrying the source code; the rows that use them keep
//! concept 0 as their standard concept and point to the local concept as
//! their source concept.

/// One concept row; `None` where no verified file gives the fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConceptFact {
    pub id: i64,
    pub name: &'static str,
    pub domain: Option<&'static str>,
    pub vocabulary: &'static str,
    pub class: Option<&'static str>,
    pub standard: Option<&'static str>,
    pub code: Option<&'static str>,
    /// YYYYMMDD.
    pub valid_start: Option<&'static str>,
    pub valid_end: Option<&'static str>,
}

// One argument per column of the concept table.
#[allow(clippy::too_many_arguments)]
const fn fact(
    id: i64,
    name: &'static str,
    domain: Option<&'static str>,
    vocabulary: &'static str,
    class: Option<&'static str>,
    standard: Option<&'static str>,
    code: Option<&'static str>,
    valid: Option<(&'static str, &'static str)>,
) -> ConceptFact {
    let (valid_start, valid_end) = match valid {
        Some((start, end)) => (Some(start), Some(end)),
        None => (None, None),
    };
    ConceptFact {
        id,
        name,
        domain,
        vocabulary,
        class,
        standard,
        code,
        valid_start,
        valid_end,
    }
}

const S: Option<&str> = Some("S");
const ALWAYS: Option<(&str, &str)> = Some(("19700101", "20991231"));
const SNOMED_2002: Option<(&str, &str)> = Some(("20020131", "20991231"));

/// The standard (and a few source) concepts the demo's rows name.
pub const VERIFIED: &[ConceptFact] = &[
    fact(
        0,
        "No matching concept",
        Some("Metadata"),
        "None",
        Some("Undefined"),
        None,
        Some("No matching concept"),
        ALWAYS,
    ),
    fact(
        8507,
        "MALE",
        Some("Gender"),
        "Gender",
        Some("Gender"),
        S,
        Some("M"),
        ALWAYS,
    ),
    fact(
        8532,
        "FEMALE",
        Some("Gender"),
        "Gender",
        Some("Gender"),
        S,
        Some("F"),
        ALWAYS,
    ),
    fact(
        8527,
        "White",
        Some("Race"),
        "Race",
        Some("Race"),
        S,
        Some("5"),
        ALWAYS,
    ),
    fact(
        8515,
        "Asian",
        Some("Race"),
        "Race",
        Some("Race"),
        S,
        Some("2"),
        ALWAYS,
    ),
    fact(
        8516,
        "Black or African American",
        Some("Race"),
        "Race",
        Some("Race"),
        S,
        Some("3"),
        None,
    ),
    fact(
        38003563,
        "Hispanic or Latino",
        Some("Ethnicity"),
        "Ethnicity",
        Some("Ethnicity"),
        S,
        Some("Hispanic"),
        ALWAYS,
    ),
    fact(
        38003564,
        "Not Hispanic or Latino",
        Some("Ethnicity"),
        "Ethnicity",
        Some("Ethnicity"),
        S,
        Some("Not Hispanic"),
        ALWAYS,
    ),
    fact(
        32817,
        "EHR",
        Some("Type Concept"),
        "Type Concept",
        Some("Type Concept"),
        S,
        Some("OMOP4976890"),
        None,
    ),
    fact(
        32818,
        "EHR administration record",
        Some("Type Concept"),
        "Type Concept",
        Some("Type Concept"),
        S,
        None,
        None,
    ),
    fact(
        32856,
        "Lab",
        Some("Type Concept"),
        "Type Concept",
        Some("Type Concept"),
        S,
        Some("OMOP4976929"),
        None,
    ),
    fact(
        32879,
        "Registry",
        Some("Type Concept"),
        "Type Concept",
        Some("Type Concept"),
        S,
        None,
        None,
    ),
    fact(
        4115276,
        "Non-small cell lung cancer",
        Some("Condition"),
        "SNOMED",
        Some("Clinical Finding"),
        S,
        Some("254637007"),
        SNOMED_2002,
    ),
    fact(
        4112853,
        "Malignant tumor of breast",
        Some("Condition"),
        "SNOMED",
        Some("Clinical Finding"),
        S,
        Some("254837009"),
        SNOMED_2002,
    ),
    fact(
        378419,
        "Alzheimer's disease",
        Some("Condition"),
        "SNOMED",
        Some("Clinical Finding"),
        S,
        Some("26929004"),
        SNOMED_2002,
    ),
    fact(
        316139,
        "Heart failure",
        Some("Condition"),
        "SNOMED",
        Some("Clinical Finding"),
        S,
        Some("84114007"),
        SNOMED_2002,
    ),
    fact(
        320128,
        "Essential hypertension",
        Some("Condition"),
        "SNOMED",
        Some("Clinical Finding"),
        S,
        Some("59621000"),
        SNOMED_2002,
    ),
    fact(
        201826,
        "Type 2 diabetes mellitus",
        Some("Condition"),
        "SNOMED",
        Some("Clinical Finding"),
        S,
        Some("44054006"),
        SNOMED_2002,
    ),
    fact(
        45775965,
        "pembrolizumab",
        Some("Drug"),
        "RxNorm",
        Some("Ingredient"),
        S,
        Some("1547545"),
        None,
    ),
    fact(
        45892628,
        "nivolumab",
        Some("Drug"),
        "RxNorm",
        Some("Ingredient"),
        S,
        Some("1597876"),
        None,
    ),
    fact(
        1344905,
        "carboplatin",
        Some("Drug"),
        "RxNorm",
        Some("Ingredient"),
        S,
        Some("40048"),
        None,
    ),
    fact(
        1304919,
        "pemetrexed",
        Some("Drug"),
        "RxNorm",
        Some("Ingredient"),
        S,
        Some("68446"),
        None,
    ),
    fact(
        1378382,
        "paclitaxel",
        Some("Drug"),
        "RxNorm",
        Some("Ingredient"),
        S,
        Some("56946"),
        None,
    ),
    fact(
        1350504,
        "etoposide",
        Some("Drug"),
        "RxNorm",
        Some("Ingredient"),
        S,
        Some("4179"),
        None,
    ),
    fact(
        1387104,
        "trastuzumab",
        Some("Drug"),
        "RxNorm",
        Some("Ingredient"),
        S,
        Some("224905"),
        None,
    ),
    fact(
        715997,
        "donepezil",
        Some("Drug"),
        "RxNorm",
        Some("Ingredient"),
        S,
        Some("135447"),
        ALWAYS,
    ),
    fact(
        956874,
        "furosemide",
        Some("Drug"),
        "RxNorm",
        Some("Ingredient"),
        S,
        Some("4603"),
        None,
    ),
    fact(
        1503297,
        "metformin",
        Some("Drug"),
        "RxNorm",
        Some("Ingredient"),
        S,
        Some("6809"),
        None,
    ),
    fact(
        1308216,
        "lisinopril",
        Some("Drug"),
        "RxNorm",
        Some("Ingredient"),
        S,
        Some("29046"),
        ALWAYS,
    ),
    fact(
        45884084,
        "Positive",
        Some("Meas Value"),
        "LOINC",
        None,
        None,
        Some("LA6576-8"),
        None,
    ),
    fact(
        45878583,
        "Negative",
        Some("Meas Value"),
        "LOINC",
        None,
        None,
        Some("LA6577-6"),
        None,
    ),
    // The SNOMED morphologies the local ICD-O-3 concepts map to.
    fact(
        4262123,
        "Adenocarcinoma",
        None,
        "SNOMED",
        None,
        None,
        Some("35917007"),
        None,
    ),
    fact(
        4103543,
        "Squamous cell carcinoma",
        None,
        "SNOMED",
        None,
        None,
        Some("28899001"),
        None,
    ),
    fact(
        4028533,
        "Non-small cell carcinoma",
        None,
        "SNOMED",
        None,
        None,
        Some("128632008"),
        None,
    ),
    fact(
        4331315,
        "Large cell carcinoma",
        None,
        "SNOMED",
        None,
        None,
        Some("22687000"),
        None,
    ),
    fact(
        4252582,
        "Small cell carcinoma",
        None,
        "SNOMED",
        None,
        None,
        Some("74364000"),
        None,
    ),
    fact(
        4221403,
        "Infiltrating duct carcinoma",
        None,
        "SNOMED",
        None,
        None,
        Some("82711006"),
        None,
    ),
];

/// The vocabulary of the demo's local concepts.
pub const LOCAL_VOCABULARY: &str = "RWID Demo";

/// The first local concept id: the CDM reserves ids above 2,000,000,000
/// for site-local concepts.
pub const FIRST_LOCAL_ID: i64 = 2_000_000_001;

/// Local source concepts: (source code, name, domain, SNOMED concept it
/// maps to per the OHDSI ICD-O-3 mapping source, if any).
const LOCAL: &[(&str, &str, &str, Option<i64>)] = &[
    (
        "8664-5",
        "Cigarettes smoked total (pack per year)",
        "Measurement",
        None,
    ),
    ("64218-1", "Cigarettes smoked per day", "Observation", None),
    ("88029-4", "Tobacco use duration", "Observation", None),
    (
        "PD-L1 TPS",
        "PD-L1 tumor proportion score (22C3)",
        "Measurement",
        None,
    ),
    ("EGFR", "EGFR gene mutation analysis", "Measurement", None),
    (
        "amyloid PET SUVR",
        "Amyloid PET SUVR (florbetapir)",
        "Measurement",
        None,
    ),
    (
        "LVEF (short-axis method of disks)",
        "LVEF by cardiac MR, short-axis method of disks",
        "Measurement",
        None,
    ),
    (
        "LVEF (visual estimate)",
        "LVEF, visual estimate",
        "Measurement",
        None,
    ),
    ("8140/3", "Adenocarcinoma, NOS", "Condition", Some(4262123)),
    (
        "8070/3",
        "Squamous cell carcinoma, NOS",
        "Condition",
        Some(4103543),
    ),
    (
        "8046/3",
        "Non-small cell carcinoma",
        "Condition",
        Some(4028533),
    ),
    (
        "8012/3",
        "Large cell carcinoma, NOS",
        "Condition",
        Some(4331315),
    ),
    (
        "8041/3",
        "Small cell carcinoma, NOS",
        "Condition",
        Some(4252582),
    ),
    (
        "8500/3",
        "Infiltrating duct carcinoma, NOS",
        "Condition",
        Some(4221403),
    ),
];

/// The local concept carrying `source_code`, if the demo has one.
pub fn local_concept(source_code: &str) -> Option<i64> {
    LOCAL
        .iter()
        .position(|(code, ..)| *code == source_code)
        .map(|index| FIRST_LOCAL_ID + index as i64)
}

/// Every local concept, as rows.
pub fn local_concepts() -> Vec<ConceptFact> {
    LOCAL
        .iter()
        .enumerate()
        .map(|(index, (code, name, domain, _))| ConceptFact {
            id: FIRST_LOCAL_ID + index as i64,
            name,
            domain: Some(domain),
            vocabulary: LOCAL_VOCABULARY,
            class: Some("Local"),
            standard: None,
            code: Some(code),
            valid_start: Some("19700101"),
            valid_end: Some("20991231"),
        })
        .collect()
}

/// "Maps to" pairs among the verified concepts, as OHDSI's vocabulary
/// files give them (a standard concept maps to itself).
pub const VERIFIED_MAPS_TO: &[(i64, i64)] = &[
    (38003563, 38003563),
    (38003564, 38003564),
    (4115276, 4115276),
    (4112853, 4112853),
    (378419, 378419),
    (316139, 316139),
    (320128, 320128),
    (201826, 201826),
    (1308216, 1308216),
];

/// Every `Maps to` row: the verified ones, and each local ICD-O-3 concept
/// to its SNOMED morphology.
pub fn maps_to() -> Vec<(i64, i64)> {
    let mut pairs = VERIFIED_MAPS_TO.to_vec();
    for (index, (_, _, _, target)) in LOCAL.iter().enumerate() {
        if let Some(target) = target {
            pairs.push((FIRST_LOCAL_ID + index as i64, *target));
        }
    }
    pairs
}
