//! `recist11_lesion_class`: measurable, non-measurable or non-pathological at baseline.

use datafusion::arrow::array::{Float64Array, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::args::{fixed_arguments, text_rows, value};
use rwid_methods::recist::recist11::{LesionKind, lesion_class};

#[user_doc(
    doc_section(label = "RECIST Functions"),
    description = "A lesion's RECIST 1.1 class at baseline (Eisenhauer et al., Eur J Cancer \
2009;45:228-247, §3.1 and Appendix II): `'measurable'` (can be a target), `'non-measurable'` \
(followed as non-target) or `'non-pathological'` (a normal lymph node, not recorded). A non-nodal \
lesion is measurable with a longest diameter of at least 10 mm, or twice the slice thickness \
when slices are thicker than 5 mm. A lymph node, measured by short axis, is measurable from \
15 mm, pathological but non-measurable from 10 mm to under 15 mm, and normal under 10 mm. \
Boundaries are inclusive and exact. NULL when the needed axis is NULL.",
    syntax_example = "recist11_lesion_class(kind, long_axis_mm, short_axis_mm, slice_thickness_mm)",
    sql_example = r#"```sql
> SELECT recist11_lesion_class('non-nodal', 12, NULL, 5) AS liver, recist11_lesion_class('non-nodal', 12, NULL, 8) AS thick_slices, recist11_lesion_class('nodal', 25, 12, 5) AS node;
+------------+----------------+----------------+
| liver      | thick_slices   | node           |
+------------+----------------+----------------+
| measurable | non-measurable | non-measurable |
+------------+----------------+----------------+
```"#,
    argument(
        name = "kind",
        description = "`'nodal'` (a lymph node) or `'non-nodal'`."
    ),
    argument(
        name = "long_axis_mm",
        description = "Longest diameter in mm (non-nodal lesions)."
    ),
    argument(
        name = "short_axis_mm",
        description = "Short axis in mm (lymph nodes)."
    ),
    argument(
        name = "slice_thickness_mm",
        description = "CT or MR slice thickness in mm; NULL applies the 10 mm minimum."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Recist11LesionClass {
    signature: Signature,
}

impl Default for Recist11LesionClass {
    fn default() -> Self {
        Self::new()
    }
}

impl Recist11LesionClass {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const TYPES: [DataType; 4] = [
    DataType::Utf8,
    DataType::Float64,
    DataType::Float64,
    DataType::Float64,
];

impl ScalarUDFImpl for Recist11LesionClass {
    fn name(&self) -> &str {
        "recist11_lesion_class"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        fixed_arguments(
            self.name(),
            "kind, long_axis_mm, short_axis_mm, slice_thickness_mm",
            arg_types,
            &TYPES,
        )
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        text_rows(args.args, args.number_rows, &TYPES, |arrays, i| {
            let Some(kind) = value(arrays, 0, i, |a: &StringArray, i| a.value(i).to_string())
            else {
                return Ok(None);
            };
            let Some(kind) = LesionKind::parse(&kind) else {
                return exec_err!(
                    "recist11_lesion_class: kind must be 'nodal' or 'non-nodal', got '{kind}'"
                );
            };
            let number = |column| value(arrays, column, i, |a: &Float64Array, i| a.value(i));
            Ok(lesion_class(kind, number(1), number(2), number(3)).map(|c| c.as_str()))
        })
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
