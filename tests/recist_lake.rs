//! RECIST 1.1 and iRECIST end to end: lesion measurements written to a lake
//! as Parquet, read back through `imaging.recist_timepoints`, one patient
//! per edge case of the domain notes (§1.3, §1.9, §2): split and merged
//! lesions, a missing lesion, a nodal CR with a sum above 0, reappearance
//! after CR, a lesion too small to measure, pseudo-progression reset by
//! iRECIST, confirmed progression, and persisting new lesions with
//! shrinking targets.

use rwid::datafusion::arrow::util::pretty::pretty_format_batches;
use rwid::{RwidConfig, RwidContext};

/// (person, lesion, follow-up number, organ, nodal, role, size mm as
/// recorded, non-target status). Follow-ups are 8 weeks apart from
/// 2024-01-01; follow-up 0 is the baseline.
const LESIONS: &str = "
    (1, 'T1', 0, 'lung', false, 'target', '40', NULL), (1, 'T2', 0, 'liver', false, 'target', '20', NULL),
    (1, 'T1', 1, 'lung', false, 'target', '15', NULL), (1, 'T1', 1, 'lung', false, 'target', '10', NULL),
    (1, 'T2', 1, 'liver', false, 'target', '20', NULL),
    (1, 'T1', 2, 'lung', false, 'target', '8', NULL), (1, 'T1', 2, 'lung', false, 'target', '6', NULL),
    (1, 'T2', 2, 'liver', false, 'target', '10', NULL),
    (2, 'T1', 0, 'liver', false, 'target', '30', NULL), (2, 'T2', 0, 'liver', false, 'target', '20', NULL),
    (2, 'T1', 1, 'liver', false, 'target', '25', NULL), (2, 'T2', 1, 'liver', false, 'target', '0', NULL),
    (3, 'T1', 0, 'lung', false, 'target', '30', NULL), (3, 'T2', 0, 'liver', false, 'target', '20', NULL),
    (3, 'T1', 1, 'lung', false, 'target', '25', NULL), (3, 'T2', 1, 'liver', false, 'target', 'NOT ASSESSED', NULL),
    (4, 'N1', 0, 'lymph node', true, 'target', '18', NULL), (4, 'N1', 1, 'lymph node', true, 'target', '9', NULL),
    (5, 'T1', 0, 'lung', false, 'target', '20', NULL), (5, 'T1', 1, 'lung', false, 'target', 'NOT PRESENT', NULL),
    (5, 'T1', 2, 'lung', false, 'target', '4', NULL), (5, 'T1', 3, 'lung', false, 'target', '9', NULL),
    (6, 'T1', 0, 'lung', false, 'target', '30', NULL), (6, 'T1', 1, 'lung', false, 'target', 'TOO SMALL TO MEASURE', NULL),
    (7, 'T1', 0, 'lung', false, 'target', '50', NULL), (7, 'NT1', 0, 'bone', false, 'non_target', NULL, 'present'),
    (7, 'T1', 1, 'lung', false, 'target', '62', NULL), (7, 'NT1', 1, 'bone', false, 'non_target', NULL, 'present'),
    (7, 'T1', 2, 'lung', false, 'target', '40', NULL), (7, 'NT1', 2, 'bone', false, 'non_target', NULL, 'present'),
    (8, 'T1', 0, 'lung', false, 'target', '50', NULL), (8, 'T1', 1, 'lung', false, 'target', '62', NULL),
    (8, 'T1', 2, 'lung', false, 'target', '68', NULL),
    (9, 'T1', 0, 'lung', false, 'target', '30', NULL), (9, 'T1', 1, 'lung', false, 'target', '30', NULL),
    (9, 'N1', 1, 'liver', false, 'new', '10', NULL), (9, 'T1', 2, 'lung', false, 'target', '20', NULL),
    (9, 'N1', 2, 'liver', false, 'new', '10', NULL)";

#[tokio::test]
async fn edge_cases_through_the_lake_view() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("imaging/lesion_measurement");
    std::fs::create_dir_all(&table).unwrap();
    let writer = RwidContext::new(RwidConfig::default()).await.unwrap();
    let copy = format!(
        "COPY (SELECT CAST(person_id AS BIGINT) AS person_id, lesion_id,
                      CAST(CAST(CAST(DATE '2024-01-01' AS INT) + followup * 56 AS INT) AS DATE) AS assessment_date,
                      CAST(followup AS BIGINT) AS timepoint, organ, is_nodal, role,
                      CASE WHEN NOT is_nodal THEN recist11_measurement_mm(size) END AS longest_diameter_mm,
                      CASE WHEN is_nodal THEN recist11_measurement_mm(size) END AS short_axis_mm,
                      non_target_status, 1.25 AS slice_thickness_mm
               FROM (VALUES {LESIONS}) AS t(person_id, lesion_id, followup, organ, is_nodal, role, size, non_target_status))
         TO '{}/part-0.parquet'",
        table.display()
    );
    writer.sql(&copy).await.unwrap().collect().await.unwrap();

    let lake = RwidContext::new(RwidConfig {
        lake: Some(dir.path().to_string_lossy().into_owned()),
        ..RwidConfig::default()
    })
    .await
    .unwrap();
    let batches = lake
        .sql(
            "SELECT person_id, assessment_date, sum_mm, nadir_mm, target, non_target, overall, iresponse
             FROM imaging.recist_timepoints ORDER BY person_id, assessment_date",
        )
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let table = pretty_format_batches(&batches).unwrap().to_string();
    let expected = "\
+-----------+-----------------+--------+----------+--------+---------------+---------+-----------+
| person_id | assessment_date | sum_mm | nadir_mm | target | non_target    | overall | iresponse |
+-----------+-----------------+--------+----------+--------+---------------+---------+-----------+
| 1         | 2024-02-26      | 45.0   | 60.0     | SD     |               | SD      | iSD       |
| 1         | 2024-04-22      | 24.0   | 45.0     | PR     |               | PR      | iPR       |
| 2         | 2024-02-26      | 25.0   | 50.0     | PR     |               | PR      | iPR       |
| 3         | 2024-02-26      | 25.0   | 50.0     | NE     |               | NE      | NE        |
| 4         | 2024-02-26      | 9.0    | 18.0     | CR     |               | CR      | iCR       |
| 5         | 2024-02-26      | 0.0    | 20.0     | CR     |               | CR      | iCR       |
| 5         | 2024-04-22      | 4.0    | 0.0      | PR     |               | PD      | iUPD      |
| 5         | 2024-06-17      | 9.0    | 0.0      | PD     |               | PD      | iCPD      |
| 6         | 2024-02-26      | 5.0    | 30.0     | PR     |               | PR      | iPR       |
| 7         | 2024-02-26      | 62.0   | 50.0     | PD     | NON-CR/NON-PD | PD      | iUPD      |
| 7         | 2024-04-22      | 40.0   | 50.0     | SD     | NON-CR/NON-PD | SD      | iSD       |
| 8         | 2024-02-26      | 62.0   | 50.0     | PD     |               | PD      | iUPD      |
| 8         | 2024-04-22      | 68.0   | 50.0     | PD     |               | PD      | iCPD      |
| 9         | 2024-02-26      | 30.0   | 30.0     | SD     |               | PD      | iUPD      |
| 9         | 2024-04-22      | 20.0   | 30.0     | PR     |               | PD      | iPR       |
+-----------+-----------------+--------+----------+--------+---------------+---------+-----------+";
    assert_eq!(table, expected, "\n{table}");

    // RECIST 1.1 stops at the first PD; iRECIST goes on after iUPD.
    let batches = lake
        .sql(
            "SELECT person_id, recist11_best_response(overall, assessment_date, baseline_date) AS bor,
                    irecist_best_response(iresponse, assessment_date, baseline_date) AS ibor
             FROM imaging.recist_timepoints GROUP BY person_id ORDER BY person_id",
        )
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let table = pretty_format_batches(&batches).unwrap().to_string();
    let expected = "\
+-----------+-----+------+
| person_id | bor | ibor |
+-----------+-----+------+
| 1         | PR  | iPR  |
| 2         | PR  | iPR  |
| 3         | NE  | NE   |
| 4         | CR  | iCR  |
| 5         | CR  | iCR  |
| 6         | PR  | iPR  |
| 7         | PD  | iSD  |
| 8         | PD  | iCPD |
| 9         | PD  | iPR  |
+-----------+-----+------+";
    assert_eq!(table, expected, "\n{table}");
}
