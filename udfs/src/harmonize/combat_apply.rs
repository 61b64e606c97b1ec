//! `combat_apply`: harmonizes samples with a model from `combat_fit`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Builder, ListBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{DataFusionError, Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use super::combat::{ComBatModel, MODEL_FORMAT, PreparedModel};
use super::{FeatureColumns, NumberLists, coerce_features, output};

#[user_doc(
    doc_section(label = "Harmonization Functions"),
    description = "Harmonizes one sample's features with a ComBat model from `combat_fit`: the \
batch effect of its batch is removed and its covariates' effects kept, computed from this \
sample's own covariates (neuroHarmonize's harmonizationApply semantics; neuroCombat's \
neuroCombatFromTraining uses the training samples' average instead). Applied to the samples the \
model was fitted on, it returns exactly what neuroCombat returns; a sample of the reference batch \
comes back unchanged. Returns the harmonized features as a list in the input order. The batch \
must be one the model was trained on, and categorical covariates take the training levels: \
anything else is an error naming the value.",
    syntax_example = "combat_apply(model, batch, features [, categorical [, continuous]])",
    sql_example = r#"```sql
> WITH t(site, x, y) AS (VALUES ('A', 1.0, 2.0), ('A', 2.0, 1.0), ('B', 5.0, 3.0), ('B', 6.0, 5.0)), m AS (SELECT combat_fit(site, make_array(x, y), NULL, NULL, 'eb=false') AS model FROM t) SELECT site, x, round(combat_apply(m.model, site, make_array(x, y))[1], 3) AS x_harmonized FROM t, m ORDER BY site, x;
+------+-----+--------------+
| site | x   | x_harmonized |
+------+-----+--------------+
| A    | 1.0 | 3.146        |
| A    | 2.0 | 3.854        |
| B    | 5.0 | 3.146        |
| B    | 6.0 | 3.854        |
+------+-----+--------------+
```"#,
    argument(name = "model", description = "The JSON model `combat_fit` returned."),
    argument(name = "batch", description = "The sample's batch."),
    argument(
        name = "features",
        description = "The sample's features, a list in the training order."
    ),
    argument(
        name = "categorical",
        description = "Categorical covariates, as when fitting (or NULL if none)."
    ),
    argument(
        name = "continuous",
        description = "Continuous covariates, as when fitting (or NULL if none)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CombatApply {
    signature: Signature,
}

impl Default for CombatApply {
    fn default() -> Self {
        Self::new()
    }
}

impl CombatApply {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const NAME: &str = "combat_apply";

fn list(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("item", item, true)))
}

fn parse_model(json: &str) -> Result<PreparedModel> {
    let model: ComBatModel = serde_json::from_str(json).map_err(|e| {
        DataFusionError::Execution(format!("{NAME}: the model is not a combat_fit model: {e}"))
    })?;
    if model.format != MODEL_FORMAT {
        return exec_err!(
            "{NAME}: the model is '{}', this rwid reads '{MODEL_FORMAT}'",
            model.format
        );
    }
    Ok(model.prepare())
}

impl ScalarUDFImpl for CombatApply {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if !(3..=5).contains(&arg_types.len()) {
            return plan_err!(
                "{NAME} takes 3 to 5 arguments (model, batch, features [, categorical [, continuous]]), got {}",
                arg_types.len()
            );
        }
        let as_list = |t: &DataType, item: DataType, what: &str| match t {
            DataType::Null => Ok(DataType::Null),
            DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
                Ok(list(item))
            }
            other => plan_err!("{NAME}: {what} must be a list or NULL, got {other}"),
        };
        // The model is a Utf8View: a join repeats its views, not its text.
        let mut types = vec![
            DataType::Utf8View,
            DataType::Utf8,
            coerce_features(NAME, &arg_types[2])?,
        ];
        if let Some(t) = arg_types.get(3) {
            types.push(as_list(t, DataType::Utf8, "categorical")?);
        }
        if let Some(t) = arg_types.get(4) {
            types.push(as_list(t, DataType::Float64, "continuous")?);
        }
        Ok(types)
    }

    /// The features' shape: a struct of the same names, or a list.
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.get(2) {
            Some(DataType::Struct(fields)) => Ok(DataType::Struct(fields.clone())),
            _ => Ok(list(DataType::Float64)),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let all_scalars = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if all_scalars { 1 } else { args.number_rows };
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<Vec<ArrayRef>>>()?;
        let models = cast(&arrays[0], &DataType::Utf8View)?;
        let models = models.as_string_view();
        let batches = cast(&arrays[1], &DataType::Utf8)?;
        let batches = batches.as_string::<i32>();
        let features = FeatureColumns::new(&arrays[2]);
        let categorical = arrays.get(3).and_then(|a| a.as_list_opt::<i32>());
        let labels = categorical
            .map(|c| cast(c.values(), &DataType::Utf8))
            .transpose()?;
        let labels = labels.as_ref().map(|l| l.as_string::<i32>());
        let continuous = arrays.get(4).and_then(NumberLists::new);

        // A model is parsed once per distinct view: rows of a join share the
        // view (buffer, offset, length) of one model text, so comparing views
        // costs nothing, unlike comparing or hashing the text.
        let mut parsed: Vec<(u128, PreparedModel)> = Vec::new();
        let mut out = Harmonized::new(args.return_field.data_type(), rows);
        let (mut sample, mut adjusted) = (Vec::new(), Vec::new());
        for row in 0..rows {
            let found = match features.as_ref().and_then(|f| f.row_into(row, &mut sample)) {
                Some(Err(position)) => {
                    return exec_err!("{NAME}: row {} has a NULL feature (at {position})", row + 1);
                }
                Some(Ok(())) => !models.is_null(row) && !batches.is_null(row),
                None => false,
            };
            if !found {
                out.push(None);
                continue;
            }
            let view = models.views()[row];
            let index = match parsed.iter().position(|(v, _)| *v == view) {
                Some(index) => index,
                None => {
                    parsed.push((view, parse_model(models.value(row))?));
                    parsed.len() - 1
                }
            };
            let model = &parsed[index].1;
            let categorical: Vec<&str> = match (categorical, labels) {
                (Some(lists), Some(labels)) if !lists.is_null(row) => {
                    let offsets = lists.value_offsets();
                    (offsets[row] as usize..offsets[row + 1] as usize)
                        .map(|i| {
                            if labels.is_null(i) {
                                ""
                            } else {
                                labels.value(i)
                            }
                        })
                        .collect()
                }
                _ => Vec::new(),
            };
            let continuous: &[f64] = match continuous.as_ref().and_then(|c| c.row(row)) {
                None => &[],
                Some(Err(position)) => {
                    return exec_err!(
                        "{NAME}: row {} has a NULL continuous covariate (at {position})",
                        row + 1
                    );
                }
                Some(Ok(values)) => values,
            };
            model
                .adjust(
                    batches.value(row),
                    &sample,
                    &categorical,
                    continuous,
                    &mut adjusted,
                )
                .map_err(|e| DataFusionError::Execution(format!("{NAME}: {e}")))?;
            out.push(Some(&adjusted));
        }
        output(out.finish()?, all_scalars)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// The harmonized features, in the shape they came in: a struct of Float64
/// columns with the same names, or a list.
enum Harmonized {
    List(ListBuilder<Float64Builder>),
    Columns {
        fields: datafusion::arrow::datatypes::Fields,
        columns: Vec<Vec<f64>>,
        valid: Vec<bool>,
    },
}

impl Harmonized {
    fn new(return_type: &DataType, rows: usize) -> Self {
        match return_type {
            DataType::Struct(fields) => Harmonized::Columns {
                columns: vec![Vec::with_capacity(rows); fields.len()],
                fields: fields.clone(),
                valid: Vec::with_capacity(rows),
            },
            _ => Harmonized::List(ListBuilder::new(Float64Builder::new())),
        }
    }

    fn push(&mut self, values: Option<&[f64]>) {
        match self {
            Harmonized::List(builder) => match values {
                Some(values) => {
                    builder.values().append_slice(values);
                    builder.append(true);
                }
                None => builder.append_null(),
            },
            Harmonized::Columns { columns, valid, .. } => {
                valid.push(values.is_some());
                for (f, column) in columns.iter_mut().enumerate() {
                    column.push(values.map_or(0.0, |v| v[f]));
                }
            }
        }
    }

    fn finish(self) -> Result<ArrayRef> {
        Ok(match self {
            Harmonized::List(mut builder) => Arc::new(builder.finish()),
            Harmonized::Columns {
                fields,
                columns,
                valid,
            } => {
                let nulls = datafusion::arrow::buffer::NullBuffer::from(valid);
                let columns = columns
                    .into_iter()
                    .map(|c| {
                        Arc::new(datafusion::arrow::array::Float64Array::new(
                            c.into(),
                            Some(nulls.clone()),
                        )) as ArrayRef
                    })
                    .collect();
                Arc::new(datafusion::arrow::array::StructArray::try_new(
                    fields,
                    columns,
                    Some(nulls),
                )?)
            }
        })
    }
}
