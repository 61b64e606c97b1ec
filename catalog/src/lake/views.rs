//! What rwid adds to a lake's `imaging` schema, over the lake's own tables
//! and unless the lake has tables by those names:
//!
//! - `imaging.instances`: a live scan of the DICOM files under `ROOT/dicom/`
//!   (or lake.toml's `dicom`), when the lake has no index `rwid ingest`
//!   wrote (`ROOT/imaging/instances/`);
//! - `imaging.series` and `imaging.studies`: views at IDC's series and study
//!   grain over `imaging.instances` (`dicom::table::rollups`);
//! - `imaging.deidentification`: each live DICOM instance's
//!   de-identification markers, and whether a name or a full birth date is
//!   left in its header;
//! - `imaging.lesion_measurement`, from CDISC SDTM `sdtm.tu` and `sdtm.tr`,
//!   or IDC's `imaging.quantitative_measurements`;
//! - `imaging.recist_timepoints`: RECIST 1.1 and iRECIST responses per time
//!   point, over `imaging.lesion_measurement`;
//! - `imaging.image_occurrence` (OMOP's medical-imaging extension), over the
//!   series and `imaging.patient_link`.
//!
//! The views are planned when the lake mounts, with the lake as the default
//! catalog (so `imaging.series` in their SQL is this lake's) and with the
//! functions of the [`Functions`] given, so a session's rule files reach
//! them. A view whose source tables lack columns it needs, or cannot be
//! read, is left out with a warning.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::catalog::view::ViewTable;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::common::{DataFusionError, Result, TableReference};
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{AggregateUDF, LogicalPlanBuilder};
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use rwid_udfs::Functions;
use rwid_udfs::imaging::VolumeCheckUdaf;

use super::catalog::LakeCatalog;
use crate::conformance::{Finding, Status};
use crate::dicom::table::rollups;
use crate::dicom::{DicomTable, OnError};

/// Adds rwid's `imaging` tables to the lake mounted as catalog
/// `catalog_name`; returns what it added, by name, with what each is built
/// over. Views that do not plan go to `left_out`.
pub(crate) async fn add_imaging_tables(
    ctx: &SessionContext,
    catalog_name: &str,
    catalog: &LakeCatalog,
    functions: &Functions,
    left_out: &mut Vec<Finding>,
) -> Result<BTreeMap<String, String>> {
    let imaging = catalog.lake_schema("imaging");
    let lake_has = |schema: &str, name: &str| catalog.lake_schema(schema).table_exist(name);
    let has = |name: &str| imaging.table_exist(name);
    let mut added = BTreeMap::new();
    let mut add = |name: &str, table: Arc<dyn TableProvider>, over: &str| {
        imaging.add_made(name, table);
        added.insert(name.to_string(), over.to_string());
    };

    let mut state = ctx.state();
    state.config_mut().options_mut().catalog.default_catalog = catalog_name.to_string();
    functions.register(&mut state)?;

    if !has("instances") {
        let dicom = catalog.dicom_folder();
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
            add("instances", Arc::new(table), &location);
            if !has("deidentification") {
                add(
                    "deidentification",
                    deidentification_view(&location)?,
                    &location,
                );
            }
        }
    }
    if has("instances") {
        let over = "view over imaging.instances";
        match imaging.table("instances").await {
            Ok(Some(instances)) => {
                let instances = LogicalPlanBuilder::scan(
                    TableReference::partial("imaging", "instances"),
                    provider_as_source(instances),
                    None,
                )?
                .build()?;
                let volume_check = Arc::new(AggregateUDF::from(VolumeCheckUdaf::new()));
                let views = [
                    (
                        "series",
                        rollups::series_plan(instances.clone(), volume_check, None),
                    ),
                    ("studies", rollups::study_plan(instances)),
                ];
                for (name, plan) in views {
                    if let (false, Ok(plan)) = (has(name), plan) {
                        add(name, Arc::new(ViewTable::new(plan, None)), over);
                    }
                }
            }
            Ok(None) => {}
            Err(e) => {
                for name in ["series", "studies"] {
                    left_out.push(view_left_out(name, over, &e));
                }
            }
        }
    }
    // Lesion measurements from the shapes analysts have, when the lake has
    // no table of its own: CDISC SDTM TU/TR, or IDC's quantitative_measurements.
    let lesion_sources = [
        (
            lake_has("sdtm", "tu") && lake_has("sdtm", "tr") && lake_has("clinical", "person"),
            LESION_MEASUREMENT_FROM_SDTM_SQL,
            "view over sdtm.tu and sdtm.tr",
        ),
        (
            has("quantitative_measurements") && has("patient_link"),
            LESION_MEASUREMENT_FROM_IDC_SQL,
            "view over imaging.quantitative_measurements",
        ),
    ];
    for (sources_present, sql, over) in lesion_sources {
        if has("lesion_measurement") || !sources_present {
            continue;
        }
        match state.create_logical_plan(sql).await {
            Ok(plan) => add(
                "lesion_measurement",
                Arc::new(ViewTable::new(plan, Some(sql.to_string()))),
                over,
            ),
            Err(e) => left_out.push(view_left_out("lesion_measurement", over, &e)),
        }
    }
    let sql_views = [
        (
            "recist_timepoints",
            has("lesion_measurement"),
            RECIST_TIMEPOINTS_SQL.to_string(),
            "view over imaging.lesion_measurement",
        ),
        (
            "image_occurrence",
            has("patient_link") && has("series"),
            image_occurrence_sql(
                lake_has("clinical", "concept"),
                lake_has("clinical", "procedure_occurrence"),
            ),
            "view over imaging.series and imaging.patient_link",
        ),
    ];
    for (name, sources_present, sql, over) in sql_views {
        if has(name) || !sources_present {
            continue;
        }
        match state.create_logical_plan(&sql).await {
            Ok(plan) => add(name, Arc::new(ViewTable::new(plan, Some(sql))), over),
            Err(e) => left_out.push(view_left_out(name, over, &e)),
        }
    }
    Ok(added)
}

/// The header attributes `imaging.deidentification` reads besides the
/// default columns.
const DEIDENTIFICATION_ATTRIBUTES: &str =
    "PatientName,PatientIdentityRemoved,DeidentificationMethod,BurnedInAnnotation";

/// `imaging.deidentification`: per DICOM instance of the live folder, its
/// de-identification markers (DICOM PS3.15 Annex E: PatientIdentityRemoved,
/// DeidentificationMethod), BurnedInAnnotation, and whether a patient name
/// or a full birth date is left in the header; the name itself is not a
/// column.
fn deidentification_view(location: &str) -> Result<Arc<dyn TableProvider>> {
    use datafusion::logical_expr::{ident, lit};
    let custom = rwid_dicom::CustomAttribute::parse_list(DEIDENTIFICATION_ATTRIBUTES)
        .map_err(DataFusionError::Internal)?;
    let table = DicomTable::try_new(&[location.to_string()], &custom, &[], OnError::Row)?;
    let name = ident("PatientName");
    let plan = LogicalPlanBuilder::scan(
        TableReference::partial("imaging", "deidentification"),
        provider_as_source(Arc::new(table)),
        None,
    )?
    .project(vec![
        ident("SOPInstanceUID"),
        ident("PatientID"),
        ident("StudyInstanceUID"),
        ident("file_path"),
        ident("PatientIdentityRemoved"),
        ident("DeidentificationMethod"),
        ident("BurnedInAnnotation"),
        name.clone()
            .is_not_null()
            .and(datafusion::functions::string::expr_fn::btrim(vec![name]).not_eq(lit("")))
            .alias("has_patient_name"),
        ident("PatientBirthDate")
            .is_not_null()
            .alias("has_full_birth_date"),
    ])?
    .build()?;
    Ok(Arc::new(ViewTable::new(plan, None)))
}

/// `imaging.recist_timepoints`: every patient's RECIST 1.1 and iRECIST time
/// points from `imaging.lesion_measurement` (Eisenhauer et al. 2009; Seymour
/// et al. 2017): the sum of target diameters (longest diameter, short axis
/// for nodes; fragments of a split lesion recorded under one lesion id add
/// up, and a merged lesion is recorded against one target with 0 for the
/// other), the baseline and the nadir before each time point (over time
/// points with every target measured), the target response, the non-target
/// response from the radiologist's statuses (unequivocal progression or a
/// further increase, then present, then all absent), new lesions, the
/// overall response (Tables 1 and 2, disease seen again after a CR being
/// PD), and the iRECIST response from the same rows (`increased` statuses
/// are the iRECIST FAQ's "further increase since the last assessment";
/// measured new lesions are the new-lesion targets). The baseline is each
/// patient's first assessment.
pub const RECIST_TIMEPOINTS_SQL: &str = "
    WITH timepoints AS (
      SELECT person_id, assessment_date,
             -- 0 when every target went unmeasured (the response is then NE
             -- unless PD holds); NULL only for patients without targets.
             CASE WHEN count(*) FILTER (WHERE role = 'target') > 0 THEN
               coalesce(sum(CASE WHEN is_nodal THEN short_axis_mm ELSE longest_diameter_mm END)
                        FILTER (WHERE role = 'target'), 0) END AS sum_mm,
             count(*) FILTER (WHERE role = 'target'
               AND (CASE WHEN is_nodal THEN short_axis_mm ELSE longest_diameter_mm END) IS NULL) = 0 AS complete,
             coalesce(bool_and(longest_diameter_mm = 0) FILTER (WHERE role = 'target' AND NOT is_nodal), true) AS non_nodal_gone,
             coalesce(bool_and(short_axis_mm < 10) FILTER (WHERE role = 'target' AND is_nodal), true) AS nodes_small,
             CASE WHEN bool_or(non_target_status IN ('unequivocal_progression', 'increased')) FILTER (WHERE role = 'non_target') THEN 'PD'
                  WHEN bool_or(non_target_status = 'present') FILTER (WHERE role = 'non_target') THEN 'NON-CR/NON-PD'
                  WHEN bool_or(non_target_status = 'absent') FILTER (WHERE role = 'non_target') THEN 'CR' END AS non_target,
             coalesce(bool_or(non_target_status = 'increased') FILTER (WHERE role = 'non_target'), false) AS non_target_increase,
             count(DISTINCT lesion_id) FILTER (WHERE role = 'new') AS new_lesions,
             sum(CASE WHEN is_nodal THEN short_axis_mm ELSE longest_diameter_mm END) FILTER (WHERE role = 'new') AS new_lesion_sum_mm,
             coalesce(bool_or(non_target_status = 'increased') FILTER (WHERE role = 'new'), false) AS new_lesion_increase
      FROM imaging.lesion_measurement GROUP BY person_id, assessment_date),
    referenced AS (
      SELECT *, first_value(sum_mm) OVER w AS baseline_mm, first_value(assessment_date) OVER w AS baseline_date,
             -- The nadir counts only time points with every target measured.
             min(CASE WHEN complete THEN sum_mm END) OVER (PARTITION BY person_id ORDER BY assessment_date
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS nadir_mm
      FROM timepoints WINDOW w AS (PARTITION BY person_id ORDER BY assessment_date)),
    responses AS (
      SELECT *, recist11_target_response(baseline_mm, nadir_mm, sum_mm, non_nodal_gone, nodes_small, complete) AS target
      FROM referenced WHERE assessment_date > baseline_date),
    overall AS (
      SELECT *, recist11_overall_response(target, non_target, new_lesions > 0) AS tables_1_2 FROM responses)
    SELECT person_id, baseline_date, assessment_date, sum_mm, baseline_mm, nadir_mm, target,
           non_target, new_lesions > 0 AS new_lesion,
           recist11_overall_response(target, non_target, new_lesions > 0,
             lag(tables_1_2) OVER (PARTITION BY person_id ORDER BY assessment_date)) AS overall,
           new_lesions, new_lesion_sum_mm,
           irecist_response(assessment_date, target, non_target, sum_mm, non_target_increase,
             new_lesions, new_lesion_sum_mm, new_lesion_increase)
             OVER (PARTITION BY person_id ORDER BY assessment_date) AS iresponse
    FROM overall";

/// `imaging.lesion_measurement` from CDISC SDTM oncology domains, for lakes
/// that hold `sdtm.tu` (Tumor/Lesion Identification) and `sdtm.tr`
/// (Tumor/Lesion Results) instead (SDTMIG v3.3 §6.3.13): one row per lesion
/// (TRLNKID = TULNKID) per assessment date (TRDTC). The role is TU's
/// TUORRES for TUTESTCD 'TUMIDENT' (TARGET, NON-TARGET, NEW); the longest
/// diameter and short axis are TR's 'LDIAM' and 'SAXIS' results read by
/// `recist11_measurement_mm` (TOO SMALL TO MEASURE is 5 mm, NOT PRESENT
/// 0 mm, TRORRESU 'cm' converted); the non-target status is 'TUMSTATE'
/// (PRESENT, ABSENT, UNEQUIVOCAL PROGRESSION). Lymph nodes are lesions with
/// a TULOC naming a lymph node or with a short axis. Subjects link to OMOP
/// through `clinical.person.person_source_value` = USUBJID.
pub const LESION_MEASUREMENT_FROM_SDTM_SQL: &str = "
    WITH identified AS (
      SELECT USUBJID, TULNKID, upper(TUORRES) AS role_text, TULOC
      FROM sdtm.tu WHERE upper(TUTESTCD) = 'TUMIDENT'),
    results AS (
      SELECT USUBJID, TRLNKID, upper(TRTESTCD) AS test, CAST(substr(TRDTC, 1, 10) AS DATE) AS assessment_date,
             CASE WHEN upper(TRTESTCD) IN ('LDIAM', 'SAXIS') THEN
               recist11_measurement_mm(CASE WHEN upper(TRORRESU) = 'CM' AND TRORRES SIMILAR TO '[0-9. ]+'
                                            THEN concat(TRORRES, ' cm') ELSE TRORRES END) END AS mm,
             upper(TRORRES) AS text_result
      FROM sdtm.tr WHERE upper(TRTESTCD) IN ('LDIAM', 'SAXIS', 'TUMSTATE')),
    lesions AS (
      SELECT p.person_id, r.TRLNKID AS lesion_id, r.assessment_date, lower(min(i.TULOC)) AS organ,
             (upper(min(i.TULOC)) LIKE '%LYMPH NODE%' OR bool_or(r.test = 'SAXIS')) AS is_nodal,
             CASE min(i.role_text) WHEN 'TARGET' THEN 'target' WHEN 'NON-TARGET' THEN 'non_target'
                                   WHEN 'NEW' THEN 'new' END AS role,
             max(r.mm) FILTER (WHERE r.test = 'LDIAM') AS longest_diameter_mm,
             max(r.mm) FILTER (WHERE r.test = 'SAXIS') AS short_axis_mm,
             max(CASE r.text_result WHEN 'PRESENT' THEN 'present' WHEN 'ABSENT' THEN 'absent'
                                    WHEN 'UNEQUIVOCAL PROGRESSION' THEN 'unequivocal_progression' END)
               FILTER (WHERE r.test = 'TUMSTATE') AS non_target_status
      FROM results r
      JOIN identified i ON i.USUBJID = r.USUBJID AND i.TULNKID = r.TRLNKID
      JOIN clinical.person p ON p.person_source_value = r.USUBJID
      GROUP BY p.person_id, r.TRLNKID, r.assessment_date)
    SELECT person_id, lesion_id, assessment_date,
           CAST(dense_rank() OVER (PARTITION BY person_id ORDER BY assessment_date) - 1 AS BIGINT) AS timepoint,
           organ, is_nodal, role, longest_diameter_mm, short_axis_mm, non_target_status,
           CAST(NULL AS DOUBLE) AS slice_thickness_mm, CAST(NULL AS VARCHAR) AS study_instance_uid
    FROM lesions";

/// `imaging.lesion_measurement` from IDC's `quantitative_measurements`
/// (the flattening of DICOM SR TID 1500 that IDC publishes in BigQuery;
/// ImagingDataCommons/etl_flow `quantitative_measurements.sql`), for lakes
/// that hold it as `imaging.quantitative_measurements` with the report's
/// `StudyDate` added (IDC keeps dates in `dicom_all`). One row per tracked
/// lesion (trackingUniqueIdentifier, named by trackingIdentifier) per
/// report date; the Long axis (SCT 103339001) and Short axis (SCT
/// 103340004) quantities in mm or cm; lymph nodes by finding site (SCT
/// 59441001) or a short axis. SR reports carry no RECIST role: lesions of a
/// patient's first report are the targets, lesions first seen later are
/// new. PatientID links to OMOP through `imaging.patient_link`.
pub const LESION_MEASUREMENT_FROM_IDC_SQL: &str = "
    WITH measured AS (
      SELECT PatientID, trackingUniqueIdentifier AS lesion_uid,
             coalesce(trackingIdentifier, trackingUniqueIdentifier) AS lesion_id,
             CAST(StudyDate AS DATE) AS assessment_date,
             get_field(Quantity, 'CodeValue') AS quantity,
             get_field(findingSite, 'CodeValue') AS site_code,
             lower(get_field(findingSite, 'CodeMeaning')) AS site,
             CAST(Value AS DOUBLE) * CASE lower(get_field(Units, 'CodeValue')) WHEN 'cm' THEN 10.0 ELSE 1.0 END AS mm,
             SOPInstanceUID
      FROM imaging.quantitative_measurements
      WHERE get_field(Quantity, 'CodeValue') IN ('103339001', '103340004')),
    lesions AS (
      SELECT l.person_id, m.lesion_uid, min(m.lesion_id) AS lesion_id, m.assessment_date, min(m.site) AS organ,
             bool_or(m.site_code = '59441001' OR m.quantity = '103340004') AS is_nodal,
             max(m.mm) FILTER (WHERE m.quantity = '103339001') AS longest_diameter_mm,
             max(m.mm) FILTER (WHERE m.quantity = '103340004') AS short_axis_mm
      FROM measured m JOIN imaging.patient_link l ON l.patient_id = m.PatientID
      GROUP BY l.person_id, m.lesion_uid, m.assessment_date),
    placed AS (
      SELECT *, min(assessment_date) OVER (PARTITION BY person_id) AS first_report,
             min(assessment_date) OVER (PARTITION BY person_id, lesion_uid) AS first_seen,
             CAST(dense_rank() OVER (PARTITION BY person_id ORDER BY assessment_date) - 1 AS BIGINT) AS timepoint
      FROM lesions)
    SELECT person_id, lesion_id, assessment_date, timepoint, organ, is_nodal,
           CASE WHEN first_seen = first_report THEN 'target' ELSE 'new' END AS role,
           CASE WHEN NOT is_nodal THEN longest_diameter_mm END AS longest_diameter_mm,
           CASE WHEN is_nodal THEN short_axis_mm END AS short_axis_mm,
           CAST(NULL AS VARCHAR) AS non_target_status,
           CAST(NULL AS DOUBLE) AS slice_thickness_mm, CAST(NULL AS VARCHAR) AS study_instance_uid
    FROM placed";

/// The warning for an `imaging` view that does not plan over the lake.
fn view_left_out(name: &str, over: &str, error: &DataFusionError) -> Finding {
    Finding {
        table: format!("imaging.{name}"),
        check: "view",
        column: None,
        status: Status::Warn,
        violating_rows: None,
        total_rows: None,
        detail: format!("not built ({over}): {}", error.strip_backtrace()),
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
