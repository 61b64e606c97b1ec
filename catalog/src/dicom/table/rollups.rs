//! The series and study grain of a DICOM table, shaped like IDC's index
//! (idc-index's `index` table and BigQuery's `dicom_all` rollups): one row
//! per series with `instanceCount` and `series_size_MB`, one row per study
//! with its modalities. SQL surface: `dicom_series('LOCATION' [, tolerance_mm])`
//! and `dicom_studies('LOCATION')`; the lake catalog builds its
//! `imaging.series` and `imaging.studies` views from the same plans.
//!
//! Descriptive attributes come from one instance of the group (`min`, as
//! IDC's index takes them from any instance): they are the same across a
//! well-formed series.

use std::sync::{Arc, LazyLock};

use crate::dicom::reader::OnError;
use crate::dicom::table::arguments::string_argument;
use crate::dicom::table::provider::DicomTable;
use datafusion::arrow::datatypes::DataType;
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider, view::ViewTable};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::datasource::provider_as_source;
use datafusion::functions_aggregate::expr_fn::{array_agg, count, count_distinct, max, min, sum};
use datafusion::functions_nested::expr_fn::array_element;
use datafusion::logical_expr::{
    AggregateUDF, Documentation, Expr, ExprFunctionExt, LogicalPlan, LogicalPlanBuilder, cast,
    ident, lit,
};
use rwid_udfs::imaging::VolumeCheckUdaf;

/// Attributes every instance of a series shares, kept at the series grain.
const SERIES_ATTRIBUTES: &[&str] = &[
    "PatientID",
    "PatientSex",
    "PatientAge",
    "StudyInstanceUID",
    "StudyDate",
    "StudyDescription",
    "Modality",
    "Manufacturer",
    "ManufacturerModelName",
    "InstitutionName",
    "BodyPartExamined",
    "SeriesDate",
    "SeriesNumber",
    "SeriesDescription",
    "ProtocolName",
    "SliceThickness",
];

/// One row per series of `instances` (a plan with the DICOM table's
/// columns): the shared attributes, `instanceCount`, `series_size_MB`, the
/// first and last `AcquisitionDate`, the volume-geometry check (`volume`,
/// from `dicom_volume_check`, with its default tolerance unless
/// `tolerance_mm` is given), and the kernel, contrast and PET tracer
/// attributes. An index with fewer columns (one not written by
/// rwid) gets the columns it can; only SeriesInstanceUID is required.
pub fn series_plan(
    instances: LogicalPlan,
    volume_check: Arc<AggregateUDF>,
    tolerance_mm: Option<f64>,
) -> Result<LogicalPlan> {
    let geometry_columns = [
        "ImagePositionPatient",
        "ImageOrientationPatient",
        "PixelSpacing",
        "Rows",
        "Columns",
    ];
    let mut geometry: Vec<Expr> = geometry_columns.iter().map(|c| ident(*c)).collect();
    geometry.extend(tolerance_mm.map(lit));
    let mut aggregates: Vec<(String, Expr, Vec<&str>)> = SERIES_ATTRIBUTES
        .iter()
        .map(|name| (name.to_string(), min(ident(*name)), vec![*name]))
        .collect();
    aggregates.extend([
        (
            "instanceCount".to_string(),
            count(ident("SOPInstanceUID")),
            vec!["SOPInstanceUID"],
        ),
        ("series_size_MB".to_string(), size_mb(), vec!["file_size"]),
        (
            "first_AcquisitionDate".to_string(),
            min(ident("AcquisitionDate")),
            vec!["AcquisitionDate"],
        ),
        (
            "last_AcquisitionDate".to_string(),
            max(ident("AcquisitionDate")),
            vec!["AcquisitionDate"],
        ),
        (
            "volume".to_string(),
            volume_check.call(geometry),
            geometry_columns.to_vec(),
        ),
    ]);
    // What a fit-for-purpose assessment asks of a series: the kernel (its
    // first value, as ct_kernel_class reads it), contrast, and a PET
    // series' tracer and injection time.
    let kernel = match instances
        .schema()
        .field_with_unqualified_name("ConvolutionKernel")
        .map(|f| f.data_type().clone())
    {
        Ok(DataType::List(_) | DataType::LargeList(_)) => {
            array_element(ident("ConvolutionKernel"), lit(1_i64))
        }
        _ => ident("ConvolutionKernel"),
    };
    aggregates.push((
        "ConvolutionKernel".to_string(),
        min(kernel),
        vec!["ConvolutionKernel"],
    ));
    for name in [
        "ContrastBolusAgent",
        "SeriesTime",
        "Radiopharmaceutical",
        "RadiopharmaceuticalStartTime",
    ] {
        aggregates.push((name.to_string(), min(ident(name)), vec![name]));
    }
    rollup(instances, "SeriesInstanceUID", aggregates)
}

/// One row per study of `instances`: patient, date, description, the sorted
/// modalities (`ModalitiesInStudy`), series and instance counts and size.
pub fn study_plan(instances: LogicalPlan) -> Result<LogicalPlan> {
    let modalities = array_agg(ident("Modality"))
        .distinct()
        .order_by(vec![ident("Modality").sort(true, false)])
        .filter(ident("Modality").is_not_null())
        .build()?;
    let mut aggregates: Vec<(String, Expr, Vec<&str>)> = [
        "PatientID",
        "PatientSex",
        "PatientAge",
        "StudyDate",
        "StudyDescription",
        "InstitutionName",
    ]
    .iter()
    .map(|name| (name.to_string(), min(ident(*name)), vec![*name]))
    .collect();
    aggregates.extend([
        (
            "ModalitiesInStudy".to_string(),
            modalities,
            vec!["Modality"],
        ),
        (
            "seriesCount".to_string(),
            count_distinct(ident("SeriesInstanceUID")),
            vec!["SeriesInstanceUID"],
        ),
        (
            "instanceCount".to_string(),
            count(ident("SOPInstanceUID")),
            vec!["SOPInstanceUID"],
        ),
        ("study_size_MB".to_string(), size_mb(), vec!["file_size"]),
    ]);
    rollup(instances, "StudyInstanceUID", aggregates)
}

/// Groups `instances` by `key` with the `aggregates` whose input columns
/// the instances have, named and ordered as listed, sorted by `key`.
fn rollup(
    instances: LogicalPlan,
    key: &str,
    aggregates: Vec<(String, Expr, Vec<&str>)>,
) -> Result<LogicalPlan> {
    let schema = instances.schema();
    let has = |column: &str| schema.has_column_with_unqualified_name(column);
    if !has(key) {
        return plan_err!("a DICOM instance table needs a {key} column to roll up");
    }
    let (names, exprs): (Vec<String>, Vec<Expr>) = aggregates
        .into_iter()
        .filter(|(_, _, needs)| needs.iter().all(|c| has(c)))
        .map(|(name, expr, _)| (name.clone(), expr.alias(name)))
        .unzip();
    let mut output = vec![ident(key)];
    output.extend(names.iter().map(|name| ident(name.as_str())));
    LogicalPlanBuilder::from(instances)
        .filter(ident(key).is_not_null())?
        .aggregate(vec![ident(key)], exprs)?
        .project(output)?
        .sort(vec![ident(key).sort(true, false)])?
        .build()
}

/// Total file size in MB (10^6 bytes, as IDC's `series_size_MB`).
fn size_mb() -> Expr {
    cast(sum(ident("file_size")), DataType::Float64) / lit(1_000_000.0)
}

/// The instances of the DICOM files at `location`, as a plan.
fn instances(location: &str) -> Result<LogicalPlan> {
    let table = DicomTable::try_new(&[location.to_string()], &[], &[], OnError::Row)?;
    LogicalPlanBuilder::scan("instances", provider_as_source(Arc::new(table)), None)?.build()
}

/// `dicom_series('LOCATION' [, tolerance_mm])`.
#[derive(Debug, Default)]
pub struct DicomSeries;

impl DicomSeries {
    pub fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            crate::table_function_documentation(
                "The DICOM files at LOCATION rolled up to one row per series, shaped like IDC's \
                 series index (idc-index `index`): the attributes the series' instances share \
                 (PatientID, StudyInstanceUID, Modality, Manufacturer, ManufacturerModelName, \
                 BodyPartExamined, SeriesDescription, SliceThickness...), `instanceCount`, \
                 `series_size_MB` (10^6 bytes), the first and last AcquisitionDate, and \
                 `volume`: `dicom_volume_check` over the series' slices (one orientation, unique \
                 positions, uniform spacing within `tolerance_mm`, one pixel spacing and size), \
                 then the first ConvolutionKernel, ContrastBolusAgent, SeriesTime, and a PET \
                 series' Radiopharmaceutical and RadiopharmaceuticalStartTime.",
                "dicom_series(location [, tolerance_mm])",
            )
            .with_argument("location", "As for `read_dicom`: a file, folder, glob or `s3://` URL.")
            .with_argument("tolerance_mm", "Allowed deviation of slice gaps from their median, in mm (default 0.01).")
            .with_sql_example(
                "```sql\n> SELECT Modality, count(*) AS series, sum(instanceCount) AS instances,\n         count(*) FILTER (WHERE NOT volume.ok) AS not_a_volume\n  FROM dicom_series('demo-lake/dicom') GROUP BY Modality ORDER BY Modality;\n```",
            )
            .build()
        });
        &DOCUMENTATION
    }
}

impl TableFunctionImpl for DicomSeries {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        let usage = "dicom_series takes a location and optionally a tolerance in mm: dicom_series('path/or/s3://bucket/prefix/' [, 0.01])";
        let Some(location) = string_argument("dicom_series", "the location", exprs, 0)? else {
            return plan_err!("{usage}");
        };
        let tolerance_mm = match exprs.get(1) {
            None => None,
            Some(Expr::Literal(value, _)) => match value.cast_to(&DataType::Float64)? {
                ScalarValue::Float64(Some(t)) if t >= 0.0 && t.is_finite() => Some(t),
                _ => {
                    return plan_err!(
                        "dicom_series: tolerance_mm must be a non-negative number, got {value}"
                    );
                }
            },
            Some(other) => {
                return plan_err!("dicom_series: tolerance_mm must be a number, got {other}");
            }
        };
        if exprs.len() > 2 {
            return plan_err!("{usage}");
        }
        let volume_check = Arc::new(AggregateUDF::from(VolumeCheckUdaf::new()));
        let plan = series_plan(instances(&location)?, volume_check, tolerance_mm)?;
        Ok(Arc::new(ViewTable::new(plan, None)))
    }
}

/// `dicom_studies('LOCATION')`.
#[derive(Debug, Default)]
pub struct DicomStudies;

impl DicomStudies {
    pub fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            crate::table_function_documentation(
                "The DICOM files at LOCATION rolled up to one row per study: PatientID, \
                 PatientSex, PatientAge, StudyDate, StudyDescription, InstitutionName, \
                 `ModalitiesInStudy` (sorted list), `seriesCount`, `instanceCount` and \
                 `study_size_MB` (10^6 bytes).",
                "dicom_studies(location)",
            )
            .with_argument("location", "As for `read_dicom`: a file, folder, glob or `s3://` URL.")
            .with_sql_example(
                "```sql\n> SELECT ModalitiesInStudy, count(*) AS studies\n  FROM dicom_studies('demo-lake/dicom') GROUP BY 1 ORDER BY 2 DESC LIMIT 3;\n```",
            )
            .build()
        });
        &DOCUMENTATION
    }
}

impl TableFunctionImpl for DicomStudies {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        let (Some(location), 1) = (
            string_argument("dicom_studies", "the location", exprs, 0)?,
            exprs.len(),
        ) else {
            return plan_err!(
                "dicom_studies takes one argument, a location: dicom_studies('path/or/s3://bucket/prefix/')"
            );
        };
        Ok(Arc::new(ViewTable::new(
            study_plan(instances(&location)?)?,
            None,
        )))
    }
}
