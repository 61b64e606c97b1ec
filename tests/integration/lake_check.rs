//! Lake conformance: a lake with seeded defects (a missing required column,
//! a wrong type, a repeated primary key, a dangling foreign key, an unlinked
//! DICOM patient) is reported check by check, still queries, and
//! `rwid lake check` exits with status 1.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use rwid::datafusion::arrow::array::{ArrayRef, Date32Array, Int64Array, RecordBatch, StringArray};
use rwid::datafusion::arrow::util::pretty::pretty_format_batches;
use rwid::demo::fixtures::write_parquet;
use rwid::{RwidConfig, RwidContext};

fn write_table(root: &Path, schema: &str, table: &str, columns: Vec<(&str, ArrayRef)>) {
    let path = root.join(schema).join(table).join("part-0.parquet");
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    write_parquet(&path, &[batch], None).unwrap();
}

fn ints(values: &[i64]) -> ArrayRef {
    Arc::new(Int64Array::from(values.to_vec()))
}

fn texts(values: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

/// person without gender_concept_id (required) and with year_of_birth as
/// text; condition_occurrence repeating an id, pointing to person 99 and to
/// a concept the concept table lacks; a patient_link that leaves the DICOM
/// patients unlinked.
fn defective_lake(root: &Path) {
    write_table(
        root,
        "clinical",
        "person",
        vec![
            ("person_id", ints(&[1, 2, 3])),
            ("year_of_birth", texts(&["1950", "1960", "1970"])),
            ("race_concept_id", ints(&[0, 0, 0])),
            ("ethnicity_concept_id", ints(&[0, 0, 0])),
            ("favourite_colour", texts(&["red", "green", "blue"])),
        ],
    );
    write_table(
        root,
        "clinical",
        "condition_occurrence",
        vec![
            ("condition_occurrence_id", ints(&[10, 10, 11])),
            ("person_id", ints(&[1, 2, 99])),
            ("condition_concept_id", ints(&[4115276, 4115276, 12345])),
            (
                "condition_start_date",
                Arc::new(rwid::datafusion::arrow::array::Date32Array::from(vec![
                    19000, 19001, 19002,
                ])),
            ),
            // A required column left NULL once.
            (
                "condition_type_concept_id",
                Arc::new(rwid::datafusion::arrow::array::Int64Array::from(vec![
                    Some(32879),
                    None,
                    Some(32879),
                ])),
            ),
        ],
    );
    let day = || Arc::new(Date32Array::from(vec![0])) as ArrayRef;
    write_table(
        root,
        "clinical",
        "concept",
        vec![
            ("concept_id", ints(&[4115276])),
            ("concept_name", texts(&["Non-small cell lung cancer"])),
            ("domain_id", texts(&["Condition"])),
            ("vocabulary_id", texts(&["SNOMED"])),
            ("concept_class_id", texts(&["Clinical Finding"])),
            ("standard_concept", texts(&["S"])),
            ("concept_code", texts(&["254637007"])),
            ("valid_start_date", day()),
            ("valid_end_date", day()),
        ],
    );
    write_table(
        root,
        "imaging",
        "patient_link",
        vec![
            ("site", texts(&["A"])),
            ("patient_id", texts(&["P1"])),
            ("person_id", ints(&[1])),
        ],
    );
    let demo = rwid::demo::generate(&root.join("source"), 3, 1).unwrap();
    std::fs::rename(demo.root.join("dicom"), root.join("dicom")).unwrap();
    std::fs::remove_dir_all(root.join("source")).unwrap();
}

#[tokio::test]
async fn seeded_defects_are_reported_and_the_lake_still_queries() {
    let dir = tempfile::tempdir().unwrap();
    defective_lake(dir.path());
    let ctx = RwidContext::new(RwidConfig {
        lakes: vec![dir.path().to_string_lossy().into_owned()],
        ..RwidConfig::default()
    })
    .await
    .unwrap();
    // Mounting warns (schema checks) but the tables query.
    let warnings: Vec<String> = ctx.lake_warnings().iter().map(|w| w.summary()).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("fail clinical.person.gender_concept_id (required_column)")),
        "{warnings:?}"
    );
    let persons = ctx
        .sql("SELECT count(*) FROM clinical.person")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(persons[0].num_rows(), 1);

    let batches = ctx
        .sql("SELECT concat_ws(' ', table_name, check_name, column_name, status, violating_rows) AS finding FROM lake_check() WHERE status <> 'pass' ORDER BY 1")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let report = pretty_format_batches(&batches).unwrap().to_string();
    for expected in [
        "| clinical.condition_occurrence foreign_key person_id fail 1 ",
        "| clinical.condition_occurrence foreign_key condition_concept_id fail 1 ",
        "| clinical.condition_occurrence primary_key condition_occurrence_id fail 1 ",
        "| clinical.condition_occurrence required_value condition_type_concept_id fail 1 ",
        "| clinical.person column_type year_of_birth fail ",
        "| clinical.person extra_column favourite_colour warn ",
        "| clinical.person required_column gender_concept_id fail ",
        "| imaging.patient_link linkage patient_id warn 3 ",
    ] {
        assert!(report.contains(expected), "missing {expected}\n{report}");
    }
}

#[test]
fn lake_check_command_exits_1_on_a_failed_check() {
    let dir = tempfile::tempdir().unwrap();
    defective_lake(dir.path());
    let output = Command::new(env!("CARGO_BIN_EXE_rwid"))
        .args([
            "lake",
            "check",
            &dir.path().to_string_lossy(),
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with("table_name,check_name,column_name,status"),
        "{stdout}"
    );
    assert!(
        stdout.contains("clinical.person,required_column,gender_concept_id,fail"),
        "{stdout}"
    );
}

/// `imaging.image_occurrence` takes its concepts from the lake's own
/// vocabulary: the modality from a 'DICOM' concept whose code is the
/// Modality, the anatomic site from the SNOMED concept DICOM PS3.16 Annex L
/// gives BodyPartExamined (CHEST: 816094009); 0 where the lake has none. The
/// concept ids here are test data, not OHDSI's.
#[tokio::test]
async fn image_occurrence_concepts_come_from_the_lakes_vocabulary() {
    let dir = tempfile::tempdir().unwrap();
    let demo = rwid::demo::generate(&dir.path().join("lake"), 30, 3).unwrap();
    let day = || Arc::new(Date32Array::from(vec![0, 0])) as ArrayRef;
    write_table(
        &demo.root,
        "clinical",
        "concept",
        vec![
            ("concept_id", ints(&[910_001, 910_002])),
            ("concept_name", texts(&["Computed Tomography", "Chest"])),
            ("domain_id", texts(&["Meas Value", "Spec Anatomic Site"])),
            ("vocabulary_id", texts(&["DICOM", "SNOMED"])),
            ("concept_class_id", texts(&["Modality", "Body Structure"])),
            ("standard_concept", texts(&["S", "S"])),
            ("concept_code", texts(&["CT", "816094009"])),
            ("valid_start_date", day()),
            ("valid_end_date", day()),
        ],
    );
    let ctx = RwidContext::new(RwidConfig {
        lakes: vec![demo.root.to_string_lossy().into_owned()],
        ..RwidConfig::default()
    })
    .await
    .unwrap();
    let batches = ctx
        .sql(
            "SELECT s.Modality, upper(s.BodyPartExamined) AS body_part, o.modality_concept_id,
                    o.anatomic_site_concept_id, count(*) AS series
             FROM imaging.image_occurrence o
             JOIN imaging.series s ON s.SeriesInstanceUID = o.image_series_uid
             GROUP BY 1, 2, 3, 4 ORDER BY 1, 2",
        )
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let table = pretty_format_batches(&batches).unwrap().to_string();
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("| ") && !l.contains("Modality"))
        .collect();
    let mut outcomes = std::collections::HashSet::new();
    for row in rows {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (modality, body_part, modality_concept, site_concept) =
            (cells[1], cells[2], cells[3], cells[4]);
        // THORAX is CHEST's synonym in Annex L; LUNG has a code of its own.
        let chest = body_part == "CHEST" || body_part == "THORAX";
        assert_eq!(
            modality_concept,
            if modality == "CT" { "910001" } else { "0" },
            "{table}"
        );
        assert_eq!(site_concept, if chest { "910002" } else { "0" }, "{table}");
        outcomes.insert((modality == "CT", chest));
    }
    // Chest CT, other CT, and other modalities all seen.
    for seen in [(true, true), (true, false), (false, false)] {
        assert!(outcomes.contains(&seen), "{seen:?} missing: {table}");
    }
}
