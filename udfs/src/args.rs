//! Arguments and results, as every rwid function reads and returns them:
//! arguments cast to the types a function was coerced to, a scalar result
//! when every argument was a scalar, errors that name the function and the
//! argument.

use std::ops::RangeInclusive;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, ListArray, StringArray, StringBuilder,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::ColumnarValue;

/// How many rows a function computes, and whether its result is a scalar:
/// one row when every argument is a scalar (see [`columnar`]), else the
/// batch's `number_rows`.
pub fn rows_to_compute(args: &[ColumnarValue], number_rows: usize) -> (usize, bool) {
    let all_scalars = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    (if all_scalars { 1 } else { number_rows }, all_scalars)
}

/// The arguments as arrays of the rows to compute ([`rows_to_compute`]),
/// each cast to its type in `types`, and whether they were all scalars.
pub fn cast_arguments(
    args: &[ColumnarValue],
    number_rows: usize,
    types: &[DataType],
) -> Result<(Vec<ArrayRef>, bool)> {
    let (rows, all_scalars) = rows_to_compute(args, number_rows);
    let arrays = args
        .iter()
        .zip(types)
        .map(|(arg, data_type)| Ok(cast(&arg.to_array(rows)?, data_type)?))
        .collect::<Result<Vec<_>>>()?;
    Ok((arrays, all_scalars))
}

/// A field of an aggregate's partial state, named `aggregate[part]` as
/// DataFusion's own aggregates name theirs.
pub fn state_field(aggregate: &str, part: &str, data_type: DataType) -> FieldRef {
    Arc::new(Field::new(format!("{aggregate}[{part}]"), data_type, true))
}

/// A function's result: a scalar when every argument was one (the array
/// then holds one row), an array otherwise.
pub fn columnar(array: ArrayRef, all_scalars: bool) -> Result<ColumnarValue> {
    if all_scalars {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
            &array, 0,
        )?))
    } else {
        Ok(ColumnarValue::Array(array))
    }
}

/// The argument types of a function taking exactly `types.len()`
/// arguments, named in `arguments` for the error.
pub fn fixed_arguments(
    function: &str,
    arguments: &str,
    arg_types: &[DataType],
    types: &[DataType],
) -> Result<Vec<DataType>> {
    if arg_types.len() != types.len() {
        return plan_err!(
            "{function} takes {} arguments ({arguments}), got {}",
            types.len(),
            arg_types.len()
        );
    }
    Ok(types.to_vec())
}

/// Runs `row` over every row of `args` (cast to `types`) and returns text:
/// a scalar when every argument is one, an array otherwise.
pub fn text_rows(
    args: Vec<ColumnarValue>,
    rows: usize,
    types: &[DataType],
    mut row: impl FnMut(&[ArrayRef], usize) -> Result<Option<&'static str>>,
) -> Result<ColumnarValue> {
    let (arrays, all_scalars) = cast_arguments(&args, rows, types)?;
    let length = arrays.first().map_or(rows, |a| a.len());
    let mut out = StringBuilder::with_capacity(length, length * 2);
    for index in 0..length {
        out.append_option(row(&arrays, index)?);
    }
    columnar(Arc::new(out.finish()), all_scalars)
}

/// A nullable argument's value at `index`.
pub fn value<T: Array + 'static, V>(
    arrays: &[ArrayRef],
    column: usize,
    index: usize,
    get: impl Fn(&T, usize) -> V,
) -> Option<V> {
    let array = arrays[column].as_any().downcast_ref::<T>()?;
    (!array.is_null(index)).then(|| get(array, index))
}

/// Coerces the numeric arguments of a function taking `counts` numbers to
/// Float64; otherwise an error that says the function takes `expected`
/// (such as `2 numbers (centiloid, threshold)`).
pub fn numeric_arguments(
    name: &str,
    arg_types: &[DataType],
    counts: RangeInclusive<usize>,
    expected: &str,
) -> Result<Vec<DataType>> {
    if !counts.contains(&arg_types.len())
        || !arg_types.iter().all(|t| t.is_numeric() || t.is_null())
    {
        return plan_err!("{name} takes {expected}, got {arg_types:?}");
    }
    Ok(vec![DataType::Float64; arg_types.len()])
}

/// A Float64 argument's value at `row`, `None` for NULL or NaN.
pub fn number(arrays: &[ArrayRef], column: usize, row: usize) -> Option<f64> {
    let array = arrays.get(column)?.as_primitive::<Float64Type>();
    (!array.is_null(row) && !array.value(row).is_nan()).then(|| array.value(row))
}

/// A Utf8 argument's value at `row`.
pub fn text(arrays: &[ArrayRef], column: usize, row: usize) -> Option<&str> {
    let array = arrays.get(column)?.as_string::<i32>();
    (!array.is_null(row)).then(|| array.value(row))
}

pub fn text_output(values: Vec<Option<&'static str>>, all_scalars: bool) -> Result<ColumnarValue> {
    columnar(Arc::new(StringArray::from(values)), all_scalars)
}

pub fn number_output(values: Vec<Option<f64>>, all_scalars: bool) -> Result<ColumnarValue> {
    columnar(Arc::new(Float64Array::from(values)), all_scalars)
}

/// The fields of a struct result whose members are all text (NULL allowed).
pub fn text_fields(names: &[&str]) -> Fields {
    names
        .iter()
        .map(|name| Field::new(*name, DataType::Utf8, true))
        .collect()
}

/// A text argument as a string array of `rows` rows (a scalar repeated).
/// A list (such as read_dicom's multi-valued ConvolutionKernel) gives its
/// first value.
pub fn text_argument(arg: &ColumnarValue, rows: usize) -> Result<StringArray> {
    let array = arg.to_array(rows)?;
    if let DataType::List(_) = array.data_type() {
        let lists = array.as_list::<i32>();
        let mut first = StringBuilder::with_capacity(rows, rows * 8);
        for row in 0..lists.len() {
            let item = lists.value(row);
            if lists.is_null(row) || item.is_empty() || item.is_null(0) {
                first.append_null();
            } else {
                let item = cast(&item.slice(0, 1), &DataType::Utf8)?;
                first.append_value(item.as_string::<i32>().value(0));
            }
        }
        return Ok(first.finish());
    }
    Ok(cast(&array, &DataType::Utf8)?.as_string::<i32>().clone())
}

/// A one-row list scalar holding `values`, built without a ScalarValue per value.
pub fn list_scalar(values: ArrayRef) -> ScalarValue {
    let field = Arc::new(Field::new("item", values.data_type().clone(), true));
    let offsets = OffsetBuffer::from_lengths([values.len()]);
    ScalarValue::List(Arc::new(ListArray::new(field, offsets, values, None)))
}

/// Whether an argument type reads as text (NULL included).
pub fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null
    )
}

/// A list of `item`s, as the functions' list arguments are coerced to.
pub fn list(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("item", item, true)))
}

/// The type a list argument is coerced to (a list of `item`); NULL stays
/// NULL, anything else is an error naming the function and the argument.
pub fn coerce_list(
    function: &str,
    arg: &DataType,
    item: DataType,
    argument: &str,
) -> Result<DataType> {
    match arg {
        DataType::Null => Ok(DataType::Null),
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => Ok(list(item)),
        other => plan_err!(
            "{function}: {argument} must be a list (make_array(...)) or NULL, got {other}"
        ),
    }
}
