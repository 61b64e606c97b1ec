//! Mounting a lake: a folder or bucket whose Parquet tables become SQL tables.
//!
//! Layout (the same on local disk and object storage):
//!
//! ```text
//! ROOT/
//!   clinical/person/part-0.parquet         -> clinical.person
//!   clinical/measurement/year=2023/*.parquet -> clinical.measurement (hive partition `year`)
//!   imaging/lesion_measurement.parquet     -> imaging.lesion_measurement
//!   cohort.parquet                         -> public.cohort
//! ```
//!
//! A folder that holds Parquet files, or hive `key=value` folders, is a table;
//! a folder of such folders is a schema. Names starting with `.` or `_` are
//! skipped (Spark's `_SUCCESS`, editors' dot files). Tables are plain
//! DataFusion listing tables, so files added to a table folder are seen by the
//! next query without remounting.
//!
//! The `imaging` schema always has the instance table and its rollups when
//! the lake holds DICOM:
//!
//! - `imaging.instances`: the index `rwid ingest` writes
//!   (`ROOT/imaging/instances/`), or else a live scan of the DICOM files
//!   under `ROOT/dicom/`;
//! - `imaging.series` and `imaging.studies`: views at IDC's series and study
//!   grain over `imaging.instances` (see `dicom::rollups`);
//! - `imaging.lesion_measurement`, when the lake has no such table but CDISC
//!   SDTM `sdtm.tu` and `sdtm.tr`, or IDC's `imaging.quantitative_measurements`:
//!   a view mapping them (see `views.rs`);
//! - `imaging.recist_timepoints`: RECIST 1.1 and iRECIST responses per time
//!   point, a view over `imaging.lesion_measurement` (see `views.rs`);
//! - `imaging.image_occurrence` (OMOP's medical-imaging extension), a view
//!   over the series and `imaging.patient_link` when the lake has the link
//!   but no image_occurrence table of its own.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::catalog::view::ViewTable;
use datafusion::catalog::{MemorySchemaProvider, SchemaProvider, TableProvider};
use datafusion::common::{DataFusionError, Result, plan_datafusion_err};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::FunctionRegistry;
use datafusion::object_store::path::Path;
use datafusion::object_store::{ObjectStore, ObjectStoreExt};
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use crate::conformance::{Finding, Status};
use crate::dicom::rollups;
use crate::dicom::{DicomTable, OnError};

/// Schema that tables directly under the lake root belong to.
pub const ROOT_SCHEMA: &str = "public";

const PARQUET_EXTENSION: &str = ".parquet";

/// One table found in a lake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeTable {
    pub schema: String,
    pub name: String,
    /// URL of the table's folder or single file.
    pub location: String,
}

/// A mounted lake: its tables, and the views rwid could not build over them.
#[derive(Debug, Default)]
pub struct MountedLake {
    /// Sorted by schema and name, rwid's views after the lake's own tables.
    pub tables: Vec<LakeTable>,
    /// One warning per view left out because its SQL does not plan over the
    /// lake's tables (a column missing or mistyped), naming the error.
    pub views_left_out: Vec<Finding>,
}

/// Discovers the tables under `location` and registers each as
/// `schema.table` in the session's default catalog, then rwid's views over
/// them.
pub async fn mount(ctx: &SessionContext, location: &str) -> Result<MountedLake> {
    let root = lake_root_url(location)?;
    let store = ctx.runtime_env().object_store(&root)?;
    let mut tables = discover(store.as_ref(), &root)
        .await
        .map_err(|e| e.context(format!("Failed to list lake '{location}'")))?;
    let manifest = LakeManifest::read(store.as_ref(), &root).await?;
    let root_url = root.as_str().trim_end_matches('/').to_string();
    for (name, table_location) in &manifest.tables {
        let Some((schema, table)) = name.split_once('.') else {
            return Err(plan_datafusion_err!(
                "{MANIFEST}: table '{name}' must be named schema.table"
            ));
        };
        tables.retain(|t| !(t.schema == schema && t.name == table));
        tables.push(LakeTable {
            schema: schema.to_string(),
            name: table.to_string(),
            location: resolve(&root_url, table_location),
        });
    }
    tables.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));

    for table in &tables {
        let provider = listing_table(ctx, &table.location)
            .await
            .map_err(|e| e.context(format!("Failed to mount lake table '{}'", table.location)))?;
        schema_provider(ctx, &table.schema)?.register_table(table.name.clone(), provider)?;
    }
    let dicom = match &manifest.dicom {
        Some(folder) => resolve(&root_url, folder),
        None => format!("{root_url}/{DICOM_FOLDER}/"),
    };
    let mut views_left_out = Vec::new();
    let added = mount_imaging(ctx, &dicom, &tables, &mut views_left_out).await?;
    tables.extend(added);
    Ok(MountedLake {
        tables,
        views_left_out,
    })
}

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
struct LakeManifest {
    /// The DICOM folder read live as `imaging.instances` (default `dicom/`).
    dicom: Option<String>,
    /// `"schema.table" = "location"`: a Parquet folder or file, relative to
    /// the root or a URL; it replaces a discovered table of the same name.
    #[serde(default)]
    tables: std::collections::BTreeMap<String, String>,
}

impl LakeManifest {
    async fn read(store: &dyn ObjectStore, root: &ListingTableUrl) -> Result<Self> {
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

/// Folder of DICOM files a lake may hold, read live when no index exists.
pub const DICOM_FOLDER: &str = "dicom";

/// Registers what the `imaging` schema has beyond the lake's own tables,
/// unless the lake has tables by those names: `instances` (a live DICOM
/// scan, when the lake has DICOM files but no index), the `series` and
/// `studies` views over it, `recist_timepoints` over `lesion_measurement`,
/// and `image_occurrence` over the series and `patient_link`. A view whose
/// source tables lack columns it needs is left out with a warning in
/// `left_out`. Returns what it added.
async fn mount_imaging(
    ctx: &SessionContext,
    dicom: &str,
    found: &[LakeTable],
    left_out: &mut Vec<Finding>,
) -> Result<Vec<LakeTable>> {
    let has = |name: &str| {
        found
            .iter()
            .any(|t| t.schema == "imaging" && t.name == name)
    };
    let mut added = Vec::new();
    let mut register = |name: &str, provider: Arc<dyn TableProvider>, location: String| {
        schema_provider(ctx, "imaging")?.register_table(name.to_string(), provider)?;
        added.push(LakeTable {
            schema: "imaging".to_string(),
            name: name.to_string(),
            location,
        });
        Ok::<_, DataFusionError>(())
    };

    let mut has_instances = has("instances");
    if !has_instances {
        let url = ListingTableUrl::parse(if dicom.ends_with('/') {
            dicom.to_string()
        } else {
            format!("{dicom}/")
        })?;
        let store = ctx.runtime_env().object_store(&url)?;
        let any_file = store
            .list(Some(url.prefix()))
            .next()
            .await
            .transpose()?
            .is_some();
        if any_file {
            let location = url.as_str().to_string();
            let table =
                DicomTable::try_new(std::slice::from_ref(&location), &[], &[], OnError::Row)?;
            register("instances", Arc::new(table), location)?;
            has_instances = true;
        }
    }
    if has_instances {
        let instances = ctx
            .table("imaging.instances")
            .await?
            .into_unoptimized_plan();
        let volume_check = ctx.udaf("dicom_volume_check")?;
        let views = [
            (
                "series",
                rollups::series_plan(instances.clone(), volume_check, None),
            ),
            ("studies", rollups::study_plan(instances)),
        ];
        for (name, plan) in views {
            if let (false, Ok(plan)) = (has(name), plan) {
                let view = Arc::new(ViewTable::new(plan, None));
                register(name, view, "view over imaging.instances".to_string())?;
            }
        }
    }
    // Lesion measurements from the shapes analysts have, when the lake has
    // no table of its own: CDISC SDTM TU/TR, or IDC's quantitative_measurements.
    let has_in =
        |schema: &str, name: &str| found.iter().any(|t| t.schema == schema && t.name == name);
    let mut has_lesions = has("lesion_measurement");
    let lesion_sources = [
        (
            has_in("sdtm", "tu") && has_in("sdtm", "tr") && has_in("clinical", "person"),
            crate::views::LESION_MEASUREMENT_FROM_SDTM_SQL,
            "view over sdtm.tu and sdtm.tr",
        ),
        (
            has("quantitative_measurements") && has("patient_link"),
            crate::views::LESION_MEASUREMENT_FROM_IDC_SQL,
            "view over imaging.quantitative_measurements",
        ),
    ];
    for (sources_present, sql, location) in lesion_sources {
        if has_lesions || !sources_present {
            continue;
        }
        match ctx.sql(sql).await {
            Ok(frame) => {
                register(
                    "lesion_measurement",
                    frame.into_view(),
                    location.to_string(),
                )?;
                has_lesions = true;
            }
            Err(e) => left_out.push(view_left_out("lesion_measurement", location, &e)),
        }
    }
    let sql_views = [
        (
            "recist_timepoints",
            has_lesions,
            crate::views::RECIST_TIMEPOINTS_SQL.to_string(),
            "view over imaging.lesion_measurement",
        ),
        (
            "image_occurrence",
            has("patient_link") && has_instances,
            image_occurrence_sql(
                has_in("clinical", "concept"),
                has_in("clinical", "procedure_occurrence"),
            ),
            "view over imaging.series and imaging.patient_link",
        ),
    ];
    for (name, sources_present, sql, location) in sql_views {
        if has(name) || !sources_present {
            continue;
        }
        match ctx.sql(&sql).await {
            Ok(frame) => register(name, frame.into_view(), location.to_string())?,
            Err(e) => left_out.push(view_left_out(name, location, &e)),
        }
    }
    Ok(added)
}

/// The warning for an `imaging` view that does not plan over the lake.
fn view_left_out(name: &str, location: &str, error: &DataFusionError) -> Finding {
    Finding {
        table: format!("imaging.{name}"),
        check: "view",
        column: None,
        status: Status::Warn,
        violating_rows: None,
        total_rows: None,
        detail: format!("not built ({location}): {}", error.strip_backtrace()),
    }
}

/// MI-CDM IMAGE_OCCURRENCE built from the series index: one row per series
/// whose PatientID `imaging.patient_link` maps to a person. The identifier
/// is `dicom_uid_id(SeriesInstanceUID)`, stable as the archive grows; the
/// date is SeriesDate, else StudyDate (MI-CDM's suggested source). The
/// imaging procedure (required by MI-CDM) is the person's
/// `clinical.procedure_occurrence` on the study's day, the first by id when
/// there are several; NULL without one, which `lake_check()` reports. The
/// concepts come from the lake's own vocabulary: the modality from
/// `clinical.concept` rows of vocabulary 'DICOM' whose code is the
/// Modality, the anatomic site from the SNOMED concept whose code DICOM
/// gives BodyPartExamined (`body_part_region`, PS3.16 Annex L); 0 ("no
/// matching concept") without one. What the index cannot know is NULL (the
/// visit, the DICOMweb URI).
fn image_occurrence_sql(has_concepts: bool, has_procedures: bool) -> String {
    let (modality, site, concept_joins) = if has_concepts {
        (
            "coalesce(m.concept_id, 0)",
            "coalesce(a.concept_id, 0)",
            "LEFT JOIN (SELECT concept_code, min(concept_id) AS concept_id FROM clinical.concept
                        WHERE vocabulary_id = 'DICOM' GROUP BY concept_code) m
               ON m.concept_code = s.Modality
             LEFT JOIN (SELECT concept_code, min(concept_id) AS concept_id FROM clinical.concept
                        WHERE vocabulary_id = 'SNOMED' GROUP BY concept_code) a
               ON a.concept_code = body_part_region(s.BodyPartExamined)['code']",
        )
    } else {
        ("CAST(0 AS BIGINT)", "CAST(0 AS BIGINT)", "")
    };
    let (procedure, procedure_join) = if has_procedures {
        (
            "CAST(p.procedure_occurrence_id AS BIGINT)",
            "LEFT JOIN (SELECT person_id, procedure_date, min(procedure_occurrence_id) AS procedure_occurrence_id
                        FROM clinical.procedure_occurrence GROUP BY person_id, procedure_date) p
               ON p.person_id = l.person_id AND p.procedure_date = s.StudyDate",
        )
    } else {
        ("CAST(NULL AS BIGINT)", "")
    };
    format!(
        "SELECT dicom_uid_id(s.SeriesInstanceUID) AS image_occurrence_id,
                l.person_id,
                {procedure} AS procedure_occurrence_id,
                CAST(NULL AS BIGINT) AS visit_occurrence_id,
                CAST({site} AS BIGINT) AS anatomic_site_concept_id,
                CAST(NULL AS VARCHAR) AS wadors_uri,
                CAST(NULL AS VARCHAR) AS local_path,
                coalesce(s.SeriesDate, s.StudyDate) AS image_occurrence_date,
                s.StudyInstanceUID AS image_study_uid,
                s.SeriesInstanceUID AS image_series_uid,
                {modality} AS modality_concept_id
         FROM imaging.series s
         JOIN imaging.patient_link l ON l.patient_id = s.PatientID
         {procedure_join}
         {concept_joins}"
    )
}

/// The default catalog's schema `name`, created if missing.
fn schema_provider(ctx: &SessionContext, name: &str) -> Result<Arc<dyn SchemaProvider>> {
    let state = ctx.state();
    let catalog_name = &state.config().options().catalog.default_catalog;
    let catalog = ctx
        .catalog(catalog_name)
        .ok_or_else(|| plan_datafusion_err!("default catalog '{catalog_name}' is missing"))?;
    Ok(match catalog.schema(name) {
        Some(schema) => schema,
        None => {
            let schema: Arc<dyn SchemaProvider> = Arc::new(MemorySchemaProvider::new());
            catalog.register_schema(name, Arc::clone(&schema))?;
            schema
        }
    })
}

/// Parses a lake root given as a local path or URL into a folder URL.
fn lake_root_url(location: &str) -> Result<ListingTableUrl> {
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

/// Lists the root and its folders two levels down and classifies each entry.
async fn discover(store: &dyn ObjectStore, root: &ListingTableUrl) -> Result<Vec<LakeTable>> {
    let root_prefix = root.prefix().clone();
    let root_url = root.as_str().trim_end_matches('/').to_string();
    let mut tables = Vec::new();

    let top = store.list_with_delimiter(Some(&root_prefix)).await?;
    for file in top.objects.iter().filter(|o| is_parquet_file(&o.location)) {
        tables.push(file_table(
            &root_url,
            ROOT_SCHEMA,
            &file.location,
            &root_prefix,
        ));
    }
    for folder in top.common_prefixes.iter().filter(|p| is_visible(p)) {
        let folder_name = last_part(folder);
        let inside = store.list_with_delimiter(Some(folder)).await?;
        if holds_table_data(&inside.objects, &inside.common_prefixes) {
            tables.push(folder_table(&root_url, ROOT_SCHEMA, &folder_name));
            continue;
        }
        // A schema folder: its Parquet files and table folders are its tables.
        for file in inside
            .objects
            .iter()
            .filter(|o| is_parquet_file(&o.location))
        {
            tables.push(file_table(
                &root_url,
                &folder_name,
                &file.location,
                &root_prefix,
            ));
        }
        for table_folder in inside.common_prefixes.iter().filter(|p| is_visible(p)) {
            let contents = store.list_with_delimiter(Some(table_folder)).await?;
            if holds_table_data(&contents.objects, &contents.common_prefixes) {
                let name = last_part(table_folder);
                tables.push(LakeTable {
                    schema: folder_name.clone(),
                    location: format!("{root_url}/{folder_name}/{name}/"),
                    name,
                });
            }
        }
    }
    Ok(tables)
}

fn holds_table_data(objects: &[datafusion::object_store::ObjectMeta], folders: &[Path]) -> bool {
    objects.iter().any(|o| is_parquet_file(&o.location))
        || folders
            .iter()
            .any(|f| is_visible(f) && last_part(f).contains('='))
}

fn folder_table(root_url: &str, schema: &str, folder: &str) -> LakeTable {
    LakeTable {
        schema: schema.to_string(),
        name: folder.to_string(),
        location: format!("{root_url}/{folder}/"),
    }
}

fn file_table(root_url: &str, schema: &str, file: &Path, root_prefix: &Path) -> LakeTable {
    let relative: Vec<String> = file
        .prefix_match(root_prefix)
        .map(|parts| parts.map(|p| p.as_ref().to_string()).collect())
        .unwrap_or_default();
    let file_name = last_part(file);
    LakeTable {
        schema: schema.to_string(),
        name: file_name.trim_end_matches(PARQUET_EXTENSION).to_string(),
        location: format!("{root_url}/{}", relative.join("/")),
    }
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
async fn listing_table(
    ctx: &SessionContext,
    location: &str,
) -> Result<Arc<ListingTable>, DataFusionError> {
    let state = ctx.state();
    let url = ListingTableUrl::parse(location)?;
    let mut options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(PARQUET_EXTENSION);
    let partitions = options.infer_partitions(&state, &url).await?;
    options = options.with_table_partition_cols(
        partitions
            .into_iter()
            .map(|name| (name, DataType::Utf8))
            .collect(),
    );
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .infer_schema(&state)
        .await?;
    Ok(Arc::new(ListingTable::try_new(config)?))
}
