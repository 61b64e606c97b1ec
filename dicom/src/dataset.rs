//! A lenient, allocation-light walker over an encoded DICOM data set
//! (PS3.5 §7): it finds where each element's value lies in the file's bytes
//! and decodes nothing until a value is asked for.
//!
//! Why not dicom-object: a table scan needs a few dozen values from each of
//! millions of headers. Building a full in-memory object decodes and
//! allocates every value, and a corrupted length field makes it allocate
//! whatever the field declares. Here a value is a byte range checked against
//! the bytes at hand, so no input allocates more than the file's size.
//!
//! Leniency follows pydicom: explicit or implicit VR whatever the transfer
//! syntax claims (judged from the first element), odd lengths taken as
//! written, UN values re-typed through the data dictionary, undefined-length
//! UN and private elements read as implicit VR little-endian sequences
//! (PS3.5 §6.2.2), and unknown tags in implicit VR kept as UN.

use std::ops::Range;

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::{Tag, VR};
use dicom_dictionary_std::StandardDataDictionary;

/// Deeper nesting than this is not a real header; stopping keeps the stack bounded.
const MAX_DEPTH: usize = 16;
const ITEM: Tag = Tag(0xFFFE, 0xE000);
const ITEM_DELIMITATION: Tag = Tag(0xFFFE, 0xE00D);
const SEQUENCE_DELIMITATION: Tag = Tag(0xFFFE, 0xE0DD);
const UNDEFINED_LENGTH: u32 = u32::MAX;

/// Byte order and VR encoding of a data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding {
    pub explicit_vr: bool,
    pub big_endian: bool,
}

impl Encoding {
    pub const IMPLICIT_LE: Encoding = Encoding {
        explicit_vr: false,
        big_endian: false,
    };
    pub const EXPLICIT_LE: Encoding = Encoding {
        explicit_vr: true,
        big_endian: false,
    };
    pub const EXPLICIT_BE: Encoding = Encoding {
        explicit_vr: true,
        big_endian: true,
    };
}

/// One data element: its tag, VR and where its value is.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub tag: Tag,
    pub vr: VR,
    pub value: ElementValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ElementValue {
    /// The value's bytes in the data set buffer, and their byte order.
    Bytes {
        range: Range<usize>,
        big_endian: bool,
    },
    /// A sequence's items, each a list of elements.
    Items(Vec<Vec<Element>>),
}

/// Why a walk stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkError {
    /// The bytes ended inside an element; more bytes of the file may help.
    OutOfData(String),
    /// The bytes are not a DICOM data set.
    Malformed(String),
}

/// Reads the elements of a data set from `bytes[start..]` in tag order up to
/// (not including) the first top-level element whose tag is `stop_before` or
/// later. Running out of bytes between two top-level elements is a normal end.
/// Returns the elements and the offset where the walk stopped.
pub fn walk(
    bytes: &[u8],
    start: usize,
    encoding: Encoding,
    stop_before: Tag,
) -> Result<(Vec<Element>, usize), WalkError> {
    let mut walker = Walker {
        bytes,
        position: start,
    };
    let elements = walker.elements(encoding, Until::StopTag(stop_before), 0)?;
    Ok((elements, walker.position))
}

/// Judges explicit against implicit VR from the first element at `start`,
/// as pydicom does: files are found whose transfer syntax says one and whose
/// data set is written in the other. Big-endian data sets stay big-endian.
pub fn sniff_encoding(bytes: &[u8], start: usize, declared: Encoding) -> Encoding {
    match bytes.get(start + 4..start + 6) {
        Some(&[a, b]) if VR::from_binary([a, b]).is_some() => Encoding {
            explicit_vr: true,
            ..declared
        },
        Some(_) => Encoding {
            explicit_vr: false,
            ..declared
        },
        None => declared,
    }
}

/// The VR the dictionary gives a tag; UN for private and unknown tags.
pub fn dictionary_vr(tag: Tag) -> VR {
    if tag.element() == 0x0000 {
        return VR::UL; // group length
    }
    if tag.group() % 2 == 1 && (0x0010..=0x00FF).contains(&tag.element()) {
        return VR::LO; // private creator
    }
    StandardDataDictionary
        .by_tag(tag)
        .map(|entry| entry.vr().relaxed())
        .unwrap_or(VR::UN)
}

enum Until {
    /// Top level: stop before this tag, or at the end of the bytes.
    StopTag(Tag),
    /// An item of defined length: stop at this offset.
    Offset(usize),
    /// An item of undefined length: stop after an item delimitation.
    Delimiter,
}

struct Walker<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl Walker<'_> {
    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.position)
    }

    fn take(&mut self, n: usize, what: impl FnOnce() -> String) -> Result<&[u8], WalkError> {
        if self.remaining() < n {
            return Err(WalkError::OutOfData(format!(
                "the data ends inside {} at byte {}",
                what(),
                self.position
            )));
        }
        let slice = &self.bytes[self.position..self.position + n];
        self.position += n;
        Ok(slice)
    }

    fn u16(&mut self, big_endian: bool, what: impl FnOnce() -> String) -> Result<u16, WalkError> {
        let b = self.take(2, what)?;
        let b = [b[0], b[1]];
        Ok(if big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32(&mut self, big_endian: bool, what: impl FnOnce() -> String) -> Result<u32, WalkError> {
        let b = self.take(4, what)?;
        let b = [b[0], b[1], b[2], b[3]];
        Ok(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn tag(&mut self, big_endian: bool) -> Result<Tag, WalkError> {
        let group = self.u16(big_endian, || "a tag".to_string())?;
        let element = self.u16(big_endian, || "a tag".to_string())?;
        Ok(Tag(group, element))
    }

    /// The elements of one data set or item.
    fn elements(
        &mut self,
        encoding: Encoding,
        until: Until,
        depth: usize,
    ) -> Result<Vec<Element>, WalkError> {
        if depth > MAX_DEPTH {
            return Err(WalkError::Malformed(format!(
                "sequences nested deeper than {MAX_DEPTH} levels at byte {}",
                self.position
            )));
        }
        let mut elements = Vec::new();
        loop {
            match until {
                Until::StopTag(_) if self.remaining() == 0 => break,
                Until::Offset(end) if self.position >= end => break,
                _ => {}
            }
            let element_start = self.position;
            let tag = self.tag(encoding.big_endian)?;
            match until {
                Until::StopTag(stop) if tag >= stop => {
                    self.position = element_start;
                    break;
                }
                Until::Delimiter | Until::Offset(_) if tag == ITEM_DELIMITATION => {
                    self.u32(encoding.big_endian, || "an item delimiter".to_string())?;
                    break;
                }
                _ => {}
            }
            if tag.group() == 0xFFFE {
                return Err(WalkError::Malformed(format!(
                    "unexpected delimiter ({:04X},{:04X}) at byte {element_start}",
                    tag.group(),
                    tag.element()
                )));
            }
            elements.push(self.element(tag, encoding, depth)?);
        }
        // Writers are required to write ascending tags (PS3.5 §7.1); a few
        // do not, and lookups binary-search.
        if !elements.is_sorted_by_key(|e| e.tag) {
            elements.sort_by_key(|e| e.tag);
        }
        Ok(elements)
    }

    /// One element after its tag: VR, length and value.
    fn element(
        &mut self,
        tag: Tag,
        encoding: Encoding,
        depth: usize,
    ) -> Result<Element, WalkError> {
        let name = || format!("element ({:04X},{:04X})", tag.group(), tag.element());
        let (mut vr, length) = if encoding.explicit_vr {
            let code = self.take(2, name)?;
            let code = [code[0], code[1]];
            let vr = VR::from_binary(code).ok_or_else(|| {
                WalkError::Malformed(format!(
                    "{} has an invalid VR {:?} at byte {}",
                    name(),
                    String::from_utf8_lossy(&code),
                    self.position - 2
                ))
            })?;
            let length = if has_long_length(vr) {
                self.take(2, name)?; // reserved
                self.u32(encoding.big_endian, name)?
            } else {
                u32::from(self.u16(encoding.big_endian, name)?)
            };
            (vr, length)
        } else {
            (dictionary_vr(tag), self.u32(encoding.big_endian, name)?)
        };
        // UN values are re-read as what the dictionary says they are; their
        // bytes, sequences included, are implicit VR little endian (PS3.5 §6.2.2).
        let was_un = vr == VR::UN;
        if was_un {
            vr = dictionary_vr(tag);
        }
        let inner = if was_un {
            Encoding::IMPLICIT_LE
        } else {
            encoding
        };
        if length == UNDEFINED_LENGTH {
            if vr == VR::SQ || was_un {
                let items = self.items(inner, None, depth)?;
                return Ok(Element {
                    tag,
                    vr: VR::SQ,
                    value: ElementValue::Items(items),
                });
            }
            // Encapsulated fragments outside pixel data: skipped, kept empty.
            let start = self.position;
            self.skip_fragments(encoding, &name)?;
            return Ok(Element {
                tag,
                vr,
                value: ElementValue::Bytes {
                    range: start..start,
                    big_endian: encoding.big_endian,
                },
            });
        }
        let length = length as usize;
        if self.remaining() < length {
            return Err(WalkError::OutOfData(format!(
                "the data ends inside {} (length {length}) at byte {}",
                name(),
                self.position
            )));
        }
        if vr == VR::SQ {
            let end = self.position + length;
            let items = self.items(inner, Some(end), depth)?;
            self.position = end;
            return Ok(Element {
                tag,
                vr,
                value: ElementValue::Items(items),
            });
        }
        let range = self.position..self.position + length;
        self.position += length;
        Ok(Element {
            tag,
            vr,
            value: ElementValue::Bytes {
                range,
                big_endian: inner.big_endian,
            },
        })
    }

    /// The items of a sequence ending at `end`, or at a sequence delimiter.
    fn items(
        &mut self,
        encoding: Encoding,
        end: Option<usize>,
        depth: usize,
    ) -> Result<Vec<Vec<Element>>, WalkError> {
        let mut items = Vec::new();
        loop {
            if end.is_some_and(|end| self.position >= end) {
                break;
            }
            let at = self.position;
            let tag = self.tag(encoding.big_endian)?;
            let length = self.u32(encoding.big_endian, || "an item length".to_string())?;
            match tag {
                SEQUENCE_DELIMITATION => break,
                ITEM if length == UNDEFINED_LENGTH => {
                    items.push(self.elements(encoding, Until::Delimiter, depth + 1)?);
                }
                ITEM => {
                    let item_end = self.position.saturating_add(length as usize);
                    if item_end > self.bytes.len() || end.is_some_and(|end| item_end > end) {
                        return Err(WalkError::OutOfData(format!(
                            "the data ends inside a sequence item (length {length}) at byte {at}"
                        )));
                    }
                    items.push(self.elements(encoding, Until::Offset(item_end), depth + 1)?);
                    self.position = item_end;
                }
                other => {
                    return Err(WalkError::Malformed(format!(
                        "expected a sequence item at byte {at}, found ({:04X},{:04X})",
                        other.group(),
                        other.element()
                    )));
                }
            }
        }
        Ok(items)
    }

    /// Skips encapsulated fragments up to and including the sequence delimiter.
    fn skip_fragments(
        &mut self,
        encoding: Encoding,
        name: &dyn Fn() -> String,
    ) -> Result<(), WalkError> {
        loop {
            let at = self.position;
            let tag = self.tag(encoding.big_endian)?;
            let length = self.u32(encoding.big_endian, name)?;
            match tag {
                SEQUENCE_DELIMITATION => return Ok(()),
                ITEM if length != UNDEFINED_LENGTH => {
                    self.take(length as usize, name)?;
                }
                _ => {
                    return Err(WalkError::Malformed(format!(
                        "{} has a broken fragment at byte {at}",
                        name()
                    )));
                }
            }
        }
    }
}

/// VRs with a 2-byte reserved field and a 4-byte length in explicit VR (PS3.5 Table 7.1-1).
fn has_long_length(vr: VR) -> bool {
    matches!(
        vr,
        VR::OB
            | VR::OD
            | VR::OF
            | VR::OL
            | VR::OV
            | VR::OW
            | VR::SQ
            | VR::SV
            | VR::UC
            | VR::UN
            | VR::UR
            | VR::UT
            | VR::UV
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explicit(tag: Tag, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(tag.group().to_le_bytes());
        out.extend(tag.element().to_le_bytes());
        out.extend(vr);
        if has_long_length(VR::from_binary(*vr).unwrap()) {
            out.extend([0, 0]);
            out.extend((value.len() as u32).to_le_bytes());
        } else {
            out.extend((value.len() as u16).to_le_bytes());
        }
        out.extend(value);
        out
    }

    fn implicit(tag: Tag, length: u32, value: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(tag.group().to_le_bytes());
        out.extend(tag.element().to_le_bytes());
        out.extend(length.to_le_bytes());
        out.extend(value);
        out
    }

    fn bytes_of<'a>(data: &'a [u8], element: &Element) -> &'a [u8] {
        match &element.value {
            ElementValue::Bytes { range, .. } => &data[range.clone()],
            ElementValue::Items(_) => panic!("a sequence"),
        }
    }

    #[test]
    fn stops_before_the_stop_tag_and_keeps_odd_lengths() {
        let mut data = explicit(Tag(0x0008, 0x0060), b"CS", b"CT ");
        data.extend(explicit(Tag(0x0010, 0x0020), b"LO", b"P1"));
        let elements = walk(&data, 0, Encoding::EXPLICIT_LE, Tag(0x0010, 0x0000))
            .unwrap()
            .0;
        assert_eq!(elements.len(), 1);
        assert_eq!(bytes_of(&data, &elements[0]), b"CT ");
    }

    #[test]
    fn undefined_length_private_sequence_in_implicit_vr() {
        // (0009,0010) private creator, then (0009,1001) of undefined length
        // holding one undefined-length item with one element.
        let mut data = implicit(Tag(0x0009, 0x0010), 4, b"ACME");
        data.extend(implicit(Tag(0x0009, 0x1001), UNDEFINED_LENGTH, b""));
        data.extend(implicit(ITEM, UNDEFINED_LENGTH, b""));
        data.extend(implicit(Tag(0x0009, 0x1002), 2, b"42"));
        data.extend(implicit(ITEM_DELIMITATION, 0, b""));
        data.extend(implicit(SEQUENCE_DELIMITATION, 0, b""));
        data.extend(implicit(Tag(0x0010, 0x0020), 2, b"P1"));
        let (elements, _) = walk(&data, 0, Encoding::IMPLICIT_LE, Tag(0x7FE0, 0x0010)).unwrap();
        assert_eq!(elements.len(), 3);
        assert_eq!(elements[0].vr, VR::LO);
        let ElementValue::Items(items) = &elements[1].value else {
            panic!("not a sequence: {:?}", elements[1]);
        };
        assert_eq!(bytes_of(&data, &items[0][0]), b"42");
        assert_eq!(elements[2].vr, VR::LO);
        assert_eq!(bytes_of(&data, &elements[2]), b"P1");
    }

    #[test]
    fn un_values_take_the_dictionary_vr() {
        let data = explicit(Tag(0x0018, 0x0050), b"UN", b"1.25");
        let (elements, _) = walk(&data, 0, Encoding::EXPLICIT_LE, Tag(0x7FE0, 0x0010)).unwrap();
        assert_eq!(elements[0].vr, VR::DS);
    }

    #[test]
    fn corrupt_lengths_never_allocate_or_panic() {
        let mut data = explicit(Tag(0x0008, 0x0060), b"CS", b"CT");
        // A 4 GB declared length on a few bytes.
        data.extend(explicit(Tag(0x0009, 0x1001), b"OB", b""));
        let n = data.len();
        data[n - 4..].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        data.extend([1, 2, 3]);
        assert!(matches!(
            walk(&data, 0, Encoding::EXPLICIT_LE, Tag(0x7FE0, 0x0010)),
            Err(WalkError::OutOfData(_))
        ));
        // Every prefix and every single-byte corruption of a small data set.
        let mut good = explicit(Tag(0x0008, 0x0060), b"CS", b"CT");
        good.extend(explicit(Tag(0x0054, 0x0016), b"SQ", &{
            let mut item = implicit(ITEM, 10, b"");
            item.extend(explicit(Tag(0x0018, 0x1074), b"DS", b"370"));
            item
        }));
        for cut in 0..good.len() {
            let _ = walk(&good[..cut], 0, Encoding::EXPLICIT_LE, Tag(0x7FE0, 0x0010));
        }
        for at in 0..good.len() {
            for byte in [0x00, 0xFF, 0x53, 0x80] {
                let mut bad = good.clone();
                bad[at] = byte;
                let _ = walk(&bad, 0, Encoding::EXPLICIT_LE, Tag(0x7FE0, 0x0010));
                let _ = walk(&bad, 0, Encoding::IMPLICIT_LE, Tag(0x7FE0, 0x0010));
            }
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let mut data = Vec::new();
        for _ in 0..100 {
            data.extend(implicit(Tag(0x0009, 0x1001), UNDEFINED_LENGTH, b""));
            data.extend(implicit(ITEM, UNDEFINED_LENGTH, b""));
        }
        assert!(matches!(
            walk(&data, 0, Encoding::IMPLICIT_LE, Tag(0x7FE0, 0x0010)),
            Err(WalkError::Malformed(m)) if m.contains("nested deeper")
        ));
    }

    #[test]
    fn sniffing_finds_implicit_vr_behind_an_explicit_transfer_syntax() {
        let data = implicit(Tag(0x0008, 0x0060), 2, b"CT");
        assert_eq!(
            sniff_encoding(&data, 0, Encoding::EXPLICIT_LE),
            Encoding::IMPLICIT_LE
        );
        let data = explicit(Tag(0x0008, 0x0060), b"CS", b"CT");
        assert_eq!(
            sniff_encoding(&data, 0, Encoding::IMPLICIT_LE),
            Encoding::EXPLICIT_LE
        );
    }
}
