//! Acquisition classes: slice thickness, in-plane pixel spacing and MR field
//! strength, binned as radiomics practice does. These are conventions, not a
//! standard (IBSI defines no categories), so every bound is an argument.

/// Slice thickness classes, mm: thin up to `thin_max`, medium up to
/// `medium_max`, thick above.
pub fn slice_thickness_class(mm: f64, thin_max: f64, medium_max: f64) -> &'static str {
    if mm <= thin_max {
        "thin"
    } else if mm <= medium_max {
        "medium"
    } else {
        "thick"
    }
}

/// In-plane pixel spacing classes, mm: fine under `fine_below`, medium up to
/// `medium_max`, coarse above.
pub fn pixel_spacing_class(mm: f64, fine_below: f64, medium_max: f64) -> &'static str {
    if mm < fine_below {
        "fine"
    } else if mm <= medium_max {
        "medium"
    } else {
        "coarse"
    }
}

/// Nominal MR field strength class from MagneticFieldStrength (0018,0087):
/// tesla, or gauss in legacy data (a value over 100 is divided by 10,000).
/// Half-open classes: under 0.5 T low, [0.5, 1) mid, [1, 2) 1.5T (so
/// Siemens' 1.494 is 1.5T), [2, 4) 3T (Siemens' 2.89 is 3T), [4, 7) 4-7T,
/// 7 T and up ultra-high.
pub fn field_strength_class(value: f64) -> &'static str {
    let tesla = if value > 100.0 {
        value / 10_000.0
    } else {
        value
    };
    match tesla {
        t if t < 0.5 => "low",
        t if t < 1.0 => "mid",
        t if t < 2.0 => "1.5T",
        t if t < 4.0 => "3T",
        t if t < 7.0 => "4-7T",
        _ => "ultra-high",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_their_boundaries() {
        assert_eq!(slice_thickness_class(1.5, 1.5, 3.0), "thin");
        assert_eq!(slice_thickness_class(1.51, 1.5, 3.0), "medium");
        assert_eq!(slice_thickness_class(3.0, 1.5, 3.0), "medium");
        assert_eq!(slice_thickness_class(5.0, 1.5, 3.0), "thick");
        assert_eq!(pixel_spacing_class(0.59, 0.6, 0.8), "fine");
        assert_eq!(pixel_spacing_class(0.6, 0.6, 0.8), "medium");
        assert_eq!(pixel_spacing_class(0.8, 0.6, 0.8), "medium");
        assert_eq!(pixel_spacing_class(0.81, 0.6, 0.8), "coarse");
        assert_eq!(field_strength_class(2.89), "3T");
        assert_eq!(field_strength_class(3.0), "3T");
        assert_eq!(field_strength_class(1.494), "1.5T");
        assert_eq!(field_strength_class(15_000.0), "1.5T");
        assert_eq!(field_strength_class(0.064), "low");
        assert_eq!(field_strength_class(0.5), "mid");
        assert_eq!(field_strength_class(7.0), "ultra-high");
    }
}
