//! What the build links: one copy of arrow, object_store and DataFusion
//! (two copies compile but fail at run time with "expected RecordBatch,
//! found RecordBatch"), and none of them under the pure-logic crates.

use std::process::Command;

/// `cargo tree` of the workspace with `args`, one crate a line, each line
/// prefixed with its depth (0: the root of a tree).
fn cargo_tree(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .arg("tree")
        .args(args)
        .args(["--edges", "normal,build", "--prefix", "depth", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The depth and crate name of a line of [`cargo_tree`].
fn depth_and_crate(line: &str) -> (usize, &str) {
    let name = line.trim_start_matches(|c: char| c.is_ascii_digit());
    let depth = line[..line.len() - name.len()]
        .parse()
        .unwrap_or(usize::MAX);
    (depth, name.split_whitespace().next().unwrap_or_default())
}

fn crate_name(line: &str) -> &str {
    depth_and_crate(line).1
}

/// DataFusion, Arrow, Parquet or object_store.
fn is_engine_crate(name: &str) -> bool {
    name.starts_with("datafusion")
        || name.starts_with("arrow")
        || name == "parquet"
        || name == "object_store"
        || name == "sqlparser"
}

#[test]
fn no_second_copy_of_arrow_object_store_or_datafusion() {
    let tree = cargo_tree(&["--workspace", "--duplicates"]);
    // Depth-0 lines are the duplicated crates; deeper lines their dependents.
    let duplicated: Vec<&str> = tree
        .lines()
        .filter(|line| {
            let (depth, name) = depth_and_crate(line);
            depth == 0 && is_engine_crate(name)
        })
        .collect();
    assert!(
        duplicated.is_empty(),
        "duplicated crates:\n{}",
        duplicated.join("\n")
    );
    // The lines are read as they are written: a duplicated crate is found.
    assert_eq!(depth_and_crate("0arrow-array v58.0.0"), (0, "arrow-array"));
    assert_eq!(
        depth_and_crate("12object_store v0.12.4"),
        (12, "object_store")
    );
}

/// The pure domain logic (the DICOM decoder, the published methods) builds
/// without DataFusion or Arrow: it is tested, fuzzed and reused on its own,
/// and the SQL adapters around it live in other crates.
#[test]
fn pure_logic_crates_depend_on_no_datafusion() {
    for package in ["rwid-dicom", "rwid-methods"] {
        let tree = cargo_tree(&["--package", package]);
        let engine_crates: Vec<&str> = tree
            .lines()
            .map(crate_name)
            .filter(|name| is_engine_crate(name))
            .collect();
        assert!(
            engine_crates.is_empty(),
            "{package} depends on {engine_crates:?}"
        );
        assert!(tree.lines().count() > 1, "{package}: {tree}");
    }
    // And the engine's crates are found where they are.
    let udfs = cargo_tree(&["--package", "rwid-udfs"]);
    assert!(
        udfs.lines()
            .map(crate_name)
            .any(|name| name == "datafusion")
    );
}

/// `cargo run` and `cargo test` build every shared crate with the same
/// features: otherwise the README's second command compiles DataFusion a
/// second time (see the md-5 and getrandom lines of Cargo.toml).
#[test]
fn the_test_build_reuses_the_normal_build() {
    let features = |edges: &str| -> std::collections::BTreeMap<String, String> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let output = Command::new(cargo)
            .args(["tree", "--workspace", "--edges", edges])
            .args(["--format", "{p}|{f}", "--prefix", "none", "--offline"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo tree runs");
        assert!(output.status.success());
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| {
                let (package, features) = line.split_once('|')?;
                let package = package.split(" (").next()?.to_string();
                Some((package, features.trim_end_matches(" (*)").to_string()))
            })
            .collect()
    };
    let normal = features("normal,build");
    let with_tests = features("normal,build,dev");
    let differing: Vec<String> = normal
        .iter()
        .filter_map(|(package, features)| {
            let tested = with_tests.get(package)?;
            (tested != features).then(|| format!("{package}: [{features}] / [{tested}]"))
        })
        .collect();
    assert!(
        differing.is_empty(),
        "built with other features for the tests:\n{}",
        differing.join("\n")
    );
    assert!(normal.len() > 100, "{}", normal.len());
}
