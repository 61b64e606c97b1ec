//! The session's cache of Parquet footers, as rwid's rules and operators
//! read row group layouts from it.

use std::sync::Arc;

use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::metadata::CachedParquetMetaData;
use datafusion::execution::cache::cache_manager::FileMetadataCache;
use datafusion::parquet::file::metadata::ParquetMetaData;

/// The file's Parquet metadata, when `cache` holds it for this version of
/// the file (same size and modification time).
pub(crate) fn cached_metadata(
    cache: &FileMetadataCache,
    file: &PartitionedFile,
) -> Option<Arc<ParquetMetaData>> {
    let entry = cache.get(&file.object_meta.location)?;
    if !entry.is_valid_for(&file.object_meta) {
        return None;
    }
    let parquet = entry
        .file_metadata
        .as_any()
        .downcast_ref::<CachedParquetMetaData>()?;
    Some(Arc::clone(parquet.parquet_metadata()))
}
