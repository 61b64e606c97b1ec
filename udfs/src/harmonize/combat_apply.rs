//! `combat_apply`: harmonizes samples with a model from `combat_fit`.

use std::sync::Arc;

use rayon::prelude::*;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Float64Builder, ListBuilder, StructArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use super::features::{FeatureColumns, NumberLists, coerce_features};
use crate::args::{coerce_list, list};
use rwid_methods::harmonize::combat::{ComBatModel, MODEL_FORMAT, PreparedModel, SampleDesign};

#[user_doc(
    doc_section(label = "Harmonization Functions"),
    description = "Harmonizes one sample's features with a ComBat model from `combat_fit`: the \
batch effect of its batch is removed and its covariates' effects kept, computed from this \
sample's own covariates (neuroHarmonize's harmonizationApply semantics; neuroCombat's \
neuroCombatFromTraining uses the training samples' average instead). Applied to the samples the \
model was fitted on, it returns exactly what neuroCombat returns; a sample of the reference batch \
comes back unchanged. Returns the harmonized features in the shape they came in: a struct with \
the same fields (computed a column at a time) or a list in the same order. The batch \
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
        // The model is a Utf8View: a join repeats its views, not its text.
        let mut types = vec![
            DataType::Utf8View,
            DataType::Utf8,
            coerce_features(NAME, &arg_types[2])?,
        ];
        if let Some(t) = arg_types.get(3) {
            types.push(coerce_list(NAME, t, DataType::Utf8, "categorical")?);
        }
        if let Some(t) = arg_types.get(4) {
            types.push(coerce_list(NAME, t, DataType::Float64, "continuous")?);
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
        let (rows, all_scalars) = crate::args::rows_to_compute(&args.args, args.number_rows);
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
        // Each row's model and design; `None` gives a NULL row.
        let mut designs: Vec<Option<(usize, SampleDesign)>> = Vec::with_capacity(rows);
        for row in 0..rows {
            if models.is_null(row) || batches.is_null(row) {
                designs.push(None);
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
            let design = parsed[index]
                .1
                .sample_design(batches.value(row), &categorical, continuous)
                .map_err(|e| DataFusionError::Execution(format!("{NAME}: {e}")))?;
            designs.push(Some((index, design)));
        }
        let harmonized = match features {
            None => Harmonized::nulls(args.return_field.data_type(), rows),
            Some(features) => Harmonized::compute(&features, &designs, &parsed)?,
        };
        crate::args::columnar(harmonized, all_scalars)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// The harmonized features, in the shape they came in: a struct of Float64
/// columns with the same names (computed a column at a time), or a list.
struct Harmonized;

impl Harmonized {
    /// All rows NULL (the features argument was NULL).
    fn nulls(return_type: &DataType, rows: usize) -> ArrayRef {
        datafusion::arrow::array::new_null_array(return_type, rows)
    }

    fn compute(
        features: &FeatureColumns<'_>,
        designs: &[Option<(usize, SampleDesign)>],
        models: &[(u128, PreparedModel)],
    ) -> Result<ArrayRef> {
        let model = |index: usize| &models[index].1;
        match features {
            FeatureColumns::Columns { structs, columns } => {
                let valid: Vec<bool> = designs
                    .iter()
                    .enumerate()
                    .map(|(row, d)| d.is_some() && !structs.is_null(row))
                    .collect();
                for (f, column) in columns.iter().enumerate() {
                    if let Some(row) = (0..column.len()).find(|&r| valid[r] && column.is_null(r)) {
                        return exec_err!(
                            "{NAME}: row {} has a NULL feature (at {})",
                            row + 1,
                            f + 1
                        );
                    }
                }
                if let Some((index, _)) = designs.iter().flatten().next()
                    && model(*index).n_features() != columns.len()
                {
                    return exec_err!(
                        "{NAME}: the model has {} features, the sample {}",
                        model(*index).n_features(),
                        columns.len()
                    );
                }
                let nulls = datafusion::arrow::buffer::NullBuffer::from(valid.clone());
                if let [(_, only)] = models {
                    // One model (the usual case): dense designs, one tight loop per column.
                    let rows = only.row_designs(
                        designs
                            .iter()
                            .zip(&valid)
                            .map(|(d, valid)| d.as_ref().filter(|_| *valid).map(|(_, d)| d)),
                    );
                    // Columns are independent: spread over every core.
                    let outputs = columns
                        .par_iter()
                        .enumerate()
                        .with_min_len(8)
                        .map(|(f, column)| {
                            let values = only.adjust_column(f, &rows, column.values());
                            Arc::new(Float64Array::new(values.into(), Some(nulls.clone())))
                                as ArrayRef
                        })
                        .collect();
                    return Ok(Arc::new(StructArray::try_new(
                        structs.fields().clone(),
                        outputs,
                        Some(nulls),
                    )?));
                }
                let outputs = columns
                    .iter()
                    .enumerate()
                    .map(|(f, column)| {
                        let adjusters: Vec<_> = models.iter().map(|(_, m)| m.column(f)).collect();
                        let values: Vec<f64> = designs
                            .iter()
                            .zip(column.values())
                            .zip(&valid)
                            .map(|((design, value), valid)| match design {
                                Some((index, design)) if *valid => {
                                    adjusters[*index].value(design, *value)
                                }
                                _ => 0.0,
                            })
                            .collect();
                        Arc::new(Float64Array::new(values.into(), Some(nulls.clone()))) as ArrayRef
                    })
                    .collect();
                Ok(Arc::new(StructArray::try_new(
                    structs.fields().clone(),
                    outputs,
                    Some(nulls),
                )?))
            }
            FeatureColumns::Lists(_) => {
                let mut out = ListBuilder::new(Float64Builder::new());
                let mut sample = Vec::new();
                for (row, design) in designs.iter().enumerate() {
                    let Some((index, design)) = design else {
                        out.append_null();
                        continue;
                    };
                    match features.row_into(row, &mut sample) {
                        None => out.append_null(),
                        Some(Err(position)) => {
                            return exec_err!(
                                "{NAME}: row {} has a NULL feature (at {position})",
                                row + 1
                            );
                        }
                        Some(Ok(())) => {
                            let model = model(*index);
                            if sample.len() != model.n_features() {
                                return exec_err!(
                                    "{NAME}: the model has {} features, row {} has {}",
                                    model.n_features(),
                                    row + 1,
                                    sample.len()
                                );
                            }
                            for (f, value) in sample.iter().enumerate() {
                                out.values()
                                    .append_value(model.adjust_value(design, f, *value));
                            }
                            out.append(true);
                        }
                    }
                }
                Ok(Arc::new(out.finish()))
            }
        }
    }
}
