//! The `read_dicom` table function.

use std::sync::{Arc, LazyLock};

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{Result, plan_datafusion_err, plan_err};
use datafusion::logical_expr::Documentation;

use crate::dicom::table::arguments::{on_error_argument, string_argument};
use crate::dicom::table::provider::DicomTable;
use rwid_dicom::CustomAttribute;

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
