//! `read_dicom_sr('LOCATION')`: the measurements of DICOM SR measurement
//! reports (TID 1500) as rows, one per numeric measurement, so RECIST can
//! run straight from radiology reports. The reading is `sr.rs`; this file
//! is the table around it.

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, Date32Array, Float64Array, Int32Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::datasource::TableType;
use datafusion::execution::TaskContext;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::{Documentation, Expr};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::physical_plan::{ExecutionPlan, SendableRecordBatchStream};
use dicom_dictionary_std::tags;
use futures::{StreamExt, TryStreamExt};

use crate::dicom::exec::IO_CONCURRENCY;
use crate::dicom::reader::DicomFile;
use crate::dicom::reader::{FileReader, OnError, display_path};
use crate::dicom::table::arguments::{on_error_argument, string_argument};
use crate::dicom::table::provider::DicomTable;
use rwid_dicom::DicomHeader;
use rwid_dicom::sr::{Code, SrMeasurement};
use rwid_dicom::values::parse_date;

/// The table's columns: the report's identity, then one measurement.
static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    Arc::new(Schema::new(vec![
        text("PatientID"),
        text("StudyInstanceUID"),
        text("SeriesInstanceUID"),
        text("SOPInstanceUID"),
        Field::new("ContentDate", DataType::Date32, true),
        Field::new("measurement_group", DataType::Int32, true),
        text("tracking_identifier"),
        text("tracking_uid"),
        text("finding"),
        text("finding_code"),
        text("finding_site"),
        text("finding_site_code"),
        text("concept_name"),
        text("concept_code"),
        Field::new("value", DataType::Float64, true),
        text("units"),
        text("referenced_sop_instance_uid"),
        text("referenced_series_instance_uid"),
        text("file_path"),
        text("read_error"),
    ]))
});

/// One report read: its identity and measurements, or why it could not be read.
struct Report {
    path: String,
    outcome: std::result::Result<(Identity, Vec<SrMeasurement>), String>,
}

#[derive(Default)]
struct Identity {
    patient_id: Option<String>,
    study: Option<String>,
    series: Option<String>,
    sop_instance: Option<String>,
    content_date: Option<i32>,
}

impl Identity {
    fn of(header: &DicomHeader) -> Self {
        let text = |tag| header.top_level_text(tag);
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
        Identity {
            patient_id: text(tags::PATIENT_ID),
            study: text(tags::STUDY_INSTANCE_UID),
            series: text(tags::SERIES_INSTANCE_UID),
            sop_instance: text(tags::SOP_INSTANCE_UID),
            content_date: text(tags::CONTENT_DATE)
                .and_then(|d| parse_date(&d))
                .map(|d| (d - epoch).num_days() as i32),
        }
    }
}

/// The reports under one location, read as one stream.
#[derive(Debug)]
struct ReportPartition {
    store_url: ObjectStoreUrl,
    files: Vec<DicomFile>,
    on_error: OnError,
}

impl PartitionStream for ReportPartition {
    fn schema(&self) -> &SchemaRef {
        &SCHEMA
    }

    fn execute(&self, context: Arc<TaskContext>) -> SendableRecordBatchStream {
        let schema = Arc::clone(&SCHEMA);
        let store = match context.runtime_env().object_store(&self.store_url) {
            Ok(store) => store,
            Err(e) => {
                return Box::pin(RecordBatchStreamAdapter::new(
                    schema,
                    futures::stream::once(async move { Err(e) }),
                ));
            }
        };
        let reader = Arc::new(FileReader::new(store, &self.store_url, &[], self.on_error));
        let store_url = self.store_url.as_str().to_string();
        let on_error = self.on_error;
        let batch_size = context.session_config().batch_size();
        let reports = futures::stream::iter(self.files.clone())
            .map(move |file| {
                let reader = Arc::clone(&reader);
                let path = display_path(&store_url, &file.meta.location);
                async move {
                    // A report has no pixel data: the whole data set is read.
                    let outcome = reader
                        .header(&file.meta, tags::PIXEL_DATA)
                        .await
                        .map(|header| (Identity::of(&header), header.sr_measurements()));
                    Report { path, outcome }
                }
            })
            .buffered(IO_CONCURRENCY)
            .map(move |report| match (&report.outcome, on_error) {
                (Err(reason), OnError::Fail) => {
                    exec_err!("cannot read DICOM SR '{}': {reason}", report.path)
                }
                (Err(_), OnError::Skip) => Ok(None),
                _ => Ok(Some(report)),
            })
            .try_filter_map(futures::future::ok)
            .try_chunks(batch_size.div_ceil(8).max(1))
            .map_err(|e| e.1)
            .and_then(|reports| futures::future::ready(build_batch(&reports)));
        Box::pin(RecordBatchStreamAdapter::new(schema, reports))
    }
}

/// One row per measurement; a report that could not be read is one row
/// with `read_error` set.
fn build_batch(reports: &[Report]) -> Result<RecordBatch> {
    type Row<'a> = (&'a Report, Option<&'a Identity>, Option<&'a SrMeasurement>);
    let rows: Vec<Row> = reports
        .iter()
        .flat_map(|report| -> Vec<Row> {
            match &report.outcome {
                Ok((identity, measurements)) => measurements
                    .iter()
                    .map(|m| (report, Some(identity), Some(m)))
                    .collect(),
                Err(_) => vec![(report, None, None)],
            }
        })
        .collect();
    let identity = |f: fn(&Identity) -> Option<String>| -> ArrayRef {
        Arc::new(
            rows.iter()
                .map(|(_, i, _)| i.and_then(f))
                .collect::<StringArray>(),
        )
    };
    let measurement = |f: fn(&SrMeasurement) -> Option<String>| -> ArrayRef {
        Arc::new(
            rows.iter()
                .map(|(_, _, m)| m.and_then(f))
                .collect::<StringArray>(),
        )
    };
    let columns: Vec<ArrayRef> = vec![
        identity(|i| i.patient_id.clone()),
        identity(|i| i.study.clone()),
        identity(|i| i.series.clone()),
        identity(|i| i.sop_instance.clone()),
        Arc::new(
            rows.iter()
                .map(|(_, i, _)| i.and_then(|i| i.content_date))
                .collect::<Date32Array>(),
        ),
        Arc::new(
            rows.iter()
                .map(|(_, _, m)| m.map(|m| m.group as i32))
                .collect::<Int32Array>(),
        ),
        measurement(|m| m.tracking_identifier.clone()),
        measurement(|m| m.tracking_uid.clone()),
        measurement(|m| m.finding.as_ref().map(|c| c.meaning.clone())),
        measurement(|m| m.finding.as_ref().map(Code::key)),
        measurement(|m| m.finding_site.as_ref().map(|c| c.meaning.clone())),
        measurement(|m| m.finding_site.as_ref().map(Code::key)),
        measurement(|m| Some(m.name.meaning.clone())),
        measurement(|m| Some(m.name.key())),
        Arc::new(
            rows.iter()
                .map(|(_, _, m)| m.and_then(|m| m.value))
                .collect::<Float64Array>(),
        ),
        measurement(|m| m.units.clone()),
        measurement(|m| m.referenced_sop_instance_uid.clone()),
        measurement(|m| m.referenced_series_instance_uid.clone()),
        Arc::new(
            rows.iter()
                .map(|(r, _, _)| Some(r.path.as_str()))
                .collect::<StringArray>(),
        ),
        Arc::new(
            rows.iter()
                .map(|(r, _, _)| r.outcome.as_ref().err().map(String::as_str))
                .collect::<StringArray>(),
        ),
    ];
    Ok(RecordBatch::try_new(Arc::clone(&SCHEMA), columns)?)
}

/// The reports under a location, as a table.
#[derive(Debug)]
pub struct DicomSrTable {
    /// Lists the files (the same listing as `read_dicom`'s).
    files: DicomTable,
    on_error: OnError,
}

#[async_trait]
impl TableProvider for DicomSrTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&SCHEMA)
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
        let (store_url, files) = self.files.files(state).await?;
        let partitions = state.config().target_partitions().max(1);
        let per_partition = files.len().div_ceil(partitions).max(1);
        let partitions: Vec<Arc<dyn PartitionStream>> = files
            .chunks(per_partition)
            .map(|files| {
                Arc::new(ReportPartition {
                    store_url: store_url.clone(),
                    files: files.to_vec(),
                    on_error: self.on_error,
                }) as Arc<dyn PartitionStream>
            })
            .collect();
        Ok(Arc::new(StreamingTableExec::try_new(
            Arc::clone(&SCHEMA),
            partitions,
            projection,
            [],
            false,
            limit,
        )?))
    }
}

/// The `read_dicom_sr` table function.
#[derive(Debug, Default)]
pub struct ReadDicomSr;

impl ReadDicomSr {
    /// Reference documentation (table functions have no `documentation()` hook).
    pub fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            crate::table_function_documentation(
                "Reads the measurements of DICOM SR measurement reports (PS3.16 TID 1500, as \
                 highdicom, dcmqi and viewers write them) as rows, one per numeric measurement: \
                 the report's PatientID, StudyInstanceUID, SeriesInstanceUID, SOPInstanceUID \
                 and ContentDate; the measurement group's position, `tracking_identifier` and \
                 `tracking_uid` (TID 1410/1411/1501, stable for one lesion across reports), \
                 `finding` and `finding_site` (meaning, and `SCHEME:VALUE` in the `_code` \
                 columns); the measurement's `concept_name` (Long axis, Short axis, ...) and \
                 `concept_code` (`SCT:103339001`), `value` and UCUM `units`; the image it was \
                 measured on (`referenced_sop_instance_uid`) and that image's series from the \
                 report's evidence. Files are read whole (reports carry no pixel data); other \
                 DICOM objects give no rows. A file that cannot be read is a row with \
                 `read_error` set (default), left out (`'skip'`) or fails the query (`'fail'`).",
                "read_dicom_sr(location [, on_error])",
            )
            .with_argument("location", "Local path, folder, glob or `s3://` URL of the reports.")
            .with_argument("on_error", "`'read_error'` (default), `'skip'` or `'fail'`.")
            .with_sql_example(
                "```sql\n> SELECT PatientID, ContentDate, tracking_identifier, finding_site, concept_name, value, units\n  FROM read_dicom_sr('reports/') WHERE read_error IS NULL ORDER BY 1, 2, 3;\n```",
            )
            .build()
        });
        &DOCUMENTATION
    }
}

impl TableFunctionImpl for ReadDicomSr {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if exprs.is_empty() || exprs.len() > 2 {
            return plan_err!(
                "read_dicom_sr takes a location and optionally an on_error mode: read_dicom_sr('path/or/s3://bucket/prefix/' [, 'read_error' | 'skip' | 'fail'])"
            );
        }
        let location =
            string_argument("read_dicom_sr", "the location", exprs, 0)?.unwrap_or_default();
        let on_error = on_error_argument("read_dicom_sr", exprs, 1)?;
        Ok(Arc::new(DicomSrTable {
            files: DicomTable::try_new(&[location], &[], &[], on_error)?,
            on_error,
        }))
    }
}
