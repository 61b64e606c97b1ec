//! `centiloid` and `centiloid_equation`: amyloid PET SUVR on the Centiloid
//! scale, with the published equation of the tracer and pipeline.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, StringArray, StructArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{DataFusionError, Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::args::{number, number_output, text};
use crate::harmonize::RuleTables;
use crate::same_rules_same_function;
use rwid_methods::quantitative::centiloid::CentiloidEquation;

#[user_doc(
    doc_section(label = "Quantitative Imaging Functions"),
    description = "Amyloid PET SUVR on the Centiloid scale (Klunk WE et al., Alzheimers Dement \
2015;11:1-15: 0 CL is the mean of young controls, 100 CL of typical mild AD), with the published \
equation for the tracer and the SUVR pipeline: PiB (Klunk 2015 anchors 1.009 and 2.076), \
florbetapir (standard: Navitsky 2018, 175.4 SUVR - 182.3; `avid`; `berkeley`: Royse 2021), \
florbetaben (standard: Rowe 2017, 153.4 SUVR - 154.9; `berkeley`; `avid`; `dccl`: Cho 2020), \
flutemetamol (standard: Battle 2018, 121.42 SUVR - 121.16; `pmod`; `fsl`; `dccl`), NAV4694 \
(Rowe 2016). Each equation is valid only for SUVRs from its pipeline and reference region (whole \
cerebellum); an unknown tracer or pipeline is an error listing the known ones, never a guess. \
Negative values are kept. The table is the versioned file `methods/rules/centiloid.toml`; sites add \
their own level-2 calibrations with `rwid --rules FILE`. `centiloid_equation` names the equation \
used, to store with the values.",
    syntax_example = "centiloid(suvr, tracer [, pipeline])",
    sql_example = r#"```sql
> SELECT round(centiloid(2.076, 'PiB'), 6) AS pib_ad100, round(centiloid(1.2, 'florbetapir'), 2) AS fbp, round(centiloid(1.2, 'Amyvid', 'avid'), 3) AS fbp_avid, round(centiloid(1.3, '18F-florbetaben'), 2) AS fbb;
+-----------+-------+----------+-------+
| pib_ad100 | fbp   | fbp_avid | fbb   |
+-----------+-------+----------+-------+
| 100.0     | 28.18 | 42.424   | 44.52 |
+-----------+-------+----------+-------+
```"#,
    argument(name = "suvr", description = "Cortical SUVR from the pipeline named."),
    argument(
        name = "tracer",
        description = "PiB, florbetapir (AV45, Amyvid), florbetaben (FBB, Neuraceq), flutemetamol (FMM, Vizamyl) or NAV4694; isotope prefix optional."
    ),
    argument(
        name = "pipeline",
        description = "`standard` (the Centiloid SPM8 method; default), `avid`, `berkeley`, `pmod`, `fsl`, `dccl`, as the table lists for the tracer."
    )
)]
#[derive(Debug)]
pub struct Centiloid {
    signature: Signature,
    rules: Arc<RuleTables>,
}

#[user_doc(
    doc_section(label = "Quantitative Imaging Functions"),
    description = "The Centiloid equation `centiloid` uses for a tracer and pipeline, as a \
struct: `id`, `slope` and `intercept` (CL = slope x SUVR + intercept), `reference_region`, \
`source` (the paper) and `rules` (the rule file and its version). Store it with derived \
Centiloid values: an SUVR converted with another pipeline's equation is wrong by tens of CL.",
    syntax_example = "centiloid_equation(tracer [, pipeline])",
    sql_example = r#"```sql
> SELECT centiloid_equation('flutemetamol')['id'] AS id, centiloid_equation('flutemetamol')['slope'] AS slope, centiloid_equation('flutemetamol')['intercept'] AS intercept;
+-----------------------+--------+-----------+
| id                    | slope  | intercept |
+-----------------------+--------+-----------+
| flutemetamol standard | 121.42 | -121.16   |
+-----------------------+--------+-----------+
```"#,
    argument(name = "tracer", description = "As for `centiloid`."),
    argument(
        name = "pipeline",
        description = "As for `centiloid` (default `standard`)."
    )
)]
#[derive(Debug)]
pub struct CentiloidEquationDetails {
    signature: Signature,
    rules: Arc<RuleTables>,
}

impl Centiloid {
    pub fn new(rules: Arc<RuleTables>) -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
            rules,
        }
    }
}

impl CentiloidEquationDetails {
    pub fn new(rules: Arc<RuleTables>) -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
            rules,
        }
    }
}

same_rules_same_function!(Centiloid, CentiloidEquationDetails);

/// Finds each row's equation, from the text columns at `tracer` and
/// `tracer + 1`; `None` for a NULL tracer.
fn equations<'a>(
    rules: &'a RuleTables,
    arrays: &[ArrayRef],
    tracer: usize,
    rows: usize,
) -> Result<Vec<Option<&'a CentiloidEquation>>> {
    (0..rows)
        .map(|row| {
            let Some(name) = text(arrays, tracer, row) else {
                return Ok(None);
            };
            rules
                .centiloid
                .find(name, text(arrays, tracer + 1, row))
                .map(Some)
                .map_err(DataFusionError::Execution)
        })
        .collect()
}

impl ScalarUDFImpl for Centiloid {
    fn name(&self) -> &str {
        "centiloid"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types.len() {
            2 => Ok(vec![DataType::Float64, DataType::Utf8]),
            3 => Ok(vec![DataType::Float64, DataType::Utf8, DataType::Utf8]),
            n => plan_err!("centiloid takes 2 or 3 arguments (suvr, tracer [, pipeline]), got {n}"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let types = [DataType::Float64, DataType::Utf8, DataType::Utf8];
        let (arrays, all_scalars) =
            crate::args::cast_arguments(&args.args, args.number_rows, &types[..args.args.len()])?;
        let rows = arrays[0].len();
        let equations = equations(&self.rules, &arrays, 1, rows)?;
        let values = (0..rows)
            .map(|row| Some(equations[row]?.centiloid(number(&arrays, 0, row)?)))
            .collect();
        number_output(values, all_scalars)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

fn details_fields() -> Fields {
    vec![
        Field::new("id", DataType::Utf8, true),
        Field::new("slope", DataType::Float64, true),
        Field::new("intercept", DataType::Float64, true),
        Field::new("reference_region", DataType::Utf8, true),
        Field::new("source", DataType::Utf8, true),
        Field::new("rules", DataType::Utf8, true),
    ]
    .into()
}

impl ScalarUDFImpl for CentiloidEquationDetails {
    fn name(&self) -> &str {
        "centiloid_equation"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types.len() {
            1 | 2 => Ok(vec![DataType::Utf8; arg_types.len()]),
            n => plan_err!(
                "centiloid_equation takes 1 or 2 arguments (tracer [, pipeline]), got {n}"
            ),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(details_fields()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let types = [DataType::Utf8, DataType::Utf8];
        let (arrays, all_scalars) =
            crate::args::cast_arguments(&args.args, args.number_rows, &types[..args.args.len()])?;
        let rows = arrays[0].len();
        let found = equations(&self.rules, &arrays, 0, rows)?;
        let texts = |f: fn(&CentiloidEquation) -> &str| -> ArrayRef {
            Arc::new(found.iter().map(|e| e.map(f)).collect::<StringArray>())
        };
        let numbers = |f: fn(&CentiloidEquation) -> f64| -> ArrayRef {
            Arc::new(found.iter().map(|e| e.map(f)).collect::<Float64Array>())
        };
        let columns = vec![
            texts(|e| &e.id),
            numbers(|e| e.slope),
            numbers(|e| e.intercept),
            texts(|e| &e.reference_region),
            texts(|e| &e.source),
            texts(|e| &e.rules),
        ];
        let nulls = NullBuffer::from(found.iter().map(Option::is_some).collect::<Vec<_>>());
        let array = StructArray::try_new(details_fields(), columns, Some(nulls))?;
        crate::args::columnar(Arc::new(array), all_scalars)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
