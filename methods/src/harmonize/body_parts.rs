//! DICOM Body Part Examined (0018,0015) to the SNOMED CT code of the
//! anatomic region it names (DICOM PS3.16 Annex L, Table L-1), from the
//! rule file `methods/rules/body_parts.toml` and any the user adds.

use std::collections::HashMap;

use crate::rule_source::{Result, RuleError};
use serde::Deserialize;

use crate::rule_source::RuleSource;

/// One `[[body_part]]` entry of a rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyPartEntry {
    /// The defined term (`CHEST`, `ABDOMENPELVIS`...).
    pub term: String,
    /// SNOMED CT concept code of the anatomic region.
    pub code: String,
    /// SNOMED CT's name for it.
    pub meaning: String,
}

/// A body part's anatomic region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnatomicRegion {
    pub code: String,
    pub meaning: String,
    /// The term matched and the rule file (name and version) it came from.
    pub rule: String,
}

/// The terms of every rule file, the first file's entry winning.
#[derive(Debug, Default)]
pub struct BodyPartRules {
    regions: HashMap<String, AnatomicRegion>,
}

/// A Body Part Examined value as the defined terms are written: upper case,
/// without spaces or punctuation (archives write `Chest`, `ABDOMEN PELVIS`,
/// `chest_abdomen`).
pub fn normalize_body_part(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

impl BodyPartRules {
    pub fn extend(&mut self, entries: Vec<BodyPartEntry>, source: &RuleSource) -> Result<()> {
        for entry in entries {
            let term = normalize_body_part(&entry.term);
            if term.is_empty() || entry.code.trim().is_empty() {
                return Err(RuleError(format!(
                    "rule file '{}': body part entry '{}' needs a term and a SNOMED CT code",
                    source.origin, entry.term
                )));
            }
            self.regions.entry(term.clone()).or_insert(AnatomicRegion {
                code: entry.code.trim().to_string(),
                meaning: entry.meaning,
                rule: format!("term '{term}' ({} {})", source.name, source.version),
            });
        }
        Ok(())
    }

    /// The anatomic region a Body Part Examined value names; `None` for a
    /// value that is not a known term.
    pub fn region(&self, body_part: &str) -> Option<&AnatomicRegion> {
        self.regions.get(&normalize_body_part(body_part))
    }
}

#[cfg(test)]
mod tests {
    use crate::rule_tables::RuleTables;

    #[test]
    fn defined_terms_and_real_world_spellings() {
        let rules = RuleTables::builtin();
        let code = |value: &str| rules.body_parts.region(value).map(|r| r.code.as_str());
        // PS3.16 Table L-1.
        assert_eq!(code("CHEST"), Some("816094009"));
        assert_eq!(code("ABDOMEN"), Some("818981001"));
        assert_eq!(code("BRAIN"), Some("12738006"));
        // Spellings archives write.
        assert_eq!(code("Chest "), Some("816094009"));
        assert_eq!(code("abdomen pelvis"), code("ABDOMENPELVIS"));
        assert!(code("ABDOMENPELVIS").is_some());
        assert_eq!(code("NOT A BODY PART"), None);
        assert_eq!(code(""), None);
        let region = rules.body_parts.region("LUNG").unwrap();
        assert_eq!(region.meaning, "Lung");
        assert!(
            region.rule.starts_with("term 'LUNG' (rwid body parts"),
            "{region:?}"
        );
    }
}
