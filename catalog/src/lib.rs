//! Tables for rwid: DICOM files as tables, the lake catalog that mounts a
//! folder or bucket of Parquet tables as SQL schemas, and the standard schemas
//! those tables follow.

pub mod conformance;
pub mod dicom;
pub mod lake;
pub mod schemas;
pub mod views;

/// rwid's table functions: name, implementation and reference documentation.
/// The session registers them and the function reference lists them from here.
pub fn table_functions() -> Vec<(
    &'static str,
    std::sync::Arc<dyn datafusion::catalog::TableFunctionImpl>,
    &'static datafusion::logical_expr::Documentation,
)> {
    let mut functions = dicom::table_functions();
    functions.push((
        "standard_columns",
        std::sync::Arc::new(schemas::reference::StandardColumns),
        schemas::reference::StandardColumns::documentation(),
    ));
    functions.push((
        "lake_check",
        std::sync::Arc::new(conformance::LakeCheck),
        conformance::LakeCheck::documentation(),
    ));
    functions
}
