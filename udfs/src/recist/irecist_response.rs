//! `irecist_response`: iRECIST time-point responses, a window function
//! over each patient's assessments.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Int64Type};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{
    Documentation, PartitionEvaluator, Signature, Volatility, WindowUDFImpl,
};
use datafusion_macros::user_doc;

use super::assessments::days_of;
use rwid_methods::recist::irecist::{IRecistRules, ITimePoint, irecist_responses};
use rwid_methods::recist::recist11::{NonTargetResponse, Response};

#[user_doc(
    doc_section(label = "RECIST Functions"),
    description = "iRECIST time-point response (Seymour et al., Lancet Oncol 2017;18:e143-e152, \
Table 2, with the EORTC iRECIST FAQ), a window function: `OVER (PARTITION BY patient)`, the \
assessments are taken in date order whatever the window's ORDER BY. Without pending progression \
it is the RECIST 1.1 overall response with an \"i\" (iCR, iPR, iSD, NON-iCR/NON-iUPD, NE), and \
RECIST PD is iUPD. After iUPD, an assessment at least `confirm_min_days` later (default 28, the \
paper's 4-8 weeks) confirms it as iCPD when the category that progressed grew further (target sum \
+5 mm or more over the sum at iUPD, increases being additive; any further non-target increase; new \
lesions: +5 mm in the new-lesion target sum or any new non-target growth), or a category that had \
not progressed now meets RECIST 1.1 PD; an additional new lesion confirms on any scan. Earlier \
scans stay iUPD. A later assessment without target or non-target PD resets the bar (iSD, iPR, \
iCR) when the new lesions are gone or the targets shrank since the last assessment (FAQ scenarios \
B and F); new lesions present then count again only if more appear or their target sum meets \
RECIST 1.1 PD against its own nadir. iCPD is final.",
    syntax_example = "irecist_response(assessment_date, target, non_target, target_sum_mm, non_target_increase, new_lesions, new_lesion_sum_mm, new_lesion_increase [, confirm_min_days]) OVER (PARTITION BY patient)",
    sql_example = r#"```sql
> SELECT d, irecist_response(d, t, 'NON-CR/NON-PD', s, false, 0, NULL, false) OVER (ORDER BY d) AS i FROM (VALUES (DATE '2024-03-01', 'PD', 60.0), (DATE '2024-04-26', 'PD', 64.0), (DATE '2024-06-21', 'PD', 66.0)) AS t(d, t, s) ORDER BY d;
+------------+------+
| d          | i    |
+------------+------+
| 2024-03-01 | iUPD |
| 2024-04-26 | iUPD |
| 2024-06-21 | iCPD |
+------------+------+
```"#,
    argument(name = "assessment_date", description = "Date of the assessment."),
    argument(
        name = "target",
        description = "RECIST 1.1 target response against baseline and nadir (`recist11_target_response`); NULL without target disease."
    ),
    argument(
        name = "non_target",
        description = "Non-target response: CR, NON-CR/NON-PD, PD or NE; NULL without non-target disease."
    ),
    argument(name = "target_sum_mm", description = "Sum of target diameters."),
    argument(
        name = "non_target_increase",
        description = "Non-target disease increased further since the last assessment (the FAQ's INCLA); it need not be unequivocal."
    ),
    argument(
        name = "new_lesions",
        description = "Number of new lesions present (targets and non-targets); 0 or NULL for none."
    ),
    argument(
        name = "new_lesion_sum_mm",
        description = "Sum of measures of the new-lesion targets (at most 5, 2 per organ), kept apart from the target sum; NULL if none."
    ),
    argument(
        name = "new_lesion_increase",
        description = "A new non-target lesion increased since the last assessment."
    ),
    argument(
        name = "confirm_min_days",
        description = "Days after the first iUPD before an assessment may confirm it (default 28)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct IrecistResponse {
    signature: Signature,
}

impl Default for IrecistResponse {
    fn default() -> Self {
        Self::new()
    }
}

impl IrecistResponse {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const TYPES: [DataType; 9] = [
    DataType::Date32,
    DataType::Utf8,
    DataType::Utf8,
    DataType::Float64,
    DataType::Boolean,
    DataType::Int64,
    DataType::Float64,
    DataType::Boolean,
    DataType::Int64,
];

const NAME: &str = "irecist_response";

impl WindowUDFImpl for IrecistResponse {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if !(8..=9).contains(&arg_types.len()) {
            return plan_err!(
                "{NAME} takes 8 or 9 arguments (assessment_date, target, non_target, target_sum_mm, non_target_increase, new_lesions, new_lesion_sum_mm, new_lesion_increase [, confirm_min_days]), got {}",
                arg_types.len()
            );
        }
        Ok(TYPES[..arg_types.len()].to_vec())
    }

    fn partition_evaluator(
        &self,
        _args: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(IrecistEvaluator))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(
            field_args.name(),
            DataType::Utf8,
            true,
        )))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Evaluates a whole partition (one patient) at once: a time point's
/// response depends on every earlier one.
#[derive(Debug)]
struct IrecistEvaluator;

/// A text argument parsed with `parse`; NULL is `None`, anything unknown an
/// error naming the argument and the value.
fn parsed<T>(
    column: &ArrayRef,
    row: usize,
    argument: &str,
    expected: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>> {
    let column = column.as_string::<i32>();
    if column.is_null(row) {
        return Ok(None);
    }
    match parse(column.value(row)) {
        Some(value) => Ok(Some(value)),
        None => exec_err!(
            "{NAME}: {argument} must be {expected}, got '{}'",
            column.value(row)
        ),
    }
}

impl PartitionEvaluator for IrecistEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        let values = values
            .iter()
            .zip(TYPES)
            .map(|(column, data_type)| Ok(cast(column, &data_type)?))
            .collect::<Result<Vec<ArrayRef>>>()?;
        let days = days_of(&values[0])?;
        let days = days.as_primitive::<Int64Type>();
        let sums = values[3].as_primitive::<Float64Type>();
        let non_target_increase = values[4].as_boolean();
        let new_lesions = values[5].as_primitive::<Int64Type>();
        let new_lesion_sums = values[6].as_primitive::<Float64Type>();
        let new_lesion_increase = values[7].as_boolean();
        let confirm_min_days = values
            .get(8)
            .and_then(|column| column.as_primitive::<Int64Type>().iter().flatten().next());

        // Rows without a date cannot be placed in time: they get NULL.
        let mut rows = Vec::with_capacity(num_rows);
        let mut points = Vec::with_capacity(num_rows);
        for row in 0..num_rows {
            if days.is_null(row) {
                continue;
            }
            let target = parsed(&values[1], row, "target", "CR, PR, SD, PD or NE", |text| {
                Response::parse(text).filter(|r| *r != Response::NonCrNonPd)
            })?;
            let non_target = parsed(
                &values[2],
                row,
                "non_target",
                "CR, NON-CR/NON-PD, PD or NE",
                NonTargetResponse::parse,
            )?;
            let count = if new_lesions.is_null(row) {
                0
            } else {
                new_lesions.value(row)
            };
            let Ok(count) = u32::try_from(count) else {
                return exec_err!("{NAME}: new_lesions must be 0 or more, got {count}");
            };
            let flag = |column: &datafusion::arrow::array::BooleanArray| {
                !column.is_null(row) && column.value(row)
            };
            let number = |column: &datafusion::arrow::array::Float64Array| {
                (!column.is_null(row)).then(|| column.value(row))
            };
            rows.push(row);
            points.push(ITimePoint {
                day: days.value(row),
                target,
                non_target,
                target_sum_mm: number(sums),
                non_target_increase: flag(non_target_increase),
                new_lesions: count,
                new_lesion_sum_mm: number(new_lesion_sums),
                new_lesion_increase: flag(new_lesion_increase),
            });
        }
        let mut rules = IRecistRules::default();
        if let Some(days) = confirm_min_days {
            rules.confirm_min_days = days;
        }
        let mut by_row = vec![None; num_rows];
        for (row, response) in rows.into_iter().zip(irecist_responses(&points, &rules)) {
            by_row[row] = response;
        }
        let mut out = StringBuilder::with_capacity(num_rows, num_rows * 4);
        for response in by_row {
            out.append_option(response.map(|r| r.as_str()));
        }
        Ok(Arc::new(out.finish()))
    }
}
