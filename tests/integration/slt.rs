//! The SQL behaviour tests in `tests/slt/*.slt` (sqllogictest format, as
//! DataFusion's own suite), run against a session built by rwid's one
//! session builder, one test per file:
//!
//! - `cargo test --test integration slt::` runs every file;
//! - `cargo test --test integration slt::NAME` runs one;
//! - `COMPLETE=1 cargo test --test integration slt::NAME` rewrites its
//!   expected results.
//!
//! Files named `demo_*.slt` run with the demo lake (seed 7, 40 patients)
//! mounted, generated once per test run, and can name its folder as
//! `$DEMO_LAKE` after `control substitution on`. Every file can name the
//! committed fixtures folder (`tests/fixtures`) as `$FIXTURES`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

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

/// The demo lake of `demo_*.slt`, generated on first use into the test
/// target's temporary folder (replaced whole on every run).
fn shared_demo_lake() -> &'static Path {
    static LAKE: OnceLock<PathBuf> = OnceLock::new();
    LAKE.get_or_init(|| {
        let lake = Path::new(env!("CARGO_TARGET_TMPDIR")).join("slt-demo-lake");
        rwid::demo::generate(&lake, DEMO_PATIENTS, DEMO_SEED).expect("demo lake generates");
        lake
    })
}

async fn run_named(name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/slt")
        .join(format!("{name}.slt"));
    let lake = name.starts_with("demo_").then(shared_demo_lake);
    if let Err(error) = run_file(&path, lake).await {
        panic!("{}:\n{error}", path.display());
    }
}

/// One test per file; [`every_file_has_its_test`] keeps the list whole.
macro_rules! slt_files {
    ($($name:ident),* $(,)?) => {
        const FILES: &[&str] = &[$(stringify!($name)),*];
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $name() {
                run_named(stringify!($name)).await;
            }
        )*
    };
}

slt_files!(
    demo_dicom,
    demo_lake,
    demo_run_scan,
    demo_scan_pieces,
    dicom_encodings,
    dicom_sr,
    errors,
    functions_builtin,
    functions_clinical,
    functions_dicom,
    functions_harmonize,
    functions_quantitative,
    functions_recist,
    information_schema,
);

#[test]
fn every_file_has_its_test() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let mut found: Vec<String> = std::fs::read_dir(&folder)
        .expect("tests/slt exists")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            if path.extension()? != "slt" {
                return None;
            }
            Some(path.file_stem()?.to_string_lossy().into_owned())
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        FILES,
        "add new .slt files to slt_files! in {}",
        file!()
    );
}
