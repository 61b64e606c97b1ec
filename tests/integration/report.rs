//! The HTML reports, opened in a real headless Chromium as a reviewer
//! would open them: from disk, offline. Each page's script writes on its
//! body and charts what it did (charts drawn, Vega marks counted in the
//! scenegraph, errors and warnings caught, requests made); the tests read
//! the DOM after the scripts ran (`--dump-dom`), print to PDF and render
//! the pages with pdftoppm, and take a screenshot.
//!
//! Chromium is Debian's (`.ci/run` installs it with poppler-utils); where
//! it is missing a test says so and passes, unless `RWID_REQUIRE_TOOLS` is
//! set (as in CI).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use regex::Regex;
use serde_json::Value;

use rwid::fitness::{Assessment, assess, read_profile};
use rwid::report::{ReportOptions, assessment_report};
use rwid::{RwidConfig, RwidContext, demo};

use crate::support::{rwid, stderr, stdout};

/// Headless Chromium with the flags a machine without network needs, and
/// a fresh profile folder per run.
struct Browser {
    binary: PathBuf,
}

impl Browser {
    fn find() -> Option<Self> {
        let binary = std::env::var_os("RWID_CHROMIUM")
            .map(PathBuf::from)
            .or_else(|| {
                ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
                    .into_iter()
                    .map(PathBuf::from)
                    .find(|p| p.exists())
            });
        if binary.is_none() {
            assert!(
                std::env::var_os("RWID_REQUIRE_TOOLS").is_none(),
                "RWID_REQUIRE_TOOLS is set but Chromium is not installed"
            );
            eprintln!("skipping: no Chromium; `.ci/run` installs Debian's chromium");
        }
        binary.map(|binary| Self { binary })
    }

    fn run(&self, page: &Path, args: &[String]) -> std::process::Output {
        let profile = tempfile::tempdir().unwrap();
        let output = Command::new(&self.binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                // Scripts may run this long in virtual time before Chromium
                // reads the page: it stops as soon as the page is idle.
                "--virtual-time-budget=30000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(args)
            .arg(format!("file://{}", page.display()))
            .output()
            .expect("chromium runs");
        assert!(
            output.status.success(),
            "chromium failed on {}: {}",
            page.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// The page's DOM after its scripts ran.
    fn dom(&self, page: &Path) -> String {
        String::from_utf8(self.run(page, &["--dump-dom".into()]).stdout).unwrap()
    }

    fn screenshot(&self, page: &Path, png: &Path) {
        self.run(
            page,
            &[
                "--window-size=1280,2000".into(),
                format!("--screenshot={}", png.display()),
            ],
        );
    }

    fn pdf(&self, page: &Path, pdf: &Path) {
        self.run(
            page,
            &[
                "--no-pdf-header-footer".into(),
                format!("--print-to-pdf={}", pdf.display()),
            ],
        );
    }
}

/// An element's attributes, by name.
fn attributes(tag: &str) -> BTreeMap<String, String> {
    let attribute = Regex::new(r#"([a-z-]+)="([^"]*)""#).unwrap();
    attribute
        .captures_iter(tag)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect()
}

/// The opening tags of `element`s with `class` in `dom`.
fn tags<'a>(dom: &'a str, element: &str, class: &str) -> Vec<&'a str> {
    let pattern = Regex::new(&format!(r#"<{element} class="{class}"[^>]*>"#)).unwrap();
    pattern.find_iter(dom).map(|m| m.as_str()).collect()
}

fn body(dom: &str) -> BTreeMap<String, String> {
    let tag = Regex::new(r"<body data-report[^>]*>").unwrap();
    attributes(tag.find(dom).expect("a body").as_str())
}

/// Asserts the page's scripts ran to the end without an error, a warning
/// or a request, and that every chart was drawn with the marks it must
/// have. Returns the charts' marks by chart id.
fn assert_rendered(dom: &str, page: &str) -> BTreeMap<String, usize> {
    let body = body(dom);
    assert_eq!(
        body.get("data-ready").map(String::as_str),
        Some("true"),
        "{page}: the script did not finish"
    );
    let log = Regex::new(r#"(?s)<pre id="script-errors"[^>]*>(.*?)</pre>"#)
        .unwrap()
        .captures(dom)
        .map(|c| c[1].to_string())
        .unwrap_or_default();
    for key in ["data-errors", "data-warnings", "data-resources"] {
        assert_eq!(body[key], "0", "{page}: {key}: {log}");
    }
    assert_eq!(body["data-charts-rendered"], body["data-charts"], "{page}");
    let mut marks = BTreeMap::new();
    for tag in tags(dom, "figure", "chart") {
        let chart = attributes(tag);
        let id = chart["id"].clone();
        assert_eq!(
            chart.get("data-rendered").map(String::as_str),
            Some("true"),
            "{page}: {id}"
        );
        let drawn: usize = chart["data-marks"].parse().unwrap();
        assert!(drawn > 0, "{page}: {id} drew nothing");
        assert_eq!(
            chart["data-marks"], chart["data-expected-marks"],
            "{page}: {id}"
        );
        assert!(
            chart["data-svg-paths"].parse::<usize>().unwrap() > 0,
            "{page}: {id} has no SVG"
        );
        marks.insert(id.trim_start_matches("chart-").to_string(), drawn);
    }
    marks
}

async fn demo_assessments(dir: &Path) -> Vec<(&'static str, Assessment)> {
    let lake = demo::generate(
        &dir.join("lake"),
        demo::DEFAULT_PATIENTS,
        demo::DEFAULT_SEED,
    )
    .unwrap();
    let ctx = RwidContext::new(RwidConfig {
        lakes: vec![lake.root.to_string_lossy().into_owned()],
        ..RwidConfig::default()
    })
    .await
    .unwrap();
    let mut assessments = Vec::new();
    for profile in [
        "nsclc_pembrolizumab_recist",
        "amyloid_pet_centiloid",
        "cardiac_lvef",
    ] {
        let source = read_profile(&format!("builtin:{profile}")).unwrap();
        assessments.push((profile, assess(ctx.session(), &source).await.unwrap()));
    }
    assessments
}

fn write_report(
    dir: &Path,
    name: &str,
    assessment: &Assessment,
    options: &ReportOptions,
) -> PathBuf {
    let path = dir.join(format!("{name}.html"));
    std::fs::write(&path, assessment_report(assessment, None, options).unwrap()).unwrap();
    path
}

/// Rows of an assessment's figure with a number in `field`.
fn figure_rows(assessment: &Assessment, id: &str, field: &str) -> usize {
    assessment
        .figures
        .iter()
        .find(|f| f.id == id)
        .map_or(0, |f| {
            f.rows
                .iter()
                .filter(|r| r.get(field).is_some_and(Value::is_number))
                .count()
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_reports_draw_every_chart_in_a_real_browser() {
    let Some(browser) = Browser::find() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let expected_charts: BTreeMap<&str, &[&str]> = [
        (
            "nsclc_pembrolizumab_recist",
            &[
                "scanner_by_site",
                "kernel_class_by_site",
                "slice_thickness_by_site",
                "geometry",
                "completeness",
                "scan_timing",
                "recist_best_change",
                "recist_burden",
                "batch_effect",
            ][..],
        ),
        (
            "amyloid_pet_centiloid",
            &[
                "scanner_by_site",
                "completeness",
                "scan_timing",
                "centiloid_by_tracer",
            ][..],
        ),
        (
            "cardiac_lvef",
            &["scanner_by_site", "completeness", "scan_timing", "lvef"][..],
        ),
    ]
    .into_iter()
    .collect();
    for (profile, assessment) in demo_assessments(dir.path()).await {
        let page = write_report(dir.path(), profile, &assessment, &ReportOptions::default());
        let dom = browser.dom(&page);
        let marks = assert_rendered(&dom, profile);
        for chart in expected_charts[profile] {
            assert!(
                marks.contains_key(*chart),
                "{profile}: no {chart} chart in {:?}",
                marks.keys()
            );
        }
        assert!(
            !dom.contains("id=\"unavailable\""),
            "{profile}: a chart could not be computed"
        );
        // What was drawn is what the assessment computed: a bar per patient
        // in the waterfall, a point per scan, a line point per time point.
        for (chart, field) in [
            ("recist_best_change", "best_change_percent"),
            ("recist_burden", "change_percent"),
            ("centiloid_by_tracer", "centiloid"),
            ("lvef", "lvef"),
            ("scan_timing", "visits"),
        ] {
            if let Some(drawn) = marks.get(chart) {
                assert_eq!(
                    *drawn,
                    figure_rows(&assessment, chart, field),
                    "{profile}: {chart}"
                );
            }
        }
        // The verdict and every check are in the page, and the table's
        // script ran over them.
        let verdict = assessment.verdict.verdict.name();
        assert!(
            dom.contains(&format!(
                "class=\"verdict v-{}\">{verdict}<",
                verdict.to_lowercase().replace(' ', "-")
            )),
            "{profile}"
        );
        assert_eq!(
            tags(&dom, "tbody", "check").len(),
            assessment.checks.len(),
            "{profile}"
        );
        let n = assessment.checks.len();
        assert!(
            dom.contains(&format!(
                "<span id=\"check-count\">{n} of {n} checks</span>"
            )),
            "{profile}"
        );
        for requirement in &assessment.verdict.requirements {
            assert!(dom.contains(requirement.requirement.title()), "{profile}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_prints_with_the_verdict_on_page_one_and_screenshots() {
    let Some(browser) = Browser::find() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_, assessment) = demo_assessments(dir.path()).await.remove(0);
    let page = write_report(dir.path(), "nsclc", &assessment, &ReportOptions::default());

    let pdf = dir.path().join("nsclc.pdf");
    browser.pdf(&page, &pdf);
    let pages = dir.path().join("page");
    let rendered = Command::new("pdftoppm")
        .args(["-r", "30", "-png"])
        .arg(&pdf)
        .arg(&pages)
        .output()
        .expect("pdftoppm (poppler-utils) runs");
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let pngs = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("page")
        })
        .count();
    assert!(pngs >= 3, "the report printed on {pngs} pages");
    let first = Command::new("pdftotext")
        .args(["-f", "1", "-l", "1", "-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) runs");
    let text = String::from_utf8_lossy(&first.stdout);
    assert!(text.contains("Verdict"), "{text}");
    assert!(text.contains(assessment.verdict.verdict.name()), "{text}");
    assert!(text.contains("Decided by"), "{text}");
    // The verdict's page ends the first section: the checks come later.
    assert!(!text.contains("Where the problems are"), "{text}");

    let png = dir.path().join("nsclc.png");
    browser.screenshot(&page, &png);
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 20_000,
        "{} bytes",
        bytes.len()
    );
}

/// Every count a page shows (`data-count`) and every count in its charts'
/// data, as text.
fn counts_shown(dom: &str) -> Vec<String> {
    let mut counts: Vec<String> = Regex::new(r#"data-count="([^"]*)""#)
        .unwrap()
        .captures_iter(dom)
        .map(|c| c[1].to_string())
        .collect();
    let spec =
        Regex::new(r#"(?s)<script type="application/json" class="spec">(.*?)</script>"#).unwrap();
    for captured in spec.captures_iter(dom) {
        let spec: Value = serde_json::from_str(&captured[1].replace("<\\/", "</")).unwrap();
        for row in spec["data"]["values"].as_array().unwrap() {
            for key in [
                "series",
                "visits",
                "samples",
                "violating",
                "total",
                "findings",
            ] {
                if let Some(value) = row.get(key) {
                    counts.push(match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
                }
            }
        }
    }
    counts
}

fn small(count: &str, bound: u64) -> bool {
    count.parse::<u64>().is_ok_and(|n| n > 0 && n < bound)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_suppressed_report_shows_no_count_under_the_bound() {
    let Some(browser) = Browser::find() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_, assessment) = demo_assessments(dir.path()).await.remove(0);
    let plain = browser.dom(&write_report(
        dir.path(),
        "plain",
        &assessment,
        &ReportOptions::default(),
    ));
    // The demo has small cells: the test below could fail.
    assert!(counts_shown(&plain).iter().any(|c| small(c, 5)));
    assert!(plain.contains("violating rows</summary>"));

    let options = ReportOptions {
        suppress_below: Some(5),
    };
    let page = write_report(dir.path(), "suppressed", &assessment, &options);
    let dom = browser.dom(&page);
    assert_rendered(&dom, "suppressed");
    let counts = counts_shown(&dom);
    assert!(counts.iter().any(|c| c == "suppressed" || c == "<5"));
    let leaked: Vec<&String> = counts.iter().filter(|c| small(c, 5)).collect();
    assert!(leaked.is_empty(), "counts under 5 shown: {leaked:?}");
    // No rows naming persons, and the insufficient-N reasons say no count.
    assert!(!dom.contains("violating rows</summary>"));
    assert!(
        !Regex::new(r"\b[1-4] checked, under")
            .unwrap()
            .is_match(&dom)
    );
    assert!(dom.contains("Counts from 1 to 4 are suppressed"));
}

#[test]
fn the_commands_write_reports_that_render() {
    let Some(browser) = Browser::find() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let lake = demo::generate(&dir.path().join("lake"), 60, 3).unwrap();
    let lake = lake.root.to_str().unwrap().to_string();

    // rwid assess --out writes report.html beside the results, and
    // compared with the earlier run shows what changed.
    let out = dir.path().join("results");
    let results = out.to_str().unwrap();
    let profile = "builtin:nsclc_pembrolizumab_recist";
    let run = rwid(&[
        "--lake",
        &lake,
        "assess",
        "--profile",
        profile,
        "--out",
        results,
        "--suppress-below",
        "5",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stderr(&run).contains("report.html"), "{}", stderr(&run));
    let first = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(first.contains("data-count=\"suppressed\""));
    let again = rwid(&[
        "--lake",
        &lake,
        "assess",
        "--profile",
        profile,
        "--out",
        results,
        "--compare",
        results,
    ]);
    assert!(again.status.success(), "{}", stderr(&again));
    let dom = browser.dom(&out.join("report.html"));
    assert_rendered(&dom, "rwid assess");
    assert!(dom.contains("id=\"changes\""));
    let refused = rwid(&[
        "--lake",
        &lake,
        "assess",
        "--profile",
        profile,
        "--out",
        results,
        "--suppress-below",
        "1",
    ]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("suppress-below"),
        "{}",
        stderr(&refused)
    );

    // rwid lake check --html: the conformance dashboard.
    let check_page = dir.path().join("check.html");
    let check = rwid(&[
        "lake",
        "check",
        &lake,
        "--html",
        check_page.to_str().unwrap(),
    ]);
    assert!(
        stdout(&check).contains("clinical.person"),
        "{}",
        stderr(&check)
    );
    let dom = browser.dom(&check_page);
    let marks = assert_rendered(&dom, "lake check");
    assert!(marks["findings"] > 0);
    assert!(dom.contains("clinical.person"));

    // rwid cohort --html: the attrition as a flow.
    let cohort_page = dir.path().join("cohort.html");
    let cohort_file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/nsclc_pembrolizumab_cohort.sql"
    );
    let cohort = rwid(&[
        "--lake",
        &lake,
        "cohort",
        cohort_file,
        "--no-write",
        "--html",
        cohort_page.to_str().unwrap(),
    ]);
    assert!(cohort.status.success(), "{}", stderr(&cohort));
    let dom = browser.dom(&cohort_page);
    assert_rendered(&dom, "cohort");
    assert!(dom.contains("class=\"consort\""));
    assert!(dom.contains("pembrolizumab"));
}

#[test]
fn rwid_demo_writes_the_nsclc_report_and_prints_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let results = dir.path().join("assessment");
    let run = rwid(&[
        "demo",
        "--dir",
        lake.to_str().unwrap(),
        "--patients",
        "40",
        "--assessment",
        results.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let report = results.join("report.html");
    assert!(report.exists());
    assert!(
        stdout(&run).contains(&report.display().to_string()),
        "{}",
        stdout(&run)
    );
    let Some(browser) = Browser::find() else {
        return;
    };
    assert_rendered(&browser.dom(&report), "rwid demo");
}
