//! read_dicom reads what pydicom reads: every attribute of every file of the
//! demo lake, compared value by value with pydicom 3's
//! `dcmread(stop_before_pixels=True)`.
//!
//! `.ci/run` installs pydicom and sets `RWID_PYTHON`; without it the test says
//! so and passes, unless `RWID_REQUIRE_TOOLS` is set (as in CI).

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

/// The attributes tests/python/pydicom_headers.py reports.
const KEYWORDS: &[&str] = &[
    "PatientID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "SOPClassUID",
    "Modality",
    "Manufacturer",
    "ManufacturerModelName",
    "InstitutionName",
    "StudyDate",
    "BodyPartExamined",
    "StudyDescription",
    "SeriesNumber",
    "InstanceNumber",
    "PatientAge",
    "ImageType",
    "SliceThickness",
    "PixelSpacing",
    "ImagePositionPatient",
    "Rows",
    "Columns",
    "KVP",
    "ConvolutionKernel",
    "MagneticFieldStrength",
];

fn records(ndjson: &[u8]) -> BTreeMap<String, serde_json::Map<String, Value>> {
    String::from_utf8_lossy(ndjson)
        .lines()
        .map(|line| {
            let Value::Object(record) = serde_json::from_str(line).unwrap() else {
                panic!("not an object: {line}")
            };
            let path = record
                .get("path")
                .or(record.get("file_path"))
                .and_then(Value::as_str)
                .unwrap()
                .to_string();
            (path, record)
        })
        .collect()
}

/// The same value, whatever the reader's conventions: dates as YYYYMMDD,
/// numbers as numbers, a single value of a multi-valued attribute as a list.
fn same(keyword: &str, rwid: &Value, pydicom: &Value) -> bool {
    match (rwid, pydicom) {
        (Value::String(a), Value::String(b)) if keyword.ends_with("Date") => {
            a.replace('-', "") == *b
        }
        (Value::Number(a), Value::Number(b)) => {
            (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 1e-9
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(keyword, x, y))
        }
        (Value::Array(a), single) if a.len() == 1 => same(keyword, &a[0], single),
        (a, b) => a == b,
    }
}

#[test]
fn read_dicom_agrees_with_pydicom() {
    let python = match std::env::var_os("RWID_PYTHON") {
        Some(python) => python,
        None => {
            assert!(
                std::env::var_os("RWID_REQUIRE_TOOLS").is_none(),
                "RWID_REQUIRE_TOOLS is set but RWID_PYTHON (a Python with pydicom) is not"
            );
            eprintln!("skipping: RWID_PYTHON not set; `.ci/run` installs pydicom");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let lake = rwid::demo::generate(&dir.path().join("lake"), 30, 21).unwrap();
    let dicom = lake.root.join("dicom").canonicalize().unwrap();

    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/pydicom_headers.py"
    );
    let reference = Command::new(python)
        .arg(script)
        .arg(&dicom)
        .output()
        .unwrap();
    assert!(
        reference.status.success(),
        "{}",
        String::from_utf8_lossy(&reference.stderr)
    );
    let reference = records(&reference.stdout);

    let sql = format!(
        "SELECT file_path, read_error, {} FROM read_dicom('{}/') ORDER BY file_path",
        KEYWORDS.join(", "),
        dicom.display()
    );
    let ours = Command::new(env!("CARGO_BIN_EXE_rwid"))
        .args(["-q", "--format", "ndjson", "-c", &sql])
        .output()
        .unwrap();
    assert!(
        ours.status.success(),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    let ours = records(&ours.stdout);

    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>(),
        "same files"
    );
    let broken: Vec<String> = lake
        .truth
        .broken_files
        .iter()
        .map(|b| {
            format!(
                "{}/{}",
                dir.path().join("lake").canonicalize().unwrap().display(),
                b.path
            )
        })
        .collect();
    let mut compared = 0;
    for (path, theirs) in &reference {
        let mine = &ours[path];
        if theirs.contains_key("error") {
            // What pydicom cannot read, rwid reports as unreadable.
            assert!(
                mine.contains_key("read_error"),
                "{path}: pydicom failed ({}), rwid read it",
                theirs["error"]
            );
            continue;
        }
        if let Some(reason) = mine.get("read_error") {
            // rwid is stricter only on files broken on purpose (a cut file pydicom reads partially).
            assert!(
                broken.contains(path),
                "{path}: rwid failed ({reason}) where pydicom read it"
            );
            continue;
        }
        for keyword in KEYWORDS {
            match (mine.get(*keyword), theirs.get(*keyword)) {
                (Some(a), Some(b)) => assert!(
                    same(keyword, a, b),
                    "{path} {keyword}: rwid {a}, pydicom {b}"
                ),
                (None, None) => {}
                (a, b) => panic!("{path} {keyword}: rwid {a:?}, pydicom {b:?}"),
            }
        }
        compared += 1;
    }
    assert!(
        compared >= reference.len() - broken.len(),
        "{compared} of {}",
        reference.len()
    );
}
