//! [`LakeSchema`]: one schema of a lake (`clinical`, `imaging`, ...), a
//! DataFusion `SchemaProvider` whose tables are the schema folder's tables.
//!
//! Tables are resolved when a query names them, not when the lake is
//! mounted: a table whose files cannot be read fails the queries that read
//! it, naming the table and its location, and every other table still
//! queries. A name the schema has not seen sends it back to its folder, so a
//! table written after the mount is found without restarting. Tables made in
//! the session (`CREATE TABLE`, `CREATE VIEW`) and rwid's own views live
//! beside the lake's tables, in memory.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::common::{DataFusionError, Result, plan_datafusion_err};
use datafusion::logical_expr::TableType;

use super::discovery;
use super::root::LakeRoot;

/// A table of the schema.
#[derive(Debug, Clone)]
enum Entry {
    /// Parquet files in the lake: a folder or one file, and the listing table
    /// over them once a query has read it.
    Files {
        location: String,
        resolved: Option<Arc<dyn TableProvider>>,
    },
    /// A table that is not the lake's files: one made in the session, or a
    /// view or DICOM table rwid adds.
    Made(Arc<dyn TableProvider>),
}

/// One schema of a mounted lake.
#[derive(Debug)]
pub struct LakeSchema {
    name: String,
    lake: Arc<LakeRoot>,
    tables: RwLock<BTreeMap<String, Entry>>,
}

impl LakeSchema {
    pub(crate) fn new(
        name: &str,
        lake: Arc<LakeRoot>,
        locations: BTreeMap<String, String>,
    ) -> Self {
        let tables = locations
            .into_iter()
            .map(|(table, location)| {
                (
                    table,
                    Entry::Files {
                        location,
                        resolved: None,
                    },
                )
            })
            .collect();
        Self {
            name: name.to_string(),
            lake,
            tables: RwLock::new(tables),
        }
    }

    /// Where the table's files are, for a table of the lake's files.
    pub fn location(&self, table: &str) -> Option<String> {
        match self.read().get(table)? {
            Entry::Files { location, .. } => Some(location.clone()),
            Entry::Made(_) => None,
        }
    }

    /// Adds a table rwid builds over the lake (a view, the live DICOM table);
    /// it replaces one of the same name.
    pub(crate) fn add_made(&self, name: &str, table: Arc<dyn TableProvider>) {
        self.write().insert(name.to_string(), Entry::Made(table));
    }

    /// Reads the lake's files of `name` into a listing table and keeps it.
    async fn resolve(&self, name: &str, location: &str) -> Result<Arc<dyn TableProvider>> {
        let state = self.lake.inference_state();
        let table: Arc<dyn TableProvider> = discovery::listing_table(&state, location)
            .await
            .map_err(|e| {
                plan_datafusion_err!(
                    "lake table {}.{name} ('{location}') cannot be read: {}",
                    self.name,
                    e.strip_backtrace()
                )
            })?;
        if let Some(Entry::Files { resolved, .. }) = self.write().get_mut(name) {
            *resolved = Some(Arc::clone(&table));
        }
        Ok(table)
    }

    /// Reads the schema's folder again and adds the tables it has gained.
    async fn rediscover(&self) -> Result<()> {
        let found =
            discovery::discover_schema(self.lake.store.as_ref(), &self.lake.url, &self.name)
                .await?;
        let mut tables = self.write();
        for (name, location) in found {
            tables.entry(name).or_insert(Entry::Files {
                location,
                resolved: None,
            });
        }
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Entry>> {
        // A panic while the lock was held leaves the map as it was: each write
        // is one insert or removal.
        self.tables.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Entry>> {
        self.tables.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl SchemaProvider for LakeSchema {
    fn table_names(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>, DataFusionError> {
        let mut entry = self.read().get(name).cloned();
        if entry.is_none() {
            self.rediscover().await?;
            entry = self.read().get(name).cloned();
        }
        match entry {
            None => Ok(None),
            Some(Entry::Made(table)) => Ok(Some(table)),
            Some(Entry::Files {
                resolved: Some(table),
                ..
            }) => Ok(Some(table)),
            Some(Entry::Files {
                location,
                resolved: None,
            }) => self.resolve(name, &location).await.map(Some),
        }
    }

    /// Without reading the files: `information_schema.tables` lists a lake
    /// with broken or slow tables as quickly as a healthy one.
    async fn table_type(&self, name: &str) -> Result<Option<TableType>> {
        let entry = self.read().get(name).cloned();
        Ok(match entry {
            None => None,
            Some(Entry::Files { .. }) => Some(TableType::Base),
            Some(Entry::Made(table)) => Some(table.table_type()),
        })
    }

    fn register_table(
        &self,
        name: String,
        table: Arc<dyn TableProvider>,
    ) -> Result<Option<Arc<dyn TableProvider>>> {
        let mut tables = self.write();
        if tables.contains_key(&name) {
            return Err(plan_datafusion_err!(
                "table {}.{name} already exists",
                self.name
            ));
        }
        tables.insert(name, Entry::Made(table));
        Ok(None)
    }

    fn deregister_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let mut tables = self.write();
        if let Some(Entry::Files { location, .. }) = tables.get(name) {
            return Err(plan_datafusion_err!(
                "{}.{name} is the lake's files at '{location}'; rwid does not delete a lake's files",
                self.name
            ));
        }
        Ok(match tables.remove(name) {
            Some(Entry::Made(table)) => Some(table),
            _ => None,
        })
    }

    fn table_exist(&self, name: &str) -> bool {
        self.read().contains_key(name)
    }
}
