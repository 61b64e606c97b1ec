//! `dicom_age_years`: a DICOM AS (age string) in years.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Float64Builder, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, utils::take_function_args};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;
use rwid_dicom::values::parse_age;

#[user_doc(
    doc_section(label = "DICOM Functions"),
    description = "Converts a DICOM AS (age string) such as PatientAge to a number of years. \
The value must be three digits and a unit: `D` days, `W` weeks, `M` months or `Y` years \
(DICOM PS3.5 §6.2, Table 6.2-1). Days and weeks are divided by 365.25. Values without a \
unit or of the wrong width give NULL.",
    syntax_example = "dicom_age_years(age)",
    sql_example = r#"```sql
> SELECT dicom_age_years('065Y') AS adult, dicom_age_years('018M') AS toddler, dicom_age_years('65') AS no_unit;
+-------+---------+---------+
| adult | toddler | no_unit |
+-------+---------+---------+
| 65.0  | 1.5     |         |
+-------+---------+---------+
```"#,
    argument(
        name = "age",
        description = "A DICOM AS value as text, e.g. PatientAge."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DicomAgeYears {
    signature: Signature,
}

impl Default for DicomAgeYears {
    fn default() -> Self {
        Self::new()
    }
}

impl DicomAgeYears {
    pub fn new() -> Self {
        Self {
            signature: Signature::string(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for DicomAgeYears {
    fn name(&self) -> &str {
        "dicom_age_years"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [value] = take_function_args(self.name(), args.args)?;
        if let ColumnarValue::Scalar(scalar) = &value {
            let years = scalar.try_as_str().flatten().and_then(parse_age);
            return Ok(ColumnarValue::Scalar(ScalarValue::Float64(years)));
        }
        let text = cast(&value.into_array(1)?, &DataType::Utf8)?;
        let text = text
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("cast to Utf8 yields a StringArray");
        let mut years = Float64Builder::with_capacity(text.len());
        for value in text.iter() {
            years.append_option(value.and_then(parse_age));
        }
        Ok(ColumnarValue::Array(Arc::new(years.finish()) as ArrayRef))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
