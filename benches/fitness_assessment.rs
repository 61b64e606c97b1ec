//! The NSCLC profile's fit-for-purpose assessment at the lake benchmark's
//! scale, and its plain-SQL checks against DuckDB on the same Parquet, in
//! the same run, results compared.
//!
//! ```sh
//! cargo bench --bench fitness_assessment    # 100,000 patients, about 10 million instances
//! RWID_BENCH_PATIENTS=10000 RWID_BENCH_INSTANCES=1000000 cargo bench --bench fitness_assessment
//! ```
//!
//! The lake is the demo lake's generator at scale (`rwid_demo::generate_index_lake`:
//! the same patients, sites, clinical and imaging tables, and the DICOM
//! index written directly, as many instances a series as make the total),
//! generated once into the target folder and reused. rwid runs the whole
//! assessment of `builtin:nsclc_pembrolizumab_recist` (fastest of 3). The
//! peer runs the checks whose SQL (as `rwid assess --sql` prints it, each
//! standing alone with the expressions it needs) calls no rwid function:
//! conformance, completeness, plausibility. rwid runs the same statements,
//! the two engines taking turns, fastest of 3 each; every result must be
//! the same. DuckDB comes from `RWID_PYTHON` (`pip install -r
//! benches/requirements.txt`).
//!
//! The assessment's HTML report is written (fastest of 3) and opened in
//! headless Chromium (`RWID_CHROMIUM`, or Debian's), timed from starting
//! the browser to every chart drawn, beside the same browser's start on
//! an empty page.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rwid::fitness::check::CheckResult;
use rwid::{RwidConfig, RwidContext};

mod support;

use support::{DuckDb, Fastest, run_once, same_rows};

// The allocator the rwid binary uses (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const REPETITIONS: usize = 3;
const SEED: u64 = 7;

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The names of rwid's own functions, as SQL calls them.
fn rwid_functions() -> Vec<String> {
    let mut names: Vec<String> = rwid::udfs::all_scalar_functions()
        .iter()
        .map(|f| f.name().to_string())
        .chain(
            rwid::udfs::all_aggregate_functions()
                .iter()
                .map(|f| f.name().to_string()),
        )
        .chain(
            rwid::udfs::all_window_functions()
                .iter()
                .map(|f| f.name().to_string()),
        )
        .collect();
    names.extend(
        rwid::engine::table_functions()
            .iter()
            .map(|(n, ..)| n.to_string()),
    );
    // DataFusion's built-in min and max, which rwid registers again with
    // corrected float ordering, are standard SQL.
    names.retain(|n| n != "min" && n != "max");
    names
}

/// Whether `sql` calls one of `functions`.
fn calls_any(sql: &str, functions: &[String]) -> bool {
    functions.iter().any(|f| {
        sql.match_indices(f.as_str()).any(|(at, _)| {
            let before = sql[..at].chars().next_back();
            let after = sql[at + f.len()..].trim_start().chars().next();
            !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') && after == Some('(')
        })
    })
}

#[tokio::main]
async fn main() {
    let patients = env_count("RWID_BENCH_PATIENTS", 100_000);
    let instances = env_count("RWID_BENCH_INSTANCES", 10_000_000);
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-fitness");
    let folder = root.join(format!("lake-p{patients}-i{instances}"));
    let marker = root.join(format!("lake-p{patients}-i{instances}.complete"));
    if !marker.exists() {
        let started = Instant::now();
        let series: usize = rwid::demo::patients::simulate(patients, SEED)
            .iter()
            .flat_map(|p| &p.studies)
            .map(|s| s.series.len())
            .sum();
        let per_series = instances.div_ceil(series.max(1)).max(1);
        let written = rwid::demo::generate_index_lake(&folder, patients, SEED, per_series).unwrap();
        std::fs::write(&marker, b"").unwrap();
        println!(
            "lake: {patients} patients, {series} series, {written} instances written in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    let ctx = RwidContext::new(RwidConfig {
        lakes: vec![folder.to_string_lossy().into_owned()],
        ..RwidConfig::default()
    })
    .await
    .unwrap();
    let profile = rwid::fitness::read_profile("builtin:nsclc_pembrolizumab_recist").unwrap();

    // The whole assessment.
    let mut best: Option<Duration> = None;
    let mut assessment = None;
    for _ in 0..REPETITIONS {
        let started = Instant::now();
        let done = rwid::fitness::assess(ctx.session(), &profile)
            .await
            .unwrap();
        let elapsed = started.elapsed();
        best = Some(best.map_or(elapsed, |b| b.min(elapsed)));
        assessment = Some(done);
    }
    let assessment = assessment.expect("ran");
    println!(
        "\n{patients} patients; the NSCLC profile's assessment: {} checks, {:.2} s (fastest of {REPETITIONS}), {} eligible, {} evaluable",
        assessment.checks.len(),
        best.unwrap_or_default().as_secs_f64(),
        assessment.eligible,
        assessment.evaluable
    );
    for line in rwid::fitness::output::verdict_lines(&assessment) {
        println!("  {line}");
    }

    report(&assessment, &root);

    // The plain-SQL checks, statement by statement, in both engines.
    let functions = rwid_functions();
    let plain: Vec<&CheckResult> = assessment
        .checks
        .iter()
        .filter(|c| c.sql.first().is_some_and(|sql| !calls_any(sql, &functions)))
        .collect();
    let mut duck = match DuckDb::start(&folder, None) {
        Ok(duck) => duck,
        Err(reason) => {
            println!("duckdb: not run ({reason})");
            return;
        }
    };
    let (mut ours_total, mut theirs_total) = (0.0, 0.0);
    let (mut compared, mut different, mut refused) = (0, Vec::new(), Vec::new());
    let mut per_check = Vec::new();
    'checks: for check in &plain {
        let sql = &check.sql[0];
        let (mut ours, mut theirs) = (Fastest::default(), Fastest::default());
        for _ in 0..REPETITIONS {
            ours.record(
                run_once(async || ctx.sql(sql).await.unwrap().collect().await.unwrap()).await,
            );
            match duck.try_run(sql) {
                Ok(run) => theirs.record(run),
                Err(error) => {
                    refused.push(format!("{}: {error}", check.id));
                    continue 'checks;
                }
            }
        }
        compared += 1;
        ours_total += ours.seconds();
        theirs_total += theirs.seconds();
        per_check.push((check.id.clone(), ours.seconds(), theirs.seconds()));
        if !same_rows(&ours.rows, &theirs.rows) {
            different.push(check.id.clone());
        }
    }
    println!(
        "\n| plain-SQL checks | rwid s | DuckDB s | rwid / DuckDB | same results |\n|---|---|---|---|---|\n| {compared} of {} | {ours_total:.2} | {theirs_total:.2} | {:.2} | {} |",
        assessment.checks.len(),
        ours_total / theirs_total,
        if different.is_empty() {
            "all".to_string()
        } else {
            format!("NOT {}", different.join(", "))
        }
    );
    for refusal in refused {
        println!("DuckDB cannot run {refusal}");
    }
    // Where the time goes: the slowest checks in rwid, with DuckDB's times.
    per_check.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!("\nslowest in rwid (rwid s, DuckDB s):");
    for (id, ours, theirs) in per_check.iter().take(10) {
        println!("  {id}: {ours:.3}, {theirs:.3}");
    }
}

/// Writes the assessment's report and times Chromium drawing it.
fn report(assessment: &rwid::fitness::Assessment, root: &std::path::Path) {
    let path = root.join("report.html");
    let mut writing = Fastest::default();
    for _ in 0..REPETITIONS {
        let started = Instant::now();
        let page = rwid::report::assessment_report(assessment, None, &Default::default()).unwrap();
        rwid::catalog::lake::write_file_atomically(&path, page.as_bytes()).unwrap();
        writing.record((started.elapsed(), Vec::new()));
    }
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "\nreport.html: written in {:.2} s (fastest of {REPETITIONS}), {:.2} MB",
        writing.seconds(),
        bytes as f64 / 1e6
    );
    let chromium = std::env::var_os("RWID_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.exists() {
        println!("chromium: not run (no {})", chromium.display());
        return;
    }
    let empty = root.join("empty.html");
    std::fs::write(&empty, "<!DOCTYPE html><html><body></body></html>").unwrap();
    // Chromium's run until the DOM is read back: start, load, scripts,
    // every chart drawn (the page marks data-ready), fastest of 3.
    let open = |page: &std::path::Path| -> (f64, String) {
        let mut fastest = f64::MAX;
        let mut dom = String::new();
        for _ in 0..REPETITIONS {
            let profile = tempfile::tempdir().unwrap();
            let started = Instant::now();
            let output = std::process::Command::new(&chromium)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--virtual-time-budget=60000",
                    "--dump-dom",
                ])
                .arg(format!("--user-data-dir={}", profile.path().display()))
                .arg(format!("file://{}", page.display()))
                .output()
                .unwrap();
            fastest = fastest.min(started.elapsed().as_secs_f64());
            dom = String::from_utf8_lossy(&output.stdout).into_owned();
        }
        (fastest, dom)
    };
    let (report_seconds, dom) = open(&path);
    let (empty_seconds, _) = open(&empty);
    let ready = dom.contains("data-ready=\"true\"") && dom.contains("data-errors=\"0\"");
    println!(
        "chromium: {report_seconds:.2} s from start to every chart drawn ({}), {empty_seconds:.2} s for an empty page",
        if ready {
            "drawn, no errors"
        } else {
            "NOT drawn"
        }
    );
}
