//! The features argument of ComBat and the batch-effect ANOVA: a list of
//! numbers per sample (`make_array(f1, f2, ...)`) or a struct of numeric
//! columns (`struct(f1, f2, ...)`).

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, ListArray, StructArray};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type};
use datafusion::common::{Result, plan_err};

use crate::args::list;

/// A `List<Float64>` column read row by row without copying: each row's
/// values as a slice. `None` for a column of NULLs (the argument was NULL).
pub struct NumberLists<'a> {
    lists: &'a ListArray,
    values: &'a Float64Array,
}

impl<'a> NumberLists<'a> {
    pub fn new(array: &'a ArrayRef) -> Option<Self> {
        let lists = array.as_list_opt::<i32>()?;
        let values = lists.values().as_primitive_opt::<Float64Type>()?;
        Some(Self { lists, values })
    }

    /// Row `row`'s values; `None` for a NULL list, `Err(position)` (1-based)
    /// when a value is NULL.
    pub fn row(&self, row: usize) -> Option<std::result::Result<&'a [f64], usize>> {
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
pub enum FeatureColumns<'a> {
    Lists(NumberLists<'a>),
    Columns {
        structs: &'a StructArray,
        columns: Vec<&'a Float64Array>,
    },
}

impl<'a> FeatureColumns<'a> {
    /// `None` for a column of NULLs (the argument was NULL).
    pub fn new(array: &'a ArrayRef) -> Option<Self> {
        if let Some(structs) = array.as_struct_opt() {
            let columns = structs
                .columns()
                .iter()
                .map(|c| c.as_primitive_opt::<Float64Type>())
                .collect::<Option<Vec<_>>>()?;
            return Some(FeatureColumns::Columns { structs, columns });
        }
        NumberLists::new(array).map(FeatureColumns::Lists)
    }

    /// Each feature's values as one slice, without a copy, when the
    /// features are struct columns with no NULL row or value; `None` when a
    /// NULL needs the row-by-row path to report it, or for lists.
    pub fn dense_columns(&self) -> Option<Vec<&'a [f64]>> {
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
    pub fn row_into(
        &self,
        row: usize,
        out: &mut Vec<f64>,
    ) -> Option<std::result::Result<(), usize>> {
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
pub fn coerce_features(function: &str, arg: &DataType) -> Result<DataType> {
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
        other => plan_err!(
            "{function}: features must be a list of numbers (make_array(f1, f2, ...)) or a struct of numeric columns (struct(f1, f2, ...)), got {other}"
        ),
    }
}
