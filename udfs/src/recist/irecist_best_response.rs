//! `irecist_best_response`: iRECIST best overall response (iBOR) of a
//! patient's time points.

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, Signature, Volatility,
};
use datafusion_macros::user_doc;

use super::assessments::{Assessments, ReferenceDay, days_of, keep_first_setting, state_fields};
use rwid_methods::recist::irecist::{IResponse, irecist_best_response};

/// RECIST 1.1's minimum duration of SD, as `recist11_best_response` uses it.
const DEFAULT_MIN_SD_DAYS: i64 = 42;

#[user_doc(
    doc_section(label = "RECIST Functions"),
    description = "iRECIST best overall response (iBOR) of a patient's iRECIST time-point \
responses (Seymour et al., Lancet Oncol 2017;18:e143-e152, Table 3), an aggregate: group by \
patient. iUPD does not end the assessment, so a later iSD, iPR or iCR can be the iBOR; time points \
after the first iCPD do not count. The best is iCR > iPR > iSD > NON-iCR/NON-iUPD, iSD and \
NON-iCR/NON-iUPD counting only from `min_sd_days` after the reference date (default 42); \
without any of these, iCPD if progression was confirmed, else iUPD, else NE. As in the paper's \
Table 3, iCR and iPR need no confirmation. Row order does not matter; NULLs are skipped.",
    syntax_example = "irecist_best_response(iresponse, assessment_date, reference_date [, min_sd_days])",
    sql_example = r#"```sql
> SELECT irecist_best_response(r, d, DATE '2024-01-01') AS ibor FROM (VALUES ('iUPD', DATE '2024-03-01'), ('iPR', DATE '2024-04-26'), ('iUPD', DATE '2024-06-21'), ('iCPD', DATE '2024-08-16')) AS t(r, d);
+------+
| ibor |
+------+
| iPR  |
+------+
```"#,
    argument(
        name = "iresponse",
        description = "iRECIST time-point response: iCR, iPR, iSD, NON-iCR/NON-iUPD, iUPD, iCPD or NE (as `irecist_response` returns)."
    ),
    argument(name = "assessment_date", description = "Date of the time point."),
    argument(
        name = "reference_date",
        description = "Treatment start or randomisation, the same for all of a patient's rows."
    ),
    argument(
        name = "min_sd_days",
        description = "Days from the reference date before iSD counts (default 42)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct IrecistBestResponse {
    signature: Signature,
}

impl Default for IrecistBestResponse {
    fn default() -> Self {
        Self::new()
    }
}

impl IrecistBestResponse {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const TYPES: [DataType; 4] = [
    DataType::Utf8,
    DataType::Date32,
    DataType::Date32,
    DataType::Int64,
];

impl AggregateUDFImpl for IrecistBestResponse {
    fn name(&self) -> &str {
        "irecist_best_response"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if !(3..=4).contains(&arg_types.len()) {
            return plan_err!(
                "irecist_best_response takes 3 or 4 arguments (iresponse, assessment_date, reference_date [, min_sd_days]), got {}",
                arg_types.len()
            );
        }
        Ok(TYPES[..arg_types.len()].to_vec())
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(IBorAccumulator {
            assessments: Assessments::new("irecist_best_response"),
            reference_day: ReferenceDay::new("irecist_best_response"),
            min_sd_days: None,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let field = |part: &str| crate::args::state_field(args.name, part, DataType::Int64);
        let [days, responses] = state_fields(args.name);
        Ok(vec![
            days,
            responses,
            field("reference_day"),
            field("min_sd_days"),
        ])
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[derive(Debug)]
struct IBorAccumulator {
    assessments: Assessments<IResponse>,
    reference_day: ReferenceDay,
    min_sd_days: Option<i64>,
}

impl Accumulator for IBorAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.assessments
            .add_rows(&values[0], &days_of(&values[1])?)?;
        self.reference_day.add(&days_of(&values[2])?)?;
        if let Some(column) = values.get(3) {
            keep_first_setting(&mut self.min_sd_days, column);
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let [days, responses] = self.assessments.state();
        Ok(vec![
            days,
            responses,
            ScalarValue::Int64(self.reference_day.day),
            ScalarValue::Int64(self.min_sd_days),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.reference_day.add(&states[2])?;
        for row in 0..states[0].len() {
            self.assessments.merge_row(&states[0], &states[1], row)?;
        }
        keep_first_setting(&mut self.min_sd_days, &states[3]);
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let Some(reference) = self.reference_day.day else {
            return Ok(ScalarValue::Utf8(None));
        };
        let min_sd_days = self.min_sd_days.unwrap_or(DEFAULT_MIN_SD_DAYS);
        let best = irecist_best_response(reference, &self.assessments.rows, min_sd_days);
        Ok(ScalarValue::Utf8(best.map(|(r, _)| r.as_str().to_string())))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.assessments.size()
    }
}
