//! Clinical scores computed from EHR facts.

/// Cigarettes in one pack, the unit the pack-year definition is built on.
const CIGARETTES_PER_PACK: f64 = 20.0;

/// Pack-years = packs smoked per day × years smoked, one pack being 20
/// cigarettes (NCI Dictionary of Cancer Terms, "pack year"; the unit of the
/// USPSTF 2021 lung cancer screening criterion of at least 20 pack-years).
/// Negative or non-finite inputs are rejected with the offending value named.
pub fn pack_years(cigarettes_per_day: f64, years_smoked: f64) -> Result<f64, String> {
    if !(cigarettes_per_day.is_finite() && cigarettes_per_day >= 0.0) {
        return Err(format!(
            "pack_years: cigarettes_per_day must be a finite number >= 0, got {cigarettes_per_day}"
        ));
    }
    if !(years_smoked.is_finite() && years_smoked >= 0.0) {
        return Err(format!(
            "pack_years: years_smoked must be a finite number >= 0, got {years_smoked}"
        ));
    }
    Ok(cigarettes_per_day / CIGARETTES_PER_PACK * years_smoked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pack_a_day_for_twenty_years_is_twenty_pack_years() {
        assert_eq!(pack_years(20.0, 20.0).unwrap(), 20.0);
    }

    #[test]
    fn fractions_of_packs() {
        assert_eq!(pack_years(10.0, 15.0).unwrap(), 7.5);
        assert_eq!(pack_years(30.0, 20.0).unwrap(), 30.0);
        assert_eq!(pack_years(0.0, 40.0).unwrap(), 0.0);
    }

    #[test]
    fn invalid_inputs_name_the_value() {
        let err = pack_years(-3.0, 10.0).unwrap_err().to_string();
        assert!(
            err.contains("cigarettes_per_day") && err.contains("-3"),
            "{err}"
        );
        let err = pack_years(10.0, f64::NAN).unwrap_err().to_string();
        assert!(err.contains("years_smoked") && err.contains("NaN"), "{err}");
    }
}
