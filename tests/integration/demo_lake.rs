//! The demo lake: deterministic, atomic, and true to its own ground truth.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use dicom_object::OpenFileOptions;
use rwid::cli::showcase::{nsclc_attrition_sql, nsclc_flags_sql};
use rwid::datafusion::arrow::array::{AsArray, RecordBatch};
use rwid::datafusion::arrow::datatypes::Int64Type;
use rwid::demo::{self, GROUND_TRUTH_FILE};
use rwid::{RwidConfig, RwidContext};

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

async fn query(ctx: &RwidContext, sql: &str) -> Vec<RecordBatch> {
    ctx.sql(sql).await.unwrap().collect().await.unwrap()
}

#[tokio::test]
async fn cohort_sql_reproduces_the_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    let lake = demo::generate(&dir.path().join("lake"), 90, 11).unwrap();
    let ctx = RwidContext::new(RwidConfig {
        lakes: vec![lake.root.to_string_lossy().into_owned()],
        ..RwidConfig::default()
    })
    .await
    .unwrap();

    // Attrition, criterion by criterion, in the ground truth's order; the
    // chest CT criterion reads the DICOM headers.
    let dicom = lake.root.join("dicom").to_string_lossy().into_owned();
    let batches = query(&ctx, &nsclc_attrition_sql(&dicom)).await;
    let counts: Vec<i64> = batches
        .iter()
        .flat_map(|b| b.column(2).as_primitive::<Int64Type>().values().to_vec())
        .collect();
    let expected: Vec<i64> = lake
        .truth
        .nsclc_attrition
        .iter()
        .map(|s| s.patients as i64)
        .collect();
    assert_eq!(counts, expected);
    assert!(
        expected[4] > 0,
        "the demo cohort must not be empty: {expected:?}"
    );

    // The same patients, not just the same counts.
    let sql = format!(
        "SELECT person_id FROM ({}) WHERE nsclc AND histology AND pembrolizumab AND pack_years_20 AND chest_ct ORDER BY 1",
        nsclc_flags_sql(&dicom)
    );
    let ids: Vec<i64> = query(&ctx, &sql)
        .await
        .iter()
        .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
        .collect();
    assert_eq!(ids, lake.truth.nsclc_cohort);
    // The boundary case (exactly 20 pack-years) is in the lake and counts.
    assert!(
        lake.truth
            .patients
            .iter()
            .any(|p| p.max_pack_years == Some(20.0))
    );
}

#[test]
fn dicom_files_match_the_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    let lake = demo::generate(&dir.path().join("lake"), 60, 3).unwrap();
    let broken: BTreeSet<String> = lake
        .truth
        .broken_files
        .iter()
        .map(|b| b.path.clone())
        .collect();
    assert_eq!(broken.len(), 5);

    let mut unreadable = BTreeSet::new();
    let mut readable = 0;
    // PatientID -> has a chest CT, by the documented rule, from the headers.
    let mut chest_ct: BTreeMap<String, bool> = BTreeMap::new();
    for path in files_under(&lake.root.join("dicom")) {
        let relative = path
            .strip_prefix(&lake.root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let opened = OpenFileOptions::new()
            .read_until(tags::PIXEL_DATA)
            .open_file(&path);
        let Ok(object) = opened else {
            unreadable.insert(relative);
            continue;
        };
        let text = |tag| {
            object
                .element_opt(tag)
                .ok()
                .flatten()
                .and_then(|e| e.to_str().ok())
                .map(|s| s.trim().to_uppercase())
                .unwrap_or_default()
        };
        readable += 1;
        let is_chest = text(tags::MODALITY) == "CT"
            && (["CHEST", "THORAX", "LUNG"].contains(&text(tags::BODY_PART_EXAMINED).as_str())
                || text(tags::STUDY_DESCRIPTION).contains("CHEST")
                || text(tags::STUDY_DESCRIPTION).contains("THORAX"));
        *chest_ct.entry(text(tags::PATIENT_ID)).or_default() |= is_chest;
    }
    assert_eq!(
        unreadable, broken,
        "exactly the files broken on purpose are unreadable"
    );
    assert_eq!(readable, lake.truth.dicom_files);
    for patient in &lake.truth.patients {
        let found = chest_ct
            .get(&patient.dicom_patient_id.to_uppercase())
            .copied()
            .unwrap_or(false);
        assert_eq!(found, patient.chest_ct, "person {}", patient.person_id);
    }
}

#[test]
fn same_seed_same_lake_other_seed_other_lake() {
    let dir = tempfile::tempdir().unwrap();
    let a = demo::generate(&dir.path().join("a"), 25, 5).unwrap();
    let b = demo::generate(&dir.path().join("b"), 25, 5).unwrap();
    let files_a = files_under(&a.root);
    let files_b = files_under(&b.root);
    assert_eq!(files_a.len(), files_b.len());
    for (fa, fb) in files_a.iter().zip(&files_b) {
        assert_eq!(
            fa.strip_prefix(&a.root).unwrap(),
            fb.strip_prefix(&b.root).unwrap()
        );
        assert!(
            std::fs::read(fa).unwrap() == std::fs::read(fb).unwrap(),
            "{} differs",
            fa.display()
        );
    }
    let c = demo::generate(&dir.path().join("c"), 25, 6).unwrap();
    assert_ne!(
        std::fs::read(a.root.join(GROUND_TRUTH_FILE)).unwrap(),
        std::fs::read(c.root.join(GROUND_TRUTH_FILE)).unwrap()
    );
}

#[test]
fn regenerating_replaces_a_demo_lake_but_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("lake");
    demo::generate(&target, 10, 1).unwrap();
    demo::generate(&target, 12, 1).unwrap();
    let truth = std::fs::read_to_string(target.join(GROUND_TRUTH_FILE)).unwrap();
    assert!(truth.contains("\"person_id\": 12"));

    let precious = dir.path().join("precious");
    std::fs::create_dir(&precious).unwrap();
    std::fs::write(precious.join("notes.txt"), "keep me").unwrap();
    let err = demo::generate(&precious, 10, 1).unwrap_err().to_string();
    assert!(
        err.contains("refusing to replace") && err.contains("precious"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(precious.join("notes.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn failed_generation_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let err = demo::generate(&dir.path().join("lake"), 0, 1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("--patients"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// The lake's `imaging` schema: a live DICOM scan as `imaging.instances`
/// until `rwid ingest` writes the index, then the index; `imaging.series`
/// and `imaging.studies` over whichever it is, with the same rows.
#[tokio::test]
async fn imaging_instances_series_and_studies_before_and_after_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let lake = demo::generate(&dir.path().join("lake"), 12, 5).unwrap();
    let mount = || async {
        RwidContext::new(RwidConfig {
            lakes: vec![lake.root.to_string_lossy().into_owned()],
            ..RwidConfig::default()
        })
        .await
        .unwrap()
    };
    let summary = "SELECT (SELECT count(*) FROM imaging.instances) AS instances,
                          (SELECT count(*) FROM imaging.series) AS series,
                          (SELECT sum(instanceCount) FROM imaging.series) AS series_instances,
                          (SELECT count(*) FROM imaging.studies) AS studies";
    let render = |batches: &[RecordBatch]| {
        rwid::datafusion::arrow::util::pretty::pretty_format_batches(batches)
            .unwrap()
            .to_string()
    };

    let live = mount().await;
    let before = render(&query(&live, summary).await);
    let plan = render(&query(&live, "EXPLAIN SELECT count(*) FROM imaging.series").await);
    assert!(plan.contains("DicomScanExec"), "{plan}");
    let files = files_under(&lake.root.join("dicom")).len();
    assert!(before.contains(&format!("| {files} ")), "{before}");

    let session = rwid::datafusion::prelude::SessionContext::new_with_state(
        rwid::session_state(&RwidConfig::default()).unwrap(),
    );
    rwid::catalog::dicom::ingest::ingest(
        &session,
        &lake.root.join("dicom").to_string_lossy(),
        &lake.root.join("imaging/instances"),
    )
    .await
    .unwrap();

    let indexed = mount().await;
    let after = render(&query(&indexed, summary).await);
    assert_eq!(before, after);
    let plan = render(&query(&indexed, "EXPLAIN SELECT count(*) FROM imaging.series").await);
    assert!(!plan.contains("DicomScanExec"), "{plan}");
}

/// `examples/nsclc_pembrolizumab_cohort.sql` run as a cohort: the attrition
/// and the cohort are the generator's ground truth, and the written
/// `derived` tables are part of the lake when it is mounted again.
#[tokio::test]
async fn the_example_cohort_file_reproduces_the_ground_truth() {
    use rwid::cohort::{Cohort, CohortDefinition};

    let dir = tempfile::tempdir().unwrap();
    let lake = demo::generate(&dir.path().join("lake"), 90, 11).unwrap();
    let config = || RwidConfig {
        lakes: vec![lake.root.to_string_lossy().into_owned()],
        ..RwidConfig::default()
    };
    let ctx = RwidContext::new(config()).await.unwrap();
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/nsclc_pembrolizumab_cohort.sql");
    let definition = CohortDefinition::read(&file).unwrap();
    assert_eq!(definition.name, "nsclc_pembrolizumab");
    let cohort = Cohort::run(&ctx, &definition).await.unwrap();

    let attrition: Vec<(String, usize)> = cohort
        .attrition
        .iter()
        .map(|r| (r.criterion.clone(), r.persons))
        .collect();
    let expected: Vec<(String, usize)> = lake
        .truth
        .nsclc_attrition
        .iter()
        .map(|s| (s.criterion.to_string(), s.patients))
        .collect();
    assert_eq!(attrition, expected);
    assert_eq!(cohort.persons, lake.truth.nsclc_cohort);

    cohort.write(&lake.root).unwrap();
    let remounted = RwidContext::new(config()).await.unwrap();
    let batches = query(
        &remounted,
        "SELECT count(*) FROM derived.nsclc_pembrolizumab
         UNION ALL SELECT max(persons) FILTER (WHERE step = 6) FROM derived.nsclc_pembrolizumab_attrition",
    )
    .await;
    let counts: Vec<i64> = batches
        .iter()
        .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
        .collect();
    let size = lake.truth.nsclc_cohort.len() as i64;
    assert_eq!(counts, vec![size, size]);
}

/// `imaging.recist_timepoints` (SQL over the lesion measurements) agrees
/// with the RECIST rules in Rust, recomputed here from the same rows.
#[tokio::test]
async fn recist_timepoints_view_agrees_with_the_rules() {
    use rwid::methods::recist::irecist::{IRecistRules, ITimePoint, irecist_responses};
    use rwid::methods::recist::recist11::{
        NonTargetResponse, TargetAssessment, after_complete_response, overall_response,
        target_response,
    };
    use std::collections::BTreeMap;

    let dir = tempfile::tempdir().unwrap();
    let lake = demo::generate(&dir.path().join("lake"), 60, 3).unwrap();
    let ctx = RwidContext::new(RwidConfig {
        lakes: vec![lake.root.to_string_lossy().into_owned()],
        ..RwidConfig::default()
    })
    .await
    .unwrap();
    // (person, date) -> (role, nodal, size, non-target status)
    type Rows = BTreeMap<(i64, i32), Vec<(String, bool, Option<f64>, Option<String>)>>;
    let mut rows: Rows = BTreeMap::new();
    let batches = query(
        &ctx,
        "SELECT person_id, CAST(assessment_date AS INT) AS day, role, is_nodal,
                CASE WHEN is_nodal THEN short_axis_mm ELSE longest_diameter_mm END AS size,
                non_target_status
         FROM imaging.lesion_measurement",
    )
    .await;
    for b in &batches {
        for i in 0..b.num_rows() {
            let person = b.column(0).as_primitive::<Int64Type>().value(i);
            let day = b
                .column(1)
                .as_primitive::<rwid::datafusion::arrow::datatypes::Int32Type>()
                .value(i);
            let text = |c: usize| {
                let a = b.column(c).as_string_view();
                (!rwid::datafusion::arrow::array::Array::is_null(a, i))
                    .then(|| a.value(i).to_string())
            };
            let size = b
                .column(4)
                .as_primitive::<rwid::datafusion::arrow::datatypes::Float64Type>();
            let size =
                (!rwid::datafusion::arrow::array::Array::is_null(size, i)).then(|| size.value(i));
            rows.entry((person, day)).or_default().push((
                text(2).unwrap(),
                b.column(3).as_boolean().value(i),
                size,
                text(5),
            ));
        }
    }
    // (overall, iRECIST) per time point.
    let mut expected: BTreeMap<(i64, i32), (String, String)> = BTreeMap::new();
    let persons: std::collections::BTreeSet<i64> = rows.keys().map(|(p, _)| *p).collect();
    for person in persons {
        let points: Vec<_> = rows
            .range((person, i32::MIN)..=(person, i32::MAX))
            .collect();
        let sum = |lesions: &Vec<(String, bool, Option<f64>, Option<String>)>| -> f64 {
            lesions
                .iter()
                .filter(|l| l.0 == "target")
                .filter_map(|l| l.2)
                .sum()
        };
        let baseline = sum(points[0].1);
        let mut nadir = baseline;
        let mut previous = None;
        let mut itimepoints = Vec::new();
        for ((_, day), lesions) in points.iter().skip(1) {
            let targets: Vec<_> = lesions.iter().filter(|l| l.0 == "target").collect();
            let current = sum(lesions);
            let target = target_response(&TargetAssessment {
                baseline_sum_mm: baseline,
                nadir_sum_mm: nadir,
                current_sum_mm: current,
                all_non_nodal_gone: targets.iter().filter(|l| !l.1).all(|l| l.2 == Some(0.0)),
                all_nodes_under_10_mm: targets
                    .iter()
                    .filter(|l| l.1)
                    .all(|l| l.2.is_some_and(|s| s < 10.0)),
                complete: targets.iter().all(|l| l.2.is_some()),
            });
            let statuses: Vec<&str> = lesions.iter().filter_map(|l| l.3.as_deref()).collect();
            let non_target = if statuses.contains(&"unequivocal_progression") {
                Some(NonTargetResponse::Pd)
            } else if statuses.contains(&"present") {
                Some(NonTargetResponse::NonCrNonPd)
            } else if statuses.contains(&"absent") {
                Some(NonTargetResponse::Cr)
            } else {
                None
            };
            let new: Vec<_> = lesions.iter().filter(|l| l.0 == "new").collect();
            let tables_1_2 = overall_response(Some(target), non_target, !new.is_empty()).unwrap();
            let overall = after_complete_response(previous, tables_1_2);
            previous = Some(tables_1_2);
            expected.insert(
                (person, *day),
                (overall.as_str().to_string(), String::new()),
            );
            let new_sizes: Vec<f64> = new.iter().filter_map(|l| l.2).collect();
            itimepoints.push(ITimePoint {
                day: i64::from(*day),
                target: Some(target),
                non_target,
                target_sum_mm: Some(current),
                new_lesions: new.len() as u32,
                new_lesion_sum_mm: (!new_sizes.is_empty()).then(|| new_sizes.iter().sum()),
                ..ITimePoint::default()
            });
            if targets.iter().all(|l| l.2.is_some()) {
                nadir = nadir.min(current);
            }
        }
        let iresponses = irecist_responses(&itimepoints, &IRecistRules::default());
        for (point, iresponse) in itimepoints.iter().zip(iresponses) {
            let key = (person, point.day as i32);
            expected.get_mut(&key).unwrap().1 = iresponse.unwrap().as_str().to_string();
        }
    }
    let batches = query(
        &ctx,
        "SELECT person_id, CAST(assessment_date AS INT), overall, iresponse FROM imaging.recist_timepoints",
    )
    .await;
    let mut actual: BTreeMap<(i64, i32), (String, String)> = BTreeMap::new();
    for b in &batches {
        for i in 0..b.num_rows() {
            actual.insert(
                (
                    b.column(0).as_primitive::<Int64Type>().value(i),
                    b.column(1)
                        .as_primitive::<rwid::datafusion::arrow::datatypes::Int32Type>()
                        .value(i),
                ),
                (
                    b.column(2).as_string::<i32>().value(i).to_string(),
                    b.column(3).as_string::<i32>().value(i).to_string(),
                ),
            );
        }
    }
    assert!(expected.len() > 50, "{} time points", expected.len());
    let iupd = expected.values().filter(|(_, i)| i == "iUPD").count();
    assert!(iupd > 0, "the demo has unconfirmed progression");
    assert_eq!(actual, expected);
}
