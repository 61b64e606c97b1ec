//! Is a series of single-frame images one regular 3D volume? Judged from
//! each image's Image Plane Module attributes.

/// Default tolerance for slice spacing, in mm.
pub const DEFAULT_TOLERANCE_MM: f64 = 0.01;
/// Direction cosines closer than this are the same orientation.
const ORIENTATION_TOLERANCE: f64 = 1e-4;
/// Slices closer than this along the normal are at the same position, in mm.
const SAME_POSITION_MM: f64 = 1e-3;

/// The Image Plane Module attributes of one image (DICOM PS3.3 C.7.6.2).
#[derive(Debug, Clone, PartialEq)]
pub struct SliceGeometry {
    /// ImagePositionPatient: x, y, z of the first pixel, mm.
    pub position: [f64; 3],
    /// ImageOrientationPatient: row then column direction cosines.
    pub orientation: [f64; 6],
    /// PixelSpacing: row spacing, column spacing, mm.
    pub pixel_spacing: [f64; 2],
    pub rows: i64,
    pub columns: i64,
}

/// The verdict on a series.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeCheck {
    pub ok: bool,
    /// Slices with complete geometry.
    pub slices: usize,
    /// Distance between consecutive slices along the slice normal, when uniform.
    pub slice_spacing_mm: Option<f64>,
    /// The first check that failed.
    pub problem: Option<String>,
}

impl VolumeCheck {
    fn failed(slices: usize, problem: String) -> Self {
        VolumeCheck {
            ok: false,
            slices,
            slice_spacing_mm: None,
            problem: Some(problem),
        }
    }
}

/// Checks, in order: every image has its plane geometry; one orientation;
/// one pixel spacing and one image size; no two slices at the same position
/// along the slice normal (row × column cosines); consecutive gaps equal to
/// their median within `tolerance_mm`.
pub fn check_volume(slices: &[SliceGeometry], missing: usize, tolerance_mm: f64) -> VolumeCheck {
    let n = slices.len();
    if missing > 0 {
        return VolumeCheck::failed(
            n,
            format!(
                "{missing} image(s) without ImagePositionPatient, ImageOrientationPatient, PixelSpacing, Rows or Columns"
            ),
        );
    }
    let Some(first) = slices.first() else {
        return VolumeCheck::failed(0, "no images".to_string());
    };
    let close = |a: &[f64], b: &[f64], tolerance: f64| {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tolerance)
    };
    if slices
        .iter()
        .any(|s| !close(&s.orientation, &first.orientation, ORIENTATION_TOLERANCE))
    {
        return VolumeCheck::failed(n, "more than one ImageOrientationPatient".to_string());
    }
    if slices
        .iter()
        .any(|s| !close(&s.pixel_spacing, &first.pixel_spacing, 1e-6))
    {
        return VolumeCheck::failed(n, "more than one PixelSpacing".to_string());
    }
    if slices
        .iter()
        .any(|s| (s.rows, s.columns) != (first.rows, first.columns))
    {
        return VolumeCheck::failed(n, "more than one image size (Rows x Columns)".to_string());
    }
    if n == 1 {
        return VolumeCheck {
            ok: true,
            slices: 1,
            slice_spacing_mm: None,
            problem: None,
        };
    }
    let [r1, r2, r3, c1, c2, c3] = first.orientation;
    let normal = [r2 * c3 - r3 * c2, r3 * c1 - r1 * c3, r1 * c2 - r2 * c1];
    let mut distances: Vec<f64> = slices
        .iter()
        .map(|s| s.position.iter().zip(&normal).map(|(p, k)| p * k).sum())
        .collect();
    distances.sort_by(f64::total_cmp);
    let gaps: Vec<f64> = distances.windows(2).map(|w| w[1] - w[0]).collect();
    if gaps.iter().any(|g| *g < SAME_POSITION_MM) {
        return VolumeCheck::failed(
            n,
            "two or more images at the same slice position".to_string(),
        );
    }
    let mut sorted = gaps.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let (smallest, largest) = (sorted[0], sorted[sorted.len() - 1]);
    if largest - median > tolerance_mm || median - smallest > tolerance_mm {
        return VolumeCheck::failed(
            n,
            format!(
                "slice spacing varies from {smallest:.3} to {largest:.3} mm (tolerance {tolerance_mm} mm)"
            ),
        );
    }
    VolumeCheck {
        ok: true,
        slices: n,
        slice_spacing_mm: Some(median),
        problem: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AXIAL: [f64; 6] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];

    fn slice(z: f64) -> SliceGeometry {
        SliceGeometry {
            position: [-175.0, -175.0, z],
            orientation: AXIAL,
            pixel_spacing: [0.7, 0.7],
            rows: 512,
            columns: 512,
        }
    }

    #[test]
    fn a_regular_stack_in_any_order() {
        let slices: Vec<_> = [2.5, 0.0, 1.25, 3.75].into_iter().map(slice).collect();
        let check = check_volume(&slices, 0, 0.01);
        assert!(check.ok, "{check:?}");
        assert_eq!((check.slices, check.slice_spacing_mm), (4, Some(1.25)));
    }

    #[test]
    fn a_missing_slice_breaks_uniform_spacing() {
        let slices: Vec<_> = [0.0, 1.25, 3.75, 5.0].into_iter().map(slice).collect();
        let check = check_volume(&slices, 0, 0.01);
        assert!(!check.ok);
        assert!(
            check
                .problem
                .unwrap()
                .contains("slice spacing varies from 1.250 to 2.500 mm")
        );
        // A looser tolerance accepts it.
        assert!(check_volume(&slices, 0, 1.5).ok);
    }

    #[test]
    fn duplicates_orientation_spacing_size_and_missing_geometry() {
        let dup: Vec<_> = [0.0, 1.0, 1.0].into_iter().map(slice).collect();
        assert!(
            check_volume(&dup, 0, 0.01)
                .problem
                .unwrap()
                .contains("same slice position")
        );
        let mut tilted = vec![slice(0.0), slice(1.0)];
        tilted[1].orientation = [1.0, 0.0, 0.0, 0.0, 0.9, 0.1];
        assert!(
            check_volume(&tilted, 0, 0.01)
                .problem
                .unwrap()
                .contains("ImageOrientationPatient")
        );
        let mut spacing = vec![slice(0.0), slice(1.0)];
        spacing[1].pixel_spacing = [0.8, 0.8];
        assert!(
            check_volume(&spacing, 0, 0.01)
                .problem
                .unwrap()
                .contains("PixelSpacing")
        );
        let mut size = vec![slice(0.0), slice(1.0)];
        size[1].rows = 256;
        assert!(
            check_volume(&size, 0, 0.01)
                .problem
                .unwrap()
                .contains("image size")
        );
        assert!(
            check_volume(&[slice(0.0)], 2, 0.01)
                .problem
                .unwrap()
                .starts_with("2 image(s) without")
        );
        assert!(!check_volume(&[], 0, 0.01).ok);
    }

    #[test]
    fn the_normal_follows_the_orientation() {
        // Sagittal: rows along y, columns along -z; slices step along x.
        let sagittal = [0.0, 1.0, 0.0, 0.0, 0.0, -1.0];
        let slices: Vec<_> = [0.0, 2.0, 4.0]
            .into_iter()
            .map(|x| SliceGeometry {
                position: [x, -100.0, 100.0],
                orientation: sagittal,
                pixel_spacing: [1.0, 1.0],
                rows: 256,
                columns: 256,
            })
            .collect();
        let check = check_volume(&slices, 0, 0.01);
        assert_eq!((check.ok, check.slice_spacing_mm), (true, Some(2.0)));
    }

    #[test]
    fn one_slice_is_a_volume_without_spacing() {
        let check = check_volume(&[slice(0.0)], 0, 0.01);
        assert!(check.ok && check.slice_spacing_mm.is_none());
    }
}
