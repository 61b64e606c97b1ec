//! Which company made the device behind a DICOM Manufacturer value, or which
//! software wrote it: plain Rust over the rule table in
//! `methods/rules/scanner_vendors.toml` (its header says how matching works).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::rule_source::{Result, RuleError};
use serde::Deserialize;

use crate::rule_source::RuleSource;

/// A `[[scanner]]` entry: spellings of one device maker.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorEntry {
    /// The canonical name today.
    vendor: String,
    /// The company that made the device, when another one owns it now.
    original: Option<String>,
    #[serde(default)]
    exact: Vec<String>,
    #[serde(default)]
    prefix: Vec<String>,
    #[serde(default)]
    first_word: Vec<String>,
    #[serde(default)]
    typo_of: Vec<String>,
}

/// A `[[software]]` entry: spellings of software that writes Manufacturer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoftwareEntry {
    name: String,
    #[serde(default)]
    exact: Vec<String>,
    #[serde(default)]
    contains: Vec<String>,
}

/// The `[unknown]` table: placeholders that name no one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnknownEntry {
    exact: Vec<String>,
}

/// What a Manufacturer value names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorKind {
    /// A device maker: the images were acquired on its equipment.
    Scanner,
    /// Software that created or converted the object.
    Software,
    /// A placeholder, or nothing the rules know.
    Unknown,
}

impl VendorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VendorKind::Scanner => "scanner",
            VendorKind::Software => "software",
            VendorKind::Unknown => "unknown",
        }
    }
}

/// What one entry of a rule file resolves to.
#[derive(Debug)]
struct Target {
    kind: VendorKind,
    /// The canonical vendor, or the software's name.
    name: String,
    original: Option<String>,
    /// `name version` of the rule file.
    source: String,
}

/// The result of reading one Manufacturer value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorMatch {
    pub kind: VendorKind,
    /// Canonical vendor (scanners) or software name; `None` when unknown.
    pub name: Option<String>,
    /// The maker of the device, when it is not the canonical vendor.
    pub original: Option<String>,
    /// Which rule decided, and from which rule file and version.
    pub rule: String,
}

/// The merged vendor rules; the first file's entries win.
#[derive(Debug, Default)]
pub struct VendorRules {
    exact: HashMap<String, Arc<Target>>,
    prefixes: Vec<(String, Arc<Target>)>,
    first_words: HashMap<String, Arc<Target>>,
    typos: Vec<(String, Arc<Target>)>,
    software_phrases: Vec<(String, Arc<Target>)>,
    unknown: HashSet<String>,
}

/// Words that end company names and say nothing about the company.
const LEGAL_SUFFIXES: &[&str] = &[
    "INC",
    "INCORPORATED",
    "LTD",
    "LIMITED",
    "CO",
    "COMPANY",
    "CORP",
    "CORPORATION",
    "GMBH",
    "AG",
    "LLC",
    "PLC",
    "SA",
    "SE",
    "SAS",
    "SRL",
    "SPA",
    "BV",
    "NV",
    "KK",
    "AB",
    "OY",
    "PTY",
];

/// A Manufacturer value as the rules compare it: trimmed, upper case, every
/// character but letters, digits and `/` read as a space (quotes, `.`, `,`,
/// `_`, `-`), runs of spaces as one, and legal suffixes (INC, LTD, CO, GMBH,
/// CORPORATION, ...) dropped from the end.
pub fn normalize(raw: &str) -> String {
    let spaced: String = raw
        .to_uppercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '/' {
                c
            } else {
                ' '
            }
        })
        .collect();
    let mut words: Vec<&str> = spaced.split_whitespace().collect();
    while words.len() > 1 && words.last().is_some_and(|w| LEGAL_SUFFIXES.contains(w)) {
        words.pop();
    }
    words.join(" ")
}

/// Whether `a` and `b` differ by at most one insertion, deletion,
/// substitution or swap of neighbours (optimal string alignment distance ≤ 1).
fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b {
        return true;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    match a.len() as isize - b.len() as isize {
        0 => a[1..] == b[1..] || (a.len() >= 2 && a[0] == b[1] && a[1] == b[0] && a[2..] == b[2..]),
        1 => a[1..] == *b,
        -1 => *a == b[1..],
        _ => false,
    }
}

impl VendorRules {
    /// Adds one rule file's entries after those already added.
    pub(crate) fn extend(
        &mut self,
        scanners: Vec<VendorEntry>,
        software: Vec<SoftwareEntry>,
        unknown: Option<UnknownEntry>,
        source: &RuleSource,
    ) -> Result<()> {
        let label = format!("{} {}", source.name, source.version);
        for entry in scanners {
            let target = Arc::new(Target {
                kind: VendorKind::Scanner,
                name: entry.vendor,
                original: entry.original,
                source: label.clone(),
            });
            for spelling in entry.exact {
                self.exact
                    .entry(normalize(&spelling))
                    .or_insert_with(|| Arc::clone(&target));
            }
            for prefix in entry.prefix {
                self.prefixes
                    .push((normalize(&prefix), Arc::clone(&target)));
            }
            for word in entry.first_word {
                self.first_words
                    .entry(normalize(&word))
                    .or_insert_with(|| Arc::clone(&target));
            }
            for name in entry.typo_of {
                let name = normalize(&name);
                if name.chars().count() < 5 {
                    return Err(RuleError(format!(
                        "rule file '{}': typo_of '{name}' is shorter than 5 letters; typos of short names match other words",
                        source.origin
                    )));
                }
                self.typos.push((name, Arc::clone(&target)));
            }
        }
        for entry in software {
            let target = Arc::new(Target {
                kind: VendorKind::Software,
                name: entry.name,
                original: None,
                source: label.clone(),
            });
            for spelling in entry.exact {
                self.exact
                    .entry(normalize(&spelling))
                    .or_insert_with(|| Arc::clone(&target));
            }
            for phrase in entry.contains {
                // Phrases keep a leading space (" LAB" is a word, not "LABS" inside "GLABS").
                let leading = if phrase.starts_with(' ') { " " } else { "" };
                let phrase = format!("{leading}{}", phrase.trim().to_uppercase());
                self.software_phrases.push((phrase, Arc::clone(&target)));
            }
        }
        if let Some(unknown) = unknown {
            self.unknown
                .extend(unknown.exact.iter().map(|s| normalize(s)));
        }
        Ok(())
    }

    /// Reads one Manufacturer value; `None` for NULL.
    pub fn classify(&self, raw: &str) -> VendorMatch {
        let value = normalize(raw);
        if self.unknown.contains(&value) {
            return unknown(format!("placeholder '{value}'"));
        }
        if let Some(target) = self.exact.get(&value) {
            return found(target, format!("exact '{value}'"));
        }
        if let Some((first, _)) = value.split_once('/') {
            let first = normalize(first);
            if let Some(found) = self.scanner(&first) {
                return VendorMatch {
                    rule: format!("before '/': {}", found.rule),
                    ..found
                };
            }
        }
        let padded = format!(" {value}");
        if let Some((phrase, target)) = self
            .software_phrases
            .iter()
            .find(|(phrase, _)| padded.contains(phrase.as_str()))
        {
            return found(target, format!("contains '{}'", phrase.trim()));
        }
        self.scanner(&value)
            .unwrap_or_else(|| unknown("no rule matched".to_string()))
    }

    /// The scanner rules alone: exact, prefix, first word, typo.
    fn scanner(&self, value: &str) -> Option<VendorMatch> {
        let scanner = |target: &Arc<Target>| target.kind == VendorKind::Scanner;
        if let Some(target) = self.exact.get(value).filter(|t| scanner(t)) {
            return Some(found(target, format!("exact '{value}'")));
        }
        if let Some((prefix, target)) = self
            .prefixes
            .iter()
            .find(|(prefix, _)| value == prefix || value.starts_with(&format!("{prefix} ")))
        {
            return Some(found(target, format!("prefix '{prefix}'")));
        }
        let first = value.split(' ').next().unwrap_or_default();
        if let Some(target) = self.first_words.get(first) {
            return Some(found(target, format!("first word '{first}'")));
        }
        if first.chars().count() >= 5
            && let Some((name, target)) = self
                .typos
                .iter()
                .find(|(name, _)| within_one_edit(first, name))
        {
            return Some(found(target, format!("typo of '{name}': '{first}'")));
        }
        None
    }
}

fn found(target: &Target, rule: String) -> VendorMatch {
    VendorMatch {
        kind: target.kind,
        name: Some(target.name.clone()),
        original: target.original.clone(),
        rule: format!("{rule} ({})", target.source),
    }
}

fn unknown(rule: String) -> VendorMatch {
    VendorMatch {
        kind: VendorKind::Unknown,
        name: None,
        original: None,
        rule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule_tables::RuleTables;

    fn vendor(raw: &str) -> (VendorKind, Option<String>) {
        let m = RuleTables::builtin().vendors.classify(raw);
        (m.kind, m.name)
    }

    fn scanner(name: &str) -> (VendorKind, Option<String>) {
        (VendorKind::Scanner, Some(name.to_string()))
    }

    #[test]
    fn normalizes_case_punctuation_quotes_and_legal_suffixes() {
        assert_eq!(normalize("  \"GE Healthcare\" "), "GE HEALTHCARE");
        assert_eq!(normalize("GE_MEDICAL_SYSTEMS"), "GE MEDICAL SYSTEMS");
        assert_eq!(normalize("FUJI PHOTO FILM Co., ltd."), "FUJI PHOTO FILM");
        assert_eq!(normalize("Siemens HealthCare GmbH"), "SIEMENS HEALTHCARE");
        assert_eq!(normalize("Philips / MIMvista"), "PHILIPS / MIMVISTA");
        assert_eq!(normalize("Inc."), "INC");
    }

    #[test]
    fn one_edit() {
        assert!(within_one_edit("SIEMNES", "SIEMENS"));
        assert!(within_one_edit("PHILLIPS", "PHILIPS"));
        assert!(within_one_edit("TOSHBA", "TOSHIBA"));
        assert!(within_one_edit("HOLOGIK", "HOLOGIC"));
        assert!(!within_one_edit("SIEMANNS", "SIEMENS"));
        assert!(!within_one_edit("ROLLEIFLEX", "CARESTREAM"));
    }

    #[test]
    fn every_kind_of_rule() {
        assert_eq!(vendor("GE MEDICAL SYSTEMS"), scanner("GE"));
        assert_eq!(vendor("GE MEDICAL S]STEMS"), scanner("GE"));
        assert_eq!(vendor("GE MEDICAL SYSTEMS / MIM Software"), scanner("GE"));
        assert_eq!(vendor("TOSHIBA_MEC"), scanner("Canon"));
        assert_eq!(vendor("Siemnes Healthineers"), scanner("Siemens"));
        assert_eq!(vendor("Siemens Corporate Research").0, VendorKind::Software);
        assert_eq!(vendor("QIICR").0, VendorKind::Software);
        assert_eq!(
            vendor("Stony Brook University converted by Imaging Data Commons").0,
            VendorKind::Software
        );
        assert_eq!(
            vendor("Rolleiflex, Eastman Kodak"),
            (VendorKind::Unknown, None)
        );
        assert_eq!(vendor("0000000"), (VendorKind::Unknown, None));
        assert_eq!(vendor(""), (VendorKind::Unknown, None));
        let toshiba = RuleTables::builtin().vendors.classify("TOSHIBA");
        assert_eq!(toshiba.original.as_deref(), Some("Toshiba"));
        assert!(
            toshiba
                .rule
                .starts_with("exact 'TOSHIBA' (rwid scanner vendors "),
            "{}",
            toshiba.rule
        );
    }
}
