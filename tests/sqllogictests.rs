//! Runs the SQL behaviour tests in `tests/slt/*.slt` (sqllogictest format, as
//! DataFusion's own suite) against a session built by rwid's one session
//! builder.
//!
//! - `cargo test --test sqllogictests` runs every file;
//! - `cargo test --test sqllogictests -- NAME` runs files whose name contains NAME;
//! - `COMPLETE=1 cargo test --test sqllogictests -- NAME` rewrites expected results.
//!
//! Files named `demo_*.slt` run with the demo lake (seed 7, 40 patients)
//! mounted, generated once per run into a temporary folder whose path they
//! can name as `$DEMO_LAKE` after `control substitution on`. Every file can
//! name the committed fixtures folder (`tests/fixtures`) as `$FIXTURES`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use async_trait::async_trait;
use rwid::datafusion::arrow::datatypes::DataType;
use rwid::datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use rwid::datafusion::error::DataFusionError;
use rwid::{RwidConfig, RwidContext};
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType};

/// Demo lake size for `demo_*.slt`; expected results depend on it.
const DEMO_PATIENTS: usize = 40;
const DEMO_SEED: u64 = 7;

struct Rwid {
    ctx: RwidContext,
}

fn column_type(data_type: &DataType) -> DefaultColumnType {
    match data_type {
        t if t.is_integer() => DefaultColumnType::Integer,
        t if t.is_floating()
            || matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..)) =>
        {
            DefaultColumnType::FloatingPoint
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => DefaultColumnType::Text,
        _ => DefaultColumnType::Any,
    }
}

#[async_trait]
impl AsyncDB for Rwid {
    type Error = DataFusionError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, DataFusionError> {
        let frame = self.ctx.sql(sql).await?;
        let schema = frame.schema().as_arrow().clone();
        let batches = frame.collect().await?;
        if schema.fields().is_empty() {
            return Ok(DBOutput::StatementComplete(0));
        }
        let types = schema
            .fields()
            .iter()
            .map(|f| column_type(f.data_type()))
            .collect();
        let options = FormatOptions::default().with_null("NULL");
        let mut rows = Vec::new();
        for batch in &batches {
            let formatters = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
                .collect::<Result<Vec<_>, _>>()?;
            for row in 0..batch.num_rows() {
                let cells: Vec<String> = formatters
                    .iter()
                    .map(|f| {
                        let value = f.value(row).to_string();
                        // An empty string would vanish in the file format.
                        if value.is_empty() {
                            "(empty)".to_string()
                        } else {
                            value
                        }
                    })
                    .collect();
                // Multi-line values (EXPLAIN plans) become one result line per
                // text line, as DataFusion's own runner writes them; trailing
                // spaces cannot be kept in .slt files.
                for line in cells.join(" ").lines() {
                    rows.push(vec![line.trim_end().to_string()]);
                }
            }
        }
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "rwid"
    }
}

fn slt_files(filters: &[String]) -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .expect("tests/slt exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
        })
        .collect();
    files.sort();
    files
}

async fn run_file(path: &Path, lake: Option<&Path>) -> Result<(), String> {
    let config = RwidConfig {
        lakes: lake
            .map(|l| l.to_string_lossy().into_owned())
            .into_iter()
            .collect(),
        // Fixed so plans (EXPLAIN) do not depend on the machine's cores.
        target_partitions: Some(4),
        ..RwidConfig::default()
    };
    let ctx = RwidContext::new(config).await.map_err(|e| e.to_string())?;
    let mut runner = sqllogictest::Runner::new(move || {
        let ctx = ctx.clone();
        async move { Ok(Rwid { ctx }) }
    });
    runner.with_column_validator(sqllogictest::strict_column_validator);
    // Committed fixture files (tests/fixtures) are $FIXTURES.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    runner.set_var(
        "FIXTURES".to_string(),
        fixtures.to_string_lossy().into_owned(),
    );
    if let Some(lake) = lake {
        // `demo_*.slt` name the lake's folder as $DEMO_LAKE.
        runner.set_var("DEMO_LAKE".to_string(), lake.to_string_lossy().into_owned());
    }
    if std::env::var_os("COMPLETE").is_some() {
        runner
            .update_test_file(
                path,
                " ",
                sqllogictest::default_validator,
                sqllogictest::default_normalizer,
                sqllogictest::strict_column_validator,
            )
            .await
            .map_err(|e| e.to_string())
    } else {
        runner
            .run_file_async(path)
            .await
            .map_err(|e| e.display(true).to_string())
    }
}

fn main() -> ExitCode {
    // libtest flags (`--nocapture`, `--test-threads`...) may be passed by cargo; keep only filters.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let files = slt_files(&filters);
    let lake_dir = tempfile::tempdir().expect("temporary folder");
    let lake = lake_dir.path().join("demo-lake");
    if files.iter().any(|f| {
        f.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("demo_"))
    }) {
        rwid::demo::generate(&lake, DEMO_PATIENTS, DEMO_SEED).expect("demo lake generates");
    }

    let (mut passed, mut failed) = (0, 0);
    for file in &files {
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let lake = name.starts_with("demo_").then_some(lake.as_path());
        match runtime.block_on(run_file(file, lake)) {
            Ok(()) => {
                passed += 1;
                println!("slt {name} ... ok");
            }
            Err(e) => {
                failed += 1;
                println!("slt {name} ... FAILED\n{e}");
            }
        }
    }
    println!("\nsqllogictests: {passed} passed, {failed} failed");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
