//! What the benchmarks that race rwid against DuckDB share: DuckDB in a
//! Python child process over the same Parquet files, results as sorted
//! text rows, compared with a float tolerance, and the fastest run kept.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use rwid::datafusion::arrow::array::RecordBatch;
use rwid::datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

/// A result's rows as text cells, sorted (engines may order ties differently).
pub fn rows_of(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters: Vec<ArrayFormatter> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for row in 0..batch.num_rows() {
            rows.push(
                formatters
                    .iter()
                    .map(|f| f.value(row).to_string())
                    .collect(),
            );
        }
    }
    rows.sort();
    rows
}

pub fn same_cell(a: &str, b: &str) -> bool {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
        _ => a == b,
    }
}

pub fn same_rows(a: &[Vec<String>], b: &[Vec<String>]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_cell(p, q)))
}

/// One engine's fastest run of a query so far, and its result.
#[derive(Default)]
pub struct Fastest {
    pub best: Option<Duration>,
    pub rows: Vec<Vec<String>>,
}

impl Fastest {
    pub fn record(&mut self, (elapsed, rows): (Duration, Vec<Vec<String>>)) {
        self.best = Some(self.best.map_or(elapsed, |best| best.min(elapsed)));
        self.rows = rows;
    }

    pub fn seconds(&self) -> f64 {
        self.best.unwrap_or_default().as_secs_f64()
    }
}

/// Runs a query once in process: its time and result.
pub async fn run_once(run: impl AsyncFn() -> Vec<RecordBatch>) -> (Duration, Vec<Vec<String>>) {
    let started = Instant::now();
    let batches = run().await;
    (started.elapsed(), rows_of(&batches))
}

/// DuckDB's answer: its own time for the query and the rows, or why it
/// refused the query.
#[derive(serde::Deserialize)]
struct DuckResult {
    #[serde(default)]
    seconds: f64,
    #[serde(default)]
    rows: Vec<Vec<String>>,
    error: Option<String>,
}

/// DuckDB in a Python child process (`lake_cohorts_duckdb.py`), with the
/// lake's tables as views; it runs one query per request.
pub struct DuckDb {
    child: Child,
    requests: ChildStdin,
    answers: BufReader<ChildStdout>,
}

impl DuckDb {
    /// Starts DuckDB over the lake (and IDC's index); the reason when it
    /// cannot (no Python, no duckdb module).
    pub fn start(lake: &Path, idc: Option<&str>) -> Result<Self, String> {
        let python = std::env::var("RWID_PYTHON").unwrap_or_else(|_| "python3".to_string());
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/lake_cohorts_duckdb.py"
        );
        let spec_file = lake.with_extension("duckdb.json");
        let spec = serde_json::json!({"lake": lake, "idc_index": idc});
        std::fs::write(&spec_file, spec.to_string()).map_err(|e| e.to_string())?;
        let mut child = Command::new(&python)
            .arg(script)
            .arg(&spec_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{python}: {e}"))?;
        let requests = child.stdin.take().expect("piped stdin");
        let mut answers = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut ready = String::new();
        answers.read_line(&mut ready).map_err(|e| e.to_string())?;
        if ready.trim() != "ready" {
            let mut errors = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                stderr.read_to_string(&mut errors).ok();
            }
            child.kill().ok();
            child.wait().ok();
            return Err(errors.lines().last().unwrap_or("no answer").to_string());
        }
        Ok(Self {
            child,
            requests,
            answers,
        })
    }

    /// Runs a query once: DuckDB's own time for it and its result, or why
    /// DuckDB refused it.
    pub fn try_run(&mut self, sql: &str) -> Result<(Duration, Vec<Vec<String>>), String> {
        let request = serde_json::json!({ "sql": sql });
        writeln!(self.requests, "{request}").map_err(|e| e.to_string())?;
        self.requests.flush().map_err(|e| e.to_string())?;
        let mut answer = String::new();
        self.answers
            .read_line(&mut answer)
            .map_err(|e| e.to_string())?;
        let result: DuckResult =
            serde_json::from_str(&answer).map_err(|e| format!("{e} ({answer:?})"))?;
        match result.error {
            Some(error) => Err(error),
            None => Ok((Duration::from_secs_f64(result.seconds), result.rows)),
        }
    }
}

impl Drop for DuckDb {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
