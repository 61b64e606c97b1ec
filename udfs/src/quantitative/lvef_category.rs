//! `lvef_category`: the left-ventricular ejection fraction category.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;
use rwid_methods::quantitative::cardiac::lvef_category;

use crate::args::{number, numeric_arguments, text_output};

#[user_doc(
    doc_section(label = "Quantitative Imaging Functions"),
    description = "Left-ventricular ejection fraction category (2021 ESC heart-failure guideline, \
McDonagh TA et al., Eur Heart J 2021;42:3599-3726; Universal Definition of HF, Bozkurt B et al. \
2021): `reduced` at 40 % or less, `mildly reduced` above 40 % and under 50 % (non-integer values \
included), `preserved` from 50 %. Given a baseline LVEF of 40 % or less, a current LVEF above 40 % \
that rose by at least 10 points is `improved`. These are LVEF categories: calling them HFrEF / \
HFmrEF / HFpEF needs a heart-failure diagnosis too.",
    syntax_example = "lvef_category(lvef [, baseline_lvef])",
    sql_example = r#"```sql
> SELECT lvef_category(35) AS a, lvef_category(40.5) AS b, lvef_category(49.9) AS c, lvef_category(55) AS d, lvef_category(45, 30) AS e;
+---------+----------------+----------------+-----------+----------+
| a       | b              | c              | d         | e        |
+---------+----------------+----------------+-----------+----------+
| reduced | mildly reduced | mildly reduced | preserved | improved |
+---------+----------------+----------------+-----------+----------+
```"#,
    argument(name = "lvef", description = "LVEF, percent."),
    argument(
        name = "baseline_lvef",
        description = "An earlier LVEF, percent, for the improved category (optional)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct LvefCategory {
    signature: Signature,
}

impl LvefCategory {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for LvefCategory {
    fn default() -> Self {
        Self::new()
    }
}

impl ScalarUDFImpl for LvefCategory {
    fn name(&self) -> &str {
        "lvef_category"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        numeric_arguments(self.name(), arg_types, 1..=2, "1..=2 numbers")
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let types = vec![DataType::Float64; args.args.len()];
        let (arrays, all_scalars) =
            crate::args::cast_arguments(&args.args, args.number_rows, &types)?;
        let values = (0..arrays[0].len())
            .map(|row| {
                Some(lvef_category(
                    number(&arrays, 0, row)?,
                    number(&arrays, 1, row),
                ))
            })
            .collect();
        text_output(values, all_scalars)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
