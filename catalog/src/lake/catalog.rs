//! [`LakeCatalog`]: a lake as a DataFusion catalog, one [`LakeSchema`] per
//! schema folder. Several lakes mount side by side, each a catalog
//! (`lake.clinical.person`, `archive.imaging.series`); the first mounted is
//! the session's default, so its tables answer to `schema.table`.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use datafusion::catalog::{CatalogProvider, SchemaProvider};
use datafusion::common::{Result, plan_datafusion_err};
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::execution::session_state::SessionState;

use super::discovery::{self, LakeManifest};
use super::root::LakeRoot;
use super::schema::LakeSchema;
use crate::conformance::{Finding, Status};

/// A mounted lake.
#[derive(Debug)]
pub struct LakeCatalog {
    lake: Arc<LakeRoot>,
    /// The DICOM folder read live as `imaging.instances` without an index.
    dicom_folder: String,
    schemas: RwLock<BTreeMap<String, Arc<LakeSchema>>>,
    /// Schemas made in the session (`CREATE SCHEMA`), held in memory.
    made_schemas: RwLock<BTreeMap<String, Arc<dyn SchemaProvider>>>,
}

impl LakeCatalog {
    /// Lists the lake at `location` (a local folder or an object-store URL)
    /// and reads its `lake.toml`; tables are read when queried.
    pub async fn open(state: &SessionState, location: &str) -> Result<Self> {
        let url = discovery::lake_root_url(location)?;
        let store = state.runtime_env().object_store(&url)?;
        let mut layout = discovery::discover(store.as_ref(), &url)
            .await
            .map_err(|e| e.context(format!("Failed to list lake '{location}'")))?;
        let manifest = LakeManifest::read(store.as_ref(), &url).await?;
        let root_url = discovery::root_url(&url);
        for (schema, tables) in manifest.layout(&root_url)? {
            layout.entry(schema).or_default().extend(tables);
        }
        let lake = Arc::new(LakeRoot::new(url, store, state));
        let schemas = layout
            .into_iter()
            .map(|(name, tables)| {
                let schema = Arc::new(LakeSchema::new(&name, Arc::clone(&lake), tables));
                (name, schema)
            })
            .collect();
        Ok(Self {
            dicom_folder: manifest.dicom_folder(&root_url),
            lake,
            schemas: RwLock::new(schemas),
            made_schemas: RwLock::new(BTreeMap::new()),
        })
    }

    /// The lake's root URL.
    pub fn root(&self) -> &ListingTableUrl {
        &self.lake.url
    }

    pub(crate) fn dicom_folder(&self) -> &str {
        &self.dicom_folder
    }

    /// The lake's schema `name`, created empty if the lake has no such folder
    /// (rwid's `imaging` views go there).
    pub fn lake_schema(&self, name: &str) -> Arc<LakeSchema> {
        let mut schemas = self.schemas.write().unwrap_or_else(|e| e.into_inner());
        Arc::clone(schemas.entry(name.to_string()).or_insert_with(|| {
            Arc::new(LakeSchema::new(
                name,
                Arc::clone(&self.lake),
                BTreeMap::new(),
            ))
        }))
    }

    /// Where the files of table `schema.table` are, if it is a table of the
    /// lake's files (not one made in the session or by rwid).
    pub fn files_location(&self, schema: &str, table: &str) -> Option<String> {
        let schemas = self.schemas.read().unwrap_or_else(|e| e.into_inner());
        schemas.get(schema)?.location(table)
    }

    /// Every lake schema with its tables, sorted.
    pub fn lake_schemas(&self) -> Vec<(String, Arc<LakeSchema>)> {
        let schemas = self.schemas.read().unwrap_or_else(|e| e.into_inner());
        schemas
            .iter()
            .map(|(name, schema)| (name.clone(), Arc::clone(schema)))
            .collect()
    }

    /// Reads every table's files once and names those that cannot be read:
    /// the warnings of a mount. The tables stay listed; queries that read
    /// them fail with the same message, and the others run.
    pub async fn unreadable_tables(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (schema_name, schema) in self.lake_schemas() {
            for table in schema.table_names() {
                if let Err(error) = schema.table(&table).await {
                    findings.push(Finding {
                        table: format!("{schema_name}.{table}"),
                        check: "readable",
                        column: None,
                        status: Status::Warn,
                        violating_rows: None,
                        total_rows: None,
                        detail: error.strip_backtrace(),
                    });
                }
            }
        }
        findings
    }
}

impl CatalogProvider for LakeCatalog {
    fn schema_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .lake_schemas()
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let made = self.made_schemas.read().unwrap_or_else(|e| e.into_inner());
        names.extend(made.keys().cloned());
        names.sort();
        names.dedup();
        names
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        let schemas = self.schemas.read().unwrap_or_else(|e| e.into_inner());
        if let Some(schema) = schemas.get(name) {
            return Some(Arc::clone(schema) as Arc<dyn SchemaProvider>);
        }
        let made = self.made_schemas.read().unwrap_or_else(|e| e.into_inner());
        made.get(name).cloned()
    }

    fn register_schema(
        &self,
        name: &str,
        schema: Arc<dyn SchemaProvider>,
    ) -> Result<Option<Arc<dyn SchemaProvider>>> {
        if self.schema(name).is_some() {
            return Err(plan_datafusion_err!("schema '{name}' already exists"));
        }
        let mut made = self.made_schemas.write().unwrap_or_else(|e| e.into_inner());
        Ok(made.insert(name.to_string(), schema))
    }

    fn deregister_schema(
        &self,
        name: &str,
        cascade: bool,
    ) -> Result<Option<Arc<dyn SchemaProvider>>> {
        let schemas = self.schemas.read().unwrap_or_else(|e| e.into_inner());
        if schemas.contains_key(name) {
            return Err(plan_datafusion_err!(
                "schema '{name}' is a folder of the lake; rwid does not delete a lake's files"
            ));
        }
        let mut made = self.made_schemas.write().unwrap_or_else(|e| e.into_inner());
        match made.get(name) {
            Some(schema) if !cascade && !schema.table_names().is_empty() => Err(
                plan_datafusion_err!("schema '{name}' is not empty; use DROP SCHEMA ... CASCADE"),
            ),
            _ => Ok(made.remove(name)),
        }
    }
}
