//! The arguments and options the DICOM tables take, as `read_dicom`,
//! `read_dicom_sr`, `dicom_series`, `STORED AS DICOM` and the `dicom` format
//! give them.

use datafusion::common::{Result, ScalarValue, plan_datafusion_err, plan_err};
use datafusion::logical_expr::Expr;

use crate::dicom::reader::OnError;
use rwid_dicom::CustomAttribute;

/// A DICOM table's options, from `STORED AS DICOM ... OPTIONS (...)` or the
/// `dicom` file format's: `dicom.on_error` and `dicom.attributes` (the
/// `dicom.` prefix optional). `context` names where they were given.
pub(crate) fn parse_dicom_options<'a>(
    options: impl IntoIterator<Item = (&'a str, &'a str)>,
    context: &str,
) -> Result<(OnError, Vec<CustomAttribute>)> {
    let mut on_error = OnError::default();
    let mut custom = Vec::new();
    for (key, value) in options {
        match key {
            "dicom.on_error" | "on_error" => on_error = value.parse()?,
            "dicom.attributes" | "attributes" => {
                custom = CustomAttribute::parse_list(value)
                    .map_err(|e| plan_datafusion_err!("dicom.attributes: {e}"))?
            }
            other => {
                return plan_err!(
                    "unknown option '{other}' for {context}; known: 'dicom.on_error', 'dicom.attributes'"
                );
            }
        }
    }
    Ok((on_error, custom))
}

/// The string literal at `index` of a table function's arguments, `None`
/// when absent; anything else is an error naming `function` and `name`.
pub(crate) fn string_argument(
    function: &str,
    name: &str,
    exprs: &[Expr],
    index: usize,
) -> Result<Option<String>> {
    match exprs.get(index) {
        None => Ok(None),
        Some(Expr::Literal(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::Utf8View(Some(s))
            | ScalarValue::LargeUtf8(Some(s)),
            _,
        )) => Ok(Some(s.clone())),
        Some(other) => plan_err!("{function}: {name} must be a string literal, got {other}"),
    }
}

/// A table function's `on_error` argument at `index` (`'read_error'`,
/// `'skip'` or `'fail'`), the default when it is not given.
pub(crate) fn on_error_argument(function: &str, exprs: &[Expr], index: usize) -> Result<OnError> {
    string_argument(function, "on_error", exprs, index)?
        .map_or(Ok(OnError::default()), |mode| mode.parse())
}
