//! rwid's own imaging tables: the shapes that link scans to the clinical data
//! and carry radiologists' lesion measurements.

use super::ColumnType::{Boolean, Date, Datetime, Float, Integer, Text};
use super::{TableSpec, col};

const SOURCE: &str = "rwid 0.1";

/// Which person each DICOM PatientID belongs to. Archives rarely use the
/// clinical identifier, so the link is explicit and per site.
pub const PATIENT_LINK: TableSpec = TableSpec {
    schema: "imaging",
    name: "patient_link",
    source: SOURCE,
    description: "Maps each site's DICOM PatientID to the OMOP person_id.",
    columns: &[
        col(
            "site",
            Text,
            true,
            "Imaging site (archive) the PatientID belongs to.",
        ),
        col(
            "patient_id",
            Text,
            true,
            "DICOM PatientID (0010,0020) as the archive holds it.",
        ),
        col(
            "person_id",
            Integer,
            true,
            "OMOP person_id of that patient.",
        ),
    ],
};

/// One row per lesion per assessment, the input shape of RECIST 1.1.
pub const LESION_MEASUREMENT: TableSpec = TableSpec {
    schema: "imaging",
    name: "lesion_measurement",
    source: SOURCE,
    description: "Radiologist lesion measurements, one row per lesion per assessment (RECIST 1.1 input).",
    columns: &[
        col("person_id", Integer, true, "OMOP person_id of the patient."),
        col(
            "lesion_id",
            Text,
            true,
            "Lesion identifier, stable across assessments.",
        ),
        col(
            "assessment_date",
            Date,
            true,
            "Date of the imaging assessment.",
        ),
        col(
            "timepoint",
            Integer,
            true,
            "0 for baseline, then 1, 2, ... per follow-up.",
        ),
        col(
            "organ",
            Text,
            true,
            "Organ or site of the lesion (lung, liver, lymph node...).",
        ),
        col(
            "is_nodal",
            Boolean,
            true,
            "True for lymph nodes, measured by short axis.",
        ),
        col("role", Text, true, "target, non_target or new."),
        col(
            "longest_diameter_mm",
            Float,
            false,
            "Longest diameter in the axial plane, mm (non-nodal lesions).",
        ),
        col(
            "short_axis_mm",
            Float,
            false,
            "Short axis, mm (nodal lesions).",
        ),
        col(
            "non_target_status",
            Text,
            false,
            "For non-target and new lesions: present, absent, unequivocal_progression, or increased (iRECIST: grew further since the last assessment).",
        ),
        col(
            "slice_thickness_mm",
            Float,
            false,
            "Reconstructed slice thickness of the CT measured on.",
        ),
        col(
            "study_instance_uid",
            Text,
            false,
            "DICOM StudyInstanceUID of the assessment's CT.",
        ),
    ],
};

/// Radiomics-style features of one CT series, wide: rwid's demo table for
/// harmonization (`combat_fit`), not a standard. The feature names follow
/// PyRadiomics / IBSI naming.
pub const RADIOMICS_FEATURES: TableSpec = TableSpec {
    schema: "imaging",
    name: "radiomics_features",
    source: "rwid demo radiomics features (not a standard)",
    description: "Radiomics-style features of a lung lesion on one chest CT series, with the acquisition that produced them.",
    columns: &[
        col("person_id", Integer, true, "OMOP person_id of the patient."),
        col(
            "series_instance_uid",
            Text,
            true,
            "DICOM SeriesInstanceUID of the CT series.",
        ),
        col("site", Text, true, "Acquiring site."),
        col(
            "manufacturer",
            Text,
            true,
            "DICOM Manufacturer, as the scanner wrote it.",
        ),
        col("model", Text, true, "DICOM ManufacturerModelName."),
        col(
            "kernel",
            Text,
            true,
            "DICOM ConvolutionKernel (first value).",
        ),
        col(
            "slice_thickness_mm",
            Float,
            true,
            "DICOM SliceThickness, mm.",
        ),
        col("age", Integer, true, "Age in years at the scan."),
        col("sex", Text, true, "F or M."),
        col(
            "firstorder_mean_hu",
            Float,
            true,
            "Mean attenuation in the lesion, HU.",
        ),
        col(
            "firstorder_entropy",
            Float,
            true,
            "Entropy of the lesion's intensity histogram, bits.",
        ),
        col("glcm_contrast", Float, true, "GLCM contrast (texture)."),
        col(
            "glcm_correlation",
            Float,
            true,
            "GLCM correlation (texture).",
        ),
        col(
            "glszm_zone_entropy",
            Float,
            true,
            "GLSZM zone entropy (texture).",
        ),
        col(
            "shape_sphericity",
            Float,
            true,
            "Sphericity of the lesion (shape).",
        ),
    ],
};

/// The imaging tables rwid knows so far.
/// The OMOP CDM medical imaging extension: Park W.Y., Jeon K., Schmidt T.S.
/// et al., "Development of Medical Imaging Data Standardization for
/// Imaging-Based Observational Research: OMOP Common Data Model Extension",
/// J Digit Imaging Inform Med 37:899-908 (2024), and the OHDSI ImageWG DDL.
const MI_CDM: &str = "OMOP CDM 5.4 medical imaging extension (MI-CDM)";

/// One row per DICOM series, linked to the person and to the imaging procedure (MI-CDM IMAGE_OCCURRENCE).
pub const IMAGE_OCCURRENCE: TableSpec = TableSpec {
    schema: "imaging",
    name: "image_occurrence",
    source: MI_CDM,
    description: "One row per DICOM series, linked to the person and to the imaging procedure (MI-CDM IMAGE_OCCURRENCE).",
    columns: &[
        col(
            "image_occurrence_id",
            Integer,
            true,
            "Unique identifier of the study-series record.",
        ),
        col("person_id", Integer, true, "The person imaged."),
        col(
            "procedure_occurrence_id",
            Integer,
            true,
            "The imaging procedure (e.g. CT of chest), a PROCEDURE_OCCURRENCE row.",
        ),
        col(
            "visit_occurrence_id",
            Integer,
            false,
            "The visit, a VISIT_OCCURRENCE row.",
        ),
        col(
            "anatomic_site_concept_id",
            Integer,
            false,
            "Anatomic site imaged (Spec Anatomic Site concept).",
        ),
        col(
            "wadors_uri",
            Text,
            false,
            "Study-level DICOMweb (WADO-RS) URI.",
        ),
        col("local_path", Text, false, "File path of the series."),
        col(
            "image_occurrence_date",
            Date,
            true,
            "Date of the series (SeriesDate, 0008,0021).",
        ),
        col(
            "image_study_uid",
            Text,
            true,
            "StudyInstanceUID (0020,000D).",
        ),
        col(
            "image_series_uid",
            Text,
            true,
            "SeriesInstanceUID (0020,000E).",
        ),
        col(
            "modality_concept_id",
            Integer,
            true,
            "DICOM modality (CT, MR, PET...) as a concept.",
        ),
    ],
};

/// One row per feature or finding of a series, its value in MEASUREMENT or OBSERVATION (MI-CDM IMAGE_FEATURE).
pub const IMAGE_FEATURE: TableSpec = TableSpec {
    schema: "imaging",
    name: "image_feature",
    source: MI_CDM,
    description: "One row per feature or finding of a series, its value in MEASUREMENT or OBSERVATION (MI-CDM IMAGE_FEATURE).",
    columns: &[
        col(
            "image_feature_id",
            Integer,
            true,
            "Unique identifier of the feature.",
        ),
        col("person_id", Integer, true, "The person."),
        col(
            "image_occurrence_id",
            Integer,
            true,
            "The series, an IMAGE_OCCURRENCE row.",
        ),
        col(
            "image_feature_event_field_concept_id",
            Integer,
            false,
            "Which clinical table holds the value (e.g. measurement.measurement_id).",
        ),
        col(
            "image_feature_event_id",
            Integer,
            false,
            "The row in that table holding the value.",
        ),
        col(
            "image_feature_concept_id",
            Integer,
            true,
            "The feature (LOINC or RadLex concept).",
        ),
        col(
            "image_feature_type_concept_id",
            Integer,
            true,
            "Provenance (structured report, algorithm...).",
        ),
        col(
            "image_finding_concept_id",
            Integer,
            false,
            "The finding (Condition domain); 0 for acquisition parameters.",
        ),
        col(
            "image_finding_id",
            Integer,
            false,
            "Groups the features of one finding; links a lesion across time points.",
        ),
        col(
            "anatomic_site_concept_id",
            Integer,
            false,
            "Anatomic site of the feature.",
        ),
        col(
            "alg_system",
            Text,
            false,
            "URI and version of the algorithm that extracted the feature.",
        ),
        col("alg_datetime", Datetime, false, "When the algorithm ran."),
    ],
};

pub const TABLES: &[&TableSpec] = &[
    &PATIENT_LINK,
    &LESION_MEASUREMENT,
    &IMAGE_OCCURRENCE,
    &IMAGE_FEATURE,
    &RADIOMICS_FEATURES,
];
