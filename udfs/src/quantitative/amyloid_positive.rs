//! `amyloid_positive`: amyloid PET positivity at the study's cut-off.

use std::sync::Arc;

use datafusion::arrow::array::BooleanArray;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use rwid_methods::quantitative::pet::amyloid_positive;

use crate::args::{number, numeric_arguments};

#[user_doc(
    doc_section(label = "Quantitative Imaging Functions"),
    description = "Amyloid PET positivity: true when the Centiloid value is at least the \
threshold. The threshold is the study's choice and has no default, because published ones differ \
with purpose: under 10 CL excludes neuritic plaque, about 20 CL detects moderate or frequent \
plaque and above 26 CL agrees with a positive visual read (Amadoru S et al., Alz Res Ther 2020); \
trials use their own (24.1 CL amyloid clearance in TRAILBLAZER-ALZ, 30 CL in lecanemab's; \
check the protocol). NULL for a NULL value.",
    syntax_example = "amyloid_positive(centiloid, threshold)",
    sql_example = r#"```sql
> SELECT amyloid_positive(centiloid(1.35, 'florbetapir'), 26) AS positive, amyloid_positive(8.0, 26) AS negative;
+----------+----------+
| positive | negative |
+----------+----------+
| true     | false    |
+----------+----------+
```"#,
    argument(name = "centiloid", description = "The Centiloid value (`centiloid`)."),
    argument(name = "threshold", description = "Positive at or above this many CL.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct AmyloidPositive {
    signature: Signature,
}

impl AmyloidPositive {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for AmyloidPositive {
    fn default() -> Self {
        Self::new()
    }
}

impl ScalarUDFImpl for AmyloidPositive {
    fn name(&self) -> &str {
        "amyloid_positive"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        numeric_arguments(
            self.name(),
            arg_types,
            2..=2,
            "2 numbers (centiloid, threshold)",
        )
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalars) = crate::args::cast_arguments(
            &args.args,
            args.number_rows,
            &[DataType::Float64, DataType::Float64],
        )?;
        let values: BooleanArray = (0..arrays[0].len())
            .map(|row| {
                Some(amyloid_positive(
                    number(&arrays, 0, row)?,
                    number(&arrays, 1, row)?,
                ))
            })
            .collect();
        crate::args::columnar(Arc::new(values), all_scalars)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
