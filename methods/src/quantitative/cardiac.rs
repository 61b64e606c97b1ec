//! Left-ventricular function categories: LVEF (2021 ESC heart-failure
//! guideline) and GLS (2025 ASE/EACVI strain guideline).

/// LVEF category (2021 ESC heart-failure guideline; Universal Definition of
/// HF 2021): reduced up to 40 %, mildly reduced above 40 and under 50,
/// preserved from 50; with a baseline of at most 40 %, a current value
/// above 40 % that rose by at least 10 points is improved.
pub fn lvef_category(lvef: f64, baseline: Option<f64>) -> &'static str {
    if let Some(baseline) = baseline
        && baseline <= 40.0
        && lvef > 40.0
        && lvef - baseline >= 10.0
    {
        return "improved";
    }
    if lvef <= 40.0 {
        "reduced"
    } else if lvef < 50.0 {
        "mildly reduced"
    } else {
        "preserved"
    }
}

/// GLS category (2025 ASE/EACVI strain guideline, Thomas et al.): GLS is
/// negative; more negative than -18 % is normal, -18 % to -16 % borderline,
/// less negative than -16 % abnormal.
pub fn gls_category(gls: f64) -> &'static str {
    if gls < -18.0 {
        "normal"
    } else if gls <= -16.0 {
        "borderline"
    } else {
        "abnormal"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lvef_boundaries() {
        assert_eq!(lvef_category(40.0, None), "reduced");
        assert_eq!(lvef_category(40.01, None), "mildly reduced");
        assert_eq!(lvef_category(49.99, None), "mildly reduced");
        assert_eq!(lvef_category(50.0, None), "preserved");
        // Improved: baseline <= 40, now > 40, +10 points or more.
        assert_eq!(lvef_category(45.0, Some(35.0)), "improved");
        assert_eq!(lvef_category(44.0, Some(35.0)), "mildly reduced");
        assert_eq!(lvef_category(40.0, Some(25.0)), "reduced");
        assert_eq!(lvef_category(55.0, Some(45.0)), "preserved");
    }

    #[test]
    fn gls_boundaries() {
        assert_eq!(gls_category(-18.01), "normal");
        assert_eq!(gls_category(-18.0), "borderline");
        assert_eq!(gls_category(-16.0), "borderline");
        assert_eq!(gls_category(-15.99), "abnormal");
    }
}
