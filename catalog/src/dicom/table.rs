//! `read_dicom('LOCATION')`: a folder, file, glob or object-store prefix of
//! DICOM files as a table, one row per file.

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{Result, ScalarValue, plan_datafusion_err, plan_err};
use datafusion::datasource::TableType;
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::logical_expr::{DocSection, Documentation, Expr};
use datafusion::object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use datafusion::physical_plan::ExecutionPlan;
use futures::TryStreamExt;

use super::batch::{Column, schema_of, table_columns};
use super::scan::{DicomScanExec, OnError};

/// A table over the DICOM files under one location.
#[derive(Debug)]
pub struct DicomTable {
    location: String,
    url: ListingTableUrl,
    columns: Vec<Column>,
    schema: SchemaRef,
    on_error: OnError,
}

impl DicomTable {
    pub fn try_new(location: &str, on_error: OnError) -> Result<Self> {
        let url = ListingTableUrl::parse(location)
            .map_err(|e| plan_datafusion_err!("invalid DICOM location '{location}': {e}"))?;
        let columns = table_columns();
        Ok(Self {
            location: location.to_string(),
            url,
            schema: schema_of(&columns),
            columns,
            on_error,
        })
    }

    /// Every file under the location (recursively: archives nest files by
    /// patient, study and series), sorted by path so scans are repeatable.
    async fn list_files(&self, store: &dyn ObjectStore) -> Result<Vec<ObjectMeta>> {
        let mut files: Vec<ObjectMeta> = if self.url.is_collection()
            || self.url.get_glob().is_some()
        {
            store
                .list(Some(self.url.prefix()))
                .map_err(|e| {
                    plan_datafusion_err!("cannot list DICOM location '{}': {e}", self.location)
                })
                .try_filter(|meta| futures::future::ready(self.url.contains(&meta.location, false)))
                .try_collect()
                .await?
        } else {
            vec![store.head(self.url.prefix()).await.map_err(|e| {
                plan_datafusion_err!("cannot read DICOM location '{}': {e}", self.location)
            })?]
        };
        files.retain(|meta| !is_hidden(&meta.location));
        if files.is_empty() {
            // As DuckDB does: an empty result from a mistyped path would look
            // like an empty archive.
            return plan_err!("no files found at DICOM location '{}'", self.location);
        }
        files.sort_by(|a, b| a.location.cmp(&b.location));
        Ok(files)
    }
}

/// Dot files (`.DS_Store`, editors' files) are never DICOM.
fn is_hidden(location: &datafusion::object_store::path::Path) -> bool {
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

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let store = state.runtime_env().object_store(&self.url)?;
        let files = self.list_files(store.as_ref()).await?;
        let partitions = state.config().target_partitions().max(1);
        let per_group = files.len().div_ceil(partitions).max(1);
        let groups: Vec<Vec<ObjectMeta>> = files
            .chunks(per_group)
            .map(<[ObjectMeta]>::to_vec)
            .collect();
        let columns = match projection {
            Some(indices) => indices.iter().map(|&i| self.columns[i]).collect(),
            None => self.columns.clone(),
        };
        Ok(Arc::new(DicomScanExec::new(
            self.url.object_store(),
            groups,
            columns,
            limit,
            self.on_error,
        )))
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
            Documentation::builder(
                DocSection {
                    include: true,
                    label: "Table Functions",
                    description: None,
                },
                "Reads DICOM files as a table, one row per file (SOP instance), header only: \
                 pixel data is never read. LOCATION is a file, a folder (read recursively; files \
                 need no `.dcm` extension), a glob, or an object-store URL such as \
                 `s3://bucket/prefix/`. Columns are named by DICOM keyword (PS3.6) as IDC and \
                 pydicom spell them and typed by VR (PS3.5 §6.2): DA is DATE, TM is TIME, \
                 DS/FD/FL are DOUBLE, IS/US/UL/SL/SS are BIGINT, multi-valued attributes are \
                 LISTs. Then `TransferSyntaxUID`, `file_path`, `file_size` and `read_error`. A \
                 file whose header cannot be read is a row with `read_error` set (the default), \
                 is left out (`'skip'`), or fails the query naming the file (`'fail'`).",
                "read_dicom(location [, on_error])",
            )
            .with_argument("location", "Local path, folder, glob or `s3://` URL of the DICOM files.")
            .with_argument("on_error", "`'read_error'` (default), `'skip'` or `'fail'`.")
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
        let text = |i: usize, name: &str| -> Result<Option<String>> {
            match exprs.get(i) {
                None => Ok(None),
                Some(Expr::Literal(
                    ScalarValue::Utf8(Some(s))
                    | ScalarValue::Utf8View(Some(s))
                    | ScalarValue::LargeUtf8(Some(s)),
                    _,
                )) => Ok(Some(s.clone())),
                Some(other) => {
                    plan_err!("read_dicom: {name} must be a string literal, got {other}")
                }
            }
        };
        if exprs.is_empty() || exprs.len() > 2 {
            return plan_err!(
                "read_dicom takes a location and optionally an on_error mode: read_dicom('path/or/s3://bucket/prefix/' [, 'read_error' | 'skip' | 'fail'])"
            );
        }
        let location = text(0, "the location")?.unwrap_or_default();
        let on_error = match text(1, "on_error")? {
            Some(mode) => mode.parse()?,
            None => OnError::default(),
        };
        Ok(Arc::new(DicomTable::try_new(&location, on_error)?))
    }
}
