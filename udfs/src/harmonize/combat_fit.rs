//! `combat_fit`: fits ComBat over a table's samples, an aggregate returning
//! the model as JSON; `combat_apply` (in `combat_apply.rs`) uses it.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Int64Type};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, Signature, Volatility,
};
use datafusion_macros::user_doc;

use super::combat::{ComBatOptions, Samples, fit};
use super::{FeatureColumns, NumberLists, coerce_features, coerce_list, list, list_scalar};

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
zero-variance features, covariates confounded with batch, one feature with empirical Bayes. Check \
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
        let field = |suffix: &str, data_type: DataType| {
            Arc::new(Field::new(
                format!("{}[{suffix}]", args.name),
                data_type,
                true,
            ))
        };
        Ok(vec![
            field("batches", list(DataType::Utf8)),
            field("features", list(DataType::Float64)),
            field("categorical", list(DataType::Utf8)),
            field("continuous", list(DataType::Float64)),
            field("shape", list(DataType::Int64)),
            field("options", DataType::Utf8),
        ])
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// One sample's features as `add_sample` receives them: already appended
/// with the whole batch (their number), or this row's (`None` for NULL,
/// `Err(position)` for a NULL value).
enum Feature<'a> {
    Appended(usize),
    Row(Option<std::result::Result<&'a [f64], usize>>),
}

/// The samples seen so far, with the list lengths the first one set.
#[derive(Debug, Default)]
struct FitAccumulator {
    samples: Samples,
    /// (features, categorical, continuous) per sample, once known.
    shape: Option<[usize; 3]>,
    options: Option<String>,
}

impl FitAccumulator {
    /// Checks that every sample has the lengths of the first.
    fn check_shape(&mut self, shape: [usize; 3]) -> Result<()> {
        match self.shape {
            None => {
                self.shape = Some(shape);
                self.samples.n_features = shape[0];
                self.samples.n_categorical = shape[1];
                self.samples.n_continuous = shape[2];
                Ok(())
            }
            Some(known) if known == shape => Ok(()),
            Some(known) => exec_err!(
                "{NAME}: every sample needs the same number of features and covariates; sample {} has {shape:?} (features, categorical, continuous), the first {known:?}",
                self.samples.len() + 1
            ),
        }
    }

    /// Adds one sample; `what` and the 1-based position name a NULL.
    fn add_sample(
        &mut self,
        batch: &str,
        features: Feature<'_>,
        categorical: Option<Vec<Option<&str>>>,
        continuous: Option<std::result::Result<&[f64], usize>>,
    ) -> Result<()> {
        let sample = self.samples.len() + 1;
        let null = |what: &str, position: usize, of: usize| {
            exec_err!(
                "{NAME}: sample {sample} (batch '{batch}') has a NULL {what} ({position} of {of}); ComBat needs complete data"
            )
        };
        let (width, values) = match features {
            Feature::Appended(width) => (width, None),
            Feature::Row(None) => {
                return exec_err!("{NAME}: sample {sample} (batch '{batch}') has NULL features");
            }
            Feature::Row(Some(Err(position))) => {
                return null("feature", position, self.samples.n_features.max(position));
            }
            Feature::Row(Some(Ok(values))) => (values.len(), Some(values)),
        };
        let continuous = match continuous {
            None => &[][..],
            Some(Err(position)) => return null("continuous covariate", position, position),
            Some(Ok(values)) => values,
        };
        let categorical = categorical.unwrap_or_default();
        if let Some(position) = categorical.iter().position(Option::is_none) {
            return null("categorical covariate", position + 1, categorical.len());
        }
        self.check_shape([width, categorical.len(), continuous.len()])?;
        self.samples.batches.push(batch.to_string());
        if let Some(values) = values {
            self.samples.features.extend_from_slice(values);
        }
        self.samples
            .categorical
            .extend(categorical.into_iter().flatten().map(str::to_string));
        self.samples.continuous.extend_from_slice(continuous);
        Ok(())
    }
}

impl Accumulator for FitAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let batches = cast(&values[0], &DataType::Utf8)?;
        let batches = batches.as_string::<i32>();
        let features = FeatureColumns::new(&values[1]);
        let categorical = values.get(2).and_then(|c| c.as_list_opt::<i32>());
        let continuous = values.get(3).and_then(NumberLists::new);
        for row in 0..batches.len() {
            if batches.is_null(row) {
                return exec_err!(
                    "{NAME}: sample {} has a NULL batch",
                    self.samples.len() + row + 1
                );
            }
        }
        // Struct columns without NULLs go straight into the sample matrix;
        // anything else row by row, which names a NULL where it is.
        let bulk = features
            .as_ref()
            .and_then(|f| f.append_row_major(&mut self.samples.features));
        let mut sample = Vec::new();
        self.samples.batches.reserve(batches.len());
        for row in 0..batches.len() {
            let labels = categorical
                .filter(|c| !c.is_null(row))
                .map(|c| c.value(row));
            let labels = labels
                .as_ref()
                .map(|l| cast(l, &DataType::Utf8))
                .transpose()?;
            let row_features = match bulk {
                Some(width) => Feature::Appended(width),
                None => Feature::Row(
                    features
                        .as_ref()
                        .and_then(|f| f.row_into(row, &mut sample))
                        .map(|found| found.map(|()| sample.as_slice())),
                ),
            };
            self.add_sample(
                batches.value(row),
                row_features,
                labels
                    .as_ref()
                    .map(|l| l.as_string::<i32>().iter().collect()),
                continuous.as_ref().and_then(|c| c.row(row)),
            )?;
        }
        if let Some(options) = values.get(4) {
            let options = cast(options, &DataType::Utf8)?;
            if let Some(text) = options.as_string::<i32>().iter().flatten().next() {
                self.options.get_or_insert_with(|| text.to_string());
            }
        }
        Ok(())
    }

    /// The samples, moved into the state: the partial accumulator is done
    /// with them once its state is taken.
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let texts =
            |values: &[String]| list_scalar(Arc::new(StringArray::from_iter_values(values.iter())));
        let numbers = |values: &mut Vec<f64>| {
            list_scalar(Arc::new(Float64Array::from(std::mem::take(values))))
        };
        let shape: Vec<i64> = self
            .shape
            .map(|s| s.iter().map(|v| *v as i64).collect())
            .unwrap_or_default();
        Ok(vec![
            texts(&self.samples.batches),
            numbers(&mut self.samples.features),
            texts(&self.samples.categorical),
            numbers(&mut self.samples.continuous),
            list_scalar(Arc::new(Int64Array::from(shape))),
            ScalarValue::Utf8(self.options.clone()),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        // One allocation for all partitions' samples.
        let incoming = states[1].as_list::<i32>().values().len();
        self.samples.features.reserve(incoming);
        let shapes = states[4].as_list::<i32>();
        let options = states[5].as_string::<i32>();
        for row in 0..shapes.len() {
            let shape = shapes.value(row);
            let shape = shape.as_primitive::<Int64Type>();
            if shape.len() != 3 {
                continue; // a partition without samples
            }
            let shape = [0, 1, 2].map(|i| shape.value(i) as usize);
            self.check_shape(shape)?;
            let values = |index: usize| states[index].as_list::<i32>().value(row);
            let batches = values(0);
            self.samples.batches.extend(
                batches
                    .as_string::<i32>()
                    .iter()
                    .flatten()
                    .map(str::to_string),
            );
            self.samples
                .features
                .extend_from_slice(values(1).as_primitive::<Float64Type>().values());
            self.samples.categorical.extend(
                values(2)
                    .as_string::<i32>()
                    .iter()
                    .flatten()
                    .map(str::to_string),
            );
            self.samples
                .continuous
                .extend_from_slice(values(3).as_primitive::<Float64Type>().values());
            if !options.is_null(row) {
                self.options
                    .get_or_insert_with(|| options.value(row).to_string());
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        if self.samples.is_empty() {
            return Ok(ScalarValue::Utf8View(None));
        }
        let options = parse_options(self.options.as_deref().unwrap_or(""))?;
        let model = fit(std::mem::take(&mut self.samples), &options)
            .map_err(|e| datafusion::error::DataFusionError::Execution(format!("{NAME}: {e}")))?;
        let json = serde_json::to_string(&model)
            .map_err(|e| datafusion::error::DataFusionError::Execution(format!("{NAME}: {e}")))?;
        Ok(ScalarValue::Utf8View(Some(json)))
    }

    /// An estimate, cheap to compute: called after every batch, it must not
    /// walk the samples.
    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self.samples.features.capacity() * 8
            + self.samples.continuous.capacity() * 8
            + (self.samples.batches.capacity() + self.samples.categorical.capacity()) * 40
    }
}
