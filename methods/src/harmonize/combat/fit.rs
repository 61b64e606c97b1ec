//! Fitting ComBat: the design, the standardized data (step 1), the
//! location/scale estimates and priors (step 2), the batch effects (step 3).

use super::empirical_bayes::{non_parametric_eb, parametric_eb};
use super::linear::{Matrix, mean, solve_normal, variance};
use super::moments::{self, SampleMoments};
use super::{ComBatModel, ComBatOptions, MODEL_FORMAT};

/// The design row of one sample: batch one-hot (the reference batch's
/// column all ones), categorical one-hots without their first level,
/// continuous values.
pub(super) fn design_row(
    batch: usize,
    ref_level: Option<usize>,
    n_batches: usize,
    categorical: &[usize],
    levels: &[Vec<String>],
    continuous: &[f64],
    out: &mut Vec<f64>,
) {
    out.clear();
    out.extend((0..n_batches).map(|b| {
        if b == batch || Some(b) == ref_level {
            1.0
        } else {
            0.0
        }
    }));
    for (value, levels) in categorical.iter().zip(levels) {
        out.extend((1..levels.len()).map(|l| if l == *value { 1.0 } else { 0.0 }));
    }
    out.extend_from_slice(continuous);
}

/// Fits ComBat to the samples in `data`.
///
/// Errors, each naming what is wrong: no samples or features; a batch with
/// one sample (its variance cannot be estimated; sva forces mean-only,
/// neuroCombat spreads NaN: use `mean_only`); empirical Bayes with one
/// feature (no prior to estimate: use `eb = false`); a reference batch that
/// is not in the data; a design whose columns are dependent (a covariate
/// confounded with batch); a feature with zero residual variance
/// (neuroCombat would replace it with the median of a boolean array, a bug;
/// sva leaves such features unadjusted: leave it out). Non-finite values
/// are refused as the samples are added ([`SampleMoments::add_block`]).
///
/// Every sum over samples comes from the per-cell statistics (see
/// [`moments`]): with d̄ a cell's mean design row, the design's normal
/// equations are Σ_cells n d̄ d̄ᵀ plus the continuous covariates'
/// within-cell sums of squares, and a cell's residual (or standardized)
/// sum of squares is n (ȳ - d̄ᵀB)² plus its within-cell part
/// W = S_yy - 2 βᵀS_xy + βᵀS_xx β, β the continuous covariates'
/// coefficients.
pub fn fit(data: &SampleMoments, options: &ComBatOptions) -> Result<ComBatModel, String> {
    let design = Design::of(data, options)?;
    let standardized = Standardized::fit(&design)?;
    let estimates = Estimates::of(&design, &standardized, options)?;
    let effects = BatchEffects::of(&design, &standardized, &estimates, options)?;
    let Design {
        batches,
        counts,
        categorical_levels,
        p,
        m,
        g,
        ..
    } = design;
    Ok(ComBatModel {
        format: MODEL_FORMAT.to_string(),
        options: options.clone(),
        batches,
        samples_per_batch: counts,
        n_features: g,
        categorical_levels,
        n_continuous: m,
        b_hat: (0..p).map(|r| standardized.b_hat.row(r).to_vec()).collect(),
        grand_mean: standardized.grand_mean,
        var_pooled: standardized.var_pooled,
        gamma_star: effects.gamma_star,
        delta_star: effects.delta_star,
        gamma_bar: known(options.eb, &estimates.gamma_bar),
        t2: known(options.eb, &estimates.t2),
        a_prior: known(options.eb && !options.mean_only, &estimates.a_prior),
        b_prior: known(options.eb && !options.mean_only, &estimates.b_prior),
        iterations: effects.iterations,
    })
}

/// The fit's layout: the batches and covariate levels, each cell's batch
/// and mean design row, and the design's width.
struct Design<'a> {
    cells: &'a [moments::Cell],
    /// Batch labels, sorted as np.unique sorts them.
    batches: Vec<String>,
    /// Samples per batch.
    counts: Vec<usize>,
    /// Each cell's batch.
    cell_batch: Vec<usize>,
    ref_level: Option<usize>,
    categorical_levels: Vec<Vec<String>>,
    /// Each cell's mean design row: batch one-hot, categorical dummies,
    /// continuous means.
    designs: Vec<Vec<f64>>,
    /// Samples, batches, features, design columns, continuous covariates
    /// (the last `m` design columns, from `first_continuous`).
    n: usize,
    k: usize,
    g: usize,
    p: usize,
    m: usize,
    first_continuous: usize,
}

impl<'a> Design<'a> {
    fn of(data: &'a SampleMoments, options: &ComBatOptions) -> Result<Self, String> {
        let n = data.len();
        let shape = data.shape();
        let g = shape.features;
        if n == 0 || g == 0 {
            return Err(format!(
                "ComBat needs samples and features, got {n} samples of {g} features"
            ));
        }
        let cells = data.cells();

        // Batches and categorical levels in sorted order, as np.unique.
        let sorted = |values: Vec<&String>| -> Vec<String> {
            let mut levels: Vec<String> = values.into_iter().cloned().collect();
            levels.sort();
            levels.dedup();
            levels
        };
        let batches = sorted(cells.iter().map(|c| &c.batch).collect());
        let k = batches.len();
        let cell_batch: Vec<usize> = cells
            .iter()
            .map(|c| {
                batches
                    .binary_search(&c.batch)
                    .expect("batches hold every cell's")
            })
            .collect();
        let mut counts = vec![0; k];
        for (cell, &b) in cells.iter().zip(&cell_batch) {
            counts[b] += cell.count;
        }
        if !options.mean_only
            && let Some(i) = counts.iter().position(|&c| c < 2)
        {
            return Err(format!(
                "batch '{}' has {} sample: its variance cannot be estimated; use mean_only, or merge or drop the batch",
                batches[i], counts[i]
            ));
        }
        if options.eb && g < 2 {
            return Err(
                "empirical Bayes needs at least 2 features to estimate the priors; use eb = false for one feature"
                    .to_string(),
            );
        }
        let ref_level = match &options.ref_batch {
            None => None,
            Some(reference) => Some(batches.binary_search(reference).map_err(|_| {
                format!("reference batch '{reference}' is not among the batches {batches:?}")
            })?),
        };
        let categorical_levels: Vec<Vec<String>> = (0..shape.categorical)
            .map(|col| sorted(cells.iter().map(|c| &c.levels[col]).collect()))
            .collect();

        let m = shape.continuous;
        let p = k
            + categorical_levels
                .iter()
                .map(|l| l.len() - 1)
                .sum::<usize>()
            + m;
        let first_continuous = p - m;
        let mut row = Vec::with_capacity(p);
        let designs: Vec<Vec<f64>> = cells
            .iter()
            .zip(&cell_batch)
            .map(|(cell, &b)| {
                let levels: Vec<usize> = cell
                    .levels
                    .iter()
                    .zip(&categorical_levels)
                    .map(|(value, levels)| {
                        levels
                            .binary_search(value)
                            .expect("levels hold every value")
                    })
                    .collect();
                design_row(
                    b,
                    ref_level,
                    k,
                    &levels,
                    &categorical_levels,
                    &cell.continuous_mean,
                    &mut row,
                );
                row.clone()
            })
            .collect();
        Ok(Self {
            cells,
            batches,
            counts,
            cell_batch,
            ref_level,
            categorical_levels,
            designs,
            n,
            k,
            g,
            p,
            m,
            first_continuous,
        })
    }
}

/// Step 1: the data standardized feature by feature (neuroCombat's
/// `standardize_across_features`), as per-batch sums and moments.
struct Standardized {
    /// Regression coefficients, one row per design column.
    b_hat: Matrix,
    grand_mean: Vec<f64>,
    var_pooled: Vec<f64>,
    /// Per batch, per feature: the sum of the standardized values.
    batch_sums: Vec<Vec<f64>>,
    /// Per batch: the standardized values' means and sums of squared
    /// deviations (the variances, and the empirical Bayes sums of squares
    /// without a pass per round).
    moments: Vec<(Vec<f64>, Vec<f64>)>,
}

impl Standardized {
    fn fit(design: &Design) -> Result<Self, String> {
        let Design {
            cells,
            counts,
            cell_batch,
            ref_level,
            designs,
            n,
            k,
            g,
            p,
            m,
            first_continuous,
            ..
        } = design;
        let (n, k, g, p, m, first_continuous) = (*n, *k, *g, *p, *m, *first_continuous);

        // The normal equations [XᵀX | XᵀY], p × (p + G).
        let width = p + g;
        let mut normal = Matrix::zeros(p, width);
        for (cell, d) in cells.iter().zip(designs) {
            let count = cell.count as f64;
            for r in 0..p {
                if d[r] == 0.0 {
                    continue;
                }
                let out = &mut normal.data[r * width..(r + 1) * width];
                for c in 0..p {
                    out[c] += count * d[r] * d[c];
                }
                for (o, y) in out[p..].iter_mut().zip(&cell.feature_mean) {
                    *o += count * d[r] * y;
                }
            }
            for a in 0..m {
                let out = &mut normal.data[(first_continuous + a) * width..][..width];
                for b in 0..m {
                    out[first_continuous + b] += cell.continuous_squares[a * m + b];
                }
                for (o, s) in out[p..].iter_mut().zip(&cell.cross[a * g..(a + 1) * g]) {
                    *o += s;
                }
            }
        }
        let b_hat = solve_normal(normal, p, g).ok_or_else(|| {
            "the design is singular: a covariate is confounded with batch (or with another covariate), so its effect cannot be told from the batch effect".to_string()
        })?;
        let grand_mean: Vec<f64> = match ref_level {
            Some(r) => b_hat.row(*r).to_vec(),
            None => (0..g)
                .map(|f| {
                    (0..k)
                        .map(|i| counts[i] as f64 / n as f64 * b_hat.at(i, f))
                        .sum()
                })
                .collect(),
        };
        // Per cell: Σ over the design columns in `columns` of d̄[col] B̂[col, ·],
        // and the within-cell residual sums of squares W.
        let effect = |d: &[f64], columns: std::ops::Range<usize>| -> Vec<f64> {
            let mut out = vec![0.0; g];
            for col in columns {
                if d[col] == 0.0 {
                    continue;
                }
                for (o, b) in out.iter_mut().zip(b_hat.row(col)) {
                    *o += d[col] * b;
                }
            }
            out
        };
        let within: Vec<Vec<f64>> = cells
            .iter()
            .map(|cell| {
                (0..g)
                    .map(|f| {
                        let beta = |a: usize| b_hat.at(first_continuous + a, f);
                        let mut w = cell.feature_squares[f];
                        for a in 0..m {
                            w -= 2.0 * beta(a) * cell.cross[a * g + f];
                            for b in 0..m {
                                w += beta(a) * beta(b) * cell.continuous_squares[a * m + b];
                            }
                        }
                        // A sum of squares; rounding must not make it negative.
                        w.max(0.0)
                    })
                    .collect()
            })
            .collect();
        let pooled = |b: usize| ref_level.is_none_or(|r| r == b);
        let pooled_samples: usize = (0..k).filter(|&b| pooled(b)).map(|b| counts[b]).sum();
        let mut var_pooled = vec![0.0; g];
        let mut mean_square = vec![0.0; g];
        for (((cell, d), w), &b) in cells.iter().zip(designs).zip(&within).zip(cell_batch) {
            if !pooled(b) {
                continue;
            }
            let count = cell.count as f64;
            let fitted = effect(d, 0..p);
            for f in 0..g {
                let residual = cell.feature_mean[f] - fitted[f];
                var_pooled[f] += count * residual * residual + w[f];
                mean_square[f] +=
                    count * cell.feature_mean[f] * cell.feature_mean[f] + cell.feature_squares[f];
            }
        }
        for v in &mut var_pooled {
            *v /= pooled_samples as f64;
        }
        // Zero up to rounding: a residual spread below 1e-12 of the values'
        // size (a constant feature leaves only the rounding of its sums).
        if let Some(f) =
            (0..g).position(|f| var_pooled[f] <= 1e-24 * mean_square[f] / pooled_samples as f64)
        {
            return Err(format!(
                "feature {} has zero variance around the model (constant within the fit): ComBat cannot scale it; leave it out",
                f + 1
            ));
        }
        let scale: Vec<f64> = var_pooled.iter().map(|v| v.sqrt()).collect();

        // The standardized data z = (y - grand mean - covariate effect) / scale,
        // per batch.
        let mut cell_means: Vec<Vec<f64>> = Vec::with_capacity(cells.len());
        let mut batch_sums = vec![vec![0.0; g]; k];
        for ((cell, d), &b) in cells.iter().zip(designs).zip(cell_batch) {
            let covariates = effect(d, k..p);
            let means: Vec<f64> = (0..g)
                .map(|f| (cell.feature_mean[f] - grand_mean[f] - covariates[f]) / scale[f])
                .collect();
            for (sum, z) in batch_sums[b].iter_mut().zip(&means) {
                *sum += cell.count as f64 * z;
            }
            cell_means.push(means);
        }
        let mut moments: Vec<(Vec<f64>, Vec<f64>)> = batch_sums
            .iter()
            .zip(counts)
            .map(|(sums, &count)| {
                (
                    sums.iter().map(|s| s / count as f64).collect(),
                    vec![0.0; g],
                )
            })
            .collect();
        for ((cell, (means, w)), &b) in cells
            .iter()
            .zip(cell_means.iter().zip(&within))
            .zip(cell_batch)
        {
            let (batch_means, squares) = &mut moments[b];
            for f in 0..g {
                let between = means[f] - batch_means[f];
                squares[f] += w[f] / var_pooled[f] + cell.count as f64 * between * between;
            }
        }
        Ok(Self {
            b_hat,
            grand_mean,
            var_pooled,
            batch_sums,
            moments,
        })
    }
}

/// Step 2: the location/scale estimates per batch and feature, and the
/// priors' hyperparameters.
struct Estimates {
    gamma_hat: Matrix,
    delta_hat: Vec<Vec<f64>>,
    gamma_bar: Vec<f64>,
    t2: Vec<f64>,
    a_prior: Vec<f64>,
    b_prior: Vec<f64>,
}

impl Estimates {
    /// The batch design has a 1 at the sample's batch (and in every row of
    /// the reference column), so its normal equations come from the counts
    /// and the per-batch sums: XᵀX[b, b] = n_b, XᵀZ[b] = Σ_batch b z; the
    /// reference column adds n, n_b and the total.
    fn of(
        design: &Design,
        standardized: &Standardized,
        options: &ComBatOptions,
    ) -> Result<Self, String> {
        let (n, k, g) = (design.n, design.k, design.g);
        let counts = &design.counts;
        let batch_sums = &standardized.batch_sums;
        let mut normal = Matrix::zeros(k, k + g);
        for b in 0..k {
            normal.set(b, b, counts[b] as f64);
            normal.data[b * (k + g) + k..(b + 1) * (k + g)].copy_from_slice(&batch_sums[b]);
        }
        if let Some(r) = design.ref_level {
            let total: Vec<f64> = (0..g)
                .map(|f| (0..k).map(|b| batch_sums[b][f]).sum())
                .collect();
            for (b, count) in counts.iter().enumerate() {
                let count = if b == r { n } else { *count } as f64;
                normal.set(r, b, count);
                normal.set(b, r, count);
            }
            normal.data[r * (k + g) + k..(r + 1) * (k + g)].copy_from_slice(&total);
        }
        let gamma_hat =
            solve_normal(normal, k, g).ok_or_else(|| "the batch design is singular".to_string())?;
        let delta_hat: Vec<Vec<f64>> = (0..k)
            .map(|i| {
                if options.mean_only {
                    return vec![1.0; g];
                }
                standardized.moments[i]
                    .1
                    .iter()
                    .map(|s| {
                        let v = s / (counts[i] as f64 - 1.0);
                        // neuroCombat's convert_zeroes.
                        if v == 0.0 { 1.0 } else { v }
                    })
                    .collect()
            })
            .collect();
        let gamma_bar: Vec<f64> = (0..k).map(|i| mean(gamma_hat.row(i))).collect();
        let t2: Vec<f64> = (0..k).map(|i| variance(gamma_hat.row(i))).collect();
        let (a_prior, b_prior): (Vec<f64>, Vec<f64>) = (0..k)
            .map(|i| {
                if options.mean_only {
                    return (f64::NAN, f64::NAN);
                }
                let m = mean(&delta_hat[i]);
                let s2 = variance(&delta_hat[i]);
                ((2.0 * s2 + m * m) / s2, (m * s2 + m * m * m) / s2)
            })
            .unzip();
        Ok(Self {
            gamma_hat,
            delta_hat,
            gamma_bar,
            t2,
            a_prior,
            b_prior,
        })
    }
}

/// Step 3: the batch effects, shrunk by empirical Bayes or not, as the
/// options say.
struct BatchEffects {
    gamma_star: Vec<Vec<f64>>,
    delta_star: Vec<Vec<f64>>,
    /// Parametric EB iterations per batch (0 otherwise).
    iterations: Vec<usize>,
}

impl BatchEffects {
    fn of(
        design: &Design,
        standardized: &Standardized,
        estimates: &Estimates,
        options: &ComBatOptions,
    ) -> Result<Self, String> {
        let (k, g) = (design.k, design.g);
        let Estimates {
            gamma_hat,
            delta_hat,
            gamma_bar,
            t2,
            a_prior,
            b_prior,
        } = estimates;
        let mut gamma_star: Vec<Vec<f64>> = Vec::with_capacity(k);
        let mut delta_star: Vec<Vec<f64>> = Vec::with_capacity(k);
        let mut iterations = vec![0; k];
        for i in 0..k {
            let g_hat = gamma_hat.row(i);
            let counts = design.counts[i];
            let moments = &standardized.moments[i];
            let (gs, ds) = match (options.eb, options.parametric, options.mean_only) {
                (false, _, _) => (g_hat.to_vec(), delta_hat[i].clone()),
                (true, true, true) => (
                    g_hat
                        .iter()
                        .map(|&gh| (t2[i] * gh + gamma_bar[i]) / (t2[i] + 1.0))
                        .collect(),
                    vec![1.0; g],
                ),
                (true, true, false) => {
                    let (gs, ds, rounds) = parametric_eb(
                        counts,
                        moments,
                        g_hat,
                        &delta_hat[i],
                        gamma_bar[i],
                        t2[i],
                        a_prior[i],
                        b_prior[i],
                    )
                    .map_err(|e| format!("batch '{}': {e}", design.batches[i]))?;
                    iterations[i] = rounds;
                    (gs, ds)
                }
                (true, false, _) => non_parametric_eb(counts, moments, g_hat, &delta_hat[i]),
            };
            gamma_star.push(gs);
            delta_star.push(ds);
        }
        if let Some(r) = design.ref_level {
            gamma_star[r] = vec![0.0; g];
            delta_star[r] = vec![1.0; g];
        }
        Ok(Self {
            gamma_star,
            delta_star,
            iterations,
        })
    }
}

/// Hyperparameters the mode used, `None` otherwise (JSON has no NaN).
fn known(used: bool, values: &[f64]) -> Vec<Option<f64>> {
    values
        .iter()
        .map(|v| (used && v.is_finite()).then_some(*v))
        .collect()
}
