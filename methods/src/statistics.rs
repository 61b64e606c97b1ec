//! The statistics a fit-for-purpose assessment reports: a proportion's
//! confidence interval and the association between two categorical
//! variables.
//!
//! - [`wilson_interval`]: the score interval of Wilson (1927), without
//!   continuity correction, as Newcombe (1998) recommends and R's
//!   `prop.test(x, n, correct = FALSE)` computes;
//! - [`chi_square`] and [`cramers_v`]: Pearson's chi-square statistic of a
//!   contingency table (no continuity correction: R's
//!   `chisq.test(correct = FALSE)`, scipy's `chi2_contingency(correction =
//!   False)`) and Cramér's V = sqrt(chi² / (n (min(rows, columns) - 1)))
//!   (Cramér 1946, §21.9), as scipy's `contingency.association` computes it.

/// The 0.975 quantile of the standard normal distribution: a two-sided
/// 95 % interval (R's `qnorm(0.975)`).
pub const Z_95: f64 = 1.959963984540054;

/// The Wilson score interval of `successes` out of `trials` at the normal
/// quantile `z` ([`Z_95`] for 95 %), as (lower, upper) proportions.
/// `None` for no trials or more successes than trials.
///
/// Wilson EB. Probable inference, the law of succession, and statistical
/// inference. J Am Stat Assoc 1927;22:209-212. Newcombe RG. Two-sided
/// confidence intervals for the single proportion: comparison of seven
/// methods. Stat Med 1998;17:857-872 (method 3).
pub fn wilson_interval(successes: u64, trials: u64, z: f64) -> Option<(f64, f64)> {
    if trials == 0 || successes > trials {
        return None;
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    // The bounds are exact at 0 and 1 successes' edges; clamp rounding.
    let lower = if successes == 0 {
        0.0
    } else {
        (center - half).max(0.0)
    };
    let upper = if successes == trials {
        1.0
    } else {
        (center + half).min(1.0)
    };
    Some((lower, upper))
}

/// Pearson's chi-square statistic of a contingency table (rows of equal
/// length) against independence, without continuity correction. `None`
/// when a row or column sums to zero (an expected count of zero) or the
/// table is not rectangular.
pub fn chi_square(table: &[Vec<u64>]) -> Option<f64> {
    let columns = table.first()?.len();
    if columns == 0 || table.iter().any(|row| row.len() != columns) {
        return None;
    }
    let row_sums: Vec<f64> = table.iter().map(|r| r.iter().sum::<u64>() as f64).collect();
    let column_sums: Vec<f64> = (0..columns)
        .map(|c| table.iter().map(|r| r[c]).sum::<u64>() as f64)
        .collect();
    let total: f64 = row_sums.iter().sum();
    if row_sums.contains(&0.0) || column_sums.contains(&0.0) {
        return None;
    }
    let mut statistic = 0.0;
    for (row, row_sum) in table.iter().zip(&row_sums) {
        for (observed, column_sum) in row.iter().zip(&column_sums) {
            let expected = row_sum * column_sum / total;
            statistic += (*observed as f64 - expected).powi(2) / expected;
        }
    }
    Some(statistic)
}

/// Cramér's V of a contingency table: 0 for independence, 1 for complete
/// dependence. `None` where [`chi_square`] is, and for a table with a
/// single row or column (no association can be measured).
pub fn cramers_v(table: &[Vec<u64>]) -> Option<f64> {
    let rows = table.len();
    let columns = table.first()?.len();
    let k = rows.min(columns);
    if k < 2 {
        return None;
    }
    let n: u64 = table.iter().flatten().sum();
    let statistic = chi_square(table)?;
    Some((statistic / (n as f64 * (k - 1) as f64)).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rounded(value: f64, digits: i32) -> f64 {
        let scale = 10f64.powi(digits);
        (value * scale).round() / scale
    }

    /// Newcombe (1998), Table I, method 3 (the score interval without
    /// continuity correction), to the table's four decimals.
    #[test]
    fn wilson_interval_matches_newcombe_table_i() {
        for (successes, trials, lower, upper) in [
            (81, 263, 0.2553, 0.3662),
            (15, 148, 0.0624, 0.1605),
            (0, 20, 0.0, 0.1611),
            (1, 29, 0.0061, 0.1718),
        ] {
            let (l, u) = wilson_interval(successes, trials, Z_95).unwrap();
            assert_eq!(
                (rounded(l, 4), rounded(u, 4)),
                (lower, upper),
                "{successes}/{trials}"
            );
        }
        assert_eq!(wilson_interval(20, 20, Z_95).unwrap().1, 1.0);
        assert_eq!(wilson_interval(0, 0, Z_95), None);
        assert_eq!(wilson_interval(3, 2, Z_95), None);
    }

    /// R's `?chisq.test` example (Agresti 2007, p. 39: party
    /// identification by gender): X-squared = 30.07, df = 2.
    #[test]
    fn chi_square_matches_r_chisq_test() {
        let table = vec![vec![762, 327, 468], vec![484, 239, 477]];
        assert_eq!(rounded(chi_square(&table).unwrap(), 2), 30.07);
        assert_eq!(chi_square(&[vec![1, 0], vec![2, 0]]), None);
        assert_eq!(chi_square(&[vec![1, 2], vec![3]]), None);
    }

    /// scipy's `contingency.association` docstring: the 4x2 table gives
    /// Cramér's V 0.18617813077483678.
    #[test]
    fn cramers_v_matches_scipy_association() {
        let table = vec![
            vec![100, 150],
            vec![203, 322],
            vec![420, 700],
            vec![320, 210],
        ];
        let v = cramers_v(&table).unwrap();
        assert!((v - 0.18617813077483678).abs() < 1e-12, "{v}");
        // Complete dependence in a 3x3 table is V = 1 (Cramér 1946, 21.9).
        let perfect = vec![vec![5, 0, 0], vec![0, 7, 0], vec![0, 0, 9]];
        assert!((cramers_v(&perfect).unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(cramers_v(&[vec![4, 5]]), None);
    }
}
