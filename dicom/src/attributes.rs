//! The attributes an index keeps by default, named by DICOM keyword as
//! IDC, BigQuery's `dicom_all` and pydicom spell them, typed by VR: DA a
//! date, TM a time, DS/FD/FL a float, IS/US/UL/SL/SS an integer, the rest
//! text; attributes whose dictionary VM allows several values are lists.

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, TagRange, VirtualVr};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::{StandardDataDictionary, tags};

/// What kind of value an attribute holds, as a column has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Text,
    TextList,
    Integer,
    Float,
    FloatList,
    Date,
    Time,
}

/// A header attribute that becomes a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute {
    /// Column name: the DICOM keyword.
    pub keyword: &'static str,
    pub tag: Tag,
    pub value_type: ValueType,
    /// For attributes read from the first item of a sequence: that sequence.
    pub in_sequence: Option<Tag>,
}

impl Attribute {
    /// The top-level tag a parse must reach to read this attribute.
    pub fn top_level_tag(&self) -> Tag {
        self.in_sequence.unwrap_or(self.tag)
    }
}

const fn attr(keyword: &'static str, tag: Tag, value_type: ValueType) -> Attribute {
    Attribute {
        keyword,
        tag,
        value_type,
        in_sequence: None,
    }
}

const fn in_radiopharmaceutical(
    keyword: &'static str,
    tag: Tag,
    value_type: ValueType,
) -> Attribute {
    Attribute {
        keyword,
        tag,
        value_type,
        in_sequence: Some(tags::RADIOPHARMACEUTICAL_INFORMATION_SEQUENCE),
    }
}

use ValueType::{Date, Float, FloatList, Integer, Text, TextList, Time};

/// The default columns, in the order a table shows them: identifiers first,
/// then dates, equipment, acquisition and image geometry.
pub const CURATED: &[Attribute] = &[
    attr("PatientID", tags::PATIENT_ID, Text),
    attr("StudyInstanceUID", tags::STUDY_INSTANCE_UID, Text),
    attr("SeriesInstanceUID", tags::SERIES_INSTANCE_UID, Text),
    attr("SOPInstanceUID", tags::SOP_INSTANCE_UID, Text),
    attr("SOPClassUID", tags::SOP_CLASS_UID, Text),
    attr("AccessionNumber", tags::ACCESSION_NUMBER, Text),
    attr("StudyID", tags::STUDY_ID, Text),
    attr("FrameOfReferenceUID", tags::FRAME_OF_REFERENCE_UID, Text),
    attr("Modality", tags::MODALITY, Text),
    attr("StudyDate", tags::STUDY_DATE, Date),
    attr("StudyTime", tags::STUDY_TIME, Time),
    attr("SeriesDate", tags::SERIES_DATE, Date),
    attr("SeriesTime", tags::SERIES_TIME, Time),
    attr("AcquisitionDate", tags::ACQUISITION_DATE, Date),
    attr("ContentDate", tags::CONTENT_DATE, Date),
    attr("StudyDescription", tags::STUDY_DESCRIPTION, Text),
    attr("SeriesDescription", tags::SERIES_DESCRIPTION, Text),
    attr("ProtocolName", tags::PROTOCOL_NAME, Text),
    attr("BodyPartExamined", tags::BODY_PART_EXAMINED, Text),
    attr("SeriesNumber", tags::SERIES_NUMBER, Integer),
    attr("InstanceNumber", tags::INSTANCE_NUMBER, Integer),
    attr("PatientSex", tags::PATIENT_SEX, Text),
    attr("PatientAge", tags::PATIENT_AGE, Text),
    attr("PatientBirthDate", tags::PATIENT_BIRTH_DATE, Date),
    attr("Manufacturer", tags::MANUFACTURER, Text),
    attr("ManufacturerModelName", tags::MANUFACTURER_MODEL_NAME, Text),
    attr("InstitutionName", tags::INSTITUTION_NAME, Text),
    attr("StationName", tags::STATION_NAME, Text),
    attr("DeviceSerialNumber", tags::DEVICE_SERIAL_NUMBER, Text),
    attr("SoftwareVersions", tags::SOFTWARE_VERSIONS, TextList),
    attr("ImageType", tags::IMAGE_TYPE, TextList),
    attr("SliceThickness", tags::SLICE_THICKNESS, Float),
    attr("SpacingBetweenSlices", tags::SPACING_BETWEEN_SLICES, Float),
    attr("PixelSpacing", tags::PIXEL_SPACING, FloatList),
    attr(
        "ImagePositionPatient",
        tags::IMAGE_POSITION_PATIENT,
        FloatList,
    ),
    attr(
        "ImageOrientationPatient",
        tags::IMAGE_ORIENTATION_PATIENT,
        FloatList,
    ),
    attr("SliceLocation", tags::SLICE_LOCATION, Float),
    attr("Rows", tags::ROWS, Integer),
    attr("Columns", tags::COLUMNS, Integer),
    attr("BitsAllocated", tags::BITS_ALLOCATED, Integer),
    attr("BitsStored", tags::BITS_STORED, Integer),
    attr(
        "PhotometricInterpretation",
        tags::PHOTOMETRIC_INTERPRETATION,
        Text,
    ),
    attr("NumberOfFrames", tags::NUMBER_OF_FRAMES, Integer),
    attr("KVP", tags::KVP, Float),
    attr("XRayTubeCurrent", tags::X_RAY_TUBE_CURRENT, Integer),
    attr("Exposure", tags::EXPOSURE, Integer),
    attr("ConvolutionKernel", tags::CONVOLUTION_KERNEL, TextList),
    attr(
        "ReconstructionDiameter",
        tags::RECONSTRUCTION_DIAMETER,
        Float,
    ),
    attr("ContrastBolusAgent", tags::CONTRAST_BOLUS_AGENT, Text),
    attr(
        "MagneticFieldStrength",
        tags::MAGNETIC_FIELD_STRENGTH,
        Float,
    ),
    attr("RepetitionTime", tags::REPETITION_TIME, Float),
    attr("EchoTime", tags::ECHO_TIME, Float),
    attr("FlipAngle", tags::FLIP_ANGLE, Float),
    attr("ScanningSequence", tags::SCANNING_SEQUENCE, TextList),
    attr("SequenceName", tags::SEQUENCE_NAME, Text),
    attr("Units", tags::UNITS, Text),
    attr("DecayCorrection", tags::DECAY_CORRECTION, Text),
    in_radiopharmaceutical("Radiopharmaceutical", tags::RADIOPHARMACEUTICAL, Text),
    in_radiopharmaceutical(
        "RadionuclideTotalDose",
        tags::RADIONUCLIDE_TOTAL_DOSE,
        Float,
    ),
    in_radiopharmaceutical(
        "RadiopharmaceuticalStartTime",
        tags::RADIOPHARMACEUTICAL_START_TIME,
        Time,
    ),
];

/// An attribute a user adds to a table, by keyword (`PatientName`) or by tag
/// (`(0029,1010)`, `0029,1010`, `00291010`; private tags included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomAttribute {
    /// Column name: the keyword, or `tag_ggggeeee` for a tag without one.
    pub name: String,
    pub tag: Tag,
    /// DA and TM are typed; everything else is text in DICOM's own string
    /// form (several values separated by `\`), so nothing is lost whatever
    /// the attribute's multiplicity.
    pub value_type: ValueType,
}

impl CustomAttribute {
    /// Parses one attribute given by keyword or tag.
    pub fn parse(spec: &str) -> Result<CustomAttribute, String> {
        let spec = spec.trim();
        let dictionary = StandardDataDictionary;
        let tag = parse_tag(spec);
        let entry = match tag {
            Some(tag) => dictionary.by_tag(tag),
            None => dictionary.by_name(spec),
        };
        let tag = match (tag, entry) {
            (Some(tag), _) => tag,
            (None, Some(entry)) => entry.tag(),
            (None, None) => {
                return Err(format!(
                    "unknown DICOM keyword '{spec}'; name private or unlisted attributes by tag, e.g. '(0029,1010)'"
                ));
            }
        };
        // Dictionary entries for tag ranges (PrivateCreator covers every
        // (gggg,00xx) of odd groups) would give many columns one name.
        let name = match entry {
            Some(entry) if matches!(entry.tag_range(), TagRange::Single(_)) => {
                entry.alias().to_string()
            }
            _ => format!("tag_{:04X}{:04X}", tag.0, tag.1),
        };
        let value_type = match entry.map(|e| e.vr()) {
            Some(VirtualVr::Exact(VR::DA)) => ValueType::Date,
            Some(VirtualVr::Exact(VR::TM)) => ValueType::Time,
            _ => ValueType::Text,
        };
        Ok(CustomAttribute {
            name,
            tag,
            value_type,
        })
    }

    /// Parses a comma-separated list of keywords and tags. Commas inside
    /// parenthesized tags belong to the tag.
    pub fn parse_list(list: &str) -> Result<Vec<CustomAttribute>, String> {
        let mut items = Vec::new();
        let mut current = String::new();
        let mut depth = 0;
        for c in list.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 && !looks_like_bare_tag_group(&current) => {
                    items.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            }
            current.push(c);
        }
        items.push(current);
        items
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(CustomAttribute::parse)
            .collect()
    }
}

/// `0029` just before a comma is the group half of a bare `0029,1010` tag.
fn looks_like_bare_tag_group(text: &str) -> bool {
    let text = text.trim();
    text.len() == 4 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `(gggg,eeee)`, `gggg,eeee` or `ggggeeee`, in hexadecimal.
fn parse_tag(spec: &str) -> Option<Tag> {
    let hex: String = spec
        .trim_start_matches('(')
        .trim_end_matches(')')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let group = u16::from_str_radix(&hex[..4], 16).ok()?;
    let element = u16::from_str_radix(&hex[4..], 16).ok()?;
    Some(Tag(group, element))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dicom_core::dictionary::DataDictionary;
    use dicom_dictionary_std::StandardDataDictionary;
    use std::collections::HashSet;

    #[test]
    fn keywords_match_the_standard_dictionary() {
        let dictionary = StandardDataDictionary;
        for attribute in CURATED {
            let entry = dictionary
                .by_tag(attribute.tag)
                .unwrap_or_else(|| panic!("{} is not in the dictionary", attribute.keyword));
            assert_eq!(entry.alias, attribute.keyword, "{:?}", attribute.tag);
        }
    }

    #[test]
    fn custom_attributes_by_keyword_and_tag() {
        let list = CustomAttribute::parse_list(
            "PatientName, (0029,1010),0009,1001, 00431028 ,AcquisitionDateTime,StudyDate",
        )
        .unwrap();
        let names: Vec<&str> = list.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "PatientName",
                "tag_00291010",
                "tag_00091001",
                "tag_00431028",
                "AcquisitionDateTime",
                "StudyDate"
            ]
        );
        assert_eq!(list[0].tag, tags::PATIENT_NAME);
        assert_eq!(list[1].tag, Tag(0x0029, 0x1010));
        assert_eq!(list[2].tag, Tag(0x0009, 0x1001));
        assert_eq!(list[0].value_type, ValueType::Text);
        assert_eq!(list[5].value_type, ValueType::Date);
        // A standard tag given by number gets its keyword.
        assert_eq!(
            CustomAttribute::parse("(0010,0010)").unwrap().name,
            "PatientName"
        );
        let err = CustomAttribute::parse("PatientNmae").unwrap_err();
        assert!(
            err.contains("'PatientNmae'") && err.contains("(0029,1010)"),
            "{err}"
        );
    }

    #[test]
    fn keywords_are_unique() {
        let mut seen = HashSet::new();
        for attribute in CURATED {
            assert!(seen.insert(attribute.keyword), "{}", attribute.keyword);
        }
    }
}
