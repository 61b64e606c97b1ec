//! Object stores, registered on demand from the URL a query names.
//!
//! Users write `s3://bucket/prefix/` in `--lake`, `LOCATION` or a table
//! function and expect it to work, as in datafusion-cli and DuckDB. The
//! registry builds an S3 store the first time a bucket is named, configured
//! from the standard AWS environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`...),
//! and keeps it for later queries.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use datafusion::object_store::ObjectStore;
use url::Url;

/// DataFusion's registry (local files and explicitly registered stores) plus
/// lazily created S3 stores.
#[derive(Debug, Default)]
pub struct RwidObjectStoreRegistry {
    inner: DefaultObjectStoreRegistry,
}

impl RwidObjectStoreRegistry {
    pub fn new() -> Self {
        Self::default()
    }
}

impl ObjectStoreRegistry for RwidObjectStoreRegistry {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.inner.register_store(url, store)
    }

    fn deregister_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        self.inner.deregister_store(url)
    }

    fn get_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        if let Ok(store) = self.inner.get_store(url) {
            return Ok(store);
        }
        let store = match url.scheme() {
            "s3" | "s3a" => s3::store_for(url)?,
            _ => return self.inner.get_store(url),
        };
        let bucket_url = Url::parse(&format!("{}://{}", url.scheme(), url.authority()))
            .expect("scheme and authority of a valid URL form a valid URL");
        self.inner.register_store(&bucket_url, Arc::clone(&store));
        Ok(store)
    }
}

#[cfg(feature = "s3")]
mod s3 {
    use std::sync::Arc;

    use datafusion::common::{DataFusionError, Result, plan_datafusion_err};
    use datafusion::object_store::ObjectStore;
    use object_store::aws::AmazonS3Builder;
    use url::Url;

    /// Environment variables that give credentials without the instance
    /// metadata service.
    const CREDENTIAL_VARIABLES: &[&str] = &[
        "AWS_ACCESS_KEY_ID",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ];

    pub fn store_for(url: &Url) -> Result<Arc<dyn ObjectStore>> {
        let bucket = url
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| plan_datafusion_err!("S3 URL '{url}' names no bucket"))?;
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        // Without credentials, read anonymously (public buckets such as IDC's)
        // instead of probing the EC2 metadata service, which hangs off-cloud.
        let has_credentials = CREDENTIAL_VARIABLES
            .iter()
            .any(|v| std::env::var_os(v).is_some());
        if !has_credentials {
            builder = builder.with_skip_signature(true);
        }
        let store = builder
            .build()
            .map_err(|e| DataFusionError::ObjectStore(Box::new(e)))
            .map_err(|e| e.context(format!("Failed to configure S3 for '{url}'")))?;
        Ok(Arc::new(store))
    }
}

#[cfg(not(feature = "s3"))]
mod s3 {
    use std::sync::Arc;

    use datafusion::common::{Result, plan_err};
    use datafusion::object_store::ObjectStore;
    use url::Url;

    pub fn store_for(url: &Url) -> Result<Arc<dyn ObjectStore>> {
        plan_err!("'{url}' needs S3 support; build rwid with the `s3` feature")
    }
}
