//! Where a lake's tables are: the folder layout, `lake.toml`, and the
//! Parquet listing table over one table's files.
//!
//! Layout (the same on local disk and object storage):
//!
//! ```text
//! ROOT/
//!   clinical/person/part-0.parquet           -> clinical.person
//!   clinical/measurement/year=2023/*.parquet -> clinical.measurement (hive partition `year`)
//!   imaging/lesion_measurement.parquet       -> imaging.lesion_measurement
//!   cohort.parquet                           -> public.cohort
//! ```
//!
//! A folder that holds Parquet files, or hive `key=value` folders, is a table;
//! a folder of such folders is a schema. Names starting with `.` or `_` are
//! skipped (Spark's `_SUCCESS`, editors' dot files). Tables are plain
//! DataFusion listing tables, so files added to a table folder are seen by the
//! next query.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::catalog::Session;
use datafusion::common::{DataFusionError, Result, plan_datafusion_err};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::object_store::path::Path;
use datafusion::object_store::{ObjectStore, ObjectStoreExt};

/// Schema that tables directly under the lake root belong to.
pub const ROOT_SCHEMA: &str = "public";

/// Folder of DICOM files a lake may hold, read live when no index exists.
pub const DICOM_FOLDER: &str = "dicom";

const PARQUET_EXTENSION: &str = ".parquet";

/// Table locations by schema, then by table name.
pub(crate) type Layout = BTreeMap<String, BTreeMap<String, String>>;

/// The optional map of a lake's names and locations, at the lake's root.
pub const MANIFEST: &str = "lake.toml";

/// `ROOT/lake.toml`: tables the folder layout does not name, and where the
/// DICOM files are.
///
/// ```toml
/// dicom = "archive/"                               # read live as imaging.instances
/// [tables]
/// "clinical.person" = "ehr/patients/"              # relative to the root
/// "imaging.patient_link" = "s3://mpi/links.parquet"
/// ```
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LakeManifest {
    /// The DICOM folder read live as `imaging.instances` (default `dicom/`).
    pub(crate) dicom: Option<String>,
    /// `"schema.table" = "location"`: a Parquet folder or file, relative to
    /// the root or a URL; it replaces a discovered table of the same name.
    #[serde(default)]
    pub(crate) tables: BTreeMap<String, String>,
}

impl LakeManifest {
    pub(crate) async fn read(store: &dyn ObjectStore, root: &ListingTableUrl) -> Result<Self> {
        let path = root.prefix().clone().join(MANIFEST);
        let bytes = match store.get(&path).await {
            Ok(found) => found.bytes().await?,
            Err(datafusion::object_store::Error::NotFound { .. }) => return Ok(Self::default()),
            Err(e) => return Err(e.into()),
        };
        let text = std::str::from_utf8(&bytes)
            .map_err(|e| plan_datafusion_err!("{MANIFEST} is not UTF-8 text: {e}"))?;
        toml::from_str(text).map_err(|e| {
            plan_datafusion_err!(
                "{MANIFEST}: {}",
                e.to_string()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        })
    }

    /// The manifest's tables as a layout, locations resolved against the root.
    pub(crate) fn layout(&self, root_url: &str) -> Result<Layout> {
        let mut layout = Layout::new();
        for (name, location) in &self.tables {
            let Some((schema, table)) = name.split_once('.') else {
                return Err(plan_datafusion_err!(
                    "{MANIFEST}: table '{name}' must be named schema.table"
                ));
            };
            layout
                .entry(schema.to_string())
                .or_default()
                .insert(table.to_string(), resolve(root_url, location));
        }
        Ok(layout)
    }

    /// The DICOM folder's URL.
    pub(crate) fn dicom_folder(&self, root_url: &str) -> String {
        match &self.dicom {
            Some(folder) => resolve(root_url, folder),
            None => format!("{root_url}/{DICOM_FOLDER}/"),
        }
    }
}

/// A location from lake.toml: URLs and absolute paths as they are, anything
/// else relative to the lake's root.
fn resolve(root_url: &str, location: &str) -> String {
    if location.contains("://") || location.starts_with('/') {
        location.to_string()
    } else {
        format!("{root_url}/{}", location.trim_start_matches("./"))
    }
}

/// Parses a lake root given as a local path or URL into a folder URL.
pub(crate) fn lake_root_url(location: &str) -> Result<ListingTableUrl> {
    let is_url = location.contains("://");
    if !is_url && !std::path::Path::new(location).is_dir() {
        return Err(plan_datafusion_err!(
            "lake root '{location}' is not a folder (expected a folder of Parquet tables or an s3:// URL)"
        ));
    }
    let folder = if location.ends_with('/') {
        location.to_string()
    } else {
        format!("{location}/")
    };
    ListingTableUrl::parse(folder)
}

/// The root's URL without its trailing slash, as locations are built from it.
pub(crate) fn root_url(root: &ListingTableUrl) -> String {
    root.as_str().trim_end_matches('/').to_string()
}

/// Every table of the folder layout: the root's Parquet files and table
/// folders (schema `public`), and the tables of each schema folder.
pub(crate) async fn discover(store: &dyn ObjectStore, root: &ListingTableUrl) -> Result<Layout> {
    let top = store.list_with_delimiter(Some(root.prefix())).await?;
    let mut layout = Layout::new();
    for folder in top.common_prefixes.iter().filter(|p| is_visible(p)) {
        let inside = store.list_with_delimiter(Some(folder)).await?;
        if !holds_table_data(&inside.objects, &inside.common_prefixes) {
            let schema = last_part(folder);
            let tables = schema_tables(store, root, &schema, inside).await?;
            layout.insert(schema, tables);
        }
    }
    layout.insert(
        ROOT_SCHEMA.to_string(),
        root_tables(store, root, top).await?,
    );
    Ok(layout)
}

/// The tables of one schema as the folders are now: what a schema reads again
/// when a query names a table it has not seen.
pub(crate) async fn discover_schema(
    store: &dyn ObjectStore,
    root: &ListingTableUrl,
    schema: &str,
) -> Result<BTreeMap<String, String>> {
    if schema == ROOT_SCHEMA {
        let top = store.list_with_delimiter(Some(root.prefix())).await?;
        return root_tables(store, root, top).await;
    }
    let folder = root.prefix().clone().join(schema);
    let inside = store.list_with_delimiter(Some(&folder)).await?;
    if holds_table_data(&inside.objects, &inside.common_prefixes) {
        // A table folder of `public`, not a schema.
        return Ok(BTreeMap::new());
    }
    schema_tables(store, root, schema, inside).await
}

/// The root's own tables: its Parquet files and the folders that hold table data.
async fn root_tables(
    store: &dyn ObjectStore,
    root: &ListingTableUrl,
    top: datafusion::object_store::ListResult,
) -> Result<BTreeMap<String, String>> {
    let root_url = root_url(root);
    let mut tables = file_tables(&root_url, "", &top.objects);
    for folder in top.common_prefixes.iter().filter(|p| is_visible(p)) {
        let inside = store.list_with_delimiter(Some(folder)).await?;
        if holds_table_data(&inside.objects, &inside.common_prefixes) {
            let name = last_part(folder);
            tables.insert(name.clone(), format!("{root_url}/{name}/"));
        }
    }
    Ok(tables)
}

/// A schema folder's tables: its Parquet files and its table folders.
async fn schema_tables(
    store: &dyn ObjectStore,
    root: &ListingTableUrl,
    schema: &str,
    inside: datafusion::object_store::ListResult,
) -> Result<BTreeMap<String, String>> {
    let root_url = root_url(root);
    let mut tables = file_tables(&root_url, &format!("{schema}/"), &inside.objects);
    for table_folder in inside.common_prefixes.iter().filter(|p| is_visible(p)) {
        let contents = store.list_with_delimiter(Some(table_folder)).await?;
        if holds_table_data(&contents.objects, &contents.common_prefixes) {
            let name = last_part(table_folder);
            tables.insert(name.clone(), format!("{root_url}/{schema}/{name}/"));
        }
    }
    Ok(tables)
}

/// Single-file tables: `folder/NAME.parquet` is table NAME.
fn file_tables(
    root_url: &str,
    folder: &str,
    objects: &[datafusion::object_store::ObjectMeta],
) -> BTreeMap<String, String> {
    objects
        .iter()
        .filter(|o| is_parquet_file(&o.location))
        .map(|o| {
            let file_name = last_part(&o.location);
            let name = file_name.trim_end_matches(PARQUET_EXTENSION).to_string();
            (name, format!("{root_url}/{folder}{file_name}"))
        })
        .collect()
}

fn holds_table_data(objects: &[datafusion::object_store::ObjectMeta], folders: &[Path]) -> bool {
    objects.iter().any(|o| is_parquet_file(&o.location))
        || folders
            .iter()
            .any(|f| is_visible(f) && last_part(f).contains('='))
}

fn last_part(path: &Path) -> String {
    path.filename().map(str::to_string).unwrap_or_default()
}

fn is_visible(path: &Path) -> bool {
    let name = last_part(path);
    !(name.starts_with('.') || name.starts_with('_'))
}

fn is_parquet_file(path: &Path) -> bool {
    is_visible(path) && last_part(path).ends_with(PARQUET_EXTENSION)
}

/// A Parquet listing table over a folder (hive partitions inferred, as text)
/// or a single file.
pub(crate) async fn listing_table(
    state: &dyn Session,
    location: &str,
) -> Result<Arc<ListingTable>, DataFusionError> {
    let url = ListingTableUrl::parse(location)?;
    let mut options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(PARQUET_EXTENSION);
    let partitions = options.infer_partitions(state, &url).await?;
    options = options.with_table_partition_cols(
        partitions
            .into_iter()
            .map(|name| (name, DataType::Utf8))
            .collect(),
    );
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .infer_schema(state)
        .await?;
    Ok(Arc::new(ListingTable::try_new(config)?))
}
