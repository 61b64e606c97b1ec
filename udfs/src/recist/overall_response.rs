//! `recist11_overall_response`: the overall time-point response from the
//! target, non-target and new-lesion assessments.

use datafusion::arrow::array::{BooleanArray, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use super::rules::{NonTargetResponse, Response, overall_response};
use super::{fixed_arguments, text_rows, value};

#[user_doc(
    doc_section(label = "RECIST Functions"),
    description = "Overall response at one time point, RECIST 1.1 (Eisenhauer et al., Eur J \
Cancer 2009;45:228-247, §4.4.1, Table 1 with target disease, Table 2 with non-target disease \
only). `'PD'` whenever the target or non-target response is PD or a new lesion appeared. \
Otherwise, with targets: CR needs target CR and non-target CR (or no non-target disease: \
NULL); target CR with non-target NON-CR/NON-PD or NE is PR; target PR, SD and NE carry over. \
Without targets (target NULL): the non-target response (CR, NON-CR/NON-PD, NE). NULL when \
there is neither. Responses are `'CR'`, `'PR'`, `'SD'`, `'PD'`, `'NE'` and `'NON-CR/NON-PD'`; \
anything else is an error naming the value.",
    syntax_example = "recist11_overall_response(target_response, non_target_response, new_lesions)",
    sql_example = r#"```sql
> SELECT recist11_overall_response('CR', 'NON-CR/NON-PD', false) AS nodes_persist, recist11_overall_response('SD', 'NE', false) AS stable, recist11_overall_response(NULL, 'CR', true) AS new_lesion;
+---------------+--------+------------+
| nodes_persist | stable | new_lesion |
+---------------+--------+------------+
| PR            | SD     | PD         |
+---------------+--------+------------+
```"#,
    argument(
        name = "target_response",
        description = "Target response (`recist11_target_response`); NULL when the patient has no target lesions."
    ),
    argument(
        name = "non_target_response",
        description = "`'CR'`, `'NON-CR/NON-PD'`, `'PD'` or `'NE'`; NULL when there was no non-target disease at baseline."
    ),
    argument(
        name = "new_lesions",
        description = "An unequivocal new lesion appeared (NULL counts as none)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Recist11OverallResponse {
    signature: Signature,
}

impl Default for Recist11OverallResponse {
    fn default() -> Self {
        Self::new()
    }
}

impl Recist11OverallResponse {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const TYPES: [DataType; 3] = [DataType::Utf8, DataType::Utf8, DataType::Boolean];

impl ScalarUDFImpl for Recist11OverallResponse {
    fn name(&self) -> &str {
        "recist11_overall_response"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        fixed_arguments(
            self.name(),
            "target_response, non_target_response, new_lesions",
            arg_types,
            &TYPES,
        )
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        text_rows(args.args, args.number_rows, &TYPES, |arrays, i| {
            let text = |c| value(arrays, c, i, |a: &StringArray, i| a.value(i).to_string());
            let target = match text(0) {
                None => None,
                Some(t) => match Response::parse(&t) {
                    Some(
                        r @ (Response::Cr
                        | Response::Pr
                        | Response::Sd
                        | Response::Pd
                        | Response::Ne),
                    ) => Some(r),
                    _ => {
                        return exec_err!(
                            "recist11_overall_response: target_response must be CR, PR, SD, PD or NE, got '{t}'"
                        );
                    }
                },
            };
            let non_target = match text(1) {
                None => None,
                Some(t) => match NonTargetResponse::parse(&t) {
                    Some(r) => Some(r),
                    None => {
                        return exec_err!(
                            "recist11_overall_response: non_target_response must be CR, NON-CR/NON-PD, PD or NE, got '{t}'"
                        );
                    }
                },
            };
            let new_lesions =
                value(arrays, 2, i, |a: &BooleanArray, i| a.value(i)).unwrap_or(false);
            Ok(overall_response(target, non_target, new_lesions).map(Response::as_str))
        })
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
