//! DICOM files as a table, one row per file: `read_dicom('LOCATION')` and
//! `CREATE EXTERNAL TABLE ... STORED AS DICOM`.

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{
    Session, TableFunctionArgs, TableFunctionImpl, TableProvider, TableProviderFactory,
};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result, ScalarValue, plan_datafusion_err, plan_err};
use datafusion::datasource::TableType;
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{
    CreateExternalTable, Documentation, Expr, TableProviderFilterPushDown,
};
use datafusion::object_store::local::LocalFileSystem;
use datafusion::object_store::path::Path;
use datafusion::object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use datafusion::physical_plan::ExecutionPlan;
use futures::TryStreamExt;

use super::columns::{Column, schema_of, table_columns};
use super::scan::{DicomFile, DicomScanExec, OnError};
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

    /// Partition values from `name=value` folders between the location and the file.
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

/// Every file under a local folder, following symbolic links as the object
/// store's lister does, with one `stat` per file where that lister makes
/// three: on a warm cache, listing is most of the cost of a small scan.
fn list_local_folder(root: &std::path::Path) -> std::io::Result<Vec<ObjectMeta>> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            // A prefix that is not a folder lists nothing, as on object stores.
            Err(e) if folder == root && e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) if folder == root && e.kind() == std::io::ErrorKind::NotADirectory => continue,
            Err(e) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("{}: {e}", folder.display()),
                ));
            }
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let metadata = if entry.file_type()?.is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(metadata) => metadata,
                    Err(_) => continue, // a dangling link
                }
            } else {
                entry.metadata()?
            };
            if metadata.is_dir() {
                folders.push(path);
            } else if metadata.is_file() {
                let Ok(location) = Path::from_absolute_path(&path) else {
                    continue; // not representable as an object path (not UTF-8)
                };
                files.push(ObjectMeta {
                    location,
                    last_modified: metadata
                        .modified()
                        .map(chrono::DateTime::<chrono::Utc>::from)
                        .unwrap_or_default(),
                    size: metadata.len(),
                    e_tag: None,
                    version: None,
                });
            }
        }
    }
    Ok(files)
}

/// Dot files (`.DS_Store`, editors' files) are never DICOM.
fn is_hidden(location: &Path) -> bool {
    location
        .filename()
        .is_some_and(|name| name.starts_with('.'))
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

/// A DICOM table's options, from `STORED AS DICOM ... OPTIONS (...)` or the
/// `dicom` file format's: `dicom.on_error` and `dicom.attributes` (the
/// `dicom.` prefix optional). `context` names where they were given.
pub(crate) fn parse_dicom_options<'a>(
    options: impl IntoIterator<Item = (&'a str, &'a str)>,
    context: &str,
) -> Result<(OnError, Vec<CustomAttribute>)> {
    let mut on_error = OnError::default();
    let mut custom = Vec::new();
    for (key, value) in options {
        match key {
            "dicom.on_error" | "on_error" => on_error = value.parse()?,
            "dicom.attributes" | "attributes" => {
                custom = CustomAttribute::parse_list(value)
                    .map_err(|e| plan_datafusion_err!("dicom.attributes: {e}"))?
            }
            other => {
                return plan_err!(
                    "unknown option '{other}' for {context}; known: 'dicom.on_error', 'dicom.attributes'"
                );
            }
        }
    }
    Ok((on_error, custom))
}

/// The string literal at `index` of a table function's arguments, `None`
/// when absent; anything else is an error naming `function` and `name`.
pub(crate) fn string_argument(
    function: &str,
    name: &str,
    exprs: &[Expr],
    index: usize,
) -> Result<Option<String>> {
    match exprs.get(index) {
        None => Ok(None),
        Some(Expr::Literal(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::Utf8View(Some(s))
            | ScalarValue::LargeUtf8(Some(s)),
            _,
        )) => Ok(Some(s.clone())),
        Some(other) => plan_err!("{function}: {name} must be a string literal, got {other}"),
    }
}

/// A table function's `on_error` argument at `index` (`'read_error'`,
/// `'skip'` or `'fail'`), the default when it is not given.
pub(crate) fn on_error_argument(function: &str, exprs: &[Expr], index: usize) -> Result<OnError> {
    string_argument(function, "on_error", exprs, index)?
        .map_or(Ok(OnError::default()), |mode| mode.parse())
}

/// `CREATE EXTERNAL TABLE name STORED AS DICOM LOCATION '...'
/// [PARTITIONED BY (col, ...)] [OPTIONS ('dicom.on_error' 'skip')]`.
#[derive(Debug, Default)]
pub struct DicomTableFactory;

#[async_trait]
impl TableProviderFactory for DicomTableFactory {
    async fn create(
        &self,
        _state: &dyn Session,
        cmd: &CreateExternalTable,
    ) -> Result<Arc<dyn TableProvider>> {
        let declared: Vec<&str> = cmd
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .filter(|name| !cmd.table_partition_cols.iter().any(|p| p == name))
            .collect();
        if !declared.is_empty() {
            return plan_err!(
                "STORED AS DICOM defines its own columns (DICOM keywords); remove the column list ({})",
                declared.join(", ")
            );
        }
        let options = cmd.options.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        let (on_error, custom) = parse_dicom_options(options, "STORED AS DICOM")?;
        Ok(Arc::new(DicomTable::try_new(
            &cmd.locations,
            &custom,
            &cmd.table_partition_cols,
            on_error,
        )?))
    }
}

/// The `read_dicom` table function.
#[derive(Debug, Default)]
pub struct ReadDicom;

impl ReadDicom {
    /// Reference documentation, in the form DataFusion uses for functions
    /// (table functions have no `documentation()` hook of their own).
    pub fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            crate::table_function_documentation(
                "Reads DICOM files as a table, one row per file (SOP instance), header only: \
                 pixel data is never read. LOCATION is a file, a folder (read recursively; files \
                 need no `.dcm` extension), a glob, or an object-store URL such as \
                 `s3://bucket/prefix/`. Columns are named by DICOM keyword (PS3.6) as IDC and \
                 pydicom spell them and typed by VR (PS3.5 §6.2): DA is DATE, TM is TIME, \
                 DS/FD/FL are DOUBLE, IS/US/UL/SL/SS are BIGINT, multi-valued attributes are \
                 LISTs. Then `TransferSyntaxUID`, `file_path`, `file_size`, `file_modified`, \
                 `read_error`, and `dicom_json`: the whole header up to the pixel data as DICOM \
                 JSON (PS3.18 F.2; binary values over 1 KB left out), computed only when \
                 selected. A \
                 file whose header cannot be read is a row with `read_error` set (the default), \
                 is left out (`'skip'`), or fails the query naming the file (`'fail'`). The \
                 same table can be named with `CREATE EXTERNAL TABLE t STORED AS DICOM \
                 [PARTITIONED BY (col, ...)] LOCATION '...' [OPTIONS ('dicom.on_error' 'skip')]`, \
                 where hive folders (`site=RUH/`) become columns that prune files.",
                "read_dicom(location [, on_error [, attributes]])",
            )
            .with_argument("location", "Local path, folder, glob or `s3://` URL of the DICOM files.")
            .with_argument("on_error", "`'read_error'` (default), `'skip'` or `'fail'`.")
            .with_argument(
                "attributes",
                "More columns, comma-separated, by keyword (`'PatientName'`) or tag, private tags \
                 included (`'(0029,1010)'`, column `tag_00291010`): DA and TM are typed, the rest \
                 is text in DICOM's string form (values separated by `\\`). \
                 `STORED AS DICOM` takes them as `OPTIONS ('dicom.attributes' '...')`.",
            )
            .with_sql_example(
                "```sql\n> SELECT Modality, Manufacturer, count(*) AS files\n  FROM read_dicom('demo-lake/dicom')\n  WHERE read_error IS NULL GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 3;\n```",
            )
            .build()
        });
        &DOCUMENTATION
    }
}

impl TableFunctionImpl for ReadDicom {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        let text = |i: usize, name: &str| string_argument("read_dicom", name, exprs, i);
        if exprs.is_empty() || exprs.len() > 3 {
            return plan_err!(
                "read_dicom takes a location, optionally an on_error mode and extra attributes: read_dicom('path/or/s3://bucket/prefix/' [, 'read_error' | 'skip' | 'fail' [, 'PatientName, (0029,1010)']])"
            );
        }
        let location = text(0, "the location")?.unwrap_or_default();
        let on_error = on_error_argument("read_dicom", exprs, 1)?;
        let custom = match text(2, "attributes")? {
            Some(list) => CustomAttribute::parse_list(&list)
                .map_err(|e| plan_datafusion_err!("read_dicom: {e}"))?,
            None => Vec::new(),
        };
        Ok(Arc::new(DicomTable::try_new(
            &[location],
            &custom,
            &[],
            on_error,
        )?))
    }
}
