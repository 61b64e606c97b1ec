//! `combat_fit`: fits ComBat over a table's samples, an aggregate returning
//! the model as JSON; `combat_apply` (in `combat_apply.rs`) uses it.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, FieldRef, Float64Type, Int64Type};
use datafusion::common::{DataFusionError, Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, Signature, Volatility,
};
use datafusion_macros::user_doc;

use super::features::{FeatureColumns, NumberLists, coerce_features};
use crate::args::{coerce_list, list, list_scalar};
use rwid_methods::harmonize::combat::moments::Cell;
use rwid_methods::harmonize::combat::{ComBatOptions, SampleBlock, SampleMoments, Shape, fit};

#[user_doc(
    doc_section(label = "Harmonization Functions"),
    description = "Fits ComBat (Johnson WE et al., Biostatistics 2007;8:118-127; Fortin J-P et \
al., NeuroImage 2018;167:104-120) to remove batch effects (site, scanner, or a \
`scanner_vendor`/`ct_kernel_class` key) from features while keeping the effects of covariates, \
exactly as neuroCombat 0.2.12 computes it (tested to 1e-8 relative against it). An aggregate over \
the samples, one row each: returns the fitted model as JSON text, to keep in a table or file \
(`COPY ... TO 'model.parquet'` or `.json`) and apply with `combat_apply`, to these samples or new \
ones. Features are a struct of numeric columns per sample (`struct(f1, f2, ...)`, or \
`named_struct('f1', f1, ...)` so that `combat_apply` returns the same names) or a list \
(`make_array(f1, f2, ...)`; long tables: `array_agg(value ORDER BY feature)`), covariates a list of categorical values and a list of \
continuous ones (NULL for none). Options, comma-separated: `eb=false` (plain location/scale per \
feature), `parametric=false` (non-parametric priors, computed in log space so large batches stay \
finite), `mean_only=true`, `ref_batch=NAME` (that batch stays as it is; the others move to it). \
Errors name the problem: NULL or non-finite values, a batch of one sample (use mean_only), \
zero-variance features, covariates confounded with batch, one feature with empirical Bayes. \
Memory is per batch and categorical level, not per sample: the fit keeps each cell's means and \
centered sums of squares and cross-products, which determine every sum ComBat takes. Check \
that batches have enough samples (Orlhac et al., J Nucl Med 2022;63:172-179 discuss 20-30) and \
that batch is not confounded with biology; `batch_effect_anova` shows what changed.",
    syntax_example = "combat_fit(batch, features [, categorical [, continuous [, options]]])",
    sql_example = r#"```sql
> SELECT json_length FROM (SELECT length(combat_fit(site, make_array(x, y), NULL, NULL, 'eb=false')) > 0 AS json_length FROM (VALUES ('A', 1.0, 2.0), ('A', 2.0, 1.0), ('B', 5.0, 3.0), ('B', 6.0, 5.0)) AS t(site, x, y));
+-------------+
| json_length |
+-------------+
| true        |
+-------------+
```"#,
    argument(
        name = "batch",
        description = "The batch of the sample: site, scanner, protocol key."
    ),
    argument(
        name = "features",
        description = "The sample's features: a struct of numeric columns (`named_struct('f1', f1, ...)`; fastest, and `combat_apply` returns the same fields), or a list of numbers in the same order for every sample."
    ),
    argument(
        name = "categorical",
        description = "Categorical covariates to preserve (a list of text, such as `make_array(sex, diagnosis)`), or NULL."
    ),
    argument(
        name = "continuous",
        description = "Continuous covariates to preserve (a list of numbers, such as `make_array(age)`), or NULL."
    ),
    argument(
        name = "options",
        description = "`eb=true|false`, `parametric=true|false`, `mean_only=true|false`, `ref_batch=NAME`, comma-separated (default: parametric empirical Bayes)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CombatFit {
    signature: Signature,
}

impl Default for CombatFit {
    fn default() -> Self {
        Self::new()
    }
}

impl CombatFit {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const NAME: &str = "combat_fit";

/// Parses `key=value, ...` options.
pub(super) fn parse_options(text: &str) -> Result<ComBatOptions> {
    let mut options = ComBatOptions::default();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            return exec_err!("{NAME}: option '{pair}' must be key=value");
        };
        let (key, value) = (key.trim(), value.trim());
        let flag = || match value.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(true),
            "false" | "no" | "0" => Ok(false),
            _ => exec_err!("{NAME}: option {key} must be true or false, got '{value}'"),
        };
        match key {
            "eb" => options.eb = flag()?,
            "parametric" => options.parametric = flag()?,
            "mean_only" => options.mean_only = flag()?,
            "ref_batch" => options.ref_batch = Some(value.to_string()),
            other => {
                return exec_err!(
                    "{NAME}: unknown option '{other}'; known: eb, parametric, mean_only, ref_batch"
                );
            }
        }
    }
    Ok(options)
}

impl AggregateUDFImpl for CombatFit {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if !(2..=5).contains(&arg_types.len()) {
            return plan_err!(
                "{NAME} takes 2 to 5 arguments (batch, features [, categorical [, continuous [, options]]]), got {}",
                arg_types.len()
            );
        }
        let mut types = vec![DataType::Utf8, coerce_features(NAME, &arg_types[1])?];
        if let Some(t) = arg_types.get(2) {
            types.push(coerce_list(NAME, t, DataType::Utf8, "categorical")?);
        }
        if let Some(t) = arg_types.get(3) {
            types.push(coerce_list(NAME, t, DataType::Float64, "continuous")?);
        }
        if arg_types.len() == 5 {
            types.push(DataType::Utf8);
        }
        Ok(types)
    }

    /// A Utf8View: joined to every sample for `combat_apply`, the model's
    /// text is shared, not copied per row.
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8View)
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(FitAccumulator::default()))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let field = |part: &str, data_type| crate::args::state_field(args.name, part, data_type);
        Ok(vec![
            field("cell_batches", list(DataType::Utf8)),
            field("cell_levels", list(DataType::Utf8)),
            field("cell_counts", list(DataType::Int64)),
            field("cell_statistics", list(DataType::Float64)),
            field("shape", list(DataType::Int64)),
            field("options", DataType::Utf8),
        ])
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// The samples seen so far, as ComBat's sufficient statistics
/// ([`SampleMoments`]): memory per batch and categorical level, not per
/// sample, and partitions merge by adding statistics.
#[derive(Debug, Default)]
struct FitAccumulator {
    /// Created with the first sample's shape.
    moments: Option<SampleMoments>,
    options: Option<String>,
}

/// The error for a sample whose number of features or covariates differs
/// from the first sample's.
fn shape_mismatch(sample: usize, shape: Shape, first: Shape) -> DataFusionError {
    let text = |s: Shape| format!("({}, {}, {})", s.features, s.categorical, s.continuous);
    DataFusionError::Execution(format!(
        "{NAME}: every sample needs the same number of features and covariates; sample {sample} has {} (features, categorical, continuous), the first {}",
        text(shape),
        text(first)
    ))
}

impl FitAccumulator {
    fn samples(&self) -> usize {
        self.moments.as_ref().map_or(0, SampleMoments::len)
    }

    /// The statistics, created for `shape` or checked against it; `sample`
    /// (1-based) is the first sample of that shape, for the error.
    fn moments(&mut self, shape: Shape, sample: usize) -> Result<&mut SampleMoments> {
        let moments = self
            .moments
            .get_or_insert_with(|| SampleMoments::new(shape));
        if moments.shape() != shape {
            return Err(shape_mismatch(sample, shape, moments.shape()));
        }
        Ok(moments)
    }
}

impl Accumulator for FitAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let rows = values[0].len();
        let first = self.samples();
        let sample = |row: usize| first + row + 1;
        let batches = cast(&values[0], &DataType::Utf8)?;
        let batches = batches.as_string::<i32>();
        if let Some(row) = (0..rows).find(|&row| batches.is_null(row)) {
            return exec_err!("{NAME}: sample {} has a NULL batch", sample(row));
        }
        let labels: Vec<&str> = (0..rows).map(|row| batches.value(row)).collect();
        let features = FeatureColumns::new(&values[1]);
        // Struct columns without NULLs are read in place; anything else row
        // by row, which names a NULL where it is.
        let dense = features.as_ref().and_then(FeatureColumns::dense_columns);
        let categorical = values.get(2).and_then(|c| c.as_list_opt::<i32>());
        let level_texts = categorical
            .map(|c| cast(c.values(), &DataType::Utf8))
            .transpose()?;
        let level_texts = level_texts.as_ref().map(|t| t.as_string::<i32>());
        let continuous = values.get(3).and_then(NumberLists::new);

        let mut shape = self.moments.as_ref().map(SampleMoments::shape);
        let mut levels: Vec<&str> = Vec::new();
        let mut numbers: Vec<f64> = Vec::new();
        let mut feature_rows: Vec<f64> = Vec::new();
        let mut row_features = Vec::new();
        for (row, batch) in labels.iter().enumerate() {
            let null = |what: &str, position: usize, of: usize| {
                exec_err!(
                    "{NAME}: sample {} (batch '{batch}') has a NULL {what} ({position} of {of}); ComBat needs complete data",
                    sample(row)
                )
            };
            let width = match &dense {
                Some(columns) => columns.len(),
                None => match features
                    .as_ref()
                    .and_then(|f| f.row_into(row, &mut row_features))
                {
                    None => {
                        return exec_err!(
                            "{NAME}: sample {} (batch '{batch}') has NULL features",
                            sample(row)
                        );
                    }
                    Some(Err(position)) => {
                        let of = shape.map_or(position, |s| s.features.max(position));
                        return null("feature", position, of);
                    }
                    Some(Ok(())) => {
                        feature_rows.extend_from_slice(&row_features);
                        row_features.len()
                    }
                },
            };
            let covariates = match continuous.as_ref().and_then(|c| c.row(row)) {
                None => &[][..],
                Some(Err(position)) => return null("continuous covariate", position, position),
                Some(Ok(values)) => values,
            };
            numbers.extend_from_slice(covariates);
            let mut row_levels = 0;
            if let (Some(lists), Some(texts)) = (categorical, level_texts)
                && !lists.is_null(row)
            {
                let offsets = lists.value_offsets();
                let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
                for i in start..end {
                    if texts.is_null(i) {
                        return null("categorical covariate", i - start + 1, end - start);
                    }
                    levels.push(texts.value(i));
                }
                row_levels = end - start;
            }
            let this = Shape {
                features: width,
                categorical: row_levels,
                continuous: covariates.len(),
            };
            match shape {
                None => shape = Some(this),
                Some(known) if known == this => {}
                Some(known) => return Err(shape_mismatch(sample(row), this, known)),
            }
        }
        let Some(shape) = shape else {
            return Ok(()); // no rows
        };
        // Row-by-row features, turned into columns.
        let owned: Vec<Vec<f64>> = match dense {
            Some(_) => Vec::new(),
            None => (0..shape.features)
                .map(|f| {
                    feature_rows
                        .iter()
                        .skip(f)
                        .step_by(shape.features)
                        .copied()
                        .collect()
                })
                .collect(),
        };
        let columns: Vec<&[f64]> = match dense {
            Some(columns) => columns,
            None => owned.iter().map(Vec::as_slice).collect(),
        };
        self.moments(shape, first + 1)?
            .add_block(SampleBlock {
                batches: &labels,
                categorical: &levels,
                continuous: &numbers,
                features: &columns,
            })
            .map_err(|e| DataFusionError::Execution(format!("{NAME}: {e}")))?;
        if let Some(options) = values.get(4) {
            let options = cast(options, &DataType::Utf8)?;
            if let Some(text) = options.as_string::<i32>().iter().flatten().next() {
                self.options.get_or_insert_with(|| text.to_string());
            }
        }
        Ok(())
    }

    /// Per cell (batch and categorical levels): its labels, count and
    /// statistics, one list each.
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let cells = self.moments.as_ref().map_or(&[][..], SampleMoments::cells);
        let mut numbers = Vec::new();
        for cell in cells {
            cell.numbers(&mut numbers);
        }
        let shape: Vec<i64> = self
            .moments
            .as_ref()
            .map(|m| {
                let shape = m.shape();
                vec![
                    shape.features as i64,
                    shape.categorical as i64,
                    shape.continuous as i64,
                ]
            })
            .unwrap_or_default();
        Ok(vec![
            list_scalar(Arc::new(StringArray::from_iter_values(
                cells.iter().map(|c| c.batch.as_str()),
            ))),
            list_scalar(Arc::new(StringArray::from_iter_values(
                cells.iter().flat_map(|c| &c.levels).collect::<Vec<_>>(),
            ))),
            list_scalar(Arc::new(Int64Array::from_iter_values(
                cells.iter().map(|c| c.count as i64),
            ))),
            list_scalar(Arc::new(Float64Array::from(numbers))),
            list_scalar(Arc::new(Int64Array::from(shape))),
            ScalarValue::Utf8(self.options.clone()),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let shapes = states[4].as_list::<i32>();
        let options = states[5].as_string::<i32>();
        for row in 0..shapes.len() {
            let shape = shapes.value(row);
            let shape = shape.as_primitive::<Int64Type>();
            if shape.len() != 3 {
                continue; // a partition without samples
            }
            let shape = Shape {
                features: shape.value(0) as usize,
                categorical: shape.value(1) as usize,
                continuous: shape.value(2) as usize,
            };
            let values = |index: usize| states[index].as_list::<i32>().value(row);
            let (batches, levels, counts, numbers) = (values(0), values(1), values(2), values(3));
            let (batches, levels) = (batches.as_string::<i32>(), levels.as_string::<i32>());
            let counts = counts.as_primitive::<Int64Type>();
            let numbers = numbers.as_primitive::<Float64Type>().values();
            let per_cell = Cell::numbers_len(shape);
            let first = self.samples() + 1;
            let moments = self.moments(shape, first)?;
            for i in 0..batches.len() {
                Cell::from_numbers(
                    batches.value(i).to_string(),
                    (i * shape.categorical..(i + 1) * shape.categorical)
                        .map(|l| levels.value(l).to_string())
                        .collect(),
                    counts.value(i) as usize,
                    shape,
                    &numbers[i * per_cell..(i + 1) * per_cell],
                )
                .and_then(|cell| moments.merge_cell(cell))
                .map_err(|e| DataFusionError::Execution(format!("{NAME}: {e}")))?;
            }
            if !options.is_null(row) {
                self.options
                    .get_or_insert_with(|| options.value(row).to_string());
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let Some(moments) = self.moments.as_ref().filter(|m| !m.is_empty()) else {
            return Ok(ScalarValue::Utf8View(None));
        };
        let options = parse_options(self.options.as_deref().unwrap_or(""))?;
        let model = fit(moments, &options)
            .map_err(|e| DataFusionError::Execution(format!("{NAME}: {e}")))?;
        let json = serde_json::to_string(&model)
            .map_err(|e| DataFusionError::Execution(format!("{NAME}: {e}")))?;
        Ok(ScalarValue::Utf8View(Some(json)))
    }

    /// An estimate, cheap to compute: called after every batch.
    fn size(&self) -> usize {
        let Some(moments) = &self.moments else {
            return std::mem::size_of_val(self);
        };
        let per_cell = std::mem::size_of::<Cell>() + 8 * Cell::numbers_len(moments.shape());
        std::mem::size_of_val(self)
            + moments
                .cells()
                .iter()
                .map(|c| per_cell + c.batch.len() + c.levels.iter().map(String::len).sum::<usize>())
                .sum::<usize>()
    }
}
