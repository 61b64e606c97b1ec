//! Scanner harmonization: make scanner metadata comparable across sites
//! (vendor, kernel, acquisition classes), with rule tables in versioned data
//! files (`methods/rules/`) that users extend. The rules are plain Rust in
//! `vendors.rs` and `kernels.rs`; one SQL function per file around them.

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF};

mod acquisition_classes;
mod batch_effect_anova;
mod body_part_region;
mod combat_apply;
mod combat_fit;
mod ct_kernel_class;
mod features;
mod harmonization_rules_version;
mod scanner_model;
mod scanner_vendor;

pub use acquisition_classes::{FieldStrengthClass, PixelSpacingClass, SliceThicknessClass};
pub use batch_effect_anova::BatchEffectAnova;
pub use body_part_region::BodyPartRegion;
pub use combat_apply::CombatApply;
pub use combat_fit::CombatFit;
pub use ct_kernel_class::CtKernelClass;
pub use harmonization_rules_version::HarmonizationRulesVersion;
pub use rwid_methods::RuleTables;
pub use scanner_model::ScannerModel;
pub use scanner_vendor::{ScannerVendor, ScannerVendorDetails};

/// The harmonization functions, reading `rules` (the shipped rules, or
/// those with a user's files in front).
pub fn functions(rules: Arc<RuleTables>) -> Vec<Arc<ScalarUDF>> {
    vec![
        Arc::new(ScalarUDF::from(ScannerVendor::new(Arc::clone(&rules)))),
        Arc::new(ScalarUDF::from(ScannerModel::new(Arc::clone(&rules)))),
        Arc::new(ScalarUDF::from(ScannerVendorDetails::new(Arc::clone(
            &rules,
        )))),
        Arc::new(ScalarUDF::from(CtKernelClass::new(Arc::clone(&rules)))),
        Arc::new(ScalarUDF::from(BodyPartRegion::new(Arc::clone(&rules)))),
        Arc::new(ScalarUDF::from(HarmonizationRulesVersion::new(rules))),
        Arc::new(ScalarUDF::from(SliceThicknessClass::new())),
        Arc::new(ScalarUDF::from(PixelSpacingClass::new())),
        Arc::new(ScalarUDF::from(FieldStrengthClass::new())),
        Arc::new(ScalarUDF::from(CombatApply::new())),
    ]
}

/// The harmonization aggregates.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![
        Arc::new(AggregateUDF::from(CombatFit::new())),
        Arc::new(AggregateUDF::from(BatchEffectAnova::new())),
    ]
}
