//! The figures behind an assessment's charts: small tables computed from
//! the same eligible persons, series and scans the checks read (the
//! assessment's scratch tables), kept with the assessment so that a report
//! draws exactly what was assessed.
//!
//! A figure whose query fails keeps its error instead of its rows: a chart
//! missing never stops an assessment. Figures drawn per patient (the
//! waterfall and spider plot) keep a systematic sample of at most
//! [`MAX_PATIENTS_DRAWN`] patients, in person order, and say so.

use std::collections::BTreeMap;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::json::ArrayWriter;
use datafusion::common::{DataFusionError, Result};
use datafusion::prelude::SessionContext;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::profile::{Imaging, Profile};
use crate::sql::{literal, number};

/// Most patients a per-patient chart draws.
pub const MAX_PATIENTS_DRAWN: usize = 400;

/// One figure's table.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figure {
    pub id: &'static str,
    /// Columns holding counts of persons, series or scans: the cells
    /// small-cell suppression hides.
    pub count_columns: Vec<&'static str>,
    pub rows: Vec<Map<String, Value>>,
    /// The patients the figure's query gave, when `rows` holds a sample
    /// of them.
    pub sampled_from: Option<u64>,
    /// Reference values the chart draws (window bounds, thresholds), by
    /// name, with where they come from in `notes`.
    pub references: BTreeMap<&'static str, f64>,
    pub notes: Vec<String>,
    /// Why the figure has no rows, when its query failed.
    pub error: Option<String>,
}

/// The figures of `profile`'s assessment; `ctx` reads the assessment's
/// scratch tables (`cohort`, `cohort_series`, `scans`) by their bare names.
pub async fn gather(ctx: &SessionContext, profile: &Profile) -> Vec<Figure> {
    let mut figures = Vec::new();
    let Some(imaging) = &profile.imaging else {
        return figures;
    };
    figures.push(
        table(
            ctx,
            "scanner_by_site",
            &["series"],
            "SELECT site, coalesce(scanner_vendor(Manufacturer), Manufacturer, 'unknown') AS vendor, \
             coalesce(scanner_vendor(Manufacturer), Manufacturer, 'unknown') || ' ' || coalesce(ManufacturerModelName, '?') AS scanner, \
             count(*) AS series FROM cohort_series GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        )
        .await,
    );
    if imaging.modality.eq_ignore_ascii_case("CT") {
        figures.push(
            table(
                ctx,
                "kernel_class_by_site",
                &["series"],
                "SELECT site, coalesce(ct_kernel_class(Manufacturer, ConvolutionKernel)['class'], 'unknown') AS kernel_class, \
                 count(*) AS series FROM cohort_series GROUP BY 1, 2 ORDER BY 1, 2",
            )
            .await,
        );
    }
    if imaging.modality.eq_ignore_ascii_case("CT") || imaging.modality.eq_ignore_ascii_case("MR") {
        figures.push(
            table(
                ctx,
                "slice_thickness_by_site",
                &["series"],
                "SELECT site, coalesce(slice_thickness_class(SliceThickness), 'missing') AS slice_thickness_class, \
                 count(*) AS series FROM cohort_series GROUP BY 1, 2 ORDER BY 1, 2",
            )
            .await,
        );
    }
    figures.push(scan_timing(ctx, imaging).await);
    if let Some(recist) = &imaging.recist
        && recist.table == "imaging.lesion_measurement"
    {
        figures.extend(recist_figures(ctx).await);
    }
    if let Some(amyloid) = &imaging.amyloid {
        figures.push(centiloid(ctx, amyloid).await);
    }
    if let Some(cardiac) = &imaging.cardiac {
        figures.push(
            table(
                ctx,
                "lvef",
                &[],
                &format!(
                    "SELECT c.site, t.person_id, round(CAST(t.lvef AS DOUBLE), 1) AS lvef, \
                     lvef_category(CAST(t.lvef AS DOUBLE)) AS category, CAST(t.method AS VARCHAR) AS method \
                     FROM ({}) AS t JOIN cohort c ON c.person_id = t.person_id \
                     WHERE t.lvef IS NOT NULL ORDER BY t.person_id",
                    trimmed(&cardiac.lvef_sql)
                ),
            )
            .await,
        );
    }
    if let Some(features) = profile
        .variability
        .as_ref()
        .and_then(|v| v.features.as_ref())
    {
        figures.extend(batch_effect(ctx, &features.sql, &features.columns).await);
    }
    figures
}

/// Imaging visits (a person's distinct scan dates) by week from the index
/// date, with the baseline window and follow-up interval of the profile.
async fn scan_timing(ctx: &SessionContext, imaging: &Imaging) -> Figure {
    let mut figure = table(
        ctx,
        "scan_timing",
        &["visits"],
        "SELECT CAST(floor((s.scan_date - c.index_date) / 7.0) AS BIGINT) AS week, count(*) AS visits \
         FROM (SELECT DISTINCT person_id, scan_date FROM scans) s \
         JOIN cohort c ON c.person_id = s.person_id \
         WHERE c.index_date IS NOT NULL GROUP BY 1 ORDER BY 1",
    )
    .await;
    let [from, to] = imaging.baseline_window_days;
    figure.references.insert("baseline_from_day", from as f64);
    figure.references.insert("baseline_to_day", to as f64);
    figure.notes.push(format!(
        "Baseline window: day {from} to day {to} of the index date (the profile's imaging.baseline_window_days)."
    ));
    if let Some([low, high]) = imaging.follow_up_interval_weeks {
        figure.references.insert("follow_up_low_weeks", low);
        figure.references.insert("follow_up_high_weeks", high);
        figure.notes.push(format!(
            "Follow-up scans every {} to {} weeks (the profile's imaging.follow_up_interval_weeks).",
            number(low),
            number(high)
        ));
    }
    figure
}

/// RECIST 1.1 per patient from `imaging.recist_timepoints`: the best change
/// in the sum of diameters from baseline (waterfall) and the change at
/// every time point (spider plot), for a sample of the eligible patients.
async fn recist_figures(ctx: &SessionContext) -> Vec<Figure> {
    let persons = "SELECT DISTINCT t.person_id FROM imaging.recist_timepoints t \
                   JOIN cohort c ON c.person_id = t.person_id WHERE t.baseline_mm > 0 ORDER BY 1";
    let sample = match sample_persons(ctx, persons).await {
        Ok(sample) => sample,
        Err(error) => {
            let message = one_line(&error);
            return ["recist_best_change", "recist_burden"]
                .into_iter()
                .map(|id| Figure {
                    id,
                    error: Some(message.clone()),
                    ..Figure::default()
                })
                .collect();
        }
    };
    let (ids, sampled_from) = sample;
    let chosen = if ids.is_empty() {
        "NULL".to_string()
    } else {
        ids.iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut best = table(
        ctx,
        "recist_best_change",
        &[],
        &format!(
            "SELECT c.site, t.person_id, \
             round(min((t.sum_mm - t.baseline_mm) / t.baseline_mm * 100.0), 1) AS best_change_percent, \
             recist11_best_response(t.overall, t.assessment_date, t.baseline_date) AS best_response \
             FROM imaging.recist_timepoints t JOIN cohort c ON c.person_id = t.person_id \
             WHERE t.baseline_mm > 0 AND t.person_id IN ({chosen}) \
             GROUP BY c.site, t.person_id ORDER BY best_change_percent DESC, t.person_id"
        ),
    )
    .await;
    best.notes.push(
        "Best change: the smallest sum of target diameters after baseline against the baseline sum (RECIST 1.1, Eisenhauer et al. 2009); best response: recist11_best_response, unconfirmed."
            .to_string(),
    );
    let mut burden = table(
        ctx,
        "recist_burden",
        &[],
        &format!(
            "SELECT person_id, day, change_percent FROM ( \
             SELECT DISTINCT t.person_id, CAST(0 AS BIGINT) AS day, 0.0 AS change_percent \
             FROM imaging.recist_timepoints t JOIN cohort c ON c.person_id = t.person_id \
             WHERE t.baseline_mm > 0 AND t.person_id IN ({chosen}) \
             UNION ALL \
             SELECT t.person_id, t.assessment_date - t.baseline_date AS day, \
             round((t.sum_mm - t.baseline_mm) / t.baseline_mm * 100.0, 1) AS change_percent \
             FROM imaging.recist_timepoints t JOIN cohort c ON c.person_id = t.person_id \
             WHERE t.baseline_mm > 0 AND t.person_id IN ({chosen})) AS b \
             ORDER BY person_id, day"
        ),
    )
    .await;
    for figure in [&mut best, &mut burden] {
        if sampled_from > ids.len() as u64 {
            figure.sampled_from = Some(sampled_from);
        }
        figure.references.insert("partial_response_percent", -30.0);
        figure.references.insert("progression_percent", 20.0);
    }
    burden.notes.push(
        "Change in the sum of target diameters from baseline at each time point; the lines at -30 % and +20 % are RECIST 1.1's thresholds for partial response (from baseline) and progression (from the nadir, with at least 5 mm)."
            .to_string(),
    );
    vec![best, burden]
}

/// Every k-th of the persons `sql` lists, at most [`MAX_PATIENTS_DRAWN`],
/// and how many it listed.
async fn sample_persons(ctx: &SessionContext, sql: &str) -> Result<(Vec<i64>, u64)> {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::Int64Type;
    let batches = ctx.sql(sql).await?.collect().await?;
    let mut all = Vec::new();
    for batch in &batches {
        let column = datafusion::arrow::compute::cast(
            batch.column(0),
            &datafusion::arrow::datatypes::DataType::Int64,
        )?;
        all.extend(column.as_primitive::<Int64Type>().iter().flatten());
    }
    let step = all.len().div_ceil(MAX_PATIENTS_DRAWN).max(1);
    let total = all.len() as u64;
    Ok((all.into_iter().step_by(step).collect(), total))
}

/// Centiloid values of the eligible persons' amyloid PET by tracer, with
/// the profile's positivity threshold when it states one.
async fn centiloid(ctx: &SessionContext, amyloid: &crate::profile::AmyloidPet) -> Figure {
    let accepted: Vec<String> = amyloid
        .tracers
        .iter()
        .map(|t| t.name.to_lowercase())
        .collect();
    // The guard sits in the CASE, not only in a WHERE that the optimizer
    // may move below the join: `centiloid` refuses a tracer it has no
    // equation for.
    let mut figure = table(
        ctx,
        "centiloid_by_tracer",
        &[],
        &format!(
            "SELECT site, person_id, tracer, \
             round(CASE WHEN tracer IN ({accepted}) THEN centiloid(suvr, tracer) END, 1) AS centiloid FROM ( \
             SELECT c.site, t.person_id, lower(CAST(t.tracer AS VARCHAR)) AS tracer, CAST(t.suvr AS DOUBLE) AS suvr \
             FROM ({sql}) AS t JOIN cohort c ON c.person_id = t.person_id \
             WHERE t.suvr IS NOT NULL AND lower(CAST(t.tracer AS VARCHAR)) IN ({accepted})) AS a \
             ORDER BY tracer, person_id",
            accepted = crate::sql::literals(&accepted),
            sql = trimmed(&amyloid.suvr_sql)
        ),
    )
    .await;
    figure.notes.push(
        "Centiloid from each accepted tracer's published equation (centiloid, standard pipeline); scans with another tracer are left out, as the check amyloid.tracer reports."
            .to_string(),
    );
    if let Some(positivity) = &amyloid.positivity {
        figure
            .references
            .insert("positivity_centiloid", positivity.centiloid);
        figure.notes.push(format!(
            "Positivity threshold {} CL: {}",
            number(positivity.centiloid),
            positivity.citation
        ));
    }
    figure
}

/// Each quantitative feature's mean per batch, before and after ComBat
/// (`combat_fit` and `combat_apply` on the eligible persons' features),
/// and `batch_effect_anova`'s p-value before and after.
async fn batch_effect(ctx: &SessionContext, sql: &str, columns: &[String]) -> Vec<Figure> {
    let features = format!(
        "SELECT CAST(f.batch AS VARCHAR) AS batch, {} FROM ({}) AS f JOIN cohort c ON c.person_id = f.person_id \
         WHERE f.batch IS NOT NULL",
        columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("CAST(f.\"{}\" AS DOUBLE) AS x{i}", c.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(", "),
        trimmed(sql)
    );
    let list = (0..columns.len())
        .map(|i| format!("x{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    // ComBat estimates each batch's variance: a batch of one sample has none.
    let harmonized = format!(
        "WITH all_samples AS ({features}), \
         f AS (SELECT * FROM all_samples WHERE batch IN (SELECT batch FROM all_samples GROUP BY batch HAVING count(*) >= 2)), \
         m AS (SELECT combat_fit(batch, make_array({list})) AS model FROM f), \
         h AS (SELECT f.batch, make_array({list}) AS before, combat_apply(m.model, f.batch, make_array({list})) AS after FROM f, m) "
    );
    let mut means = Vec::new();
    let mut anova = Vec::new();
    for (i, column) in columns.iter().enumerate() {
        let index = i + 1;
        let name = literal(column);
        means.push(format!(
            "SELECT {name} AS feature, batch, 'before ComBat' AS stage, count(*) AS samples, avg(before[{index}]) AS mean FROM h GROUP BY batch \
             UNION ALL SELECT {name}, batch, 'after ComBat', count(*), avg(after[{index}]) FROM h GROUP BY batch"
        ));
        anova.push(format!(
            "SELECT {name} AS feature, 'before ComBat' AS stage, batch_effect_anova(batch, before[{index}])['p_value'] AS p_value FROM h \
             UNION ALL SELECT {name}, 'after ComBat', batch_effect_anova(batch, after[{index}])['p_value'] FROM h"
        ));
    }
    let mut effect = table(
        ctx,
        "batch_effect",
        &["samples"],
        &format!(
            "{harmonized}SELECT * FROM ({}) AS u ORDER BY feature, batch, stage DESC",
            means.join(" UNION ALL ")
        ),
    )
    .await;
    effect.notes.push(
        "Batches as the profile's feature query names them; ComBat (combat_fit, parametric empirical Bayes, as neuroCombat) fitted on the eligible persons' features, no covariates; batches of one sample left out (ComBat cannot estimate their variance)."
            .to_string(),
    );
    let p_values = table(
        ctx,
        "batch_effect_anova",
        &[],
        &format!(
            "{harmonized}SELECT * FROM ({}) AS u ORDER BY feature, stage DESC",
            anova.join(" UNION ALL ")
        ),
    )
    .await;
    vec![effect, p_values]
}

/// A figure of `sql`'s rows, or of its error.
async fn table(
    ctx: &SessionContext,
    id: &'static str,
    count_columns: &[&'static str],
    sql: &str,
) -> Figure {
    let mut figure = Figure {
        id,
        count_columns: count_columns.to_vec(),
        ..Figure::default()
    };
    match collect_rows(ctx, sql).await {
        Ok(rows) => figure.rows = rows,
        Err(error) => figure.error = Some(one_line(&error)),
    }
    figure
}

async fn collect_rows(ctx: &SessionContext, sql: &str) -> Result<Vec<Map<String, Value>>> {
    let batches = ctx.sql(sql).await?.collect().await?;
    rows_of(&batches)
}

/// Record batches as JSON objects, one per row (NULLs left out).
pub fn rows_of(batches: &[RecordBatch]) -> Result<Vec<Map<String, Value>>> {
    let mut writer = ArrayWriter::new(Vec::new());
    for batch in batches {
        writer.write(batch)?;
    }
    writer.finish()?;
    let bytes = writer.into_inner();
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| DataFusionError::Execution(format!("cannot read a figure's rows: {e}")))
}

fn one_line(error: &DataFusionError) -> String {
    error
        .strip_backtrace()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn trimmed(sql: &str) -> &str {
    sql.trim().trim_end_matches(';')
}
