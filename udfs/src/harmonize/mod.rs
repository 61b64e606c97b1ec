//! Scanner harmonization: make scanner metadata comparable across sites
//! (vendor, kernel, acquisition classes), with rule tables in versioned data
//! files (`methods/rules/`) that users extend. The rules are plain Rust in
//! `vendors.rs` and `kernels.rs`; one SQL function per file around them.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{AggregateUDF, ColumnarValue, ScalarUDF};

mod acquisition_class;
mod batch_effect_anova;
mod body_part_region;
mod combat_apply;
mod combat_fit;
mod ct_kernel_class;
mod rules_version;
mod scanner_model;
mod scanner_vendor;

pub use acquisition_class::{FieldStrengthClass, PixelSpacingClass, SliceThicknessClass};
pub use batch_effect_anova::BatchEffectAnova;
pub use body_part_region::BodyPartRegion;
pub use combat_apply::CombatApply;
pub use combat_fit::CombatFit;
pub use ct_kernel_class::CtKernelClass;
pub use rules_version::HarmonizationRulesVersion;
pub use rwid_methods::RuleTables;
pub use scanner_model::ScannerModel;
pub use scanner_vendor::{ScannerVendor, ScannerVendorDetails};

/// The harmonization functions, reading `rules` (the shipped rules, or
/// those with a user's files in front).
pub fn functions(rules: Arc<RuleTables>) -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ScalarUDF::from(ScannerVendor::new(Arc::clone(&rules)))),
        Arc::new(ScalarUDF::from(ScannerModel::new(Arc::clone(&rules)))),
        Arc::new(ScalarUDF::from(ScannerVendorDetails::new(Arc::clone(
            &rules,
        )))),
        Arc::new(ScalarUDF::from(CtKernelClass::new(Arc::clone(&rules)))),
        Arc::new(ScalarUDF::from(BodyPartRegion::new(Arc::clone(&rules)))),
        Arc::new(ScalarUDF::from(HarmonizationRulesVersion::new(rules))),
        Arc::new(ScalarUDF::from(SliceThicknessClass::new())),
        Arc::new(ScalarUDF::from(PixelSpacingClass::new())),
        Arc::new(ScalarUDF::from(FieldStrengthClass::new())),
        Arc::new(ScalarUDF::from(CombatApply::new())),
    ]
}

/// The harmonization aggregates.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![
        Arc::new(AggregateUDF::from(CombatFit::new())),
        Arc::new(AggregateUDF::from(BatchEffectAnova::new())),
    ]
}

/// The fields of a struct result whose members are all text (NULL allowed).
fn text_fields(names: &[&str]) -> datafusion::arrow::datatypes::Fields {
    names
        .iter()
        .map(|name| datafusion::arrow::datatypes::Field::new(*name, DataType::Utf8, true))
        .collect()
}

/// A text argument as a string array of `rows` rows (a scalar repeated).
/// A list (such as read_dicom's multi-valued ConvolutionKernel) gives its
/// first value.
fn text_argument(arg: &ColumnarValue, rows: usize) -> Result<StringArray> {
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

/// A `List<Float64>` column read row by row without copying: each row's
/// values as a slice. `None` for a column of NULLs (the argument was NULL).
struct NumberLists<'a> {
    lists: &'a datafusion::arrow::array::ListArray,
    values: &'a datafusion::arrow::array::Float64Array,
}

impl<'a> NumberLists<'a> {
    fn new(array: &'a ArrayRef) -> Option<Self> {
        let lists = array.as_list_opt::<i32>()?;
        let values = lists
            .values()
            .as_primitive_opt::<datafusion::arrow::datatypes::Float64Type>()?;
        Some(Self { lists, values })
    }

    /// Row `row`'s values; `None` for a NULL list, `Err(position)` (1-based)
    /// when a value is NULL.
    fn row(&self, row: usize) -> Option<std::result::Result<&'a [f64], usize>> {
        if self.lists.is_null(row) {
            return None;
        }
        let offsets = self.lists.value_offsets();
        let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
        if let Some(position) = (start..end).position(|i| self.values.is_null(i)) {
            return Some(Err(position + 1));
        }
        Some(Ok(&self.values.values()[start..end]))
    }
}

/// The features argument of the ComBat functions: a list per sample
/// (`make_array(f1, f2, ...)`), or a struct of numeric columns
/// (`struct(f1, f2, ...)`), which costs nothing to build and keeps the names.
enum FeatureColumns<'a> {
    Lists(NumberLists<'a>),
    Columns {
        structs: &'a datafusion::arrow::array::StructArray,
        columns: Vec<&'a datafusion::arrow::array::Float64Array>,
    },
}

impl<'a> FeatureColumns<'a> {
    /// `None` for a column of NULLs (the argument was NULL).
    fn new(array: &'a ArrayRef) -> Option<Self> {
        if let Some(structs) = array.as_struct_opt() {
            let columns = structs
                .columns()
                .iter()
                .map(|c| c.as_primitive_opt::<datafusion::arrow::datatypes::Float64Type>())
                .collect::<Option<Vec<_>>>()?;
            return Some(FeatureColumns::Columns { structs, columns });
        }
        NumberLists::new(array).map(FeatureColumns::Lists)
    }

    /// Each feature's values as one slice, without a copy, when the
    /// features are struct columns with no NULL row or value; `None` when a
    /// NULL needs the row-by-row path to report it, or for lists.
    fn dense_columns(&self) -> Option<Vec<&'a [f64]>> {
        let FeatureColumns::Columns { structs, columns } = self else {
            return None;
        };
        if structs.null_count() > 0 || columns.iter().any(|c| c.null_count() > 0) {
            return None;
        }
        Some(columns.iter().map(|c| c.values().as_ref()).collect())
    }

    /// Copies row `row`'s features into `out`; `None` for a NULL row,
    /// `Err(position)` (1-based) when a value is NULL.
    fn row_into(&self, row: usize, out: &mut Vec<f64>) -> Option<std::result::Result<(), usize>> {
        out.clear();
        match self {
            FeatureColumns::Lists(lists) => {
                Some(lists.row(row)?.map(|values| out.extend_from_slice(values)))
            }
            FeatureColumns::Columns { structs, columns } => {
                if structs.is_null(row) {
                    return None;
                }
                for (position, column) in columns.iter().enumerate() {
                    if column.is_null(row) {
                        return Some(Err(position + 1));
                    }
                    out.push(column.value(row));
                }
                Some(Ok(()))
            }
        }
    }
}

/// The type the features argument is coerced to: a list of Float64, or the
/// struct with every field Float64 (names kept).
fn coerce_features(function: &str, arg: &DataType) -> Result<DataType> {
    use datafusion::arrow::datatypes::Field;
    match arg {
        DataType::Null => Ok(DataType::Null),
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
            Ok(list(DataType::Float64))
        }
        DataType::Struct(fields)
            if fields
                .iter()
                .all(|f| f.data_type().is_numeric() || f.data_type().is_null()) =>
        {
            Ok(DataType::Struct(
                fields
                    .iter()
                    .map(|f| Field::new(f.name(), DataType::Float64, true))
                    .collect(),
            ))
        }
        other => datafusion::common::plan_err!(
            "{function}: features must be a list of numbers (make_array(f1, f2, ...)) or a struct of numeric columns (struct(f1, f2, ...)), got {other}"
        ),
    }
}

/// A one-row list scalar holding `values`, built without a ScalarValue per value.
fn list_scalar(values: ArrayRef) -> ScalarValue {
    use datafusion::arrow::array::ListArray;
    use datafusion::arrow::buffer::OffsetBuffer;
    let field = Arc::new(datafusion::arrow::datatypes::Field::new(
        "item",
        values.data_type().clone(),
        true,
    ));
    let offsets = OffsetBuffer::from_lengths([values.len()]);
    ScalarValue::List(Arc::new(ListArray::new(field, offsets, values, None)))
}

/// Whether an argument type reads as text (NULL included).
fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null
    )
}

/// A list of `item`s, as the functions' list arguments are coerced to.
fn list(item: DataType) -> DataType {
    DataType::List(Arc::new(datafusion::arrow::datatypes::Field::new(
        "item", item, true,
    )))
}

/// The type a list argument is coerced to (a list of `item`); NULL stays
/// NULL, anything else is an error naming the function and the argument.
fn coerce_list(function: &str, arg: &DataType, item: DataType, argument: &str) -> Result<DataType> {
    match arg {
        DataType::Null => Ok(DataType::Null),
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => Ok(list(item)),
        other => datafusion::common::plan_err!(
            "{function}: {argument} must be a list (make_array(...)) or NULL, got {other}"
        ),
    }
}

/// Functions that read rule tables are equal when they read the same rules.
macro_rules! same_rules_same_function {
    ($($type:ident),+) => {$(
        impl PartialEq for $type {
            fn eq(&self, other: &Self) -> bool {
                std::sync::Arc::ptr_eq(&self.rules, &other.rules)
            }
        }
        impl Eq for $type {}
        impl std::hash::Hash for $type {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                std::sync::Arc::as_ptr(&self.rules).hash(state);
            }
        }
    )+};
}
pub(crate) use same_rules_same_function;
