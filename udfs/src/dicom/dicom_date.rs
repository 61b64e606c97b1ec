//! `dicom_date`: a DICOM DA (date) string to a SQL DATE.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Date32Builder, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Date32Type};
use datafusion::common::{Result, ScalarValue, utils::take_function_args};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;
use rwid_dicom::values::parse_date;

#[user_doc(
    doc_section(label = "DICOM Functions"),
    description = "Converts a DICOM DA (date) string to a DATE. Accepts `YYYYMMDD` \
(DICOM PS3.5 §6.2, Table 6.2-1) and the legacy ACR-NEMA `YYYY.MM.DD` form that table \
mentions; trailing padding is ignored. Empty, partial or impossible dates give NULL, \
so one malformed header never fails a query.",
    syntax_example = "dicom_date(da)",
    sql_example = r#"```sql
> SELECT dicom_date('20230115') AS study_date, dicom_date('2023.01.15') AS legacy, dicom_date('') AS empty;
+------------+------------+-------+
| study_date | legacy     | empty |
+------------+------------+-------+
| 2023-01-15 | 2023-01-15 |       |
+------------+------------+-------+
```"#,
    argument(name = "da", description = "A DICOM DA value as text, e.g. StudyDate.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DicomDate {
    signature: Signature,
}

impl Default for DicomDate {
    fn default() -> Self {
        Self::new()
    }
}

impl DicomDate {
    pub fn new() -> Self {
        Self {
            signature: Signature::string(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for DicomDate {
    fn name(&self) -> &str {
        "dicom_date"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Date32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [value] = take_function_args(self.name(), args.args)?;
        if let ColumnarValue::Scalar(scalar) = &value {
            let date = scalar
                .try_as_str()
                .flatten()
                .and_then(parse_date)
                .map(Date32Type::from_naive_date);
            return Ok(ColumnarValue::Scalar(ScalarValue::Date32(date)));
        }
        let text = cast(&value.into_array(1)?, &DataType::Utf8)?;
        let text = text
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("cast to Utf8 yields a StringArray");
        let mut dates = Date32Builder::with_capacity(text.len());
        for value in text.iter() {
            dates.append_option(value.and_then(parse_date).map(Date32Type::from_naive_date));
        }
        Ok(ColumnarValue::Array(Arc::new(dates.finish()) as ArrayRef))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn epoch_offset() {
        assert_eq!(
            Date32Type::from_naive_date(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()),
            0
        );
        assert_eq!(
            Date32Type::from_naive_date(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()),
            1
        );
        assert_eq!(
            Date32Type::from_naive_date(NaiveDate::from_ymd_opt(1969, 12, 31).unwrap()),
            -1
        );
    }
}
