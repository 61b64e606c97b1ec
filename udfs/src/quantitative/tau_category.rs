//! `tau_category`: tau PET staging between the study's cut-offs.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use rwid_methods::quantitative::pet::tau_category;

use crate::args::{number, numeric_arguments, text_output};

#[user_doc(
    doc_section(label = "Quantitative Imaging Functions"),
    description = "Tau PET category from an SUVR and two cut-offs: `low` under `lower`, \
`intermediate` from `lower` to `upper`, `high` above `upper`. Tau PET has no universal cut-point \
(Weigand AJ et al., Alz Res Ther 2022;14:49 found 23 flortaucipir studies with discrepant ones: \
the region, the reference region and the method all matter), so both are arguments and the \
study names its source: for example TRAILBLAZER-ALZ 2 (Sims JR et al., JAMA 2023) took \
flortaucipir SUVR 1.10 to 1.46 as low/medium tau and above 1.46 as high (check the protocol).",
    syntax_example = "tau_category(suvr, lower, upper)",
    sql_example = r#"```sql
> SELECT tau_category(1.05, 1.10, 1.46) AS a, tau_category(1.30, 1.10, 1.46) AS b, tau_category(1.60, 1.10, 1.46) AS c;
+-----+--------------+------+
| a   | b            | c    |
+-----+--------------+------+
| low | intermediate | high |
+-----+--------------+------+
```"#,
    argument(name = "suvr", description = "Tau PET SUVR of the study's region."),
    argument(name = "lower", description = "Lowest intermediate SUVR."),
    argument(
        name = "upper",
        description = "Highest intermediate SUVR; above it is high."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct TauCategory {
    signature: Signature,
}

impl TauCategory {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for TauCategory {
    fn default() -> Self {
        Self::new()
    }
}

impl ScalarUDFImpl for TauCategory {
    fn name(&self) -> &str {
        "tau_category"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        numeric_arguments(
            self.name(),
            arg_types,
            3..=3,
            "3 numbers (suvr, lower, upper)",
        )
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalars) =
            crate::args::cast_arguments(&args.args, args.number_rows, &vec![DataType::Float64; 3])?;
        let mut values = Vec::with_capacity(arrays[0].len());
        for row in 0..arrays[0].len() {
            let (Some(suvr), Some(lower), Some(upper)) = (
                number(&arrays, 0, row),
                number(&arrays, 1, row),
                number(&arrays, 2, row),
            ) else {
                values.push(None);
                continue;
            };
            match tau_category(suvr, lower, upper) {
                Ok(category) => values.push(Some(category)),
                Err(e) => return exec_err!("{e}"),
            }
        }
        text_output(values, all_scalars)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
