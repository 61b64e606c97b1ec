//! One copy of arrow, object_store and DataFusion in the build: two copies
//! compile but fail at run time with "expected RecordBatch, found RecordBatch".

use std::process::Command;

#[test]
fn no_second_copy_of_arrow_object_store_or_datafusion() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .args([
            "tree",
            "--workspace",
            "--duplicates",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8_lossy(&output.stdout);
    // Depth-0 lines are the duplicated crates; deeper lines are their dependents.
    let duplicated: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.strip_prefix('0'))
        .filter(|line| {
            let name = line.split_whitespace().next().unwrap_or_default();
            name == "object_store"
                || name == "parquet"
                || name == "sqlparser"
                || name.starts_with("arrow")
                || name.starts_with("datafusion")
        })
        .collect();
    assert!(
        duplicated.is_empty(),
        "duplicated crates:\n{}",
        duplicated.join("\n")
    );
}

/// The pure domain logic (the DICOM decoder, the published methods) builds
/// without DataFusion or Arrow: it is tested, fuzzed and reused on its own,
/// and the SQL adapters around it live in other crates.
#[test]
fn pure_logic_crates_depend_on_no_datafusion() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    for package in ["rwid-dicom", "rwid-methods"] {
        let output = Command::new(&cargo)
            .args([
                "tree",
                "--package",
                package,
                "--edges",
                "normal,build",
                "--prefix",
                "none",
                "--offline",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo tree runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let tree = String::from_utf8_lossy(&output.stdout);
        let engine_crates: Vec<&str> = tree
            .lines()
            .filter(|line| {
                let name = line.split_whitespace().next().unwrap_or_default();
                name.starts_with("datafusion")
                    || name.starts_with("arrow")
                    || name == "parquet"
                    || name == "object_store"
            })
            .collect();
        assert!(
            engine_crates.is_empty(),
            "{package} depends on {engine_crates:?}"
        );
        assert!(tree.lines().count() > 1, "{package}: {tree}");
    }
}
