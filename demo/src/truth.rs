//! What the generator knows about the lake it wrote, so tests can assert
//! exact results. Written as `ground_truth.json` at the lake root.

use serde::Serialize;

use super::concepts;
use super::dicom::BrokenFile;
use super::patients::{Patient, Trajectory};

/// Pack-years threshold of the worked example's smoking criterion.
pub const PACK_YEARS_THRESHOLD: f64 = 20.0;

/// The worked example's criteria for one patient.
#[derive(Debug, Clone, Serialize)]
pub struct PatientTruth {
    pub person_id: i64,
    pub site: &'static str,
    pub dicom_patient_id: String,
    pub profile: &'static str,
    /// NSCLC diagnosis (condition concept 4115276).
    pub nsclc: bool,
    /// At least one readable chest CT (see `Study::is_chest_ct`).
    pub chest_ct: bool,
    /// Any pembrolizumab exposure.
    pub pembrolizumab: bool,
    /// Largest recorded pack-years; None when smoking was never recorded.
    pub max_pack_years: Option<f64>,
    /// Histology confirmed by a tumour registry record.
    pub histology_confirmed: bool,
    /// How the patient's lesions behave, for patients with lesion follow-up.
    pub trajectory: Option<Trajectory>,
}

impl PatientTruth {
    pub fn pack_years_ok(&self) -> bool {
        self.max_pack_years
            .is_some_and(|p| p >= PACK_YEARS_THRESHOLD)
    }

    /// Meets every criterion of the NSCLC pembrolizumab cohort.
    pub fn in_nsclc_cohort(&self) -> bool {
        self.nsclc
            && self.chest_ct
            && self.pembrolizumab
            && self.pack_years_ok()
            && self.histology_confirmed
    }
}

/// A named cohort criterion.
type Criterion = (&'static str, fn(&PatientTruth) -> bool);

/// One attrition step: patients remaining after the criterion and all before it.
#[derive(Debug, Clone, Serialize)]
pub struct AttritionStep {
    pub criterion: &'static str,
    pub patients: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroundTruth {
    pub seed: u64,
    pub patients: Vec<PatientTruth>,
    pub dicom_files: usize,
    pub broken_files: Vec<BrokenFile>,
    /// The NSCLC cohort, criterion by criterion, in the order the showcase applies them.
    pub nsclc_attrition: Vec<AttritionStep>,
    /// person_ids in the final NSCLC pembrolizumab cohort, ascending.
    pub nsclc_cohort: Vec<i64>,
}

impl GroundTruth {
    pub fn new(
        seed: u64,
        patients: &[Patient],
        dicom_files: usize,
        broken_files: Vec<BrokenFile>,
    ) -> Self {
        let patients: Vec<PatientTruth> = patients
            .iter()
            .map(|p| PatientTruth {
                person_id: p.person_id,
                site: p.site.code,
                dicom_patient_id: p.dicom_patient_id.clone(),
                profile: p.profile.label(),
                nsclc: p.has_condition(concepts::NSCLC.id),
                chest_ct: p.studies.iter().any(|s| s.is_chest_ct()),
                pembrolizumab: p.has_drug(concepts::PEMBROLIZUMAB.id),
                max_pack_years: p.max_pack_years(),
                histology_confirmed: p.histology_confirmed && p.has_condition(concepts::NSCLC.id),
                trajectory: p.trajectory,
            })
            .collect();
        let criteria: [Criterion; 5] = [
            ("NSCLC diagnosis", |p| p.nsclc),
            ("confirmed histology", |p| p.histology_confirmed),
            ("pembrolizumab exposure", |p| p.pembrolizumab),
            ("pack-years >= 20", |p| p.pack_years_ok()),
            ("chest CT", |p| p.chest_ct),
        ];
        let mut remaining: Vec<&PatientTruth> = patients.iter().collect();
        let mut nsclc_attrition = vec![AttritionStep {
            criterion: "all patients",
            patients: remaining.len(),
        }];
        for (criterion, test) in criteria {
            remaining.retain(|p| test(p));
            nsclc_attrition.push(AttritionStep {
                criterion,
                patients: remaining.len(),
            });
        }
        let nsclc_cohort = remaining.iter().map(|p| p.person_id).collect();
        GroundTruth {
            seed,
            patients,
            dicom_files,
            broken_files,
            nsclc_attrition,
            nsclc_cohort,
        }
    }
}
