//! A header as DICOM JSON (PS3.18 Annex F.2), the form DICOMweb and
//! BigQuery's DICOM export use: one object per data set, keyed by tag as
//! eight uppercase hex digits, each attribute an object with `vr` and
//! `Value` (or `InlineBinary` for binary VRs).
//!
//! What is left out: pixel data (never read), group lengths (F.2: not part
//! of the JSON model) and binary values longer than [`BULK_VALUE_BYTES`],
//! which keep their `vr` but no value, as a DICOMweb server leaves bulk data
//! to a BulkDataURI.

use base64::Engine;
use dicom_core::VR;
use serde_json::{Map, Number as JsonNumber, Value as Json};

use super::dataset::{Element, ElementValue};
use super::header::{DicomHeader, Number};
use super::values::trim_padding;

/// Binary values up to this size are written inline (base64).
pub const BULK_VALUE_BYTES: usize = 1024;

impl DicomHeader {
    /// The header read, as a DICOM JSON object.
    pub fn to_dicom_json(&self) -> String {
        Json::Object(self.json_object(self.elements())).to_string()
    }

    fn json_object(&self, elements: &[Element]) -> Map<String, Json> {
        let mut object = Map::new();
        for element in elements.iter().filter(|e| e.tag.element() != 0x0000) {
            let key = format!("{:04X}{:04X}", element.tag.group(), element.tag.element());
            object.insert(key, Json::Object(self.json_attribute(element)));
        }
        object
    }

    fn json_attribute(&self, element: &Element) -> Map<String, Json> {
        let mut attribute = Map::new();
        attribute.insert(
            "vr".to_string(),
            Json::String(element.vr.to_string().into()),
        );
        let (bytes, big_endian) = match &element.value {
            ElementValue::Items(items) => {
                let items = items
                    .iter()
                    .map(|item| Json::Object(self.json_object(item)))
                    .collect();
                attribute.insert("Value".to_string(), Json::Array(items));
                return attribute;
            }
            ElementValue::Bytes { .. } => match self.value_bytes(element) {
                Some((bytes, big_endian)) if !bytes.is_empty() => (bytes, big_endian),
                _ => return attribute,
            },
        };
        match element.vr {
            VR::OB | VR::OD | VR::OF | VR::OL | VR::OV | VR::OW | VR::UN => {
                if bytes.len() <= BULK_VALUE_BYTES {
                    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
                    attribute.insert("InlineBinary".to_string(), Json::String(encoded));
                }
                return attribute;
            }
            _ => {}
        }
        let values: Vec<Json> = match element.vr {
            VR::US | VR::SS | VR::UL | VR::SL | VR::UV | VR::SV | VR::FL | VR::FD => self
                .numbers(element)
                .unwrap_or_default()
                .into_iter()
                .map(json_number)
                .collect(),
            VR::AT => bytes
                .chunks_exact(4)
                .map(|chunk| {
                    let (group, element) = if big_endian {
                        (
                            u16::from_be_bytes([chunk[0], chunk[1]]),
                            u16::from_be_bytes([chunk[2], chunk[3]]),
                        )
                    } else {
                        (
                            u16::from_le_bytes([chunk[0], chunk[1]]),
                            u16::from_le_bytes([chunk[2], chunk[3]]),
                        )
                    };
                    Json::String(format!("{group:04X}{element:04X}"))
                })
                .collect(),
            vr => {
                let text = self.decode_text(bytes);
                let single_valued = matches!(vr, VR::LT | VR::ST | VR::UT | VR::UR);
                let parts: Vec<&str> = if single_valued {
                    vec![text.trim_end_matches([' ', '\0'])]
                } else {
                    text.split('\\').map(trim_padding).collect()
                };
                parts.into_iter().map(|part| text_value(vr, part)).collect()
            }
        };
        if !values.is_empty() {
            attribute.insert("Value".to_string(), Json::Array(values));
        }
        attribute
    }
}

/// One value of a text VR: numbers for IS and DS (F.2.3.1), a name object
/// for PN (F.2.2), a string otherwise; empty values are null.
fn text_value(vr: VR, part: &str) -> Json {
    if part.is_empty() {
        return Json::Null;
    }
    match vr {
        VR::IS | VR::DS => match Number::parse(part) {
            Some(number) => json_number(number),
            // Malformed numbers stay readable rather than vanish.
            None => Json::String(part.to_string()),
        },
        VR::PN => {
            let mut name = Map::new();
            for (group, component) in ["Alphabetic", "Ideographic", "Phonetic"]
                .iter()
                .zip(part.split('='))
            {
                if !component.is_empty() {
                    name.insert(group.to_string(), Json::String(component.to_string()));
                }
            }
            Json::Object(name)
        }
        _ => Json::String(part.to_string()),
    }
}

fn json_number(number: Number) -> Json {
    match number {
        Number::Integer(i) => Json::Number(i.into()),
        // JSON has no NaN or infinity; DICOM JSON writes them as strings.
        Number::Float(f) => JsonNumber::from_f64(f)
            .map(Json::Number)
            .unwrap_or_else(|| Json::String(f.to_string())),
    }
}
