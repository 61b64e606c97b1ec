//! Applying a fitted model to samples, with their own covariates.

use super::ComBatModel;
use super::fit::design_row;

/// A model ready to harmonize samples: what only depends on the batch is
/// computed once, so each sample costs a few operations per feature.
#[derive(Debug)]
pub struct PreparedModel {
    model: ComBatModel,
    ref_level: Option<usize>,
    /// Feature-major, `batches` per feature: the additive batch effect in
    /// the feature's units, sqrt(var_pooled[f]) Σ_c D[batch, c] γ*[c, f]
    /// over the batch columns. Feature-major so that harmonizing a column
    /// reads one short run.
    batch_shift: Vec<f64>,
    /// Feature-major, `batches` per feature: 1 / sqrt(δ*²).
    batch_inverse_sd: Vec<f64>,
    /// Feature-major, one per design column past the batches: B̂[c, f].
    covariate_b: Vec<f64>,
    /// Design columns past the batches (categorical dummies, continuous).
    covariate_columns: usize,
}

impl ComBatModel {
    pub fn prepare(self) -> PreparedModel {
        let k = self.batches.len();
        let ref_level = self
            .options
            .ref_batch
            .as_ref()
            .and_then(|r| self.batches.binary_search(r).ok());
        let g = self.n_features;
        let (mut batch_shift, mut batch_inverse_sd) =
            (Vec::with_capacity(g * k), Vec::with_capacity(g * k));
        let mut covariate_b = Vec::with_capacity(g * self.b_hat.len().saturating_sub(k));
        for f in 0..g {
            let scale = self.var_pooled[f].sqrt();
            for b in 0..k {
                let effect: f64 = (0..k)
                    .filter(|&c| c == b || Some(c) == ref_level)
                    .map(|c| self.gamma_star[c][f])
                    .sum();
                batch_shift.push(effect * scale);
                batch_inverse_sd.push(1.0 / self.delta_star[b][f].sqrt());
            }
            covariate_b.extend(self.b_hat[k..].iter().map(|row| row[f]));
        }
        PreparedModel {
            ref_level,
            batch_shift,
            batch_inverse_sd,
            covariate_b,
            covariate_columns: self.b_hat.len() - k,
            model: self,
        }
    }
}

impl PreparedModel {
    pub fn model(&self) -> &ComBatModel {
        &self.model
    }

    /// What harmonizing one sample needs besides its features: its batch
    /// (one of the training batches) and its covariates in the training
    /// order, checked. Covariate effects come from this sample's own
    /// covariates.
    pub fn sample_design(
        &self,
        batch: &str,
        categorical: &[&str],
        continuous: &[f64],
    ) -> Result<SampleDesign, String> {
        let model = &self.model;
        let k = model.batches.len();
        let Ok(b) = model.batches.binary_search_by(|x| x.as_str().cmp(batch)) else {
            return Err(format!(
                "batch '{batch}' is not in the model (trained on {:?})",
                model.batches
            ));
        };
        if categorical.len() != model.categorical_levels.len()
            || continuous.len() != model.n_continuous
        {
            return Err(format!(
                "the model has {} categorical and {} continuous covariates, the sample {} and {}",
                model.categorical_levels.len(),
                model.n_continuous,
                categorical.len(),
                continuous.len()
            ));
        }
        let levels = categorical
            .iter()
            .zip(&model.categorical_levels)
            .enumerate()
            .map(|(col, (value, levels))| {
                levels
                    .binary_search_by(|l| l.as_str().cmp(value))
                    .map_err(|_| {
                        format!(
                            "categorical covariate {} has level '{value}', which the model was not trained on ({levels:?})",
                            col + 1
                        )
                    })
            })
            .collect::<Result<Vec<usize>, String>>()?;
        let mut row = Vec::with_capacity(model.b_hat.len());
        design_row(
            b,
            self.ref_level,
            k,
            &levels,
            &model.categorical_levels,
            continuous,
            &mut row,
        );
        Ok(SampleDesign {
            batch: b,
            unchanged: self.ref_level == Some(b),
            // The non-zero design columns past the batches, in column order.
            covariates: row
                .iter()
                .enumerate()
                .skip(k)
                .filter(|(_, v)| **v != 0.0)
                .map(|(c, v)| (c, *v))
                .collect(),
        })
    }

    pub fn n_features(&self) -> usize {
        self.model.n_features
    }

    /// What harmonizing feature `f` needs, gathered once per column.
    pub fn column(&self, f: usize) -> ColumnAdjuster<'_> {
        let (k, covariates) = (self.model.batches.len(), self.covariate_columns);
        ColumnAdjuster {
            batches: k,
            grand_mean: self.model.grand_mean[f],
            batch_shift: &self.batch_shift[f * k..(f + 1) * k],
            batch_inverse_sd: &self.batch_inverse_sd[f * k..(f + 1) * k],
            covariate_b: &self.covariate_b[f * covariates..(f + 1) * covariates],
        }
    }

    /// The designs of many rows, dense: what [`Self::adjust_column`] reads.
    /// `None` rows are passed through (their output is masked as NULL).
    pub fn row_designs<'d>(
        &self,
        designs: impl Iterator<Item = Option<&'d SampleDesign>>,
    ) -> RowDesigns {
        let (k, width) = (self.model.batches.len(), self.covariate_columns);
        let mut rows = RowDesigns {
            batches: Vec::new(),
            pass_through: Vec::new(),
            covariates: Vec::new(),
            width,
        };
        for design in designs {
            let start = rows.covariates.len();
            rows.covariates.resize(start + width, 0.0);
            match design {
                Some(design) => {
                    rows.batches.push(design.batch);
                    rows.pass_through.push(design.unchanged);
                    for (c, dv) in &design.covariates {
                        rows.covariates[start + c - k] = *dv;
                    }
                }
                None => {
                    rows.batches.push(0);
                    rows.pass_through.push(true);
                }
            }
        }
        rows
    }

    /// Feature `f` of every row harmonized, a tight loop over dense
    /// designs. Equal to [`ColumnAdjuster::value`] row by row (the zero
    /// covariate terms it skips add nothing).
    pub fn adjust_column(&self, f: usize, rows: &RowDesigns, values: &[f64]) -> Vec<f64> {
        let column = self.column(f);
        let width = rows.width;
        values
            .iter()
            .enumerate()
            .map(|(j, value)| {
                if rows.pass_through[j] {
                    return *value;
                }
                let mut covariate_effect = 0.0;
                for (d, b) in rows.covariates[j * width..(j + 1) * width]
                    .iter()
                    .zip(column.covariate_b)
                {
                    covariate_effect += d * b;
                }
                let batch = rows.batches[j];
                let mean = column.grand_mean + covariate_effect;
                (value - mean - column.batch_shift[batch]) * column.batch_inverse_sd[batch] + mean
            })
            .collect()
    }

    /// Feature `f` of a sample harmonized (see [`ColumnAdjuster::value`]).
    pub fn adjust_value(&self, design: &SampleDesign, f: usize, value: f64) -> f64 {
        self.column(f).value(design, value)
    }

    /// Harmonizes one sample's features into `out`.
    pub fn adjust(
        &self,
        batch: &str,
        features: &[f64],
        categorical: &[&str],
        continuous: &[f64],
        out: &mut Vec<f64>,
    ) -> Result<(), String> {
        if features.len() != self.model.n_features {
            return Err(format!(
                "the model has {} features, the sample {}",
                self.model.n_features,
                features.len()
            ));
        }
        let design = self.sample_design(batch, categorical, continuous)?;
        out.clear();
        out.extend(
            features
                .iter()
                .enumerate()
                .map(|(f, value)| self.adjust_value(&design, f, *value)),
        );
        Ok(())
    }
}

/// Many rows' designs, dense (see [`PreparedModel::row_designs`]).
#[derive(Debug)]
pub struct RowDesigns {
    batches: Vec<usize>,
    /// Reference-batch rows, and rows without a design: returned as they are.
    pass_through: Vec<bool>,
    /// Row-major, `width` per row: the covariate design columns.
    covariates: Vec<f64>,
    width: usize,
}

/// One feature's constants of a prepared model.
#[derive(Debug, Clone, Copy)]
pub struct ColumnAdjuster<'a> {
    batches: usize,
    grand_mean: f64,
    batch_shift: &'a [f64],
    batch_inverse_sd: &'a [f64],
    covariate_b: &'a [f64],
}

impl ColumnAdjuster<'_> {
    /// The feature of a sample harmonized: the covariate effect and the
    /// grand mean taken out and put back, the batch's additive effect
    /// removed and its scale divided out, as neuroCombat's
    /// adjust_data_final: ((y - m) / σ - γ*) / δ* σ + m, with m the grand
    /// mean plus the covariate effect and σ the pooled standard deviation,
    /// computed as (y - m - σγ*) (1 / δ*) + m, which needs no division per
    /// value. A reference-batch sample is returned unchanged.
    pub fn value(&self, design: &SampleDesign, value: f64) -> f64 {
        if design.unchanged {
            return value;
        }
        let mut covariate_effect = 0.0;
        for (c, dv) in &design.covariates {
            covariate_effect += dv * self.covariate_b[c - self.batches];
        }
        let mean = self.grand_mean + covariate_effect;
        (value - mean - self.batch_shift[design.batch]) * self.batch_inverse_sd[design.batch] + mean
    }
}

/// One sample's batch and covariate design, checked against a model.
#[derive(Debug, Clone)]
pub struct SampleDesign {
    batch: usize,
    /// A sample of the reference batch: returned as it is.
    unchanged: bool,
    /// (design column, value) of the non-zero covariate columns.
    covariates: Vec<(usize, f64)>,
}
