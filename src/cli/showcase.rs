//! The queries `rwid demo` runs on the lake it generated.

use datafusion::common::Result;

use rwid_demo::DemoLake;

use super::{PrintOptions, run_sql};
use crate::{RwidConfig, RwidContext};

/// One showcase query: a title, why it matters, and the SQL.
pub struct ShowcaseQuery {
    pub title: &'static str,
    pub why: &'static str,
    pub sql: &'static str,
}

/// Smoking history in pack-years, harmonized across the two ways sites record
/// it: a pack-years measurement (LOINC 8664-5), or cigarettes per day
/// (LOINC 64218-1) and years smoked (LOINC 88029-4) as observations.
pub const SMOKING_SQL: &str = "
    SELECT person_id, measurement_date AS recorded_on, value_as_number AS pack_years,
           'measurement: pack-years' AS recorded_as
    FROM clinical.measurement WHERE measurement_source_value = '8664-5'
    UNION ALL
    SELECT cigarettes.person_id, cigarettes.observation_date,
           pack_years(cigarettes.value_as_number, years.value_as_number),
           'observation: cigarettes/day x years'
    FROM clinical.observation cigarettes
    JOIN clinical.observation years
      ON years.person_id = cigarettes.person_id
     AND years.observation_date = cigarettes.observation_date
     AND years.observation_source_value = '88029-4'
    WHERE cigarettes.observation_source_value = '64218-1'";

/// rwid's "chest CT" rule on DICOM headers: a CT whose BodyPartExamined is
/// CHEST, THORAX or LUNG, or whose StudyDescription mentions CHEST or THORAX.
/// Archives fill BodyPartExamined inconsistently, so the description counts too.
pub fn chest_ct_sql(dicom_location: &str) -> String {
    format!(
        "SELECT DISTINCT l.person_id
         FROM read_dicom('{dicom_location}') d
         JOIN imaging.patient_link l ON l.patient_id = d.PatientID
         WHERE d.Modality = 'CT'
           AND (upper(d.BodyPartExamined) IN ('CHEST', 'THORAX', 'LUNG')
                OR upper(d.StudyDescription) LIKE '%CHEST%'
                OR upper(d.StudyDescription) LIKE '%THORAX%')"
    )
}

/// The worked example's criteria as one row of flags per person; the chest
/// CT criterion reads the DICOM headers under `dicom_location`.
pub fn nsclc_flags_sql(dicom_location: &str) -> String {
    format!(
        "WITH smoking AS ({SMOKING_SQL}),
        chest_ct AS ({}),
        nsclc AS (SELECT DISTINCT person_id FROM clinical.condition_occurrence
                  WHERE condition_concept_id = 4115276),
        histology AS (SELECT DISTINCT person_id FROM clinical.condition_occurrence
                      WHERE condition_type_concept_id = 32879
                        AND condition_source_value IN ('8140/3', '8070/3', '8046/3', '8012/3')),
        pembrolizumab AS (SELECT DISTINCT person_id FROM clinical.drug_exposure
                          WHERE drug_concept_id = 45775965),
        heavy_smokers AS (SELECT person_id FROM smoking GROUP BY person_id
                          HAVING max(pack_years) >= 20)
        SELECT p.person_id,
               n.person_id IS NOT NULL AS nsclc,
               h.person_id IS NOT NULL AS histology,
               d.person_id IS NOT NULL AS pembrolizumab,
               s.person_id IS NOT NULL AS pack_years_20,
               c.person_id IS NOT NULL AS chest_ct
        FROM clinical.person p
        LEFT JOIN nsclc n ON n.person_id = p.person_id
        LEFT JOIN histology h ON h.person_id = p.person_id
        LEFT JOIN pembrolizumab d ON d.person_id = p.person_id
        LEFT JOIN heavy_smokers s ON s.person_id = p.person_id
        LEFT JOIN chest_ct c ON c.person_id = p.person_id",
        chest_ct_sql(dicom_location)
    )
}

/// Patients left after each criterion of the worked example, in order.
pub fn nsclc_attrition_sql(dicom_location: &str) -> String {
    format!(
        "WITH flags AS ({})
        SELECT 0 AS step, 'all patients' AS criterion, count(*) AS patients FROM flags
        UNION ALL SELECT 1, 'NSCLC diagnosis', count(*) FROM flags WHERE nsclc
        UNION ALL SELECT 2, 'confirmed histology', count(*) FROM flags WHERE nsclc AND histology
        UNION ALL SELECT 3, 'pembrolizumab exposure', count(*) FROM flags
                  WHERE nsclc AND histology AND pembrolizumab
        UNION ALL SELECT 4, 'pack-years >= 20', count(*) FROM flags
                  WHERE nsclc AND histology AND pembrolizumab AND pack_years_20
        UNION ALL SELECT 5, 'chest CT', count(*) FROM flags
                  WHERE nsclc AND histology AND pembrolizumab AND pack_years_20 AND chest_ct
        ORDER BY step",
        nsclc_flags_sql(dicom_location)
    )
}

fn queries(dicom: &str) -> Vec<(ShowcaseQuery, Option<String>)> {
    vec![
        (
            ShowcaseQuery {
                title: "The lake: every table, mounted from its folder",
                why: "Parquet folders become schema.table; \\d in the shell lists them too.",
                sql: "SELECT table_schema, table_name FROM information_schema.tables \
                      WHERE table_schema IN ('clinical', 'imaging') ORDER BY 1, 2",
            },
            None,
        ),
        (
            ShowcaseQuery {
                title: "Patients by imaging site and main diagnosis",
                why: "Four sites, four vendors; OMOP condition concepts name the diagnoses.",
                sql: "SELECT l.site,
                        count(DISTINCT l.person_id) AS patients,
                        count(DISTINCT CASE WHEN c.condition_concept_id = 4115276 THEN l.person_id END) AS nsclc,
                        count(DISTINCT CASE WHEN c.condition_concept_id = 4112853 THEN l.person_id END) AS breast_cancer,
                        count(DISTINCT CASE WHEN c.condition_concept_id = 378419 THEN l.person_id END) AS alzheimers,
                        count(DISTINCT CASE WHEN c.condition_concept_id = 316139 THEN l.person_id END) AS heart_failure
                      FROM imaging.patient_link l
                      LEFT JOIN clinical.condition_occurrence c ON c.person_id = l.person_id
                      GROUP BY l.site ORDER BY l.site",
            },
            None,
        ),
        (
            ShowcaseQuery {
                title: "DICOM headers as a table: scanners across the sites",
                why: "read_dicom() reads the files' headers in place, no ingest; one vendor, several spellings.",
                sql: "",
            },
            Some(format!(
                "SELECT Manufacturer, ManufacturerModelName, Modality,
                        count(*) AS files, count(DISTINCT SeriesInstanceUID) AS series,
                        array_to_string(array_agg(DISTINCT ConvolutionKernel[1]), ', ') AS kernels
                 FROM read_dicom('{dicom}')
                 WHERE read_error IS NULL
                 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
            )),
        ),
        (
            ShowcaseQuery {
                title: "Scanner metadata harmonized: vendors as written and normalized, kernel classes",
                why: "scanner_vendor() reads the spellings archives write (SIEMENS, Siemens Healthineers, TOSHIBA, ...) as one vendor each, keeping the original maker; ct_kernel_class() puts each vendor's kernel names on one smooth/medium/sharp scale. The rules are versioned data files (harmonization_rules_version()).",
                sql: "",
            },
            Some(format!(
                "SELECT Manufacturer AS as_written, scanner_vendor(Manufacturer) AS vendor,
                        scanner_vendor_details(Manufacturer)['original'] AS made_by,
                        count(DISTINCT SeriesInstanceUID) AS series,
                        array_to_string(array_agg(DISTINCT ConvolutionKernel[1] || ' ' ||
                          ct_kernel_class(Manufacturer, ConvolutionKernel)['class'])
                          FILTER (WHERE Modality = 'CT'), ', ') AS ct_kernels
                 FROM read_dicom('{dicom}')
                 WHERE read_error IS NULL
                 GROUP BY 1, 2, 3 ORDER BY 2, 1"
            )),
        ),
        (
            ShowcaseQuery {
                title: "The series grain, shaped like IDC's index, with a volume check",
                why: "dicom_series() rolls instances up to series: IDC's instanceCount and series_size_MB, and whether each series is one regular volume.",
                sql: "",
            },
            Some(format!(
                "SELECT Modality, BodyPartExamined, count(*) AS series,
                        sum(instanceCount) AS instances, round(sum(series_size_MB), 2) AS size_MB,
                        count(*) FILTER (WHERE volume.ok) AS regular_volumes
                 FROM dicom_series('{dicom}')
                 GROUP BY 1, 2 ORDER BY 1, 2"
            )),
        ),
        (
            ShowcaseQuery {
                title: "Files that are not readable DICOM are rows too, never lost",
                why: "A broken file among thousands never fails the scan; read_error says what is wrong.",
                sql: "",
            },
            Some(format!(
                "SELECT regexp_replace(file_path, '^.*/dicom/', 'dicom/') AS file, file_size, read_error
                 FROM read_dicom('{dicom}') WHERE read_error IS NOT NULL ORDER BY file"
            )),
        ),
        (
            ShowcaseQuery {
                title: "One smoking definition across sites that record it differently",
                why: "LRC records cigarettes/day and years; pack_years() puts it on the same scale as the others' pack-years.",
                sql: "",
            },
            Some(format!(
                "WITH smoking AS ({SMOKING_SQL})
                 SELECT l.site, s.recorded_as,
                        count(DISTINCT s.person_id) AS patients,
                        count(DISTINCT CASE WHEN s.pack_years >= 20 THEN s.person_id END) AS at_least_20_pack_years,
                        round(avg(s.pack_years), 1) AS mean_pack_years
                 FROM smoking s JOIN imaging.patient_link l ON l.person_id = s.person_id
                 GROUP BY l.site, s.recorded_as ORDER BY l.site"
            )),
        ),
        (
            ShowcaseQuery {
                title: "NSCLC on pembrolizumab with a chest CT: cohort attrition",
                why: "Each criterion's remaining patients, as an OHDSI attrition table or CONSORT diagram shows them.",
                sql: "",
            },
            Some(nsclc_attrition_sql(dicom)),
        ),
        (
            ShowcaseQuery {
                title: "RECIST 1.1 and iRECIST: best overall response and objective response rate by site",
                why: "imaging.recist_timepoints derives each time point's responses from the lesion measurements (target, non-target, new lesions); recist11_best_response gives each patient's confirmed best overall response (ORR = confirmed CR or PR); iRECIST's irecist_response keeps a first progression unconfirmed (iUPD) until a later scan confirms it (iCPD).",
                sql: "WITH best AS (
                   SELECT person_id,
                          recist11_best_response(overall, assessment_date, baseline_date, true) AS confirmed,
                          recist11_best_response(overall, assessment_date, baseline_date) AS unconfirmed,
                          bool_or(iresponse = 'iUPD') AS iupd, bool_or(iresponse = 'iCPD') AS icpd
                   FROM imaging.recist_timepoints GROUP BY person_id)
                 SELECT l.site, count(*) AS patients,
                        count(*) FILTER (WHERE confirmed = 'CR') AS cr, count(*) FILTER (WHERE confirmed = 'PR') AS pr,
                        count(*) FILTER (WHERE confirmed = 'SD') AS sd, count(*) FILTER (WHERE confirmed = 'PD') AS pd,
                        round(100.0 * count(*) FILTER (WHERE confirmed IN ('CR', 'PR')) / count(*), 1) AS orr_pct,
                        round(100.0 * count(*) FILTER (WHERE unconfirmed IN ('CR', 'PR')) / count(*), 1) AS unconfirmed_orr_pct,
                        count(*) FILTER (WHERE iupd) AS irecist_iupd, count(*) FILTER (WHERE icpd) AS irecist_icpd
                 FROM best b JOIN imaging.patient_link l ON l.person_id = b.person_id
                 GROUP BY l.site ORDER BY l.site",
            },
            None,
        ),
        (
            ShowcaseQuery {
                title: "Tumour burden over time (sum of target lesion diameters)",
                why: "Longitudinal lesion measurements; RECIST 1.1 response builds on exactly this.",
                sql: "WITH burden AS (
                        SELECT person_id, timepoint, assessment_date,
                               round(sum(coalesce(longest_diameter_mm, short_axis_mm)), 1) AS sum_mm
                        FROM imaging.lesion_measurement WHERE role = 'target'
                        GROUP BY person_id, timepoint, assessment_date),
                      followed AS (
                        SELECT person_id FROM burden GROUP BY person_id
                        HAVING count(*) >= 3 ORDER BY person_id LIMIT 3)
                      SELECT b.person_id, b.timepoint, b.assessment_date, b.sum_mm,
                             round(100 * (b.sum_mm / first_value(b.sum_mm) OVER w - 1), 1) AS change_from_baseline_pct,
                             round(100 * (b.sum_mm / min(b.sum_mm) OVER w - 1), 1) AS change_from_nadir_pct
                      FROM burden b JOIN followed f ON f.person_id = b.person_id
                      WINDOW w AS (PARTITION BY b.person_id ORDER BY b.timepoint
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                      ORDER BY b.person_id, b.timepoint",
            },
            None,
        ),
        (
            ShowcaseQuery {
                title: "ComBat: scanner effects removed from radiomics features, age and sex kept",
                why: "combat_fit() learns each scanner's additive and multiplicative effect on imaging.radiomics_features (neuroCombat's parametric empirical Bayes, preserving sex and age); combat_apply() removes it. batch_effect_anova() tests for a difference between scanners before and after; the male-female difference, biology, stays.",
                sql: COMBAT_SQL,
            },
            None,
        ),
    ]
}

/// The ComBat showcase: harmonize the demo's radiomics features across
/// scanner models (those with at least 3 series), then test each feature for
/// a scanner effect before and after, and show that the sex difference stays.
pub const COMBAT_SQL: &str = "
    WITH features AS (
      SELECT scanner_vendor(manufacturer) || ' ' || model AS scanner, sex, CAST(age AS DOUBLE) AS age,
             make_array(firstorder_mean_hu, firstorder_entropy, glcm_contrast, glcm_correlation,
                        glszm_zone_entropy, shape_sphericity) AS raw
      FROM imaging.radiomics_features),
    samples AS (
      SELECT * FROM features
      WHERE scanner IN (SELECT scanner FROM features GROUP BY scanner HAVING count(*) >= 3)),
    model AS (
      SELECT combat_fit(scanner, raw, make_array(sex), make_array(age)) AS model FROM samples),
    harmonized AS (
      SELECT s.scanner, s.sex, s.raw,
             combat_apply(m.model, s.scanner, s.raw, make_array(s.sex), make_array(s.age)) AS harmonized
      FROM samples s, model m),
    names AS (
      SELECT column1 AS i, column2 AS feature FROM (VALUES
        (1, 'firstorder_mean_hu'), (2, 'firstorder_entropy'), (3, 'glcm_contrast'),
        (4, 'glcm_correlation'), (5, 'glszm_zone_entropy'), (6, 'shape_sphericity'))),
    long AS (
      SELECT n.i, n.feature, h.scanner, h.sex, h.raw[n.i] AS raw, h.harmonized[n.i] AS harmonized
      FROM harmonized h CROSS JOIN names n)
    SELECT feature, count(DISTINCT scanner) AS scanners, count(*) AS series,
           round(batch_effect_anova(scanner, raw)['f'], 2) AS f_before,
           arrow_cast(batch_effect_anova(scanner, raw)['p_value'], 'Float32') AS p_before,
           round(batch_effect_anova(scanner, harmonized)['f'], 2) AS f_after,
           arrow_cast(batch_effect_anova(scanner, harmonized)['p_value'], 'Float32') AS p_after,
           round(avg(raw) FILTER (WHERE sex = 'M') - avg(raw) FILTER (WHERE sex = 'F'), 3) AS male_minus_female_before,
           round(avg(harmonized) FILTER (WHERE sex = 'M') - avg(harmonized) FILTER (WHERE sex = 'F'), 3) AS after
    FROM long GROUP BY i, feature ORDER BY i";

/// Runs the showcase against the generated lake, mounted as the default
/// lake of `config` (whose rule files it reads).
pub async fn run(
    lake: &DemoLake,
    mut config: RwidConfig,
    options: &PrintOptions,
    assessment_dir: &std::path::Path,
) -> Result<()> {
    config
        .lakes
        .insert(0, lake.root.to_string_lossy().into_owned());
    let ctx = RwidContext::new(config).await?;
    let dicom = lake.root.join("dicom").to_string_lossy().into_owned();
    for (number, (query, generated_sql)) in queries(&dicom).iter().enumerate() {
        if !options.quiet {
            println!("── {}. {} ──", number + 1, query.title);
            println!("{}\n", query.why);
        }
        let sql = generated_sql.as_deref().unwrap_or(query.sql);
        run_sql(&ctx, sql, options).await?;
    }
    if !options.quiet {
        let truth = &lake.truth;
        let cohort = truth
            .nsclc_attrition
            .last()
            .map(|s| s.patients)
            .unwrap_or(0);
        println!(
            "The generator's ground truth ({}/{}) holds the same {cohort} patients.",
            lake.root.display(),
            rwid_demo::GROUND_TRUTH_FILE
        );
    }
    // The point of it all: is the lake fit for the worked example's purpose?
    let profile = crate::fitness::read_profile("builtin:nsclc_pembrolizumab_recist")
        .map_err(|e| datafusion::common::DataFusionError::Plan(e.0))?;
    let assessment = crate::fitness::assess(ctx.session(), &profile).await?;
    if !options.quiet {
        println!("\n── Fit for purpose? {} ──", profile.profile.title);
        println!(
            "The shipped profile (rwid assess --profile builtin:nsclc_pembrolizumab_recist) compiled into {} checks; the verdict per requirement, with the checks that decided it:\n",
            assessment.checks.len()
        );
    }
    for line in crate::fitness::output::verdict_lines(&assessment) {
        println!("{line}");
    }
    let page = crate::report::assessment_report(&assessment, None, &Default::default())
        .map_err(|e| datafusion::common::DataFusionError::Execution(e.to_string()))?;
    let report_file = super::assess::REPORT_FILE;
    crate::fitness::output::write(
        assessment_dir,
        &assessment,
        None,
        &[(report_file, page.as_bytes())],
    )?;
    if !options.quiet {
        println!(
            "\nThe report, for a browser (offline): {}\nThe same from the command line: rwid --lake {} assess --profile builtin:nsclc_pembrolizumab_recist --out {}",
            assessment_dir.join(report_file).display(),
            lake.root.display(),
            assessment_dir.display()
        );
        println!("Explore: rwid --lake {}", lake.root.display());
    }
    Ok(())
}
