//! The lake as a catalog: tables resolved when queried (a broken one named,
//! the rest still querying), tables written after the mount found without
//! restarting, several lakes side by side, and the session's own tables
//! beside the lake's.

use std::path::Path;
use std::sync::Arc;

use rwid::datafusion::arrow::array::{ArrayRef, AsArray, Int64Array, RecordBatch};
use rwid::datafusion::arrow::datatypes::Int64Type;
use rwid::demo::fixtures::write_parquet;
use rwid::{RwidConfig, RwidContext};

fn write_ids(path: &Path, ids: Vec<i64>) {
    let ids: ArrayRef = Arc::new(Int64Array::from(ids));
    let batch = RecordBatch::try_from_iter([("person_id", ids)]).unwrap();
    write_parquet(path, &[batch], None).unwrap();
}

async fn open(lakes: &[String]) -> RwidContext {
    RwidContext::new(RwidConfig {
        lakes: lakes.to_vec(),
        ..RwidConfig::default()
    })
    .await
    .unwrap()
}

async fn count(ctx: &RwidContext, table: &str) -> Result<i64, String> {
    let counted = async {
        let batches = ctx
            .sql(&format!("SELECT count(*) FROM {table}"))
            .await?
            .collect()
            .await?;
        Ok::<_, rwid::datafusion::error::DataFusionError>(
            batches[0].column(0).as_primitive::<Int64Type>().value(0),
        )
    };
    counted.await.map_err(|e| e.to_string())
}

#[tokio::test]
async fn a_broken_table_is_named_and_the_others_query() {
    let dir = tempfile::tempdir().unwrap();
    write_ids(
        &dir.path().join("clinical/person/part-0.parquet"),
        vec![1, 2],
    );
    std::fs::create_dir_all(dir.path().join("clinical/death")).unwrap();
    std::fs::write(dir.path().join("clinical/death/part-0.parquet"), b"PAR1\0").unwrap();

    let ctx = open(&[dir.path().to_string_lossy().into_owned()]).await;
    let warnings: Vec<String> = ctx.lake_warnings().iter().map(|w| w.summary()).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("clinical.death") && w.contains("cannot be read")),
        "{warnings:?}"
    );
    assert_eq!(count(&ctx, "clinical.person").await, Ok(2));
    let error = count(&ctx, "clinical.death").await.unwrap_err();
    assert!(
        error.contains("clinical.death") && error.contains("death/"),
        "{error}"
    );
    // Still listed: the table exists, its files are what is wrong.
    assert!(ctx.table_names().contains(&"clinical.death".to_string()));
}

#[tokio::test]
async fn a_table_written_after_the_mount_is_found() {
    let dir = tempfile::tempdir().unwrap();
    write_ids(&dir.path().join("clinical/person/part-0.parquet"), vec![1]);
    let ctx = open(&[dir.path().to_string_lossy().into_owned()]).await;
    assert!(count(&ctx, "clinical.visit_occurrence").await.is_err());

    write_ids(
        &dir.path().join("clinical/visit_occurrence/part-0.parquet"),
        vec![1, 1, 1],
    );
    write_ids(&dir.path().join("cohort.parquet"), vec![1, 2]);
    assert_eq!(count(&ctx, "clinical.visit_occurrence").await, Ok(3));
    assert_eq!(count(&ctx, "public.cohort").await, Ok(2));
}

#[tokio::test]
async fn lakes_mount_side_by_side_as_catalogs() {
    let site_a = tempfile::tempdir().unwrap();
    let site_b = tempfile::tempdir().unwrap();
    write_ids(
        &site_a.path().join("clinical/person/part-0.parquet"),
        vec![1, 2, 3],
    );
    write_ids(
        &site_b.path().join("clinical/person/part-0.parquet"),
        vec![7],
    );
    // Only site B has DICOM: its imaging views are its own.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dicom/encodings");
    let dicom = site_b.path().join("dicom");
    std::fs::create_dir_all(&dicom).unwrap();
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dicom.join(path.file_name().unwrap())).unwrap();
    }

    let ctx = open(&[
        format!("a={}", site_a.path().display()),
        format!("b={}", site_b.path().display()),
    ])
    .await;
    assert_eq!(count(&ctx, "clinical.person").await, Ok(3));
    assert_eq!(count(&ctx, "a.clinical.person").await, Ok(3));
    assert_eq!(count(&ctx, "b.clinical.person").await, Ok(1));
    assert_eq!(count(&ctx, "b.imaging.series").await, Ok(1));
    assert!(count(&ctx, "imaging.series").await.is_err());
    let names = ctx.table_names();
    assert!(
        names.contains(&"clinical.person".to_string())
            && names.contains(&"b.clinical.person".to_string())
            && names.contains(&"b.imaging.series".to_string()),
        "{names:?}"
    );

    let error = RwidContext::new(RwidConfig {
        lakes: vec![
            site_a.path().to_string_lossy().into_owned(),
            site_b.path().to_string_lossy().into_owned(),
        ],
        ..RwidConfig::default()
    })
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(error.contains("two lakes are named 'lake'"), "{error}");
}

#[tokio::test]
async fn session_tables_live_beside_the_lake_and_lake_files_are_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    write_ids(
        &dir.path().join("clinical/person/part-0.parquet"),
        vec![1, 2],
    );
    let ctx = open(&[dir.path().to_string_lossy().into_owned()]).await;
    ctx.sql("CREATE TABLE scratch AS SELECT person_id FROM clinical.person WHERE person_id > 1")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(count(&ctx, "scratch").await, Ok(1));
    assert_eq!(count(&ctx, "lake.public.scratch").await, Ok(1));
    ctx.sql("DROP TABLE scratch").await.unwrap();
    assert!(count(&ctx, "scratch").await.is_err());

    let error = ctx
        .sql("DROP TABLE clinical.person")
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("does not delete a lake's files"), "{error}");
    assert_eq!(count(&ctx, "clinical.person").await, Ok(2));
    assert!(dir.path().join("clinical/person/part-0.parquet").exists());
}
