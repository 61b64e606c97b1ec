//! `scanner_vendor` and `scanner_vendor_details`: the canonical vendor of a
//! DICOM Manufacturer value, and how it was decided.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringArray, StructArray};
use datafusion::arrow::datatypes::{DataType, Fields};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::args::{is_text, text_argument, text_fields};
use crate::same_rules_same_function;
use rwid_methods::harmonize::vendors::VendorMatch;
use rwid_methods::rule_tables::RuleTables;

#[user_doc(
    doc_section(label = "Harmonization Functions"),
    description = "The canonical vendor of the device that acquired an image, from its DICOM \
Manufacturer (0008,0070): GE, Siemens, Philips, Canon (including Toshiba), Fujifilm (including \
Hitachi), United Imaging, Hologic, Carestream (including Kodak), Agfa, Varian, Elekta and others, \
whatever the spelling (case, punctuation, quotes, legal suffixes such as Inc. or GmbH, software \
appended after a `/`, one-letter typos of a vendor's name). NULL when the value names software \
that wrote a derived object or converted it (QIICR, highdicom, pydicom-seg, PixelMed, converters \
of Imaging Data Commons, MIM), a placeholder, or nothing the rules know: unknown stays unknown, \
never a wrong vendor. The rules are the versioned table `methods/rules/scanner_vendors.toml` (from \
GDCM's gdcmEquipmentManufacturer.cxx, dcm2niix and the Manufacturer values of Imaging Data \
Commons), extended with `rwid --rules FILE`; `scanner_vendor_details` says which rule decided. \
When Manufacturer is empty, a vendor's private creator names it too (`GEMS_IDEN_01`, `SIEMENS CSA \
HEADER`, `Philips Imaging DD 001`, `TOSHIBA_MEC_CT3`): read it with `read_dicom`'s extra \
attributes (`'(0009,0010), (0029,0010), (2001,0010), (7005,0010)'`, columns `tag_00090010`...) \
and take `coalesce(scanner_vendor(Manufacturer), scanner_vendor(tag_00090010), ...)`.",
    syntax_example = "scanner_vendor(manufacturer)",
    sql_example = r#"```sql
> SELECT scanner_vendor('GE MEDICAL SYSTEMS') AS a, scanner_vendor('"GE Healthcare"') AS b, scanner_vendor('TOSHIBA_MEC') AS c, scanner_vendor('Siemens HealthCare GmbH') AS d, scanner_vendor('QIICR') AS e;
+----+----+-------+---------+---+
| a  | b  | c     | d       | e |
+----+----+-------+---------+---+
| GE | GE | Canon | Siemens |   |
+----+----+-------+---------+---+
```"#,
    argument(name = "manufacturer", description = "The DICOM Manufacturer value.")
)]
#[derive(Debug)]
pub struct ScannerVendor {
    signature: Signature,
    rules: Arc<RuleTables>,
}

#[user_doc(
    doc_section(label = "Harmonization Functions"),
    description = "How `scanner_vendor` reads a DICOM Manufacturer value, as a struct: `vendor` \
(the canonical vendor of a scanner, else NULL), `original` (the company that made the device when \
another one owns it now: Toshiba for Canon, Hitachi for Fujifilm, Picker or ADAC for Philips, Kodak \
for Carestream), `kind` (`scanner`, `software` or `unknown`), `name` (the vendor or the software \
that wrote the object), `rule` (which rule decided, with the rule file's name and version), and \
`normalized` (the value as the rules compare it).",
    syntax_example = "scanner_vendor_details(manufacturer)",
    sql_example = r#"```sql
> SELECT scanner_vendor_details('Toshiba')['original'] AS original, scanner_vendor_details('pydicom-seg')['kind'] AS kind, scanner_vendor_details('Philips / MIMvista')['rule'] AS rule;
+----------+----------+--------------------------------------------------------------+
| original | kind     | rule                                                         |
+----------+----------+--------------------------------------------------------------+
| Toshiba  | software | before '/': exact 'PHILIPS' (rwid scanner vendors 2026.11.2) |
+----------+----------+--------------------------------------------------------------+
```"#,
    argument(name = "manufacturer", description = "The DICOM Manufacturer value.")
)]
#[derive(Debug)]
pub struct ScannerVendorDetails {
    signature: Signature,
    rules: Arc<RuleTables>,
}

impl ScannerVendor {
    pub fn new(rules: Arc<RuleTables>) -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
            rules,
        }
    }
}

impl ScannerVendorDetails {
    pub fn new(rules: Arc<RuleTables>) -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
            rules,
        }
    }
}

fn one_text_argument(name: &str, arg_types: &[DataType]) -> Result<()> {
    match arg_types {
        [t] if is_text(t) => Ok(()),
        _ => plan_err!("{name} takes one text argument (manufacturer), got {arg_types:?}"),
    }
}

/// Reads every row's Manufacturer; `None` for NULL rows. Returns the
/// values read too, and whether the argument was a scalar.
fn classify_rows(
    rules: &RuleTables,
    args: &ScalarFunctionArgs,
) -> Result<(StringArray, Vec<Option<VendorMatch>>, bool)> {
    let (rows, all_scalars) = crate::args::rows_to_compute(&args.args, args.number_rows);
    let values = text_argument(&args.args[0], rows)?;
    // Archives hold few distinct spellings: each is read once per batch.
    let mut seen: std::collections::HashMap<&str, VendorMatch> = std::collections::HashMap::new();
    let matches = values
        .iter()
        .map(|value| {
            value.map(|v| {
                seen.entry(v)
                    .or_insert_with(|| rules.vendors.classify(v))
                    .clone()
            })
        })
        .collect();
    Ok((values, matches, all_scalars))
}

same_rules_same_function!(ScannerVendor, ScannerVendorDetails);

impl ScalarUDFImpl for ScannerVendor {
    fn name(&self) -> &str {
        "scanner_vendor"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        one_text_argument(self.name(), arg_types)?;
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (_, matches, all_scalars) = classify_rows(&self.rules, &args)?;
        let vendors: StringArray = matches
            .into_iter()
            .map(|m| {
                m.filter(|m| m.kind == rwid_methods::harmonize::vendors::VendorKind::Scanner)
                    .and_then(|m| m.name)
            })
            .collect();
        crate::args::columnar(Arc::new(vendors), all_scalars)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

fn details_fields() -> Fields {
    text_fields(&["vendor", "original", "kind", "name", "rule", "normalized"])
}

impl ScalarUDFImpl for ScannerVendorDetails {
    fn name(&self) -> &str {
        "scanner_vendor_details"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        one_text_argument(self.name(), arg_types)?;
        Ok(DataType::Struct(details_fields()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        use rwid_methods::harmonize::vendors::{VendorKind, normalize};
        let (raw, matches, all_scalars) = classify_rows(&self.rules, &args)?;
        let column = |f: &dyn Fn(&VendorMatch) -> Option<String>| -> ArrayRef {
            Arc::new(
                matches
                    .iter()
                    .map(|m| m.as_ref().and_then(f))
                    .collect::<StringArray>(),
            )
        };
        let columns = vec![
            column(&|m| {
                (m.kind == VendorKind::Scanner)
                    .then(|| m.name.clone())
                    .flatten()
            }),
            column(&|m| m.original.clone()),
            column(&|m| Some(m.kind.as_str().to_string())),
            column(&|m| m.name.clone()),
            column(&|m| Some(m.rule.clone())),
            Arc::new(
                raw.iter()
                    .map(|v| v.map(normalize))
                    .collect::<StringArray>(),
            ),
        ];
        let nulls = datafusion::arrow::buffer::NullBuffer::from(
            matches.iter().map(Option::is_some).collect::<Vec<bool>>(),
        );
        let array = StructArray::try_new(details_fields(), columns, Some(nulls))?;
        crate::args::columnar(Arc::new(array), all_scalars)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
