//! The `rwid` binary as a user runs it.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::{rwid, stderr, stdout};

#[test]
fn csv_has_a_header_row() {
    let out = rwid(&["-c", "SELECT 1 AS x", "--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "x\n1\n");
}

#[test]
fn every_output_format() {
    let sql = "SELECT 1 AS id, 'CT' AS modality UNION ALL SELECT 2, NULL ORDER BY id";
    let cases = [
        ("tsv", "id\tmodality\n1\tCT\n2\t\n"),
        ("json", "[{\"id\":1,\"modality\":\"CT\"},{\"id\":2}]\n"),
        ("ndjson", "{\"id\":1,\"modality\":\"CT\"}\n{\"id\":2}\n"),
    ];
    for (format, expected) in cases {
        let out = rwid(&["-q", "-c", sql, "--format", format]);
        assert_eq!(stdout(&out), expected, "{format}");
    }
    let table = stdout(&rwid(&["-q", "-c", sql]));
    assert!(table.contains("| 2  | NULL     |"), "{table}");
}

#[test]
fn syntax_errors_exit_1_with_one_line() {
    let out = rwid(&["-c", "SELEC 1"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("Error: ") && err.contains("SELEC"), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn unknown_table_names_the_tables_that_exist() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    rwid::demo::generate(&lake, 8, 2).unwrap();
    let out = rwid(&[
        "--lake",
        lake.to_str().unwrap(),
        "-c",
        "SELECT * FROM clinical.persons",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("clinical.persons") && err.contains("clinical.person,"),
        "{err}"
    );

    let out = rwid(&[
        "--lake",
        lake.to_str().unwrap(),
        "-q",
        "--format",
        "csv",
        "-c",
        "SELECT count(*) AS n FROM clinical.person",
    ]);
    assert_eq!(stdout(&out), "n\n8\n", "{}", stderr(&out));
}

#[test]
fn bad_lake_and_bad_file_are_clear_errors() {
    let out = rwid(&["--lake", "/nonexistent/lake", "-c", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/nonexistent/lake"),
        "{}",
        stderr(&out)
    );

    let out = rwid(&["-f", "/nonexistent/query.sql"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/nonexistent/query.sql"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn commands_and_files_run_in_order_and_stop_at_the_first_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("q.sql");
    std::fs::write(
        &file,
        "CREATE TABLE t AS SELECT 41 AS v;\nSELECT v + 1 AS answer FROM t;\n",
    )
    .unwrap();
    let out = rwid(&[
        "-q",
        "--format",
        "csv",
        "-c",
        "SELECT 'first' AS step",
        "-f",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "step\nfirst\nanswer\n42\n");

    let out = rwid(&[
        "-q",
        "--format",
        "csv",
        "-c",
        "SELECT 1 AS a; SELECT * FROM missing; SELECT 3 AS c",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "a\n1\n");

    // A syntax error anywhere is found before anything runs.
    let out = rwid(&["-q", "--format", "csv", "-c", "SELECT 1 AS a; SELEC 2"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
}

#[test]
fn timings_go_to_stderr_unless_quiet() {
    let out = rwid(&["-c", "SELECT 1 AS x", "--format", "csv"]);
    assert!(
        stderr(&out).contains("1 row. Query took"),
        "{}",
        stderr(&out)
    );
    let out = rwid(&["-q", "-c", "SELECT 1 AS x", "--format", "csv"]);
    assert!(stderr(&out).is_empty());
}

#[test]
fn show_functions_lists_rwid_functions() {
    for name in ["dicom_date", "dicom_age_years", "pack_years"] {
        let out = rwid(&[
            "-q",
            "--format",
            "csv",
            "-c",
            &format!("SHOW FUNCTIONS LIKE '{name}'"),
        ]);
        let text = stdout(&out);
        assert!(text.starts_with("function_name,"), "{text}");
        assert!(
            text.lines().nth(1).is_some_and(|l| l.starts_with(name)),
            "{text}"
        );
    }
    let text = stdout(&rwid(&["-q", "-c", "SHOW FUNCTIONS LIKE 'pack_years'"]));
    assert!(
        text.contains("Cumulative smoking exposure in pack-years"),
        "{text}"
    );
}

#[test]
fn repl_runs_multi_line_statements_and_backslash_commands() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    rwid::demo::generate(&lake, 5, 2).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rwid"))
        .args(["--lake", lake.to_str().unwrap()])
        .env("HOME", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"SELECT 40\n  + 2 AS answer;\n\\d\n\\d clinical.death\nSELEC oops;\n\\df pack\n\\q\nSELECT 'after quit';\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let (text, err) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{err}");
    assert!(text.contains("| 42     |"), "{text}");
    assert!(text.contains("| clinical | person"), "{text}");
    assert!(text.contains("| death_date "), "{text}");
    assert!(text.contains("| pack_years |"), "{text}");
    assert!(err.contains("Error: ") && err.contains("SELEC"), "{err}");
    assert!(!text.contains("after quit"), "{text}");
    assert!(text.contains("Type \\? for help"), "{text}");
    // History is kept across sessions.
    assert!(dir.path().join(".rwid_history").exists());
}

#[test]
fn ingest_indexes_once_then_reads_only_changes() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    rwid::demo::generate(&lake, 4, 3).unwrap();
    let dicom = lake.join("dicom");
    let index = lake.join("imaging/instances");
    let first = rwid(&["ingest", dicom.to_str().unwrap(), index.to_str().unwrap()]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains(" read, 0 unchanged"),
        "{}",
        stdout(&first)
    );
    let second = rwid(&["ingest", dicom.to_str().unwrap(), index.to_str().unwrap()]);
    assert!(stdout(&second).contains("(0 read, "), "{}", stdout(&second));
    // The index is a lake table like any other.
    let out = rwid(&[
        "--lake",
        lake.to_str().unwrap(),
        "-q",
        "--format",
        "csv",
        "-c",
        "SELECT count(*) = count(DISTINCT file_path) AS one_row_per_file FROM imaging.instances",
    ]);
    assert_eq!(stdout(&out), "one_row_per_file\ntrue\n", "{}", stderr(&out));
}

/// A site's rule file (`--rules`) adds vendor spellings and protocol
/// kernels, is tried before the shipped rules, and is named in the version;
/// a broken one is a clear error naming the file.
#[test]
fn site_rules_extend_and_override_the_shipped_ones() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("site.toml");
    std::fs::write(
        &rules,
        r#"
name = "St. Elsewhere rules"
version = "3"

[[scanner]]
vendor = "Acme"
exact = ["ACME IMAGING WORKS"]

# This site's PACS rewrites Manufacturer of its Siemens CTs.
[[scanner]]
vendor = "Siemens"
exact = ["IDC"]

[[kernel]]
vendor = "GE"
exact = { "SITE CHEST SHARP" = "sharp" }
"#,
    )
    .unwrap();
    let rules = rules.to_str().unwrap();
    let out = rwid(&[
        "-q",
        "--format",
        "csv",
        "--rules",
        rules,
        "-c",
        "SELECT scanner_vendor('Acme Imaging Works, Inc.') AS acme, scanner_vendor('IDC') AS idc, \
         scanner_vendor('GE MEDICAL SYSTEMS') AS ge, \
         ct_kernel_class('GE MEDICAL SYSTEMS', 'Site Chest Sharp')['class'] AS kernel, \
         harmonization_rules_version() AS version",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "acme,idc,ge,kernel,version\nAcme,Siemens,GE,sharp,St. Elsewhere rules 3 ({rules}); \
             rwid scanner vendors 2026.11.2 (builtin); rwid CT kernels 2026.11.1 (builtin); \
             rwid Centiloid equations 2026.11.1 (builtin); \
             rwid body parts (DICOM PS3.16 Annex L) 2026.11.1 (builtin)\n"
        )
    );

    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "name = \"x\"\nversion = \"1\"\n[[kernel]]\nvendor = \"GE\"\nexact = { A = \"blurry\" }\n",
    )
    .unwrap();
    let out = rwid(&["-q", "--rules", broken.to_str().unwrap(), "-c", "SELECT 1"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("broken.toml") && stderr(&out).contains("'blurry'"),
        "{}",
        stderr(&out)
    );
}

/// Every command reads the global options the same way: a cohort run with
/// `--rules` sees the site's vendor spellings.
#[test]
fn cohort_reads_the_site_rules() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let table = lake.join("clinical/scanner");
    std::fs::create_dir_all(&table).unwrap();
    let out = rwid(&[
        "-q",
        "-c",
        &format!(
            "COPY (SELECT column1 AS person_id, column2 AS manufacturer \
             FROM (VALUES (1, 'IDC'), (2, 'SIEMENS'), (3, 'GE MEDICAL SYSTEMS'))) \
             TO '{}/part-0.parquet'",
            table.display()
        ),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rules = dir.path().join("site.toml");
    std::fs::write(
        &rules,
        "name = \"site\"\nversion = \"1\"\n[[scanner]]\nvendor = \"Siemens\"\nexact = [\"IDC\"]\n",
    )
    .unwrap();
    let cohort = dir.path().join("siemens.sql");
    std::fs::write(
        &cohort,
        "-- cohort: siemens\n-- step: all\nSELECT person_id FROM clinical.scanner;\n\
         -- step: Siemens scanners\n\
         SELECT person_id FROM clinical.scanner WHERE scanner_vendor(manufacturer) = 'Siemens';\n",
    )
    .unwrap();
    let run = |rules: Option<&str>| {
        let mut args = vec!["-q", "--format", "csv", "--lake", lake.to_str().unwrap()];
        if let Some(rules) = rules {
            args.extend(["--rules", rules]);
        }
        args.extend(["cohort", "--no-write", cohort.to_str().unwrap()]);
        let out = rwid(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).lines().last().unwrap().to_string()
    };
    let shipped = run(None);
    let site = run(Some(rules.to_str().unwrap()));
    assert!(shipped.starts_with("2,Siemens scanners,1,"), "{shipped}");
    assert!(site.starts_with("2,Siemens scanners,2,"), "{site}");
}
