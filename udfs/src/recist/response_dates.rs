//! `recist11_response_dates`: first response, first progression and
//! duration of response of a patient's time points.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Date32Array, Int64Array, StructArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Int64Type};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, Signature, Volatility,
};
use datafusion_macros::user_doc;

use super::rules::{Response, response_dates};

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
        if arg_types.len() != 2 {
            return plan_err!(
                "recist11_response_dates takes 2 arguments (response, assessment_date), got {}",
                arg_types.len()
            );
        }
        Ok(vec![DataType::Utf8, DataType::Date32])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(result_fields()))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(DatesAccumulator::default()))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = |item: DataType| DataType::List(Arc::new(Field::new("item", item, true)));
        Ok(vec![
            Arc::new(Field::new(
                format!("{}[days]", args.name),
                list(DataType::Int64),
                true,
            )),
            Arc::new(Field::new(
                format!("{}[responses]", args.name),
                list(DataType::Utf8),
                true,
            )),
        ])
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[derive(Debug, Default)]
struct DatesAccumulator {
    assessments: Vec<(i64, Response)>,
}

impl DatesAccumulator {
    /// Adds responses with their days since 1970-01-01 (Int64).
    fn add_columns(&mut self, responses: &ArrayRef, days: &ArrayRef) -> Result<()> {
        let responses = cast(responses, &DataType::Utf8)?;
        let responses = responses.as_string::<i32>();
        let days = days.as_primitive::<Int64Type>();
        for row in 0..responses.len() {
            if responses.is_null(row) || days.is_null(row) {
                continue;
            }
            let Some(response) = Response::parse(responses.value(row)) else {
                return exec_err!(
                    "recist11_response_dates: response must be CR, PR, SD, NON-CR/NON-PD, PD or NE, got '{}'",
                    responses.value(row)
                );
            };
            self.assessments.push((days.value(row), response));
        }
        Ok(())
    }
}

impl Accumulator for DatesAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let days = cast(&cast(&values[1], &DataType::Int32)?, &DataType::Int64)?;
        self.add_columns(&values[0], &days)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let days: Vec<ScalarValue> = self
            .assessments
            .iter()
            .map(|(day, _)| ScalarValue::Int64(Some(*day)))
            .collect();
        let responses: Vec<ScalarValue> = self
            .assessments
            .iter()
            .map(|(_, r)| ScalarValue::Utf8(Some(r.as_str().to_string())))
            .collect();
        Ok(vec![
            ScalarValue::List(ScalarValue::new_list_nullable(&days, &DataType::Int64)),
            ScalarValue::List(ScalarValue::new_list_nullable(&responses, &DataType::Utf8)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let (days, responses) = (states[0].as_list::<i32>(), states[1].as_list::<i32>());
        for row in 0..days.len() {
            if days.is_null(row) {
                continue;
            }
            self.add_columns(&responses.value(row), &days.value(row))?;
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let dates = response_dates(&self.assessments);
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
        std::mem::size_of_val(self)
            + self.assessments.capacity() * std::mem::size_of::<(i64, Response)>()
    }
}
