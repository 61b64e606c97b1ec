//! The demo lake: a small, realistic, multi-site imaging and clinical lake,
//! generated deterministically from a seed. `rwid demo` writes it and runs
//! its showcase; the tests and benchmarks generate it as their fixture.
//!
//! ```text
//! demo-lake/
//!   clinical/<omop table>/part-0.parquet   OMOP CDM 5.4: person, observation_period,
//!                                          condition_occurrence, drug_exposure,
//!                                          measurement, observation, death
//!   imaging/patient_link/part-0.parquet    DICOM PatientID -> person_id, per site
//!   imaging/lesion_measurement/...         baseline and follow-up lesion sizes
//!   imaging/radiomics_features/...         lesion features per chest CT, with scanner effects
//!   dicom/<site>/<PatientID>/<date>_<accession>/<series>/IM0001[.dcm]
//!   ground_truth.json                      what every patient meets, for tests
//! ```

use std::path::{Path, PathBuf};

use datafusion::common::{DataFusionError, Result};

mod clinical;
pub mod concepts;
mod dicom;
pub mod fixtures;
pub mod instance_index;
pub mod patients;
mod radiomics;
pub mod rng;
pub mod sites;
mod table;
pub mod truth;
pub mod vocabulary;

pub use truth::GroundTruth;

pub const DEFAULT_PATIENTS: usize = 120;
pub const DEFAULT_SEED: u64 = 7;

/// File at the lake root that marks a demo lake and holds its ground truth.
pub const GROUND_TRUTH_FILE: &str = "ground_truth.json";

/// What [`generate`] wrote.
#[derive(Debug)]
pub struct DemoLake {
    pub root: PathBuf,
    pub truth: GroundTruth,
    /// (table, rows) of every Parquet table written.
    pub tables: Vec<(String, usize)>,
}

/// Generates the demo lake at `dir`, atomically: it is written beside `dir`
/// and moved into place only when complete, so a failure leaves no partial
/// lake. An existing demo lake at `dir` is replaced; anything else there is
/// left alone and reported.
pub fn generate(dir: &Path, patients: usize, seed: u64) -> Result<DemoLake> {
    if patients == 0 {
        return Err(DataFusionError::Configuration(
            "--patients must be at least 1".into(),
        ));
    }
    if dir.exists() && !dir.join(GROUND_TRUTH_FILE).exists() && !is_empty_dir(dir) {
        return Err(DataFusionError::Configuration(format!(
            "refusing to replace '{}': it exists and is not a demo lake (no {GROUND_TRUTH_FILE}); choose another --dir",
            dir.display()
        )));
    }
    let file_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "demo-lake".to_string());
    let staging = dir.with_file_name(format!(".{file_name}.partial-{}", std::process::id()));
    let result = write_lake(&staging, patients, seed);
    let (truth, tables) = match result {
        Ok(written) => written,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let io = |e: std::io::Error| {
        DataFusionError::Execution(format!(
            "cannot move the demo lake into '{}': {e}",
            dir.display()
        ))
    };
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io)?;
    }
    std::fs::rename(&staging, dir).map_err(io)?;
    Ok(DemoLake {
        root: dir.to_path_buf(),
        truth,
        tables,
    })
}

/// The demo lake at scale for benchmarks, written at `dir` (replaced):
/// the same patients and tables as [`generate`], but no DICOM files and no
/// ground truth; the DICOM index `imaging/instances` is written directly,
/// `instances_per_series` instances a series. Returns the instances written.
pub fn generate_index_lake(
    dir: &Path,
    patients: usize,
    seed: u64,
    instances_per_series: usize,
) -> Result<usize> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    let patients = patients::simulate(patients, seed);
    clinical::write_tables(dir, &patients)?;
    radiomics::radiomics_features(&patients, seed)?.write(dir)?;
    instance_index::write_instance_index(dir, &patients, instances_per_series)
}

fn is_empty_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false)
}

fn write_lake(root: &Path, count: usize, seed: u64) -> Result<(GroundTruth, Vec<(String, usize)>)> {
    if root.exists() {
        std::fs::remove_dir_all(root)?;
    }
    std::fs::create_dir_all(root)?;
    let patients = patients::simulate(count, seed);
    let mut tables = clinical::write_tables(root, &patients)?;
    let features = radiomics::radiomics_features(&patients, seed)?;
    features.write(root)?;
    tables.push(("imaging.radiomics_features".to_string(), features.len()));
    let dicom = dicom::write_dicom(root, &patients, seed)?;
    let truth = GroundTruth::new(seed, &patients, dicom.files, dicom.broken);
    let json = serde_json::to_string_pretty(&truth).map_err(|e| {
        DataFusionError::Execution(format!("cannot serialize the ground truth: {e}"))
    })?;
    std::fs::write(root.join(GROUND_TRUTH_FILE), json)?;
    Ok((truth, tables))
}
