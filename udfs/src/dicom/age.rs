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

/// Days in a mean Gregorian year, used to express day and week ages in years.
const DAYS_PER_YEAR: f64 = 365.25;

/// Parses a DICOM AS value, `nnnD`, `nnnW`, `nnnM` or `nnnY` (PS3.5 §6.2,
/// Table 6.2-1), into years. Space padding is ignored. Anything else (no
/// unit, wrong width, letters) is `None`: archives hold values like `65` or
/// `065` whose unit cannot be known.
pub fn parse_age_string(value: &str) -> Option<f64> {
    let value = value.trim_matches(|c| c == ' ' || c == '\0');
    if value.len() != 4 {
        return None;
    }
    let (number, unit) = value.split_at(3);
    if !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: f64 = number.parse().ok()?;
    match unit {
        "Y" => Some(number),
        "M" => Some(number / 12.0),
        "W" => Some(number * 7.0 / DAYS_PER_YEAR),
        "D" => Some(number / DAYS_PER_YEAR),
        _ => None,
    }
}

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
            let years = scalar.try_as_str().flatten().and_then(parse_age_string);
            return Ok(ColumnarValue::Scalar(ScalarValue::Float64(years)));
        }
        let text = cast(&value.into_array(1)?, &DataType::Utf8)?;
        let text = text
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("cast to Utf8 yields a StringArray");
        let mut years = Float64Builder::with_capacity(text.len());
        for value in text.iter() {
            years.append_option(value.and_then(parse_age_string));
        }
        Ok(ColumnarValue::Array(Arc::new(years.finish()) as ArrayRef))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit() {
        assert_eq!(parse_age_string("065Y"), Some(65.0));
        assert_eq!(parse_age_string("018M"), Some(1.5));
        assert_eq!(parse_age_string("052W"), Some(52.0 * 7.0 / 365.25));
        assert_eq!(parse_age_string("010D"), Some(10.0 / 365.25));
        assert_eq!(parse_age_string("000D"), Some(0.0));
    }

    #[test]
    fn padding_is_ignored() {
        assert_eq!(parse_age_string(" 070Y "), Some(70.0));
    }

    #[test]
    fn malformed_values_are_none() {
        for bad in [
            "", "65", "065", "65Y", "0065Y", "065y", "06AY", "-65Y", "065X",
        ] {
            assert_eq!(parse_age_string(bad), None, "{bad:?}");
        }
    }
}
