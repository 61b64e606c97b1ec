//! `dicom_volume_check`: is a series of single-frame images one regular 3D volume?

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, StringArray, StructArray,
};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type, Int64Type};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, Signature, TypeSignature, Volatility,
};
use datafusion_macros::user_doc;
use rwid_methods::imaging::volume::{DEFAULT_TOLERANCE_MM, SliceGeometry, check_volume};

/// Default tolerance for slice spacing, in mm.
#[user_doc(
    doc_section(label = "Imaging Functions"),
    description = "Aggregate over the images of a series (GROUP BY SeriesInstanceUID): do they form one \
regular 3D volume? Uses the Image Plane Module attributes (DICOM PS3.3 C.7.6.2). Checks, in order: \
every image has ImagePositionPatient, ImageOrientationPatient, PixelSpacing, Rows and Columns; one \
orientation (direction cosines within 1e-4); one pixel spacing and image size; no two images at the \
same position along the slice normal (the cross product of the row and column cosines); consecutive \
gaps within `tolerance_mm` (default 0.01 mm) of their median. Returns a struct: `ok`, `slices`, \
`slice_spacing_mm` (the median gap when uniform) and `problem` (the first failed check). The same \
checks as volume readers such as highdicom's and dcm2niix's, stated in full here.",
    syntax_example = "dicom_volume_check(ImagePositionPatient, ImageOrientationPatient, PixelSpacing, Rows, Columns [, tolerance_mm])",
    sql_example = r#"```sql
> SELECT dicom_volume_check(p, o, s, r, c)['slice_spacing_mm'] AS spacing FROM (VALUES ([0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 1.0, 0.0], [0.5, 0.5], 512, 512), ([0.0, 0.0, 1.25], [1.0, 0.0, 0.0, 0.0, 1.0, 0.0], [0.5, 0.5], 512, 512), ([0.0, 0.0, 2.5], [1.0, 0.0, 0.0, 0.0, 1.0, 0.0], [0.5, 0.5], 512, 512)) AS t(p, o, s, r, c);
+---------+
| spacing |
+---------+
| 1.25    |
+---------+
```"#,
    argument(
        name = "ImagePositionPatient",
        description = "List of 3 doubles (mm), as read_dicom returns it."
    ),
    argument(
        name = "ImageOrientationPatient",
        description = "List of 6 direction cosines."
    ),
    argument(name = "PixelSpacing", description = "List of 2 doubles (mm)."),
    argument(name = "Rows", description = "Image rows."),
    argument(name = "Columns", description = "Image columns."),
    argument(
        name = "tolerance_mm",
        description = "Allowed deviation of a slice gap from the median gap, mm (default 0.01)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct VolumeCheckUdaf {
    signature: Signature,
}

impl Default for VolumeCheckUdaf {
    fn default() -> Self {
        Self::new()
    }
}

fn float_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Float64, true)))
}

fn int_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Int64, true)))
}

fn result_fields() -> Fields {
    Fields::from(vec![
        Field::new("ok", DataType::Boolean, false),
        Field::new("slices", DataType::Int64, false),
        Field::new("slice_spacing_mm", DataType::Float64, true),
        Field::new("problem", DataType::Utf8, true),
    ])
}

impl VolumeCheckUdaf {
    pub fn new() -> Self {
        let base = vec![
            float_list(),
            float_list(),
            float_list(),
            DataType::Int64,
            DataType::Int64,
        ];
        let mut with_tolerance = base.clone();
        with_tolerance.push(DataType::Float64);
        Self {
            signature: Signature::one_of(
                vec![
                    TypeSignature::Exact(base),
                    TypeSignature::Exact(with_tolerance),
                ],
                Volatility::Immutable,
            ),
        }
    }
}

impl AggregateUDFImpl for VolumeCheckUdaf {
    fn name(&self) -> &str {
        "dicom_volume_check"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(result_fields()))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(VolumeAccumulator::default()))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let field = |part: &str, data_type| crate::args::state_field(args.name, part, data_type);
        Ok(vec![
            field("positions", float_list()),
            field("orientations", float_list()),
            field("pixel_spacings", float_list()),
            field("sizes", int_list()),
            field("missing", DataType::Int64),
            field("tolerance", DataType::Float64),
        ])
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Collects the geometry of every image; mergeable, so it works in
/// partial/final aggregation and across executors.
#[derive(Debug, Default)]
struct VolumeAccumulator {
    slices: Vec<SliceGeometry>,
    missing: usize,
    tolerance_mm: Option<f64>,
}

/// `N` values of a list row, or None when null or of another length.
fn fixed<const N: usize>(
    list: &datafusion::arrow::array::ListArray,
    row: usize,
) -> Option<[f64; N]> {
    if list.is_null(row) {
        return None;
    }
    let values = list.value(row);
    let values = values.as_primitive_opt::<Float64Type>()?;
    if values.len() != N || values.null_count() > 0 {
        return None;
    }
    let mut out = [0.0; N];
    out.copy_from_slice(values.values());
    Some(out)
}

impl Accumulator for VolumeAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let (positions, orientations, spacings) = (
            values[0].as_list::<i32>(),
            values[1].as_list::<i32>(),
            values[2].as_list::<i32>(),
        );
        let (rows, columns) = (
            values[3].as_primitive::<Int64Type>(),
            values[4].as_primitive::<Int64Type>(),
        );
        if let Some(tolerance) = values.get(5) {
            let tolerance = tolerance.as_primitive::<Float64Type>();
            if let Some(t) = tolerance.iter().flatten().next() {
                if !(t.is_finite() && t >= 0.0) {
                    return exec_err!(
                        "dicom_volume_check: tolerance_mm must be a finite number >= 0, got {t}"
                    );
                }
                self.tolerance_mm = Some(t);
            }
        }
        for row in 0..positions.len() {
            let geometry = (|| {
                Some(SliceGeometry {
                    position: fixed::<3>(positions, row)?,
                    orientation: fixed::<6>(orientations, row)?,
                    pixel_spacing: fixed::<2>(spacings, row)?,
                    rows: rows.is_valid(row).then(|| rows.value(row))?,
                    columns: columns.is_valid(row).then(|| columns.value(row))?,
                })
            })();
            match geometry {
                Some(g) => self.slices.push(g),
                None => self.missing += 1,
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let floats = |values: Vec<f64>| {
            let values: Vec<ScalarValue> = values
                .into_iter()
                .map(|v| ScalarValue::Float64(Some(v)))
                .collect();
            ScalarValue::List(ScalarValue::new_list_nullable(&values, &DataType::Float64))
        };
        let sizes: Vec<ScalarValue> = self
            .slices
            .iter()
            .flat_map(|s| [s.rows, s.columns])
            .map(|v| ScalarValue::Int64(Some(v)))
            .collect();
        Ok(vec![
            floats(self.slices.iter().flat_map(|s| s.position).collect()),
            floats(self.slices.iter().flat_map(|s| s.orientation).collect()),
            floats(self.slices.iter().flat_map(|s| s.pixel_spacing).collect()),
            ScalarValue::List(ScalarValue::new_list_nullable(&sizes, &DataType::Int64)),
            ScalarValue::Int64(Some(self.missing as i64)),
            ScalarValue::Float64(self.tolerance_mm),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists: Vec<_> = states[..4].iter().map(|s| s.as_list::<i32>()).collect();
        let missing = states[4].as_primitive::<Int64Type>();
        let tolerance = states[5].as_primitive::<Float64Type>();
        for row in 0..missing.len() {
            let floats = |i: usize| -> Vec<f64> {
                let values = lists[i].value(row);
                values.as_primitive::<Float64Type>().values().to_vec()
            };
            let (positions, orientations, spacings) = (floats(0), floats(1), floats(2));
            let sizes = lists[3].value(row);
            let sizes = sizes.as_primitive::<Int64Type>().values().to_vec();
            for i in 0..sizes.len() / 2 {
                self.slices.push(SliceGeometry {
                    position: positions[i * 3..i * 3 + 3].try_into().expect("3 per slice"),
                    orientation: orientations[i * 6..i * 6 + 6]
                        .try_into()
                        .expect("6 per slice"),
                    pixel_spacing: spacings[i * 2..i * 2 + 2].try_into().expect("2 per slice"),
                    rows: sizes[i * 2],
                    columns: sizes[i * 2 + 1],
                });
            }
            if missing.is_valid(row) {
                self.missing += missing.value(row) as usize;
            }
            if tolerance.is_valid(row) {
                self.tolerance_mm = Some(tolerance.value(row));
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let check = check_volume(
            &self.slices,
            self.missing,
            self.tolerance_mm.unwrap_or(DEFAULT_TOLERANCE_MM),
        );
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(BooleanArray::from(vec![check.ok])),
            Arc::new(Int64Array::from(vec![check.slices as i64])),
            Arc::new(Float64Array::from(vec![check.slice_spacing_mm])),
            Arc::new(StringArray::from(vec![check.problem])),
        ];
        Ok(ScalarValue::Struct(Arc::new(StructArray::try_new(
            result_fields(),
            arrays,
            None,
        )?)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.slices.capacity() * std::mem::size_of::<SliceGeometry>()
    }
}
