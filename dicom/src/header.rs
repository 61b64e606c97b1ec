//! Reading one DICOM header from the first bytes of a file, and reading typed
//! values out of it. Plain Rust over the walker in `dataset.rs`; the Arrow
//! side is in `batch.rs`.

use std::borrow::Cow;
use std::io::Read;

use chrono::{NaiveDate, NaiveTime};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::tags;
use dicom_encoding::text::{SpecificCharacterSet, TextCodec};

use super::attributes::{Attribute, ValueType};
use super::dataset::{Element, ElementValue, Encoding, WalkError, sniff_encoding, walk};
use super::values::{parse_date, parse_time, trim_padding};

/// A deflated data set inflates to at most this many bytes; a header never
/// needs more, and a deflate bomb gets no further.
const MAX_INFLATED_BYTES: u64 = 64 * 1024 * 1024;

/// A parsed header: where each element of the data set up to the stop tag
/// lies in the file's bytes, and how to decode its text.
#[derive(Debug)]
pub struct DicomHeader {
    /// The data set's bytes: the file's first bytes, or the inflated data
    /// set of a deflated file.
    bytes: Vec<u8>,
    elements: Vec<Element>,
    /// From the file meta group, or inferred for a bare data set.
    transfer_syntax: Option<String>,
    /// From SpecificCharacterSet; the default repertoire is read as Latin-1,
    /// its superset, as pydicom does.
    charset: SpecificCharacterSet,
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

const IMPLICIT_VR_LE: &str = "1.2.840.10008.1.2";
const EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1";
const EXPLICIT_VR_BE: &str = "1.2.840.10008.1.2.2";
const DEFLATED_EXPLICIT_VR_LE: &str = "1.2.840.10008.1.2.1.99";
const JPIP_REFERENCED_DEFLATE: &str = "1.2.840.10008.1.2.4.95";

impl DicomHeader {
    /// Parses a header from the start of a file. `complete` says whether
    /// `bytes` is the whole file: if not, running out of bytes is
    /// [`HeaderError::Incomplete`] and the caller can fetch more.
    pub fn parse(
        bytes: Vec<u8>,
        stop_before: Tag,
        complete: bool,
    ) -> Result<DicomHeader, HeaderError> {
        let out_of_data = |reason: String| {
            if complete {
                HeaderError::Invalid(format!("the file is cut short: {reason}"))
            } else {
                HeaderError::Incomplete(reason)
            }
        };
        let walk_error = |error: WalkError| match error {
            WalkError::OutOfData(reason) => out_of_data(reason),
            WalkError::Malformed(reason) => HeaderError::Invalid(reason),
        };
        if bytes.is_empty() {
            return Err(HeaderError::Invalid("empty file".to_string()));
        }
        let (transfer_syntax, data_set_start) = match dicm_marker_end(&bytes) {
            Some(meta_start) => {
                // The file meta group is explicit VR little endian (PS3.10
                // §7.1), though some writers use implicit VR.
                let encoding = sniff_encoding(&bytes, meta_start, Encoding::EXPLICIT_LE);
                let (meta, end) =
                    walk(&bytes, meta_start, encoding, Tag(0x0003, 0x0000)).map_err(walk_error)?;
                let transfer_syntax = meta
                    .iter()
                    .find(|e| e.tag == tags::TRANSFER_SYNTAX_UID)
                    .and_then(|e| match &e.value {
                        ElementValue::Bytes { range, .. } => Some(
                            trim_padding(&String::from_utf8_lossy(&bytes[range.clone()]))
                                .to_string(),
                        ),
                        ElementValue::Items(_) => None,
                    });
                (transfer_syntax, end)
            }
            None => match bare_data_set_encoding(&bytes) {
                // Old archives hold data sets without preamble or file meta
                // (pydicom reads them with force=True).
                Some(encoding) => {
                    let uid = if encoding.explicit_vr {
                        EXPLICIT_VR_LE
                    } else {
                        IMPLICIT_VR_LE
                    };
                    (Some(uid.to_string()), 0)
                }
                None => {
                    return Err(HeaderError::Invalid(
                        "not a DICOM file: no 'DICM' marker at byte 128 or at the start, and not a bare data set"
                            .to_string(),
                    ));
                }
            },
        };
        let declared = match transfer_syntax.as_deref() {
            Some(IMPLICIT_VR_LE) => Encoding::IMPLICIT_LE,
            Some(EXPLICIT_VR_BE) => Encoding::EXPLICIT_BE,
            // Every other transfer syntax, compressed pixel data included,
            // encodes the data set as explicit VR little endian.
            _ => Encoding::EXPLICIT_LE,
        };
        let deflated = matches!(
            transfer_syntax.as_deref(),
            Some(DEFLATED_EXPLICIT_VR_LE | JPIP_REFERENCED_DEFLATE)
        );
        let (bytes, start) = if deflated {
            (inflate(&bytes[data_set_start..]), 0)
        } else {
            (bytes, data_set_start)
        };
        let encoding = sniff_encoding(&bytes, start, declared);
        let (elements, _) = walk(&bytes, start, encoding, stop_before).map_err(walk_error)?;
        let header = DicomHeader {
            charset: character_set(&bytes, &elements),
            bytes,
            elements,
            transfer_syntax,
        };
        // A cut file can end cleanly between two elements; every composite
        // instance has a SOPInstanceUID (PS3.3 C.12.1, Type 1).
        if header.top_level(tags::SOP_INSTANCE_UID).is_none() {
            let reason = "the header ends before SOPInstanceUID: the file is cut short or is not an instance (DICOMDIR?)";
            return Err(if complete {
                HeaderError::Invalid(reason.to_string())
            } else {
                HeaderError::Incomplete(reason.to_string())
            });
        }
        Ok(header)
    }

    /// TransferSyntaxUID from the file meta group (inferred for a bare data set).
    pub fn transfer_syntax(&self) -> Option<&str> {
        self.transfer_syntax.as_deref()
    }

    /// The top-level elements read, in tag order.
    pub(crate) fn elements(&self) -> &[Element] {
        &self.elements
    }

    fn top_level(&self, tag: Tag) -> Option<&Element> {
        let index = self.elements.binary_search_by_key(&tag, |e| e.tag).ok()?;
        Some(&self.elements[index])
    }

    /// The element with `tag`, at the top level or in the first item of `in_sequence`.
    fn element(&self, tag: Tag, in_sequence: Option<Tag>) -> Option<&Element> {
        match in_sequence {
            None => self.top_level(tag),
            Some(sequence) => match &self.top_level(sequence)?.value {
                ElementValue::Items(items) => items.first()?.iter().find(|e| e.tag == tag),
                ElementValue::Bytes { .. } => None,
            },
        }
    }

    /// A value's bytes and byte order; `None` for sequences.
    pub(crate) fn value_bytes<'a>(&'a self, element: &'a Element) -> Option<(&'a [u8], bool)> {
        match &element.value {
            ElementValue::Bytes { range, big_endian } => {
                Some((&self.bytes[range.clone()], *big_endian))
            }
            ElementValue::Items(_) => None,
        }
    }

    /// Text decoded with the data set's character set, padding kept.
    pub(crate) fn decode_text<'a>(&self, bytes: &'a [u8]) -> Cow<'a, str> {
        if bytes.is_ascii() {
            // ASCII is the same in every character set DICOM allows but ISO 2022's escapes.
            return Cow::Borrowed(std::str::from_utf8(bytes).unwrap_or_default());
        }
        match self.charset.decode(bytes) {
            Ok(text) => Cow::Owned(text),
            Err(_) => String::from_utf8_lossy(bytes),
        }
    }

    /// An element's value as text: text VRs decoded, binary numbers written
    /// out, values separated by `\`.
    pub(crate) fn text<'a>(&'a self, element: &'a Element) -> Option<Cow<'a, str>> {
        let (bytes, big_endian) = self.value_bytes(element)?;
        match binary_numbers(element.vr, bytes, big_endian) {
            Some(numbers) => Some(Cow::Owned(
                numbers
                    .iter()
                    .map(Number::to_string)
                    .collect::<Vec<_>>()
                    .join("\\"),
            )),
            None => Some(self.decode_text(bytes)),
        }
    }

    /// An element's numbers: binary VRs decoded, text VRs parsed. `None`
    /// when a value is not a number.
    pub(crate) fn numbers(&self, element: &Element) -> Option<Vec<Number>> {
        let (bytes, big_endian) = self.value_bytes(element)?;
        if let Some(numbers) = binary_numbers(element.vr, bytes, big_endian) {
            return Some(numbers);
        }
        let text = self.decode_text(bytes);
        let text = trim_padding(&text);
        if text.is_empty() {
            return None;
        }
        text.split('\\').map(Number::parse).collect()
    }

    /// An element's first number, without collecting the others.
    fn first_number(&self, element: &Element) -> Option<Number> {
        let (bytes, big_endian) = self.value_bytes(element)?;
        if let Some(numbers) =
            binary_numbers(element.vr, first_value(element.vr, bytes), big_endian)
        {
            return numbers.first().copied();
        }
        let text = self.decode_text(bytes);
        Number::parse(text.split('\\').next()?)
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
            ValueType::Text => Some(Value::Text(trim_padding(&self.text(element)?).to_string())),
            ValueType::TextList => {
                let text = self.text(element)?;
                let trimmed = trim_padding(&text);
                let values = if trimmed.is_empty() {
                    Vec::new()
                } else {
                    trimmed
                        .split('\\')
                        .map(|v| trim_padding(v).to_string())
                        .collect()
                };
                Some(Value::TextList(values))
            }
            ValueType::Integer => self.first_number(element)?.as_integer().map(Value::Integer),
            ValueType::Float => Some(Value::Float(self.first_number(element)?.as_float())),
            ValueType::FloatList => Some(Value::FloatList(
                self.numbers(element)?
                    .iter()
                    .map(Number::as_float)
                    .collect(),
            )),
            ValueType::Date => parse_date(&self.text(element)?).map(Value::Date),
            ValueType::Time => parse_time(&self.text(element)?).map(Value::Time),
        }
        .filter(|value| !matches!(value, Value::Float(f) if !f.is_finite()))
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

/// One numeric value, kept as an integer when it is one so 64-bit integers
/// stay exact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    Integer(i64),
    Float(f64),
}

impl Number {
    /// IS and DS text: `" 7"`, `"12.0"`, `"1.25e2"`.
    pub(crate) fn parse(text: &str) -> Option<Number> {
        let text = text.trim_matches(|c: char| c == ' ' || c == '\0');
        if let Ok(integer) = text.trim_start_matches('+').parse::<i64>() {
            return Some(Number::Integer(integer));
        }
        text.parse::<f64>().ok().map(Number::Float)
    }

    /// The value as an integer, if it is one (IS written as `"12.0"` too).
    pub(crate) fn as_integer(&self) -> Option<i64> {
        match *self {
            Number::Integer(i) => Some(i),
            Number::Float(f) => (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64),
        }
    }

    pub(crate) fn as_float(&self) -> f64 {
        match *self {
            Number::Integer(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Number::Integer(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
        }
    }
}

/// The values of a binary numeric VR (PS3.5 Table 6.2-1); `None` for other VRs.
fn binary_numbers(vr: VR, bytes: &[u8], big_endian: bool) -> Option<Vec<Number>> {
    macro_rules! decode {
        ($type:ty, $wrap:expr) => {{
            const N: usize = std::mem::size_of::<$type>();
            bytes
                .chunks_exact(N)
                .map(|chunk| {
                    let array: [u8; N] = chunk.try_into().expect("chunks_exact gives N bytes");
                    let value = if big_endian {
                        <$type>::from_be_bytes(array)
                    } else {
                        <$type>::from_le_bytes(array)
                    };
                    $wrap(value)
                })
                .collect()
        }};
    }
    Some(match vr {
        VR::US => decode!(u16, |v| Number::Integer(i64::from(v))),
        VR::SS => decode!(i16, |v| Number::Integer(i64::from(v))),
        VR::UL => decode!(u32, |v| Number::Integer(i64::from(v))),
        VR::SL => decode!(i32, |v| Number::Integer(i64::from(v))),
        VR::SV => decode!(i64, Number::Integer),
        VR::UV => decode!(u64, |v: u64| i64::try_from(v)
            .map(Number::Integer)
            .unwrap_or(Number::Float(v as f64))),
        VR::FL => decode!(f32, |v| Number::Float(f64::from(v))),
        VR::FD => decode!(f64, Number::Float),
        _ => return None,
    })
}

/// The bytes of a binary numeric value's first value (all bytes for other VRs).
fn first_value(vr: VR, bytes: &[u8]) -> &[u8] {
    let size = match vr {
        VR::US | VR::SS => 2,
        VR::UL | VR::SL | VR::FL => 4,
        VR::SV | VR::UV | VR::FD => 8,
        _ => return bytes,
    };
    &bytes[..size.min(bytes.len())]
}

/// The data set's character set: the first value of SpecificCharacterSet
/// that rwid knows, else the default repertoire.
fn character_set(bytes: &[u8], elements: &[Element]) -> SpecificCharacterSet {
    let Ok(index) = elements.binary_search_by_key(&tags::SPECIFIC_CHARACTER_SET, |e| e.tag) else {
        return SpecificCharacterSet::default();
    };
    let ElementValue::Bytes { range, .. } = &elements[index].value else {
        return SpecificCharacterSet::default();
    };
    String::from_utf8_lossy(&bytes[range.clone()])
        .split('\\')
        .map(trim_padding)
        .find(|code| !code.is_empty())
        .and_then(SpecificCharacterSet::from_code)
        .unwrap_or_default()
}

/// Inflates a deflated data set (PS3.5 §A.5), as far as the bytes at hand
/// allow: a cut stream gives a shorter data set, which the walk reports.
fn inflate(deflated: &[u8]) -> Vec<u8> {
    let mut inflated = Vec::with_capacity(deflated.len() * 4);
    // A read error (a cut or corrupt stream) leaves the bytes inflated so far.
    let _ = flate2::read::DeflateDecoder::new(deflated)
        .take(MAX_INFLATED_BYTES)
        .read_to_end(&mut inflated);
    inflated
}

/// The encoding of a data set stored without preamble or file meta, judged
/// from its first element: a tag in group 0008 (where every composite
/// instance starts), then either a two-letter VR (explicit VR) or a length
/// (implicit VR), little endian.
fn bare_data_set_encoding(bytes: &[u8]) -> Option<Encoding> {
    let header = bytes.get(0..6)?;
    let group = u16::from_le_bytes([header[0], header[1]]);
    if group != 0x0008 {
        return None;
    }
    Some(sniff_encoding(bytes, 0, Encoding::EXPLICIT_LE))
}

/// Where the file meta group starts: after the 128-byte preamble and
/// `DICM`, or after a `DICM` some writers put first with no preamble.
fn dicm_marker_end(bytes: &[u8]) -> Option<usize> {
    if bytes.get(128..132) == Some(b"DICM") {
        Some(132)
    } else if bytes.get(0..4) == Some(b"DICM") {
        Some(4)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attributes::CURATED;

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
                assert!(DicomHeader::parse(input.clone(), tags::PIXEL_DATA, complete).is_err());
            }
        }
        assert!(matches!(
            DicomHeader::parse(Vec::new(), tags::PIXEL_DATA, true),
            Err(HeaderError::Invalid(_))
        ));
        assert!(matches!(
            DicomHeader::parse(b"%PDF-1.4".to_vec(), tags::PIXEL_DATA, true),
            Err(HeaderError::Invalid(r)) if r.contains("not a DICOM file")
        ));
    }

    /// Mutations of the committed encoding fixtures (every cut, and random
    /// bytes, lengths and splices) never panic and never allocate from a
    /// corrupt length: the bounded, deterministic cousin of the fuzz target
    /// in `fuzz/`.
    #[test]
    fn mutated_fixtures_never_panic() {
        let folder = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/dicom/encodings"
        );
        let mut state = 0x5EED_u64;
        let mut next = move || {
            // SplitMix64: deterministic without a dependency.
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let mut files = 0;
        for entry in std::fs::read_dir(folder).unwrap() {
            let original = std::fs::read(entry.unwrap().path()).unwrap();
            files += 1;
            let exercise = |bytes: Vec<u8>| {
                for complete in [true, false] {
                    if let Ok(header) =
                        DicomHeader::parse(bytes.clone(), tags::PIXEL_DATA, complete)
                    {
                        for attribute in CURATED {
                            let _ = header.value(attribute);
                        }
                        let _ = header.to_dicom_json();
                    }
                }
            };
            for cut in 0..original.len() {
                exercise(original[..cut].to_vec());
            }
            for _ in 0..1500 {
                let mut bytes = original.clone();
                let at = (next() as usize) % bytes.len();
                match next() % 4 {
                    0 => bytes[at] = next() as u8,
                    1 => {
                        let length = [0xFFFF_FFFF, 0x7FFF_FFFF, 0xFFFF_FFF0, next() as u32]
                            [(next() % 4) as usize];
                        let end = (at + 4).min(bytes.len());
                        bytes[at..end].copy_from_slice(&length.to_le_bytes()[..end - at]);
                    }
                    2 => {
                        let end = (at + (next() as usize) % 64).min(bytes.len());
                        bytes.drain(at..end);
                    }
                    _ => {
                        let end = (at + (next() as usize) % 64).min(bytes.len());
                        let chunk = bytes[at..end].to_vec();
                        bytes.splice(at..at, chunk);
                    }
                }
                exercise(bytes);
            }
        }
        assert!(files >= 11, "{files} fixtures");
    }
}
