//! lake.toml: tables under other names and locations, and a DICOM folder
//! elsewhere than `dicom/`; a broken manifest is an error naming it.

use std::path::Path;
use std::sync::Arc;

use rwid::datafusion::arrow::array::{ArrayRef, AsArray, Int64Array, RecordBatch};
use rwid::datafusion::arrow::datatypes::Int64Type;
use rwid::demo::fixtures::write_parquet;
use rwid::{RwidConfig, RwidContext};

fn write_columns(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    write_parquet(path, &[batch], None).unwrap();
}

async fn mount(root: &Path) -> Result<RwidContext, String> {
    RwidContext::new(RwidConfig {
        lakes: vec![root.to_string_lossy().into_owned()],
        ..RwidConfig::default()
    })
    .await
    .map_err(|e| e.to_string())
}

async fn count(ctx: &RwidContext, table: &str) -> i64 {
    let batches = ctx
        .sql(&format!("SELECT count(*) FROM {table}"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    batches[0].column(0).as_primitive::<Int64Type>().value(0)
}

#[tokio::test]
async fn manifest_maps_tables_and_the_dicom_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let ids: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3]));
    write_columns(
        &root.join("ehr/patients/part-0.parquet"),
        vec![("person_id", ids)],
    );
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dicom/encodings");
    let archive = root.join("pacs/archive");
    std::fs::create_dir_all(&archive).unwrap();
    let mut files = 0;
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, archive.join(path.file_name().unwrap())).unwrap();
        files += 1;
    }
    std::fs::write(
        root.join("lake.toml"),
        "# where this lake keeps things\ndicom = \"pacs/archive/\"\n\n[tables]\n\"clinical.person\" = \"ehr/patients/\"\n",
    )
    .unwrap();

    let ctx = mount(root).await.unwrap();
    assert_eq!(count(&ctx, "clinical.person").await, 3);
    assert_eq!(count(&ctx, "imaging.instances").await, files);
    assert_eq!(count(&ctx, "imaging.series").await, 1);
    // The folder layout still names what the manifest does not.
    assert!(
        ctx.table_names().contains(&"ehr.patients".to_string()),
        "{:?}",
        ctx.table_names()
    );
}

#[tokio::test]
async fn a_broken_manifest_names_itself() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lake.toml"),
        "[tables]\n\"clinical.person\" = \n",
    )
    .unwrap();
    let error = mount(dir.path()).await.err().unwrap();
    assert!(
        error.contains("lake.toml") && error.contains("line 2"),
        "{error}"
    );

    std::fs::write(dir.path().join("lake.toml"), "[tables]\nperson = \"x/\"\n").unwrap();
    let error = mount(dir.path()).await.err().unwrap();
    assert!(
        error.contains("'person' must be named schema.table"),
        "{error}"
    );

    std::fs::write(dir.path().join("lake.toml"), "dicomm = \"x/\"\n").unwrap();
    let error = mount(dir.path()).await.err().unwrap();
    assert!(error.contains("unknown field `dicomm`"), "{error}");
}
