//! [`LakeRoot`]: what every schema of a mounted lake shares.

use std::sync::Arc;

use datafusion::datasource::listing::ListingTableUrl;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::object_store::ObjectStore;
use datafusion::prelude::SessionConfig;

/// What every schema of a lake shares: where the lake is, and what reading
/// it needs outside a query.
#[derive(Debug)]
pub(crate) struct LakeRoot {
    pub(crate) url: ListingTableUrl,
    pub(crate) store: Arc<dyn ObjectStore>,
    /// The session's object stores and file caches, and its options: a
    /// table's schema is inferred when a query first names it, before any
    /// session state reaches the catalog.
    runtime: Arc<RuntimeEnv>,
    config: SessionConfig,
}

impl LakeRoot {
    /// The lake at `url`, read through `store` with `state`'s runtime and
    /// options (without the session's own catalogs).
    pub(crate) fn new(
        url: ListingTableUrl,
        store: Arc<dyn ObjectStore>,
        state: &SessionState,
    ) -> Self {
        let config = state
            .config()
            .clone()
            .with_create_default_catalog_and_schema(false)
            .with_information_schema(false);
        Self {
            url,
            store,
            runtime: Arc::clone(state.runtime_env()),
            config,
        }
    }

    /// A bare session state over the session's runtime, enough to list and
    /// read Parquet footers.
    pub(crate) fn inference_state(&self) -> SessionState {
        SessionStateBuilder::new()
            .with_config(self.config.clone())
            .with_runtime_env(Arc::clone(&self.runtime))
            .build()
    }
}
