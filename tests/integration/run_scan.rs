//! Parquet scans read as runs of dictionary keys (`RunScanExec`, under
//! `SELECT DISTINCT`, `count(DISTINCT ...)` and duplicate-insensitive joins)
//! give exactly DataFusion's results, over every page layout a writer
//! produces: the same rows written with small pages, version 2 data pages,
//! NULLs, split row groups, a dictionary that overflows into PLAIN pages, no
//! dictionary, files with and without one, and shuffled rows. The first four
//! are read as runs; files without dictionaries keep DataFusion's scan (in
//! the plan, or file by file when only some have one), and shuffled rows go
//! to DataFusion's reader once their first runs show they do not pay (and
//! keep DataFusion's scan when the query is planned again).

use std::path::Path;
use std::sync::Arc;

use rwid::datafusion::arrow::array::{
    ArrayRef, Date32Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use rwid::datafusion::arrow::util::pretty::pretty_format_batches;
use rwid::datafusion::parquet::basic::Compression;
use rwid::datafusion::parquet::file::properties::{WriterProperties, WriterVersion};
use rwid::datafusion::prelude::{SessionConfig, SessionContext};
use rwid::demo::fixtures::write_parquet;

use crate::support::sorted_text;
use rwid::demo::rng::Rng;
use rwid::{RwidConfig, RwidContext};

/// The same rows, written one way (split evenly over files written with
/// `files`' properties).
struct Layout {
    name: &'static str,
    shuffled: bool,
    files: &'static [fn() -> WriterProperties],
    /// rwid's row group split, with three partitions: pieces of at least
    /// this many rows, each read through a row selection.
    piece_min_rows: Option<usize>,
    read: Read,
}

/// How a layout's row groups are read.
#[derive(Debug, PartialEq)]
enum Read {
    AsRuns,
    /// By DataFusion's reader, after the first runs showed they do not pay.
    ByRows,
    /// Some files as runs, others by DataFusion's reader.
    Both,
    /// The footers show no row group that can be read as runs: the plan
    /// keeps DataFusion's scan.
    NotReplaced,
}

fn default_writer() -> WriterProperties {
    WriterProperties::builder().build()
}

fn no_dictionary() -> WriterProperties {
    WriterProperties::builder()
        .set_dictionary_enabled(false)
        .build()
}

const LAYOUTS: &[Layout] = &[
    Layout {
        name: "default writer",
        shuffled: false,
        files: &[default_writer],
        piece_min_rows: None,
        read: Read::AsRuns,
    },
    Layout {
        name: "snappy pages of 100 rows, row groups of 3000",
        shuffled: false,
        files: &[|| {
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_data_page_row_count_limit(100)
                .set_write_batch_size(100)
                .set_max_row_group_row_count(Some(3000))
                .build()
        }],
        piece_min_rows: None,
        read: Read::AsRuns,
    },
    Layout {
        name: "snappy version 2 data pages",
        shuffled: false,
        files: &[|| {
            WriterProperties::builder()
                .set_writer_version(WriterVersion::PARQUET_2_0)
                .set_compression(Compression::SNAPPY)
                .set_data_page_row_count_limit(500)
                .set_write_batch_size(500)
                .build()
        }],
        piece_min_rows: None,
        read: Read::AsRuns,
    },
    Layout {
        name: "row group split into pieces",
        shuffled: false,
        files: &[|| {
            WriterProperties::builder()
                .set_data_page_row_count_limit(700)
                .set_write_batch_size(700)
                .build()
        }],
        piece_min_rows: Some(1500),
        read: Read::AsRuns,
    },
    Layout {
        name: "dictionary overflowing into PLAIN pages",
        shuffled: false,
        files: &[|| {
            WriterProperties::builder()
                .set_dictionary_page_size_limit(256)
                .set_data_page_row_count_limit(200)
                .set_write_batch_size(200)
                .build()
        }],
        piece_min_rows: None,
        read: Read::NotReplaced,
    },
    Layout {
        name: "no dictionary",
        shuffled: false,
        files: &[no_dictionary],
        piece_min_rows: None,
        read: Read::NotReplaced,
    },
    Layout {
        name: "one file with a dictionary, one without",
        shuffled: false,
        files: &[default_writer, no_dictionary],
        piece_min_rows: None,
        read: Read::Both,
    },
    Layout {
        name: "shuffled rows",
        shuffled: true,
        files: &[default_writer],
        piece_min_rows: None,
        read: Read::ByRows,
    },
];

/// Queries whose scan is read as runs: text, Date32, Int32 and Int64
/// columns, NULLs, a fused filter, a semi join's probe side; each with
/// whether it reads every file (and so meets every layout's reader).
const QUERIES: &[(&str, bool)] = &[
    (
        "SELECT DISTINCT PatientID, SeriesInstanceUID, Modality, StudyDate FROM instances",
        true,
    ),
    (
        "SELECT Modality, count(DISTINCT PatientID) AS patients FROM instances
         WHERE StudyDate >= DATE '2020-01-02' GROUP BY Modality",
        true,
    ),
    (
        "SELECT DISTINCT SeriesNumber, series_bytes FROM instances",
        true,
    ),
    (
        "SELECT count(*) AS patients FROM patients p
         WHERE p.PatientID IN (SELECT PatientID FROM instances WHERE Modality = 'CT')",
        true,
    ),
    (
        // A build side of a few patients, whose dynamic filter may prune
        // the row groups and files of the others.
        "SELECT p.PatientID, count(DISTINCT i.SeriesInstanceUID) AS series
         FROM patients p JOIN instances i ON i.PatientID = p.PatientID
         WHERE p.PatientID < 'PAT-012' GROUP BY p.PatientID",
        false,
    ),
];

#[tokio::test]
async fn run_scans_as_in_datafusion_in_every_layout() {
    for layout in LAYOUTS {
        let dir = tempfile::tempdir().unwrap();
        write(
            &dir.path().join("instances"),
            &instances(layout.shuffled),
            layout.files,
        );
        write(&dir.path().join("patients"), &patients(), &[default_writer]);
        let tables = ["instances", "patients"].map(|table| {
            format!(
                "CREATE EXTERNAL TABLE {table} STORED AS PARQUET LOCATION '{}/'",
                dir.path().join(table).display()
            )
        });
        let partitions = if layout.piece_min_rows.is_some() {
            3
        } else {
            2
        };
        let rwid = RwidContext::new(RwidConfig {
            target_partitions: Some(partitions),
            batch_size: Some(97),
            ..RwidConfig::default()
        })
        .await
        .unwrap();
        if let Some(rows) = layout.piece_min_rows {
            run(
                rwid.session(),
                &format!("SET rwid.scan_piece_min_rows = {rows}"),
            )
            .await;
        }
        let mut config = SessionConfig::new()
            .with_target_partitions(partitions)
            .with_batch_size(97);
        config.options_mut().sql_parser.enable_ident_normalization = false;
        let plain = SessionContext::new_with_config(config);
        for table in &tables {
            run(rwid.session(), table).await;
            run(&plain, table).await;
        }
        for &(sql, reads_every_file) in QUERIES {
            let context = format!("{sql}\nin layout '{}'", layout.name);
            // The query's first run, its plan with metrics.
            let plan = run(rwid.session(), &format!("EXPLAIN ANALYZE {sql}")).await;
            let as_runs = metric(&plan, "row_groups_read_as_runs") > 0;
            let by_rows = metric(&plan, "files_read_by_rows") > 0;
            let read = match (plan.contains("RunScanExec"), as_runs, by_rows) {
                (false, _, _) => Read::NotReplaced,
                (true, true, false) => Read::AsRuns,
                (true, false, true) => Read::ByRows,
                (true, true, true) => Read::Both,
                (true, false, false) => panic!("nothing read in {context}\n{plan}"),
            };
            if reads_every_file {
                assert_eq!(read, layout.read, "{context}\n{plan}");
            }
            assert_eq!(
                sorted_text(rwid.session(), sql).await,
                sorted_text(&plain, sql).await,
                "{context}"
            );
            if read == Read::ByRows {
                // The session remembers files whose runs were too short:
                // planned again, the scan is DataFusion's.
                let again = run(rwid.session(), &format!("EXPLAIN {sql}")).await;
                assert!(!again.contains("RunScanExec"), "{context}\n{again}");
            }
            if layout.piece_min_rows.is_some() {
                assert!(
                    plan.matches("part-0.parquet").count() > 1,
                    "{context}\n{plan}"
                );
            }
        }
    }
}

/// The sum of a counter over the plan's `RunScanExec`s.
fn metric(plan: &str, name: &str) -> usize {
    plan.match_indices(&format!("{name}="))
        .map(|(at, found)| {
            let digits: String = plan[at + found.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse::<usize>().unwrap()
        })
        .sum()
}

async fn run(ctx: &SessionContext, sql: &str) -> String {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    pretty_format_batches(&batches).unwrap().to_string()
}

/// `batch` split evenly over one file per entry of `files`, each written
/// with its properties.
fn write(folder: &Path, batch: &RecordBatch, files: &[fn() -> WriterProperties]) {
    let rows = batch.num_rows().div_ceil(files.len());
    for (index, properties) in files.iter().enumerate() {
        let part = batch.slice(index * rows, rows.min(batch.num_rows() - index * rows));
        let path = folder.join(format!("part-{index}.parquet"));
        write_parquet(&path, &[part], Some(properties())).unwrap();
    }
}

/// 600 series of 1 to 40 instances, a series' instances together: long
/// UIDs (past the 12 bytes a string view holds inline), NULL modalities,
/// dates and byte counts, and per-series numbers.
fn instances(shuffled: bool) -> RecordBatch {
    let mut rng = Rng::new(11);
    let mut rows = Vec::new();
    for series in 0..600 {
        let patient = format!("PAT-{:03}", series / 4);
        let uid = format!("1.2.826.0.1.3680043.10.1386.{series}");
        let modality = (series % 13 != 0).then(|| *rng.pick(&["CT", "MR", "PT"]));
        let day = (series % 17 != 0).then(|| 18262 + (series / 4) % 5);
        let bytes = (series % 7 != 0).then(|| rng.int(0, 1 << 40));
        let number = series % 50;
        for _ in 0..rng.int(1, 40) {
            rows.push((patient.clone(), uid.clone(), modality, day, number, bytes));
        }
    }
    if shuffled {
        for i in (1..rows.len()).rev() {
            rows.swap(i, rng.int(0, i as i64) as usize);
        }
    }
    RecordBatch::try_from_iter([
        (
            "PatientID",
            Arc::new(
                rows.iter()
                    .map(|r| Some(r.0.as_str()))
                    .collect::<StringArray>(),
            ) as ArrayRef,
        ),
        (
            "SeriesInstanceUID",
            Arc::new(
                rows.iter()
                    .map(|r| Some(r.1.as_str()))
                    .collect::<StringArray>(),
            ),
        ),
        (
            "Modality",
            Arc::new(rows.iter().map(|r| r.2).collect::<StringArray>()),
        ),
        (
            "StudyDate",
            Arc::new(rows.iter().map(|r| r.3).collect::<Date32Array>()),
        ),
        (
            "SeriesNumber",
            Arc::new(rows.iter().map(|r| Some(r.4)).collect::<Int32Array>()),
        ),
        (
            "series_bytes",
            Arc::new(rows.iter().map(|r| r.5).collect::<Int64Array>()),
        ),
    ])
    .unwrap()
}

/// Every other patient of the index, and some it does not hold.
fn patients() -> RecordBatch {
    let ids: StringArray = (0..200)
        .step_by(2)
        .map(|p| Some(format!("PAT-{p:03}")))
        .collect();
    RecordBatch::try_from_iter([("PatientID", Arc::new(ids) as ArrayRef)]).unwrap()
}

/// Issue 18: a table written at two times, its second file with the columns
/// in another order, or with a column added before the filtered one. The
/// run scan prunes row groups by each file's own statistics, found by
/// column name: with the table's column positions it tested `s = 'x'`
/// against `k`'s minimum and maximum in `b.parquet` and dropped `k2`.
#[tokio::test]
async fn files_with_other_column_orders_answer_as_datafusion() {
    let text = |values: &[&str]| Arc::new(StringArray::from(values.to_vec())) as ArrayRef;
    let layouts: [(&str, Vec<(&str, ArrayRef)>); 4] = [
        (
            "columns swapped",
            vec![("s", text(&["x"])), ("k", text(&["k2"]))],
        ),
        (
            "a column added before s",
            vec![
                ("k", text(&["k2"])),
                ("n", text(&["zzz"])),
                ("s", text(&["x"])),
            ],
        ),
        (
            "a column added before s, and s before k",
            vec![
                ("n", text(&["a"])),
                ("s", text(&["x"])),
                ("k", text(&["k2"])),
            ],
        ),
        // DataFusion's reader fills the missing k with NULL.
        ("k missing", vec![("n", text(&["k9"])), ("s", text(&["x"]))]),
    ];
    for (name, second) in layouts {
        let dir = tempfile::tempdir().unwrap();
        let table = dir.path().join("x");
        std::fs::create_dir_all(&table).unwrap();
        let first = RecordBatch::try_from_iter_with_nullable([
            ("k", text(&["k1"]), true),
            ("s", text(&["x"]), true),
        ])
        .unwrap();
        for (file, batch) in [
            ("a.parquet", first),
            (
                "b.parquet",
                RecordBatch::try_from_iter_with_nullable(
                    second
                        .into_iter()
                        .map(|(name, values)| (name, values, true)),
                )
                .unwrap(),
            ),
        ] {
            write_parquet(&table.join(file), &[batch], None).unwrap();
        }
        let rwid = RwidContext::new(RwidConfig::default()).await.unwrap();
        let create = format!(
            "CREATE EXTERNAL TABLE x STORED AS PARQUET LOCATION '{}/'",
            table.display()
        );
        run(rwid.session(), &create).await;
        let sql = "SELECT DISTINCT k FROM x WHERE s = 'x' ORDER BY k";
        let plan = run(rwid.session(), &format!("EXPLAIN {sql}")).await;
        assert!(plan.contains("RunScanExec"), "{name}\n{plan}");
        let with_rules = run(rwid.session(), sql).await;
        run(rwid.session(), "SET rwid.physical_rules = false").await;
        let datafusion = run(rwid.session(), sql).await;
        // Two rows (k1, and k2 or NULL) between the table's borders.
        assert_eq!(datafusion.lines().count(), 6, "{name}\n{datafusion}");
        assert_eq!(with_rules, datafusion, "{name}");
    }
}
