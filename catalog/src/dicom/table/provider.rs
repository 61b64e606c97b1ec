//! [`DicomTable`]: the DICOM files under one or more locations as a table,
//! one row per file (SOP instance); its scan is a [`DicomScanExec`].
//!
//! [`DicomScanExec`]: crate::dicom::exec::DicomScanExec

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result, plan_datafusion_err, plan_err};
use datafusion::datasource::TableType;
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::object_store::local::LocalFileSystem;
use datafusion::object_store::path::Path;
use datafusion::object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use datafusion::physical_plan::ExecutionPlan;
use futures::TryStreamExt;

use crate::dicom::columns::{Column, schema_of, table_columns};
use crate::dicom::exec::DicomScanExec;
use crate::dicom::listing::{is_hidden, list_local_folder};
use crate::dicom::reader::DicomFile;
use crate::dicom::reader::OnError;
use rwid_dicom::CustomAttribute;

/// A table over the DICOM files under one or more locations.
#[derive(Debug)]
pub struct DicomTable {
    locations: Vec<(String, ListingTableUrl)>,
    partition_columns: Vec<String>,
    columns: Vec<Column>,
    schema: SchemaRef,
    on_error: OnError,
}

impl DicomTable {
    /// A table over `locations` (files, folders, globs or object-store
    /// URLs, all on one store) with the curated attributes plus `custom`
    /// ones, whose files may sit in hive-style `name=value/` folders for each
    /// of `partition_columns`.
    pub fn try_new(
        locations: &[String],
        custom: &[CustomAttribute],
        partition_columns: &[String],
        on_error: OnError,
    ) -> Result<Self> {
        if locations.is_empty() {
            return plan_err!("a DICOM table needs a location");
        }
        let locations = locations
            .iter()
            .map(|location| {
                let url = ListingTableUrl::parse(location).map_err(|e| {
                    plan_datafusion_err!("invalid DICOM location '{location}': {e}")
                })?;
                Ok((location.clone(), url))
            })
            .collect::<Result<Vec<_>>>()?;
        let store = locations[0].1.object_store();
        if let Some((other, _)) = locations
            .iter()
            .find(|(_, url)| url.object_store() != store)
        {
            return plan_err!(
                "all locations of a DICOM table must be on one object store; '{other}' is not on {}",
                store.as_str()
            );
        }
        let partition_fields: Vec<Field> = partition_columns
            .iter()
            .map(|name| Field::new(name, DataType::Utf8, true))
            .collect();
        let columns = table_columns(custom, &partition_fields);
        let mut names = std::collections::HashSet::new();
        if let Some(duplicate) = columns.iter().map(Column::name).find(|n| !names.insert(*n)) {
            return plan_err!("'{duplicate}' is already a column of DICOM tables; list it once");
        }
        Ok(Self {
            locations,
            partition_columns: partition_columns.to_vec(),
            schema: schema_of(&columns),
            columns,
            on_error,
        })
    }

    /// The table's object store and every file under its locations.
    pub(crate) async fn files(
        &self,
        state: &dyn Session,
    ) -> Result<(ObjectStoreUrl, Vec<DicomFile>)> {
        let url = &self.locations[0].1;
        let store = state.runtime_env().object_store(url)?;
        Ok((url.object_store(), self.list_files(store.as_ref()).await?))
    }

    pub(crate) fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Every file under the locations (recursively: archives nest files by
    /// patient, study and series) with its partition values, sorted by path
    /// so scans are repeatable.
    async fn list_files(&self, store: &dyn ObjectStore) -> Result<Vec<DicomFile>> {
        let mut files = Vec::new();
        for (location, url) in &self.locations {
            let is_local = url.scheme() == "file";
            let metas: Vec<ObjectMeta> = if is_local
                && (url.is_collection() || url.get_glob().is_some())
            {
                let root = LocalFileSystem::new().path_to_filesystem(url.prefix())?;
                list_local_folder(&root)
                    .map_err(|e| {
                        plan_datafusion_err!("cannot list DICOM location '{location}': {e}")
                    })?
                    .into_iter()
                    .filter(|meta| url.contains(&meta.location, false))
                    .collect()
            } else if url.is_collection() || url.get_glob().is_some() {
                store
                    .list(Some(url.prefix()))
                    .map_err(|e| {
                        plan_datafusion_err!("cannot list DICOM location '{location}': {e}")
                    })
                    .try_filter(|meta| futures::future::ready(url.contains(&meta.location, false)))
                    .try_collect()
                    .await?
            } else {
                vec![store.head(url.prefix()).await.map_err(|e| {
                    plan_datafusion_err!("cannot read DICOM location '{location}': {e}")
                })?]
            };
            let found = files.len();
            for meta in metas.into_iter().filter(|m| !is_hidden(&m.location)) {
                let partition_values = self.partition_values(url, &meta.location);
                files.push(DicomFile {
                    meta,
                    partition_values,
                });
            }
            if files.len() == found {
                // As DuckDB does: an empty result from a mistyped path would
                // look like an empty archive.
                return plan_err!("no files found at DICOM location '{location}'");
            }
        }
        files.sort_by(|a, b| a.meta.location.cmp(&b.meta.location));
        files.dedup_by(|a, b| a.meta.location == b.meta.location);
        Ok(files)
    }

    /// Partition values from `name=value` folders between the location and
    /// the file, in any order and at any depth, NULL where a file has none:
    /// as DuckDB reads hive folders. DataFusion's `ListingTable` wants them
    /// first and in the declared order and leaves other files out, which
    /// would drop files an archive keeps beside its partition folders.
    fn partition_values(&self, url: &ListingTableUrl, file: &Path) -> Arc<[Option<String>]> {
        let folders: Vec<String> = url
            .strip_prefix(file)
            .map(|parts| parts.map(str::to_string).collect())
            .unwrap_or_default();
        self.partition_columns
            .iter()
            .map(|name| {
                folders.iter().find_map(|folder| {
                    folder
                        .split_once('=')
                        .filter(|(key, _)| key == name)
                        .map(|(_, value)| value.to_string())
                })
            })
            .collect()
    }

    fn is_partition_filter(&self, filter: &Expr) -> bool {
        let columns = filter.column_refs();
        !columns.is_empty()
            && columns
                .iter()
                .all(|c| self.partition_columns.contains(&c.name))
    }

    /// Keeps the files whose partition values pass every filter.
    fn prune(
        &self,
        state: &dyn Session,
        files: Vec<DicomFile>,
        filters: &[Expr],
    ) -> Result<Vec<DicomFile>> {
        let filters: Vec<Expr> = filters
            .iter()
            .filter(|f| self.is_partition_filter(f))
            .cloned()
            .collect();
        let Some(predicate) = conjunction(filters) else {
            return Ok(files);
        };
        // Filters may name columns with the table's qualifier; the partition
        // batch below has none.
        let predicate = predicate
            .transform(|e| {
                Ok(match e {
                    Expr::Column(c) => Transformed::yes(Expr::Column(
                        datafusion::common::Column::new_unqualified(c.name),
                    )),
                    other => Transformed::no(other),
                })
            })?
            .data;
        let fields: Vec<Field> = self
            .partition_columns
            .iter()
            .map(|n| Field::new(n, DataType::Utf8, true))
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let arrays: Vec<ArrayRef> = (0..self.partition_columns.len())
            .map(|i| {
                let values: StringArray = files
                    .iter()
                    .map(|f| f.partition_values[i].clone())
                    .collect();
                Arc::new(values) as ArrayRef
            })
            .collect();
        let batch = RecordBatch::try_new(Arc::clone(&schema), arrays)?;
        let df_schema = DFSchema::try_from(schema)?;
        let physical = state.create_physical_expr(predicate, &df_schema)?;
        let mask = physical.evaluate(&batch)?.into_array(batch.num_rows())?;
        let mask = mask
            .as_any()
            .downcast_ref::<BooleanArray>()
            .ok_or_else(|| {
                plan_datafusion_err!("a partition filter of a DICOM table is not a boolean")
            })?
            .clone();
        Ok(files
            .into_iter()
            .zip(mask.iter())
            .filter_map(|(file, keep)| keep.unwrap_or(false).then_some(file))
            .collect())
    }
}

#[async_trait]
impl TableProvider for DicomTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    /// Filters on partition columns choose the files to read (exactly);
    /// other filters run above the scan.
    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| {
                if self.is_partition_filter(f) {
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let url = &self.locations[0].1;
        let store = state.runtime_env().object_store(url)?;
        let files = self.list_files(store.as_ref()).await?;
        let files = self.prune(state, files, filters)?;
        let partitions = state.config().target_partitions().max(1);
        let per_group = files.len().div_ceil(partitions).max(1);
        let groups: Vec<Vec<DicomFile>> =
            files.chunks(per_group).map(<[DicomFile]>::to_vec).collect();
        let columns = match projection {
            Some(indices) => indices.iter().map(|&i| self.columns[i].clone()).collect(),
            None => self.columns.clone(),
        };
        Ok(Arc::new(DicomScanExec::new(
            url.object_store(),
            groups,
            columns,
            limit,
            self.on_error,
        )))
    }
}
