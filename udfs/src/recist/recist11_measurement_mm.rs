//! `recist11_measurement_mm`: a recorded lesion measurement as the number
//! that enters the sum of diameters.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Float64Builder};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use rwid_methods::recist::recist11::Measurement;

/// RECIST 1.1's default for a lesion present but too small to measure.
const DEFAULT_TOO_SMALL_MM: f64 = 5.0;

#[user_doc(
    doc_section(label = "RECIST Functions"),
    description = "A recorded lesion measurement (a radiologist's entry or CDISC SDTM TR.TRORRES) \
as the millimetres that enter the sum of diameters, RECIST 1.1 (Eisenhauer et al., Eur J Cancer \
2009;45:228-247, Appendix I, \"lesions that become too small to measure\"): a number is used as \
recorded, even under 5 mm (`mm` or `cm` units allowed); `TOO SMALL TO MEASURE` (or `TSTM`) is the \
default 5 mm (CDISC: TRSTRESN = 5); `NOT PRESENT`, `ABSENT` or `DISAPPEARED` is 0 mm; \
`NOT ASSESSED`, `NOT EVALUABLE`, `NE`, `NOT DONE`, `UNK` or empty is NULL (the time point is then \
NE unless PD holds). Anything else is an error naming the value.",
    syntax_example = "recist11_measurement_mm(result [, too_small_mm])",
    sql_example = r#"```sql
> SELECT recist11_measurement_mm('TOO SMALL TO MEASURE') AS tstm, recist11_measurement_mm('3') AS recorded, recist11_measurement_mm('NOT PRESENT') AS gone, recist11_measurement_mm('1.2 cm') AS cm, recist11_measurement_mm('NOT ASSESSED') AS missing;
+------+----------+------+------+---------+
| tstm | recorded | gone | cm   | missing |
+------+----------+------+------+---------+
| 5.0  | 3.0      | 0.0  | 12.0 |         |
+------+----------+------+------+---------+
```"#,
    argument(
        name = "result",
        description = "The measurement as recorded: a number, or one of the phrases above."
    ),
    argument(
        name = "too_small_mm",
        description = "The value for a lesion too small to measure (default 5)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Recist11MeasurementMm {
    signature: Signature,
}

impl Default for Recist11MeasurementMm {
    fn default() -> Self {
        Self::new()
    }
}

impl Recist11MeasurementMm {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const TYPES: [DataType; 2] = [DataType::Utf8, DataType::Float64];

impl ScalarUDFImpl for Recist11MeasurementMm {
    fn name(&self) -> &str {
        "recist11_measurement_mm"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if !(1..=2).contains(&arg_types.len()) {
            return plan_err!(
                "recist11_measurement_mm takes 1 or 2 arguments (result [, too_small_mm]), got {}",
                arg_types.len()
            );
        }
        Ok(TYPES[..arg_types.len()].to_vec())
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalars) =
            crate::args::cast_arguments(&args.args, args.number_rows, &TYPES)?;
        let rows = arrays[0].len();
        let results = arrays[0].as_string::<i32>();
        let too_small = arrays.get(1).map(|a| a.as_primitive::<Float64Type>());
        let mut out = Float64Builder::with_capacity(rows);
        for row in 0..rows {
            if results.is_null(row) {
                out.append_null();
                continue;
            }
            let Some(measurement) = Measurement::parse(results.value(row)) else {
                return exec_err!(
                    "recist11_measurement_mm: result must be a number of mm or one of TOO SMALL TO MEASURE, NOT PRESENT, NOT ASSESSED, got '{}'",
                    results.value(row)
                );
            };
            let default = too_small
                .filter(|a| !a.is_null(row))
                .map_or(DEFAULT_TOO_SMALL_MM, |a| a.value(row));
            out.append_option(measurement.millimetres(default));
        }
        crate::args::columnar(Arc::new(out.finish()), all_scalars)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
