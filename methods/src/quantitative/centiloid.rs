//! Centiloid equations as plain Rust over the rule table in
//! `methods/rules/centiloid.toml` (its header gives the sources and the form).

use crate::rule_source::{Result, RuleError};
use serde::Deserialize;

use crate::rule_source::RuleSource;

/// An `[[equation]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquationEntry {
    id: String,
    tracer: Vec<String>,
    pipeline: String,
    reference_region: String,
    slope: Option<f64>,
    intercept: Option<f64>,
    anchors: Option<[f64; 2]>,
    source: String,
}

/// One equation: CL = slope × SUVR + intercept.
#[derive(Debug, Clone, PartialEq)]
pub struct CentiloidEquation {
    pub id: String,
    pub tracers: Vec<String>,
    pub pipeline: String,
    pub reference_region: String,
    pub slope: f64,
    pub intercept: f64,
    pub source: String,
    /// `name version` of the rule file.
    pub rules: String,
}

impl CentiloidEquation {
    pub fn centiloid(&self, suvr: f64) -> f64 {
        self.slope * suvr + self.intercept
    }
}

/// A tracer or pipeline name as compared: lower case, without spaces,
/// hyphens, underscores, brackets or an isotope prefix (`18F-`, `[11C]`).
fn key(name: &str) -> String {
    let compact: String = name
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '[' | ']'))
        .collect();
    ["18f", "11c"]
        .iter()
        .find_map(|isotope| compact.strip_prefix(isotope))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(&compact)
        .to_string()
}

/// The merged equations, the first file's first.
#[derive(Debug, Default)]
pub struct CentiloidRules {
    equations: Vec<CentiloidEquation>,
}

impl CentiloidRules {
    pub fn extend(&mut self, entries: Vec<EquationEntry>, source: &RuleSource) -> Result<()> {
        for entry in entries {
            let invalid = |why: &str| {
                RuleError(format!(
                    "rule file '{}': Centiloid equation '{}' {why}",
                    source.origin, entry.id
                ))
            };
            let (slope, intercept) = match (entry.slope, entry.intercept, entry.anchors) {
                (Some(slope), Some(intercept), None) => (slope, intercept),
                (None, None, Some([young, ad])) if ad > young => {
                    let slope = 100.0 / (ad - young);
                    (slope, -slope * young)
                }
                (None, None, Some(_)) => {
                    return Err(invalid(
                        "needs anchors [YC-0, AD-100] with AD-100 above YC-0",
                    ));
                }
                _ => return Err(invalid("needs either slope and intercept, or anchors")),
            };
            if entry.tracer.is_empty() {
                return Err(invalid("names no tracer"));
            }
            self.equations.push(CentiloidEquation {
                id: entry.id,
                tracers: entry.tracer,
                pipeline: entry.pipeline,
                reference_region: entry.reference_region,
                slope,
                intercept,
                source: entry.source,
                rules: format!("{} {}", source.name, source.version),
            });
        }
        Ok(())
    }

    /// The equation for `tracer` and `pipeline` (default `standard`); the
    /// error lists what is known, so no SUVR is converted with the wrong one.
    pub fn find(&self, tracer: &str, pipeline: Option<&str>) -> Result<&CentiloidEquation, String> {
        let tracer_key = key(tracer);
        let pipeline = pipeline.unwrap_or("standard");
        let pipeline_key = key(pipeline);
        let for_tracer: Vec<&CentiloidEquation> = self
            .equations
            .iter()
            .filter(|e| e.tracers.iter().any(|t| key(t) == tracer_key))
            .collect();
        if for_tracer.is_empty() {
            let mut known: Vec<&str> = self
                .equations
                .iter()
                .map(|e| e.tracers[0].as_str())
                .collect();
            known.dedup();
            return Err(format!(
                "no Centiloid equation for tracer '{tracer}'; known tracers: {}",
                known.join(", ")
            ));
        }
        for_tracer
            .iter()
            .find(|e| key(&e.pipeline) == pipeline_key)
            .copied()
            .ok_or_else(|| {
                format!(
                    "no Centiloid equation for tracer '{tracer}' with pipeline '{pipeline}'; known pipelines: {}",
                    for_tracer
                        .iter()
                        .map(|e| e.pipeline.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use crate::rule_tables::RuleTables;

    fn cl(suvr: f64, tracer: &str, pipeline: Option<&str>) -> f64 {
        RuleTables::builtin()
            .centiloid
            .find(tracer, pipeline)
            .unwrap()
            .centiloid(suvr)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// Every equation of the table, at an SUVR where its paper's equation
    /// is easy to check by hand.
    #[test]
    fn every_equation() {
        // PiB anchors: YC-0 is 0 CL, AD-100 is 100 CL.
        assert!(close(cl(1.009, "PiB", None), 0.0));
        assert!(close(cl(2.076, "11C-PiB", None), 100.0));
        assert!(close(cl(1.5, "PIB", None), 100.0 * (1.5 - 1.009) / 1.067));
        assert!(close(cl(1.2, "florbetapir", None), 175.4 * 1.2 - 182.3));
        assert!(close(
            cl(1.2, "18F-AV-45", Some("avid")),
            183.07 * 1.2 - 177.26
        ));
        assert!(close(
            cl(1.2, "Amyvid", Some("Berkeley")),
            188.22 * 1.2 - 189.16
        ));
        assert!(close(cl(1.3, "florbetaben", None), 153.4 * 1.3 - 154.9));
        assert!(close(
            cl(1.3, "FBB", Some("berkeley")),
            157.15 * 1.3 - 151.87
        ));
        assert!(close(
            cl(1.3, "Neuraceq", Some("AVID")),
            156.06 * 1.3 - 148.13
        ));
        assert!(close(cl(1.3, "FBB", Some("dcCL")), 151.42 * 1.3 - 142.24));
        assert!(close(cl(1.4, "flutemetamol", None), 121.42 * 1.4 - 121.16));
        assert!(close(
            cl(1.4, "Vizamyl", Some("PMOD")),
            115.24 * 1.4 - 107.86
        ));
        assert!(close(cl(1.4, "FMM", Some("fsl")), 120.32 * 1.4 - 112.75));
        assert!(close(cl(1.4, "FMM", Some("dccl")), 148.52 * 1.4 - 137.09));
        assert!(close(
            cl(1.5, "NAV4694", None),
            100.0 * (1.5 - 1.028) / 1.174
        ));
        // Negative Centiloids are legitimate: no clamping.
        assert!(cl(1.0, "PiB", None) < 0.0);
    }

    #[test]
    fn unknown_tracers_and_pipelines_are_errors() {
        let rules = RuleTables::builtin();
        let error = rules.centiloid.find("FDG", None).unwrap_err();
        assert!(
            error.contains("no Centiloid equation for tracer 'FDG'"),
            "{error}"
        );
        let error = rules
            .centiloid
            .find("florbetapir", Some("spm12"))
            .unwrap_err();
        assert!(
            error.contains("known pipelines: standard, avid, berkeley"),
            "{error}"
        );
    }
}
