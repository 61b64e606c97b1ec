//! read_dicom_sr reads what highdicom reads: every measurement of the SR
//! fixtures (written by highdicom from tests/python/make_sr_fixtures.py),
//! compared field by field with highdicom's own parser
//! (tests/python/highdicom_measurements.py); a file highdicom cannot read
//! is a `read_error` row here. The body-part rule file is what
//! tests/python/dicom_body_parts.py writes from highdicom's copy of DICOM
//! PS3.16 Table L-1.
//!
//! `.ci/run` installs highdicom and sets `RWID_PYTHON`; without it the test
//! says so and passes, unless `RWID_REQUIRE_TOOLS` is set (as in CI).

use std::collections::BTreeSet;
use std::process::Command;

use rwid::datafusion::arrow::array::RecordBatch;
use rwid::datafusion::arrow::json::ArrayWriter;
use rwid::{RwidConfig, RwidContext};
use serde_json::{Map, Value};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dicom/sr");

/// What `tests/python/<script>` prints when run with `args` by the Python
/// that has highdicom; `None` when there is none (see the module docs).
fn run_python(script: &str, args: &[&str]) -> Option<String> {
    let Some(python) = std::env::var_os("RWID_PYTHON") else {
        assert!(
            std::env::var_os("RWID_REQUIRE_TOOLS").is_none(),
            "RWID_REQUIRE_TOOLS is set but RWID_PYTHON (a Python with highdicom) is not"
        );
        eprintln!("skipping: RWID_PYTHON not set; `.ci/run` installs highdicom");
        return None;
    };
    let output = Command::new(python)
        .arg(format!(
            "{}/tests/python/{script}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn highdicom() -> Option<Vec<Map<String, Value>>> {
    let measurements = run_python("highdicom_measurements.py", &[FIXTURES])?;
    Some(
        measurements
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect(),
    )
}

fn json_rows(batches: &[RecordBatch]) -> Vec<Map<String, Value>> {
    let mut writer = ArrayWriter::new(Vec::new());
    for batch in batches {
        writer.write(batch).unwrap();
    }
    writer.finish().unwrap();
    let bytes = writer.into_inner();
    if bytes.is_empty() {
        return Vec::new();
    }
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn read_dicom_sr_agrees_with_highdicom() {
    let Some(expected) = highdicom() else { return };
    let ctx = RwidContext::new(RwidConfig::default()).await.unwrap();
    let sql = format!(
        "SELECT regexp_replace(file_path, '^.*/', '') AS file, SOPInstanceUID AS sop_instance_uid,
                measurement_group AS \"group\", tracking_identifier, tracking_uid, finding_site_code,
                concept_code, value, units, referenced_sop_instance_uid, read_error
         FROM read_dicom_sr('{FIXTURES}') ORDER BY file, \"group\""
    );
    let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
    let actual = json_rows(&batches);

    let measured = |rows: &[Map<String, Value>]| -> Vec<Map<String, Value>> {
        rows.iter()
            .filter(|r| !r.contains_key("error") && !r.contains_key("read_error"))
            .cloned()
            .collect()
    };
    let (expected_rows, actual_rows) = (measured(&expected), measured(&actual));
    assert_eq!(expected_rows.len(), 8, "highdicom reads 8 measurements");
    assert_eq!(actual_rows, expected_rows);

    let unreadable = |rows: &[Map<String, Value>], key: &str| -> BTreeSet<String> {
        rows.iter()
            .filter(|r| r.contains_key(key))
            .map(|r| r["file"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        unreadable(&actual, "read_error"),
        unreadable(&expected, "error")
    );
    assert_eq!(
        unreadable(&actual, "read_error"),
        BTreeSet::from(["truncated.dcm".to_string()])
    );
}

/// methods/rules/body_parts.toml is exactly what its generator writes from
/// highdicom (pinned in .ci/requirements.txt): nothing edited by hand.
#[test]
fn body_part_rules_are_the_generators_output() {
    let Some(generated) = run_python("dicom_body_parts.py", &[]) else {
        return;
    };
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/methods/rules/body_parts.toml"
    ))
    .unwrap();
    assert!(
        generated == committed,
        "methods/rules/body_parts.toml differs from tests/python/dicom_body_parts.py's output; regenerate it"
    );
}
