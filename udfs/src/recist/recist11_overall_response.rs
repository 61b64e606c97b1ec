//! `recist11_overall_response`: the overall time-point response from the
//! target, non-target and new-lesion assessments.

use datafusion::arrow::array::{BooleanArray, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::args::{text_rows, value};
use rwid_methods::recist::recist11::{
    NonTargetResponse, Response, after_complete_response, overall_response,
};

#[user_doc(
    doc_section(label = "RECIST Functions"),
    description = "Overall response at one time point, RECIST 1.1 (Eisenhauer et al., Eur J \
Cancer 2009;45:228-247, §4.4.1, Table 1 with target disease, Table 2 with non-target disease \
only). `'PD'` whenever the target or non-target response is PD or a new lesion appeared. \
Otherwise, with targets: CR needs target CR and non-target CR (or no non-target disease: \
NULL); target CR with non-target NON-CR/NON-PD or NE is PR; target PR, SD and NE carry over. \
Without targets (target NULL): the non-target response (CR, NON-CR/NON-PD, NE). NULL when \
there is neither. With the previous time point's overall response given, disease seen again after a CR is PD (§4.4.2, Table 3 note (a); EORTC RECIST Q&A), even if it would be PR or SD against the baseline. Responses are `'CR'`, `'PR'`, `'SD'`, `'PD'`, `'NE'` and `'NON-CR/NON-PD'`; \
anything else is an error naming the value.",
    syntax_example = "recist11_overall_response(target_response, non_target_response, new_lesions [, previous_response])",
    sql_example = r#"```sql
> SELECT recist11_overall_response('CR', 'NON-CR/NON-PD', false) AS nodes_persist, recist11_overall_response('SD', 'NE', false) AS stable, recist11_overall_response(NULL, 'CR', true) AS new_lesion, recist11_overall_response('PR', 'CR', false, 'CR') AS after_cr;
+---------------+--------+------------+----------+
| nodes_persist | stable | new_lesion | after_cr |
+---------------+--------+------------+----------+
| PR            | SD     | PD         | PD       |
+---------------+--------+------------+----------+
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
    ),
    argument(
        name = "previous_response",
        description = "The previous time point's overall response, for reappearance after CR (optional; NULL at baseline)."
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

const TYPES: [DataType; 4] = [
    DataType::Utf8,
    DataType::Utf8,
    DataType::Boolean,
    DataType::Utf8,
];

impl ScalarUDFImpl for Recist11OverallResponse {
    fn name(&self) -> &str {
        "recist11_overall_response"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if !(3..=4).contains(&arg_types.len()) {
            return plan_err!(
                "recist11_overall_response takes 3 or 4 arguments (target_response, non_target_response, new_lesions [, previous_response]), got {}",
                arg_types.len()
            );
        }
        Ok(TYPES[..arg_types.len()].to_vec())
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let types = &TYPES[..args.args.len()];
        text_rows(args.args, args.number_rows, types, |arrays, i| {
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
            let previous = match arrays.get(3).and_then(|_| text(3)) {
                None => None,
                Some(t) => match Response::parse(&t) {
                    Some(r) => Some(r),
                    None => {
                        return exec_err!(
                            "recist11_overall_response: previous_response must be CR, PR, SD, NON-CR/NON-PD, PD or NE, got '{t}'"
                        );
                    }
                },
            };
            Ok(overall_response(target, non_target, new_lesions)
                .map(|current| after_complete_response(previous, current).as_str()))
        })
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
