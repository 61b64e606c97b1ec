//! PET positivity and staging against a study's own cut-offs (there is no
//! universal one; see `amyloid_positive` and `tau_category` in
//! docs/functions.md for the published ones).

/// Amyloid PET positivity: at or above `threshold` Centiloid.
pub fn amyloid_positive(centiloid: f64, threshold: f64) -> bool {
    centiloid >= threshold
}

/// Tau PET stage by SUVR: `low` under `lower`, `intermediate` up to
/// `upper`, `high` above; an error when the bounds are the wrong way round.
pub fn tau_category(suvr: f64, lower: f64, upper: f64) -> Result<&'static str, String> {
    if lower > upper {
        return Err(format!(
            "tau_category: lower ({lower}) is above upper ({upper})"
        ));
    }
    Ok(if suvr < lower {
        "low"
    } else if suvr <= upper {
        "intermediate"
    } else {
        "high"
    })
}
