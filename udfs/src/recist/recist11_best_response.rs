//! `recist11_best_response`: best overall response of a patient's time points.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, Signature, Volatility,
};
use datafusion_macros::user_doc;

use super::assessments::{Assessments, ReferenceDay, days_of, keep_first_setting, state_fields};
use rwid_methods::recist::recist11::{BestResponseRules, Response, best_overall_response};

#[user_doc(
    doc_section(label = "RECIST Functions"),
    description = "Best overall response (BOR) of a patient's time-point responses, RECIST 1.1 \
(Eisenhauer et al., Eur J Cancer 2009;45:228-247, §4.4.2 and Table 3), an aggregate: group by \
patient. Only assessments up to the first PD count; SD and NON-CR/NON-PD count only from \
`min_sd_days` after the reference date (default 42, the paper's \"6-8 weeks\"); the best is CR > \
PR > SD > NON-CR/NON-PD > PD > NE. With `confirm` true (single-arm trials whose endpoint is \
response), CR needs a later CR at least `confirm_days` after it (default 28, \"no less than 4 \
weeks\") with only CR or NE between, PR a later CR or PR with only CR, PR or NE between, at most \
one NE between (pharmaverse admiralonco's operational rules); an unconfirmed CR or PR counts as \
SD. Row order does not matter. NULL responses or dates are skipped.",
    syntax_example = "recist11_best_response(response, assessment_date, reference_date [, confirm [, min_sd_days [, confirm_days]]])",
    sql_example = r#"```sql
> SELECT recist11_best_response(r, d, DATE '2024-01-01') AS unconfirmed, recist11_best_response(r, d, DATE '2024-01-01', true) AS confirmed FROM (VALUES ('PR', DATE '2024-03-01'), ('SD', DATE '2024-04-26'), ('PD', DATE '2024-06-21')) AS t(r, d);
+-------------+-----------+
| unconfirmed | confirmed |
+-------------+-----------+
| PR          | SD        |
+-------------+-----------+
```"#,
    argument(
        name = "response",
        description = "Time-point response: CR, PR, SD, NON-CR/NON-PD, PD or NE."
    ),
    argument(name = "assessment_date", description = "Date of the time point."),
    argument(
        name = "reference_date",
        description = "Treatment start or randomisation, the same for all of a patient's rows."
    ),
    argument(
        name = "confirm",
        description = "Require confirmation of CR and PR (default false)."
    ),
    argument(
        name = "min_sd_days",
        description = "Days from the reference date before SD counts (default 42)."
    ),
    argument(
        name = "confirm_days",
        description = "Days after a CR or PR before it can be confirmed (default 28)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Recist11BestResponse {
    signature: Signature,
}

impl Default for Recist11BestResponse {
    fn default() -> Self {
        Self::new()
    }
}

impl Recist11BestResponse {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const TYPES: [DataType; 6] = [
    DataType::Utf8,
    DataType::Date32,
    DataType::Date32,
    DataType::Boolean,
    DataType::Int64,
    DataType::Int64,
];

impl AggregateUDFImpl for Recist11BestResponse {
    fn name(&self) -> &str {
        "recist11_best_response"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if !(3..=6).contains(&arg_types.len()) {
            return plan_err!(
                "recist11_best_response takes 3 to 6 arguments (response, assessment_date, reference_date [, confirm [, min_sd_days [, confirm_days]]]), got {}",
                arg_types.len()
            );
        }
        Ok(TYPES[..arg_types.len()].to_vec())
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(BestResponseAccumulator {
            assessments: Assessments::new("recist11_best_response"),
            reference_day: ReferenceDay::new("recist11_best_response"),
            confirm: None,
            min_sd_days: None,
            confirm_days: None,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let field = |part: &str, data_type| crate::args::state_field(args.name, part, data_type);
        let [days, responses] = state_fields(args.name);
        Ok(vec![
            days,
            responses,
            field("reference_day", DataType::Int64),
            field("confirm", DataType::Boolean),
            field("min_sd_days", DataType::Int64),
            field("confirm_days", DataType::Int64),
        ])
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[derive(Debug)]
struct BestResponseAccumulator {
    assessments: Assessments<Response>,
    reference_day: ReferenceDay,
    confirm: Option<bool>,
    min_sd_days: Option<i64>,
    confirm_days: Option<i64>,
}

impl Accumulator for BestResponseAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.assessments
            .add_rows(&values[0], &days_of(&values[1])?)?;
        self.reference_day.add(&days_of(&values[2])?)?;
        if let Some(confirm) = values.get(3) {
            let confirm = confirm.as_boolean();
            self.confirm = self.confirm.or(confirm.iter().flatten().next());
        }
        for (index, slot) in [(4, &mut self.min_sd_days), (5, &mut self.confirm_days)] {
            if let Some(column) = values.get(index) {
                keep_first_setting(slot, column);
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let [days, responses] = self.assessments.state();
        Ok(vec![
            days,
            responses,
            ScalarValue::Int64(self.reference_day.day),
            ScalarValue::Boolean(self.confirm),
            ScalarValue::Int64(self.min_sd_days),
            ScalarValue::Int64(self.confirm_days),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.reference_day.add(&states[2])?;
        let confirm: &BooleanArray = states[3].as_boolean();
        for row in 0..confirm.len() {
            self.assessments.merge_row(&states[0], &states[1], row)?;
            if !confirm.is_null(row) {
                self.confirm = self.confirm.or(Some(confirm.value(row)));
            }
        }
        for (index, slot) in [(4, &mut self.min_sd_days), (5, &mut self.confirm_days)] {
            keep_first_setting(slot, &states[index]);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let defaults = BestResponseRules::default();
        let rules = BestResponseRules {
            confirm: self.confirm.unwrap_or(defaults.confirm),
            min_sd_days: self.min_sd_days.unwrap_or(defaults.min_sd_days),
            confirm_days: self.confirm_days.unwrap_or(defaults.confirm_days),
            max_ne_between: defaults.max_ne_between,
        };
        let Some(reference) = self.reference_day.day else {
            return Ok(ScalarValue::Utf8(None));
        };
        let best = best_overall_response(reference, &self.assessments.rows, &rules);
        Ok(ScalarValue::Utf8(best.map(|(r, _)| r.as_str().to_string())))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.assessments.size()
    }
}
