//! Reading one DICOM header from the first bytes of a file, and reading typed
//! values out of it. Plain Rust over dicom-object; the Arrow side is in
//! `batch.rs`.

use std::io::Cursor;

use chrono::{NaiveDate, NaiveTime};
use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::file::ReadPreamble;
use dicom_object::{InMemDicomObject, OpenFileOptions};
use dicom_transfer_syntax_registry::{TransferSyntax, entries};

use super::attributes::{Attribute, ValueType};
use super::values::{parse_date, parse_time, trim_padding};

/// A parsed header: the data set up to the stop tag, and its transfer syntax.
#[derive(Debug)]
pub struct DicomHeader {
    dataset: InMemDicomObject,
    /// From the file meta group, or inferred for a bare data set.
    transfer_syntax: String,
}

/// Why a header could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// The bytes ended before the header did; more bytes may help.
    Incomplete(String),
    /// The bytes are not a readable DICOM file.
    Invalid(String),
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderError::Incomplete(reason) | HeaderError::Invalid(reason) => f.write_str(reason),
        }
    }
}

/// The tag a parse stops before so that the attributes at `top_level_tags`
/// are all read: one past the largest, and never before SOPInstanceUID,
/// which tells a whole header from a cut one. Pixel data is never read.
pub fn stop_tag(top_level_tags: impl IntoIterator<Item = Tag>) -> Tag {
    let needed = top_level_tags
        .into_iter()
        .chain([tags::SOP_INSTANCE_UID])
        .max()
        .expect("SOPInstanceUID is always needed");
    let Tag(group, element) = needed;
    let after = match element.checked_add(1) {
        Some(element) => Tag(group, element),
        None => Tag(group + 1, 0),
    };
    after.min(tags::PIXEL_DATA)
}

impl DicomHeader {
    /// Parses a header from the start of a file. `complete` says whether
    /// `bytes` is the whole file: if not, running out of bytes is
    /// [`HeaderError::Incomplete`] and the caller can fetch more.
    pub fn parse(
        bytes: &[u8],
        stop_before: Tag,
        complete: bool,
    ) -> Result<DicomHeader, HeaderError> {
        if bytes.is_empty() {
            return Err(HeaderError::Invalid("empty file".to_string()));
        }
        let parsed = if has_dicom_prefix(bytes) {
            std::panic::catch_unwind(|| {
                OpenFileOptions::new()
                    .read_preamble(ReadPreamble::Auto)
                    .read_until(stop_before)
                    .from_reader(Cursor::new(bytes))
                    .map(|file| {
                        let transfer_syntax =
                            trim_padding(file.meta().transfer_syntax()).to_string();
                        (file.into_inner(), transfer_syntax)
                    })
            })
        } else if let Some(ts) = bare_data_set_encoding(bytes) {
            // Old archives hold data sets without preamble or file meta
            // (pydicom reads them with force=True). These are read whole.
            // The codec tables are immutable statics: nothing is left half-updated by a panic.
            let ts = std::panic::AssertUnwindSafe(ts);
            std::panic::catch_unwind(|| {
                InMemDicomObject::read_dataset_with_ts(Cursor::new(bytes), &ts)
                    .map(|dataset| (dataset, ts.uid().to_string()))
            })
        } else {
            return Err(HeaderError::Invalid(
                "not a DICOM file: no 'DICM' marker at byte 128 or at the start, and not a bare data set"
                    .to_string(),
            ));
        };
        match parsed {
            // A cut file can end cleanly between two elements; every
            // composite instance has a SOPInstanceUID (PS3.3 C.12.1, Type 1).
            Ok(Ok((object, _)))
                if object
                    .element_opt(tags::SOP_INSTANCE_UID)
                    .ok()
                    .flatten()
                    .is_none() =>
            {
                let reason = "the header ends before SOPInstanceUID: the file is cut short or is not an instance (DICOMDIR?)";
                if complete {
                    Err(HeaderError::Invalid(reason.to_string()))
                } else {
                    Err(HeaderError::Incomplete(reason.to_string()))
                }
            }
            Ok(Ok((dataset, transfer_syntax))) => Ok(DicomHeader {
                dataset,
                transfer_syntax,
            }),
            Ok(Err(error)) => {
                let reason = one_line_error(&error);
                if complete {
                    Err(HeaderError::Invalid(reason))
                } else {
                    Err(HeaderError::Incomplete(reason))
                }
            }
            // A decoder bug must cost one row, never the whole scan.
            Err(_) => Err(HeaderError::Invalid(
                "the DICOM decoder failed on this file".to_string(),
            )),
        }
    }

    /// TransferSyntaxUID from the file meta group (inferred for a bare data set).
    pub fn transfer_syntax(&self) -> String {
        self.transfer_syntax.clone()
    }

    fn dataset(&self) -> &InMemDicomObject {
        &self.dataset
    }

    /// The element with `tag`, at the top level or in the first item of `in_sequence`.
    fn element(
        &self,
        tag: Tag,
        in_sequence: Option<Tag>,
    ) -> Option<&dicom_object::mem::InMemElement> {
        let dataset = self.dataset();
        match in_sequence {
            None => dataset.element_opt(tag).ok().flatten(),
            Some(sequence) => dataset
                .element_opt(sequence)
                .ok()
                .flatten()?
                .items()?
                .first()?
                .element_opt(tag)
                .ok()
                .flatten(),
        }
    }

    /// A curated attribute's value, typed; `None` when absent or unreadable.
    pub fn value(&self, attribute: &Attribute) -> Option<Value> {
        self.typed_value(attribute.tag, attribute.in_sequence, attribute.value_type)
    }

    /// The value of the element with `tag` as `value_type`.
    pub fn typed_value(
        &self,
        tag: Tag,
        in_sequence: Option<Tag>,
        value_type: ValueType,
    ) -> Option<Value> {
        let element = self.element(tag, in_sequence)?;
        match value_type {
            ValueType::Text => element
                .to_str()
                .ok()
                .map(|s| Value::Text(trim_padding(&s).to_string())),
            ValueType::TextList => element.to_multi_str().ok().map(|values| {
                Value::TextList(values.iter().map(|v| trim_padding(v).to_string()).collect())
            }),
            ValueType::Integer => element
                .to_int::<i64>()
                .ok()
                .map(Value::Integer)
                .or_else(|| {
                    // IS values such as "12.0" written by some devices.
                    let float = element.to_float64().ok()?;
                    (float.fract() == 0.0 && float.abs() < 9.0e15)
                        .then_some(Value::Integer(float as i64))
                }),
            ValueType::Float => element
                .to_float64()
                .ok()
                .filter(|f| f.is_finite())
                .map(Value::Float),
            ValueType::FloatList => element.to_multi_float64().ok().map(Value::FloatList),
            ValueType::Date => element
                .to_str()
                .ok()
                .and_then(|s| parse_date(&s))
                .map(Value::Date),
            ValueType::Time => element
                .to_str()
                .ok()
                .and_then(|s| parse_time(&s))
                .map(Value::Time),
        }
    }
}

/// A typed attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    TextList(Vec<String>),
    Integer(i64),
    Float(f64),
    FloatList(Vec<f64>),
    Date(NaiveDate),
    Time(NaiveTime),
}

/// The encoding of a data set stored without preamble or file meta, judged
/// from its first element: a tag in group 0008 (where every composite
/// instance starts), then either a two-letter VR (explicit VR) or a length
/// (implicit VR), little endian.
fn bare_data_set_encoding(bytes: &[u8]) -> Option<TransferSyntax> {
    let header = bytes.get(0..6)?;
    let group = u16::from_le_bytes([header[0], header[1]]);
    if group != 0x0008 {
        return None;
    }
    let explicit = header[4].is_ascii_uppercase() && header[5].is_ascii_uppercase();
    Some(if explicit {
        entries::EXPLICIT_VR_LITTLE_ENDIAN.erased()
    } else {
        entries::IMPLICIT_VR_LITTLE_ENDIAN.erased()
    })
}

/// Part 10 files start with a 128-byte preamble and `DICM`; some writers
/// leave the preamble out and start with `DICM`.
fn has_dicom_prefix(bytes: &[u8]) -> bool {
    bytes.get(128..132) == Some(b"DICM") || bytes.get(0..4) == Some(b"DICM")
}

fn one_line_error(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dicom::attributes::CURATED;

    fn attribute(keyword: &str) -> Tag {
        CURATED
            .iter()
            .find(|a| a.keyword == keyword)
            .unwrap()
            .top_level_tag()
    }

    #[test]
    fn stop_tag_is_just_past_the_last_needed_attribute() {
        assert_eq!(stop_tag([attribute("PatientID")]), Tag(0x0010, 0x0021));
        assert_eq!(
            stop_tag([attribute("Modality"), attribute("Rows")]),
            Tag(0x0028, 0x0011)
        );
        // Sequence attributes need their whole sequence.
        assert_eq!(
            stop_tag([attribute("Radiopharmaceutical")]),
            Tag(0x0054, 0x0017)
        );
        // Never before SOPInstanceUID, never into pixel data.
        assert_eq!(stop_tag([attribute("ImageType")]), Tag(0x0008, 0x0019));
        assert_eq!(stop_tag([]), Tag(0x0008, 0x0019));
    }

    #[test]
    fn garbage_never_panics() {
        let mut bytes = vec![0u8; 128];
        bytes.extend_from_slice(b"DICM");
        for filler in [0u8, 0xFF, 0x41, 0x02] {
            let mut input = bytes.clone();
            input.extend(std::iter::repeat_n(filler, 300));
            for complete in [false, true] {
                assert!(DicomHeader::parse(&input, tags::PIXEL_DATA, complete).is_err());
            }
        }
        assert!(matches!(
            DicomHeader::parse(b"", tags::PIXEL_DATA, true),
            Err(HeaderError::Invalid(_))
        ));
        assert!(matches!(
            DicomHeader::parse(b"%PDF-1.4", tags::PIXEL_DATA, true),
            Err(HeaderError::Invalid(r)) if r.contains("not a DICOM file")
        ));
    }
}
