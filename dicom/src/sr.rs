//! Measurements out of DICOM SR measurement reports (PS3.16 TID 1500
//! "Measurement Report"), as plain Rust over a parsed header.
//!
//! A TID 1500 report holds, under "Imaging Measurements" (DCM 126010), one
//! "Measurement Group" container (DCM 125007) per finding: TID 1410 (planar
//! ROI), 1411 (volumetric ROI) or 1501 (measurements on whole images). Each
//! group carries a Tracking Identifier (DCM 112039) and Tracking Unique
//! Identifier (DCM 112040) that follow one lesion across reports, a Finding
//! (DCM 121071), Finding Sites (SCT 363698007), and NUM items: the
//! measurements, each with a concept name (SCT 103339001 "Long axis", ...),
//! a value and UCUM units. The images measured on are IMAGE items under the
//! region or the measurement; their series come from the report's evidence
//! sequences. Everything is read by code value, so reports from any writer
//! (highdicom, dcmqi, vendor viewers) read the same way.

use std::collections::HashMap;

use dicom_core::Tag;
use dicom_dictionary_std::tags;

use super::dataset::{Element, ElementValue};
use super::header::DicomHeader;
use super::values::trim_padding;

/// A coded concept: (code value, coding scheme, meaning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    pub value: String,
    pub scheme: String,
    pub meaning: String,
}

impl Code {
    fn is(&self, scheme: &str, value: &str) -> bool {
        self.scheme == scheme && self.value == value
    }

    /// `SCHEME:VALUE`, the compact form the columns use.
    pub fn key(&self) -> String {
        format!("{}:{}", self.scheme, self.value)
    }
}

/// One numeric measurement of a measurement group.
#[derive(Debug, Clone, PartialEq)]
pub struct SrMeasurement {
    /// 1-based position of the measurement group in the report.
    pub group: u32,
    pub tracking_identifier: Option<String>,
    pub tracking_uid: Option<String>,
    pub finding: Option<Code>,
    pub finding_site: Option<Code>,
    /// What was measured: Long axis, Short axis, Volume, SUVmax...
    pub name: Code,
    pub value: Option<f64>,
    /// UCUM code of the units (`mm`, `mm3`, `{SUVbw}g/ml`).
    pub units: Option<String>,
    pub referenced_sop_instance_uid: Option<String>,
    pub referenced_series_instance_uid: Option<String>,
}

// Concept names (PS3.16 DCM, SCT) the report is read by.
const MEASUREMENT_GROUP: (&str, &str) = ("DCM", "125007");
const TRACKING_IDENTIFIER: (&str, &str) = ("DCM", "112039");
const TRACKING_UID: (&str, &str) = ("DCM", "112040");
const FINDING: (&str, &str) = ("DCM", "121071");
const FINDING_SITE: [(&str, &str); 2] = [("SCT", "363698007"), ("SRT", "G-C0E3")];

/// The element with `tag` in a data set or item.
fn find(elements: &[Element], tag: Tag) -> Option<&Element> {
    elements.iter().find(|e| e.tag == tag)
}

/// The items of the sequence `tag`, empty when absent.
fn items(elements: &[Element], tag: Tag) -> &[Vec<Element>] {
    match find(elements, tag).map(|e| &e.value) {
        Some(ElementValue::Items(items)) => items,
        _ => &[],
    }
}

impl DicomHeader {
    /// A text value, trimmed; `None` when absent or empty.
    fn text_of(&self, elements: &[Element], tag: Tag) -> Option<String> {
        let text = self.text(find(elements, tag)?)?;
        let text = trim_padding(&text);
        (!text.is_empty()).then(|| text.to_string())
    }

    /// A top-level text value, trimmed; `None` when absent or empty.
    pub fn top_level_text(&self, tag: Tag) -> Option<String> {
        self.text_of(self.elements(), tag)
    }

    /// The first item of a code sequence as a code.
    fn code_of(&self, elements: &[Element], sequence: Tag) -> Option<Code> {
        let item = items(elements, sequence).first()?;
        Some(Code {
            value: self
                .text_of(item, tags::CODE_VALUE)
                .or_else(|| self.text_of(item, tags::LONG_CODE_VALUE))
                .or_else(|| self.text_of(item, tags::URN_CODE_VALUE))?,
            scheme: self
                .text_of(item, tags::CODING_SCHEME_DESIGNATOR)
                .unwrap_or_default(),
            meaning: self.text_of(item, tags::CODE_MEANING).unwrap_or_default(),
        })
    }

    /// Every numeric measurement of every measurement group in a TID 1500
    /// report; empty for other objects.
    pub fn sr_measurements(&self) -> Vec<SrMeasurement> {
        let series_of = self.evidence_series();
        let mut groups = Vec::new();
        collect_groups(self, self.elements(), &mut groups);
        let mut measurements = Vec::new();
        for (index, group) in groups.into_iter().enumerate() {
            self.group_measurements(index as u32 + 1, group, &series_of, &mut measurements);
        }
        measurements
    }

    fn group_measurements(
        &self,
        group: u32,
        container: &[Element],
        series_of: &HashMap<String, String>,
        out: &mut Vec<SrMeasurement>,
    ) {
        let content = items(container, tags::CONTENT_SEQUENCE);
        let concept = |item: &[Element]| self.code_of(item, tags::CONCEPT_NAME_CODE_SEQUENCE);
        let item_with = |name: (&str, &str)| {
            content
                .iter()
                .find(|item| concept(item).is_some_and(|c| c.is(name.0, name.1)))
        };
        let tracking_identifier =
            item_with(TRACKING_IDENTIFIER).and_then(|item| self.text_of(item, tags::TEXT_VALUE));
        let tracking_uid = item_with(TRACKING_UID).and_then(|item| self.text_of(item, tags::UID));
        let finding =
            item_with(FINDING).and_then(|item| self.code_of(item, tags::CONCEPT_CODE_SEQUENCE));
        let finding_site = FINDING_SITE
            .iter()
            .find_map(|name| item_with(*name))
            .and_then(|item| self.code_of(item, tags::CONCEPT_CODE_SEQUENCE));
        // The image the group's region was drawn on, for measurements that
        // do not name their own.
        let group_image = content.iter().find_map(|item| self.first_image(item));
        for item in content {
            if self.text_of(item, tags::VALUE_TYPE).as_deref() != Some("NUM") {
                continue;
            }
            let Some(name) = concept(item) else { continue };
            let measured = items(item, tags::MEASURED_VALUE_SEQUENCE).first();
            let value = measured
                .and_then(|m| self.text_of(m, tags::NUMERIC_VALUE))
                .and_then(|text| text.split('\\').next()?.trim().parse::<f64>().ok());
            let units = measured
                .and_then(|m| self.code_of(m, tags::MEASUREMENT_UNITS_CODE_SEQUENCE))
                .map(|code| code.value);
            let image = items(item, tags::CONTENT_SEQUENCE)
                .iter()
                .find_map(|child| self.first_image(child))
                .or_else(|| group_image.clone());
            out.push(SrMeasurement {
                group,
                tracking_identifier: tracking_identifier.clone(),
                tracking_uid: tracking_uid.clone(),
                finding: finding.clone(),
                finding_site: finding_site.clone(),
                name,
                value,
                units,
                referenced_series_instance_uid: image
                    .as_ref()
                    .and_then(|uid| series_of.get(uid).cloned()),
                referenced_sop_instance_uid: image,
            });
        }
    }

    /// The SOP instance of the first IMAGE item in a content item's
    /// subtree (an IMAGE itself, or under a SCOORD region).
    fn first_image(&self, item: &[Element]) -> Option<String> {
        if self.text_of(item, tags::VALUE_TYPE).as_deref() == Some("IMAGE")
            && let Some(reference) = items(item, tags::REFERENCED_SOP_SEQUENCE).first()
        {
            return self.text_of(reference, tags::REFERENCED_SOP_INSTANCE_UID);
        }
        items(item, tags::CONTENT_SEQUENCE)
            .iter()
            .find_map(|child| self.first_image(child))
    }

    /// SOP instance to series, from the report's evidence sequences.
    fn evidence_series(&self) -> HashMap<String, String> {
        let mut series_of = HashMap::new();
        for evidence in [
            tags::CURRENT_REQUESTED_PROCEDURE_EVIDENCE_SEQUENCE,
            tags::PERTINENT_OTHER_EVIDENCE_SEQUENCE,
        ] {
            for study in items(self.elements(), evidence) {
                for series in items(study, tags::REFERENCED_SERIES_SEQUENCE) {
                    let Some(series_uid) = self.text_of(series, tags::SERIES_INSTANCE_UID) else {
                        continue;
                    };
                    for instance in items(series, tags::REFERENCED_SOP_SEQUENCE) {
                        if let Some(uid) = self.text_of(instance, tags::REFERENCED_SOP_INSTANCE_UID)
                        {
                            series_of.insert(uid, series_uid.clone());
                        }
                    }
                }
            }
        }
        series_of
    }
}

/// Measurement group containers anywhere under a content tree, in order.
fn collect_groups<'a>(header: &DicomHeader, elements: &'a [Element], out: &mut Vec<&'a [Element]>) {
    for item in items(elements, tags::CONTENT_SEQUENCE) {
        let is_group = header.text_of(item, tags::VALUE_TYPE).as_deref() == Some("CONTAINER")
            && header
                .code_of(item, tags::CONCEPT_NAME_CODE_SEQUENCE)
                .is_some_and(|c| c.is(MEASUREMENT_GROUP.0, MEASUREMENT_GROUP.1));
        if is_group {
            out.push(item);
        } else {
            collect_groups(header, item, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> DicomHeader {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/dicom/sr")
            .join(name);
        DicomHeader::parse(std::fs::read(path).unwrap(), tags::PIXEL_DATA, true).unwrap()
    }

    /// The highdicom-written baseline report of patient SR-P1 (see
    /// tests/python/make_sr_fixtures.py): two non-nodal lesions by long
    /// axis and a node by short axis, each tracked and located.
    #[test]
    fn reads_a_tid_1500_report() {
        let measurements = fixture("SR-P1_tp0.dcm").sr_measurements();
        let summary: Vec<(u32, &str, &str, &str, f64, &str)> = measurements
            .iter()
            .map(|m| {
                (
                    m.group,
                    m.tracking_identifier.as_deref().unwrap(),
                    m.finding_site.as_ref().unwrap().meaning.as_str(),
                    m.name.meaning.as_str(),
                    m.value.unwrap(),
                    m.units.as_deref().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (1, "T1", "Lung", "Long axis", 32.0, "mm"),
                (2, "T2", "Liver", "Long axis", 21.5, "mm"),
                (3, "N1", "Lymph Node", "Short axis", 17.0, "mm"),
            ]
        );
        let first = &measurements[0];
        assert_eq!(first.name.key(), "SCT:103339001");
        assert_eq!(first.finding.as_ref().unwrap().key(), "SCT:52988006");
        assert_eq!(
            first.tracking_uid.as_deref(),
            Some("1.2.826.0.1.3680043.10.1386.9.1.7.1")
        );
        assert_eq!(
            first.referenced_sop_instance_uid.as_deref(),
            Some("1.2.826.0.1.3680043.10.1386.9.1.0.2.1")
        );
        assert_eq!(
            first.referenced_series_instance_uid.as_deref(),
            Some("1.2.826.0.1.3680043.10.1386.9.1.0.2")
        );
    }

    #[test]
    fn other_objects_have_no_measurements() {
        let ct = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/dicom/encodings/explicit_little.dcm");
        let header = DicomHeader::parse(std::fs::read(ct).unwrap(), tags::PIXEL_DATA, true);
        assert!(header.unwrap().sr_measurements().is_empty());
    }
}
