//! The demo's DICOM files, written with dicom-object.
//!
//! Headers carry what real archives carry, with their habits: vendor names
//! spelled several ways, site-specific kernels, empty or missing attributes,
//! files without extension, implicit VR at one site. Pixel matrices are
//! reduced (64×64 CT and MR, 32×32 PET) to keep the lake small; the geometry
//! attributes keep clinical values. A few files are broken on purpose.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use datafusion::common::{DataFusionError, Result};
use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, VR};
use dicom_dictionary_std::{tags, uids};

use super::patients::{Patient, Series, Study, StudyKind};
use super::rng::Rng;
use super::sites::Scanner;
use crate::fixtures::DicomInstance;

/// A file written broken on purpose, relative to the lake root.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BrokenFile {
    pub path: String,
    /// `truncated`, `not_dicom` or `empty`.
    pub kind: &'static str,
}

#[derive(Debug, Default)]
pub struct DicomSummary {
    /// Valid DICOM files written.
    pub files: usize,
    pub broken: Vec<BrokenFile>,
}

/// Writes every patient's studies under `LAKE/dicom/`.
pub fn write_dicom(lake: &Path, patients: &[Patient], seed: u64) -> Result<DicomSummary> {
    let mut written: Vec<PathBuf> = Vec::new();
    for patient in patients {
        let mut rng = Rng::stream(seed ^ 0xD1C0, patient.person_id as u64);
        // Habits added later draw from their own stream, so the files
        // written before them stay as they were.
        let mut export_rng = Rng::stream(seed ^ 0xD1C1, patient.person_id as u64);
        for study in &patient.studies {
            write_study(
                lake,
                patient,
                study,
                &mut rng,
                &mut export_rng,
                &mut written,
            )?;
        }
    }
    let broken = break_some_files(lake, &written, seed)?;
    let files = written.len() - broken.iter().filter(|b| b.kind == "truncated").count();
    Ok(DicomSummary { files, broken })
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Execution(format!("cannot write '{}': {e}", path.display()))
}

fn write_study(
    lake: &Path,
    patient: &Patient,
    study: &Study,
    rng: &mut Rng,
    export_rng: &mut Rng,
    written: &mut Vec<PathBuf>,
) -> Result<()> {
    let site = patient.site;
    let study_folder = lake
        .join("dicom")
        .join(site.code)
        .join(&patient.dicom_patient_id)
        .join(format!(
            "{}_{}",
            study.date.format("%Y%m%d"),
            study.accession
        ));
    let study_time = format!(
        "{:02}{:02}{:02}",
        rng.int(7, 19),
        rng.int(0, 59),
        rng.int(0, 59)
    );
    let frame_of_reference = rng.uid();
    // Minutes from tracer injection to the PET acquisition: LRC starts its
    // amyloid scans late, outside florbetapir's 30 to 50 minutes.
    let uptake_minutes = match (study.kind, site.code) {
        (StudyKind::AmyloidPet, "LRC") => export_rng.int(70, 100),
        (StudyKind::AmyloidPet, _) => export_rng.int(32, 48),
        _ => 60 + export_rng.int(0, 15),
    };
    let injection_time = earlier_time(&study_time, uptake_minutes);
    // LRC exports without de-identification: names stay in some headers.
    let deidentified = site.code != "LRC" || export_rng.chance(0.5);
    for series in &study.series {
        let scanner = if series.modality == "CT" {
            study.ct_scanner.unwrap_or(study.scanner)
        } else {
            study.scanner
        };
        let folder =
            study_folder.join(format!("{:03}_{}", series.number, slug(series.description)));
        std::fs::create_dir_all(&folder).map_err(|e| io_error(&folder, e))?;
        // Device habits decided once per series, as a device would.
        let habits = SeriesHabits {
            drop_kernel: rng.chance(0.04),
            drop_slice_thickness: rng.chance(0.02),
            drop_model: rng.chance(0.01),
            serial: format!("{}", 10_000 + rng.int(0, 89_999)),
            pixel_spacing: rng.float(0.58, 0.98),
            reconstruction_diameter: rng.float(320.0, 500.0),
            start_z: rng.float(-250.0, -50.0),
        };
        for n in 1..=series.instances {
            let object = instance(
                patient,
                study,
                series,
                scanner,
                &study_time,
                &injection_time,
                deidentified,
                &frame_of_reference,
                n,
                &habits,
                rng,
            );
            let file_name = if site.dcm_extension {
                format!("IM{n:04}.dcm")
            } else {
                format!("IM{n:04}")
            };
            let path = folder.join(file_name);
            object.write(&path, site.transfer_syntax)?;
            written.push(path);
        }
    }
    Ok(())
}

struct SeriesHabits {
    drop_kernel: bool,
    drop_slice_thickness: bool,
    drop_model: bool,
    serial: String,
    pixel_spacing: f64,
    reconstruction_diameter: f64,
    start_z: f64,
}

/// `time` (HHMMSS) less `minutes`, as HHMMSS (same day).
fn earlier_time(time: &str, minutes: i64) -> String {
    let part = |range: std::ops::Range<usize>| {
        time.get(range)
            .and_then(|t| t.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let seconds = (part(0..2) * 3600 + part(2..4) * 60 + part(4..6) - minutes * 60).max(0);
    format!(
        "{:02}{:02}{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

fn da(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn instance(
    patient: &Patient,
    study: &Study,
    series: &Series,
    scanner: &Scanner,
    study_time: &str,
    injection_time: &str,
    deidentified: bool,
    frame_of_reference: &str,
    number: usize,
    habits: &SeriesHabits,
    rng: &mut Rng,
) -> DicomInstance {
    let site = patient.site;
    let mut h = DicomInstance::new();
    let modality = series.modality;
    let sop_class = match modality {
        "CT" => uids::CT_IMAGE_STORAGE,
        "MR" => uids::MR_IMAGE_STORAGE,
        _ => uids::POSITRON_EMISSION_TOMOGRAPHY_IMAGE_STORAGE,
    };

    h.text(tags::SPECIFIC_CHARACTER_SET, VR::CS, site.character_set);
    h.texts(tags::IMAGE_TYPE, VR::CS, &["ORIGINAL", "PRIMARY", "AXIAL"]);
    h.text(tags::SOP_CLASS_UID, VR::UI, sop_class);
    h.text(tags::SOP_INSTANCE_UID, VR::UI, &rng.uid());
    let date = da(study.date);
    for tag in [
        tags::STUDY_DATE,
        tags::SERIES_DATE,
        tags::ACQUISITION_DATE,
        tags::CONTENT_DATE,
    ] {
        h.text(tag, VR::DA, &date);
    }
    h.text(tags::STUDY_TIME, VR::TM, study_time);
    h.text(
        tags::SERIES_TIME,
        VR::TM,
        &format!("{study_time}.{:06}", series.number * 1000),
    );
    h.text(tags::ACCESSION_NUMBER, VR::SH, &study.accession);
    h.text(tags::MODALITY, VR::CS, modality);
    h.text(tags::MANUFACTURER, VR::LO, scanner.manufacturer);
    // Some devices never fill InstitutionName.
    let institution = if scanner.model == "Brilliance 64" {
        ""
    } else {
        site.institution
    };
    h.text(tags::INSTITUTION_NAME, VR::LO, institution);
    h.text(
        tags::STATION_NAME,
        VR::SH,
        &format!("{}{}", site.station, &habits.serial[..2]),
    );
    h.text(tags::STUDY_DESCRIPTION, VR::LO, study.description);
    h.text(tags::SERIES_DESCRIPTION, VR::LO, series.description);
    let department = match site.code {
        "RUH" => Some("Radiologie Süd"),
        "NCI" => Some("Département d'imagerie"),
        _ => None,
    };
    if let Some(department) = department {
        h.text(tags::INSTITUTIONAL_DEPARTMENT_NAME, VR::LO, department);
    }
    if !habits.drop_model {
        h.text(tags::MANUFACTURER_MODEL_NAME, VR::LO, scanner.model);
    }
    // De-identified exports (DICOM PS3.15 Annex E, the basic profile) empty
    // the name and say so; NCI also blanks birth dates.
    let name = if deidentified {
        String::new()
    } else {
        format!("DEMO^{}", patient.person_source_value)
    };
    h.text(tags::PATIENT_NAME, VR::PN, &name);
    h.text(tags::PATIENT_ID, VR::LO, &patient.dicom_patient_id);
    let birth = if site.code == "NCI" {
        String::new()
    } else {
        da(patient.birth_date)
    };
    h.text(tags::PATIENT_BIRTH_DATE, VR::DA, &birth);
    if deidentified {
        h.text(tags::PATIENT_IDENTITY_REMOVED, VR::CS, "YES");
        h.text(
            tags::DEIDENTIFICATION_METHOD,
            VR::LO,
            "DICOM PS3.15 Basic Application Confidentiality Profile",
        );
    }
    h.text(
        tags::PATIENT_SEX,
        VR::CS,
        if patient.male { "M" } else { "F" },
    );
    if site.code != "LRC" {
        h.text(
            tags::PATIENT_AGE,
            VR::AS,
            &format!("{:03}Y", patient.age_at(study.date)),
        );
    }
    h.text(tags::BODY_PART_EXAMINED, VR::CS, study.body_part);
    if !habits.drop_slice_thickness {
        h.decimal(tags::SLICE_THICKNESS, series.slice_thickness);
    }
    h.text(tags::DEVICE_SERIAL_NUMBER, VR::LO, &habits.serial);
    h.text(tags::SOFTWARE_VERSIONS, VR::LO, scanner.software);
    h.text(tags::PROTOCOL_NAME, VR::LO, study.description);

    match modality {
        "CT" => {
            h.decimal(tags::KVP, *rng.pick(&[100.0, 120.0, 120.0, 140.0]));
            let current = rng.int(80, 450);
            h.integer(tags::X_RAY_TUBE_CURRENT, current);
            h.integer(tags::EXPOSURE, current * rng.int(3, 8) / 10);
            if let Some(kernel) = series.kernel.filter(|_| !habits.drop_kernel) {
                h.text(tags::CONVOLUTION_KERNEL, VR::SH, kernel);
            }
            h.decimal(
                tags::RECONSTRUCTION_DIAMETER,
                habits.reconstruction_diameter,
            );
            if study.description.contains("CONTRAST") {
                h.text(tags::CONTRAST_BOLUS_AGENT, VR::LO, "IOPAMIDOL 370");
            }
            h.decimal(tags::RESCALE_INTERCEPT, -1024.0);
            h.decimal(tags::RESCALE_SLOPE, 1.0);
            h.text(tags::RESCALE_TYPE, VR::LO, "HU");
        }
        "MR" => {
            h.decimal(
                tags::MAGNETIC_FIELD_STRENGTH,
                scanner.field_strength.unwrap_or(1.5),
            );
            let (sequence, name, tr, te, flip): (&[&str], &str, f64, f64, f64) =
                match series.description {
                    "T1 MPRAGE SAG" => (&["GR", "IR"], "*tfl3d1_16ns", 2300.0, 2.98, 9.0),
                    "AX T2 FLAIR" => (&["SE", "IR"], "*tir2d1_16", 9000.0, 81.0, 150.0),
                    _ => (&["GR"], "*tfi2d1_12", 41.0, 1.3, 50.0),
                };
            h.texts(tags::SCANNING_SEQUENCE, VR::CS, sequence);
            h.text(tags::SEQUENCE_NAME, VR::SH, name);
            h.decimal(tags::REPETITION_TIME, tr);
            h.decimal(tags::ECHO_TIME, te);
            h.decimal(tags::FLIP_ANGLE, flip);
        }
        _ => {
            h.text(tags::UNITS, VR::CS, "BQML");
            h.text(tags::DECAY_CORRECTION, VR::CS, "START");
            h.texts(tags::CORRECTED_IMAGE, VR::CS, &["ATTN", "DECY", "NORM"]);
            let (tracer, half_life) = match study.kind {
                StudyKind::AmyloidPet => ("Florbetapir", 6586.2),
                _ => ("Fluorodeoxyglucose", 6586.2),
            };
            let dose_mbq = rng.float(250.0, 420.0);
            let mut item = DicomInstance::new();
            item.text(tags::RADIOPHARMACEUTICAL, VR::LO, tracer);
            item.text(tags::RADIOPHARMACEUTICAL_START_TIME, VR::TM, injection_time);
            item.decimal(tags::RADIONUCLIDE_TOTAL_DOSE, (dose_mbq * 1e6).round());
            item.decimal(tags::RADIONUCLIDE_HALF_LIFE, half_life);
            h.put(DataElement::new(
                tags::RADIOPHARMACEUTICAL_INFORMATION_SEQUENCE,
                VR::SQ,
                DataSetSequence::from(vec![item.into_object()]),
            ));
        }
    }

    h.text(tags::STUDY_INSTANCE_UID, VR::UI, &study.uid);
    h.text(tags::SERIES_INSTANCE_UID, VR::UI, &series.uid);
    h.text(tags::STUDY_ID, VR::SH, &study.accession[3..]);
    h.integer(tags::SERIES_NUMBER, series.number);
    h.integer(tags::INSTANCE_NUMBER, number as i64);
    let z = habits.start_z - (number as f64 - 1.0) * series.slice_thickness;
    let x = -habits.reconstruction_diameter / 2.0;
    h.decimals(tags::IMAGE_POSITION_PATIENT, &[x, x, z]);
    h.decimals(
        tags::IMAGE_ORIENTATION_PATIENT,
        &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
    );
    h.text(tags::FRAME_OF_REFERENCE_UID, VR::UI, frame_of_reference);
    h.decimal(tags::SLICE_LOCATION, z);
    if site.code != "SMC" {
        h.decimal(tags::SPACING_BETWEEN_SLICES, series.slice_thickness);
    }

    let matrix: u16 = if modality == "PT" { 32 } else { 64 };
    h.unsigned(tags::SAMPLES_PER_PIXEL, 1);
    h.text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2");
    h.unsigned(tags::ROWS, matrix);
    h.unsigned(tags::COLUMNS, matrix);
    h.decimals(
        tags::PIXEL_SPACING,
        &[habits.pixel_spacing, habits.pixel_spacing],
    );
    h.unsigned(tags::BITS_ALLOCATED, 16);
    h.unsigned(tags::BITS_STORED, if modality == "CT" { 12 } else { 16 });
    h.unsigned(tags::HIGH_BIT, if modality == "CT" { 11 } else { 15 });
    h.unsigned(tags::PIXEL_REPRESENTATION, 0);
    h.pixels(tags::PIXEL_DATA, pixels(matrix, rng));
    h
}

/// A bright disc on a dark background with noise: enough to look like an image.
fn pixels(matrix: u16, rng: &mut Rng) -> Vec<u16> {
    let n = matrix as i64;
    let center = n / 2;
    let radius2 = (n * n) / 9;
    let mut values = Vec::with_capacity((n * n) as usize);
    for y in 0..n {
        for x in 0..n {
            let inside = (x - center).pow(2) + (y - center).pow(2) < radius2;
            let base = if inside { 1100 } else { 24 };
            values.push((base + rng.int(0, 60)) as u16);
        }
    }
    values
}

/// Breaks a few files the way real archives hold broken files: transfers cut
/// short, a scanned document saved among the images, an empty file.
fn break_some_files(lake: &Path, written: &[PathBuf], seed: u64) -> Result<Vec<BrokenFile>> {
    let mut broken = Vec::new();
    if written.len() < 10 {
        return Ok(broken);
    }
    let mut rng = Rng::stream(seed, 0xB40C);
    let relative = |path: &Path| -> String {
        path.strip_prefix(lake)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let mut chosen: Vec<usize> = Vec::new();
    while chosen.len() < 5 {
        let i = rng.int(0, written.len() as i64 - 1) as usize;
        // One broken file per series at most, so every series stays readable.
        let folder = written[i].parent();
        if !chosen.iter().any(|&c| written[c].parent() == folder) {
            chosen.push(i);
        }
    }
    for &i in &chosen[..3] {
        let path = &written[i];
        let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
        let cut = rng.int(300, 900) as usize;
        std::fs::write(path, &bytes[..cut.min(bytes.len() / 2)]).map_err(|e| io_error(path, e))?;
        broken.push(BrokenFile {
            path: relative(path),
            kind: "truncated",
        });
    }
    let folder = written[chosen[3]]
        .parent()
        .expect("instance files live in a folder");
    let document = folder.join("IM9001");
    std::fs::write(&document, b"%PDF-1.4\n% Scanned requisition form (synthetic), stored by the modality among its images\n")
        .map_err(|e| io_error(&document, e))?;
    broken.push(BrokenFile {
        path: relative(&document),
        kind: "not_dicom",
    });
    let folder = written[chosen[4]]
        .parent()
        .expect("instance files live in a folder");
    let empty = folder.join("IM9002");
    std::fs::write(&empty, b"").map_err(|e| io_error(&empty, e))?;
    broken.push(BrokenFile {
        path: relative(&empty),
        kind: "empty",
    });
    Ok(broken)
}
