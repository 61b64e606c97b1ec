//! Lakes: folders or buckets of Parquet tables mounted as DataFusion
//! catalogs.
//!
//! - [`discovery`]: which folders are schemas and tables, `lake.toml`, and
//!   the listing table over one table's files;
//! - [`catalog`] and [`schema`]: [`LakeCatalog`] and [`LakeSchema`], the
//!   `CatalogProvider` and `SchemaProvider` a session resolves names with;
//! - [`write`](mod@write): a folder of the lake replaced whole or not at all;
//! - [`views`]: what rwid adds to the `imaging` schema over the lake's own
//!   tables (the live DICOM table, the series and study rollups, lesion
//!   measurements from SDTM or IDC, RECIST time points, OMOP's
//!   image_occurrence), planned with the functions of [`rwid_udfs::Functions`].
//!
//! [`mount`] puts them together.

pub mod catalog;
pub mod discovery;
mod root;
pub mod schema;
pub mod views;
pub mod write;

use std::sync::Arc;

use datafusion::catalog::SchemaProvider;
use datafusion::common::{Result, plan_datafusion_err};
use datafusion::prelude::SessionContext;
use rwid_udfs::Functions;

pub use catalog::LakeCatalog;
pub use discovery::{DICOM_FOLDER, MANIFEST, ROOT_SCHEMA};
pub use schema::LakeSchema;
pub use write::{replace_folder, write_file_atomically};

use crate::conformance::Finding;

/// The catalog name of a lake mounted without one (`--lake ROOT`).
pub const DEFAULT_LAKE_NAME: &str = "lake";

/// A lake to mount: `ROOT`, or `NAME=ROOT` to choose its catalog name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeMount {
    pub name: String,
    pub root: String,
}

impl LakeMount {
    /// Parses `NAME=ROOT` or `ROOT`. A name is an SQL identifier (letters,
    /// digits, `_`, not first a digit); anything else before `=` is part of a
    /// path (`/data/year=2024`).
    pub fn parse(text: &str) -> Result<Self> {
        let named = text.split_once('=').filter(|(name, _)| {
            let mut chars = name.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        let (name, root) = match named {
            Some((name, root)) => (name.to_string(), root.to_string()),
            None => (DEFAULT_LAKE_NAME.to_string(), text.to_string()),
        };
        if root.is_empty() {
            return Err(plan_datafusion_err!(
                "lake '{text}': give a root after the name (NAME=ROOT)"
            ));
        }
        Ok(Self { name, root })
    }
}

/// One table of a mounted lake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeTable {
    pub catalog: String,
    pub schema: String,
    pub name: String,
    /// URL of the table's folder or single file, or what rwid built it over.
    pub location: String,
}

/// A mounted lake: its tables, and what did not mount.
#[derive(Debug)]
pub struct MountedLake {
    pub catalog: Arc<LakeCatalog>,
    /// Sorted by schema and name.
    pub tables: Vec<LakeTable>,
    /// One warning per table whose files cannot be read, and per `imaging`
    /// view left out because its SQL does not plan over the lake's tables
    /// (a column missing or mistyped), naming the error.
    pub warnings: Vec<Finding>,
}

/// Mounts the lake at `lake.root` as catalog `lake.name` of `ctx`, with
/// rwid's imaging views planned with `functions`. The session's default
/// catalog is not changed: mount the default lake under the name the
/// session was configured with.
pub async fn mount(
    ctx: &SessionContext,
    lake: &LakeMount,
    functions: &Functions,
) -> Result<MountedLake> {
    let catalog = Arc::new(LakeCatalog::open(&ctx.state(), &lake.root).await?);
    ctx.register_catalog(&lake.name, Arc::clone(&catalog) as _);
    let mut warnings = catalog.unreadable_tables().await;
    let made =
        views::add_imaging_tables(ctx, &lake.name, &catalog, functions, &mut warnings).await?;
    let mut tables = Vec::new();
    for (schema_name, schema) in catalog.lake_schemas() {
        for name in schema.table_names() {
            let location = schema
                .location(&name)
                .or_else(|| {
                    made.get(&name)
                        .filter(|_| schema_name == "imaging")
                        .cloned()
                })
                .unwrap_or_else(|| "made in the session".to_string());
            tables.push(LakeTable {
                catalog: lake.name.clone(),
                schema: schema_name.clone(),
                name,
                location,
            });
        }
    }
    Ok(MountedLake {
        catalog,
        tables,
        warnings,
    })
}
