//! rwid's physical rules (large row groups split across partitions,
//! run-collapsing before partial aggregation and on join probe sides,
//! sorted windows, the first rows per window partition) give exactly
//! DataFusion's results: the same queries over the
//! same Parquet files in an rwid session and in a plain DataFusion session,
//! over an index clustered by series (the rewrite at work) and over the same
//! rows shuffled (runs of one row, the collapsing operator passing rows
//! through).

use std::path::Path;
use std::sync::Arc;

use rwid::datafusion::arrow::array::{ArrayRef, Int32Array, Int64Array, RecordBatch, StringArray};
use rwid::datafusion::arrow::util::pretty::pretty_format_batches;
use rwid::datafusion::parquet::file::properties::WriterProperties;
use rwid::datafusion::prelude::{SessionConfig, SessionContext};
use rwid::demo::fixtures::write_parquet;

use crate::support::sorted_text;
use rwid::demo::rng::Rng;
use rwid::{RwidConfig, RwidContext};

/// Each query, and the operators rwid puts in its plan (none: DataFusion's
/// plan). Aggregations the rewrite takes (count, integer sum, min, max,
/// DISTINCT), ones it leaves to DataFusion (avg, float sum, no GROUP BY);
/// windows it takes (row_number, lag and lead with offsets, several
/// partition keys, NULL keys and values) and ones it leaves (a default
/// value, IGNORE NULLS, rank).
const QUERIES: &[(&str, &[&str])] = &[
    (
        "SELECT Modality, count(*) AS instances, count(DISTINCT SeriesInstanceUID) AS series
         FROM instances GROUP BY Modality",
        &[COLLAPSE],
    ),
    (
        "SELECT SeriesInstanceUID, min(PatientID) AS patient, max(InstanceNumber) AS last,
                count(*) AS instances, count(BodyPartExamined) AS with_body_part,
                sum(file_size) AS bytes, sum(InstanceNumber) AS numbers
         FROM instances GROUP BY SeriesInstanceUID",
        &[COLLAPSE],
    ),
    (
        "SELECT DISTINCT PatientID, StudyInstanceUID, StudyDay FROM instances",
        &[COLLAPSE],
    ),
    (
        "SELECT BodyPartExamined, Modality, count(*) AS n, sum(file_size) AS bytes
         FROM instances WHERE Modality <> 'SR' GROUP BY BodyPartExamined, Modality",
        &[COLLAPSE],
    ),
    (
        // A filter fused into the collapsing, its predicate NULL where the
        // body part is.
        "SELECT SeriesInstanceUID, count(*) AS n, sum(file_size) AS bytes FROM instances
         WHERE BodyPartExamined <> 'HEAD' AND InstanceNumber % 7 <> 3 GROUP BY SeriesInstanceUID",
        &[COLLAPSE],
    ),
    (
        // The sum's argument divides by what the filter excludes: it must
        // see only the kept rows.
        "SELECT SeriesInstanceUID, sum(100 / (InstanceNumber % 5)) AS quotients FROM instances
         WHERE InstanceNumber % 5 <> 0 AND Modality <> 'PT' GROUP BY SeriesInstanceUID",
        &[COLLAPSE],
    ),
    (
        // Short-text conditions compared view by view: an IN list (kept a
        // list past three texts), an OR of equalities on one column, NULL
        // body parts.
        "SELECT PatientID, count(*) AS n, count(DISTINCT SeriesInstanceUID) AS series FROM instances
         WHERE Modality IN ('CT', 'MR', 'US', 'NM') AND (BodyPartExamined = 'HEAD' OR BodyPartExamined = 'CHEST')
         GROUP BY PatientID",
        &[COLLAPSE],
    ),
    (
        "SELECT PatientID, count(DISTINCT StudyInstanceUID) AS studies FROM instances GROUP BY PatientID",
        &[COLLAPSE],
    ),
    (
        // Within a series (a run of one modality) the residues repeat, not
        // next to each other: dropped within runs of the leading key.
        "SELECT Modality, count(DISTINCT InstanceNumber % 3) AS residues
         FROM instances GROUP BY Modality",
        &[COLLAPSE],
    ),
    (
        "SELECT Modality, avg(InstanceNumber) AS mean_number FROM instances GROUP BY Modality",
        &[],
    ),
    (
        "SELECT Modality, sum(CAST(InstanceNumber AS DOUBLE)) AS numbers FROM instances GROUP BY Modality",
        &[],
    ),
    (
        "SELECT count(*) AS instances, sum(file_size) AS bytes FROM instances",
        &[],
    ),
    (
        "SELECT PatientID, StudyInstanceUID, row_number() OVER (
             PARTITION BY PatientID ORDER BY StudyDay, StudyInstanceUID) AS n
         FROM (SELECT DISTINCT PatientID, StudyInstanceUID, StudyDay FROM instances)",
        &[COLLAPSE, WINDOW],
    ),
    (
        "SELECT SeriesInstanceUID, InstanceNumber,
                lag(file_size) OVER w AS previous, lead(file_size) OVER w AS next,
                lag(BodyPartExamined, 2) OVER w AS two_back, lead(InstanceNumber, 3) OVER w AS three_on,
                row_number() OVER w AS n
         FROM instances WINDOW w AS (PARTITION BY SeriesInstanceUID ORDER BY InstanceNumber)",
        &[WINDOW],
    ),
    (
        "SELECT BodyPartExamined, Modality, InstanceNumber, SeriesInstanceUID,
                row_number() OVER (PARTITION BY BodyPartExamined, Modality
                                   ORDER BY SeriesInstanceUID, InstanceNumber) AS n
         FROM instances",
        &[WINDOW],
    ),
    (
        "SELECT SeriesInstanceUID, InstanceNumber,
                lag(file_size, 1, 0) OVER (PARTITION BY SeriesInstanceUID ORDER BY InstanceNumber) AS previous
         FROM instances",
        &[],
    ),
    (
        "SELECT SeriesInstanceUID, InstanceNumber,
                lag(file_size) IGNORE NULLS OVER (PARTITION BY SeriesInstanceUID ORDER BY InstanceNumber) AS previous
         FROM instances",
        &[],
    ),
    (
        "SELECT PatientID, StudyDay, rank() OVER (PARTITION BY PatientID ORDER BY StudyDay) AS r
         FROM instances",
        &[],
    ),
    // Filters on row_number(): only the rows ranked within the bound reach
    // the sort.
    (
        "SELECT PatientID, StudyInstanceUID, rn FROM (
             SELECT PatientID, StudyInstanceUID, row_number() OVER (
                 PARTITION BY PatientID ORDER BY StudyDay DESC, StudyInstanceUID) AS rn
             FROM (SELECT DISTINCT PatientID, StudyInstanceUID, StudyDay FROM instances)) t
         WHERE rn <= 2",
        &[COLLAPSE, WINDOW, TOP_K],
    ),
    (
        // Ties in the order key: the values ranked first do not depend on
        // how ties are numbered.
        "SELECT Modality, StudyDay, rn FROM (
             SELECT Modality, StudyDay, row_number() OVER (PARTITION BY Modality ORDER BY StudyDay) AS rn
             FROM instances) t
         WHERE rn < 4 AND Modality <> 'SR'",
        &[WINDOW, TOP_K],
    ),
    (
        // NULL partition and order keys, a descending order, the bound on
        // the left.
        "SELECT BodyPartExamined, SeriesInstanceUID, InstanceNumber, file_size FROM (
             SELECT BodyPartExamined, SeriesInstanceUID, InstanceNumber, file_size,
                    row_number() OVER (PARTITION BY BodyPartExamined
                                       ORDER BY file_size DESC, SeriesInstanceUID, InstanceNumber) AS rn
             FROM instances) t
         WHERE 5 >= rn",
        &[WINDOW, TOP_K],
    ),
    (
        // A partition per row: after its first rows the operator passes
        // the rest through, and every row is still there.
        "SELECT SeriesInstanceUID, InstanceNumber, file_size FROM (
             SELECT SeriesInstanceUID, InstanceNumber, file_size,
                    row_number() OVER (PARTITION BY SeriesInstanceUID, InstanceNumber ORDER BY file_size) AS rn
             FROM instances) t
         WHERE rn = 1",
        &[WINDOW, TOP_K],
    ),
    (
        "SELECT PatientID, StudyDay FROM (
             SELECT PatientID, StudyDay, rank() OVER (PARTITION BY PatientID ORDER BY StudyDay) AS r
             FROM instances) t
         WHERE r = 1",
        &[],
    ),
    (
        // Another function of the same window sees every row.
        "SELECT PatientID, StudyDay, n FROM (
             SELECT PatientID, StudyDay,
                    row_number() OVER (PARTITION BY PatientID ORDER BY StudyDay, SeriesInstanceUID, InstanceNumber) AS rn,
                    count(*) OVER (PARTITION BY PatientID ORDER BY StudyDay, SeriesInstanceUID, InstanceNumber) AS n
             FROM instances) t
         WHERE rn = 1",
        &[],
    ),
    // Joins: instances probe a table of patients. Semi and anti joins never
    // show probe duplicates; the others only under DISTINCT, min, max.
    (
        "SELECT person_id, site FROM patients p
         WHERE EXISTS (SELECT 1 FROM instances i WHERE i.PatientID = p.PatientID AND i.Modality = 'CT')",
        &[PROBE],
    ),
    (
        "SELECT person_id FROM patients p
         WHERE NOT EXISTS (SELECT 1 FROM instances i WHERE i.PatientID = p.PatientID AND i.Modality = 'SR')",
        &[PROBE],
    ),
    (
        "SELECT DISTINCT p.person_id, i.StudyDay FROM instances i
         JOIN patients p ON p.PatientID = i.PatientID WHERE i.Modality = 'CT'",
        &[PROBE, COLLAPSE],
    ),
    (
        "SELECT p.site, count(DISTINCT p.person_id) AS persons, min(i.StudyDay) AS first_day,
                max(i.BodyPartExamined) AS body_part
         FROM instances i JOIN patients p ON p.PatientID = i.PatientID GROUP BY p.site",
        &[PROBE, COLLAPSE],
    ),
    (
        // A join filter over probe columns.
        "SELECT DISTINCT p.person_id, i.SeriesInstanceUID FROM instances i
         JOIN patients p ON p.PatientID = i.PatientID AND i.StudyDay > p.enrolled_day",
        &[PROBE, COLLAPSE],
    ),
    (
        // Outer joins: unmatched rows on either side still appear once.
        "SELECT DISTINCT p.person_id, i.Modality FROM instances i
         FULL JOIN patients p ON p.PatientID = i.PatientID",
        &[PROBE, COLLAPSE],
    ),
    // Aggregations that count over an inner join: runs collapse below the
    // join, which carries their counts and sums.
    (
        "SELECT p.site, count(*) AS instances, count(DISTINCT i.StudyDay) AS days
         FROM instances i JOIN patients p ON p.PatientID = i.PatientID GROUP BY p.site",
        &[COLLAPSE, BELOW_JOIN],
    ),
    (
        "SELECT p.site, i.Modality, count(*) AS instances, count(i.BodyPartExamined) AS with_body_part,
                sum(i.file_size) AS bytes, min(p.person_id) AS first_person, max(i.StudyDay) AS last_day
         FROM instances i JOIN patients p ON p.PatientID = i.PatientID GROUP BY p.site, i.Modality",
        &[COLLAPSE, BELOW_JOIN],
    ),
    (
        "SELECT p.site, count(*) AS instances, sum(i.InstanceNumber) AS numbers
         FROM instances i JOIN patients p ON p.PatientID = i.PatientID AND i.StudyDay > p.enrolled_day
         WHERE i.Modality IN ('CT', 'MR') GROUP BY p.site",
        &[COLLAPSE, BELOW_JOIN],
    ),
    (
        // A sum over a build column stays above the join.
        "SELECT i.Modality, count(*) AS instances, sum(p.person_id) AS persons
         FROM instances i JOIN patients p ON p.PatientID = i.PatientID GROUP BY i.Modality",
        &[COLLAPSE],
    ),
    (
        "SELECT p.person_id, i.SeriesInstanceUID FROM instances i
         JOIN patients p ON p.PatientID = i.PatientID WHERE i.InstanceNumber < 4",
        &[],
    ),
];

const COLLAPSE: &str = "CollapseRunsExec";
const WINDOW: &str = "SortedWindowExec";
/// A collapse on a join's probe side.
const PROBE: &str = "CollapseRunsExec: consecutive duplicates dropped";
/// The first rows per window partition, before the window's sort.
const TOP_K: &str = "PartitionTopKExec";
/// A collapse carrying counts below a join.
const BELOW_JOIN: &str = "CollapseRunsExec below HashJoinExec";
/// The index's first file, one large row group, read in pieces by several
/// partitions: its path appears once per piece in the scan.
const SPLIT: &str = "instances/part-0.parquet";
/// The fewest rows per piece in these tests (`rwid.scan_piece_min_rows`).
const PIECE_MIN_ROWS: usize = 500;

/// One row of the test index.
struct Instance {
    patient: String,
    study: String,
    series: String,
    modality: &'static str,
    body_part: Option<&'static str>,
    study_day: i32,
    number: i64,
    size: Option<i64>,
}

/// An instance index: series of 1 to 60 instances in a row, long UIDs,
/// NULL body parts in some series, NULL sizes in some rows, a sum that
/// wraps around i64 in one series.
fn instances(shuffled: bool) -> RecordBatch {
    let mut rng = Rng::new(7);
    let mut rows: Vec<Instance> = Vec::new();
    for series in 0..400 {
        let study = format!("1.2.826.0.1.3680043.10.1386.{}.{}", series % 37, series % 3);
        let modality = *rng.pick(&["CT", "MR", "PT", "SR"]);
        let body_part = (series % 9 != 0).then(|| *rng.pick(&["CHEST", "HEAD"]));
        for number in 1..=rng.int(1, 60) {
            let size = match (series, number) {
                (13, _) => Some(i64::MAX / 2),
                (_, n) if n % 11 == 0 => None,
                _ => Some(rng.int(1000, 2000)),
            };
            rows.push(Instance {
                patient: format!("PAT-{:03}", series % 37),
                study: study.clone(),
                series: format!("{study}.{series}"),
                modality,
                body_part,
                study_day: 18000 + series % 3,
                number,
                size,
            });
        }
    }
    if shuffled {
        for i in (1..rows.len()).rev() {
            rows.swap(i, rng.int(0, i as i64) as usize);
        }
    }
    let texts = |value: fn(&Instance) -> Option<&str>| -> ArrayRef {
        Arc::new(rows.iter().map(value).collect::<StringArray>())
    };
    RecordBatch::try_from_iter([
        ("PatientID", texts(|r| Some(&r.patient))),
        ("StudyInstanceUID", texts(|r| Some(&r.study))),
        ("SeriesInstanceUID", texts(|r| Some(&r.series))),
        ("Modality", texts(|r| Some(r.modality))),
        ("BodyPartExamined", texts(|r| r.body_part)),
        (
            "StudyDay",
            Arc::new(rows.iter().map(|r| r.study_day).collect::<Int32Array>()) as ArrayRef,
        ),
        (
            "InstanceNumber",
            Arc::new(rows.iter().map(|r| r.number).collect::<Int64Array>()) as ArrayRef,
        ),
        (
            "file_size",
            Arc::new(rows.iter().map(|r| r.size).collect::<Int64Array>()) as ArrayRef,
        ),
    ])
    .unwrap()
}

/// Patients of the index and some without images; one PatientID linked to
/// two persons, one NULL PatientID.
fn patients() -> RecordBatch {
    let ids: Vec<Option<String>> = (0..44)
        .map(|p| match p {
            43 => None,
            42 => Some("PAT-005".to_string()),
            p => Some(format!("PAT-{p:03}")),
        })
        .collect();
    RecordBatch::try_from_iter([
        ("PatientID", Arc::new(StringArray::from(ids)) as ArrayRef),
        (
            "person_id",
            Arc::new(Int64Array::from_iter_values(1000..1044)) as ArrayRef,
        ),
        (
            "site",
            Arc::new(StringArray::from_iter_values(
                (0..44).map(|p| ["RUH", "SMC", "NCI"][p % 3]),
            )) as ArrayRef,
        ),
        (
            "enrolled_day",
            Arc::new(Int32Array::from_iter_values((0..44).map(|p| 17999 + p % 3))) as ArrayRef,
        ),
    ])
    .unwrap()
}

/// Two Parquet files: the first two thirds of the rows as one row group
/// (split into pieces when the rows exceed `PIECE_MIN_ROWS`), the rest in
/// row groups of 1,000.
fn write_index(folder: &Path, batch: &RecordBatch) {
    let first = batch.num_rows() * 2 / 3;
    for (file, (part, row_group_rows)) in [
        (batch.slice(0, first), first.max(1)),
        (batch.slice(first, batch.num_rows() - first), 1000),
    ]
    .iter()
    .enumerate()
    {
        let properties = WriterProperties::builder()
            .set_max_row_group_row_count(Some(*row_group_rows))
            .build();
        let path = folder.join(format!("part-{file}.parquet"));
        write_parquet(&path, std::slice::from_ref(part), Some(properties)).unwrap();
    }
}

async fn explain(ctx: &SessionContext, sql: &str) -> String {
    let batches = ctx
        .sql(&format!("EXPLAIN {sql}"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    pretty_format_batches(&batches).unwrap().to_string()
}

/// How the test sessions run. By default DataFusion collects a small build
/// side into one hash table shared by all partitions; over its size
/// thresholds (here zero) both sides are hash-repartitioned and every
/// partition joins its own. Partial aggregations stop aggregating when their
/// first rows show few repeated groups (here after 64 rows): they then hand
/// each row (each collapsed run) to the final aggregation as a state.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    CollectBuildSide,
    Partitioned,
    SkippedPartialAggregation,
    /// Batches of 4,096 rows: over shuffled rows, collapsing gives up after
    /// the first batch.
    LargeBatches,
    /// DataFusion's hash join buffering: each join's probe side is read
    /// ahead into a `BufferExec` while the build side is built.
    BufferedProbeSides,
}

const BUFFERING: &str = "SET datafusion.execution.hash_join_buffering_capacity = 1048576";
const NO_BUFFERING: &str = "SET datafusion.execution.hash_join_buffering_capacity = 0";

/// The physical plan's lines without their indentation or `BufferExec`
/// lines: what is left when a buffer is only one more node.
async fn plan_without_buffers(ctx: &SessionContext, sql: &str) -> Vec<String> {
    let plan = ctx
        .sql(sql)
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    rwid::datafusion::physical_plan::displayable(plan.as_ref())
        .indent(false)
        .to_string()
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("BufferExec"))
        .map(String::from)
        .collect()
}

async fn same_results_as_datafusion(shuffled: bool, mode: Mode) {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("instances");
    write_index(&folder, &instances(shuffled));
    let patient_folder = dir.path().join("patients");
    write_index(&patient_folder, &patients());
    let locations = [
        format!(
            "CREATE EXTERNAL TABLE instances STORED AS PARQUET LOCATION '{}/'",
            folder.display()
        ),
        format!(
            "CREATE EXTERNAL TABLE patients STORED AS PARQUET LOCATION '{}/'",
            patient_folder.display()
        ),
    ];
    let (partition_counts, queries): (&[usize], Vec<_>) = match mode {
        Mode::CollectBuildSide => (&[1, 2, 3], QUERIES.iter().collect()),
        Mode::SkippedPartialAggregation | Mode::LargeBatches => (&[2], QUERIES.iter().collect()),
        Mode::Partitioned | Mode::BufferedProbeSides => (
            &[2],
            QUERIES
                .iter()
                .filter(|(sql, _)| sql.contains("JOIN") || sql.contains("EXISTS"))
                .collect(),
        ),
    };
    let settings: &[&str] = match mode {
        Mode::CollectBuildSide => &[],
        Mode::Partitioned => &[
            "SET datafusion.optimizer.hash_join_single_partition_threshold = 0",
            "SET datafusion.optimizer.hash_join_single_partition_threshold_rows = 0",
        ],
        Mode::SkippedPartialAggregation => &[
            "SET datafusion.execution.skip_partial_aggregation_probe_rows_threshold = 64",
            "SET datafusion.execution.skip_partial_aggregation_probe_ratio_threshold = 0.1",
        ],
        Mode::LargeBatches => &[],
        Mode::BufferedProbeSides => &[BUFFERING],
    };
    let batch_size = match mode {
        Mode::LargeBatches => 4096,
        _ => 97,
    };
    for &partitions in partition_counts {
        // Small batches: many batches per file, runs split across them.
        let rwid = RwidContext::new(RwidConfig {
            target_partitions: Some(partitions),
            batch_size: Some(batch_size),
            ..RwidConfig::default()
        })
        .await
        .unwrap();
        rwid.sql(&format!("SET rwid.scan_piece_min_rows = {PIECE_MIN_ROWS}"))
            .await
            .unwrap();
        for location in &locations {
            rwid.sql(location).await.unwrap();
        }
        let mut config = SessionConfig::new()
            .with_target_partitions(partitions)
            .with_batch_size(batch_size);
        config.options_mut().sql_parser.enable_ident_normalization = false;
        let plain = SessionContext::new_with_config(config);
        for location in &locations {
            plain.sql(location).await.unwrap();
        }
        for setting in settings {
            rwid.sql(setting).await.unwrap().collect().await.unwrap();
            plain.sql(setting).await.unwrap().collect().await.unwrap();
        }
        for (sql, operators) in &queries {
            let ours = sorted_text(rwid.session(), sql).await;
            let theirs = sorted_text(&plain, sql).await;
            assert_eq!(ours, theirs, "{sql} with {partitions} partitions");
            let plan = explain(rwid.session(), sql).await;
            if mode == Mode::Partitioned {
                assert!(plan.contains("mode=Partitioned"), "{sql}\n{plan}");
            }
            if mode == Mode::BufferedProbeSides {
                // The buffer goes above rwid's rewrites, which still apply
                // in full (a filter stays fused into the probe collapse).
                assert!(plan.contains("BufferExec"), "{sql}\n{plan}");
                let buffered = plan_without_buffers(rwid.session(), sql).await;
                rwid.sql(NO_BUFFERING)
                    .await
                    .unwrap()
                    .collect()
                    .await
                    .unwrap();
                let unbuffered = plan_without_buffers(rwid.session(), sql).await;
                rwid.sql(BUFFERING).await.unwrap().collect().await.unwrap();
                assert_eq!(buffered, unbuffered, "{sql}");
            }
            let probe_collapses = plan.matches(PROBE).count();
            // With one partition DataFusion aggregates in a single step:
            // nothing partial to rewrite.
            let aggregate_collapses = plan.matches(COLLAPSE).count() - probe_collapses;
            let counting_below_join = plan
                .find("HashJoinExec")
                .zip(plan.find("CollapseRunsExec: ["))
                .is_some_and(|(join, collapse)| join < collapse);
            // Every query reads the index, whose large row group is split
            // whenever there are several partitions.
            assert_eq!(
                plan.matches(SPLIT).count() > 1,
                partitions > 1,
                "{SPLIT} in pieces in\n{sql}\n{plan}"
            );
            let found = [
                (COLLAPSE, aggregate_collapses > 0, partitions > 1),
                (BELOW_JOIN, counting_below_join, partitions > 1),
                (PROBE, probe_collapses > 0, true),
                (WINDOW, plan.contains(WINDOW), true),
                (TOP_K, plan.contains(TOP_K), true),
            ];
            for (rwid_operator, present, applies) in found {
                let expected = operators.contains(&rwid_operator) && applies;
                assert_eq!(present, expected, "{rwid_operator} in\n{sql}\n{plan}");
            }
        }
    }
}

#[tokio::test]
async fn clustered_index_queries_as_in_datafusion() {
    same_results_as_datafusion(false, Mode::CollectBuildSide).await;
}

#[tokio::test]
async fn partitioned_joins_as_in_datafusion() {
    same_results_as_datafusion(false, Mode::Partitioned).await;
    same_results_as_datafusion(true, Mode::Partitioned).await;
}

#[tokio::test]
async fn skipped_partial_aggregation_as_in_datafusion() {
    same_results_as_datafusion(false, Mode::SkippedPartialAggregation).await;
    same_results_as_datafusion(true, Mode::SkippedPartialAggregation).await;
}

#[tokio::test]
async fn large_batches_as_in_datafusion() {
    same_results_as_datafusion(false, Mode::LargeBatches).await;
    same_results_as_datafusion(true, Mode::LargeBatches).await;
}

#[tokio::test]
async fn buffered_probe_sides_as_in_datafusion() {
    same_results_as_datafusion(false, Mode::BufferedProbeSides).await;
    same_results_as_datafusion(true, Mode::BufferedProbeSides).await;
}

#[tokio::test]
async fn shuffled_index_queries_as_in_datafusion() {
    same_results_as_datafusion(true, Mode::CollectBuildSide).await;
}
