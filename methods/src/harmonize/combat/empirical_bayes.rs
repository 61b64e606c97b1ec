//! The empirical Bayes estimates of a batch's effects (Johnson et al.
//! 2007), as neuroCombat computes them.

use super::linear::nan_max;

/// neuroCombat's convergence threshold for the parametric EB iteration.
const CONVERGENCE: f64 = 1e-4;
/// The iteration stops with an error past this many rounds.
const MAX_ITERATIONS: usize = 10_000;

/// neuroCombat's `it_sol`: alternate the posterior mean of γ and the
/// posterior variance of δ² until both change by at most 1e-4 relative,
/// with neuroCombat's signed denominators (`|new - old| / old`), so that a
/// negative γ does not drive the stopping test, as in the reference. The
/// batch's sum of squares around γ, Σ_j (z_j - γ)², is taken from its mean
/// and sum of squared deviations as SSD + n (mean - γ)² (an identity with no
/// cancellation), so a round costs one step per feature, not a pass over
/// the batch.
#[allow(clippy::too_many_arguments)]
pub(super) fn parametric_eb(
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
pub(super) fn non_parametric_eb(
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
