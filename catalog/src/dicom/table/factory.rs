//! `CREATE EXTERNAL TABLE ... STORED AS DICOM`.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider, TableProviderFactory};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::CreateExternalTable;

use crate::dicom::table::arguments::parse_dicom_options;
use crate::dicom::table::provider::DicomTable;

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
