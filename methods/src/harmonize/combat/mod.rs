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

mod apply;
mod empirical_bayes;
mod fit;
mod linear;
pub mod moments;

pub use apply::{ColumnAdjuster, PreparedModel, RowDesigns, SampleDesign};
pub use fit::fit;
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
