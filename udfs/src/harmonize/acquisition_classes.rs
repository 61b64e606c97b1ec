//! Acquisition classes: slice thickness, in-plane pixel spacing and MR field
//! strength, binned as radiomics practice does. These are conventions, not a
//! standard (IBSI defines no categories), so every bound is an argument with
//! a documented default.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;
use rwid_methods::harmonize::acquisition::{
    field_strength_class, pixel_spacing_class, slice_thickness_class,
};

fn numbers(arg: &ColumnarValue, rows: usize) -> Result<Float64Array> {
    let array = arg.to_array(rows)?;
    if let DataType::List(_) = array.data_type() {
        let lists = array.as_list::<i32>();
        return (0..lists.len())
            .map(|row| {
                if lists.is_null(row) {
                    return Ok(None);
                }
                let values = cast(&lists.value(row), &DataType::Float64)?;
                Ok(values
                    .as_primitive::<Float64Type>()
                    .iter()
                    .flatten()
                    .reduce(f64::max))
            })
            .collect();
    }
    Ok(cast(&array, &DataType::Float64)?
        .as_primitive::<Float64Type>()
        .clone())
}

/// Runs `class` over every row of a number and optional bounds (defaults
/// `defaults`), returning text.
fn classify(
    name: &str,
    args: ScalarFunctionArgs,
    defaults: &[f64],
    class: impl Fn(f64, &[f64]) -> &'static str,
) -> Result<ColumnarValue> {
    let (rows, all_scalars) = crate::args::rows_to_compute(&args.args, args.number_rows);
    let columns = args
        .args
        .iter()
        .map(|a| numbers(a, rows))
        .collect::<Result<Vec<_>>>()?;
    let mut out = Vec::with_capacity(rows);
    for row in 0..rows {
        let value = &columns[0];
        if value.is_null(row) || value.value(row).is_nan() {
            out.push(None);
            continue;
        }
        let bounds: Vec<f64> = defaults
            .iter()
            .enumerate()
            .map(|(i, default)| match columns.get(i + 1) {
                Some(c) if !c.is_null(row) => c.value(row),
                _ => *default,
            })
            .collect();
        if bounds.windows(2).any(|w| w[0] > w[1]) {
            return exec_err!("{name}: bounds must increase, got {bounds:?}");
        }
        out.push(Some(class(value.value(row), &bounds)));
    }
    crate::args::columnar(Arc::new(StringArray::from(out)) as ArrayRef, all_scalars)
}

fn numeric_arguments(name: &str, arg_types: &[DataType], max: usize) -> Result<DataType> {
    let numeric = |t: &DataType| {
        t.is_numeric()
            || matches!(t, DataType::Null)
            || matches!(t, DataType::List(item) if item.data_type().is_numeric())
    };
    if arg_types.is_empty() || arg_types.len() > max || !arg_types.iter().all(numeric) {
        return plan_err!("{name} takes 1 to {max} numbers, got {arg_types:?}");
    }
    Ok(DataType::Utf8)
}

macro_rules! simple_udf {
    ($type:ident, $name:literal, $max:literal, $defaults:expr, $class:expr) => {
        impl $type {
            pub fn new() -> Self {
                Self {
                    signature: Signature::variadic_any(Volatility::Immutable),
                }
            }
        }

        impl Default for $type {
            fn default() -> Self {
                Self::new()
            }
        }

        impl ScalarUDFImpl for $type {
            fn name(&self) -> &str {
                $name
            }

            fn signature(&self) -> &Signature {
                &self.signature
            }

            fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
                numeric_arguments($name, arg_types, $max)
            }

            fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
                classify($name, args, &$defaults, $class)
            }

            fn documentation(&self) -> Option<&Documentation> {
                self.doc()
            }
        }
    };
}

#[user_doc(
    doc_section(label = "Harmonization Functions"),
    description = "Slice thickness class of a CT or MR series: `thin` up to `thin_max` mm \
(default 1.5), `medium` up to `medium_max` (default 3), `thick` above. Radiomics convention, not a \
standard (IBSI defines none): Zhao B et al., Transl Oncol 2014;7:88-93 compared 1.25, 2.5 and \
5 mm and found that thinner and thicker slices should not be used interchangeably. RECIST 1.1 \
measurability changes above 5 mm (see `recist11_lesion_class`).",
    syntax_example = "slice_thickness_class(slice_thickness_mm [, thin_max [, medium_max]])",
    sql_example = r#"```sql
> SELECT slice_thickness_class(1.25) AS a, slice_thickness_class(2.5) AS b, slice_thickness_class(5) AS c, slice_thickness_class(2.5, 2.5, 5) AS d;
+------+--------+-------+------+
| a    | b      | c     | d    |
+------+--------+-------+------+
| thin | medium | thick | thin |
+------+--------+-------+------+
```"#,
    argument(
        name = "slice_thickness_mm",
        description = "SliceThickness (0018,0050), mm."
    ),
    argument(
        name = "thin_max",
        description = "Largest thin slice, mm (default 1.5)."
    ),
    argument(
        name = "medium_max",
        description = "Largest medium slice, mm (default 3)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SliceThicknessClass {
    signature: Signature,
}

simple_udf!(
    SliceThicknessClass,
    "slice_thickness_class",
    3,
    [1.5, 3.0],
    |mm, b| slice_thickness_class(mm, b[0], b[1])
);

#[user_doc(
    doc_section(label = "Harmonization Functions"),
    description = "In-plane pixel spacing class: `fine` under `fine_below` mm (default 0.6), \
`medium` up to `medium_max` (default 0.8), `coarse` above; a list such as read_dicom's \
PixelSpacing is read by its largest value. The bins follow Mackin D et al., PLoS One 2017, who \
resampled CT in-plane to a common pixel size before radiomics; they are a convention, so both \
bounds are arguments.",
    syntax_example = "pixel_spacing_class(pixel_spacing_mm [, fine_below [, medium_max]])",
    sql_example = r#"```sql
> SELECT pixel_spacing_class(0.5) AS a, pixel_spacing_class(0.7) AS b, pixel_spacing_class([0.9765625, 0.9765625]) AS c;
+------+--------+--------+
| a    | b      | c      |
+------+--------+--------+
| fine | medium | coarse |
+------+--------+--------+
```"#,
    argument(
        name = "pixel_spacing_mm",
        description = "PixelSpacing (0028,0030), mm: a number or a list."
    ),
    argument(
        name = "fine_below",
        description = "Fine below this, mm (default 0.6)."
    ),
    argument(
        name = "medium_max",
        description = "Largest medium spacing, mm (default 0.8)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PixelSpacingClass {
    signature: Signature,
}

simple_udf!(
    PixelSpacingClass,
    "pixel_spacing_class",
    3,
    [0.6, 0.8],
    |mm, b| pixel_spacing_class(mm, b[0], b[1])
);

#[user_doc(
    doc_section(label = "Harmonization Functions"),
    description = "Nominal MR field strength class from MagneticFieldStrength (0018,0087): `low` \
under 0.5 T, `mid` [0.5, 1), `1.5T` [1, 2), `3T` [2, 4), `4-7T` [4, 7), `ultra-high` from 7 T. \
Half-open classes make vendors' exact values land in their nominal class: Siemens writes 2.89 \
for its 3 T systems and 1.494 for 1.5 T, GE and Philips 3.0 and 1.5. Legacy values in gauss (over \
100, such as 15000) are divided by 10,000.",
    syntax_example = "field_strength_class(magnetic_field_strength)",
    sql_example = r#"```sql
> SELECT field_strength_class(2.89) AS siemens_3t, field_strength_class(1.494) AS siemens_15t, field_strength_class(15000) AS gauss, field_strength_class(0.064) AS portable;
+------------+-------------+-------+----------+
| siemens_3t | siemens_15t | gauss | portable |
+------------+-------------+-------+----------+
| 3T         | 1.5T        | 1.5T  | low      |
+------------+-------------+-------+----------+
```"#,
    argument(
        name = "magnetic_field_strength",
        description = "MagneticFieldStrength, tesla (or gauss in legacy data)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FieldStrengthClass {
    signature: Signature,
}

simple_udf!(FieldStrengthClass, "field_strength_class", 1, [], |t, _| {
    field_strength_class(t)
});
