//! `recist11_target_response`: the target-lesion response at one time point.

use datafusion::arrow::array::{BooleanArray, Float64Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::args::{fixed_arguments, text_rows, value};
use rwid_methods::recist::recist11::{TargetAssessment, target_response};

#[user_doc(
    doc_section(label = "RECIST Functions"),
    description = "Target-lesion response at one time point, RECIST 1.1 (Eisenhauer et al., \
Eur J Cancer 2009;45:228-247, §4.3.1; missing lesions §4.3.3 and the EORTC RECIST Q&A). \
`'CR'` when every non-nodal target is gone and every nodal target is under 10 mm short axis \
(the sum may stay above 0); `'PD'` when the sum grew by at least 20 % and at least 5 mm over \
the nadir, checked first so a missing lesion cannot hide progression; `'NE'` when a target was \
not measured and PD does not hold anyway; `'PR'` when the sum fell by at least 30 % from \
baseline; `'SD'` otherwise. Boundaries are inclusive and exact (-30.0 % is PR, +20.0 % and \
+5.0 mm is PD). NULL when a sum or flag is NULL.",
    syntax_example = "recist11_target_response(baseline_sum_mm, nadir_sum_mm, current_sum_mm, all_non_nodal_gone, all_nodes_under_10_mm, complete)",
    sql_example = r#"```sql
> SELECT recist11_target_response(100, 100, 70, false, true, true) AS exactly_minus_30, recist11_target_response(20, 20, 24, false, true, true) AS plus_4_mm, recist11_target_response(50, 50, 80, false, true, false) AS missing_but_pd;
+------------------+-----------+----------------+
| exactly_minus_30 | plus_4_mm | missing_but_pd |
+------------------+-----------+----------------+
| PR               | SD        | PD             |
+------------------+-----------+----------------+
```"#,
    argument(
        name = "baseline_sum_mm",
        description = "Baseline sum of diameters: longest diameters of non-nodal targets plus short axes of nodal targets."
    ),
    argument(
        name = "nadir_sum_mm",
        description = "Smallest sum before this time point, baseline included."
    ),
    argument(
        name = "current_sum_mm",
        description = "This time point's sum over the targets measured."
    ),
    argument(
        name = "all_non_nodal_gone",
        description = "Every non-nodal target recorded as 0 mm (true when there are none)."
    ),
    argument(
        name = "all_nodes_under_10_mm",
        description = "Every nodal target under 10 mm short axis (true when there are none)."
    ),
    argument(name = "complete", description = "Every target lesion was measured.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Recist11TargetResponse {
    signature: Signature,
}

impl Default for Recist11TargetResponse {
    fn default() -> Self {
        Self::new()
    }
}

impl Recist11TargetResponse {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const TYPES: [DataType; 6] = [
    DataType::Float64,
    DataType::Float64,
    DataType::Float64,
    DataType::Boolean,
    DataType::Boolean,
    DataType::Boolean,
];

impl ScalarUDFImpl for Recist11TargetResponse {
    fn name(&self) -> &str {
        "recist11_target_response"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        fixed_arguments(
            self.name(),
            "baseline_sum_mm, nadir_sum_mm, current_sum_mm, all_non_nodal_gone, all_nodes_under_10_mm, complete",
            arg_types,
            &TYPES,
        )
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        text_rows(args.args, args.number_rows, &TYPES, |arrays, i| {
            let number = |c| value(arrays, c, i, |a: &Float64Array, i| a.value(i));
            let flag = |c| value(arrays, c, i, |a: &BooleanArray, i| a.value(i));
            let (Some(baseline), Some(nadir), Some(current)) = (number(0), number(1), number(2))
            else {
                return Ok(None);
            };
            let (Some(gone), Some(small_nodes), Some(complete)) = (flag(3), flag(4), flag(5))
            else {
                return Ok(None);
            };
            let assessment = TargetAssessment {
                baseline_sum_mm: baseline,
                nadir_sum_mm: nadir,
                current_sum_mm: current,
                all_non_nodal_gone: gone,
                all_nodes_under_10_mm: small_nodes,
                complete,
            };
            Ok(Some(target_response(&assessment).as_str()))
        })
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
