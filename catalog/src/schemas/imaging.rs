//! rwid's own imaging tables: the shapes that link scans to the clinical data
//! and carry radiologists' lesion measurements.

use super::ColumnType::{Boolean, Date, Float, Integer, Text};
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
            "For non-target lesions: present, absent or unequivocal_progression.",
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

/// The imaging tables rwid knows so far.
pub const TABLES: &[&TableSpec] = &[&PATIENT_LINK, &LESION_MEASUREMENT];
