//! The demo's tabular data: OMOP CDM 5.4 clinical tables, the imaging patient
//! link and lesion measurements, written as Parquet.

use std::path::Path;

use chrono::{Datelike, NaiveDate};
use datafusion::common::Result;
use rwid_catalog::specs::standard_table;
use rwid_dicom::uid::uid_id;

use super::concepts;
use super::patients::Patient;
use super::sites::SmokingRecord;
use super::table::{TableRows, Value};
use super::vocabulary;

/// Writes every table; returns (table, rows) for the summary.
pub fn write_tables(lake: &Path, patients: &[Patient]) -> Result<Vec<(String, usize)>> {
    let mut measurements = measurement(patients)?;
    let image_features = lesion_features(patients, &mut measurements)?;
    let tables = [
        person(patients)?,
        observation_period(patients)?,
        condition_occurrence(patients)?,
        drug_exposure(patients)?,
        procedure_occurrence(patients)?,
        measurements,
        image_features,
        observation(patients)?,
        death(patients)?,
        patient_link(patients)?,
        lesion_measurement(patients)?,
        concept()?,
        concept_relationship()?,
    ];
    let mut summary = Vec::new();
    for table in &tables {
        table.write(lake)?;
        summary.push((table.name(), table.len()));
    }
    Ok(summary)
}

impl TableRows {
    fn name(&self) -> String {
        let spec = self.spec();
        format!("{}.{}", spec.schema, spec.name)
    }
}

fn person(patients: &[Patient]) -> Result<TableRows> {
    let mut rows = TableRows::new(standard_table("clinical", "person")?);
    for p in patients {
        let gender = if p.male {
            concepts::MALE
        } else {
            concepts::FEMALE
        };
        rows.push(vec![
            ("person_id", p.person_id.into()),
            ("gender_concept_id", gender.id.into()),
            ("year_of_birth", (p.birth_date.year() as i64).into()),
            ("month_of_birth", (p.birth_date.month() as i64).into()),
            ("day_of_birth", (p.birth_date.day() as i64).into()),
            ("birth_datetime", super::table::Value::Date(p.birth_date)),
            ("race_concept_id", p.race.id.into()),
            ("ethnicity_concept_id", p.ethnicity.id.into()),
            ("person_source_value", p.person_source_value.clone().into()),
            ("gender_source_value", gender.source_code.into()),
            ("race_source_value", p.race.source_code.into()),
            ("ethnicity_source_value", p.ethnicity.source_code.into()),
        ]);
    }
    Ok(rows)
}

fn observation_period(patients: &[Patient]) -> Result<TableRows> {
    let mut rows = TableRows::new(standard_table("clinical", "observation_period")?);
    for p in patients {
        rows.push(vec![
            ("observation_period_id", p.person_id.into()),
            ("person_id", p.person_id.into()),
            ("observation_period_start_date", p.observation_start.into()),
            ("observation_period_end_date", p.observation_end.into()),
            ("period_type_concept_id", concepts::TYPE_EHR.into()),
        ]);
    }
    Ok(rows)
}

fn condition_occurrence(patients: &[Patient]) -> Result<TableRows> {
    let mut rows = TableRows::new(standard_table("clinical", "condition_occurrence")?);
    let mut id = 0;
    for p in patients {
        for c in &p.conditions {
            id += 1;
            rows.push(vec![
                ("condition_occurrence_id", id.into()),
                ("person_id", p.person_id.into()),
                ("condition_concept_id", c.concept.id.into()),
                ("condition_start_date", c.date.into()),
                ("condition_type_concept_id", c.type_concept_id.into()),
                ("condition_source_value", c.source_value.clone().into()),
                (
                    "condition_source_concept_id",
                    vocabulary::local_concept(&c.source_value)
                        .unwrap_or(0)
                        .into(),
                ),
            ]);
        }
    }
    Ok(rows)
}

fn drug_exposure(patients: &[Patient]) -> Result<TableRows> {
    let mut rows = TableRows::new(standard_table("clinical", "drug_exposure")?);
    let mut id = 0;
    for p in patients {
        for d in &p.drugs {
            id += 1;
            rows.push(vec![
                ("drug_exposure_id", id.into()),
                ("person_id", p.person_id.into()),
                ("drug_concept_id", d.concept.id.into()),
                ("drug_exposure_start_date", d.date.into()),
                ("drug_exposure_end_date", d.date.into()),
                // EHR administration record.
                ("drug_type_concept_id", 32818.into()),
                ("drug_source_value", d.concept.name.into()),
                ("drug_source_concept_id", 0.into()),
            ]);
        }
    }
    Ok(rows)
}

/// One imaging procedure per study, on the study's day: the rows MI-CDM's
/// IMAGE_OCCURRENCE points to. The procedure is recorded as the order
/// system's text (the study description); no standard procedure concept is
/// recorded for it here, so the concept is 0, as for the demo's other
/// unmapped source codes (concepts.rs).
fn procedure_occurrence(patients: &[Patient]) -> Result<TableRows> {
    let mut rows = TableRows::new(standard_table("clinical", "procedure_occurrence")?);
    let mut id = 0;
    for p in patients {
        for study in &p.studies {
            id += 1;
            rows.push(vec![
                ("procedure_occurrence_id", id.into()),
                ("person_id", p.person_id.into()),
                ("procedure_concept_id", 0.into()),
                ("procedure_date", study.date.into()),
                ("procedure_type_concept_id", concepts::TYPE_EHR.into()),
                ("procedure_source_value", study.description.into()),
                ("procedure_source_concept_id", 0.into()),
            ]);
        }
    }
    Ok(rows)
}

fn measurement(patients: &[Patient]) -> Result<TableRows> {
    let mut rows = TableRows::new(standard_table("clinical", "measurement")?);
    let mut id = 0;
    for p in patients {
        if p.site.smoking == SmokingRecord::PackYears {
            for s in &p.smoking {
                id += 1;
                rows.push(vec![
                    ("measurement_id", id.into()),
                    ("person_id", p.person_id.into()),
                    ("measurement_concept_id", concepts::PACK_YEARS.id.into()),
                    ("measurement_date", s.date.into()),
                    ("measurement_type_concept_id", concepts::TYPE_EHR.into()),
                    ("value_as_number", s.pack_years().into()),
                    (
                        "measurement_source_value",
                        concepts::PACK_YEARS.source_code.into(),
                    ),
                    (
                        "measurement_source_concept_id",
                        vocabulary::local_concept(concepts::PACK_YEARS.source_code).into(),
                    ),
                    ("unit_source_value", "{pack-years}".into()),
                    ("value_source_value", format!("{}", s.pack_years()).into()),
                ]);
            }
        }
        for lab in &p.labs {
            id += 1;
            rows.push(vec![
                ("measurement_id", id.into()),
                ("person_id", p.person_id.into()),
                ("measurement_concept_id", lab.concept.id.into()),
                ("measurement_date", lab.date.into()),
                ("measurement_type_concept_id", lab.type_concept_id.into()),
                ("value_as_number", lab.value_as_number.into()),
                (
                    "value_as_concept_id",
                    lab.value_as_concept.map(|c| c.id).into(),
                ),
                ("measurement_source_value", lab.concept.source_code.into()),
                (
                    "measurement_source_concept_id",
                    vocabulary::local_concept(lab.concept.source_code).into(),
                ),
                ("unit_source_value", lab.unit.into()),
                (
                    "value_source_value",
                    lab.value_as_concept.map(|c| c.name).into(),
                ),
            ]);
        }
    }
    Ok(rows)
}

/// MI-CDM's mapping of lesion measurements (landscape: "each lesion
/// diameter becomes a MEASUREMENT row plus an IMAGE_FEATURE pointing to
/// it"): every recorded RECIST size (longest diameter, short axis for a
/// lymph node) is appended to `measurements` in millimetres, and an
/// IMAGE_FEATURE row ties it to the series it was measured on (the CT
/// series of the study, by `dicom_uid_id` as `imaging.image_occurrence`
/// keys it). `image_finding_id` is the same for one lesion at every time
/// point. No standard concept is recorded here for the feature or for the
/// MEASUREMENT field the event id points into, so the feature concept is 0
/// and the field concept is left empty (concepts.rs).
fn lesion_features(patients: &[Patient], measurements: &mut TableRows) -> Result<TableRows> {
    let mut rows = TableRows::new(standard_table("imaging", "image_feature")?);
    let mut measurement_id = measurements.len() as i64;
    let mut feature_id = 0;
    for p in patients {
        for l in &p.lesions {
            let (size, what) = match (l.short_axis_mm, l.longest_diameter_mm) {
                (Some(size), _) if l.is_nodal => (size, "RECIST 1.1 short axis"),
                (_, Some(size)) => (size, "RECIST 1.1 longest diameter"),
                _ => continue,
            };
            let Some(series) = p
                .studies
                .iter()
                .filter(|study| study.uid == l.study_uid)
                .flat_map(|study| &study.series)
                .filter(|series| series.modality == "CT")
                .max_by_key(|series| series.instances)
            else {
                continue;
            };
            measurement_id += 1;
            measurements.push(vec![
                ("measurement_id", measurement_id.into()),
                ("person_id", p.person_id.into()),
                ("measurement_concept_id", 0.into()),
                ("measurement_date", l.assessment_date.into()),
                ("measurement_type_concept_id", concepts::TYPE_EHR.into()),
                ("value_as_number", size.into()),
                ("measurement_source_value", what.into()),
                ("unit_source_value", "mm".into()),
            ]);
            feature_id += 1;
            rows.push(vec![
                ("image_feature_id", feature_id.into()),
                ("person_id", p.person_id.into()),
                ("image_occurrence_id", uid_id(&series.uid).into()),
                ("image_feature_event_id", measurement_id.into()),
                ("image_feature_concept_id", 0.into()),
                ("image_feature_type_concept_id", concepts::TYPE_EHR.into()),
                (
                    "image_finding_id",
                    uid_id(&format!("{}/{}", p.person_id, l.lesion_id)).into(),
                ),
            ]);
        }
    }
    Ok(rows)
}

fn observation(patients: &[Patient]) -> Result<TableRows> {
    let mut rows = TableRows::new(standard_table("clinical", "observation")?);
    let mut id = 0;
    for p in patients {
        if p.site.smoking != SmokingRecord::CigarettesAndYears {
            continue;
        }
        for s in &p.smoking {
            for (concept, value, unit) in [
                (
                    concepts::CIGARETTES_PER_DAY,
                    s.cigarettes_per_day,
                    "{cigarettes}/d",
                ),
                (concepts::YEARS_SMOKED, s.years_smoked, "a"),
            ] {
                id += 1;
                rows.push(vec![
                    ("observation_id", id.into()),
                    ("person_id", p.person_id.into()),
                    ("observation_concept_id", concept.id.into()),
                    ("observation_date", s.date.into()),
                    ("observation_type_concept_id", concepts::TYPE_EHR.into()),
                    ("value_as_number", value.into()),
                    ("observation_source_value", concept.source_code.into()),
                    (
                        "observation_source_concept_id",
                        vocabulary::local_concept(concept.source_code).into(),
                    ),
                    ("unit_source_value", unit.into()),
                ]);
            }
        }
    }
    Ok(rows)
}

/// The demo's concepts (`vocabulary.rs`): verified rows, with what no
/// verified file gives left empty, and the local source concepts.
fn concept() -> Result<TableRows> {
    let mut rows = TableRows::incomplete(standard_table("clinical", "concept")?);
    let day = |text: Option<&str>| -> Value {
        text.and_then(|t| NaiveDate::parse_from_str(t, "%Y%m%d").ok())
            .into()
    };
    for c in vocabulary::VERIFIED
        .iter()
        .copied()
        .chain(vocabulary::local_concepts())
    {
        rows.push(vec![
            ("concept_id", c.id.into()),
            ("concept_name", c.name.into()),
            ("domain_id", c.domain.into()),
            ("vocabulary_id", c.vocabulary.into()),
            ("concept_class_id", c.class.into()),
            ("standard_concept", c.standard.into()),
            ("concept_code", c.code.into()),
            ("valid_start_date", day(c.valid_start)),
            ("valid_end_date", day(c.valid_end)),
        ]);
    }
    Ok(rows)
}

/// `Maps to` rows: the verified ones (their validity dates not given in the
/// files they come from) and the local ICD-O-3 concepts' maps.
fn concept_relationship() -> Result<TableRows> {
    let mut rows = TableRows::incomplete(standard_table("clinical", "concept_relationship")?);
    let local = |id: i64| id >= vocabulary::FIRST_LOCAL_ID;
    for (from, to) in vocabulary::maps_to() {
        let valid: (Value, Value) = if local(from) {
            (
                NaiveDate::from_ymd_opt(1970, 1, 1).into(),
                NaiveDate::from_ymd_opt(2099, 12, 31).into(),
            )
        } else {
            (Value::Null, Value::Null)
        };
        rows.push(vec![
            ("concept_id_1", from.into()),
            ("concept_id_2", to.into()),
            ("relationship_id", "Maps to".into()),
            ("valid_start_date", valid.0),
            ("valid_end_date", valid.1),
        ]);
    }
    Ok(rows)
}

fn death(patients: &[Patient]) -> Result<TableRows> {
    let mut rows = TableRows::new(standard_table("clinical", "death")?);
    for p in patients {
        if let Some(date) = p.death_date {
            rows.push(vec![
                ("person_id", p.person_id.into()),
                ("death_date", date.into()),
                ("death_type_concept_id", concepts::TYPE_EHR.into()),
            ]);
        }
    }
    Ok(rows)
}

fn patient_link(patients: &[Patient]) -> Result<TableRows> {
    let mut rows = TableRows::new(standard_table("imaging", "patient_link")?);
    for p in patients.iter().filter(|p| !p.studies.is_empty()) {
        rows.push(vec![
            ("site", p.site.code.into()),
            ("patient_id", p.dicom_patient_id.clone().into()),
            ("person_id", p.person_id.into()),
        ]);
    }
    Ok(rows)
}

fn lesion_measurement(patients: &[Patient]) -> Result<TableRows> {
    let mut rows = TableRows::new(standard_table("imaging", "lesion_measurement")?);
    for p in patients {
        for l in &p.lesions {
            rows.push(vec![
                ("person_id", p.person_id.into()),
                ("lesion_id", l.lesion_id.clone().into()),
                ("assessment_date", l.assessment_date.into()),
                ("timepoint", l.timepoint.into()),
                ("organ", l.organ.into()),
                ("is_nodal", l.is_nodal.into()),
                ("role", l.role.into()),
                ("longest_diameter_mm", l.longest_diameter_mm.into()),
                ("short_axis_mm", l.short_axis_mm.into()),
                ("non_target_status", l.non_target_status.into()),
                ("slice_thickness_mm", l.slice_thickness_mm.into()),
                ("study_instance_uid", l.study_uid.clone().into()),
            ]);
        }
    }
    Ok(rows)
}
