//! Cohort queries over a lake: rwid against DuckDB on the same Parquet files,
//! in the same run, results compared row by row.
//!
//! ```sh
//! cargo bench --bench lake_cohorts     # 100,000 patients, 10 million instances
//! RWID_BENCH_PATIENTS=10000 RWID_BENCH_INSTANCES=1000000 cargo bench --bench lake_cohorts
//! RWID_BENCH_QUERIES=smokers cargo bench --bench lake_cohorts   # queries whose name contains it
//! RWID_BENCH_SET="SET rwid.physical_rules = false" cargo bench --bench lake_cohorts   # an rwid setting
//! ```
//!
//! The lake (generated once into the target folder and reused): OMOP
//! `clinical.person`, `condition_occurrence`, `drug_exposure`, `measurement`,
//! and `imaging.patient_link` and `imaging.instances` (the shape `rwid ingest`
//! writes, IDC's column names). Then IDC's own series index (the Parquet
//! file of idc-index-data on PyPI, about 1 million series) with the SQL IDC
//! users write, mixed-case names unquoted.
//!
//! DuckDB and idc-index-data come from `RWID_PYTHON` (default `python3`;
//! `pip install -r benches/requirements.txt`). Plain DataFusion (a
//! `SessionContext` with DataFusion's defaults, identifiers kept as written
//! so IDC's names resolve) runs the same SQL on the same files too: what
//! rwid's session adds or saves over the engine it is built on. Each query
//! runs 10 times in each engine, warm, the engines taking turns run by run;
//! the fastest run counts.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use rwid::datafusion::arrow::array::{
    ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use rwid::datafusion::parquet::basic::Compression;
use rwid::datafusion::parquet::file::properties::WriterProperties;
use rwid::datafusion::prelude::{SessionConfig, SessionContext};
use rwid::demo::fixtures::write_parquet;
use rwid::demo::rng::Rng;
use rwid::{RwidConfig, RwidContext};

mod support;

use support::{DuckDb, Fastest, run_once, same_rows};

// The allocator the rwid binary uses (src/main.rs); plain DataFusion runs
// with it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs of each query in each engine; the fastest counts. Queries of 10 to
/// 50 ms vary by 30 % and more between runs on a shared 2-core machine.
const REPETITIONS: usize = 10;

const NSCLC: i64 = 4115276;
const PEMBROLIZUMAB: i64 = 45775965;
const SITES: &[&str] = &["RUH", "SMC", "NCI", "LRC"];
const VENDORS: &[(&str, &str)] = &[
    ("SIEMENS", "SOMATOM Force"),
    ("GE MEDICAL SYSTEMS", "Revolution CT"),
    ("Philips", "IQon Spectral CT"),
    ("Canon Medical Systems", "Aquilion ONE"),
];
const BODY_PARTS: &[&str] = &["CHEST", "ABDOMEN", "HEAD", "PELVIS", "CHEST", "LUNG"];
/// Days from 1970-01-01 to 2015-01-01.
const DAY_2015: i32 = 16436;

/// The synthetic lake's queries: joins of imaging with conditions, drugs
/// and measurements, date windows, window functions, aggregates by site and vendor.
const LAKE_QUERIES: &[(&str, &str)] = &[
    (
        "vendor mix (aggregate over instances)",
        "SELECT Manufacturer, Modality, count(*) AS instances, count(DISTINCT SeriesInstanceUID) AS series
         FROM imaging.instances GROUP BY Manufacturer, Modality ORDER BY Manufacturer, Modality",
    ),
    (
        "largest series (series rollup, top 20)",
        "SELECT SeriesInstanceUID, min(PatientID) AS PatientID, count(*) AS instanceCount, sum(file_size) AS bytes
         FROM imaging.instances GROUP BY SeriesInstanceUID
         ORDER BY instanceCount DESC, SeriesInstanceUID LIMIT 20",
    ),
    (
        "NSCLC patients with a chest CT (imaging x conditions)",
        "SELECT count(DISTINCT l.person_id) AS persons
         FROM imaging.instances i
         JOIN imaging.patient_link l ON l.patient_id = i.PatientID
         JOIN clinical.condition_occurrence c ON c.person_id = l.person_id
         WHERE c.condition_concept_id = 4115276 AND i.Modality = 'CT' AND i.BodyPartExamined = 'CHEST'",
    ),
    (
        "CT within 90 days of first pembrolizumab (date window)",
        "WITH first_dose AS (
            SELECT person_id, min(drug_exposure_start_date) AS first_day FROM clinical.drug_exposure
            WHERE drug_concept_id = 45775965 GROUP BY person_id),
         ct AS (
            SELECT DISTINCT l.person_id, i.StudyDate FROM imaging.instances i
            JOIN imaging.patient_link l ON l.patient_id = i.PatientID WHERE i.Modality = 'CT')
         SELECT count(DISTINCT f.person_id) AS persons FROM first_dose f
         JOIN ct ON ct.person_id = f.person_id
          AND ct.StudyDate BETWEEN f.first_day AND f.first_day + INTERVAL '90 days'",
    ),
    (
        "first CT study per person (row_number window)",
        "SELECT count(*) AS persons FROM (
            SELECT l.person_id, s.StudyDate,
                   row_number() OVER (PARTITION BY l.person_id ORDER BY s.StudyDate, s.StudyInstanceUID) AS rn
            FROM (SELECT DISTINCT PatientID, StudyInstanceUID, StudyDate FROM imaging.instances WHERE Modality = 'CT') s
            JOIN imaging.patient_link l ON l.patient_id = s.PatientID) t
         WHERE rn = 1 AND StudyDate >= DATE '2020-01-01'",
    ),
    (
        "heavy smokers with imaging by site (measurements x link)",
        "SELECT l.site, count(DISTINCT m.person_id) AS persons
         FROM clinical.measurement m JOIN imaging.patient_link l ON l.person_id = m.person_id
         WHERE m.measurement_source_value = '8664-5' AND m.value_as_number >= 20
         GROUP BY l.site ORDER BY l.site",
    ),
    (
        "instances, persons and bytes by site and vendor",
        "SELECT l.site, i.Manufacturer, count(*) AS instances, count(DISTINCT l.person_id) AS persons,
                sum(i.file_size) AS bytes
         FROM imaging.instances i JOIN imaging.patient_link l ON l.patient_id = i.PatientID
         GROUP BY l.site, i.Manufacturer ORDER BY l.site, i.Manufacturer",
    ),
    (
        "days between consecutive studies (lag window)",
        "SELECT round(avg(gap_days), 3) AS mean_gap_days FROM (
            SELECT (extract(epoch FROM StudyDate) - lag(extract(epoch FROM StudyDate))
                    OVER (PARTITION BY PatientID ORDER BY StudyDate, StudyInstanceUID)) / 86400 AS gap_days
            FROM (SELECT DISTINCT PatientID, StudyInstanceUID, StudyDate FROM imaging.instances) s) t
         WHERE gap_days IS NOT NULL",
    ),
    (
        "patients by number of distinct drugs",
        "SELECT drugs, count(*) AS persons FROM (
            SELECT person_id, count(DISTINCT drug_concept_id) AS drugs FROM clinical.drug_exposure GROUP BY person_id) t
         GROUP BY drugs ORDER BY drugs",
    ),
];

/// IDC users' SQL over IDC's series index, unchanged: mixed-case names unquoted.
const IDC_QUERIES: &[(&str, &str)] = &[
    (
        "IDC: series, instances and size by modality",
        "SELECT Modality, count(*) AS series, sum(instanceCount) AS instances,
                round(sum(series_size_MB) / 1024, 1) AS size_GB
         FROM idc_index GROUP BY Modality ORDER BY series DESC, Modality",
    ),
    (
        "IDC: chest CT patients per collection (top 10)",
        "SELECT collection_id, count(DISTINCT PatientID) AS patients FROM idc_index
         WHERE Modality = 'CT' AND BodyPartExamined = 'CHEST'
         GROUP BY collection_id ORDER BY patients DESC, collection_id LIMIT 10",
    ),
    (
        "IDC: 3 largest series per collection (row_number window)",
        "SELECT count(*) AS series, round(sum(series_size_MB), 1) AS size_MB FROM (
            SELECT series_size_MB, row_number() OVER (
                PARTITION BY collection_id ORDER BY series_size_MB DESC, SeriesInstanceUID) AS rn
            FROM idc_index) t WHERE rn <= 3",
    ),
    (
        "IDC: MR vendors",
        "SELECT Manufacturer, count(*) AS series FROM idc_index WHERE Modality = 'MR'
         GROUP BY Manufacturer ORDER BY series DESC, Manufacturer LIMIT 10",
    ),
];

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn write_snappy(folder: &Path, file: &str, batch: &RecordBatch) {
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    write_parquet(
        &folder.join(file),
        std::slice::from_ref(batch),
        Some(properties),
    )
    .unwrap();
}

fn ints(values: Vec<i64>) -> ArrayRef {
    Arc::new(Int64Array::from(values))
}

fn texts(values: Vec<String>) -> ArrayRef {
    Arc::new(StringArray::from(values))
}

fn dates(values: Vec<i32>) -> ArrayRef {
    Arc::new(Date32Array::from(values))
}

/// Writes the lake; reuses one written before with the same sizes.
fn lake(root: &Path, patients: usize, instances: usize) -> PathBuf {
    let folder = root.join(format!("lake-p{patients}-i{instances}"));
    let marker = root.join(format!("lake-p{patients}-i{instances}.complete"));
    if marker.exists() {
        return folder;
    }
    let _ = std::fs::remove_dir_all(&folder);
    let started = Instant::now();
    let mut rng = Rng::new(20261127);
    let person_ids: Vec<i64> = (1..=patients as i64).collect();
    let site_of = |person: i64| SITES[(person as usize) % SITES.len()];
    let patient_id = |person: i64| format!("{}-{person:07}", site_of(person));

    let batch = RecordBatch::try_from_iter([
        ("person_id", ints(person_ids.clone())),
        (
            "gender_concept_id",
            ints(
                person_ids
                    .iter()
                    .map(|p| if p % 2 == 0 { 8532 } else { 8507 })
                    .collect(),
            ),
        ),
        (
            "year_of_birth",
            ints(person_ids.iter().map(|_| rng.int(1930, 1990)).collect()),
        ),
        ("race_concept_id", ints(vec![0; patients])),
        ("ethnicity_concept_id", ints(vec![0; patients])),
    ])
    .unwrap();
    write_snappy(&folder.join("clinical/person"), "part-0.parquet", &batch);

    let batch = RecordBatch::try_from_iter([
        (
            "site",
            texts(person_ids.iter().map(|&p| site_of(p).to_string()).collect()),
        ),
        (
            "patient_id",
            texts(person_ids.iter().map(|&p| patient_id(p)).collect()),
        ),
        ("person_id", ints(person_ids.clone())),
    ])
    .unwrap();
    write_snappy(
        &folder.join("imaging/patient_link"),
        "part-0.parquet",
        &batch,
    );

    // Conditions: NSCLC for 30 %, other cancers and comorbidities.
    let (mut ids, mut persons, mut concepts, mut days) = (vec![], vec![], vec![], vec![]);
    for &person in &person_ids {
        let count = rng.int(1, 4);
        for k in 0..count {
            ids.push(ids.len() as i64 + 1);
            persons.push(person);
            concepts.push(if k == 0 && rng.chance(0.3) {
                NSCLC
            } else {
                *rng.pick(&[201826, 316866, 4112853, 255573])
            });
            days.push(DAY_2015 + rng.int(0, 3000) as i32);
        }
    }
    let n = ids.len();
    let batch = RecordBatch::try_from_iter([
        ("condition_occurrence_id", ints(ids)),
        ("person_id", ints(persons)),
        ("condition_concept_id", ints(concepts)),
        ("condition_start_date", dates(days)),
        ("condition_type_concept_id", ints(vec![32817; n])),
    ])
    .unwrap();
    write_snappy(
        &folder.join("clinical/condition_occurrence"),
        "part-0.parquet",
        &batch,
    );

    // Drugs: pembrolizumab cycles for 25 %, other drugs for everyone.
    let (mut ids, mut persons, mut concepts, mut days) = (vec![], vec![], vec![], vec![]);
    for &person in &person_ids {
        let start = DAY_2015 + rng.int(0, 3000) as i32;
        let pembro = rng.chance(0.25);
        for cycle in 0..rng.int(2, 10) {
            ids.push(ids.len() as i64 + 1);
            persons.push(person);
            concepts.push(if pembro {
                PEMBROLIZUMAB
            } else {
                *rng.pick(&[1344905, 1310317, 1378382, 19005061])
            });
            days.push(start + 21 * cycle as i32);
        }
    }
    let n = ids.len();
    let batch = RecordBatch::try_from_iter([
        ("drug_exposure_id", ints(ids)),
        ("person_id", ints(persons)),
        ("drug_concept_id", ints(concepts)),
        ("drug_exposure_start_date", dates(days.clone())),
        (
            "drug_exposure_end_date",
            dates(days.iter().map(|d| d + 1).collect()),
        ),
        ("drug_type_concept_id", ints(vec![32838; n])),
    ])
    .unwrap();
    write_snappy(
        &folder.join("clinical/drug_exposure"),
        "part-0.parquet",
        &batch,
    );

    // Pack-years for 60 % of patients.
    let (mut ids, mut persons, mut values, mut days) = (vec![], vec![], vec![], vec![]);
    for &person in &person_ids {
        if rng.chance(0.6) {
            ids.push(ids.len() as i64 + 1);
            persons.push(person);
            values.push((rng.float(0.0, 60.0) * 10.0).round() / 10.0);
            days.push(DAY_2015 + rng.int(0, 3000) as i32);
        }
    }
    let n = ids.len();
    let batch = RecordBatch::try_from_iter([
        ("measurement_id", ints(ids)),
        ("person_id", ints(persons)),
        ("measurement_concept_id", ints(vec![0; n])),
        ("measurement_date", dates(days)),
        ("measurement_type_concept_id", ints(vec![32817; n])),
        (
            "value_as_number",
            Arc::new(Float64Array::from(values)) as ArrayRef,
        ),
        (
            "measurement_source_value",
            texts(vec!["8664-5".to_string(); n]),
        ),
    ])
    .unwrap();
    write_snappy(
        &folder.join("clinical/measurement"),
        "part-0.parquet",
        &batch,
    );

    // Instances: series of 20 to 180 instances, several studies per patient,
    // written in files of about a million rows.
    let per_file = 1_000_000;
    let mut written = 0;
    let mut file = 0;
    let mut series_number = 0u64;
    while written < instances {
        let rows = per_file.min(instances - written);
        let mut columns: [Vec<String>; 8] = Default::default();
        let (mut study_days, mut sizes, mut numbers) = (vec![], vec![], vec![]);
        while columns[0].len() < rows {
            let person = person_ids[rng.int(0, patients as i64 - 1) as usize];
            let study = format!("1.2.826.0.1.3680043.10.1386.1.{person}.{}", rng.int(1, 6));
            series_number += 1;
            let series = format!("{study}.{series_number}");
            let modality = *rng.pick(&["CT", "CT", "CT", "MR", "PT"]);
            let (vendor, model) = *rng.pick(VENDORS);
            let body = *rng.pick(BODY_PARTS);
            let day = DAY_2015 + rng.int(0, 3000) as i32;
            let count = (rng.int(20, 180) as usize).min(rows - columns[0].len());
            for k in 0..count {
                let values = [
                    patient_id(person),
                    study.clone(),
                    series.clone(),
                    format!("{series}.{k}"),
                    modality.to_string(),
                    vendor.to_string(),
                    model.to_string(),
                    body.to_string(),
                ];
                for (column, value) in columns.iter_mut().zip(values) {
                    column.push(value);
                }
                study_days.push(day);
                sizes.push(rng.int(400_000, 600_000));
                numbers.push(k as i64 + 1);
            }
        }
        let names = [
            "PatientID",
            "StudyInstanceUID",
            "SeriesInstanceUID",
            "SOPInstanceUID",
            "Modality",
            "Manufacturer",
            "ManufacturerModelName",
            "BodyPartExamined",
        ];
        let mut fields: Vec<(&str, ArrayRef)> = names
            .iter()
            .zip(columns)
            .map(|(name, values)| (*name, texts(values)))
            .collect();
        fields.push(("StudyDate", dates(study_days)));
        fields.push(("InstanceNumber", ints(numbers)));
        fields.push(("file_size", ints(sizes)));
        let batch = RecordBatch::try_from_iter(fields).unwrap();
        write_snappy(
            &folder.join("imaging/instances"),
            &format!("part-{file:03}.parquet"),
            &batch,
        );
        written += rows;
        file += 1;
    }
    std::fs::write(&marker, b"").unwrap();
    println!(
        "lake: {patients} patients, {instances} instances written in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    folder
}

/// Plain DataFusion over the lake's folders: one external table per
/// `schema/table` folder, as a datafusion-cli user would declare them.
async fn plain_datafusion(lake: &Path, idc: Option<&str>) -> SessionContext {
    let mut config = SessionConfig::new();
    config.options_mut().sql_parser.enable_ident_normalization = false;
    let ctx = SessionContext::new_with_config(config);
    let mut statements = Vec::new();
    for schema in ["clinical", "imaging"] {
        statements.push(format!("CREATE SCHEMA {schema}"));
        for table in std::fs::read_dir(lake.join(schema)).unwrap() {
            let table = table.unwrap().file_name().to_string_lossy().into_owned();
            let location = lake.join(schema).join(&table);
            statements.push(format!(
                "CREATE EXTERNAL TABLE {schema}.{table} STORED AS PARQUET LOCATION '{}/'",
                location.display()
            ));
        }
    }
    if let Some(path) = idc {
        statements.push(format!(
            "CREATE EXTERNAL TABLE idc_index STORED AS PARQUET LOCATION '{path}'"
        ));
    }
    for statement in statements {
        ctx.sql(&statement).await.unwrap().collect().await.unwrap();
    }
    ctx
}

/// The Parquet file idc-index-data ships, if that package is installed.
fn idc_index_path() -> Option<String> {
    let python = std::env::var("RWID_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let output = Command::new(python)
        .args([
            "-c",
            "import idc_index_data; print(idc_index_data.IDC_INDEX_PARQUET_FILEPATH)",
        ])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

#[tokio::main]
async fn main() {
    let patients = env_count("RWID_BENCH_PATIENTS", 100_000);
    let instances = env_count("RWID_BENCH_INSTANCES", 10_000_000);
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-lake");
    let folder = lake(&root, patients, instances);

    let ctx = RwidContext::new(RwidConfig {
        lakes: vec![folder.to_string_lossy().into_owned()],
        ..RwidConfig::default()
    })
    .await
    .unwrap();
    if let Ok(setting) = std::env::var("RWID_BENCH_SET") {
        ctx.sql(&setting).await.unwrap().collect().await.unwrap();
    }
    let idc = idc_index_path();
    let mut queries: Vec<(&str, &str)> = LAKE_QUERIES.to_vec();
    match &idc {
        Some(path) => {
            ctx.sql(&format!(
                "CREATE EXTERNAL TABLE idc_index STORED AS PARQUET LOCATION '{path}'"
            ))
            .await
            .unwrap();
            queries.extend(IDC_QUERIES);
        }
        None => println!("idc-index-data: not installed; IDC queries not run"),
    }
    if let Ok(wanted) = std::env::var("RWID_BENCH_QUERIES") {
        queries.retain(|(name, _)| name.contains(&wanted));
    }
    let plain = plain_datafusion(&folder, idc.as_deref()).await;
    let mut duck = DuckDb::start(&folder, idc.as_deref())
        .inspect_err(|reason| println!("duckdb: not run ({reason})"))
        .ok();

    println!(
        "\n{patients} patients, {instances} imaging instances; fastest of {REPETITIONS} runs, in process, warm, the engines taking turns\n"
    );
    println!(
        "| query | rwid s | DataFusion s | DuckDB s | rwid / DataFusion | rwid / DuckDB | same result |"
    );
    println!("|---|---|---|---|---|---|---|");
    let (mut to_datafusion, mut to_duckdb) = (Vec::new(), Vec::new());
    for (name, sql) in &queries {
        // The engines take turns run by run, so that a busy moment on a
        // shared machine slows all three rather than whichever ran then.
        let (mut ours, mut engine, mut theirs) =
            (Fastest::default(), Fastest::default(), Fastest::default());
        for _ in 0..REPETITIONS {
            ours.record(
                run_once(async || ctx.sql(sql).await.unwrap().collect().await.unwrap()).await,
            );
            engine.record(
                run_once(async || plain.sql(sql).await.unwrap().collect().await.unwrap()).await,
            );
            if let Some(duck) = duck.as_mut() {
                theirs.record(
                    duck.try_run(sql)
                        .unwrap_or_else(|error| panic!("DuckDB failed on {sql}: {error}")),
                );
            }
        }
        let ratio_datafusion = ours.seconds() / engine.seconds();
        to_datafusion.push(ratio_datafusion);
        let mut same = same_rows(&ours.rows, &engine.rows);
        let (duck_seconds, ratio_duckdb) = match theirs.best {
            Some(_) => {
                let ratio = ours.seconds() / theirs.seconds();
                to_duckdb.push(ratio);
                if !same_rows(&ours.rows, &theirs.rows) {
                    same = false;
                    println!(
                        "  rwid:   {:?}\n  duckdb: {:?}",
                        &ours.rows[..ours.rows.len().min(3)],
                        &theirs.rows[..theirs.rows.len().min(3)]
                    );
                }
                (format!("{:.3}", theirs.seconds()), format!("{ratio:.2}"))
            }
            None => ("not run".to_string(), String::new()),
        };
        println!(
            "| {name} | {:.3} | {:.3} | {duck_seconds} | {ratio_datafusion:.2} | {ratio_duckdb} | {} |",
            ours.seconds(),
            engine.seconds(),
            if same { "yes" } else { "NO" }
        );
    }
    for (peer, mut ratios) in [("DataFusion", to_datafusion), ("DuckDB", to_duckdb)] {
        if ratios.is_empty() {
            continue;
        }
        ratios.sort_by(f64::total_cmp);
        println!(
            "median rwid / {peer}: {:.2}; best: {:.2}; worst: {:.2}",
            ratios[ratios.len() / 2],
            ratios[0],
            ratios[ratios.len() - 1]
        );
    }
}
