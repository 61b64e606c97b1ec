//! Context-of-use profiles: what a study needs of a lake, as a versioned
//! TOML file (the format is `docs/fitness.md`; `fitness/profiles/` ships
//! one per indication). Unknown keys are refused, and every error names the
//! file, the line and the key.
//!
//! A profile states the purpose (SPIFD2's decision and BEST's context of
//! use), the study elements as SQL over the lake (SPIFD2's rows: inclusion
//! and exclusion criteria, exposure, comparator, outcomes, covariates,
//! follow-up), the imaging the study needs, the variability it must keep or
//! control, the sample size, and how failed checks decide the verdict.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The profile format this rwid reads (`format = 1`).
pub const FORMAT: u32 = 1;

/// A parsed profile with its text, as provenance records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The profile format, [`FORMAT`].
    pub format: u32,
    /// Letters, digits and underscores: names the derived tables.
    pub id: String,
    /// The profile's own version.
    pub version: String,
    pub title: String,
    pub purpose: Purpose,
    /// Who counts: the population and each person's site.
    #[serde(default)]
    pub population: Population,
    #[serde(rename = "element")]
    pub elements: Vec<Element>,
    pub imaging: Option<Imaging>,
    pub variability: Option<Variability>,
    pub sample_size: SampleSize,
    #[serde(default)]
    pub verdict: VerdictRule,
}

/// The decision the data would support, and its context of use.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Purpose {
    /// The decision, in a sentence (SPIFD2's research question).
    pub decision: String,
    /// What the evidence is for: trial design, an external control arm,
    /// biomarker discovery, regulatory evidence...
    pub intended_use: String,
    pub context_of_use: ContextOfUse,
    pub index_date: IndexDate,
}

/// The context of use in the terms of the FDA-NIH BEST glossary.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextOfUse {
    pub biomarker_category: BiomarkerCategory,
    /// The biomarker or measurement the context of use is about.
    pub biomarker: String,
    /// BEST's "statement that fully and clearly describes" the use.
    pub statement: String,
}

/// BEST's seven biomarker categories (FDA-NIH Biomarker Working Group,
/// BEST Resource, NBK326791).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BiomarkerCategory {
    SusceptibilityRisk,
    Diagnostic,
    Monitoring,
    Prognostic,
    Predictive,
    PharmacodynamicResponse,
    Safety,
}

/// Each person's index date: a query returning `person_id, index_date`
/// (the earliest per person counts).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexDate {
    pub description: String,
    pub sql: String,
}

/// The persons an assessment counts and where each was seen.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    /// A query returning `person_id`: everyone the data holds.
    #[serde(default = "Population::default_sql")]
    pub sql: String,
    /// A query returning `person_id, site`; the smallest site per person
    /// counts. Per-site figures group by it.
    #[serde(default = "Population::default_site_sql")]
    pub site_sql: String,
}

impl Population {
    fn default_sql() -> String {
        "SELECT person_id FROM clinical.person".to_string()
    }
    fn default_site_sql() -> String {
        "SELECT person_id, site FROM imaging.patient_link".to_string()
    }
}

impl Default for Population {
    fn default() -> Self {
        Self {
            sql: Self::default_sql(),
            site_sql: Self::default_site_sql(),
        }
    }
}

/// What a study element is, as SPIFD2's template rows name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElementKind {
    Inclusion,
    Exclusion,
    Exposure,
    Comparator,
    Outcome,
    Covariate,
    FollowUp,
}

impl ElementKind {
    /// Whether the element decides who is eligible (its completeness is
    /// not asked: it defines the denominator).
    pub fn defines_eligibility(self) -> bool {
        matches!(self, Self::Inclusion | Self::Exclusion | Self::Exposure)
    }
}

/// SPIFD's ranking of a minimal data criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rank {
    /// "Must have": the study cannot be done without it.
    Essential,
    /// "Nice to have".
    Supplemental,
}

/// One study element: an operational definition as SQL over the lake.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Element {
    /// Letters, digits and underscores; names the element's column in the
    /// per-patient table.
    pub id: String,
    pub kind: ElementKind,
    pub name: String,
    pub rank: Rank,
    /// A query returning `person_id`, and `value` and `date` where the
    /// element has them.
    pub sql: String,
    /// Whether the query returns a `value` column (a measurement).
    #[serde(default)]
    pub has_value: bool,
    /// Whether the query returns a `date` column.
    #[serde(default)]
    pub has_date: bool,
    /// Days relative to the index date the element's date must fall in,
    /// both ends included (`[-365, 0]`: in the year before).
    pub window_days: Option<[i64; 2]>,
    /// The minimum acceptable operational definition, in words (SPIFD).
    pub minimal_criterion: String,
    /// Most eligible persons, in percent, allowed to lack the element
    /// (DQD's threshold convention: failed when more are missing).
    #[serde(default)]
    pub max_missing_percent: f64,
    /// Plausible values, both ends included; others are implausible.
    pub plausible: Option<Plausible>,
    /// Most values, in percent, allowed outside `plausible`.
    #[serde(default)]
    pub max_implausible_percent: f64,
    pub rationale: String,
    pub citation: String,
    /// The eligibility element this element holds the data for (pack-years
    /// for "at least 20 pack-years"): its completeness is then measured on
    /// the persons who meet every other eligibility element, not on the
    /// cohort that criterion narrows.
    pub data_for: Option<String>,
}

/// A range of plausible values, both ends included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plausible {
    pub min: f64,
    pub max: f64,
    /// The unit the bounds are in, as the element's values are.
    pub unit: String,
}

/// The imaging a study needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Imaging {
    /// DICOM Modality (`CT`, `MR`, `PT`).
    pub modality: String,
    /// BodyPartExamined values that count, compared upper case.
    pub body_parts: Vec<String>,
    /// StudyDescription patterns (SQL `LIKE`, compared upper case) that
    /// qualify a series too: archives fill BodyPartExamined unevenly.
    #[serde(default)]
    pub study_descriptions: Vec<String>,
    pub rank: Rank,
    /// Thickest acceptable slices, mm.
    pub max_slice_thickness_mm: Option<f64>,
    /// Acceptable CT kernel classes (`ct_kernel_class`: smooth, medium,
    /// sharp); empty for any.
    #[serde(default)]
    pub kernel_classes: Vec<String>,
    /// Whether series must be contrast-enhanced (ContrastBolusAgent set);
    /// absent for either.
    pub contrast: Option<bool>,
    /// Whether each series must be one regular volume
    /// (`dicom_volume_check`: IDC's geometry flags).
    #[serde(default)]
    pub one_volume: bool,
    /// Most series, in percent, allowed to miss the acquisition
    /// requirements above.
    #[serde(default)]
    pub max_nonconforming_series_percent: f64,
    /// Days relative to the index date a baseline scan must fall in, both
    /// ends included (`[-42, 0]`: within six weeks before).
    pub baseline_window_days: [i64; 2],
    /// Weeks between consecutive scans after the baseline, both ends
    /// included.
    pub follow_up_interval_weeks: Option<[f64; 2]>,
    /// Fewest imaging time points (the baseline and the follow-ups).
    pub min_timepoints: u32,
    /// Most eligible persons, in percent, allowed to miss the timing
    /// requirements (baseline, intervals, time points).
    #[serde(default)]
    pub max_missing_percent: f64,
    pub recist: Option<RecistStructure>,
    pub amyloid: Option<AmyloidPet>,
    pub cardiac: Option<CardiacFunction>,
}

/// RECIST 1.1's structure of a baseline (Eisenhauer et al. 2009, §3-4).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecistStructure {
    /// Most target lesions per patient (5) and per organ (2).
    pub max_targets: u32,
    pub max_targets_per_organ: u32,
    /// A measurable non-nodal lesion's longest diameter, mm (10), and at
    /// least twice the slice thickness.
    pub min_longest_diameter_mm: f64,
    /// A measurable node's short axis, mm (15).
    pub min_node_short_axis_mm: f64,
    /// The lesion measurements (`imaging.lesion_measurement` shape).
    #[serde(default = "RecistStructure::default_table")]
    pub table: String,
}

impl RecistStructure {
    fn default_table() -> String {
        "imaging.lesion_measurement".to_string()
    }
}

/// Amyloid PET: the accepted tracers, each with its uptake window, and a
/// Centiloid equation for each.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmyloidPet {
    #[serde(rename = "tracer")]
    pub tracers: Vec<Tracer>,
    /// A query returning `person_id, tracer, suvr` (one row per scan).
    pub suvr_sql: String,
    /// The study's positivity threshold, which the report draws.
    pub positivity: Option<Positivity>,
}

/// An amyloid positivity threshold on the Centiloid scale: a study's
/// choice, with where it comes from (published ones differ with purpose;
/// see `amyloid_positive`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Positivity {
    pub centiloid: f64,
    pub citation: String,
}

/// An accepted amyloid tracer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tracer {
    /// As `centiloid_equation` and the DICOM Radiopharmaceutical name it
    /// (compared lower case).
    pub name: String,
    /// Minutes from injection to the start of acquisition, both ends
    /// included.
    pub uptake_window_minutes: [f64; 2],
    /// Where the window comes from (the tracer's label, a protocol).
    pub citation: String,
}

/// Cardiac function: how LVEF was measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardiacFunction {
    /// Accepted methods, as the measurements name them.
    pub lvef_methods: Vec<String>,
    /// A query returning `person_id, lvef, method`.
    pub lvef_sql: String,
    /// Where the accepted methods come from.
    pub citation: String,
}

/// Variability to keep (generalizability) and to control (batch effects).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variability {
    pub min_sites: u32,
    pub min_vendors: u32,
    /// Largest share of scans, in percent, one vendor may hold.
    pub max_vendor_percent: f64,
    /// Fewest samples per harmonization batch (vendor and model).
    pub min_batch_size: u32,
    /// Largest Cramér's V between batch and exposure group.
    pub max_cramers_v: f64,
    /// The quantitative features whose batch effect is measured.
    pub features: Option<Features>,
}

/// Quantitative features per scan, and how their batches are named.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Features {
    /// A query returning `person_id`, `batch` and one column per feature.
    pub sql: String,
    pub columns: Vec<String>,
    /// p-value under which a batch effect is reported.
    pub alpha: f64,
}

/// How many evaluable patients the study needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleSize {
    pub evaluable_patients: u64,
    /// Where the number comes from (a power calculation, a protocol).
    pub rationale: String,
}

/// What a failed check does to its requirement's verdict.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictRule {
    /// Checks ranked essential besides their default rank (an id, or a
    /// prefix ending in `*`).
    #[serde(default)]
    pub essential: Vec<String>,
    /// Checks ranked supplemental besides their default rank.
    #[serde(default)]
    pub supplemental: Vec<String>,
    /// Fewest persons or rows a check needs to be assessed; under it, the
    /// check is "insufficient N".
    #[serde(default = "VerdictRule::default_min_denominator")]
    pub min_denominator: u64,
}

impl VerdictRule {
    fn default_min_denominator() -> u64 {
        5
    }

    /// The rank of check `id` whose default is `default`.
    pub fn rank_of(&self, id: &str, default: Rank) -> Rank {
        let matches = |pattern: &String| match pattern.strip_suffix('*') {
            Some(prefix) => id.starts_with(prefix),
            None => id == pattern,
        };
        if self.essential.iter().any(matches) {
            Rank::Essential
        } else if self.supplemental.iter().any(matches) {
            Rank::Supplemental
        } else {
            default
        }
    }
}

impl Default for VerdictRule {
    fn default() -> Self {
        Self {
            essential: Vec::new(),
            supplemental: Vec::new(),
            min_denominator: Self::default_min_denominator(),
        }
    }
}

/// A profile that cannot be read or used, naming the file and, where the
/// TOML parser knows them, the line and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileError(pub String);

impl std::fmt::Display for ProfileError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProfileError {}

/// A profile with the text it was read from.
#[derive(Debug, Clone)]
pub struct ProfileSource {
    pub profile: Profile,
    /// Where it was read from (a path, or `builtin:NAME`).
    pub origin: String,
    pub text: String,
    /// SHA-256 of `text`, hex.
    pub sha256: String,
}

impl ProfileSource {
    /// Reads and checks the profile at `path`.
    pub fn read(path: &Path) -> Result<Self, ProfileError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ProfileError(format!("cannot read profile '{}': {e}", path.display())))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and checks profile `text` read from `origin`.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ProfileError> {
        let profile: Profile = toml::from_str(text).map_err(|e| {
            ProfileError(format!("profile '{origin}': {}", e.to_string().trim_end()))
        })?;
        profile
            .validate()
            .map_err(|e| ProfileError(format!("profile '{origin}': {e}")))?;
        Ok(Self {
            profile,
            origin: origin.to_string(),
            text: text.to_string(),
            sha256: sha256_hex(text.as_bytes()),
        })
    }
}

/// The SHA-256 of `bytes`, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn is_identifier(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Profile {
    /// What TOML cannot say: identifiers, unique ids, ranges in order.
    fn validate(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!(
                "format = {} is not one this rwid reads (it reads format = {FORMAT})",
                self.format
            ));
        }
        if !is_identifier(&self.id) {
            return Err(format!(
                "id '{}' must be lower-case letters, digits and underscores (it names derived tables)",
                self.id
            ));
        }
        let mut ids = BTreeSet::new();
        for element in &self.elements {
            let at = format!("element '{}'", element.id);
            if !is_identifier(&element.id) {
                return Err(format!(
                    "{at}: the id must be lower-case letters, digits and underscores"
                ));
            }
            if !ids.insert(element.id.as_str()) {
                return Err(format!("{at}: two elements have this id"));
            }
            if element.window_days.is_some() && !element.has_date {
                return Err(format!("{at}: window_days needs has_date = true"));
            }
            if let Some([from, to]) = element.window_days
                && from > to
            {
                return Err(format!("{at}: window_days [{from}, {to}] is not in order"));
            }
            if element.plausible.is_some() && !element.has_value {
                return Err(format!("{at}: plausible needs has_value = true"));
            }
            if let Some(p) = &element.plausible
                && p.min > p.max
            {
                return Err(format!(
                    "{at}: plausible min {} is above max {}",
                    p.min, p.max
                ));
            }
            for (name, percent) in [
                ("max_missing_percent", element.max_missing_percent),
                ("max_implausible_percent", element.max_implausible_percent),
            ] {
                if !(0.0..=100.0).contains(&percent) {
                    return Err(format!("{at}: {name} {percent} is not a percent"));
                }
            }
        }
        for element in &self.elements {
            if let Some(target) = &element.data_for {
                let decides = self
                    .elements
                    .iter()
                    .any(|e| &e.id == target && e.kind.defines_eligibility());
                if !decides {
                    return Err(format!(
                        "element '{}': data_for '{target}' is not an inclusion, exclusion or exposure element",
                        element.id
                    ));
                }
            }
        }
        if !self
            .elements
            .iter()
            .any(|e| e.kind == ElementKind::Inclusion)
        {
            return Err("a profile needs at least one inclusion element".to_string());
        }
        if let Some(imaging) = &self.imaging {
            let [from, to] = imaging.baseline_window_days;
            if from > to {
                return Err(format!(
                    "imaging.baseline_window_days [{from}, {to}] is not in order"
                ));
            }
            if let Some([low, high]) = imaging.follow_up_interval_weeks
                && low > high
            {
                return Err(format!(
                    "imaging.follow_up_interval_weeks [{low}, {high}] is not in order"
                ));
            }
            if imaging.body_parts.is_empty() {
                return Err("imaging.body_parts names no body part".to_string());
            }
        }
        Ok(())
    }

    /// The elements of `kind`, in profile order.
    pub fn elements_of(&self, kind: ElementKind) -> impl Iterator<Item = &Element> {
        self.elements.iter().filter(move |e| e.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
format = 1
id = "minimal"
version = "1"
title = "Minimal"
[purpose]
decision = "d"
intended_use = "u"
[purpose.context_of_use]
biomarker_category = "monitoring"
biomarker = "b"
statement = "s"
[purpose.index_date]
description = "first exposure"
sql = "SELECT person_id, d AS index_date FROM t"
[[element]]
id = "adult"
kind = "inclusion"
name = "Adult"
rank = "essential"
sql = "SELECT person_id FROM clinical.person"
minimal_criterion = "m"
rationale = "r"
citation = "c"
[sample_size]
evaluable_patients = 10
rationale = "r"
"#;

    #[test]
    fn a_minimal_profile_reads_with_defaults() {
        let source = ProfileSource::parse(MINIMAL, "minimal.toml").unwrap();
        assert_eq!(
            source.profile.population.sql,
            "SELECT person_id FROM clinical.person"
        );
        assert_eq!(source.profile.verdict.min_denominator, 5);
        assert_eq!(source.sha256.len(), 64);
        assert_eq!(
            source.profile.purpose.context_of_use.biomarker_category,
            BiomarkerCategory::Monitoring
        );
    }

    #[test]
    fn errors_name_the_file_the_line_and_the_key() {
        let unknown = MINIMAL.replace("rank = \"essential\"", "rank = \"essential\"\nranks = 1");
        let error = ProfileSource::parse(&unknown, "p.toml").unwrap_err().0;
        assert!(error.contains("p.toml"), "{error}");
        assert!(error.contains("line 21"), "{error}");
        assert!(error.contains("ranks"), "{error}");

        let syntax = MINIMAL.replace("version = \"1\"", "version = ");
        let error = ProfileSource::parse(&syntax, "p.toml").unwrap_err().0;
        assert!(error.contains("line 4"), "{error}");

        let category = MINIMAL.replace("\"monitoring\"", "\"monitor\"");
        let error = ProfileSource::parse(&category, "p.toml").unwrap_err().0;
        assert!(
            error.contains("monitor") && error.contains("line 10"),
            "{error}"
        );
    }

    #[test]
    fn what_toml_cannot_say_is_checked() {
        let error = |text: String| ProfileSource::parse(&text, "p.toml").unwrap_err().0;
        assert!(
            error(MINIMAL.replace("id = \"minimal\"", "id = \"Min imal\""))
                .contains("id 'Min imal'")
        );
        assert!(error(MINIMAL.replace("format = 1", "format = 2")).contains("format = 2"));
        let twice = format!(
            "{MINIMAL}\n[[element]]\nid = \"adult\"\nkind = \"covariate\"\nname = \"x\"\nrank = \"supplemental\"\nsql = \"s\"\nminimal_criterion = \"m\"\nrationale = \"r\"\ncitation = \"c\"\n"
        );
        assert!(error(twice).contains("two elements"));
    }

    #[test]
    fn checks_are_reranked_by_id_or_prefix() {
        let rule = VerdictRule {
            essential: vec!["deidentification.*".into()],
            supplemental: vec!["imaging.kernel_class".into()],
            min_denominator: 5,
        };
        assert_eq!(
            rule.rank_of("deidentification.names", Rank::Supplemental),
            Rank::Essential
        );
        assert_eq!(
            rule.rank_of("imaging.kernel_class", Rank::Essential),
            Rank::Supplemental
        );
        assert_eq!(
            rule.rank_of("imaging.geometry", Rank::Essential),
            Rank::Essential
        );
    }
}
