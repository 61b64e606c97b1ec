//! OMOP Common Data Model 5.4 clinical tables, as specified by OHDSI
//! (<https://ohdsi.github.io/CommonDataModel/cdm54.html>). Column order, names
//! and required flags follow the specification; descriptions are condensed
//! from its "User Guide" column.

use super::ColumnType::{Date, Datetime, Float, Integer, Text};
use super::{TableSpec, col};

const SOURCE: &str = "OMOP CDM 5.4";

pub const PERSON: TableSpec = TableSpec {
    schema: "clinical",
    name: "person",
    source: SOURCE,
    description: "One row per patient: demographics that do not change over time.",
    columns: &[
        col(
            "person_id",
            Integer,
            true,
            "Unique identifier of the person.",
        ),
        col(
            "gender_concept_id",
            Integer,
            true,
            "Biological sex at birth (Gender domain concept).",
        ),
        col("year_of_birth", Integer, true, "Year of birth."),
        col("month_of_birth", Integer, false, "Month of birth."),
        col("day_of_birth", Integer, false, "Day of the month of birth."),
        col("birth_datetime", Datetime, false, "Date and time of birth."),
        col(
            "race_concept_id",
            Integer,
            true,
            "Race (Race domain concept).",
        ),
        col(
            "ethnicity_concept_id",
            Integer,
            true,
            "Ethnicity (Ethnicity domain concept).",
        ),
        col("location_id", Integer, false, "Residence, a LOCATION row."),
        col(
            "provider_id",
            Integer,
            false,
            "Primary care provider, a PROVIDER row.",
        ),
        col(
            "care_site_id",
            Integer,
            false,
            "Primary care site, a CARE_SITE row.",
        ),
        col(
            "person_source_value",
            Text,
            false,
            "The person's identifier in the source data; links imaging PatientIDs.",
        ),
        col(
            "gender_source_value",
            Text,
            false,
            "Sex as written in the source.",
        ),
        col(
            "gender_source_concept_id",
            Integer,
            false,
            "Concept of the source sex code.",
        ),
        col(
            "race_source_value",
            Text,
            false,
            "Race as written in the source.",
        ),
        col(
            "race_source_concept_id",
            Integer,
            false,
            "Concept of the source race code.",
        ),
        col(
            "ethnicity_source_value",
            Text,
            false,
            "Ethnicity as written in the source.",
        ),
        col(
            "ethnicity_source_concept_id",
            Integer,
            false,
            "Concept of the source ethnicity code.",
        ),
    ],
};

pub const OBSERVATION_PERIOD: TableSpec = TableSpec {
    schema: "clinical",
    name: "observation_period",
    source: SOURCE,
    description: "Spans of time during which the source can be expected to record a person's clinical events.",
    columns: &[
        col(
            "observation_period_id",
            Integer,
            true,
            "Unique identifier of the period.",
        ),
        col("person_id", Integer, true, "The person observed."),
        col(
            "observation_period_start_date",
            Date,
            true,
            "First day of observation.",
        ),
        col(
            "observation_period_end_date",
            Date,
            true,
            "Last day of observation.",
        ),
        col(
            "period_type_concept_id",
            Integer,
            true,
            "Provenance of the period (Type Concept).",
        ),
    ],
};

pub const CONDITION_OCCURRENCE: TableSpec = TableSpec {
    schema: "clinical",
    name: "condition_occurrence",
    source: SOURCE,
    description: "Diagnoses, signs and symptoms recorded for a person.",
    columns: &[
        col(
            "condition_occurrence_id",
            Integer,
            true,
            "Unique identifier of the record.",
        ),
        col("person_id", Integer, true, "The person diagnosed."),
        col(
            "condition_concept_id",
            Integer,
            true,
            "Standard concept of the condition (SNOMED).",
        ),
        col(
            "condition_start_date",
            Date,
            true,
            "Date the condition was recorded or began.",
        ),
        col(
            "condition_start_datetime",
            Datetime,
            false,
            "Date and time the condition began.",
        ),
        col(
            "condition_end_date",
            Date,
            false,
            "Date the condition ended.",
        ),
        col(
            "condition_end_datetime",
            Datetime,
            false,
            "Date and time the condition ended.",
        ),
        col(
            "condition_type_concept_id",
            Integer,
            true,
            "Provenance of the record (Type Concept).",
        ),
        col(
            "condition_status_concept_id",
            Integer,
            false,
            "Status: admitting, primary, confirmed...",
        ),
        col(
            "stop_reason",
            Text,
            false,
            "Why the condition stopped, as recorded.",
        ),
        col("provider_id", Integer, false, "Diagnosing provider."),
        col(
            "visit_occurrence_id",
            Integer,
            false,
            "Visit during which it was recorded.",
        ),
        col(
            "visit_detail_id",
            Integer,
            false,
            "Visit detail during which it was recorded.",
        ),
        col(
            "condition_source_value",
            Text,
            false,
            "Source code as recorded (ICD-10-CM, ICD-O-3...).",
        ),
        col(
            "condition_source_concept_id",
            Integer,
            false,
            "Concept of the source code.",
        ),
        col(
            "condition_status_source_value",
            Text,
            false,
            "Source status value.",
        ),
    ],
};

pub const DRUG_EXPOSURE: TableSpec = TableSpec {
    schema: "clinical",
    name: "drug_exposure",
    source: SOURCE,
    description: "Exposure of a person to a drug: prescriptions, dispensings and administrations.",
    columns: &[
        col(
            "drug_exposure_id",
            Integer,
            true,
            "Unique identifier of the record.",
        ),
        col("person_id", Integer, true, "The person exposed."),
        col(
            "drug_concept_id",
            Integer,
            true,
            "Standard concept of the drug (RxNorm).",
        ),
        col(
            "drug_exposure_start_date",
            Date,
            true,
            "First day of exposure.",
        ),
        col(
            "drug_exposure_start_datetime",
            Datetime,
            false,
            "Start date and time.",
        ),
        col(
            "drug_exposure_end_date",
            Date,
            true,
            "Last day of exposure.",
        ),
        col(
            "drug_exposure_end_datetime",
            Datetime,
            false,
            "End date and time.",
        ),
        col(
            "verbatim_end_date",
            Date,
            false,
            "End date as given in the source.",
        ),
        col(
            "drug_type_concept_id",
            Integer,
            true,
            "Provenance of the record (Type Concept).",
        ),
        col("stop_reason", Text, false, "Why the drug was stopped."),
        col("refills", Integer, false, "Number of refills."),
        col(
            "quantity",
            Float,
            false,
            "Quantity dispensed or administered.",
        ),
        col("days_supply", Integer, false, "Days of supply."),
        col("sig", Text, false, "Directions as written."),
        col(
            "route_concept_id",
            Integer,
            false,
            "Route of administration.",
        ),
        col("lot_number", Text, false, "Manufacturer lot number."),
        col("provider_id", Integer, false, "Prescribing provider."),
        col(
            "visit_occurrence_id",
            Integer,
            false,
            "Visit of the exposure.",
        ),
        col(
            "visit_detail_id",
            Integer,
            false,
            "Visit detail of the exposure.",
        ),
        col(
            "drug_source_value",
            Text,
            false,
            "Drug as recorded in the source.",
        ),
        col(
            "drug_source_concept_id",
            Integer,
            false,
            "Concept of the source drug code.",
        ),
        col("route_source_value", Text, false, "Route as recorded."),
        col(
            "dose_unit_source_value",
            Text,
            false,
            "Dose unit as recorded.",
        ),
    ],
};

pub const MEASUREMENT: TableSpec = TableSpec {
    schema: "clinical",
    name: "measurement",
    source: SOURCE,
    description: "Structured values (numeric or categorical) from tests and assessments: labs, biomarkers, vitals.",
    columns: &[
        col(
            "measurement_id",
            Integer,
            true,
            "Unique identifier of the record.",
        ),
        col("person_id", Integer, true, "The person measured."),
        col(
            "measurement_concept_id",
            Integer,
            true,
            "Standard concept of what was measured (LOINC).",
        ),
        col("measurement_date", Date, true, "Date of the measurement."),
        col(
            "measurement_datetime",
            Datetime,
            false,
            "Date and time of the measurement.",
        ),
        col(
            "measurement_time",
            Text,
            false,
            "Time as recorded (deprecated in 5.4).",
        ),
        col(
            "measurement_type_concept_id",
            Integer,
            true,
            "Provenance of the record (Type Concept).",
        ),
        col(
            "operator_concept_id",
            Integer,
            false,
            "Operator before the value: <, <=, =, >=, >.",
        ),
        col("value_as_number", Float, false, "Numeric result."),
        col(
            "value_as_concept_id",
            Integer,
            false,
            "Categorical result as a concept (positive, negative...).",
        ),
        col(
            "unit_concept_id",
            Integer,
            false,
            "Unit of value_as_number (UCUM).",
        ),
        col(
            "range_low",
            Float,
            false,
            "Lower limit of the normal range.",
        ),
        col(
            "range_high",
            Float,
            false,
            "Upper limit of the normal range.",
        ),
        col(
            "provider_id",
            Integer,
            false,
            "Ordering or performing provider.",
        ),
        col(
            "visit_occurrence_id",
            Integer,
            false,
            "Visit of the measurement.",
        ),
        col(
            "visit_detail_id",
            Integer,
            false,
            "Visit detail of the measurement.",
        ),
        col(
            "measurement_source_value",
            Text,
            false,
            "Test as recorded in the source.",
        ),
        col(
            "measurement_source_concept_id",
            Integer,
            false,
            "Concept of the source test code.",
        ),
        col("unit_source_value", Text, false, "Unit as recorded."),
        col(
            "unit_source_concept_id",
            Integer,
            false,
            "Concept of the source unit.",
        ),
        col(
            "value_source_value",
            Text,
            false,
            "Result as recorded in the source.",
        ),
        col(
            "measurement_event_id",
            Integer,
            false,
            "Record this measurement qualifies (e.g. a tumour).",
        ),
        col(
            "meas_event_field_concept_id",
            Integer,
            false,
            "Table of measurement_event_id.",
        ),
    ],
};

pub const OBSERVATION: TableSpec = TableSpec {
    schema: "clinical",
    name: "observation",
    source: SOURCE,
    description: "Clinical facts that are not conditions, drugs, procedures or measurements: history, social factors.",
    columns: &[
        col(
            "observation_id",
            Integer,
            true,
            "Unique identifier of the record.",
        ),
        col("person_id", Integer, true, "The person observed."),
        col(
            "observation_concept_id",
            Integer,
            true,
            "Standard concept of the observation.",
        ),
        col("observation_date", Date, true, "Date of the observation."),
        col(
            "observation_datetime",
            Datetime,
            false,
            "Date and time of the observation.",
        ),
        col(
            "observation_type_concept_id",
            Integer,
            true,
            "Provenance of the record (Type Concept).",
        ),
        col("value_as_number", Float, false, "Numeric value."),
        col("value_as_string", Text, false, "Text value."),
        col(
            "value_as_concept_id",
            Integer,
            false,
            "Categorical value as a concept.",
        ),
        col(
            "qualifier_concept_id",
            Integer,
            false,
            "Qualifier of the observation.",
        ),
        col(
            "unit_concept_id",
            Integer,
            false,
            "Unit of value_as_number.",
        ),
        col("provider_id", Integer, false, "Recording provider."),
        col(
            "visit_occurrence_id",
            Integer,
            false,
            "Visit of the observation.",
        ),
        col(
            "visit_detail_id",
            Integer,
            false,
            "Visit detail of the observation.",
        ),
        col(
            "observation_source_value",
            Text,
            false,
            "Observation as recorded in the source.",
        ),
        col(
            "observation_source_concept_id",
            Integer,
            false,
            "Concept of the source code.",
        ),
        col("unit_source_value", Text, false, "Unit as recorded."),
        col(
            "qualifier_source_value",
            Text,
            false,
            "Qualifier as recorded.",
        ),
        col(
            "value_source_value",
            Text,
            false,
            "Value as recorded in the source.",
        ),
        col(
            "observation_event_id",
            Integer,
            false,
            "Record this observation qualifies.",
        ),
        col(
            "obs_event_field_concept_id",
            Integer,
            false,
            "Table of observation_event_id.",
        ),
    ],
};

pub const DEATH: TableSpec = TableSpec {
    schema: "clinical",
    name: "death",
    source: SOURCE,
    description: "When and how a person died; at most one row per person.",
    columns: &[
        col("person_id", Integer, true, "The person who died."),
        col("death_date", Date, true, "Date of death."),
        col("death_datetime", Datetime, false, "Date and time of death."),
        col(
            "death_type_concept_id",
            Integer,
            false,
            "Provenance of the record (Type Concept).",
        ),
        col(
            "cause_concept_id",
            Integer,
            false,
            "Standard concept of the cause of death.",
        ),
        col("cause_source_value", Text, false, "Cause as recorded."),
        col(
            "cause_source_concept_id",
            Integer,
            false,
            "Concept of the source cause code.",
        ),
    ],
};

/// The OMOP CDM tables rwid knows so far.
pub const VISIT_OCCURRENCE: TableSpec = TableSpec {
    schema: "clinical",
    name: "visit_occurrence",
    source: SOURCE,
    description: "Encounters: each period a person receives care (inpatient stay, outpatient or emergency visit).",
    columns: &[
        col(
            "visit_occurrence_id",
            Integer,
            true,
            "Unique identifier of the visit.",
        ),
        col("person_id", Integer, true, "The person visiting."),
        col(
            "visit_concept_id",
            Integer,
            true,
            "Kind of visit (Visit domain: inpatient, outpatient, emergency...).",
        ),
        col("visit_start_date", Date, true, "First day of the visit."),
        col(
            "visit_start_datetime",
            Datetime,
            false,
            "Start date and time.",
        ),
        col("visit_end_date", Date, true, "Last day of the visit."),
        col("visit_end_datetime", Datetime, false, "End date and time."),
        col(
            "visit_type_concept_id",
            Integer,
            true,
            "Provenance of the record (Type Concept).",
        ),
        col(
            "provider_id",
            Integer,
            false,
            "Provider responsible, a PROVIDER row.",
        ),
        col(
            "care_site_id",
            Integer,
            false,
            "Where the visit took place, a CARE_SITE row.",
        ),
        col(
            "visit_source_value",
            Text,
            false,
            "Kind of visit as written in the source.",
        ),
        col(
            "visit_source_concept_id",
            Integer,
            false,
            "Concept of the source visit code.",
        ),
        col(
            "admitted_from_concept_id",
            Integer,
            false,
            "Where the person came from.",
        ),
        col(
            "admitted_from_source_value",
            Text,
            false,
            "Admission source as written in the source.",
        ),
        col(
            "discharged_to_concept_id",
            Integer,
            false,
            "Where the person went after the visit.",
        ),
        col(
            "discharged_to_source_value",
            Text,
            false,
            "Discharge destination as written in the source.",
        ),
        col(
            "preceding_visit_occurrence_id",
            Integer,
            false,
            "The person's previous visit.",
        ),
    ],
};

pub const PROCEDURE_OCCURRENCE: TableSpec = TableSpec {
    schema: "clinical",
    name: "procedure_occurrence",
    source: SOURCE,
    description: "Procedures performed on a person, imaging examinations included (the parent of MI-CDM IMAGE_OCCURRENCE).",
    columns: &[
        col(
            "procedure_occurrence_id",
            Integer,
            true,
            "Unique identifier of the procedure.",
        ),
        col(
            "person_id",
            Integer,
            true,
            "The person the procedure was performed on.",
        ),
        col(
            "procedure_concept_id",
            Integer,
            true,
            "The procedure (Procedure domain concept, e.g. CT of chest).",
        ),
        col("procedure_date", Date, true, "Day of the procedure."),
        col(
            "procedure_datetime",
            Datetime,
            false,
            "Date and time of the procedure.",
        ),
        col(
            "procedure_end_date",
            Date,
            false,
            "Last day of the procedure.",
        ),
        col(
            "procedure_end_datetime",
            Datetime,
            false,
            "End date and time.",
        ),
        col(
            "procedure_type_concept_id",
            Integer,
            true,
            "Provenance of the record (Type Concept).",
        ),
        col(
            "modifier_concept_id",
            Integer,
            false,
            "Modifier of the procedure (e.g. bilateral).",
        ),
        col(
            "quantity",
            Integer,
            false,
            "How many times the procedure was performed.",
        ),
        col("provider_id", Integer, false, "Provider who performed it."),
        col(
            "visit_occurrence_id",
            Integer,
            false,
            "Visit during which it was performed.",
        ),
        col(
            "visit_detail_id",
            Integer,
            false,
            "Visit detail during which it was performed.",
        ),
        col(
            "procedure_source_value",
            Text,
            false,
            "Procedure code as written in the source.",
        ),
        col(
            "procedure_source_concept_id",
            Integer,
            false,
            "Concept of the source procedure code.",
        ),
        col(
            "modifier_source_value",
            Text,
            false,
            "Modifier as written in the source.",
        ),
    ],
};

pub const SPECIMEN: TableSpec = TableSpec {
    schema: "clinical",
    name: "specimen",
    source: SOURCE,
    description: "Biological samples taken from a person (biopsies, resections, blood), the source of histology and molecular results.",
    columns: &[
        col(
            "specimen_id",
            Integer,
            true,
            "Unique identifier of the specimen.",
        ),
        col(
            "person_id",
            Integer,
            true,
            "The person the specimen was taken from.",
        ),
        col(
            "specimen_concept_id",
            Integer,
            true,
            "Kind of specimen (Specimen domain concept).",
        ),
        col(
            "specimen_type_concept_id",
            Integer,
            true,
            "Provenance of the record (Type Concept).",
        ),
        col("specimen_date", Date, true, "Day the specimen was taken."),
        col(
            "specimen_datetime",
            Datetime,
            false,
            "Date and time it was taken.",
        ),
        col("quantity", Float, false, "Amount of specimen."),
        col("unit_concept_id", Integer, false, "Unit of the quantity."),
        col(
            "anatomic_site_concept_id",
            Integer,
            false,
            "Where on the body it was taken.",
        ),
        col(
            "disease_status_concept_id",
            Integer,
            false,
            "Disease status of the tissue (e.g. malignant).",
        ),
        col(
            "specimen_source_id",
            Text,
            false,
            "The specimen's identifier in the source (e.g. the biobank's).",
        ),
        col(
            "specimen_source_value",
            Text,
            false,
            "Specimen as written in the source.",
        ),
        col(
            "unit_source_value",
            Text,
            false,
            "Unit as written in the source.",
        ),
        col(
            "anatomic_site_source_value",
            Text,
            false,
            "Anatomic site as written in the source.",
        ),
        col(
            "disease_status_source_value",
            Text,
            false,
            "Disease status as written in the source.",
        ),
    ],
};

pub const EPISODE: TableSpec = TableSpec {
    schema: "clinical",
    name: "episode",
    source: SOURCE,
    description: "Abstractions over events: a disease episode (e.g. a cancer's first occurrence, progression) or a treatment episode (a line of therapy), from the OMOP oncology extension.",
    columns: &[
        col(
            "episode_id",
            Integer,
            true,
            "Unique identifier of the episode.",
        ),
        col("person_id", Integer, true, "The person."),
        col(
            "episode_concept_id",
            Integer,
            true,
            "Kind of episode (Episode domain: disease first occurrence, treatment regimen...).",
        ),
        col(
            "episode_start_date",
            Date,
            true,
            "First day of the episode.",
        ),
        col(
            "episode_start_datetime",
            Datetime,
            false,
            "Start date and time.",
        ),
        col("episode_end_date", Date, false, "Last day of the episode."),
        col(
            "episode_end_datetime",
            Datetime,
            false,
            "End date and time.",
        ),
        col(
            "episode_parent_id",
            Integer,
            false,
            "The episode this one belongs to (e.g. a cycle's regimen).",
        ),
        col(
            "episode_number",
            Integer,
            false,
            "Order of episodes of the same kind (e.g. line of therapy).",
        ),
        col(
            "episode_object_concept_id",
            Integer,
            true,
            "What the episode is about (the disease or the regimen).",
        ),
        col(
            "episode_type_concept_id",
            Integer,
            true,
            "Provenance of the record (Type Concept).",
        ),
        col(
            "episode_source_value",
            Text,
            false,
            "Episode as written in the source.",
        ),
        col(
            "episode_source_concept_id",
            Integer,
            false,
            "Concept of the source episode code.",
        ),
    ],
};

pub const EPISODE_EVENT: TableSpec = TableSpec {
    schema: "clinical",
    name: "episode_event",
    source: SOURCE,
    description: "Links an episode to the clinical events it groups (conditions, drugs, procedures, measurements).",
    columns: &[
        col("episode_id", Integer, true, "The episode."),
        col(
            "event_id",
            Integer,
            true,
            "Identifier of the event in its table (e.g. a drug_exposure_id).",
        ),
        col(
            "episode_event_field_concept_id",
            Integer,
            true,
            "Which table and field event_id refers to (Metadata concept).",
        ),
    ],
};

pub const CONCEPT: TableSpec = TableSpec {
    schema: "clinical",
    name: "concept",
    source: SOURCE,
    description: "The vocabulary's concepts (the subset the lake uses): every *_concept_id refers to one.",
    columns: &[
        col(
            "concept_id",
            Integer,
            true,
            "Unique identifier of the concept.",
        ),
        col("concept_name", Text, true, "Name of the concept."),
        col(
            "domain_id",
            Text,
            true,
            "Domain (Condition, Drug, Measurement...).",
        ),
        col(
            "vocabulary_id",
            Text,
            true,
            "Vocabulary the concept comes from (SNOMED, RxNorm, LOINC...).",
        ),
        col(
            "concept_class_id",
            Text,
            true,
            "Class within the vocabulary.",
        ),
        col(
            "standard_concept",
            Text,
            false,
            "'S' standard, 'C' classification, NULL non-standard.",
        ),
        col(
            "concept_code",
            Text,
            true,
            "The code in its source vocabulary.",
        ),
        col(
            "valid_start_date",
            Date,
            true,
            "First day the concept is valid.",
        ),
        col(
            "valid_end_date",
            Date,
            true,
            "Last day the concept is valid.",
        ),
        col(
            "invalid_reason",
            Text,
            false,
            "Why the concept is no longer valid (D deleted, U updated), or NULL.",
        ),
    ],
};

pub const CONCEPT_ANCESTOR: TableSpec = TableSpec {
    schema: "clinical",
    name: "concept_ancestor",
    source: SOURCE,
    description: "Hierarchy of standard concepts, with every ancestor of every descendant: 'NSCLC or any kind of it' is one join.",
    columns: &[
        col(
            "ancestor_concept_id",
            Integer,
            true,
            "The higher-level concept.",
        ),
        col(
            "descendant_concept_id",
            Integer,
            true,
            "The lower-level concept (every concept is its own descendant).",
        ),
        col(
            "min_levels_of_separation",
            Integer,
            true,
            "Fewest steps between the two in the hierarchy.",
        ),
        col(
            "max_levels_of_separation",
            Integer,
            true,
            "Most steps between the two in the hierarchy.",
        ),
    ],
};

pub const TABLES: &[&TableSpec] = &[
    &PERSON,
    &OBSERVATION_PERIOD,
    &CONDITION_OCCURRENCE,
    &DRUG_EXPOSURE,
    &MEASUREMENT,
    &OBSERVATION,
    &DEATH,
    &VISIT_OCCURRENCE,
    &PROCEDURE_OCCURRENCE,
    &SPECIMEN,
    &EPISODE,
    &EPISODE_EVENT,
    &CONCEPT,
    &CONCEPT_ANCESTOR,
];
