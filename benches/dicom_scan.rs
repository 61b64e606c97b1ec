//! DICOM header scan benchmark: rwid's `read_dicom` against pydicom 3 and
//! DCMTK's dcmdump on the same files, in the same run, warm cache, whole
//! processes timed.
//!
//! ```sh
//! cargo bench --bench dicom_scan                  # 5,000 files
//! RWID_BENCH_FILES=100000 cargo bench --bench dicom_scan
//! ```
//!
//! Peers: pydicom from `RWID_PYTHON` (default `python3`; `.ci/run`'s venv has
//! it), `dcmdump` from PATH (Debian package `dcmtk`). A missing peer is
//! reported and skipped. Each tool runs 3 times; the fastest run counts.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dicom_core::VR;
use dicom_dictionary_std::{tags, uids};
use rwid::demo::fixtures::DicomInstance;

/// The attributes every tool reads.
const KEYWORDS: &[&str] = &[
    "PatientID",
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "Modality",
    "Manufacturer",
    "ManufacturerModelName",
    "StudyDate",
    "SeriesNumber",
    "InstanceNumber",
    "SliceThickness",
    "PixelSpacing",
    "Rows",
    "Columns",
    "ConvolutionKernel",
    "KVP",
];

const VENDORS: &[(&str, &str, &str)] = &[
    ("SIEMENS", "SOMATOM Definition AS+", "B30f"),
    ("GE MEDICAL SYSTEMS", "LightSpeed VCT", "STANDARD"),
    ("Philips Medical Systems", "iCT 256", "B"),
    ("Canon Medical Systems", "Aquilion Prime SP", "FC08"),
];

/// Writes `count` CT instances of about 9 KB (64×64 16-bit pixels), 100 per
/// series, from 4 vendors. Reuses an existing corpus of the same size.
fn corpus(root: &Path, count: usize) -> PathBuf {
    let folder = root.join(format!("ct-{count}"));
    // Beside the corpus, not in it: every file in it must be DICOM.
    let marker = root.join(format!("ct-{count}.complete"));
    if marker.exists() {
        return folder;
    }
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(root).unwrap();
    for i in 0..count {
        let (manufacturer, model, kernel) = VENDORS[i / 100 % VENDORS.len()];
        let series = i / 100;
        let path = folder.join(format!("p{:04}/s{series:05}/IM{i:06}.dcm", series / 4));
        let mut o = DicomInstance::new();
        o.text(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 100");
        o.texts(tags::IMAGE_TYPE, VR::CS, &["ORIGINAL", "PRIMARY", "AXIAL"]);
        o.text(tags::SOP_CLASS_UID, VR::UI, uids::CT_IMAGE_STORAGE);
        o.text(tags::SOP_INSTANCE_UID, VR::UI, &format!("2.25.1{i:08}"));
        o.text(tags::STUDY_DATE, VR::DA, "20230115");
        o.text(tags::STUDY_TIME, VR::TM, "101500");
        o.text(tags::MODALITY, VR::CS, "CT");
        o.text(tags::MANUFACTURER, VR::LO, manufacturer);
        o.text(tags::INSTITUTION_NAME, VR::LO, "Benchmark Hospital");
        o.text(tags::STUDY_DESCRIPTION, VR::LO, "CT CHEST WITH CONTRAST");
        o.text(tags::SERIES_DESCRIPTION, VR::LO, "Lung 1.0");
        o.text(tags::MANUFACTURER_MODEL_NAME, VR::LO, model);
        o.text(tags::PATIENT_NAME, VR::PN, &format!("BENCH^{}", series / 4));
        o.text(tags::PATIENT_ID, VR::LO, &format!("B{:05}", series / 4));
        o.text(tags::PATIENT_SEX, VR::CS, "F");
        o.text(tags::PATIENT_AGE, VR::AS, "064Y");
        o.text(tags::BODY_PART_EXAMINED, VR::CS, "CHEST");
        o.text(tags::SLICE_THICKNESS, VR::DS, "1.25");
        o.text(tags::KVP, VR::DS, "120");
        o.text(tags::CONVOLUTION_KERNEL, VR::SH, kernel);
        o.text(
            tags::STUDY_INSTANCE_UID,
            VR::UI,
            &format!("2.25.2{:08}", series / 4),
        );
        o.text(
            tags::SERIES_INSTANCE_UID,
            VR::UI,
            &format!("2.25.3{series:08}"),
        );
        o.text(tags::SERIES_NUMBER, VR::IS, &(series % 4 + 1).to_string());
        o.text(tags::INSTANCE_NUMBER, VR::IS, &(i % 100 + 1).to_string());
        o.text(
            tags::IMAGE_POSITION_PATIENT,
            VR::DS,
            &format!("-175\\-175\\{}", -(i as f64 % 100.0) * 1.25),
        );
        o.text(tags::IMAGE_ORIENTATION_PATIENT, VR::DS, "1\\0\\0\\0\\1\\0");
        o.text(tags::PIXEL_SPACING, VR::DS, "0.68359375\\0.68359375");
        o.unsigned(tags::SAMPLES_PER_PIXEL, 1);
        o.text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2");
        o.unsigned(tags::ROWS, 64);
        o.unsigned(tags::COLUMNS, 64);
        o.unsigned(tags::BITS_ALLOCATED, 16);
        o.unsigned(tags::BITS_STORED, 12);
        o.unsigned(tags::HIGH_BIT, 11);
        o.unsigned(tags::PIXEL_REPRESENTATION, 0);
        o.pixels(tags::PIXEL_DATA, vec![(i % 4096) as u16; 64 * 64]);
        o.write(&path, "1.2.840.10008.1.2.1").unwrap();
    }
    std::fs::write(&marker, b"").unwrap();
    folder
}

/// The largest resident set size of any child process waited for so far, in MB.
#[allow(unsafe_code)]
fn peak_child_memory_mb() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_CHILDREN is valid.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    usage.ru_maxrss as f64 / 1024.0 // kilobytes on Linux
}

/// Fastest of 3 runs of `command`, which must succeed.
fn best_of_three(name: &str, mut command: impl FnMut() -> Command) -> Option<Duration> {
    let mut best: Option<Duration> = None;
    for _ in 0..3 {
        let started = Instant::now();
        let output = match command()
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
        {
            Ok(output) => output,
            Err(e) => {
                println!("{name}: not run ({e})");
                return None;
            }
        };
        let elapsed = started.elapsed();
        if !output.status.success() {
            println!(
                "{name}: not run ({})",
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .last()
                    .unwrap_or_default()
            );
            return None;
        }
        best = Some(best.map_or(elapsed, |b| b.min(elapsed)));
    }
    best
}

fn main() {
    let count: usize = std::env::var("RWID_BENCH_FILES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5000);
    let data = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-dicom");
    let folder = corpus(&data, count);
    // Warm the page cache, and measure what reading the bytes alone costs.
    let started = Instant::now();
    let mut bytes = 0u64;
    let mut stack = vec![folder.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "dcm") {
                bytes += std::fs::read(&path).unwrap().len() as u64;
            }
        }
    }
    let read_all = started.elapsed();
    println!(
        "corpus: {count} CT files, {:.1} KB each, in {}",
        bytes as f64 / count as f64 / 1024.0,
        folder.display()
    );

    let sql = format!(
        "SELECT {} FROM read_dicom('{}/', 'fail')",
        KEYWORDS.join(", "),
        folder.display()
    );
    let rwid = best_of_three("rwid", || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rwid"));
        c.args(["-q", "--format", "csv", "-c", &sql]);
        c
    });
    // Read before any other child runs: the largest resident set of the
    // children waited for so far is rwid's.
    let rwid_peak_mb = peak_child_memory_mb();
    let python = std::env::var("RWID_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/dicom_scan_pydicom.py");
    let pydicom = best_of_three("pydicom", || {
        let mut c = Command::new(&python);
        c.arg(script).arg(&folder).arg(KEYWORDS.join(","));
        c
    });
    let dcmdump = best_of_three("dcmdump", || {
        let mut c = Command::new("dcmdump");
        c.args(["-q", "+sd", "+r", "-M"]);
        for keyword in KEYWORDS {
            c.args(["+P", keyword]);
        }
        c.arg(&folder);
        c
    });

    println!("\nrwid peak memory (max RSS of the process): {rwid_peak_mb:.0} MB for {count} files");
    println!("\n| tool | seconds | files/s | rwid is faster by |");
    println!("|---|---|---|---|");
    let rate = |d: Duration| count as f64 / d.as_secs_f64();
    let rows = [
        ("rwid read_dicom (whole process)", rwid),
        ("pydicom 3 dcmread(stop_before_pixels), 1 process", pydicom),
        ("DCMTK dcmdump -M +P ..., 1 process", dcmdump),
        ("reading the bytes only (Rust, 1 thread)", Some(read_all)),
    ];
    for (name, time) in rows {
        match (time, rwid) {
            (Some(t), Some(r)) => println!(
                "| {name} | {:.3} | {:.0} | {:.1}x |",
                t.as_secs_f64(),
                rate(t),
                t.as_secs_f64() / r.as_secs_f64()
            ),
            (Some(t), None) => println!("| {name} | {:.3} | {:.0} | |", t.as_secs_f64(), rate(t)),
            (None, _) => println!("| {name} | not run | | |"),
        }
    }
}
