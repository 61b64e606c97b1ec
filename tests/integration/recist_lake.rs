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

    let (lake, _) = mount(dir.path()).await;
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

/// Writes `sql`'s result as the lake table `schema/table`.
async fn write_table(writer: &RwidContext, root: &std::path::Path, table: &str, sql: &str) {
    let folder = root.join(table);
    std::fs::create_dir_all(&folder).unwrap();
    let copy = format!("COPY ({sql}) TO '{}/part-0.parquet'", folder.display());
    writer.sql(&copy).await.unwrap().collect().await.unwrap();
}

/// The lake at `root` mounted, and its warnings about views rwid could not build.
async fn mount(root: &std::path::Path) -> (RwidContext, Vec<String>) {
    let lake = RwidContext::new(RwidConfig {
        lakes: vec![root.to_string_lossy().into_owned()],
        ..RwidConfig::default()
    })
    .await
    .unwrap();
    let warnings = lake
        .lake_warnings()
        .iter()
        .filter(|w| w.check == "view")
        .map(|w| w.summary())
        .collect();
    (lake, warnings)
}

async fn timepoints(root: &std::path::Path) -> (String, Vec<String>) {
    let (lake, warnings) = mount(root).await;
    let batches = lake
        .sql(
            "SELECT person_id, assessment_date, sum_mm, target, non_target, overall, iresponse
             FROM imaging.recist_timepoints ORDER BY person_id, assessment_date",
        )
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    (
        pretty_format_batches(&batches).unwrap().to_string(),
        warnings,
    )
}

/// CDISC SDTM TU/TR in the lake become `imaging.lesion_measurement`: too
/// small to measure is 5 mm, NOT PRESENT 0 mm, centimetres converted, the
/// subject linked through person_source_value.
#[tokio::test]
async fn sdtm_tumour_domains_feed_recist() {
    let dir = tempfile::tempdir().unwrap();
    let writer = RwidContext::new(RwidConfig::default()).await.unwrap();
    write_table(
        &writer,
        dir.path(),
        "clinical/person",
        "SELECT CAST(column1 AS BIGINT) AS person_id, column2 AS person_source_value
         FROM (VALUES (1, 'S-001'), (2, 'S-002'))",
    )
    .await;
    write_table(
        &writer,
        dir.path(),
        "sdtm/tu",
        "SELECT column1 AS USUBJID, column2 AS TULNKID, 'TUMIDENT' AS TUTESTCD, column3 AS TUORRES, column4 AS TULOC
         FROM (VALUES ('S-001', 'T01', 'TARGET', 'LUNG'), ('S-001', 'T02', 'TARGET', 'LYMPH NODE'),
                      ('S-001', 'NT01', 'NON-TARGET', 'LIVER'), ('S-001', 'NEW01', 'NEW', 'BONE'),
                      ('S-002', 'T01', 'TARGET', 'LIVER'))",
    )
    .await;
    write_table(
        &writer,
        dir.path(),
        "sdtm/tr",
        "SELECT column1 AS USUBJID, column2 AS TRLNKID, column3 AS TRTESTCD, column4 AS TRORRES,
                column5 AS TRORRESU, column6 AS TRDTC
         FROM (VALUES ('S-001', 'T01', 'LDIAM', '30', 'mm', '2024-01-05'),
                      ('S-001', 'T02', 'SAXIS', '20', 'mm', '2024-01-05'),
                      ('S-001', 'NT01', 'TUMSTATE', 'PRESENT', NULL, '2024-01-05'),
                      ('S-001', 'T01', 'LDIAM', 'TOO SMALL TO MEASURE', NULL, '2024-03-01'),
                      ('S-001', 'T02', 'SAXIS', '8', 'mm', '2024-03-01'),
                      ('S-001', 'NT01', 'TUMSTATE', 'ABSENT', NULL, '2024-03-01'),
                      ('S-001', 'T01', 'LDIAM', 'NOT PRESENT', NULL, '2024-04-26T10:30'),
                      ('S-001', 'T02', 'SAXIS', '9', 'mm', '2024-04-26T10:30'),
                      ('S-001', 'NT01', 'TUMSTATE', 'ABSENT', NULL, '2024-04-26T10:30'),
                      ('S-001', 'NEW01', 'TUMSTATE', 'PRESENT', NULL, '2024-04-26T10:30'),
                      ('S-002', 'T01', 'LDIAM', '3.0', 'cm', '2024-01-10'),
                      ('S-002', 'T01', 'LDIAM', '2.0', 'cm', '2024-03-06'))",
    )
    .await;
    let (table, warnings) = timepoints(dir.path()).await;
    assert_eq!(warnings, Vec::<String>::new());
    let expected = "\
+-----------+-----------------+--------+--------+------------+---------+-----------+
| person_id | assessment_date | sum_mm | target | non_target | overall | iresponse |
+-----------+-----------------+--------+--------+------------+---------+-----------+
| 1         | 2024-03-01      | 13.0   | PR     | CR         | PR      | iPR       |
| 1         | 2024-04-26      | 9.0    | CR     | CR         | PD      | iUPD      |
| 2         | 2024-03-06      | 20.0   | PR     |            | PR      | iPR       |
+-----------+-----------------+--------+--------+------------+---------+-----------+";
    assert_eq!(table, expected, "\n{table}");
}

/// IDC's quantitative_measurements (SR TID 1500 flattened, Quantity and
/// findingSite as code structs) in the lake become
/// `imaging.lesion_measurement`: lesions by tracking UID, the first report's
/// lesions the targets, later ones new.
#[tokio::test]
async fn idc_quantitative_measurements_feed_recist() {
    let dir = tempfile::tempdir().unwrap();
    let writer = RwidContext::new(RwidConfig::default()).await.unwrap();
    write_table(
        &writer,
        dir.path(),
        "imaging/patient_link",
        "SELECT 'IDC' AS site, 'QM-1' AS patient_id, CAST(3 AS BIGINT) AS person_id",
    )
    .await;
    let code = |value: &str, scheme: &str, meaning: &str| {
        format!(
            "named_struct('CodeValue', '{value}', 'CodingSchemeDesignator', '{scheme}', 'CodeMeaning', '{meaning}')"
        )
    };
    let (long, short) = (
        code("103339001", "SCT", "Long axis"),
        code("103340004", "SCT", "Short axis"),
    );
    let (lung, node) = (
        code("39607008", "SCT", "Lung"),
        code("59441001", "SCT", "Lymph node"),
    );
    let (mm, cm) = (code("mm", "UCUM", "mm"), code("cm", "UCUM", "cm"));
    let row = |report: &str,
               date: &str,
               uid: &str,
               id: &str,
               quantity: &str,
               value: f64,
               units: &str,
               site: &str| {
        format!(
            "SELECT 'QM-1' AS PatientID, '{report}' AS SOPInstanceUID, '{id}' AS trackingIdentifier,
                    '{uid}' AS trackingUniqueIdentifier, {quantity} AS Quantity, CAST({value} AS DOUBLE) AS Value,
                    {units} AS Units, {site} AS findingSite, DATE '{date}' AS StudyDate"
        )
    };
    let rows = [
        row(
            "1.1",
            "2024-02-01",
            "2.25.1",
            "Lesion1",
            &long,
            25.0,
            &mm,
            &lung,
        ),
        row(
            "1.1",
            "2024-02-01",
            "2.25.2",
            "Node1",
            &short,
            16.0,
            &mm,
            &node,
        ),
        row(
            "1.2",
            "2024-04-01",
            "2.25.1",
            "Lesion1",
            &long,
            3.5,
            &cm,
            &lung,
        ),
        row(
            "1.2",
            "2024-04-01",
            "2.25.2",
            "Node1",
            &short,
            18.0,
            &mm,
            &node,
        ),
        row(
            "1.2",
            "2024-04-01",
            "2.25.3",
            "Lesion3",
            &long,
            10.0,
            &mm,
            &lung,
        ),
    ];
    write_table(
        &writer,
        dir.path(),
        "imaging/quantitative_measurements",
        &rows.join(" UNION ALL "),
    )
    .await;
    let (table, warnings) = timepoints(dir.path()).await;
    assert_eq!(warnings, Vec::<String>::new());
    let expected = "\
+-----------+-----------------+--------+--------+------------+---------+-----------+
| person_id | assessment_date | sum_mm | target | non_target | overall | iresponse |
+-----------+-----------------+--------+--------+------------+---------+-----------+
| 3         | 2024-04-01      | 53.0   | PD     |            | PD      | iUPD      |
+-----------+-----------------+--------+--------+------------+---------+-----------+";
    assert_eq!(table, expected, "\n{table}");
}

/// A mapping whose source lacks a column it needs is left out with a
/// warning that names the view and the column; the lake still mounts.
#[tokio::test]
async fn a_mapping_that_cannot_be_built_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let writer = RwidContext::new(RwidConfig::default()).await.unwrap();
    write_table(
        &writer,
        dir.path(),
        "clinical/person",
        "SELECT CAST(1 AS BIGINT) AS person_id, 'S-001' AS person_source_value",
    )
    .await;
    write_table(
        &writer,
        dir.path(),
        "sdtm/tu",
        "SELECT 'S-001' AS USUBJID, 'T01' AS TULNKID",
    )
    .await;
    write_table(&writer, dir.path(), "sdtm/tr", "SELECT 'S-001' AS USUBJID").await;
    let (_, warnings) = mount(dir.path()).await;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("imaging.lesion_measurement") && warnings[0].contains("TUTESTCD"),
        "{}",
        warnings[0]
    );
}
