//! Differential testing of rwid's physical rules against DataFusion.
//!
//! Every physical rule of rwid (row groups read in pieces, run collapsing
//! under aggregations and below joins, the run scan, sorted windows, the
//! first K rows per partition) promises DataFusion's answer. This test
//! holds them to it on random lakes (`lake.rs`: several files per table,
//! column orders and schemas that differ from file to file, clustered and
//! shuffled rows, NULLs, dictionaries that overflow, pages and row groups
//! of every size) and random queries of the shapes the rules take
//! (`queries.rs`). Each query runs in two rwid sessions built alike, one
//! with `rwid.physical_rules = false` (DataFusion's own plan), and must
//! give the same column types and the same multiset of rows, or fail in
//! both.
//!
//! The run is seeded and bounded; the environment changes it:
//! - `RWID_DIFFERENTIAL_SEED` (default 18), `RWID_DIFFERENTIAL_CASES`
//!   (lakes, default 30), `RWID_DIFFERENTIAL_QUERIES` (per lake, default
//!   10), `RWID_DIFFERENTIAL_FIRST_CASE` (default 0): case `c` of seed `s`
//!   is the same lake and queries on every machine;
//! - `RWID_DIFFERENTIAL_MINUTES`: a campaign, cases one after another
//!   until the time is up (docs/differential-testing.md);
//! - `RWID_DIFFERENTIAL_REPORT`: a file the summary is appended to.
//!
//! A difference prints the case's lake, the query and both answers, keeps
//! the lake's files, and fails the test. The default run must also see
//! every rule at work, or the generator no longer tests them.

mod lake;
mod queries;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rwid::datafusion::arrow::array::RecordBatch;
use rwid::datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use rwid::datafusion::common::Result;
use rwid::datafusion::physical_plan::{ExecutionPlan, collect, displayable};
use rwid::demo::rng::Rng;
use rwid::{RwidConfig, RwidContext};

use lake::Lake;
use queries::QueryGen;

/// What the environment asks of the run.
struct Plan {
    seed: u64,
    first_case: u64,
    cases: u64,
    queries: u64,
    deadline: Option<Duration>,
    report: Option<String>,
}

impl Plan {
    fn from_env() -> Self {
        let number = |name: &str, default: u64| match std::env::var(name) {
            Ok(text) => text
                .parse()
                .unwrap_or_else(|_| panic!("{name} is a number, got '{text}'")),
            Err(_) => default,
        };
        let deadline = std::env::var("RWID_DIFFERENTIAL_MINUTES")
            .ok()
            .map(|minutes| {
                let minutes: f64 = minutes
                    .parse()
                    .unwrap_or_else(|_| panic!("RWID_DIFFERENTIAL_MINUTES is a number"));
                Duration::from_secs_f64(minutes * 60.0)
            });
        Self {
            seed: number("RWID_DIFFERENTIAL_SEED", 18),
            first_case: number("RWID_DIFFERENTIAL_FIRST_CASE", 0),
            cases: number(
                "RWID_DIFFERENTIAL_CASES",
                if deadline.is_some() { u64::MAX } else { 30 },
            ),
            queries: number("RWID_DIFFERENTIAL_QUERIES", 10),
            deadline,
            report: std::env::var("RWID_DIFFERENTIAL_REPORT").ok(),
        }
    }

    /// Whether this is the run CI makes, which must see every rule.
    fn is_default(&self) -> bool {
        self.seed == 18
            && self.first_case == 0
            && self.cases == 30
            && self.queries == 10
            && self.deadline.is_none()
    }
}

/// A query's answer: its column types and its rows, sorted.
#[derive(Debug, PartialEq)]
struct Answer {
    types: Vec<String>,
    rows: Vec<String>,
}

/// What the rules did in the plans of the run, by name: how many queries
/// each was seen at work in.
#[derive(Default)]
struct Coverage(BTreeMap<&'static str, u64>);

const RULES_AT_WORK: &[&str] = &[
    "run collapse under an aggregation",
    "run collapse on a join's probe side",
    "run scan: row groups read as runs",
    "run scan: files handed to DataFusion's reader",
    "row groups read in pieces",
    "first K rows per partition",
    "sorted window",
];

impl Coverage {
    /// Adds what `plan` (executed) shows of the rules.
    fn add(&mut self, plan: &Arc<dyn ExecutionPlan>) {
        let mut seen = Vec::new();
        walk(plan, false, &mut seen);
        if splits_row_groups(&displayable(plan.as_ref()).indent(false).to_string()) {
            seen.push("row groups read in pieces");
        }
        seen.sort_unstable();
        seen.dedup();
        for name in seen {
            *self.0.entry(name).or_default() += 1;
        }
    }
}

/// The rules at work below `plan`; `under_join`: below a hash join.
fn walk(plan: &Arc<dyn ExecutionPlan>, under_join: bool, seen: &mut Vec<&'static str>) {
    let metric = |name: &str| {
        plan.metrics()
            .and_then(|metrics| metrics.sum_by_name(name))
            .map_or(0, |value| value.as_usize())
    };
    match plan.name() {
        "CollapseRunsExec" if under_join => seen.push("run collapse on a join's probe side"),
        "CollapseRunsExec" => seen.push("run collapse under an aggregation"),
        "RunScanExec" => {
            if metric("row_groups_read_as_runs") > 0 {
                seen.push("run scan: row groups read as runs");
            }
            if metric("files_read_by_rows") > 0 {
                seen.push("run scan: files handed to DataFusion's reader");
            }
        }
        "PartitionTopKExec" => seen.push("first K rows per partition"),
        "SortedWindowExec" => seen.push("sorted window"),
        _ => {}
    }
    let under_join = under_join || plan.name() == "HashJoinExec";
    for child in plan.children() {
        walk(child, under_join, seen);
    }
}

/// Whether a scan of the plan reads a file more than once without byte
/// ranges: rwid's pieces of row groups (DataFusion's own splits name a
/// byte range, `part-0.parquet:0..512`).
fn splits_row_groups(plan: &str) -> bool {
    plan.lines()
        .filter(|line| line.contains("DataSourceExec"))
        .any(|line| {
            let mut whole_files: Vec<&str> = line
                .split([' ', ',', '[', ']'])
                .filter(|token| token.ends_with(".parquet"))
                .collect();
            let listed = whole_files.len();
            whole_files.sort_unstable();
            whole_files.dedup();
            whole_files.len() < listed
        })
}

/// Runs `sql`, returning its answer and the executed plan.
async fn answer(rwid: &RwidContext, sql: &str) -> Result<(Answer, Arc<dyn ExecutionPlan>)> {
    let frame = rwid.session().sql(sql).await?;
    let plan = frame.create_physical_plan().await?;
    let batches = collect(Arc::clone(&plan), rwid.session().task_ctx()).await?;
    let schema = plan.schema();
    let types = schema
        .fields()
        .iter()
        .map(|field| field.data_type().to_string())
        .collect();
    let mut rows = Vec::new();
    for batch in &batches {
        rows.extend(row_texts(batch)?);
    }
    rows.sort_unstable();
    Ok((Answer { types, rows }, plan))
}

/// Each row of `batch` as one line, NULLs shown apart from empty texts.
fn row_texts(batch: &RecordBatch) -> Result<Vec<String>> {
    let options = FormatOptions::default().with_null("∅");
    let formatters = batch
        .columns()
        .iter()
        .map(|column| ArrayFormatter::try_new(column.as_ref(), &options))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok((0..batch.num_rows())
        .map(|row| {
            let mut line = String::new();
            for (i, formatter) in formatters.iter().enumerate() {
                if i > 0 {
                    line.push_str(" | ");
                }
                write!(line, "{}", formatter.value(row)).unwrap();
            }
            line
        })
        .collect())
}

/// The two sessions of a case: rwid's rules on, and off.
async fn sessions(lake: &Lake, root: &std::path::Path) -> [RwidContext; 2] {
    let mut both = Vec::new();
    for rules in [true, false] {
        let rwid = RwidContext::new(RwidConfig {
            target_partitions: Some(lake.settings.target_partitions),
            batch_size: Some(lake.settings.batch_size),
            ..RwidConfig::default()
        })
        .await
        .unwrap();
        let mut statements = lake.settings.statements.clone();
        statements.push(format!(
            "SET rwid.scan_piece_min_rows = {}",
            lake.settings.scan_piece_min_rows
        ));
        statements.push(format!("SET rwid.physical_rules = {rules}"));
        statements.extend(lake.create_tables(root));
        for statement in statements {
            rwid.session()
                .sql(&statement)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"))
                .collect()
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        both.push(rwid);
    }
    both.try_into().ok().unwrap()
}

/// How a query's two runs compared.
enum Outcome {
    Same,
    /// Both sessions refused the query (the generator's SQL, or DataFusion's
    /// limits): nothing to compare.
    BothFailed(String),
    Different(String),
}

async fn compare(
    rules: &RwidContext,
    datafusion: &RwidContext,
    sql: &str,
    coverage: &mut Coverage,
) -> Outcome {
    let with_rules = answer(rules, sql).await;
    let without = answer(datafusion, sql).await;
    match (with_rules, without) {
        (Ok((a, plan)), Ok((b, _))) => {
            coverage.add(&plan);
            if a == b {
                return Outcome::Same;
            }
            let mut report = String::new();
            if a.types != b.types {
                writeln!(
                    report,
                    "types: {:?} with rwid's rules, {:?} without",
                    a.types, b.types
                )
                .unwrap();
            }
            writeln!(
                report,
                "{} rows with rwid's rules, {} without",
                a.rows.len(),
                b.rows.len()
            )
            .unwrap();
            let only = |x: &Answer, y: &Answer| -> Vec<String> {
                let mut rest = y.rows.clone();
                x.rows
                    .iter()
                    .filter(|row| match rest.binary_search(row) {
                        Ok(at) => {
                            rest.remove(at);
                            false
                        }
                        Err(_) => true,
                    })
                    .take(12)
                    .cloned()
                    .collect()
            };
            writeln!(report, "only with rwid's rules: {:#?}", only(&a, &b)).unwrap();
            writeln!(report, "only without: {:#?}", only(&b, &a)).unwrap();
            writeln!(
                report,
                "plan with rwid's rules:\n{}",
                displayable(plan.as_ref()).indent(true)
            )
            .unwrap();
            Outcome::Different(report)
        }
        (Err(a), Err(b)) => Outcome::BothFailed(format!("{a} / {b}")),
        (Ok(_), Err(e)) => Outcome::Different(format!("only DataFusion's plan failed: {e}")),
        (Err(e), Ok(_)) => Outcome::Different(format!("only rwid's plan failed: {e}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn physical_rules_answer_as_datafusion_on_random_lakes_and_queries() {
    let plan = Plan::from_env();
    let started = Instant::now();
    let mut coverage = Coverage::default();
    let (mut cases, mut compared, mut both_failed) = (0u64, 0u64, 0u64);
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    let mut differences = Vec::new();
    for case in plan.first_case..plan.first_case.saturating_add(plan.cases) {
        if plan
            .deadline
            .is_some_and(|deadline| started.elapsed() >= deadline)
        {
            break;
        }
        let lake = Lake::generate(plan.seed, case);
        let dir = tempfile::tempdir().unwrap();
        lake.write(dir.path());
        let [rules, datafusion] = sessions(&lake, dir.path()).await;
        let mut found = false;
        for query in 0..plan.queries {
            let rng = Rng::stream(plan.seed ^ case.rotate_left(32), query);
            let sql = QueryGen::new(rng, &lake.domain).query();
            compared += 1;
            match compare(&rules, &datafusion, &sql, &mut coverage).await {
                Outcome::Same => {}
                Outcome::BothFailed(error) => {
                    both_failed += 1;
                    let kind: String = error.chars().take(90).collect();
                    *failures.entry(kind).or_default() += 1;
                }
                Outcome::Different(report) => {
                    found = true;
                    let text = format!(
                        "== difference: seed {} case {case} query {query} (files kept in {})\n{sql}\n{lake}{report}",
                        plan.seed,
                        dir.path().display()
                    );
                    eprintln!("{text}");
                    differences.push(text);
                }
            }
        }
        cases += 1;
        if plan.deadline.is_some() && cases % 25 == 0 {
            println!(
                "{:.0} min: {cases} lakes, {compared} queries, {} differences",
                started.elapsed().as_secs_f64() / 60.0,
                differences.len()
            );
        }
        if found {
            // Kept for the reproduction.
            let _ = dir.keep();
        }
    }
    let mut summary = format!(
        "differential run, seed {}, cases {}..{}: {compared} queries on {cases} lakes in {:.0} s; \
         {} differences; {both_failed} refused by both\n",
        plan.seed,
        plan.first_case,
        plan.first_case + cases,
        started.elapsed().as_secs_f64(),
        differences.len(),
    );
    for rule in RULES_AT_WORK {
        let seen = coverage.0.get(rule).copied().unwrap_or(0);
        writeln!(summary, "  {rule}: at work in {seen} queries").unwrap();
    }
    for (error, count) in &failures {
        writeln!(summary, "  refused by both ({count}): {error}").unwrap();
    }
    println!("{summary}");
    if let Some(path) = &plan.report {
        use std::io::Write as _;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        writeln!(file, "{summary}").unwrap();
        for difference in &differences {
            writeln!(file, "{difference}").unwrap();
        }
    }
    assert!(
        differences.is_empty(),
        "{} differences; see above",
        differences.len()
    );
    if plan.is_default() {
        for rule in RULES_AT_WORK {
            assert!(
                coverage.0.get(rule).is_some_and(|&n| n > 0),
                "no query saw: {rule}\n{summary}"
            );
        }
        // The generator's SQL is valid: refusals are rare.
        assert!(both_failed * 10 < compared, "{summary}");
    }
}
