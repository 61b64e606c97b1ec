//! CT reconstruction-kernel sharpness classes: plain Rust over the rule
//! table in `methods/rules/ct_kernels.toml` (its header gives the sources).

use std::collections::BTreeMap;

use crate::rule_source::{Result, RuleError};
use regex::Regex;
use serde::Deserialize;

use super::vendors::normalize;
use crate::rule_source::RuleSource;

/// A `[[kernel]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelRule {
    vendor: String,
    #[serde(default)]
    exact: BTreeMap<String, String>,
    pattern: Option<String>,
    class: Option<String>,
    #[serde(default)]
    bands: Vec<Band>,
}

/// Numbers up to `up_to` (inclusive) are `class`; no class: unclassified.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Band {
    up_to: Option<u32>,
    class: Option<String>,
}

/// The classes a kernel can be in.
const CLASSES: &[&str] = &["smooth", "medium", "sharp", "special"];

#[derive(Debug)]
enum Matcher {
    Exact(BTreeMap<String, String>),
    Pattern {
        regex: Regex,
        class: Option<String>,
        bands: Vec<Band>,
    },
}

#[derive(Debug)]
struct CompiledRule {
    vendor: String,
    matcher: Matcher,
    source: String,
}

/// A kernel's class and the rule that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelClass {
    /// smooth, medium, sharp or special; `None` when no rule classifies it.
    pub class: Option<String>,
    pub rule: String,
}

/// The merged kernel rules, the first file's first.
#[derive(Debug, Default)]
pub struct KernelRules {
    rules: Vec<CompiledRule>,
}

fn check_class(class: &str, origin: &str) -> Result<()> {
    if CLASSES.contains(&class) {
        Ok(())
    } else {
        Err(RuleError(format!(
            "rule file '{origin}': kernel class '{class}' is not one of {CLASSES:?}"
        )))
    }
}

impl KernelRules {
    pub(crate) fn extend(&mut self, rules: Vec<KernelRule>, source: &RuleSource) -> Result<()> {
        let label = format!("{} {}", source.name, source.version);
        for rule in rules {
            let matcher = match (&rule.pattern, rule.exact.is_empty()) {
                (Some(pattern), true) => {
                    let regex = Regex::new(&format!("(?i){pattern}")).map_err(|e| {
                        RuleError(format!(
                            "rule file '{}': kernel pattern '{pattern}': {e}",
                            source.origin
                        ))
                    })?;
                    for class in rule
                        .class
                        .iter()
                        .chain(rule.bands.iter().flat_map(|b| &b.class))
                    {
                        check_class(class, &source.origin)?;
                    }
                    if rule.class.is_none() && rule.bands.is_empty() {
                        return Err(RuleError(format!(
                            "rule file '{}': kernel pattern '{pattern}' needs a class or bands",
                            source.origin
                        )));
                    }
                    Matcher::Pattern {
                        regex,
                        class: rule.class,
                        bands: rule.bands,
                    }
                }
                (None, false) => {
                    for class in rule.exact.values() {
                        check_class(class, &source.origin)?;
                    }
                    Matcher::Exact(
                        rule.exact
                            .into_iter()
                            .map(|(kernel, class)| (normalize(&kernel), class))
                            .collect(),
                    )
                }
                _ => {
                    return Err(RuleError(format!(
                        "rule file '{}': a kernel rule for {} has either `exact` names or a `pattern`",
                        source.origin, rule.vendor
                    )));
                }
            };
            self.rules.push(CompiledRule {
                vendor: rule.vendor,
                matcher,
                source: label.clone(),
            });
        }
        Ok(())
    }

    /// The class of `kernel` (its first value, before any `\`) on a scanner
    /// of canonical `vendor`.
    pub fn classify(&self, vendor: Option<&str>, kernel: &str) -> KernelClass {
        let kernel = kernel.split('\\').next().unwrap_or_default().trim();
        let Some(vendor) = vendor else {
            return KernelClass {
                class: None,
                rule: "unknown vendor".to_string(),
            };
        };
        if kernel.is_empty() {
            return KernelClass {
                class: None,
                rule: "no kernel".to_string(),
            };
        }
        for rule in self.rules.iter().filter(|r| r.vendor == vendor) {
            let decided = match &rule.matcher {
                Matcher::Exact(names) => names
                    .get(&normalize(kernel))
                    .map(|class| (Some(class.clone()), format!("{vendor} kernel '{kernel}'"))),
                Matcher::Pattern {
                    regex,
                    class,
                    bands,
                } => regex.captures(kernel).map(|captures| {
                    let number = captures.get(1).and_then(|m| m.as_str().parse::<u32>().ok());
                    match (class, number) {
                        (Some(class), _) => (
                            Some(class.clone()),
                            format!("{vendor} pattern '{}'", pattern_text(regex)),
                        ),
                        (None, Some(number)) => (
                            bands
                                .iter()
                                .find(|band| band.up_to.is_none_or(|up_to| number <= up_to))
                                .and_then(|band| band.class.clone()),
                            format!(
                                "{vendor} pattern '{}', number {number}",
                                pattern_text(regex)
                            ),
                        ),
                        (None, None) => (None, format!("{vendor} pattern without a number")),
                    }
                }),
            };
            if let Some((class, rule_text)) = decided {
                return KernelClass {
                    class,
                    rule: format!("{rule_text} ({})", rule.source),
                };
            }
        }
        KernelClass {
            class: None,
            rule: format!("no {vendor} rule for '{kernel}'"),
        }
    }
}

/// A rule's pattern as written (without the case-insensitive flag).
fn pattern_text(regex: &Regex) -> &str {
    regex.as_str().trim_start_matches("(?i)")
}

#[cfg(test)]
mod tests {
    use crate::rule_tables::RuleTables;

    fn class(vendor: &str, kernel: &str) -> Option<String> {
        RuleTables::builtin()
            .kernels
            .classify(Some(vendor), kernel)
            .class
    }

    #[test]
    fn siemens_by_resolution_index() {
        assert_eq!(class("Siemens", "B30f").as_deref(), Some("smooth"));
        assert_eq!(class("Siemens", "B41s").as_deref(), Some("smooth"));
        assert_eq!(class("Siemens", "Br40d\\3").as_deref(), Some("smooth"));
        assert_eq!(class("Siemens", "Br44d").as_deref(), Some("medium"));
        assert_eq!(class("Siemens", "B45f").as_deref(), Some("medium"));
        assert_eq!(class("Siemens", "Bl57d").as_deref(), Some("sharp"));
        assert_eq!(class("Siemens", "B70f").as_deref(), Some("sharp"));
        assert_eq!(class("Siemens", "BR40D").as_deref(), Some("smooth"));
        assert_eq!(class("Siemens", "I26f").as_deref(), Some("smooth"));
        assert_eq!(class("Siemens", "U90u").as_deref(), Some("sharp"));
        assert_eq!(class("Siemens", "Ur77u").as_deref(), Some("sharp"));
        assert_eq!(class("Siemens", "S80f").as_deref(), Some("special"));
        assert_eq!(class("Siemens", "XYZ"), None);
    }

    #[test]
    fn ge_philips_canon_united_imaging() {
        assert_eq!(class("GE", "STANDARD").as_deref(), Some("smooth"));
        assert_eq!(class("GE", "Bone Plus").as_deref(), Some("sharp"));
        assert_eq!(class("GE", "LUNG").as_deref(), Some("sharp"));
        assert_eq!(class("GE", "DETAIL").as_deref(), Some("medium"));
        assert_eq!(class("Philips", "B").as_deref(), Some("smooth"));
        assert_eq!(class("Philips", "C").as_deref(), Some("medium"));
        assert_eq!(class("Philips", "YB").as_deref(), Some("sharp"));
        assert_eq!(class("Canon", "FC13").as_deref(), Some("smooth"));
        assert_eq!(class("Canon", "FC30").as_deref(), Some("medium"));
        assert_eq!(class("Canon", "FC52").as_deref(), Some("sharp"));
        assert_eq!(class("Canon", "FC86").as_deref(), Some("sharp"));
        assert_eq!(class("Canon", "FC19"), None);
        assert_eq!(
            class("United Imaging", "B_SOFT_B").as_deref(),
            Some("smooth")
        );
        assert_eq!(
            class("United Imaging", "L_SHARP_C").as_deref(),
            Some("sharp")
        );
        // A kernel name is read for its own vendor only.
        assert_eq!(class("GE", "B30f"), None);
    }

    #[test]
    fn the_rule_is_named() {
        let rules = RuleTables::builtin();
        let decided = rules.kernels.classify(Some("Siemens"), "Br59d");
        assert_eq!(decided.class.as_deref(), Some("sharp"));
        assert!(decided.rule.contains("number 59"), "{}", decided.rule);
        assert!(
            decided.rule.contains("rwid CT kernels 2026.11.1"),
            "{}",
            decided.rule
        );
        assert_eq!(rules.kernels.classify(None, "B30f").class, None);
        assert_eq!(rules.kernels.classify(Some("GE"), "").rule, "no kernel");
    }
}
