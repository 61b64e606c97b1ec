//! `pack_years`: cumulative tobacco exposure from cigarettes per day and years smoked.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Float64Array, Float64Builder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result, ScalarValue, utils::take_function_args};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;
use rwid_methods::clinical;

#[user_doc(
    doc_section(label = "Clinical Functions"),
    description = "Cumulative smoking exposure in pack-years: packs per day (20 cigarettes \
a pack) times years smoked. Definition: NCI Dictionary of Cancer Terms, \"pack year\"; \
the same unit as the USPSTF 2021 lung cancer screening criterion (at least 20 pack-years) \
and the NSCLC worked example's smoking criterion. NULL in, NULL out; a negative or \
non-finite input is an error that names the value.",
    syntax_example = "pack_years(cigarettes_per_day, years_smoked)",
    sql_example = r#"```sql
> SELECT pack_years(30, 20) AS heavy, pack_years(10, 15) AS light;
+-------+-------+
| heavy | light |
+-------+-------+
| 30.0  | 7.5   |
+-------+-------+
```"#,
    argument(
        name = "cigarettes_per_day",
        description = "Mean cigarettes smoked per day."
    ),
    argument(name = "years_smoked", description = "Years of smoking.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PackYears {
    signature: Signature,
}

impl Default for PackYears {
    fn default() -> Self {
        Self::new()
    }
}

impl PackYears {
    pub fn new() -> Self {
        Self {
            signature: Signature::uniform(2, vec![DataType::Float64], Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for PackYears {
    fn name(&self) -> &str {
        "pack_years"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let [cigarettes, years] = take_function_args(self.name(), args.args)?;
        if let (ColumnarValue::Scalar(c), ColumnarValue::Scalar(y)) = (&cigarettes, &years) {
            let c = c.cast_to(&DataType::Float64)?;
            let y = y.cast_to(&DataType::Float64)?;
            let value = match (c, y) {
                (ScalarValue::Float64(Some(c)), ScalarValue::Float64(Some(y))) => {
                    Some(pack_years(c, y)?)
                }
                _ => None,
            };
            return Ok(ColumnarValue::Scalar(ScalarValue::Float64(value)));
        }
        let cigarettes = as_float64(&cigarettes.into_array(rows)?)?;
        let years = as_float64(&years.into_array(rows)?)?;
        let (cigarettes, years) = (float64s(&cigarettes), float64s(&years));
        let mut result = Float64Builder::with_capacity(rows);
        for (c, y) in cigarettes.iter().zip(years.iter()) {
            match (c, y) {
                (Some(c), Some(y)) => result.append_value(pack_years(c, y)?),
                _ => result.append_null(),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(result.finish()) as ArrayRef))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

fn as_float64(array: &ArrayRef) -> Result<ArrayRef> {
    Ok(cast(array, &DataType::Float64)?)
}

fn float64s(array: &ArrayRef) -> &Float64Array {
    array
        .as_any()
        .downcast_ref::<Float64Array>()
        .expect("cast to Float64 yields a Float64Array")
}

/// [`clinical::pack_years`], its error as DataFusion's.
fn pack_years(cigarettes_per_day: f64, years_smoked: f64) -> Result<f64> {
    clinical::pack_years(cigarettes_per_day, years_smoked).map_err(DataFusionError::Execution)
}
