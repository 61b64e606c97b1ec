//! Scanner harmonization at scale:
//!
//! - ComBat, parametric empirical Bayes, fit and apply on 100,000 samples of
//!   100 features from 10 sites (sex and age preserved): rwid's
//!   `combat_fit` + `combat_apply` against neuroCombat 0.2.12 on the same
//!   Parquet file in the same run, the harmonized values compared;
//! - `scanner_vendor` over 10 million Manufacturer values (the 154
//!   labelled spellings of tests/fixtures/harmonize, repeated): rows/s.
//!
//! ```sh
//! cargo bench --bench harmonization
//! RWID_BENCH_SAMPLES=20000 RWID_BENCH_VENDOR_ROWS=1000000 cargo bench --bench harmonization
//! ```
//!
//! neuroCombat comes from `RWID_PYTHON` (default `python3`; `pip install -r
//! benches/requirements.txt`). Both sides are timed from reading the
//! Parquet file to harmonized values in memory; the fastest of
//! [`REPETITIONS`] runs counts.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rwid::datafusion::arrow::array::{
    ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use rwid::datafusion::arrow::datatypes::{Float64Type, Int64Type};
use rwid::demo::fixtures::write_parquet;
use rwid::demo::rng::Rng;
use rwid::{RwidConfig, RwidContext};

// The allocator the rwid binary uses (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs of each ComBat measurement, the fastest counting: this machine's
/// timings vary by about 20 % from run to run, on both sides.
const REPETITIONS: usize = 5;

const SITES: usize = 10;
const FEATURES: usize = 100;

/// Samples with additive and multiplicative site effects, a sex effect and
/// an age slope. Ages are whole years: neuroCombat casts continuous
/// covariates to float32, which whole numbers survive.
fn samples(folder: &Path, n: usize) -> PathBuf {
    let file = folder.join(format!("combat-plain-{n}.parquet"));
    if file.exists() {
        return file;
    }
    std::fs::create_dir_all(folder).unwrap();
    let mut rng = Rng::new(7);
    let shift: Vec<Vec<f64>> = (0..SITES)
        .map(|_| (0..FEATURES).map(|_| rng.float(-2.0, 2.0)).collect())
        .collect();
    let scale: Vec<Vec<f64>> = (0..SITES)
        .map(|_| (0..FEATURES).map(|_| rng.float(0.6, 1.8)).collect())
        .collect();
    let slope: Vec<f64> = (0..FEATURES).map(|_| rng.float(-0.05, 0.05)).collect();
    let (mut batch, mut sex, mut age) = (Vec::new(), Vec::new(), Vec::new());
    let mut features: Vec<Vec<f64>> = (0..FEATURES).map(|_| Vec::with_capacity(n)).collect();
    for _ in 0..n {
        // Unequal site sizes: site s gets weight s + 1.
        let site = {
            let draw = rng.int(0, (SITES * (SITES + 1) / 2 - 1) as i64) as usize;
            (0..SITES).find(|&s| draw < (s + 1) * (s + 2) / 2).unwrap()
        };
        let female = rng.chance(0.5);
        let years = rng.int(30, 85) as f64;
        batch.push(format!("site_{site:02}"));
        sex.push(if female { "F" } else { "M" });
        age.push(years);
        for (g, column) in features.iter_mut().enumerate() {
            // A sum of uniforms: roughly normal noise.
            let noise = (0..4).map(|_| rng.float(-1.0, 1.0)).sum::<f64>() / 1.15;
            let sex_effect = if female { 0.8 } else { 0.0 };
            column.push(
                10.0 + slope[g] * (years - 55.0)
                    + sex_effect
                    + shift[site][g]
                    + scale[site][g] * noise,
            );
        }
    }
    let mut columns: Vec<(String, ArrayRef)> = vec![
        (
            "sample".into(),
            Arc::new(Int64Array::from_iter_values(0..n as i64)),
        ),
        ("batch".into(), Arc::new(StringArray::from(batch))),
        ("sex".into(), Arc::new(StringArray::from(sex))),
        ("age".into(), Arc::new(Float64Array::from(age))),
    ];
    for (g, values) in features.into_iter().enumerate() {
        columns.push((format!("f{}", g + 1), Arc::new(Float64Array::from(values))));
    }
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    // Measurements rarely repeat: plain encoding, as a dictionary would not pay.
    let properties = rwid::datafusion::parquet::file::properties::WriterProperties::builder()
        .set_dictionary_enabled(false)
        .build();
    write_parquet(&file, &[batch], Some(properties)).unwrap();
    file
}

/// rwid: (best time from the file, best time from memory, harmonized
/// values by sample).
async fn run_rwid(file: &Path) -> (Duration, Duration, Vec<Vec<f64>>) {
    let ctx = RwidContext::new(RwidConfig::default()).await.unwrap();
    let features: Vec<String> = (1..=FEATURES).map(|g| format!("f{g}")).collect();
    // A struct of the feature columns: nothing is copied to build it, and the
    // harmonized struct keeps the names.
    let features = format!("struct({})", features.join(", "));
    let sql = format!(
        "WITH m AS (SELECT combat_fit(batch, {features}, make_array(sex), make_array(age)) AS model FROM SOURCE)
         SELECT sample, combat_apply(m.model, batch, {features}, make_array(sex), make_array(age)) FROM SOURCE, m"
    );
    // The same query over the data already in memory, as neuroCombat's call alone.
    ctx.sql(&format!(
        "CREATE TABLE samples AS SELECT * FROM '{}'",
        file.display()
    ))
    .await
    .unwrap()
    .collect()
    .await
    .unwrap();
    let in_memory = sql.replace("SOURCE", "samples");
    let mut best_in_memory = Duration::MAX;
    for _ in 0..REPETITIONS {
        let started = Instant::now();
        ctx.sql(&in_memory).await.unwrap().collect().await.unwrap();
        best_in_memory = best_in_memory.min(started.elapsed());
    }
    let sql = sql.replace("SOURCE", &format!("'{}'", file.display()));
    let mut best = Duration::MAX;
    let mut harmonized = Vec::new();
    for _ in 0..REPETITIONS {
        let started = Instant::now();
        let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
        best = best.min(started.elapsed());
        harmonized = vec![Vec::new(); batches.iter().map(RecordBatch::num_rows).sum()];
        for b in &batches {
            let samples = b.column(0).as_primitive::<Int64Type>();
            let columns: Vec<&Float64Array> = b
                .column(1)
                .as_struct()
                .columns()
                .iter()
                .map(|c| c.as_primitive::<Float64Type>())
                .collect();
            for row in 0..b.num_rows() {
                harmonized[samples.value(row) as usize] =
                    columns.iter().map(|c| c.value(row)).collect();
            }
        }
    }
    (best, best_in_memory, harmonized)
}

/// neuroCombat: (best time from the file, best time of the call alone,
/// harmonized values by sample).
fn run_neurocombat(file: &Path) -> Option<(Duration, Duration, Vec<Vec<f64>>)> {
    let python = std::env::var("RWID_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/combat_neurocombat.py");
    let output_file = file.with_extension("neurocombat.parquet");
    let (mut best, mut best_call) = (Duration::MAX, Duration::MAX);
    for _ in 0..REPETITIONS {
        let output = Command::new(&python)
            .args([
                script,
                &file.to_string_lossy(),
                &output_file.to_string_lossy(),
                &FEATURES.to_string(),
            ])
            .output()
            .ok()?;
        if !output.status.success() {
            println!(
                "neuroCombat: not run ({})",
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .last()
                    .unwrap_or_default()
            );
            return None;
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let mut seconds = stdout.split_whitespace().map(|s| s.parse::<f64>().ok());
        let (total, call) = (seconds.next()??, seconds.next()??);
        best = best.min(Duration::from_secs_f64(total));
        best_call = best_call.min(Duration::from_secs_f64(call));
    }
    let reader =
        rwid::datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            std::fs::File::open(&output_file).unwrap(),
        )
        .unwrap()
        .build()
        .unwrap();
    let mut harmonized: Vec<Vec<f64>> = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let samples = batch
            .column_by_name("sample")
            .unwrap()
            .as_primitive::<Int64Type>();
        let columns: Vec<&Float64Array> = (1..=FEATURES)
            .map(|g| {
                batch
                    .column_by_name(&format!("f{g}"))
                    .unwrap()
                    .as_primitive::<Float64Type>()
            })
            .collect();
        for row in 0..batch.num_rows() {
            let sample = samples.value(row) as usize;
            if harmonized.len() <= sample {
                harmonized.resize(sample + 1, Vec::new());
            }
            harmonized[sample] = columns.iter().map(|c| c.value(row)).collect();
        }
    }
    Some((best, best_call, harmonized))
}

/// The Manufacturer values of the labelled list, repeated to `rows`.
fn manufacturers(folder: &Path, rows: usize) -> PathBuf {
    let file = folder.join(format!("manufacturers-{rows}.parquet"));
    if file.exists() {
        return file;
    }
    let labelled = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/harmonize/manufacturers.csv"
    ))
    .unwrap();
    let spellings: Vec<String> = labelled
        .lines()
        .skip(1)
        .map(|line| {
            // The first CSV field, quoted or not.
            if let Some(rest) = line.strip_prefix('"') {
                let end = rest.find("\",").unwrap();
                rest[..end].replace("\"\"", "\"")
            } else {
                line.split(',').next().unwrap().to_string()
            }
        })
        .collect();
    let values =
        StringArray::from_iter_values((0..rows).map(|i| spellings[i % spellings.len()].as_str()));
    let batch =
        RecordBatch::try_from_iter([("Manufacturer", Arc::new(values) as ArrayRef)]).unwrap();
    write_parquet(&file, &[batch], None).unwrap();
    file
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("RWID_BENCH_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let vendor_rows: usize = std::env::var("RWID_BENCH_VENDOR_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-harmonization");
    let file = samples(&folder, n);

    let (ours, ours_in_memory, harmonized) = run_rwid(&file).await;
    println!(
        "ComBat, parametric EB, {n} samples x {FEATURES} features, {SITES} sites, sex and age kept"
    );
    println!("\n| tool | from the Parquet file, s | data in memory, s | max relative difference |");
    println!("|---|---|---|---|");
    println!(
        "| rwid (combat_fit + combat_apply) | {:.3} | {:.3} | |",
        ours.as_secs_f64(),
        ours_in_memory.as_secs_f64()
    );
    match run_neurocombat(&file) {
        Some((theirs, theirs_call, their_values)) => {
            let worst = harmonized
                .iter()
                .zip(&their_values)
                .flat_map(|(a, b)| a.iter().zip(b))
                .map(|(a, b)| (a - b).abs() / b.abs().max(1e-12))
                .fold(0.0, f64::max);
            println!(
                "| neuroCombat 0.2.12 | {:.3} | {:.3} | {worst:.1e} |",
                theirs.as_secs_f64(),
                theirs_call.as_secs_f64()
            );
            println!(
                "| rwid is faster by | {:.1}x | {:.1}x | |",
                theirs.as_secs_f64() / ours.as_secs_f64(),
                theirs_call.as_secs_f64() / ours_in_memory.as_secs_f64()
            );
        }
        None => println!("| neuroCombat | not run | | |"),
    }

    let vendors = manufacturers(&folder, vendor_rows);
    let ctx = RwidContext::new(RwidConfig::default()).await.unwrap();
    let sql = format!(
        "SELECT scanner_vendor(Manufacturer) AS vendor, count(*) FROM '{}' GROUP BY 1",
        vendors.display()
    );
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        ctx.sql(&sql).await.unwrap().collect().await.unwrap();
        best = best.min(started.elapsed());
    }
    println!(
        "\nscanner_vendor over {vendor_rows} Manufacturer values (Parquet read and GROUP BY included): {:.3} s, {:.1} million rows/s",
        best.as_secs_f64(),
        vendor_rows as f64 / best.as_secs_f64() / 1e6
    );
}
