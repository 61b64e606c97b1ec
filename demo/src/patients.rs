//! The simulated patients: who they are, what happened to them and which
//! scans they had. Everything the lake holds is written from these records,
//! and the ground truth is computed from them too, never from the lake.

use chrono::{Datelike, Duration, NaiveDate};

use super::concepts::{self, Concept};
use super::rng::Rng;
use super::sites::{PatientIdStyle, SITES, Scanner, Site};

/// The clinical story a patient follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Nsclc,
    Sclc,
    BreastCancer,
    Alzheimers,
    HeartFailure,
    General,
}

impl Profile {
    pub fn label(self) -> &'static str {
        match self {
            Profile::Nsclc => "NSCLC",
            Profile::Sclc => "SCLC",
            Profile::BreastCancer => "breast cancer",
            Profile::Alzheimers => "Alzheimer's disease",
            Profile::HeartFailure => "heart failure",
            Profile::General => "general",
        }
    }

    fn is_oncology(self) -> bool {
        matches!(self, Profile::Nsclc | Profile::Sclc | Profile::BreastCancer)
    }
}

/// How a patient's tumours behave under treatment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trajectory {
    /// Targets shrink by a third or more and stay down.
    Responder,
    /// Targets change little.
    Stable,
    /// Targets grow and a new lesion appears.
    Progressor,
}

#[derive(Debug, Clone)]
pub struct ConditionEvent {
    pub concept: Concept,
    pub date: NaiveDate,
    pub type_concept_id: i64,
    pub source_value: String,
}

#[derive(Debug, Clone)]
pub struct DrugEvent {
    pub concept: Concept,
    pub date: NaiveDate,
}

/// A smoking history record. Sites record it either as pack-years or as
/// cigarettes per day and years smoked; `pack_years` is the same quantity.
#[derive(Debug, Clone)]
pub struct SmokingEvent {
    pub date: NaiveDate,
    pub cigarettes_per_day: f64,
    pub years_smoked: f64,
}

impl SmokingEvent {
    pub fn pack_years(&self) -> f64 {
        self.cigarettes_per_day / 20.0 * self.years_smoked
    }
}

/// A biomarker result.
#[derive(Debug, Clone)]
pub struct LabEvent {
    pub concept: Concept,
    /// How it was recorded: a lab result (32856) or an EHR record (32817).
    pub type_concept_id: i64,
    pub date: NaiveDate,
    pub value_as_number: Option<f64>,
    pub value_as_concept: Option<Concept>,
    pub unit: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub struct Series {
    pub uid: String,
    pub number: i64,
    pub modality: &'static str,
    pub description: &'static str,
    pub kernel: Option<&'static str>,
    pub slice_thickness: f64,
    pub instances: usize,
}

/// What a study is for; decides its series and descriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StudyKind {
    ChestCt,
    FdgPetCt,
    BrainMr,
    AmyloidPet,
    CardiacMr,
    AbdomenCt,
}

#[derive(Debug, Clone)]
pub struct Study {
    pub uid: String,
    pub accession: String,
    pub kind: StudyKind,
    pub date: NaiveDate,
    pub description: &'static str,
    /// BodyPartExamined as the device wrote it ("" when left empty).
    pub body_part: &'static str,
    pub scanner: &'static Scanner,
    /// The CT of a PET/CT study, from the same site.
    pub ct_scanner: Option<&'static Scanner>,
    pub series: Vec<Series>,
}

impl Study {
    /// rwid's documented "chest CT" rule, applied to the header values as
    /// written: a CT series whose BodyPartExamined is CHEST, THORAX or LUNG,
    /// or whose StudyDescription mentions CHEST or THORAX (case-insensitive).
    pub fn is_chest_ct(&self) -> bool {
        let has_ct = self.series.iter().any(|s| s.modality == "CT");
        let body = self.body_part.to_ascii_uppercase();
        let description = self.description.to_ascii_uppercase();
        has_ct
            && (["CHEST", "THORAX", "LUNG"].contains(&body.as_str())
                || description.contains("CHEST")
                || description.contains("THORAX"))
    }
}

/// One lesion measured at one assessment.
#[derive(Debug, Clone)]
pub struct LesionMeasurement {
    pub lesion_id: String,
    pub assessment_date: NaiveDate,
    pub timepoint: i64,
    pub organ: &'static str,
    pub is_nodal: bool,
    pub role: &'static str,
    pub longest_diameter_mm: Option<f64>,
    pub short_axis_mm: Option<f64>,
    pub non_target_status: Option<&'static str>,
    pub slice_thickness_mm: f64,
    pub study_uid: String,
}

#[derive(Debug, Clone)]
pub struct Patient {
    pub person_id: i64,
    pub person_source_value: String,
    pub site: &'static Site,
    pub dicom_patient_id: String,
    pub male: bool,
    pub birth_date: NaiveDate,
    pub race: Concept,
    pub ethnicity: Concept,
    pub profile: Profile,
    pub conditions: Vec<ConditionEvent>,
    pub drugs: Vec<DrugEvent>,
    pub smoking: Vec<SmokingEvent>,
    pub labs: Vec<LabEvent>,
    pub studies: Vec<Study>,
    pub lesions: Vec<LesionMeasurement>,
    pub trajectory: Option<Trajectory>,
    pub histology_confirmed: bool,
    pub death_date: Option<NaiveDate>,
    pub observation_start: NaiveDate,
    pub observation_end: NaiveDate,
}

impl Patient {
    pub fn age_at(&self, date: NaiveDate) -> i64 {
        let mut age = (date.year() - self.birth_date.year()) as i64;
        if (date.month(), date.day()) < (self.birth_date.month(), self.birth_date.day()) {
            age -= 1;
        }
        age
    }

    /// Largest recorded pack-years, if smoking was recorded at all.
    pub fn max_pack_years(&self) -> Option<f64> {
        self.smoking
            .iter()
            .map(SmokingEvent::pack_years)
            .reduce(f64::max)
    }

    pub fn has_condition(&self, concept_id: i64) -> bool {
        self.conditions.iter().any(|c| c.concept.id == concept_id)
    }

    pub fn has_drug(&self, concept_id: i64) -> bool {
        self.drugs.iter().any(|d| d.concept.id == concept_id)
    }
}

/// Last date any demo event may fall on.
fn data_cutoff() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 12, 31).expect("valid date")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// Simulates `count` patients from `seed`.
pub fn simulate(count: usize, seed: u64) -> Vec<Patient> {
    (1..=count as i64)
        .map(|id| {
            let mut patient = simulate_patient(id, seed);
            add_site_habits(&mut patient, seed);
            patient
        })
        .collect()
}

/// What each site records besides the patient's course, drawn from a
/// stream of its own so the rest of the patient stays as it was: SMC
/// rarely records smoking history; amyloid PET SUVRs and cardiac MR LVEFs
/// as the reading sites report them (SMC estimates LVEF visually, and a
/// few LVEFs are entered as fractions).
fn add_site_habits(patient: &mut Patient, seed: u64) {
    let mut rng = Rng::stream(seed ^ 0x517E_4AB1, patient.person_id as u64);
    if patient.site.code == "SMC" && rng.chance(0.8) {
        patient.smoking.clear();
    }
    let results: Vec<LabEvent> = patient
        .studies
        .iter()
        .filter_map(|study| match study.kind {
            StudyKind::AmyloidPet => {
                let suvr = if rng.chance(0.7) {
                    rng.float(1.15, 1.9)
                } else {
                    rng.float(0.85, 1.08)
                };
                Some(LabEvent {
                    concept: concepts::AMYLOID_SUVR,
                    type_concept_id: concepts::TYPE_EHR,
                    date: study.date,
                    value_as_number: Some((suvr * 1000.0).round() / 1000.0),
                    value_as_concept: None,
                    unit: Some("{ratio}"),
                })
            }
            StudyKind::CardiacMr => {
                let lvef = rng.int(18, 68) as f64;
                let fraction = rng.chance(0.06);
                Some(LabEvent {
                    concept: if patient.site.code == "SMC" {
                        concepts::LVEF_VISUAL
                    } else {
                        concepts::LVEF_DISKS
                    },
                    type_concept_id: concepts::TYPE_EHR,
                    date: study.date,
                    value_as_number: Some(if fraction { lvef / 100.0 } else { lvef }),
                    value_as_concept: None,
                    unit: Some("%"),
                })
            }
            _ => None,
        })
        .collect();
    patient.labs.extend(results);
}

fn simulate_patient(person_id: i64, seed: u64) -> Patient {
    let mut rng = Rng::stream(seed, person_id as u64);
    let site = &SITES[rng.weighted(&[0.3, 0.25, 0.25, 0.2])];
    let profile = [
        Profile::Nsclc,
        Profile::Sclc,
        Profile::BreastCancer,
        Profile::Alzheimers,
        Profile::HeartFailure,
        Profile::General,
    ][rng.weighted(&[0.42, 0.08, 0.12, 0.14, 0.12, 0.12])];
    let male = match profile {
        Profile::BreastCancer => rng.chance(0.02),
        _ => rng.chance(0.55),
    };
    let birth_date = date(rng.int(1934, 1972) as i32, 1, 1) + days(rng.int(0, 364));
    let race = *rng.pick(&[
        concepts::WHITE,
        concepts::WHITE,
        concepts::WHITE,
        concepts::BLACK,
        concepts::ASIAN,
    ]);
    let ethnicity = if rng.chance(0.1) {
        concepts::HISPANIC
    } else {
        concepts::NOT_HISPANIC
    };
    let person_source_value = format!("P{person_id:06}");
    let dicom_patient_id = match site.patient_ids {
        PatientIdStyle::Enterprise => person_source_value.clone(),
        PatientIdStyle::LocalMrn => {
            format!("{}{:07}", site.code, 1_000_000 + rng.int(0, 8_999_999))
        }
    };

    let mut patient = Patient {
        person_id,
        person_source_value,
        site,
        dicom_patient_id,
        male,
        birth_date,
        race,
        ethnicity,
        profile,
        conditions: Vec::new(),
        drugs: Vec::new(),
        smoking: Vec::new(),
        labs: Vec::new(),
        studies: Vec::new(),
        lesions: Vec::new(),
        trajectory: None,
        histology_confirmed: false,
        death_date: None,
        observation_start: date(2017, 1, 1),
        observation_end: data_cutoff(),
    };

    // The index date: diagnosis of the patient's main condition.
    let index = date(2019, 1, 1) + days(rng.int(0, 4 * 365));
    add_comorbidities(&mut patient, &mut rng, index);
    add_smoking(&mut patient, &mut rng, index);
    match profile {
        Profile::Nsclc | Profile::Sclc | Profile::BreastCancer => {
            add_cancer(&mut patient, &mut rng, index)
        }
        Profile::Alzheimers => add_alzheimers(&mut patient, &mut rng, index),
        Profile::HeartFailure => add_heart_failure(&mut patient, &mut rng, index),
        Profile::General => add_general(&mut patient, &mut rng, index),
    }
    patient.observation_start = index - days(rng.int(400, 1500));
    let last_event = patient
        .studies
        .iter()
        .map(|s| s.date)
        .chain(patient.drugs.iter().map(|d| d.date))
        .max()
        .unwrap_or(index);
    patient.observation_end = patient
        .death_date
        .unwrap_or_else(|| (last_event + days(rng.int(30, 365))).min(data_cutoff()));
    patient
}

fn add_comorbidities(patient: &mut Patient, rng: &mut Rng, index: NaiveDate) {
    if rng.chance(0.3) {
        let onset = index - days(rng.int(200, 2000));
        patient
            .conditions
            .push(ehr_condition(concepts::HYPERTENSION, onset));
        patient.drugs.push(DrugEvent {
            concept: concepts::LISINOPRIL,
            date: onset + days(rng.int(0, 60)),
        });
    }
    if rng.chance(0.15) {
        let onset = index - days(rng.int(200, 2000));
        patient
            .conditions
            .push(ehr_condition(concepts::TYPE_2_DIABETES, onset));
        patient.drugs.push(DrugEvent {
            concept: concepts::METFORMIN,
            date: onset + days(rng.int(0, 60)),
        });
    }
}

fn ehr_condition(concept: Concept, date: NaiveDate) -> ConditionEvent {
    ConditionEvent {
        concept,
        date,
        type_concept_id: concepts::TYPE_EHR,
        source_value: concept.source_code.to_string(),
    }
}

/// Smoking history. Lung cancer patients smoke more. A few patients sit
/// exactly on the 20 pack-year boundary, and a few have no record at all.
fn add_smoking(patient: &mut Patient, rng: &mut Rng, index: NaiveDate) {
    if rng.chance(0.12) {
        return;
    }
    let lung = matches!(patient.profile, Profile::Nsclc | Profile::Sclc);
    let smoker = rng.chance(if lung { 0.85 } else { 0.35 });
    let (cigarettes, years) = if !smoker {
        (0.0, 0.0)
    } else if patient.person_id % 11 == 0 {
        (20.0, 20.0) // exactly 20 pack-years: on the criterion's boundary
    } else if patient.person_id % 13 == 0 {
        (15.0, 26.0) // 19.5 pack-years: just below it
    } else {
        let cigarettes = *rng.pick(&[5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0]);
        (cigarettes, rng.int(3, 50) as f64)
    };
    if smoker && rng.chance(0.3) {
        // An earlier, smaller record: histories only grow.
        let earlier_years = (years - rng.int(2, 6) as f64).max(1.0);
        patient.smoking.push(SmokingEvent {
            date: index - days(rng.int(400, 900)),
            cigarettes_per_day: cigarettes,
            years_smoked: earlier_years,
        });
    }
    patient.smoking.push(SmokingEvent {
        date: index - days(rng.int(0, 60)),
        cigarettes_per_day: cigarettes,
        years_smoked: years,
    });
}

fn add_cancer(patient: &mut Patient, rng: &mut Rng, diagnosis: NaiveDate) {
    let profile = patient.profile;
    let (condition, histologies): (Concept, &[(&str, &str)]) = match profile {
        Profile::Nsclc => (concepts::NSCLC, concepts::NSCLC_HISTOLOGIES),
        Profile::Sclc => (
            concepts::SCLC,
            std::slice::from_ref(&concepts::SCLC_HISTOLOGY),
        ),
        _ => (
            concepts::BREAST_CANCER,
            &[("8500/3", "Infiltrating duct carcinoma, NOS")],
        ),
    };
    patient.conditions.push(ehr_condition(condition, diagnosis));
    // Tumour registry abstraction: the histology-confirmed record.
    if rng.chance(0.8) {
        let (morphology, _) = rng.pick(histologies);
        patient.histology_confirmed = true;
        patient.conditions.push(ConditionEvent {
            concept: condition,
            date: diagnosis + days(rng.int(3, 20)),
            type_concept_id: concepts::TYPE_REGISTRY,
            source_value: morphology.to_string(),
        });
    }
    if profile == Profile::Nsclc {
        if rng.chance(0.8) {
            patient.labs.push(LabEvent {
                concept: concepts::PD_L1_TPS,
                type_concept_id: concepts::TYPE_LAB,
                date: diagnosis + days(rng.int(5, 25)),
                value_as_number: Some(*rng.pick(&[0.0, 1.0, 5.0, 20.0, 50.0, 60.0, 80.0, 95.0])),
                value_as_concept: None,
                unit: Some("%"),
            });
        }
        if rng.chance(0.7) {
            let positive = rng.chance(0.15);
            patient.labs.push(LabEvent {
                concept: concepts::EGFR_MUTATION,
                type_concept_id: concepts::TYPE_LAB,
                date: diagnosis + days(rng.int(5, 30)),
                value_as_number: None,
                value_as_concept: Some(if positive {
                    concepts::POSITIVE
                } else {
                    concepts::NEGATIVE
                }),
                unit: None,
            });
        }
    }

    let treatment_start = diagnosis + days(rng.int(14, 35));
    let regimen = treatment(profile, rng);
    let mut cycle_date = treatment_start;
    let cycles = if regimen.is_empty() {
        0
    } else {
        rng.int(3, 10)
    };
    for cycle in 0..cycles {
        for (drug, first_cycles) in &regimen {
            if cycle < *first_cycles {
                patient.drugs.push(DrugEvent {
                    concept: *drug,
                    date: cycle_date,
                });
            }
        }
        cycle_date += days(21);
    }

    // Imaging: a baseline within four weeks before treatment (RECIST 1.1),
    // but at RUH, whose baselines are the diagnostic CT weeks earlier; then
    // restaging every 6 to 9 weeks.
    let baseline = if patient.site.code == "RUH" {
        treatment_start - days(rng.int(35, 70))
    } else {
        treatment_start - days(rng.int(1, 28))
    };
    let pet_baseline = profile != Profile::BreastCancer && rng.chance(0.4);
    let mut dates = vec![baseline];
    let follow_ups = if cycles > 0 {
        rng.int(1, 5)
    } else {
        rng.int(0, 1)
    };
    let mut next = treatment_start;
    for _ in 0..follow_ups {
        next += days(rng.int(42, 63));
        dates.push(next);
    }
    if rng.chance(match profile {
        Profile::Nsclc => 0.3,
        Profile::Sclc => 0.6,
        _ => 0.15,
    }) {
        patient.death_date = Some(*dates.last().expect("baseline") + days(rng.int(20, 400)));
    }
    let last_day = patient
        .death_date
        .unwrap_or(data_cutoff())
        .min(data_cutoff());
    dates.retain(|d| *d <= last_day);
    patient.drugs.retain(|d| d.date <= last_day);
    for (i, date) in dates.iter().enumerate() {
        let kind = if i == 0 && pet_baseline {
            StudyKind::FdgPetCt
        } else {
            StudyKind::ChestCt
        };
        let study = new_study(patient, rng, kind, *date);
        patient.studies.push(study);
    }
    if profile == Profile::Nsclc && rng.chance(0.25) {
        let date = baseline + days(rng.int(1, 10));

        let study = new_study(patient, rng, StudyKind::BrainMr, date);
        patient.studies.push(study);
    }
    add_lesions(
        patient,
        rng,
        regimen
            .iter()
            .any(|(d, _)| d.id == concepts::PEMBROLIZUMAB.id),
    );
}

/// A regimen: each drug with the number of cycles it is given for.
fn treatment(profile: Profile, rng: &mut Rng) -> Vec<(Concept, i64)> {
    use concepts::*;
    match profile {
        Profile::Nsclc => match rng.weighted(&[0.3, 0.25, 0.15, 0.2, 0.1]) {
            0 => vec![(PEMBROLIZUMAB, 99)],
            1 => vec![(PEMBROLIZUMAB, 99), (CARBOPLATIN, 4), (PEMETREXED, 99)],
            2 => vec![(NIVOLUMAB, 99)],
            3 => vec![(CARBOPLATIN, 4), (PACLITAXEL, 4)],
            _ => vec![],
        },
        // Pembrolizumab outside NSCLC: exposure alone must not qualify.
        Profile::Sclc => match rng.weighted(&[0.75, 0.15, 0.1]) {
            0 => vec![(CARBOPLATIN, 4), (ETOPOSIDE, 4)],
            1 => vec![(PEMBROLIZUMAB, 99)],
            _ => vec![],
        },
        _ => match rng.weighted(&[0.5, 0.3, 0.2]) {
            0 => vec![(PACLITAXEL, 4), (TRASTUZUMAB, 99)],
            1 => vec![(PACLITAXEL, 6)],
            _ => vec![],
        },
    }
}

fn add_alzheimers(patient: &mut Patient, rng: &mut Rng, diagnosis: NaiveDate) {
    patient
        .conditions
        .push(ehr_condition(concepts::ALZHEIMERS, diagnosis));
    patient.drugs.push(DrugEvent {
        concept: concepts::DONEPEZIL,
        date: diagnosis + days(rng.int(7, 60)),
    });
    let date = diagnosis - days(rng.int(10, 60));

    let mr = new_study(patient, rng, StudyKind::BrainMr, date);
    patient.studies.push(mr);
    if rng.chance(0.7) {
        let date = diagnosis - days(rng.int(0, 30));

        let pet = new_study(patient, rng, StudyKind::AmyloidPet, date);
        patient.studies.push(pet);
    }
    if rng.chance(0.4) {
        let date = diagnosis + days(rng.int(300, 500));

        let follow_up = new_study(patient, rng, StudyKind::BrainMr, date);
        patient.studies.push(follow_up);
    }
}

fn add_heart_failure(patient: &mut Patient, rng: &mut Rng, diagnosis: NaiveDate) {
    patient
        .conditions
        .push(ehr_condition(concepts::HEART_FAILURE, diagnosis));
    patient.drugs.push(DrugEvent {
        concept: concepts::FUROSEMIDE,
        date: diagnosis + days(rng.int(0, 14)),
    });
    let date = diagnosis + days(rng.int(0, 45));

    let mr = new_study(patient, rng, StudyKind::CardiacMr, date);
    patient.studies.push(mr);
    if rng.chance(0.3) {
        let date = diagnosis - days(rng.int(0, 30));

        let ct = new_study(patient, rng, StudyKind::ChestCt, date);
        patient.studies.push(ct);
    }
}

fn add_general(patient: &mut Patient, rng: &mut Rng, index: NaiveDate) {
    let kind = if rng.chance(0.5) {
        StudyKind::ChestCt
    } else {
        StudyKind::AbdomenCt
    };
    let study = new_study(patient, rng, kind, index);
    patient.studies.push(study);
}

/// A study at the patient's site, with its series.
fn new_study(patient: &Patient, rng: &mut Rng, kind: StudyKind, date: NaiveDate) -> Study {
    let site = patient.site;
    let modality = match kind {
        StudyKind::ChestCt | StudyKind::AbdomenCt => "CT",
        StudyKind::FdgPetCt | StudyKind::AmyloidPet => "PT",
        StudyKind::BrainMr | StudyKind::CardiacMr => "MR",
    };
    let scanner = *rng.pick(&site.scanners_for(modality));
    let ct_scanner = (kind == StudyKind::FdgPetCt).then(|| *rng.pick(&site.scanners_for("CT")));
    let (description, body_part): (&'static str, &'static str) = match kind {
        StudyKind::ChestCt => *rng.pick(&[
            ("CT CHEST WITH CONTRAST", "CHEST"),
            ("CT CHEST WITH CONTRAST", "CHEST"),
            ("CT Chest", "Chest"),
            ("CT THORAX", "THORAX"),
            ("CT CHEST ABDOMEN PELVIS", "CHEST"),
            ("CT LUNG LOW DOSE", "LUNG"),
            ("CT CHEST WO", ""),
            ("Restaging", ""),
        ]),
        StudyKind::AbdomenCt => *rng.pick(&[("CT ABDOMEN PELVIS", "ABDOMEN"), ("CT Abdomen", "")]),
        StudyKind::FdgPetCt => *rng.pick(&[
            ("PET/CT WHOLE BODY FDG", "WHOLEBODY"),
            ("PET CT Skull Base to Thigh", ""),
        ]),
        StudyKind::AmyloidPet => ("PET BRAIN AMYLOID", "BRAIN"),
        StudyKind::BrainMr => *rng.pick(&[("MRI BRAIN WO", "BRAIN"), ("MR Head", "HEAD")]),
        StudyKind::CardiacMr => ("MR CARDIAC FUNCTION", "HEART"),
    };
    let mut series = Vec::new();
    let mut add = |rng: &mut Rng,
                   modality: &'static str,
                   description: &'static str,
                   kernel: Option<&'static str>,
                   thicknesses: &[f64]| {
        series.push(Series {
            uid: rng.uid(),
            number: series.len() as i64 + 1,
            modality,
            description,
            kernel,
            slice_thickness: *rng.pick(thicknesses),
            instances: 3,
        });
    };
    match kind {
        StudyKind::ChestCt | StudyKind::AbdomenCt => {
            let kernels = scanner.kernels;
            add(
                rng,
                "CT",
                "Lung 1.0",
                Some(kernels[kernels.len() - 2]),
                &[0.625, 1.0, 1.25],
            );
            if rng.chance(0.6) {
                // NCI reconstructs its soft-tissue series thick.
                let thicknesses: &[f64] = if site.code == "NCI" {
                    &[5.0, 7.0, 8.0]
                } else {
                    &[2.5, 3.0, 5.0]
                };
                add(rng, "CT", "Mediastinum 3.0", Some(kernels[0]), thicknesses);
            }
        }
        StudyKind::FdgPetCt => {
            let ct = ct_scanner.expect("PET/CT has a CT");
            add(
                rng,
                "CT",
                "CTAC 3.0",
                Some(ct.kernels[0]),
                &[3.0, 3.75, 5.0],
            );
            add(rng, "PT", "PET WB FDG AC", None, &[2.0, 3.0, 3.27, 4.0]);
        }
        StudyKind::AmyloidPet => add(rng, "PT", "Florbetapir Brain AC", None, &[1.0, 2.0, 2.03]),
        StudyKind::BrainMr => {
            add(rng, "MR", "T1 MPRAGE SAG", None, &[1.0, 1.2]);
            add(rng, "MR", "AX T2 FLAIR", None, &[3.0, 4.0, 5.0]);
        }
        StudyKind::CardiacMr => add(rng, "MR", "CINE SA", None, &[6.0, 8.0]),
    }
    Study {
        uid: rng.uid(),
        accession: format!("{}{:08}", site.code, rng.int(0, 99_999_999)),
        kind,
        date,
        description,
        body_part,
        scanner,
        ct_scanner,
        series,
    }
}

/// Lesion measurements for each chest CT of an oncology patient with at
/// least one follow-up: RECIST-style target and non-target lesions.
fn add_lesions(patient: &mut Patient, rng: &mut Rng, on_immunotherapy: bool) {
    let assessments: Vec<(NaiveDate, String, f64)> = patient
        .studies
        .iter()
        .filter(|s| matches!(s.kind, StudyKind::ChestCt | StudyKind::FdgPetCt))
        .map(|s| {
            let ct = s
                .series
                .iter()
                .find(|x| x.modality == "CT")
                .expect("chest study has CT");
            (s.date, s.uid.clone(), ct.slice_thickness)
        })
        .collect();
    if !patient.profile.is_oncology() || assessments.len() < 2 {
        return;
    }
    let trajectory = match rng.weighted(&[if on_immunotherapy { 0.45 } else { 0.3 }, 0.35, 0.3]) {
        0 => Trajectory::Responder,
        1 => Trajectory::Stable,
        _ => Trajectory::Progressor,
    };
    patient.trajectory = Some(trajectory);

    let primary = if patient.profile == Profile::BreastCancer {
        "breast"
    } else {
        "lung"
    };
    // (organ, nodal) candidates; at most two targets per organ.
    let organs = [
        (primary, false),
        (primary, false),
        ("lymph node", true),
        ("liver", false),
        ("liver", false),
        ("adrenal", false),
    ];
    let targets = rng.int(1, 5) as usize;
    let mut lesions: Vec<(String, &'static str, bool, f64)> = Vec::new();
    for (i, (organ, nodal)) in organs.iter().take(targets).enumerate() {
        let baseline = if *nodal {
            rng.float(15.0, 35.0)
        } else {
            rng.float(11.0, 65.0)
        };
        lesions.push((format!("T{}", i + 1), organ, *nodal, baseline));
    }
    let non_targets = rng.int(0, 2);

    for (timepoint, (date, study_uid, thickness)) in assessments.iter().enumerate() {
        let factor = match (trajectory, timepoint) {
            (_, 0) => 1.0,
            (Trajectory::Responder, t) => (0.75 - 0.15 * t as f64).max(0.25),
            (Trajectory::Stable, _) => rng.float(0.9, 1.1),
            (Trajectory::Progressor, 1) => rng.float(0.95, 1.1),
            (Trajectory::Progressor, t) => 1.1 + 0.2 * t as f64,
        };
        for (lesion_id, organ, nodal, baseline) in &lesions {
            let size = (baseline * factor * 10.0).round() / 10.0;
            patient.lesions.push(LesionMeasurement {
                lesion_id: lesion_id.clone(),
                assessment_date: *date,
                timepoint: timepoint as i64,
                organ,
                is_nodal: *nodal,
                role: "target",
                longest_diameter_mm: (!nodal).then_some(size),
                short_axis_mm: nodal.then_some(size),
                non_target_status: None,
                slice_thickness_mm: *thickness,
                study_uid: study_uid.clone(),
            });
        }
        for n in 0..non_targets {
            let status = match (trajectory, timepoint) {
                (Trajectory::Responder, t) if t >= 2 => "absent",
                (Trajectory::Progressor, t) if t >= 3 => "unequivocal_progression",
                _ => "present",
            };
            patient.lesions.push(LesionMeasurement {
                lesion_id: format!("NT{}", n + 1),
                assessment_date: *date,
                timepoint: timepoint as i64,
                organ: if n == 0 { "bone" } else { "pleura" },
                is_nodal: false,
                role: "non_target",
                longest_diameter_mm: None,
                short_axis_mm: None,
                non_target_status: Some(status),
                slice_thickness_mm: *thickness,
                study_uid: study_uid.clone(),
            });
        }
        if trajectory == Trajectory::Progressor && timepoint >= 2 {
            patient.lesions.push(LesionMeasurement {
                lesion_id: "N1".to_string(),
                assessment_date: *date,
                timepoint: timepoint as i64,
                organ: "liver",
                is_nodal: false,
                role: "new",
                longest_diameter_mm: Some((rng.float(8.0, 20.0) * 10.0).round() / 10.0),
                short_axis_mm: None,
                non_target_status: None,
                slice_thickness_mm: *thickness,
                study_uid: study_uid.clone(),
            });
        }
    }
}
