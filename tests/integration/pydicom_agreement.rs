//! read_dicom reads what pydicom reads: every attribute of every file of the
//! demo lake and of the encoding fixtures, compared value by value with
//! pydicom 3's `dcmread(stop_before_pixels=True, force=True)`, and
//! `dicom_json` compared with pydicom's `to_json_dict()`.
//!
//! `.ci/run` installs pydicom and sets `RWID_PYTHON`; without it the test says
//! so and passes, unless `RWID_REQUIRE_TOOLS` is set (as in CI).

use std::collections::BTreeMap;
use std::path::Path;
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
        // A wrong VR in the file (DS written as LO): pydicom keeps the text,
        // rwid's column keeps the attribute's type.
        (Value::Number(a), Value::String(b)) => b
            .trim()
            .parse::<f64>()
            .is_ok_and(|b| (a.as_f64().unwrap() - b).abs() < 1e-9),
        (a, b) => a == b,
    }
}

/// pydicom's reading of every file under `folder` (with `--json`, its DICOM
/// JSON too), or `None` when no pydicom is available.
fn pydicom_records(
    folder: &Path,
    with_json: bool,
) -> Option<BTreeMap<String, serde_json::Map<String, Value>>> {
    let python = match std::env::var_os("RWID_PYTHON") {
        Some(python) => python,
        None => {
            assert!(
                std::env::var_os("RWID_REQUIRE_TOOLS").is_none(),
                "RWID_REQUIRE_TOOLS is set but RWID_PYTHON (a Python with pydicom) is not"
            );
            eprintln!("skipping: RWID_PYTHON not set; `.ci/run` installs pydicom");
            return None;
        }
    };
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/python/pydicom_headers.py"
    );
    let mut command = Command::new(python);
    command.arg(script).arg(folder);
    if with_json {
        command.arg("--json");
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(records(&output.stdout))
}

/// rwid's reading of every file under `folder`: the keywords, `read_error`
/// and `extra` columns.
fn rwid_records(folder: &Path, extra: &str) -> BTreeMap<String, serde_json::Map<String, Value>> {
    let sql = format!(
        "SELECT file_path, read_error, {}{extra} FROM read_dicom('{}/') ORDER BY file_path",
        KEYWORDS.join(", "),
        folder.display()
    );
    let output = Command::new(env!("CARGO_BIN_EXE_rwid"))
        .args(["-q", "--format", "ndjson", "-c", &sql])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    records(&output.stdout)
}

fn assert_same_attributes(
    path: &str,
    mine: &serde_json::Map<String, Value>,
    theirs: &serde_json::Map<String, Value>,
) {
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
}

/// The same DICOM JSON, numbers compared as numbers (pydicom writes DS `10`
/// as `10.0`).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() <= 1e-9 * x.as_f64().unwrap().abs()
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, value)| y.get(key).is_some_and(|other| same_json(value, other)))
        }
        (x, y) => x == y,
    }
}

#[test]
fn read_dicom_agrees_with_pydicom_on_the_demo_lake() {
    let dir = tempfile::tempdir().unwrap();
    let lake = rwid::demo::generate(&dir.path().join("lake"), 30, 21).unwrap();
    let dicom = lake.root.join("dicom").canonicalize().unwrap();
    let Some(reference) = pydicom_records(&dicom, false) else {
        return;
    };
    let ours = rwid_records(&dicom, "");

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
        assert_same_attributes(path, mine, theirs);
        compared += 1;
    }
    assert!(
        compared >= reference.len() - broken.len(),
        "{compared} of {}",
        reference.len()
    );
}

/// Every committed encoding fixture (tests/fixtures/dicom/encodings): the
/// same attribute values and the same DICOM JSON as pydicom's
/// `to_json_dict()`.
#[test]
fn read_dicom_and_dicom_json_agree_with_pydicom_on_every_encoding() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dicom/encodings");
    let Some(reference) = pydicom_records(&folder, true) else {
        return;
    };
    let ours = rwid_records(&folder, ", dicom_json");
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>(),
        "same files"
    );
    assert!(reference.len() >= 11, "{} fixtures", reference.len());
    for (path, theirs) in &reference {
        let mine = &ours[path];
        assert!(
            !theirs.contains_key("error"),
            "{path}: pydicom failed: {theirs:?}"
        );
        assert!(
            !mine.contains_key("read_error"),
            "{path}: rwid failed: {mine:?}"
        );
        assert_same_attributes(path, mine, theirs);
        let json: Value = serde_json::from_str(mine["dicom_json"].as_str().unwrap()).unwrap();
        assert!(
            same_json(&json, &theirs["json"]),
            "{path}: dicom_json differs\nrwid:    {json}\npydicom: {}",
            theirs["json"]
        );
    }
}
