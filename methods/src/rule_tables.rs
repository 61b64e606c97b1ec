//! The rule tables harmonization and the quantitative methods read, from
//! versioned TOML files: the ones shipped in `methods/rules/` and any the
//! user adds (`rwid --rules FILE`), whose entries are tried before the
//! shipped ones.

use std::sync::Arc;

use serde::Deserialize;

use crate::harmonize::body_parts::{BodyPartEntry, BodyPartRules};
use crate::harmonize::kernels::{KernelRule, KernelRules};
use crate::harmonize::vendors::{SoftwareEntry, UnknownEntry, VendorEntry, VendorRules};
use crate::quantitative::centiloid::{CentiloidRules, EquationEntry};
use crate::rule_source::{Result, RuleError, RuleSource};

/// The shipped scanner vendor rules.
const SCANNER_VENDORS: &str = include_str!("../rules/scanner_vendors.toml");
/// The shipped CT reconstruction-kernel rules.
const CT_KERNELS: &str = include_str!("../rules/ct_kernels.toml");
/// The shipped Centiloid equations.
const CENTILOID: &str = include_str!("../rules/centiloid.toml");
/// The shipped Body Part Examined terms (DICOM PS3.16 Annex L).
const BODY_PARTS: &str = include_str!("../rules/body_parts.toml");
/// Every shipped rule file, in the order they are tried.
const SHIPPED: [&str; 4] = [SCANNER_VENDORS, CT_KERNELS, CENTILOID, BODY_PARTS];

/// One rule file as written: a name, a version, and entries of any kind.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    name: String,
    version: String,
    #[serde(default)]
    scanner: Vec<VendorEntry>,
    #[serde(default)]
    software: Vec<SoftwareEntry>,
    #[serde(default)]
    unknown: Option<UnknownEntry>,
    #[serde(default)]
    kernel: Vec<KernelRule>,
    #[serde(default)]
    equation: Vec<EquationEntry>,
    #[serde(default)]
    body_part: Vec<BodyPartEntry>,
}

/// Every rule table harmonization and the quantitative methods use,
/// merged from the shipped files and the user's.
#[derive(Debug)]
pub struct RuleTables {
    pub vendors: VendorRules,
    pub kernels: KernelRules,
    pub centiloid: CentiloidRules,
    pub body_parts: BodyPartRules,
    /// User files first, then the shipped ones.
    pub sources: Vec<RuleSource>,
}

impl RuleTables {
    /// The rules shipped with rwid.
    pub fn builtin() -> Arc<Self> {
        static BUILTIN: std::sync::LazyLock<Arc<RuleTables>> = std::sync::LazyLock::new(|| {
            let shipped: Vec<(&str, &str)> =
                SHIPPED.iter().map(|text| (*text, "builtin")).collect();
            Arc::new(RuleTables::from_texts(&shipped).expect("the shipped rule files parse"))
        });
        Arc::clone(&BUILTIN)
    }

    /// The shipped rules with the user's files in front of them.
    pub fn with_files(paths: &[std::path::PathBuf]) -> Result<Arc<Self>> {
        if paths.is_empty() {
            return Ok(Self::builtin());
        }
        let texts = paths
            .iter()
            .map(|path| {
                std::fs::read_to_string(path)
                    .map(|text| (text, path.display().to_string()))
                    .map_err(|e| {
                        RuleError(format!("cannot read rule file '{}': {e}", path.display()))
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut all: Vec<(&str, &str)> = texts
            .iter()
            .map(|(text, origin)| (text.as_str(), origin.as_str()))
            .collect();
        all.extend(SHIPPED.iter().map(|text| (*text, "builtin")));
        Ok(Arc::new(Self::from_texts(&all)?))
    }

    /// Rules from `(text, origin)` pairs, earlier ones tried first.
    fn from_texts(texts: &[(&str, &str)]) -> Result<Self> {
        let mut vendors = VendorRules::default();
        let mut kernels = KernelRules::default();
        let mut centiloid = CentiloidRules::default();
        let mut body_parts = BodyPartRules::default();
        let mut sources = Vec::new();
        for (text, origin) in texts {
            let file: RuleFile = toml::from_str(text)
                .map_err(|e| RuleError(format!("rule file '{origin}' is not valid: {e}")))?;
            let source = RuleSource {
                name: file.name,
                version: file.version,
                origin: origin.to_string(),
            };
            vendors.extend(file.scanner, file.software, file.unknown, &source)?;
            kernels.extend(file.kernel, &source)?;
            centiloid.extend(file.equation, &source)?;
            body_parts.extend(file.body_part, &source)?;
            sources.push(source);
        }
        Ok(Self {
            vendors,
            kernels,
            centiloid,
            body_parts,
            sources,
        })
    }

    /// The versions in use, as one line: `name version (origin); ...`.
    pub fn version(&self) -> String {
        self.sources
            .iter()
            .map(|s| format!("{} {} ({})", s.name, s.version, s.origin))
            .collect::<Vec<_>>()
            .join("; ")
    }
}
