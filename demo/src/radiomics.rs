//! The demo's radiomics-style feature table: one row per chest CT series of
//! a patient with lung lesions, with biology that ComBat must keep (age and
//! sex effects, patient variation) and scanner effects it should remove
//! (an additive shift and a multiplicative scale per scanner model, sharper
//! kernels inflating texture features). Drawn from its own random stream so
//! the rest of the demo is the same with or without it.

use datafusion::common::Result;
use rwid_catalog::specs::standard_table;

use super::patients::{Patient, StudyKind};
use super::rng::Rng;
use super::table::TableRows;

/// (name, population mean, between-patient SD, per-decade age effect, male effect)
const FEATURES: [(&str, f64, f64, f64, f64); 6] = [
    ("firstorder_mean_hu", -20.0, 25.0, 3.0, 8.0),
    ("firstorder_entropy", 4.2, 0.35, 0.05, 0.1),
    ("glcm_contrast", 35.0, 9.0, 1.5, 2.0),
    ("glcm_correlation", 0.55, 0.08, -0.01, 0.02),
    ("glszm_zone_entropy", 6.1, 0.4, 0.04, 0.05),
    ("shape_sphericity", 0.72, 0.07, -0.005, 0.0),
];

/// Texture features sharpen with the kernel: scale of each feature on a
/// sharp kernel (lung, bone) relative to a smooth one.
const SHARP_KERNEL_SCALE: [f64; 6] = [1.0, 1.12, 1.6, 0.85, 1.1, 1.0];

pub fn radiomics_features(patients: &[Patient], seed: u64) -> Result<TableRows> {
    let mut rows = TableRows::new(standard_table("imaging", "radiomics_features")?);
    let mut rng = Rng::stream(seed, 0x5ad1_0c5e);
    // Scanner effects, fixed per scanner model: (shift in patient SDs, scale).
    let mut effects: Vec<(&str, Vec<(f64, f64)>)> = Vec::new();
    for p in patients.iter().filter(|p| !p.lesions.is_empty()) {
        // The patient's own biology, stable across scans.
        let own: Vec<f64> = FEATURES
            .iter()
            .map(|(_, _, sd, _, _)| rng.normal() * sd)
            .collect();
        for study in p.studies.iter().filter(|s| s.kind == StudyKind::ChestCt) {
            let Some(series) = study.series.iter().find(|s| s.modality == "CT") else {
                continue;
            };
            let scanner = study.scanner;
            let index = match effects
                .iter()
                .position(|(model, _)| *model == scanner.model)
            {
                Some(i) => i,
                None => {
                    let drawn = FEATURES
                        .iter()
                        .map(|_| (rng.float(-0.8, 0.8), rng.float(0.7, 1.5)))
                        .collect();
                    effects.push((scanner.model, drawn));
                    effects.len() - 1
                }
            };
            let kernel = series.kernel.unwrap_or_default();
            let sharp = ["70", "57", "LUNG", "BONE", "YA", "L", "FC5", "D"]
                .iter()
                .any(|k| kernel.contains(k));
            let age = p.age_at(study.date);
            let mut row = vec![
                ("person_id", p.person_id.into()),
                ("series_instance_uid", series.uid.clone().into()),
                ("site", p.site.code.into()),
                ("manufacturer", scanner.manufacturer.into()),
                ("model", scanner.model.into()),
                (
                    "kernel",
                    kernel.split(' ').next().unwrap_or_default().into(),
                ),
                ("slice_thickness_mm", series.slice_thickness.into()),
                ("age", age.into()),
                ("sex", if p.male { "M" } else { "F" }.into()),
            ];
            for (f, (name, mean, sd, per_decade, male)) in FEATURES.iter().enumerate() {
                let biology = mean
                    + per_decade * (age as f64 - 60.0) / 10.0
                    + if p.male { *male } else { 0.0 }
                    + own[f];
                let (shift, scale) = effects[index].1[f];
                let kernel_scale = if sharp { SHARP_KERNEL_SCALE[f] } else { 1.0 };
                let noise = rng.normal() * sd * 0.3;
                let value = (biology - mean) * scale * kernel_scale + mean + shift * sd + noise;
                let value = (value * 1e4).round() / 1e4;
                row.push((name, value.into()));
            }
            rows.push(row);
        }
    }
    Ok(rows)
}
