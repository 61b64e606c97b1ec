//! RECIST 1.1 over a million lesion measurements: rwid's
//! `imaging.recist_timepoints` view and `recist11_best_response` against a
//! straightforward pandas implementation of the same rules
//! (`benches/recist_pandas.py`), on the same Parquet file, in the same run,
//! results compared.
//!
//! ```sh
//! cargo bench --bench recist_response          # 50,000 patients, about 1 million rows
//! RWID_BENCH_PATIENTS=5000 cargo bench --bench recist_response
//! ```
//!
//! pandas comes from `RWID_PYTHON` (default `python3`; `pip install -r
//! benches/requirements.txt`). Both sides are timed end to end, reading the
//! Parquet file included; the fastest of 3 runs counts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rwid::datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch,
    StringArray,
};
use rwid::datafusion::arrow::datatypes::{Int32Type, Int64Type};
use rwid::demo::fixtures::write_parquet;
use rwid::demo::rng::Rng;
use rwid::{RwidConfig, RwidContext};

/// Days from 1970-01-01 to 2020-01-01.
const DAY_2020: i32 = 18262;

/// Writes ROOT/imaging/lesion_measurement/part-0.parquet: per patient 2 to
/// 4 targets (a third nodal), 1 or 2 non-targets, 2 to 5 follow-ups 6 to 9
/// weeks apart with a per-patient trend, now and then a missed lesion, a
/// vanished lesion, progression of non-targets or a new lesion.
fn lake(root: &Path, patients: usize) -> PathBuf {
    let folder = root.join(format!("recist-{patients}"));
    let file = folder.join("imaging/lesion_measurement/part-0.parquet");
    if file.exists() {
        return folder;
    }
    let mut rng = Rng::new(4242);
    let (mut person, mut lesion, mut day, mut role, mut nodal) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut long_axis, mut short_axis, mut status) = (vec![], vec![], vec![]);
    for p in 1..=patients as i64 {
        let targets = rng.int(2, 4);
        let sizes: Vec<(bool, f64)> = (0..targets)
            .map(|_| {
                let is_nodal = rng.chance(0.33);
                (
                    is_nodal,
                    if is_nodal {
                        rng.float(15.0, 40.0)
                    } else {
                        rng.float(10.0, 60.0)
                    },
                )
            })
            .collect();
        let trend = rng.float(-0.25, 0.2);
        let mut date = DAY_2020 + rng.int(0, 1500) as i32;
        let mut nt_state = "present";
        for visit in 0..=rng.int(2, 5) {
            let factor = (1.0 + trend).powi(visit as i32).max(0.0);
            for (k, (is_nodal, size)) in sizes.iter().enumerate() {
                let mut value = Some((size * factor * rng.float(0.93, 1.07) * 10.0).round() / 10.0);
                if visit > 0 && rng.chance(0.02) {
                    value = None; // not measured
                } else if visit > 0 && !is_nodal && factor < 0.35 {
                    value = Some(0.0); // gone
                }
                person.push(p);
                lesion.push(format!("T{}", k + 1));
                day.push(date);
                role.push("target".to_string());
                nodal.push(*is_nodal);
                long_axis.push(if *is_nodal { None } else { value });
                short_axis.push(if *is_nodal { value } else { None });
                status.push(None);
            }
            if visit > 0 && rng.chance(0.05) {
                nt_state = "unequivocal_progression";
            } else if visit > 0 && factor < 0.5 && nt_state == "present" && rng.chance(0.3) {
                nt_state = "absent";
            }
            for k in 0..rng.int(1, 2) {
                person.push(p);
                lesion.push(format!("NT{}", k + 1));
                day.push(date);
                role.push("non_target".to_string());
                nodal.push(false);
                long_axis.push(None);
                short_axis.push(None);
                status.push(Some(nt_state.to_string()));
            }
            if visit > 0 && rng.chance(0.03) {
                person.push(p);
                lesion.push("N1".to_string());
                day.push(date);
                role.push("new".to_string());
                nodal.push(false);
                long_axis.push(Some(rng.float(5.0, 20.0)));
                short_axis.push(None);
                status.push(None);
            }
            date += rng.int(42, 63) as i32;
        }
    }
    let batch = RecordBatch::try_from_iter([
        ("person_id", Arc::new(Int64Array::from(person)) as ArrayRef),
        ("lesion_id", Arc::new(StringArray::from(lesion))),
        ("assessment_date", Arc::new(Date32Array::from(day))),
        ("role", Arc::new(StringArray::from(role))),
        ("is_nodal", Arc::new(BooleanArray::from(nodal))),
        (
            "longest_diameter_mm",
            Arc::new(Float64Array::from(long_axis)),
        ),
        ("short_axis_mm", Arc::new(Float64Array::from(short_axis))),
        ("non_target_status", Arc::new(StringArray::from(status))),
    ])
    .unwrap();
    write_parquet(&file, &[batch], None).unwrap();
    folder
}

type Timepoints = BTreeMap<(i64, i64), String>;
type Best = BTreeMap<i64, String>;

async fn run_rwid(root: &Path) -> (Duration, Timepoints, Best) {
    let ctx = RwidContext::new(RwidConfig {
        lakes: vec![root.to_string_lossy().into_owned()],
        ..RwidConfig::default()
    })
    .await
    .unwrap();
    let mut best_time = Duration::MAX;
    let (mut timepoints, mut best) = (Timepoints::new(), Best::new());
    for _ in 0..3 {
        let started = Instant::now();
        let points = ctx
            .sql("SELECT person_id, CAST(assessment_date AS INT) AS day, overall FROM imaging.recist_timepoints")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let bor = ctx
            .sql("SELECT person_id, recist11_best_response(overall, assessment_date, baseline_date, true) AS bor
                  FROM imaging.recist_timepoints GROUP BY person_id")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        best_time = best_time.min(started.elapsed());
        timepoints.clear();
        best.clear();
        for b in &points {
            let overall = b.column(2).as_string::<i32>();
            for i in 0..b.num_rows() {
                timepoints.insert(
                    (
                        b.column(0).as_primitive::<Int64Type>().value(i),
                        b.column(1).as_primitive::<Int32Type>().value(i) as i64,
                    ),
                    if overall.is_null(i) {
                        String::new()
                    } else {
                        overall.value(i).to_string()
                    },
                );
            }
        }
        for b in &bor {
            let value = b.column(1).as_string::<i32>();
            for i in 0..b.num_rows() {
                best.insert(
                    b.column(0).as_primitive::<Int64Type>().value(i),
                    if value.is_null(i) {
                        String::new()
                    } else {
                        value.value(i).to_string()
                    },
                );
            }
        }
    }
    (best_time, timepoints, best)
}

fn read_csv(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| line.split(',').map(str::to_string).collect())
        .collect()
}

fn run_pandas(root: &Path) -> Option<(Duration, Timepoints, Best)> {
    let python = std::env::var("RWID_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/recist_pandas.py");
    let parquet = root.join("imaging/lesion_measurement/part-0.parquet");
    let out = root.join("pandas-out");
    std::fs::create_dir_all(&out).unwrap();
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let output = Command::new(&python)
            .arg(script)
            .arg(&parquet)
            .arg(&out)
            .output()
            .ok()?;
        if !output.status.success() {
            println!(
                "pandas: not run ({})",
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .last()
                    .unwrap_or_default()
            );
            return None;
        }
        let seconds: f64 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .ok()?;
        best = best.min(Duration::from_secs_f64(seconds));
    }
    let timepoints = read_csv(&out.join("timepoints.csv"))
        .into_iter()
        .map(|r| ((r[0].parse().unwrap(), r[1].parse().unwrap()), r[2].clone()))
        .collect();
    let bor = read_csv(&out.join("best.csv"))
        .into_iter()
        .map(|r| (r[0].parse().unwrap(), r[1].clone()))
        .collect();
    Some((best, timepoints, bor))
}

#[tokio::main]
async fn main() {
    let patients: usize = std::env::var("RWID_BENCH_PATIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let root = lake(
        &PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-recist"),
        patients,
    );
    let (ours, timepoints, best) = run_rwid(&root).await;
    let rows: usize = rwid::datafusion::parquet::file::reader::FileReader::metadata(
        &rwid::datafusion::parquet::file::serialized_reader::SerializedFileReader::new(
            std::fs::File::open(root.join("imaging/lesion_measurement/part-0.parquet")).unwrap(),
        )
        .unwrap(),
    )
    .file_metadata()
    .num_rows() as usize;
    println!(
        "{patients} patients, {rows} lesion measurements, {} time points",
        timepoints.len()
    );
    println!("\n| tool | seconds | rwid is faster by | same time-point responses | same BOR |");
    println!("|---|---|---|---|---|");
    println!(
        "| rwid (recist_timepoints + recist11_best_response) | {:.3} | | | |",
        ours.as_secs_f64()
    );
    match run_pandas(&root) {
        Some((theirs, their_points, their_best)) => println!(
            "| pandas (same rules) | {:.3} | {:.1}x | {} | {} |",
            theirs.as_secs_f64(),
            theirs.as_secs_f64() / ours.as_secs_f64(),
            if their_points == timepoints {
                "yes"
            } else {
                "NO"
            },
            if their_best == best { "yes" } else { "NO" }
        ),
        None => println!("| pandas | not run | | | |"),
    }
}
