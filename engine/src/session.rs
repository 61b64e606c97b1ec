//! The session builder.

use std::sync::Arc;

use datafusion::common::{DataFusionError, Result};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::prelude::SessionConfig;
use rwid_catalog::lake::LakeMount;
use rwid_udfs::Functions;
use rwid_udfs::harmonize::RuleTables;

use crate::object_stores::RwidObjectStoreRegistry;
use crate::physical_optimizer::physical_optimizer_rules;

/// How to build an rwid session. `Default` gives a session that uses every core.
#[derive(Debug, Clone, Default)]
pub struct RwidConfig {
    /// Lakes to mount, as `--lake` takes them: `ROOT` (a local folder or an
    /// object-store URL, `s3://bucket/prefix/`) or `NAME=ROOT`. Each is a
    /// catalog, named `lake` unless named; the first is the default catalog.
    pub lakes: Vec<String>,
    /// Partitions a query is split into; defaults to the number of cores.
    pub target_partitions: Option<usize>,
    /// Rows per record batch; DataFusion's default (8192) when unset.
    pub batch_size: Option<usize>,
    /// Harmonization rule files (the shape of `methods/rules/*.toml`) whose
    /// entries are tried before the shipped ones: a site's own vendor
    /// spellings or protocol kernels.
    pub rules: Vec<std::path::PathBuf>,
}

/// Assembles the [`SessionState`] every rwid entry point uses: DataFusion's
/// defaults plus `information_schema`, rwid's SQL functions, the
/// DICOM table functions (`read_dicom`, `dicom_series`, `dicom_studies`) and an object store registry that builds S3
/// stores on demand.
pub fn session_state(config: &RwidConfig) -> Result<SessionState> {
    session_state_with(config, &config.functions()?)
}

impl RwidConfig {
    /// rwid's SQL functions, reading the configured rule files in front of
    /// the shipped rules.
    pub fn functions(&self) -> Result<Functions> {
        if self.rules.is_empty() {
            return Ok(Functions::shipped());
        }
        let rules = RuleTables::with_files(&self.rules)
            .map_err(|e| DataFusionError::Execution(e.to_string()))?;
        Ok(Functions::with_rules(rules))
    }

    /// The lakes to mount, parsed.
    pub fn lake_mounts(&self) -> Result<Vec<LakeMount>> {
        self.lakes
            .iter()
            .map(|lake| LakeMount::parse(lake))
            .collect()
    }
}

/// Every table function a session has: the catalog's (DICOM tables, the
/// lake check, the standard columns) and `assess`, with their reference
/// documentation.
pub fn table_functions() -> Vec<(
    &'static str,
    Arc<dyn datafusion::catalog::TableFunctionImpl>,
    &'static datafusion::logical_expr::Documentation,
)> {
    let mut functions = rwid_catalog::table_functions();
    functions.push((
        "assess",
        Arc::new(rwid_fitness::Assess),
        rwid_fitness::Assess::documentation(),
    ));
    functions
}

/// [`session_state`] with `functions` (from [`RwidConfig::functions`]).
pub(crate) fn session_state_with(
    config: &RwidConfig,
    functions: &Functions,
) -> Result<SessionState> {
    let mut session_config = SessionConfig::new()
        .with_information_schema(true)
        .with_create_default_catalog_and_schema(true);
    // The first lake is the default catalog: its tables answer to `schema.table`.
    if let Some(lake) = config.lake_mounts()?.first() {
        session_config = session_config.with_default_catalog_and_schema(&lake.name, "public");
    }
    // Identifiers keep the case they are written in. DICOM keywords are
    // CamelCase and IDC-style SQL writes them unquoted (`SELECT PatientID ...
    // WHERE Modality = 'CT'`); lower-casing them would break that SQL.
    // OMOP names are lower case and unaffected; function names stay
    // case-insensitive.
    session_config
        .options_mut()
        .sql_parser
        .enable_ident_normalization = false;
    // A partial aggregation that keeps half of its rows or more only hashes
    // them twice: judge after 30,000 rows (DataFusion: 100,000) and skip it
    // from a ratio of groups to rows of 0.5 (DataFusion: 0.8). An OMOP table
    // of half a million rows often sits in one row group, so its partial
    // aggregation runs on one core while the final one runs on all.
    // Measured (benches/lake_cohorts.rs): patients by number of distinct
    // drugs 0.037 s -> 0.023 s; the series rollup, whose partial input run
    // collapsing has already reduced, 0.089 s -> 0.095 s; the rest unchanged.
    session_config
        .options_mut()
        .extensions
        .insert(crate::options::RwidOptions::default());
    let execution = &mut session_config.options_mut().execution;
    execution.skip_partial_aggregation_probe_rows_threshold = 30_000;
    execution.skip_partial_aggregation_probe_ratio_threshold = 0.5;
    if let Some(partitions) = config.target_partitions {
        session_config = session_config.with_target_partitions(partitions);
    }
    if let Some(batch_size) = config.batch_size {
        session_config = session_config.with_batch_size(batch_size);
    }
    let runtime = RuntimeEnvBuilder::new()
        .with_object_store_registry(Arc::new(RwidObjectStoreRegistry::new()))
        .build_arc()?;
    let metadata = runtime.cache_manager.get_file_metadata_cache();
    let mut state = SessionStateBuilder::new()
        .with_config(session_config)
        .with_runtime_env(runtime)
        .with_default_features()
        .with_physical_optimizer_rules(physical_optimizer_rules(metadata))
        .build();
    functions.register(&mut state)?;
    for (name, function, _) in table_functions() {
        state.register_udtf(name, function);
    }
    // `CREATE EXTERNAL TABLE ... STORED AS DICOM`: factories are keyed by the
    // upper-case STORED AS name.
    state.table_factories_mut().insert(
        "DICOM".to_string(),
        Arc::new(rwid_catalog::dicom::DicomTableFactory),
    );
    // The `dicom` file format, for listing tables built in Rust and for
    // plans that name formats (COPY, Ballista): keyed by `get_ext()`.
    state.register_file_format(Arc::new(rwid_catalog::dicom::DicomFormatFactory), true)?;
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::execution::FunctionRegistry;

    #[test]
    fn every_rwid_function_is_registered_with_documentation() {
        let state = session_state(&RwidConfig::default()).unwrap();
        for function in Functions::shipped().scalars {
            let registered = state.udf(function.name()).unwrap();
            let doc = registered.documentation().expect("documented");
            assert!(!doc.description.is_empty(), "{}", function.name());
        }
        // Built-ins are still there.
        assert!(state.udf("abs").is_ok());
    }
}
