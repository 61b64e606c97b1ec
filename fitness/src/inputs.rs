//! Provenance of an assessment's inputs: every file of every table the
//! profile read, with its size, modification time, ETag where the store
//! gives one, and a SHA-256 of its content where that is cheap (local
//! files up to [`HASHED_BYTES`]).

use datafusion::catalog::TableProvider;
use datafusion::common::TableReference;
use datafusion::datasource::listing::ListingTable;
use datafusion::object_store::{ObjectMeta, ObjectStoreExt};
use datafusion::prelude::SessionContext;
use futures::TryStreamExt;
use serde::Serialize;

use crate::profile::sha256_hex;

/// Largest local file whose content is hashed.
pub const HASHED_BYTES: u64 = 64 * 1024 * 1024;

/// One input object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct InputObject {
    /// `schema.table` it belongs to.
    pub table: String,
    /// The object's URL, or the table's kind for a view.
    pub location: String,
    pub size: Option<u64>,
    pub last_modified: Option<String>,
    pub e_tag: Option<String>,
    pub sha256: Option<String>,
}

/// The files of every listing table among `tables`, sorted; views and
/// tables that are not files are listed by kind.
pub async fn list_inputs(ctx: &SessionContext, tables: &[String]) -> Vec<InputObject> {
    let mut inputs = Vec::new();
    for table in tables {
        let provider = match ctx
            .table_provider(TableReference::from(table.as_str()))
            .await
        {
            Ok(provider) => provider,
            Err(error) => {
                inputs.push(InputObject {
                    table: table.clone(),
                    location: format!("not readable: {}", error.strip_backtrace()),
                    size: None,
                    last_modified: None,
                    e_tag: None,
                    sha256: None,
                });
                continue;
            }
        };
        match listing_files(ctx, table, provider.as_ref()).await {
            Some(files) => inputs.extend(files),
            None => inputs.push(InputObject {
                table: table.clone(),
                location: format!("{:?}", provider.table_type()).to_lowercase(),
                size: None,
                last_modified: None,
                e_tag: None,
                sha256: None,
            }),
        }
    }
    inputs.sort();
    inputs
}

async fn listing_files(
    ctx: &SessionContext,
    table: &str,
    provider: &dyn TableProvider,
) -> Option<Vec<InputObject>> {
    let listing = (provider as &dyn std::any::Any).downcast_ref::<ListingTable>()?;
    let state = ctx.state();
    let mut files = Vec::new();
    for url in listing.table_paths() {
        let Ok(store) = ctx.runtime_env().object_store(url) else {
            continue;
        };
        let Ok(stream) = url.list_all_files(&state, store.as_ref(), "").await else {
            continue;
        };
        let metas: Vec<ObjectMeta> = stream.try_collect().await.unwrap_or_default();
        for meta in metas {
            let sha256 = if url.scheme() == "file" && meta.size <= HASHED_BYTES {
                match store.get(&meta.location).await {
                    Ok(got) => got.bytes().await.ok().map(|b| sha256_hex(&b)),
                    Err(_) => None,
                }
            } else {
                None
            };
            files.push(InputObject {
                table: table.to_string(),
                location: format!(
                    "{}/{}",
                    url.object_store().as_str().trim_end_matches('/'),
                    meta.location
                ),
                size: Some(meta.size),
                last_modified: Some(
                    meta.last_modified
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                ),
                e_tag: meta.e_tag,
                sha256,
            });
        }
    }
    Some(files)
}
