//! `gls_category`: the global longitudinal strain category.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;
use rwid_methods::quantitative::cardiac::gls_category;

use crate::args::{number, numeric_arguments, text_output};

#[user_doc(
    doc_section(label = "Quantitative Imaging Functions"),
    description = "Global longitudinal strain category (2D speckle tracking; 2025 ASE/EACVI \
strain guideline, Thomas JD et al., J Am Soc Echocardiogr 2025): GLS is negative; `normal` when \
more negative than -18 %, `borderline` from -18 % to -16 %, `abnormal` when less negative than \
-16 %. Vendors differ, so keep the vendor and software with the value (see `scanner_vendor`).",
    syntax_example = "gls_category(gls)",
    sql_example = r#"```sql
> SELECT gls_category(-21) AS a, gls_category(-17) AS b, gls_category(-12.5) AS c;
+--------+------------+----------+
| a      | b          | c        |
+--------+------------+----------+
| normal | borderline | abnormal |
+--------+------------+----------+
```"#,
    argument(name = "gls", description = "GLS, percent (negative).")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct GlsCategory {
    signature: Signature,
}

impl GlsCategory {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for GlsCategory {
    fn default() -> Self {
        Self::new()
    }
}

impl ScalarUDFImpl for GlsCategory {
    fn name(&self) -> &str {
        "gls_category"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        numeric_arguments(self.name(), arg_types, 1..=1, "1..=1 numbers")
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalars) =
            crate::args::cast_arguments(&args.args, args.number_rows, &[DataType::Float64])?;
        let values = (0..arrays[0].len())
            .map(|row| Some(gls_category(number(&arrays, 0, row)?)))
            .collect();
        text_output(values, all_scalars)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
