//! ComBat harmonization as plain Rust, exactly as neuroCombat 0.2.12
//! implements it (Johnson WE, Li C, Rabinovic A, Biostatistics 2007;8:118-127;
//! Fortin J-P et al., NeuroImage 2018;167:104-120; the neuroCombat source,
//! `neuroCombat/neuroCombat.py`, read line by line). Feature g of sample j in
//! batch i is modelled as
//!
//! `Y_jg = α_g + X_j·β_g + γ_ig + δ_ig·ε_jg`,
//!
//! with covariates X whose effects are preserved, an additive batch effect γ
//! and a multiplicative one δ whose priors are shared by the features of a
//! batch (empirical Bayes).
//!
//! Where neuroCombat has quirks rwid decides deliberately (documented on
//! [`fit`]): a zero-variance feature, a one-sample batch and missing values
//! are errors instead of silently wrong numbers; the non-parametric prior is
//! computed in log space, equal where neuroCombat's is finite and finite
//! where it underflows to NaN; continuous covariates are not cast to
//! float32. The fitted model applies to new samples with their own
//! covariates (neuroHarmonize's `harmonizationApply` semantics).
//!
//! The fit reads the samples once, as per-cell sufficient statistics
//! ([`moments`]), so its memory does not grow with the number of samples;
//! the results equal neuroCombat's to rounding (about 1e-13 relative on the
//! test fixtures).

use serde::{Deserialize, Serialize};

pub mod moments;

pub use moments::{SampleBlock, SampleMoments, Shape};

/// How the batch effects are estimated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComBatOptions {
    /// Empirical Bayes: shrink each feature's batch effects towards the
    /// batch's prior (default). Without it, plain per-feature location/scale.
    pub eb: bool,
    /// Parametric priors (default); non-parametric otherwise.
    pub parametric: bool,
    /// Adjust the mean only, not the variance.
    pub mean_only: bool,
    /// A batch left as it is, the others moved to it.
    pub ref_batch: Option<String>,
}

impl Default for ComBatOptions {
    fn default() -> Self {
        Self {
            eb: true,
            parametric: true,
            mean_only: false,
            ref_batch: None,
        }
    }
}

/// A fitted model: everything needed to harmonize samples of the training
/// batches later, serialized as JSON by `combat_fit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComBatModel {
    /// `rwid ComBat model` and its format version.
    pub format: String,
    pub options: ComBatOptions,
    /// Batch labels, sorted (neuroCombat's `np.unique` order).
    pub batches: Vec<String>,
    pub samples_per_batch: Vec<usize>,
    pub n_features: usize,
    /// Levels of each categorical covariate, sorted; the first is the
    /// reference level of its one-hot coding.
    pub categorical_levels: Vec<Vec<String>>,
    pub n_continuous: usize,
    /// Regression coefficients, one row per design column (batches, then
    /// categorical dummies, then continuous covariates), one value per feature.
    pub b_hat: Vec<Vec<f64>>,
    /// Per feature: the batch-weighted mean (or the reference batch's).
    pub grand_mean: Vec<f64>,
    /// Per feature: residual variance, over n (not n - p), as neuroCombat.
    pub var_pooled: Vec<f64>,
    /// Per batch, per feature: the estimated additive batch effect.
    pub gamma_star: Vec<Vec<f64>>,
    /// Per batch, per feature: the estimated multiplicative batch effect.
    pub delta_star: Vec<Vec<f64>>,
    /// The priors' hyperparameters per batch (`None` where the mode has none).
    pub gamma_bar: Vec<Option<f64>>,
    pub t2: Vec<Option<f64>>,
    pub a_prior: Vec<Option<f64>>,
    pub b_prior: Vec<Option<f64>>,
    /// Parametric EB iterations per batch (0 otherwise).
    pub iterations: Vec<usize>,
}

pub const MODEL_FORMAT: &str = "rwid ComBat model 1";

/// neuroCombat's convergence threshold for the parametric EB iteration.
const CONVERGENCE: f64 = 1e-4;
/// The iteration stops with an error past this many rounds.
const MAX_ITERATIONS: usize = 10_000;

/// A dense row-major matrix, as small as ComBat needs.
#[derive(Debug, Clone)]
struct Matrix {
    cols: usize,
    data: Vec<f64>,
}

impl Matrix {
    fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    fn at(&self, r: usize, c: usize) -> f64 {
        self.data[r * self.cols + c]
    }

    fn set(&mut self, r: usize, c: usize, v: f64) {
        self.data[r * self.cols + c] = v;
    }

    fn row(&self, r: usize) -> &[f64] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }
}

/// Solves normal equations `[XᵀX | XᵀY]` (p × (p + G)) for the p × G
/// coefficients by Gauss-Jordan elimination with partial pivoting; `None`
/// when XᵀX is singular.
fn solve_normal(mut a: Matrix, p: usize, g: usize) -> Option<Matrix> {
    let width = p + g;
    let scale = (0..p).map(|i| a.at(i, i).abs()).fold(0.0, f64::max);
    for col in 0..p {
        let pivot = (col..p)
            .max_by(|&i, &j| a.at(i, col).abs().total_cmp(&a.at(j, col).abs()))
            .expect("p > 0");
        if a.at(pivot, col).abs() <= 1e-10 * scale.max(f64::MIN_POSITIVE) {
            return None;
        }
        if pivot != col {
            for c in 0..width {
                a.data.swap(pivot * width + c, col * width + c);
            }
        }
        let inverse = 1.0 / a.at(col, col);
        for c in 0..width {
            a.data[col * width + c] *= inverse;
        }
        for r in 0..p {
            let factor = a.at(r, col);
            if r == col || factor == 0.0 {
                continue;
            }
            for c in 0..width {
                let v = a.at(col, c);
                a.data[r * width + c] -= factor * v;
            }
        }
    }
    let mut b = Matrix::zeros(p, g);
    for r in 0..p {
        b.data[r * g..(r + 1) * g].copy_from_slice(&a.data[r * width + p..(r + 1) * width]);
    }
    Some(b)
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Sample variance (ddof = 1), NaN for fewer than two values as NumPy.
fn variance(values: &[f64]) -> f64 {
    let m = mean(values);
    values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (values.len() as f64 - 1.0)
}

/// NumPy's `array.max()`: NaN as soon as one value is NaN.
fn nan_max(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(f64::NEG_INFINITY, |a, b| {
        if a.is_nan() || b.is_nan() {
            f64::NAN
        } else {
            a.max(b)
        }
    })
}

/// The design row of one sample: batch one-hot (the reference batch's
/// column all ones), categorical one-hots without their first level,
/// continuous values.
fn design_row(
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

    // Each cell's mean design row: batch one-hot, categorical dummies,
    // continuous means. The continuous columns are the last m.
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

    // Step 1: standardize. The normal equations [XᵀX | XᵀY], p × (p + G).
    let width = p + g;
    let mut normal = Matrix::zeros(p, width);
    for (cell, d) in cells.iter().zip(&designs) {
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
        Some(r) => b_hat.row(r).to_vec(),
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
    for (((cell, d), w), &b) in cells.iter().zip(&designs).zip(&within).zip(&cell_batch) {
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
    // per batch: its sums, means and sums of squared deviations (the
    // variances below, and the empirical Bayes sums of squares without a
    // pass per round).
    let mut cell_means: Vec<Vec<f64>> = Vec::with_capacity(cells.len());
    let mut batch_sums = vec![vec![0.0; g]; k];
    for ((cell, d), &b) in cells.iter().zip(&designs).zip(&cell_batch) {
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
        .zip(&counts)
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
        .zip(&cell_batch)
    {
        let (batch_means, squares) = &mut moments[b];
        for f in 0..g {
            let between = means[f] - batch_means[f];
            squares[f] += w[f] / var_pooled[f] + cell.count as f64 * between * between;
        }
    }

    // Step 2: L/S estimates and the priors' hyperparameters. The batch
    // design has a 1 at the sample's batch (and in every row of the
    // reference column), so its normal equations come from the counts and
    // the per-batch sums: XᵀX[b, b] = n_b, XᵀZ[b] = Σ_batch b z; the
    // reference column adds n, n_b and the total.
    let mut normal = Matrix::zeros(k, k + g);
    for b in 0..k {
        normal.set(b, b, counts[b] as f64);
        normal.data[b * (k + g) + k..(b + 1) * (k + g)].copy_from_slice(&batch_sums[b]);
    }
    if let Some(r) = ref_level {
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
            moments[i]
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

    // Step 3: the batch effects.
    let mut gamma_star: Vec<Vec<f64>> = Vec::with_capacity(k);
    let mut delta_star: Vec<Vec<f64>> = Vec::with_capacity(k);
    let mut iterations = vec![0; k];
    for i in 0..k {
        let g_hat = gamma_hat.row(i);
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
                    counts[i],
                    &moments[i],
                    g_hat,
                    &delta_hat[i],
                    gamma_bar[i],
                    t2[i],
                    a_prior[i],
                    b_prior[i],
                )
                .map_err(|e| format!("batch '{}': {e}", batches[i]))?;
                iterations[i] = rounds;
                (gs, ds)
            }
            (true, false, _) => non_parametric_eb(counts[i], &moments[i], g_hat, &delta_hat[i]),
        };
        gamma_star.push(gs);
        delta_star.push(ds);
    }
    if let Some(r) = ref_level {
        gamma_star[r] = vec![0.0; g];
        delta_star[r] = vec![1.0; g];
    }

    Ok(ComBatModel {
        format: MODEL_FORMAT.to_string(),
        options: options.clone(),
        batches,
        samples_per_batch: counts,
        n_features: g,
        categorical_levels,
        n_continuous: m,
        b_hat: (0..p).map(|r| b_hat.row(r).to_vec()).collect(),
        grand_mean,
        var_pooled,
        gamma_star,
        delta_star,
        gamma_bar: known(options.eb, &gamma_bar),
        t2: known(options.eb, &t2),
        a_prior: known(options.eb && !options.mean_only, &a_prior),
        b_prior: known(options.eb && !options.mean_only, &b_prior),
        iterations,
    })
}

/// Hyperparameters the mode used, `None` otherwise (JSON has no NaN).
fn known(used: bool, values: &[f64]) -> Vec<Option<f64>> {
    values
        .iter()
        .map(|v| (used && v.is_finite()).then_some(*v))
        .collect()
}

/// neuroCombat's `it_sol`: alternate the posterior mean of γ and the
/// posterior variance of δ² until both change by at most 1e-4 relative,
/// with neuroCombat's signed denominators (`|new - old| / old`), so that a
/// negative γ does not drive the stopping test, as in the reference. The
/// batch's sum of squares around γ, Σ_j (z_j - γ)², is taken from its mean
/// and sum of squared deviations as SSD + n (mean - γ)² (an identity with no
/// cancellation), so a round costs one step per feature, not a pass over
/// the batch.
#[allow(clippy::too_many_arguments)]
fn parametric_eb(
    samples: usize,
    (means, squares): &(Vec<f64>, Vec<f64>),
    g_hat: &[f64],
    d_hat: &[f64],
    g_bar: f64,
    t2: f64,
    a: f64,
    b: f64,
) -> Result<(Vec<f64>, Vec<f64>, usize), String> {
    let n = samples as f64;
    let mut g_old = g_hat.to_vec();
    let mut d_old = d_hat.to_vec();
    let features = g_hat.len();
    let mut rounds = 0;
    loop {
        let g_new: Vec<f64> = (0..features)
            .map(|f| (t2 * n * g_hat[f] + d_old[f] * g_bar) / (t2 * n + d_old[f]))
            .collect();
        let d_new: Vec<f64> = (0..features)
            .map(|f| {
                let sum2 = squares[f] + n * (means[f] - g_new[f]) * (means[f] - g_new[f]);
                (0.5 * sum2 + b) / (n / 2.0 + a - 1.0)
            })
            .collect();
        let change_g = nan_max((0..features).map(|f| (g_new[f] - g_old[f]).abs() / g_old[f]));
        let change_d = nan_max((0..features).map(|f| (d_new[f] - d_old[f]).abs() / d_old[f]));
        // Python's max(a, b): b only when b > a (so a NaN first stays).
        let change = if change_d > change_g {
            change_d
        } else {
            change_g
        };
        g_old = g_new;
        d_old = d_new;
        rounds += 1;
        // neuroCombat loops `while change > conv`: a NaN change stops it too.
        if change <= CONVERGENCE || change.is_nan() {
            return Ok((g_old, d_old, rounds));
        }
        if rounds == MAX_ITERATIONS {
            return Err(format!(
                "the empirical Bayes estimates did not converge in {MAX_ITERATIONS} iterations"
            ));
        }
    }
}

/// neuroCombat's `int_eprior`, in log space: each feature's batch effects
/// are the other features' estimates weighted by how well they explain this
/// feature's standardized values (a leave-one-out likelihood). Equal to the
/// reference where its likelihoods are finite; where they underflow (batches
/// of a few hundred samples) the reference divides 0 by 0 and returns NaN,
/// this stays finite. The sum of squares of a feature's values around
/// another feature's γ is the batch's SSD + n (mean - γ)².
fn non_parametric_eb(
    samples: usize,
    (means, squares): &(Vec<f64>, Vec<f64>),
    g_hat: &[f64],
    d_hat: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let features = g_hat.len();
    let n = samples as f64;
    let mut gamma_star = Vec::with_capacity(features);
    let mut delta_star = Vec::with_capacity(features);
    let mut log_lh = vec![0.0; features];
    for f in 0..features {
        for (other, log_lh) in log_lh.iter_mut().enumerate() {
            if other == f {
                *log_lh = f64::NEG_INFINITY;
                continue;
            }
            let (gk, dk) = (g_hat[other], d_hat[other]);
            // Σ_j (z_jf - γ_other)², from the batch's moments.
            let sum2 = squares[f] + n * (means[f] - gk) * (means[f] - gk);
            *log_lh = -(n / 2.0) * (2.0 * std::f64::consts::PI * dk).ln() - sum2 / (2.0 * dk);
        }
        let top = log_lh.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (mut weight_sum, mut g_sum, mut d_sum) = (0.0, 0.0, 0.0);
        for other in 0..features {
            let w = (log_lh[other] - top).exp();
            weight_sum += w;
            g_sum += w * g_hat[other];
            d_sum += w * d_hat[other];
        }
        gamma_star.push(g_sum / weight_sum);
        delta_star.push(d_sum / weight_sum);
    }
    (gamma_star, delta_star)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    use moments::RowSample as Sample;

    /// The statistics of samples given row by row.
    fn moments(rows: &[Sample<'_>]) -> SampleMoments {
        let mut moments = SampleMoments::new(Shape {
            features: rows[0].3.len(),
            categorical: rows[0].1.len(),
            continuous: rows[0].2.len(),
        });
        moments.add_rows(rows).unwrap();
        moments
    }

    /// Batches and features only.
    fn plain(batches: &[&'static str], features: &[f64]) -> SampleMoments {
        let g = features.len() / batches.len();
        let rows: Vec<_> = batches
            .iter()
            .zip(features.chunks(g))
            .map(|(b, f)| (*b, vec![], vec![], f.to_vec()))
            .collect();
        moments(&rows)
    }

    /// Two batches shifted by +3 and -3 with a covariate effect: after
    /// ComBat the batch means agree and the covariate effect stays.
    #[test]
    fn removes_a_shift_and_keeps_the_covariate() {
        let rows: Vec<_> = (0..40)
            .map(|j| {
                let batch = if j % 2 == 0 { "A" } else { "B" };
                let shift = if j % 2 == 0 { 3.0 } else { -3.0 };
                // The same ages in both batches, so their means differ by batch alone.
                let age = 40.0 + ((j / 2) % 10) as f64;
                let noise = ((j * 7919) % 13) as f64 / 13.0 - 0.5;
                (
                    batch,
                    vec![],
                    vec![age],
                    vec![
                        10.0 + 0.5 * age + shift + noise,
                        -5.0 + shift * 2.0 + noise * 3.0,
                    ],
                )
            })
            .collect();
        let model = fit(&moments(&rows), &ComBatOptions::default())
            .unwrap()
            .prepare();
        let mut out = Vec::new();
        let mut sums = [[0.0; 2]; 2];
        for (j, (batch, _, age, features)) in rows.iter().enumerate() {
            model.adjust(batch, features, &[], age, &mut out).unwrap();
            for f in 0..2 {
                sums[j % 2][f] += out[f] / 20.0;
            }
        }
        for f in 0..2 {
            assert!((sums[0][f] - sums[1][f]).abs() < 0.2, "{sums:?}");
        }
        // The age slope of feature 1 is kept.
        let b_hat = &model.model().b_hat;
        assert!((b_hat[2][0] - 0.5).abs() < 0.05, "{b_hat:?}");
    }

    #[test]
    fn clear_errors() {
        let options = ComBatOptions::default();
        let one = plain(&["A", "A", "B"], &[1.0, 2.0, 3.0, 4.0, 5.0, 7.0]);
        assert!(
            fit(&one, &options)
                .unwrap_err()
                .contains("batch 'B' has 1 sample")
        );
        let constant = plain(
            &["A", "A", "B", "B"],
            &[1.0, 2.0, 1.0, 3.0, 1.0, 4.0, 1.0, 6.0],
        );
        assert!(
            fit(&constant, &options)
                .unwrap_err()
                .contains("feature 1 has zero variance")
        );
        // Constant at a large value, over many samples: the rounding of
        // the sums is not mistaken for variance.
        let batches: Vec<&str> = (0..1000)
            .map(|j| if j % 2 == 0 { "A" } else { "B" })
            .collect();
        let large: Vec<f64> = (0..1000).flat_map(|j| [1e9 + 0.1, j as f64]).collect();
        assert!(
            fit(&plain(&batches, &large), &options)
                .unwrap_err()
                .contains("feature 1 has zero variance")
        );
        let single = plain(&["A", "A", "B", "B"], &[1.0, 2.0, 3.0, 5.0]);
        assert!(
            fit(&single, &options)
                .unwrap_err()
                .contains("at least 2 features")
        );
        let reference = ComBatOptions {
            ref_batch: Some("C".to_string()),
            eb: false,
            ..options.clone()
        };
        assert!(
            fit(&single, &reference)
                .unwrap_err()
                .contains("reference batch 'C'")
        );
        assert!(
            fit(
                &SampleMoments::new(Shape {
                    features: 2,
                    categorical: 0,
                    continuous: 0
                }),
                &options
            )
            .unwrap_err()
            .contains("needs samples")
        );
    }

    #[test]
    fn confounded_covariates_are_an_error() {
        // The categorical covariate equals the batch.
        let rows = [
            ("A", vec!["x"], vec![], vec![1.0, 2.0]),
            ("A", vec!["x"], vec![], vec![2.0, 3.0]),
            ("B", vec!["y"], vec![], vec![5.0, 1.0]),
            ("B", vec!["y"], vec![], vec![4.0, 2.0]),
        ];
        let error = fit(&moments(&rows), &ComBatOptions::default()).unwrap_err();
        assert!(error.contains("confounded with batch"), "{error}");
    }
}
