//! `harmonization_rules_version`: which rule files the harmonization
//! functions read.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::same_rules_same_function;
use rwid_methods::rule_tables::RuleTables;

#[user_doc(
    doc_section(label = "Harmonization Functions"),
    description = "The rule files the harmonization functions read, as `name version (origin)` \
separated by `; `: the user's files (`rwid --rules FILE`) first, then those shipped with rwid \
(`builtin`). Store it with harmonized results so they can be reproduced: every rule table is \
versioned, and `scanner_vendor_details` and `ct_kernel_class` name the version in each rule too.",
    syntax_example = "harmonization_rules_version()",
    sql_example = r#"```sql
> SELECT split_part(harmonization_rules_version(), '; ', 1) AS first_rule_file;
+------------------------------------------+
| first_rule_file                          |
+------------------------------------------+
| rwid scanner vendors 2026.11.2 (builtin) |
+------------------------------------------+
```"#
)]
#[derive(Debug)]
pub struct HarmonizationRulesVersion {
    signature: Signature,
    rules: Arc<RuleTables>,
}

impl HarmonizationRulesVersion {
    pub fn new(rules: Arc<RuleTables>) -> Self {
        Self {
            signature: Signature::nullary(Volatility::Immutable),
            rules,
        }
    }
}

same_rules_same_function!(HarmonizationRulesVersion);

impl ScalarUDFImpl for HarmonizationRulesVersion {
    fn name(&self) -> &str {
        "harmonization_rules_version"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if !arg_types.is_empty() {
            return plan_err!("harmonization_rules_version takes no arguments");
        }
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
            self.rules.version(),
        ))))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
