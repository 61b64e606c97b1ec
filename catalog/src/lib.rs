//! Tables for rwid: DICOM files as tables, the lake catalog that mounts a
//! folder or bucket of Parquet tables as SQL schemas, and the standard schemas
//! those tables follow.

pub mod conformance;
pub mod dicom;
pub mod lake;
pub mod specs;

/// The reference documentation of a table function (DataFusion gives table
/// functions no `documentation()` hook, so each keeps its own), filed under
/// "Table Functions" with the scalar and aggregate functions' sections.
pub fn table_function_documentation(
    description: &str,
    syntax: &str,
) -> datafusion::logical_expr::DocumentationBuilder {
    datafusion::logical_expr::Documentation::builder(
        datafusion::logical_expr::DocSection {
            include: true,
            label: "Table Functions",
            description: None,
        },
        description,
        syntax,
    )
}

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
        std::sync::Arc::new(specs::reference::StandardColumns),
        specs::reference::StandardColumns::documentation(),
    ));
    functions.push((
        "lake_check",
        std::sync::Arc::new(conformance::LakeCheck),
        conformance::LakeCheck::documentation(),
    ));
    functions
}
