//! `recist11_response_dates`: first response, first progression and
//! duration of response of a patient's time points.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Date32Array, Int64Array, StructArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, Signature, Volatility,
};
use datafusion_macros::user_doc;

use super::assessments::{Assessments, days_of, state_fields};
use crate::args::fixed_arguments;
use rwid_methods::recist::recist11::{Response, response_dates};

#[user_doc(
    doc_section(label = "RECIST Functions"),
    description = "First response, first progression and duration of response of a patient's \
time-point responses, RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009;45:228-247, §4.4.3: \
duration of response runs \"from the time measurement criteria are first met for CR/PR until \
the first date that recurrent or progressive disease is objectively documented\"). An \
aggregate returning a struct: `first_response_date` (first CR or PR before any PD), \
`first_progression_date` (first PD) and `duration_of_response_days` (NULL while the response \
lasts, or without one). Row order does not matter; NULL responses or dates are skipped.",
    syntax_example = "recist11_response_dates(response, assessment_date)",
    sql_example = r#"```sql
> SELECT recist11_response_dates(r, d)['duration_of_response_days'] AS dor_days FROM (VALUES ('SD', DATE '2024-02-26'), ('PR', DATE '2024-04-22'), ('PD', DATE '2024-06-17')) AS t(r, d);
+----------+
| dor_days |
+----------+
| 56       |
+----------+
```"#,
    argument(
        name = "response",
        description = "Time-point response: CR, PR, SD, NON-CR/NON-PD, PD or NE."
    ),
    argument(name = "assessment_date", description = "Date of the time point.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Recist11ResponseDates {
    signature: Signature,
}

impl Default for Recist11ResponseDates {
    fn default() -> Self {
        Self::new()
    }
}

impl Recist11ResponseDates {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const TYPES: [DataType; 2] = [DataType::Utf8, DataType::Date32];

fn result_fields() -> Fields {
    Fields::from(vec![
        Field::new("first_response_date", DataType::Date32, true),
        Field::new("first_progression_date", DataType::Date32, true),
        Field::new("duration_of_response_days", DataType::Int64, true),
    ])
}

impl AggregateUDFImpl for Recist11ResponseDates {
    fn name(&self) -> &str {
        "recist11_response_dates"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        fixed_arguments(self.name(), "response, assessment_date", arg_types, &TYPES)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(result_fields()))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(DatesAccumulator {
            assessments: Assessments::new("recist11_response_dates"),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(state_fields(args.name).to_vec())
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[derive(Debug)]
struct DatesAccumulator {
    assessments: Assessments<Response>,
}

impl Accumulator for DatesAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.assessments.add_rows(&values[0], &days_of(&values[1])?)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(self.assessments.state().to_vec())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for row in 0..states[0].len() {
            self.assessments.merge_row(&states[0], &states[1], row)?;
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let dates = response_dates(&self.assessments.rows);
        let date = |day: Option<i64>| -> ArrayRef {
            Arc::new(Date32Array::from(vec![day.map(|d| d as i32)]))
        };
        let arrays: Vec<ArrayRef> = vec![
            date(dates.first_response_day),
            date(dates.first_progression_day),
            Arc::new(Int64Array::from(vec![dates.duration_of_response_days])),
        ];
        Ok(ScalarValue::Struct(Arc::new(StructArray::try_new(
            result_fields(),
            arrays,
            None,
        )?)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.assessments.size()
    }
}
