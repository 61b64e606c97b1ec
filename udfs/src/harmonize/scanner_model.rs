//! `scanner_model`: a scanner model name as one spelling.

use std::sync::Arc;

use datafusion::arrow::array::StringArray;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::args::{is_text, text_argument};
use crate::same_rules_same_function;
use rwid_methods::harmonize::vendors::VendorKind;
use rwid_methods::rule_tables::RuleTables;

#[user_doc(
    doc_section(label = "Harmonization Functions"),
    description = "A scanner model name (ManufacturerModelName, (0008,1090)) as one spelling: \
upper case, every character but letters, digits and `+` read as a space, runs of spaces as one, \
and a leading word that names the scanner's own vendor dropped (`Siemens SOMATOM Force` is \
`SOMATOM FORCE`). Archives spell one model several ways (Imaging Data Commons holds `DISCOVERY \
MR750w` and `Discovery MR750w`, `SOMATOM Definition Flash` and `Somatom Definition Flash`); \
grouping by `scanner_vendor(manufacturer)` and `scanner_model(manufacturer, model)` gathers \
them. NULL for a NULL or empty model.",
    syntax_example = "scanner_model(manufacturer, model)",
    sql_example = r#"```sql
> SELECT scanner_model('SIEMENS', 'Somatom Definition Flash') AS a, scanner_model('GE MEDICAL SYSTEMS', 'Discovery MR750w') AS b, scanner_model('Siemens Healthineers', 'Siemens SOMATOM Force') AS c;
+--------------------------+------------------+---------------+
| a                        | b                | c             |
+--------------------------+------------------+---------------+
| SOMATOM DEFINITION FLASH | DISCOVERY MR750W | SOMATOM FORCE |
+--------------------------+------------------+---------------+
```"#,
    argument(name = "manufacturer", description = "The DICOM Manufacturer value."),
    argument(name = "model", description = "The DICOM ManufacturerModelName value.")
)]
#[derive(Debug)]
pub struct ScannerModel {
    signature: Signature,
    rules: Arc<RuleTables>,
}

impl ScannerModel {
    pub fn new(rules: Arc<RuleTables>) -> Self {
        Self {
            signature: Signature::any(2, Volatility::Immutable),
            rules,
        }
    }
}

/// `model` as one spelling, its vendor's name dropped when it leads.
pub fn normalize_model(rules: &RuleTables, vendor: Option<&str>, model: &str) -> Option<String> {
    let spaced: String = model
        .to_uppercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '+' {
                c
            } else {
                ' '
            }
        })
        .collect();
    let mut words: Vec<&str> = spaced.split_whitespace().collect();
    if words.len() > 1
        && let Some(vendor) = vendor
    {
        let first = rules.vendors.classify(words[0]);
        if first.kind == VendorKind::Scanner && first.name.as_deref() == Some(vendor) {
            words.remove(0);
        }
    }
    (!words.is_empty()).then(|| words.join(" "))
}

same_rules_same_function!(ScannerModel);

impl ScalarUDFImpl for ScannerModel {
    fn name(&self) -> &str {
        "scanner_model"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if arg_types.len() != 2 || !arg_types.iter().all(is_text) {
            return plan_err!(
                "scanner_model takes (manufacturer, model) as text, got {arg_types:?}"
            );
        }
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (rows, all_scalars) = crate::args::rows_to_compute(&args.args, args.number_rows);
        let manufacturers = text_argument(&args.args[0], rows)?;
        let models = text_argument(&args.args[1], rows)?;
        let mut seen = std::collections::HashMap::new();
        let values: StringArray = manufacturers
            .iter()
            .zip(models.iter())
            .map(|(manufacturer, model)| {
                let model = model?;
                seen.entry((manufacturer, model))
                    .or_insert_with(|| {
                        let vendor = manufacturer
                            .map(|m| self.rules.vendors.classify(m))
                            .filter(|m| m.kind == VendorKind::Scanner)
                            .and_then(|m| m.name);
                        normalize_model(&self.rules, vendor.as_deref(), model)
                    })
                    .clone()
            })
            .collect();
        crate::args::columnar(Arc::new(values), all_scalars)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
