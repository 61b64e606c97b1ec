//! Fit-for-purpose assessment over a small lake built here: clean, it is
//! FIT; with one defect seeded at a time, the right check under the right
//! requirement catches it. Results do not depend on row order or
//! partitions, and a re-run writes the same bytes but for the timestamps.

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use dicom_core::VR;
use dicom_dictionary_std::{tags, uids};
use rwid::datafusion::arrow::array::{
    ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use rwid::demo::fixtures::{DicomInstance, write_parquet};
use rwid::fitness::check::Status;
use rwid::fitness::verdict::Verdict;
use rwid::fitness::{Assessment, ProfileSource, assess};
use rwid::{RwidConfig, RwidContext};

const CONDITION: i64 = 4115276;
const DRUG: i64 = 45775965;
/// A non-standard concept the defect "non-standard concept" uses.
const NON_STANDARD: i64 = 45590885;
const OTHER_DRUG: i64 = 45892628;
/// A test-local measurement concept (ids above 2,000,000,000 are local).
const MEASURED: i64 = 2_000_000_001;

/// The test profile: a condition, an exposure that gives the index date, a
/// measured covariate, chest CT with a baseline within 28 days before the
/// index, three sites and two vendors.
const PROFILE: &str = r#"
format = 1
id = "test_profile"
version = "1"
title = "Test"
[purpose]
decision = "Whether the test lake fits."
intended_use = "test"
[purpose.context_of_use]
biomarker_category = "monitoring"
biomarker = "A CT measurement"
statement = "Serial CT for a test."
[purpose.index_date]
description = "first exposure"
sql = "SELECT person_id, min(drug_exposure_start_date) AS index_date FROM clinical.drug_exposure WHERE drug_concept_id = 45775965 GROUP BY person_id"
[[element]]
id = "diagnosis"
kind = "inclusion"
name = "the condition"
rank = "essential"
sql = "SELECT person_id, condition_start_date AS date FROM clinical.condition_occurrence WHERE condition_concept_id IN (4115276, 45590885)"
has_date = true
minimal_criterion = "A condition occurrence."
rationale = "r"
citation = "c"
[[element]]
id = "exposure"
kind = "exposure"
name = "the drug"
rank = "essential"
sql = "SELECT person_id FROM clinical.drug_exposure WHERE drug_concept_id = 45775965"
minimal_criterion = "A drug exposure."
rationale = "r"
citation = "c"
[[element]]
id = "comparator"
kind = "comparator"
name = "the other drug"
rank = "supplemental"
sql = "SELECT person_id FROM clinical.drug_exposure WHERE drug_concept_id = 45892628"
minimal_criterion = "A drug exposure of the other drug."
max_missing_percent = 100.0
rationale = "r"
citation = "c"
[[element]]
id = "covariate"
kind = "covariate"
name = "the covariate"
rank = "essential"
sql = "SELECT person_id, value_as_number AS \"value\" FROM clinical.measurement WHERE measurement_source_value = 'M'"
has_value = true
minimal_criterion = "A measurement M."
max_missing_percent = 10.0
plausible = { min = 0.0, max = 100.0, unit = "u" }
rationale = "r"
citation = "c"
[imaging]
modality = "CT"
body_parts = ["CHEST"]
rank = "essential"
max_slice_thickness_mm = 5.0
one_volume = true
max_nonconforming_series_percent = 5.0
baseline_window_days = [-28, 0]
min_timepoints = 1
max_missing_percent = 10.0
[variability]
min_sites = 3
min_vendors = 2
max_vendor_percent = 80.0
min_batch_size = 1
max_cramers_v = 1.0
[sample_size]
evaluable_patients = 20
rationale = "r"
[verdict]
min_denominator = 5
"#;

/// One defect seeded into the otherwise clean lake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Defect {
    None,
    /// Site B records no covariate.
    MissingCovariate,
    /// Site C's baseline CTs are 60 days before the index date.
    BaselineOutOfWindow,
    /// Site A reconstructs 8 mm slices.
    ThickSlices,
    /// Site A's scanners are all the second vendor's.
    OneVendorSite,
    /// Some conditions start before the person was born.
    ImplausibleDates,
    /// A drug exposure of a person the lake does not have.
    DanglingForeignKey,
    /// Some conditions are coded with a non-standard concept.
    NonStandardConcept,
    /// Site B leaves patient names in its headers.
    NameInHeader,
}

const SITES: [&str; 3] = ["A", "B", "C"];
const PER_SITE: i64 = 10;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn days(date: NaiveDate) -> i32 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
}

fn ints(values: impl IntoIterator<Item = i64>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(values))
}

fn texts<'a>(values: impl IntoIterator<Item = &'a str>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values))
}

fn dates(values: impl IntoIterator<Item = NaiveDate>) -> ArrayRef {
    Arc::new(Date32Array::from_iter_values(values.into_iter().map(days)))
}

/// Writes `columns` as the table, split over two files with the second
/// half first when `shuffled`.
fn table(root: &Path, name: &str, columns: Vec<(&str, ArrayRef)>, shuffled: bool) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let half = batch.num_rows() / 2;
    let (first, second) = (
        batch.slice(0, half),
        batch.slice(half, batch.num_rows() - half),
    );
    let parts = if shuffled {
        [second, first]
    } else {
        [first, second]
    };
    for (index, part) in parts.iter().enumerate() {
        let path = root.join(name).join(format!("part-{index}.parquet"));
        write_parquet(&path, std::slice::from_ref(part), None).unwrap();
    }
}

/// A lake of 30 persons at three sites, with `defect` seeded.
fn write_lake(root: &Path, defect: Defect, shuffled: bool) {
    let persons: Vec<(i64, &str)> = SITES
        .iter()
        .enumerate()
        .flat_map(|(s, site)| (0..PER_SITE).map(move |i| (s as i64 * PER_SITE + i + 1, *site)))
        .collect();
    let ids = || persons.iter().map(|(id, _)| *id);
    let index = |id: i64| day("2021-03-01") + chrono::Duration::days(id * 3);
    let birth_year = 1950;
    table(
        root,
        "clinical/person",
        vec![
            ("person_id", ints(ids())),
            (
                "gender_concept_id",
                ints(ids().map(|id| if id % 2 == 0 { 8507 } else { 8532 })),
            ),
            ("year_of_birth", ints(ids().map(|_| birth_year))),
            ("month_of_birth", ints(ids().map(|_| 6))),
            ("day_of_birth", ints(ids().map(|_| 15))),
            ("race_concept_id", ints(ids().map(|_| 8527))),
            ("ethnicity_concept_id", ints(ids().map(|_| 38003564))),
        ],
        shuffled,
    );
    table(
        root,
        "clinical/condition_occurrence",
        vec![
            ("condition_occurrence_id", ints(ids())),
            ("person_id", ints(ids())),
            (
                "condition_concept_id",
                ints(ids().map(|id| {
                    if defect == Defect::NonStandardConcept && id % 5 == 0 {
                        NON_STANDARD
                    } else {
                        CONDITION
                    }
                })),
            ),
            (
                "condition_start_date",
                dates(ids().map(|id| {
                    if defect == Defect::ImplausibleDates && id % 5 == 0 {
                        day("1900-01-01")
                    } else {
                        index(id) - chrono::Duration::days(30)
                    }
                })),
            ),
            (
                "condition_end_date",
                Arc::new(Date32Array::from(vec![None::<i32>; persons.len()])) as ArrayRef,
            ),
            ("condition_type_concept_id", ints(ids().map(|_| 32817))),
        ],
        shuffled,
    );
    // Six deaths, after everything else.
    table(
        root,
        "clinical/death",
        vec![
            ("person_id", ints(1..=6)),
            ("death_date", dates((1..=6).map(|_| day("2024-01-01")))),
            ("death_type_concept_id", ints((1..=6).map(|_| 32817))),
        ],
        false,
    );
    // Everyone has the drug; every third person the other drug too.
    let mut drugs: Vec<(i64, i64)> = ids().map(|id| (id, DRUG)).collect();
    drugs.extend(ids().filter(|id| id % 3 == 0).map(|id| (id, OTHER_DRUG)));
    if defect == Defect::DanglingForeignKey {
        drugs.push((999, DRUG));
    }
    let drug_persons: Vec<i64> = drugs.iter().map(|(id, _)| *id).collect();
    table(
        root,
        "clinical/drug_exposure",
        vec![
            ("drug_exposure_id", ints(1..=drugs.len() as i64)),
            ("person_id", ints(drug_persons.iter().copied())),
            ("drug_concept_id", ints(drugs.iter().map(|(_, drug)| *drug))),
            (
                "drug_exposure_start_date",
                dates(drug_persons.iter().map(|id| index(*id))),
            ),
            (
                "drug_exposure_end_date",
                dates(
                    drug_persons
                        .iter()
                        .map(|id| index(*id) + chrono::Duration::days(21)),
                ),
            ),
            (
                "drug_type_concept_id",
                ints(drug_persons.iter().map(|_| 32817)),
            ),
        ],
        shuffled,
    );
    let measured: Vec<i64> = persons
        .iter()
        .filter(|(_, site)| !(defect == Defect::MissingCovariate && *site == "B"))
        .map(|(id, _)| *id)
        .collect();
    table(
        root,
        "clinical/measurement",
        vec![
            ("measurement_id", ints(1..=measured.len() as i64)),
            ("person_id", ints(measured.iter().copied())),
            (
                "measurement_concept_id",
                ints(measured.iter().map(|_| MEASURED)),
            ),
            (
                "measurement_date",
                dates(measured.iter().map(|id| index(*id))),
            ),
            (
                "measurement_type_concept_id",
                ints(measured.iter().map(|_| 32817)),
            ),
            (
                "value_as_number",
                Arc::new(Float64Array::from_iter_values(
                    measured.iter().map(|id| (*id % 40) as f64),
                )),
            ),
            (
                "measurement_source_value",
                texts(measured.iter().map(|_| "M")),
            ),
        ],
        shuffled,
    );
    // The concepts the lake names: standard and valid, but for one.
    let concepts: [(i64, &str, &str, Option<&str>); 11] = [
        (0, "No matching concept", "Metadata", None),
        (8507, "MALE", "Gender", Some("S")),
        (8532, "FEMALE", "Gender", Some("S")),
        (8527, "White", "Race", Some("S")),
        (38003564, "Not Hispanic or Latino", "Ethnicity", Some("S")),
        (32817, "EHR", "Type Concept", Some("S")),
        (
            CONDITION,
            "Non-small cell lung cancer",
            "Condition",
            Some("S"),
        ),
        (DRUG, "pembrolizumab", "Drug", Some("S")),
        (
            NON_STANDARD,
            "Malignant neoplasm of bronchus or lung",
            "Condition",
            None,
        ),
        (OTHER_DRUG, "nivolumab", "Drug", Some("S")),
        (MEASURED, "The test's measurement", "Measurement", Some("S")),
    ];
    table(
        root,
        "clinical/concept",
        vec![
            ("concept_id", ints(concepts.iter().map(|c| c.0))),
            ("concept_name", texts(concepts.iter().map(|c| c.1))),
            ("domain_id", texts(concepts.iter().map(|c| c.2))),
            ("vocabulary_id", texts(concepts.iter().map(|_| "test"))),
            ("concept_class_id", texts(concepts.iter().map(|_| "test"))),
            (
                "standard_concept",
                Arc::new(StringArray::from(
                    concepts.iter().map(|c| c.3).collect::<Vec<_>>(),
                )),
            ),
            ("concept_code", texts(concepts.iter().map(|_| "x"))),
            (
                "valid_start_date",
                dates(concepts.iter().map(|_| day("1970-01-01"))),
            ),
            (
                "valid_end_date",
                dates(concepts.iter().map(|_| day("2099-12-31"))),
            ),
            (
                "invalid_reason",
                Arc::new(StringArray::from(vec![None::<&str>; concepts.len()])) as ArrayRef,
            ),
        ],
        false,
    );
    table(
        root,
        "imaging/patient_link",
        vec![
            ("site", texts(persons.iter().map(|(_, site)| *site))),
            (
                "patient_id",
                texts(
                    persons
                        .iter()
                        .map(|(id, _)| format!("P{id}"))
                        .collect::<Vec<_>>()
                        .iter()
                        .map(String::as_str),
                ),
            ),
            ("person_id", ints(ids())),
        ],
        shuffled,
    );
    for (id, site) in &persons {
        let baseline = if defect == Defect::BaselineOutOfWindow && *site == "C" {
            index(*id) - chrono::Duration::days(60)
        } else {
            index(*id) - chrono::Duration::days(7)
        };
        let thickness = if defect == Defect::ThickSlices && *site == "A" {
            8.0
        } else {
            2.5
        };
        // Two vendors at every site, alternating by patient; one at A when
        // that is the defect.
        let second = id % 2 == 0 || (defect == Defect::OneVendorSite && *site == "A");
        let (manufacturer, model) = if second {
            ("GE MEDICAL SYSTEMS", "Revolution CT")
        } else {
            ("SIEMENS", "SOMATOM Force")
        };
        let name = if defect == Defect::NameInHeader && *site == "B" {
            "DOE^JANE"
        } else {
            ""
        };
        for slice in 0..3 {
            let mut instance = DicomInstance::new();
            instance
                .text(tags::SOP_CLASS_UID, VR::UI, uids::CT_IMAGE_STORAGE)
                .text(
                    tags::SOP_INSTANCE_UID,
                    VR::UI,
                    &format!("2.25.{id}.{slice}"),
                )
                .text(tags::STUDY_INSTANCE_UID, VR::UI, &format!("2.25.{id}"))
                .text(tags::SERIES_INSTANCE_UID, VR::UI, &format!("2.25.{id}.1"))
                .text(tags::PATIENT_ID, VR::LO, &format!("P{id}"))
                .text(tags::PATIENT_NAME, VR::PN, name)
                .text(tags::PATIENT_IDENTITY_REMOVED, VR::CS, "YES")
                .text(tags::DEIDENTIFICATION_METHOD, VR::LO, "test profile")
                .text(tags::MODALITY, VR::CS, "CT")
                .text(tags::BODY_PART_EXAMINED, VR::CS, "CHEST")
                .text(
                    tags::STUDY_DATE,
                    VR::DA,
                    &baseline.format("%Y%m%d").to_string(),
                )
                .text(tags::MANUFACTURER, VR::LO, manufacturer)
                .text(tags::MANUFACTURER_MODEL_NAME, VR::LO, model)
                .decimal(tags::SLICE_THICKNESS, thickness)
                .decimals(
                    tags::IMAGE_POSITION_PATIENT,
                    &[0.0, 0.0, -(slice as f64) * thickness],
                )
                .decimals(
                    tags::IMAGE_ORIENTATION_PATIENT,
                    &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
                )
                .decimals(tags::PIXEL_SPACING, &[0.7, 0.7])
                .unsigned(tags::ROWS, 2)
                .unsigned(tags::COLUMNS, 2)
                .pixels(tags::PIXEL_DATA, vec![0; 4]);
            let path = root.join(format!("dicom/{site}/P{id}/IM{slice}.dcm"));
            instance.write(&path, "1.2.840.10008.1.2.1").unwrap();
        }
    }
}

async fn run_assessment(root: &Path, partitions: usize) -> Assessment {
    let ctx = RwidContext::new(RwidConfig {
        lakes: vec![root.to_string_lossy().into_owned()],
        target_partitions: Some(partitions),
        ..RwidConfig::default()
    })
    .await
    .unwrap();
    let profile = ProfileSource::parse(PROFILE, "test_profile.toml").unwrap();
    assess(ctx.session(), &profile).await.unwrap()
}

fn status(assessment: &Assessment, id: &str) -> Status {
    assessment
        .checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}"))
        .status
}

/// Checks that are not passed, with their status.
fn problems(assessment: &Assessment) -> Vec<(String, Status)> {
    assessment
        .checks
        .iter()
        .filter(|c| c.status != Status::Passed)
        .map(|c| (c.id.clone(), c.status))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clean_lake_is_fit() {
    let dir = tempfile::tempdir().unwrap();
    write_lake(dir.path(), Defect::None, false);
    let assessment = run_assessment(dir.path(), 2).await;
    assert_eq!(
        problems(&assessment),
        vec![],
        "a clean lake passes every check"
    );
    assert_eq!(assessment.verdict.verdict, Verdict::Fit);
    assert_eq!((assessment.eligible, assessment.evaluable), (30, 30));
}

#[tokio::test(flavor = "multi_thread")]
async fn each_seeded_defect_is_caught_by_its_check_under_its_requirement() {
    use rwid::fitness::requirement::Requirement::*;
    let cases = [
        (
            Defect::MissingCovariate,
            "completeness.covariate",
            AccuracyCompleteness,
        ),
        (
            Defect::BaselineOutOfWindow,
            "imaging.baseline_window",
            RelevanceReliability,
        ),
        (Defect::ThickSlices, "imaging.slice_thickness", Validation),
        (
            Defect::OneVendorSite,
            "variability.site_vendors",
            StandardizationVariability,
        ),
        (
            Defect::ImplausibleDates,
            "plausibility.diagnosis_after_birth",
            AccuracyCompleteness,
        ),
        (
            Defect::DanglingForeignKey,
            "conformance.clinical.drug_exposure.person_id.foreign_key",
            AccuracyCompleteness,
        ),
        (
            Defect::NonStandardConcept,
            "conformance.clinical.condition_occurrence.condition_concept_id.standard",
            AccuracyCompleteness,
        ),
        (
            Defect::NameInHeader,
            "deidentification.names",
            RegulatoryAlignment,
        ),
    ];
    for (defect, check, requirement) in cases {
        let dir = tempfile::tempdir().unwrap();
        write_lake(dir.path(), defect, false);
        let assessment = run_assessment(dir.path(), 2).await;
        let found = assessment
            .checks
            .iter()
            .find(|c| c.id == check)
            .unwrap_or_else(|| panic!("{defect:?}: no check {check}"));
        assert_eq!(found.status, Status::Failed, "{defect:?}: {check}");
        assert_eq!(found.requirement, requirement, "{defect:?}: {check}");
        let verdict = assessment
            .verdict
            .requirements
            .iter()
            .find(|r| r.requirement == requirement)
            .unwrap();
        assert_ne!(verdict.verdict, Verdict::Fit, "{defect:?}");
        assert!(
            verdict.decided_by.contains(&check.to_string()),
            "{defect:?}: {verdict:?}"
        );
        // The failure keeps the rows behind it.
        assert!(
            assessment.failures.iter().any(|f| f.check_id == check),
            "{defect:?}: no violating row kept"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_site_with_the_defect_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    write_lake(dir.path(), Defect::MissingCovariate, false);
    let assessment = run_assessment(dir.path(), 2).await;
    let check = assessment
        .checks
        .iter()
        .find(|c| c.id == "completeness.covariate")
        .unwrap();
    let flagged: Vec<(&str, Option<&str>)> = check
        .sites
        .iter()
        .map(|s| (s.site.as_str(), s.deviates))
        .collect();
    assert_eq!(
        flagged,
        [
            ("A", Some("lower")),
            ("B", Some("higher")),
            ("C", Some("lower"))
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn results_do_not_depend_on_row_order_or_partitions_and_rerun_the_same_bytes() {
    let ordered = tempfile::tempdir().unwrap();
    let shuffled = tempfile::tempdir().unwrap();
    write_lake(ordered.path(), Defect::MissingCovariate, false);
    write_lake(shuffled.path(), Defect::MissingCovariate, true);
    let a = run_assessment(ordered.path(), 1).await;
    let b = run_assessment(shuffled.path(), 4).await;
    let figures = |x: &Assessment| -> Vec<String> {
        x.checks
            .iter()
            .map(|c| {
                format!(
                    "{} {:?} {:?} {:?} {:?} {:?}",
                    c.id, c.status, c.violating, c.total, c.value, c.sites
                )
            })
            .collect()
    };
    assert_eq!(figures(&a), figures(&b));
    assert_eq!(a.failures, b.failures);
    assert_eq!(a.attrition, b.attrition);

    // The same lake assessed twice writes the same files, byte for byte,
    // but for the two timestamps.
    let out = tempfile::tempdir().unwrap();
    let first = out.path().join("first");
    let second = out.path().join("second");
    rwid::fitness::output::write(&first, &a, None, &[]).unwrap();
    let again = run_assessment(ordered.path(), 1).await;
    rwid::fitness::output::write(&second, &again, None, &[]).unwrap();
    for entry in std::fs::read_dir(&first).unwrap() {
        let name = entry.unwrap().file_name();
        let bytes = |folder: &Path| std::fs::read(folder.join(&name)).unwrap();
        if name == "assessment.json" {
            let strip = |bytes: Vec<u8>| -> String {
                String::from_utf8(bytes)
                    .unwrap()
                    .lines()
                    .filter(|l| !l.contains("\"started_at\"") && !l.contains("\"finished_at\""))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            assert_eq!(strip(bytes(&first)), strip(bytes(&second)));
        } else {
            assert_eq!(bytes(&first), bytes(&second), "{name:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn what_cannot_run_is_reported_and_the_rest_runs() {
    // An element whose SQL fails is an error row; a missing table makes its
    // checks not assessable, naming it.
    let dir = tempfile::tempdir().unwrap();
    write_lake(dir.path(), Defect::None, false);
    let broken = PROFILE
        .replace("measurement_source_value = 'M'", "no_such_column = 'M'")
        .replace(
            "FROM clinical.drug_exposure WHERE drug_concept_id = 45775965\"\nminimal",
            "FROM clinical.no_such_table\"\nminimal",
        );
    let ctx = RwidContext::new(RwidConfig {
        lakes: vec![dir.path().to_string_lossy().into_owned()],
        ..RwidConfig::default()
    })
    .await
    .unwrap();
    let profile = ProfileSource::parse(&broken, "broken.toml").unwrap();
    let assessment = assess(ctx.session(), &profile).await.unwrap();
    let availability = |id: &str| {
        assessment
            .checks
            .iter()
            .find(|c| c.id == id)
            .map(|c| (c.status, c.reason.clone().unwrap_or_default()))
            .unwrap()
    };
    let (covariate, why) = availability("availability.covariate");
    assert_eq!(covariate, Status::NotAssessable, "{why}");
    assert!(
        why.contains("covariate") && why.contains("no_such_column"),
        "{why}"
    );
    let (exposure, why) = availability("availability.exposure");
    assert_eq!(exposure, Status::NotAssessable, "{why}");
    assert!(why.contains("clinical.no_such_table"), "{why}");
    // The other checks still ran.
    assert_eq!(
        status(&assessment, "deidentification.names"),
        Status::NotAssessable
    );
    assert_eq!(
        status(&assessment, "plausibility.clinical.person.year_of_birth"),
        Status::Passed
    );

    // An empty lake is not assessable, not a crash.
    let empty = tempfile::tempdir().unwrap();
    let ctx = RwidContext::new(RwidConfig {
        lakes: vec![empty.path().to_string_lossy().into_owned()],
        ..RwidConfig::default()
    })
    .await
    .unwrap();
    let profile = ProfileSource::parse(PROFILE, "test_profile.toml").unwrap();
    let assessment = assess(ctx.session(), &profile).await.unwrap();
    assert_eq!(assessment.verdict.verdict, Verdict::NotAssessable);
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_compared_and_results_as_sql_tables() {
    let dir = tempfile::tempdir().unwrap();
    write_lake(dir.path(), Defect::MissingCovariate, false);
    let before = run_assessment(dir.path(), 2).await;
    let earlier = rwid::fitness::output::to_json(&before, None);
    // The site fixes its covariate and starts leaving names in headers.
    write_lake(dir.path(), Defect::NameInHeader, false);
    let after = run_assessment(dir.path(), 2).await;
    let changes = rwid::fitness::compare::compare(&after.checks, &earlier);
    let state = |id: &str| changes.iter().find(|c| c.id == id).unwrap().state.name();
    assert_eq!(state("completeness.covariate"), "RESOLVED");
    assert_eq!(state("deidentification.names"), "NEW");
    assert_eq!(state("imaging.slice_thickness"), "STABLE");

    // From SQL: the checks, and the per-patient record as a table.
    let ctx = RwidContext::new(RwidConfig {
        lakes: vec![dir.path().to_string_lossy().into_owned()],
        ..RwidConfig::default()
    })
    .await
    .unwrap();
    let profile = dir.path().join("profile.toml");
    std::fs::write(&profile, PROFILE).unwrap();
    let failed = ctx
        .sql(&format!(
            "SELECT id FROM assess('{}') WHERE status = 'failed' ORDER BY id",
            profile.display()
        ))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let failed = rwid::datafusion::arrow::util::pretty::pretty_format_batches(&failed)
        .unwrap()
        .to_string();
    assert!(failed.contains("deidentification.names"), "{failed}");
    let evaluable = ctx
        .sql("SELECT count(*) AS n FROM derived.test_profile_patients WHERE evaluable")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let n = evaluable[0]
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap()
        .value(0);
    assert_eq!(n, 30);
}

#[test]
fn rwid_assess_prints_the_verdict_writes_the_results_and_fails_on_request() {
    use crate::support::{rwid, stderr, stdout};
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    write_lake(&lake, Defect::NameInHeader, false);
    let profile = dir.path().join("profile.toml");
    std::fs::write(&profile, PROFILE).unwrap();
    let out = dir.path().join("results");
    let (lake, profile, results) = (
        lake.to_str().unwrap(),
        profile.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    let run = rwid(&[
        "--lake",
        lake,
        "assess",
        "--profile",
        profile,
        "--out",
        results,
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let printed = stdout(&run);
    assert!(
        printed.contains("Regulatory alignment") && printed.contains("NOT FIT"),
        "{printed}"
    );
    assert!(printed.contains("deidentification.names"), "{printed}");
    for file in [
        "assessment.json",
        "checks.parquet",
        "patients.parquet",
        "failures.parquet",
    ] {
        assert!(out.join(file).exists(), "{file}");
    }
    let failing = rwid(&[
        "--lake",
        lake,
        "assess",
        "--profile",
        profile,
        "--out",
        results,
        "--fail-on",
        "not-fit",
    ]);
    assert_eq!(failing.status.code(), Some(1));
    // Compared with the run before: nothing changed.
    let compared = rwid(&[
        "--lake",
        lake,
        "assess",
        "--profile",
        profile,
        "--out",
        results,
        "--compare",
        results,
    ]);
    assert!(compared.status.success(), "{}", stderr(&compared));
    let json = std::fs::read_to_string(out.join("assessment.json")).unwrap();
    assert!(
        json.contains("\"PERSISTING\""),
        "a check failing in both runs"
    );

    // --sql prints every check's SQL and runs nothing.
    let sql = rwid(&["--lake", lake, "assess", "--profile", profile, "--sql"]);
    assert!(sql.status.success(), "{}", stderr(&sql));
    assert!(
        stdout(&sql).contains("-- completeness.covariate"),
        "{}",
        stdout(&sql)
    );

    // A profile with an unknown key names the file, the line and the key.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        PROFILE.replace(
            "rank = \"essential\"\nsql = \"SELECT person_id FROM clinical.drug",
            "rank = \"essential\"\nranking = 1\nsql = \"SELECT person_id FROM clinical.drug",
        ),
    )
    .unwrap();
    let refused = rwid(&[
        "--lake",
        lake,
        "assess",
        "--profile",
        bad.to_str().unwrap(),
        "--out",
        results,
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused);
    assert!(
        message.contains("bad.toml") && message.contains("line ") && message.contains("ranking"),
        "{message}"
    );
}
