//! The check catalogue: a profile compiled into checks, each filed under a
//! requirement, a Kahn category, an FDA aspect and an EMA dimension.
//!
//! The families, by id prefix:
//! - `availability.` and `completeness.`: each element captured at all, and
//!   for the eligible persons (DQD's completeness, per site);
//! - `plausibility.`: element values in range (DQD's plausibleValueLow and
//!   High), element dates after birth and before death (plausibleAfterBirth,
//!   plausibleBeforeDeath), the tables' dates in order
//!   (plausibleStartBeforeEnd), years of birth (DQD's 1850 bound);
//! - `conformance.`: the lake check's conformance findings on the tables the
//!   profile reads, standard and valid concepts of the right domain (DQD's
//!   isStandardValidConcept and fkDomain);
//! - `imaging.`: scans of the right kind, the baseline window, follow-up
//!   intervals, time points, slice thickness, kernel class, contrast and
//!   series geometry (IDC's volume flags);
//! - `recist.`, `amyloid.`, `cardiac.`: the indication's structure;
//! - `variability.`: sites, vendors, harmonization batches, confounding of
//!   batch and exposure, the batch effect on quantitative features;
//! - `deidentification.`: DICOM PS3.15's basic profile markers, names and
//!   birth dates left in headers, burned-in annotation;
//! - `provenance.`: the context of use stated, every element cited, record
//!   provenance (type concepts);
//! - `sample_size.`: evaluable persons against the study's need.
//!
//! Checks of the tables the profile reads (`conformance.`, the tables'
//! dates, type concepts) are compiled once the lake is known:
//! [`table_checks`].

use crate::check::{CheckSpec, Measure, StatisticKind};
use crate::profile::{Element, ElementKind, Imaging, Profile, Rank};
use crate::requirement::{EmaDimension, FdaAspect, Kahn, Requirement};
use crate::sql::{LakeShape, Prelude, literal, literals, number};

/// The OMOP tables whose main concept column has a domain (DQD's fkDomain).
const CONCEPT_DOMAINS: &[(&str, &str, &str)] = &[
    ("condition_occurrence", "condition_concept_id", "Condition"),
    ("drug_exposure", "drug_concept_id", "Drug"),
    ("procedure_occurrence", "procedure_concept_id", "Procedure"),
    ("measurement", "measurement_concept_id", "Measurement"),
    ("observation", "observation_concept_id", "Observation"),
    ("visit_occurrence", "visit_concept_id", "Visit"),
    ("specimen", "specimen_concept_id", "Specimen"),
    ("person", "gender_concept_id", "Gender"),
];

/// The start and end date columns of the OMOP tables that have them.
const DATE_COLUMNS: &[(&str, &str, Option<&str>)] = &[
    (
        "condition_occurrence",
        "condition_start_date",
        Some("condition_end_date"),
    ),
    (
        "drug_exposure",
        "drug_exposure_start_date",
        Some("drug_exposure_end_date"),
    ),
    ("procedure_occurrence", "procedure_date", None),
    ("measurement", "measurement_date", None),
    ("observation", "observation_date", None),
    (
        "visit_occurrence",
        "visit_start_date",
        Some("visit_end_date"),
    ),
    (
        "observation_period",
        "observation_period_start_date",
        Some("observation_period_end_date"),
    ),
    ("specimen", "specimen_date", None),
];

/// A check's filing: requirement, Kahn category, FDA aspect, EMA dimension.
struct Filing(Requirement, Kahn, FdaAspect, EmaDimension);

fn spec(
    profile: &Profile,
    id: String,
    filing: Filing,
    default_rank: Rank,
    description: String,
    threshold_percent: f64,
    measure: Measure,
) -> CheckSpec {
    let Filing(requirement, kahn, fda, ema) = filing;
    CheckSpec {
        rank: profile.verdict.rank_of(&id, default_rank),
        id,
        requirement,
        kahn,
        fda,
        ema,
        description,
        element: None,
        threshold_percent,
        min_units: None,
        measure,
    }
}

/// `check` counted in sites or batches: one is enough to assess.
fn per_group(mut check: CheckSpec) -> CheckSpec {
    check.min_units = Some(1);
    check
}

fn units(prelude: &Prelude, select: String) -> Measure {
    Measure::Units {
        with: prelude.head_for(&select),
        select,
    }
}

fn statistic(prelude: &Prelude, kind: StatisticKind, select: String, bound: f64) -> Measure {
    Measure::Statistic {
        kind,
        with: prelude.head_for(&select),
        select,
        bound,
    }
}

/// Every check of `profile` that needs no knowledge of the lake.
pub fn profile_checks(profile: &Profile, shape: &LakeShape) -> Vec<CheckSpec> {
    let prelude = Prelude::of(profile, shape);
    let mut checks = Vec::new();
    for element in &profile.elements {
        checks.extend(element_checks(profile, &prelude, element));
    }
    checks.push(spec(
        profile,
        "plausibility.clinical.person.year_of_birth".into(),
        Filing(
            Requirement::AccuracyCompleteness,
            Kahn::PlausibilityAtemporal,
            FdaAspect::DataQuality,
            EmaDimension::Reliability,
        ),
        Rank::Supplemental,
        "Years of birth from 1850 to next year (DQD's plausible range of person.year_of_birth)".into(),
        1.0,
        units(
            &prelude,
            "SELECT e.site, e.person_id, CAST(p.year_of_birth AS VARCHAR) AS record, \
             (p.year_of_birth < 1850 OR p.year_of_birth > date_part('year', current_date()) + 1) AS violated, \
             CAST(p.year_of_birth AS VARCHAR) AS detail \
             FROM entry e JOIN clinical.person p ON p.person_id = e.person_id"
                .into(),
        ),
    ));
    if let Some(imaging) = &profile.imaging {
        checks.extend(imaging_checks(profile, &prelude, imaging, shape));
    }
    checks.extend(variability_checks(profile, &prelude));
    checks.extend(deidentification_checks(profile, &prelude));
    checks.extend(provenance_checks(profile));
    checks.push(spec(
        profile,
        "sample_size.evaluable".into(),
        Filing(
            Requirement::RelevanceReliability,
            Kahn::Completeness,
            FdaAspect::Relevance,
            EmaDimension::Relevance,
        ),
        Rank::Essential,
        format!(
            "At least {} evaluable persons: {}",
            profile.sample_size.evaluable_patients, profile.sample_size.rationale
        ),
        0.0,
        statistic(
            &prelude,
            StatisticKind::AtLeastDistinct,
            "SELECT person_id FROM patient_record WHERE evaluable".into(),
            profile.sample_size.evaluable_patients as f64,
        ),
    ));
    checks
}

fn element_checks(profile: &Profile, prelude: &Prelude, element: &Element) -> Vec<CheckSpec> {
    let mut checks = Vec::new();
    let with_element = |mut check: CheckSpec| {
        check.element = Some(element.id.clone());
        check
    };
    checks.push(with_element(spec(
        profile,
        format!("availability.{}", element.id),
        Filing(
            Requirement::RelevanceReliability,
            Kahn::Completeness,
            FdaAspect::Relevance,
            EmaDimension::Relevance,
        ),
        element.rank,
        format!(
            "{} ({}) is captured in the data at all: {}",
            element.name,
            kind_name(element.kind),
            element.minimal_criterion
        ),
        0.0,
        statistic(
            prelude,
            StatisticKind::AtLeastDistinct,
            format!("SELECT person_id FROM el_{}", element.id),
            1.0,
        ),
    )));
    if !element.kind.defines_eligibility() {
        // The data for an eligibility criterion is measured on everyone the
        // other criteria take, not on the cohort the criterion narrows.
        let (denominator, among) = match &element.data_for {
            Some(target) => (
                format!("cohort_without_{target}"),
                format!("persons meeting every eligibility criterion but '{target}'"),
            ),
            None => ("cohort".to_string(), "eligible persons".to_string()),
        };
        checks.push(with_element(spec(
            profile,
            format!("completeness.{}", element.id),
            Filing(
                Requirement::AccuracyCompleteness,
                Kahn::Completeness,
                FdaAspect::DataQuality,
                EmaDimension::Extensiveness,
            ),
            element.rank,
            format!(
                "{} with {}{}",
                capitalized(&among),
                element.name,
                element
                    .window_days
                    .map(|[a, b]| format!(" from day {a} to day {b} of the index date"))
                    .unwrap_or_default()
            ),
            element.max_missing_percent,
            units(
                prelude,
                format!(
                    "SELECT c.site, c.person_id, CAST(NULL AS VARCHAR) AS record, \
                     m.person_id IS NULL AS violated, CAST(NULL AS VARCHAR) AS detail \
                     FROM {denominator} c LEFT JOIN met_{} m ON m.person_id = c.person_id",
                    element.id
                ),
            ),
        )));
    }
    if let Some(plausible) = &element.plausible {
        checks.push(with_element(spec(
            profile,
            format!("plausibility.{}", element.id),
            Filing(
                Requirement::AccuracyCompleteness,
                Kahn::PlausibilityAtemporal,
                FdaAspect::DataQuality,
                EmaDimension::Reliability,
            ),
            element.rank,
            format!(
                "Values of {} from {} to {} {}",
                element.name, plausible.min, plausible.max, plausible.unit
            ),
            element.max_implausible_percent,
            units(
                prelude,
                format!(
                    "SELECT n.site, x.person_id, CAST(x.\"value\" AS VARCHAR) AS record, \
                     (x.\"value\" < {min} OR x.\"value\" > {max}) AS violated, \
                     CAST(x.\"value\" AS VARCHAR) AS detail \
                     FROM el_{id} x JOIN entry n ON n.person_id = x.person_id \
                     WHERE x.\"value\" IS NOT NULL",
                    min = number(plausible.min),
                    max = number(plausible.max),
                    id = element.id
                ),
            ),
        )));
    }
    if element.has_date {
        let temporal = || {
            Filing(
                Requirement::AccuracyCompleteness,
                Kahn::PlausibilityTemporal,
                FdaAspect::DataQuality,
                EmaDimension::Reliability,
            )
        };
        checks.push(with_element(spec(
            profile,
            format!("plausibility.{}_after_birth", element.id),
            temporal(),
            Rank::Supplemental,
            format!("Dates of {} on or after birth (DQD's plausibleAfterBirth)", element.name),
            1.0,
            units(
                prelude,
                format!(
                    "SELECT n.site, x.person_id, CAST(x.\"date\" AS VARCHAR) AS record, \
                     x.\"date\" < make_date(p.year_of_birth, coalesce(p.month_of_birth, 1), coalesce(p.day_of_birth, 1)) AS violated, \
                     CAST(x.\"date\" AS VARCHAR) AS detail \
                     FROM el_{} x JOIN entry n ON n.person_id = x.person_id \
                     JOIN clinical.person p ON p.person_id = x.person_id \
                     WHERE x.\"date\" IS NOT NULL AND p.year_of_birth IS NOT NULL",
                    element.id
                ),
            ),
        )));
        checks.push(with_element(spec(
            profile,
            format!("plausibility.{}_before_death", element.id),
            temporal(),
            Rank::Supplemental,
            format!(
                "Dates of {} no later than 60 days after death (DQD's plausibleBeforeDeath)",
                element.name
            ),
            1.0,
            units(
                prelude,
                format!(
                    "SELECT n.site, x.person_id, CAST(x.\"date\" AS VARCHAR) AS record, \
                     x.\"date\" > d.death_date + 60 AS violated, \
                     CAST(d.death_date AS VARCHAR) AS detail \
                     FROM el_{} x JOIN entry n ON n.person_id = x.person_id \
                     JOIN (SELECT person_id, min(death_date) AS death_date FROM clinical.death GROUP BY person_id) d \
                     ON d.person_id = x.person_id \
                     WHERE x.\"date\" IS NOT NULL",
                    element.id
                ),
            ),
        )));
    }
    checks
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn kind_name(kind: ElementKind) -> &'static str {
    match kind {
        ElementKind::Inclusion => "inclusion",
        ElementKind::Exclusion => "exclusion",
        ElementKind::Exposure => "exposure",
        ElementKind::Comparator => "comparator",
        ElementKind::Outcome => "outcome",
        ElementKind::Covariate => "covariate",
        ElementKind::FollowUp => "follow-up",
    }
}

/// The eligible persons' qualifying series (the `cohort_series`
/// expression), as `q`.
const COHORT_SERIES: &str = "cohort_series AS q";

fn imaging_checks(
    profile: &Profile,
    prelude: &Prelude,
    imaging: &Imaging,
    shape: &LakeShape,
) -> Vec<CheckSpec> {
    let relevance = || {
        Filing(
            Requirement::RelevanceReliability,
            Kahn::PlausibilityTemporal,
            FdaAspect::Accrual,
            EmaDimension::Timeliness,
        )
    };
    let technical = |kahn| {
        Filing(
            Requirement::Validation,
            kahn,
            FdaAspect::DataQuality,
            EmaDimension::Coherence,
        )
    };
    let what = format!("{} of {}", imaging.modality, imaging.body_parts.join("/"));
    let [from, to] = imaging.baseline_window_days;
    let mut checks = vec![
        spec(
            profile,
            "imaging.availability".into(),
            Filing(
                Requirement::RelevanceReliability,
                Kahn::Completeness,
                FdaAspect::Relevance,
                EmaDimension::Extensiveness,
            ),
            imaging.rank,
            format!("Eligible persons with any {what} series"),
            imaging.max_missing_percent,
            units(
                prelude,
                "SELECT c.site, c.person_id, CAST(NULL AS VARCHAR) AS record, \
                 a.person_id IS NULL AS violated, CAST(NULL AS VARCHAR) AS detail \
                 FROM cohort c LEFT JOIN (SELECT DISTINCT person_id FROM scans) a ON a.person_id = c.person_id"
                    .into(),
            ),
        ),
        spec(
            profile,
            "imaging.baseline_window".into(),
            relevance(),
            imaging.rank,
            format!("Eligible persons with a baseline {what} from day {from} to day {to} of the index date"),
            imaging.max_missing_percent,
            units(
                prelude,
                "SELECT c.site, c.person_id, CAST(NULL AS VARCHAR) AS record, \
                 NOT coalesce(t.has_baseline, false) AS violated, \
                 CAST(NULL AS VARCHAR) AS detail \
                 FROM cohort c LEFT JOIN imaging_timing t ON t.person_id = c.person_id"
                    .into(),
            ),
        ),
        spec(
            profile,
            "imaging.timepoints".into(),
            relevance(),
            imaging.rank,
            format!(
                "Eligible persons with at least {} imaging time points from day {from}",
                imaging.min_timepoints
            ),
            imaging.max_missing_percent,
            units(
                prelude,
                format!(
                    "SELECT c.site, c.person_id, CAST(NULL AS VARCHAR) AS record, \
                     coalesce(t.timepoints, 0) < {} AS violated, \
                     CAST(coalesce(t.timepoints, 0) AS VARCHAR) AS detail \
                     FROM cohort c LEFT JOIN imaging_timing t ON t.person_id = c.person_id",
                    imaging.min_timepoints
                ),
            ),
        ),
    ];
    if let Some([low, high]) = imaging.follow_up_interval_weeks {
        checks.push(spec(
            profile,
            "imaging.follow_up_interval".into(),
            relevance(),
            Rank::Supplemental,
            format!("Weeks between consecutive imaging time points from {low} to {high}"),
            imaging.max_missing_percent,
            units(
                prelude,
                format!(
                    "SELECT site, person_id, CAST(scan_date AS VARCHAR) AS record, \
                     NOT (gap_days / 7.0 BETWEEN {} AND {}) AS violated, \
                     CAST(gap_days AS VARCHAR) AS detail \
                     FROM visit_gaps WHERE gap_days IS NOT NULL",
                    number(low),
                    number(high)
                ),
            ),
        ));
    }
    if let Some(max) = imaging.max_slice_thickness_mm {
        checks.push(spec(
            profile,
            "imaging.slice_thickness".into(),
            technical(Kahn::ConformanceValue),
            imaging.rank,
            format!("{what} series of eligible persons with slices of at most {max} mm"),
            imaging.max_nonconforming_series_percent,
            units(
                prelude,
                format!(
                    "SELECT site, person_id, SeriesInstanceUID AS record, \
                     coalesce(SliceThickness > {}, true) AS violated, \
                     CAST(SliceThickness AS VARCHAR) AS detail FROM {}",
                    number(max),
                    COHORT_SERIES
                ),
            ),
        ));
    }
    if !imaging.kernel_classes.is_empty() {
        checks.push(spec(
            profile,
            "imaging.kernel_class".into(),
            technical(Kahn::ConformanceValue),
            imaging.rank,
            format!(
                "{what} series of eligible persons reconstructed with a {} kernel (ct_kernel_class)",
                imaging.kernel_classes.join(" or ")
            ),
            imaging.max_nonconforming_series_percent,
            units(
                prelude,
                format!(
                    "SELECT site, person_id, SeriesInstanceUID AS record, \
                     coalesce(ct_kernel_class(Manufacturer, ConvolutionKernel)['class'] NOT IN ({}), true) AS violated, \
                     ConvolutionKernel AS detail FROM {}",
                    literals(&imaging.kernel_classes),
                    COHORT_SERIES
                ),
            ),
        ));
    }
    if let Some(contrast) = imaging.contrast {
        checks.push(spec(
            profile,
            "imaging.contrast".into(),
            technical(Kahn::ConformanceValue),
            imaging.rank,
            format!(
                "{what} series of eligible persons {} contrast (ContrastBolusAgent)",
                if contrast { "with" } else { "without" }
            ),
            imaging.max_nonconforming_series_percent,
            units(
                prelude,
                format!(
                    "SELECT site, person_id, SeriesInstanceUID AS record, \
                     (coalesce(ContrastBolusAgent, '') <> '') <> {contrast} AS violated, \
                     ContrastBolusAgent AS detail FROM {}",
                    COHORT_SERIES
                ),
            ),
        ));
    }
    if imaging.one_volume {
        let (volume, from) = if shape.instance_geometry {
            (
                "v.volume",
                format!(
                    "{COHORT_SERIES} LEFT JOIN cohort_series_volume v ON v.SeriesInstanceUID = q.SeriesInstanceUID"
                ),
            )
        } else {
            ("q.volume", COHORT_SERIES.to_string())
        };
        checks.push(spec(
            profile,
            "imaging.geometry".into(),
            technical(Kahn::ConformanceComputational),
            imaging.rank,
            format!(
                "{what} series of eligible persons that are one regular volume: one orientation, unique positions, uniform spacing, one pixel spacing and size (dicom_volume_check, IDC's geometry flags)"
            ),
            imaging.max_nonconforming_series_percent,
            units(
                prelude,
                format!(
                    "SELECT q.site, q.person_id, q.SeriesInstanceUID AS record, \
                     NOT coalesce({volume}['ok'], false) AS violated, \
                     {volume}['problem'] AS detail FROM {from}"
                ),
            ),
        ));
    }
    if let Some(recist) = &imaging.recist {
        let clinical = |kahn| {
            Filing(
                Requirement::Validation,
                kahn,
                FdaAspect::DataQuality,
                EmaDimension::Coherence,
            )
        };
        let baseline_targets = format!(
            "(SELECT c.site, m.* FROM {} m JOIN cohort c ON c.person_id = m.person_id \
             WHERE m.timepoint = 0 AND m.role = 'target') AS b",
            recist.table
        );
        checks.push(spec(
            profile,
            "recist.targets_per_patient".into(),
            clinical(Kahn::ConformanceValue),
            Rank::Essential,
            format!(
                "At most {} target lesions per patient at baseline (RECIST 1.1, section 4.2)",
                recist.max_targets
            ),
            0.0,
            units(
                prelude,
                format!(
                    "SELECT site, person_id, CAST(NULL AS VARCHAR) AS record, \
                     count(DISTINCT lesion_id) > {} AS violated, \
                     CAST(count(DISTINCT lesion_id) AS VARCHAR) AS detail \
                     FROM {baseline_targets} GROUP BY site, person_id",
                    recist.max_targets
                ),
            ),
        ));
        checks.push(spec(
            profile,
            "recist.targets_per_organ".into(),
            clinical(Kahn::ConformanceValue),
            Rank::Essential,
            format!(
                "At most {} target lesions per organ at baseline (RECIST 1.1, section 4.2)",
                recist.max_targets_per_organ
            ),
            0.0,
            units(
                prelude,
                format!(
                    "SELECT site, person_id, organ AS record, \
                     count(DISTINCT lesion_id) > {} AS violated, \
                     CAST(count(DISTINCT lesion_id) AS VARCHAR) AS detail \
                     FROM {baseline_targets} GROUP BY site, person_id, organ",
                    recist.max_targets_per_organ
                ),
            ),
        ));
        checks.push(spec(
            profile,
            "recist.measurable_at_baseline".into(),
            clinical(Kahn::ConformanceValue),
            Rank::Essential,
            format!(
                "Target lesions measurable at baseline: non-nodal longest diameter at least {} mm and twice the slice thickness, nodes' short axis at least {} mm (RECIST 1.1, section 3.1)",
                recist.min_longest_diameter_mm, recist.min_node_short_axis_mm
            ),
            0.0,
            units(
                prelude,
                format!(
                    "SELECT site, person_id, lesion_id AS record, \
                     CASE WHEN is_nodal THEN coalesce(short_axis_mm < {node}, true) \
                     ELSE coalesce(longest_diameter_mm < {ld} OR longest_diameter_mm < 2 * slice_thickness_mm, true) END AS violated, \
                     CAST(CASE WHEN is_nodal THEN short_axis_mm ELSE longest_diameter_mm END AS VARCHAR) AS detail \
                     FROM {baseline_targets}",
                    node = number(recist.min_node_short_axis_mm),
                    ld = number(recist.min_longest_diameter_mm)
                ),
            ),
        ));
    }
    if let Some(amyloid) = &imaging.amyloid {
        let filing = |kahn| {
            Filing(
                Requirement::Validation,
                kahn,
                FdaAspect::DataQuality,
                EmaDimension::Coherence,
            )
        };
        let tracer_rows = format!(
            "(SELECT c.site, t.person_id, lower(CAST(t.tracer AS VARCHAR)) AS tracer, t.suvr \
             FROM ({}) AS t JOIN cohort c ON c.person_id = t.person_id) AS a",
            amyloid.suvr_sql.trim().trim_end_matches(';')
        );
        let names: Vec<String> = amyloid
            .tracers
            .iter()
            .map(|t| t.name.to_lowercase())
            .collect();
        checks.push(spec(
            profile,
            "amyloid.tracer".into(),
            filing(Kahn::ConformanceValue),
            Rank::Essential,
            format!("Amyloid PET quantifications with an accepted tracer ({})", names.join(", ")),
            0.0,
            units(
                prelude,
                format!(
                    "SELECT site, person_id, tracer AS record, \
                     coalesce(tracer NOT IN ({}), true) AS violated, tracer AS detail FROM {tracer_rows}",
                    literals(&names)
                ),
            ),
        ));
        checks.push(spec(
            profile,
            "amyloid.centiloid_equation".into(),
            filing(Kahn::ConformanceComputational),
            Rank::Essential,
            "Amyloid PET quantifications whose tracer has a published Centiloid equation (centiloid_equation)".into(),
            0.0,
            units(
                prelude,
                format!(
                    "SELECT site, person_id, tracer AS record, \
                     centiloid_equation(tracer) IS NULL AS violated, tracer AS detail FROM {tracer_rows}"
                ),
            ),
        ));
        let windows: Vec<String> = amyloid
            .tracers
            .iter()
            .map(|t| {
                format!(
                    "WHEN {} THEN uptake BETWEEN {} AND {}",
                    literal(&t.name.to_lowercase()),
                    number(t.uptake_window_minutes[0]),
                    number(t.uptake_window_minutes[1])
                )
            })
            .collect();
        let described: Vec<String> = amyloid
            .tracers
            .iter()
            .map(|t| {
                format!(
                    "{} {} to {} min",
                    t.name, t.uptake_window_minutes[0], t.uptake_window_minutes[1]
                )
            })
            .collect();
        checks.push(spec(
            profile,
            "amyloid.uptake_window".into(),
            filing(Kahn::PlausibilityTemporal),
            Rank::Essential,
            format!(
                "{what} series acquired within their tracer's uptake window after injection ({})",
                described.join("; ")
            ),
            imaging.max_nonconforming_series_percent,
            units(
                prelude,
                format!(
                    "SELECT site, person_id, SeriesInstanceUID AS record, \
                     coalesce(NOT (CASE lower(Radiopharmaceutical) {} END), true) AS violated, \
                     Radiopharmaceutical || ' ' || CAST(round(uptake, 1) AS VARCHAR) || ' min' AS detail FROM \
                     (SELECT site, person_id, SeriesInstanceUID, Radiopharmaceutical, \
                      (date_part('hour', SeriesTime) * 60 + date_part('minute', SeriesTime) + date_part('second', SeriesTime) / 60) \
                      - (date_part('hour', RadiopharmaceuticalStartTime) * 60 + date_part('minute', RadiopharmaceuticalStartTime) \
                         + date_part('second', RadiopharmaceuticalStartTime) / 60) AS uptake \
                      FROM {}) AS u",
                    windows.join(" "),
                    COHORT_SERIES
                ),
            ),
        ));
    }
    if let Some(cardiac) = &imaging.cardiac {
        checks.push(spec(
            profile,
            "cardiac.lvef_method".into(),
            Filing(
                Requirement::Validation,
                Kahn::ConformanceValue,
                FdaAspect::DataQuality,
                EmaDimension::Coherence,
            ),
            Rank::Essential,
            format!("LVEF measured by an accepted method ({})", cardiac.lvef_methods.join(", ")),
            0.0,
            units(
                prelude,
                format!(
                    "SELECT c.site, v.person_id, CAST(v.method AS VARCHAR) AS record, \
                     coalesce(v.method NOT IN ({}), true) AS violated, CAST(v.method AS VARCHAR) AS detail \
                     FROM ({}) AS v JOIN cohort c ON c.person_id = v.person_id",
                    literals(&cardiac.lvef_methods),
                    cardiac.lvef_sql.trim().trim_end_matches(';')
                ),
            ),
        ));
    }
    checks
}

/// How each eligible person's harmonization batch is named: the
/// vendor (`scanner_vendor`) and model of their first qualifying series.
fn person_batches() -> String {
    format!(
        "(SELECT site, person_id, min(scanner_vendor(Manufacturer) || ' ' || coalesce(ManufacturerModelName, '?')) AS batch FROM {COHORT_SERIES} GROUP BY site, person_id) AS pb"
    )
}

fn variability_checks(profile: &Profile, prelude: &Prelude) -> Vec<CheckSpec> {
    // The variability of imaging: the checks read the eligible persons' series.
    let (Some(variability), Some(_)) = (&profile.variability, &profile.imaging) else {
        return Vec::new();
    };
    let diversity = || {
        Filing(
            Requirement::StandardizationVariability,
            Kahn::Completeness,
            FdaAspect::Relevance,
            EmaDimension::Relevance,
        )
    };
    let mut checks = vec![
        spec(
            profile,
            "variability.sites".into(),
            diversity(),
            Rank::Supplemental,
            format!(
                "Eligible persons with qualifying imaging come from at least {} sites",
                variability.min_sites
            ),
            0.0,
            statistic(
                prelude,
                StatisticKind::AtLeastDistinct,
                format!("SELECT DISTINCT site FROM {}", COHORT_SERIES),
                variability.min_sites as f64,
            ),
        ),
        spec(
            profile,
            "variability.vendors".into(),
            diversity(),
            Rank::Supplemental,
            format!(
                "Qualifying series come from at least {} scanner vendors (scanner_vendor)",
                variability.min_vendors
            ),
            0.0,
            statistic(
                prelude,
                StatisticKind::AtLeastDistinct,
                format!(
                    "SELECT DISTINCT scanner_vendor(Manufacturer) AS vendor FROM {} WHERE scanner_vendor(Manufacturer) IS NOT NULL",
                    COHORT_SERIES
                ),
                variability.min_vendors as f64,
            ),
        ),
        spec(
            profile,
            "variability.vendor_share".into(),
            diversity(),
            Rank::Supplemental,
            format!(
                "No vendor holds more than {} % of qualifying series",
                variability.max_vendor_percent
            ),
            0.0,
            statistic(
                prelude,
                StatisticKind::LargestSharePercent,
                format!(
                    "SELECT coalesce(scanner_vendor(Manufacturer), 'unknown') AS vendor, count(*) AS n FROM {} GROUP BY 1",
                    COHORT_SERIES
                ),
                variability.max_vendor_percent,
            ),
        ),
    ];
    checks.push(per_group(spec(
        profile,
        "variability.site_vendors".into(),
        diversity(),
        Rank::Supplemental,
        "Sites whose qualifying series come from more than one scanner vendor: at a one-vendor site, site and scanner effects cannot be told apart".into(),
        0.0,
        units(
            prelude,
            format!(
                "SELECT site, CAST(NULL AS BIGINT) AS person_id, site AS record, \
                 count(DISTINCT scanner_vendor(Manufacturer)) < 2 AS violated, \
                 CAST(count(DISTINCT scanner_vendor(Manufacturer)) AS VARCHAR) AS detail \
                 FROM {} GROUP BY site",
                COHORT_SERIES
            ),
        ),
    )));
    let batch_filing = |kahn| {
        Filing(
            Requirement::StandardizationVariability,
            kahn,
            FdaAspect::DataQuality,
            EmaDimension::Coherence,
        )
    };
    let batch_units = match &variability.features {
        Some(features) => format!(
            "SELECT CAST('all' AS VARCHAR) AS site, CAST(NULL AS BIGINT) AS person_id, batch AS record, \
             count(*) < {n} AS violated, CAST(count(*) AS VARCHAR) AS detail \
             FROM (SELECT CAST(f.batch AS VARCHAR) AS batch FROM ({}) AS f JOIN cohort c ON c.person_id = f.person_id) AS b \
             GROUP BY batch",
            features.sql.trim().trim_end_matches(';'),
            n = variability.min_batch_size
        ),
        None => format!(
            "SELECT CAST('all' AS VARCHAR) AS site, CAST(NULL AS BIGINT) AS person_id, batch AS record, \
             count(*) < {n} AS violated, CAST(count(*) AS VARCHAR) AS detail \
             FROM {} GROUP BY batch",
            person_batches(),
            n = variability.min_batch_size
        ),
    };
    checks.push(per_group(spec(
        profile,
        "variability.batch_size".into(),
        batch_filing(Kahn::Completeness),
        Rank::Supplemental,
        format!(
            "Harmonization batches (scanner vendor and model) with at least {} samples, as ComBat's estimates need",
            variability.min_batch_size
        ),
        0.0,
        units(prelude, batch_units),
    )));
    let comparator = profile.elements_of(ElementKind::Comparator).next();
    let (group, join) = match comparator {
        Some(c) => (
            "CASE WHEN mc.person_id IS NULL THEN 'exposure' ELSE 'comparator' END".to_string(),
            format!(" LEFT JOIN met_{} mc ON mc.person_id = pb.person_id", c.id),
        ),
        // Without a comparator every person has the same exposure: the
        // contingency table has one column and V cannot be measured.
        None => ("'exposure'".to_string(), String::new()),
    };
    checks.push(spec(
        profile,
        "variability.batch_confounding".into(),
        batch_filing(Kahn::PlausibilityAtemporal),
        Rank::Supplemental,
        format!(
            "Harmonization batch not confounded with the exposure group: Cramér's V at most {}",
            variability.max_cramers_v
        ),
        0.0,
        statistic(
            prelude,
            StatisticKind::CramersV,
            format!(
                "SELECT pb.batch, {group} AS exposure_group, count(*) AS n FROM {}{join} GROUP BY 1, 2",
                person_batches()
            ),
            variability.max_cramers_v,
        ),
    ));
    if let Some(features) = &variability.features {
        let per_feature: Vec<String> = features
            .columns
            .iter()
            .map(|column| {
                format!(
                    "SELECT {name} AS feature, batch_effect_anova(CAST(f.batch AS VARCHAR), CAST(f.\"{column}\" AS DOUBLE))['p_value'] AS p_value \
                     FROM ({sql}) AS f JOIN cohort c ON c.person_id = f.person_id",
                    name = literal(column),
                    sql = features.sql.trim().trim_end_matches(';')
                )
            })
            .collect();
        checks.push(spec(
            profile,
            "variability.batch_effect".into(),
            batch_filing(Kahn::PlausibilityAtemporal),
            Rank::Supplemental,
            format!(
                "No batch effect on the quantitative features ({}) at p < {} (batch_effect_anova; harmonize with combat_fit and combat_apply where there is)",
                features.columns.join(", "),
                features.alpha
            ),
            0.0,
            statistic(
                prelude,
                StatisticKind::FeaturesWithBatchEffect,
                per_feature.join(" UNION ALL "),
                features.alpha,
            ),
        ));
    }
    checks
}

fn deidentification_checks(profile: &Profile, prelude: &Prelude) -> Vec<CheckSpec> {
    let filing = || {
        Filing(
            Requirement::RegulatoryAlignment,
            Kahn::ConformanceValue,
            FdaAspect::DataQuality,
            EmaDimension::Coherence,
        )
    };
    let instances = "FROM imaging.deidentification d \
                     JOIN imaging.patient_link l ON l.patient_id = d.PatientID \
                     JOIN cohort c ON c.person_id = l.person_id";
    let check = |id: &str, rank, description: &str, violated: &str, detail: &str| {
        spec(
            profile,
            format!("deidentification.{id}"),
            filing(),
            rank,
            description.to_string(),
            0.0,
            units(
                prelude,
                format!(
                    "SELECT c.site, c.person_id, d.SOPInstanceUID AS record, {violated} AS violated, \
                     CAST({detail} AS VARCHAR) AS detail {instances}"
                ),
            ),
        )
    };
    vec![
        check(
            "identity_removed",
            Rank::Supplemental,
            "Instances of eligible persons marked de-identified: PatientIdentityRemoved (0012,0062) YES (DICOM PS3.15 E.1)",
            "coalesce(upper(d.PatientIdentityRemoved) <> 'YES', true)",
            "d.PatientIdentityRemoved",
        ),
        check(
            "method",
            Rank::Supplemental,
            "Instances of eligible persons that name their de-identification method (DeidentificationMethod, 0012,0063)",
            "coalesce(d.DeidentificationMethod = '', true)",
            "d.DeidentificationMethod",
        ),
        check(
            "names",
            Rank::Essential,
            "Instances of eligible persons with no patient name left in the header (PatientName, 0010,0010; PS3.15 basic profile: remove or replace)",
            "d.has_patient_name",
            "NULL",
        ),
        check(
            "birth_dates",
            Rank::Supplemental,
            "Instances of eligible persons with no full birth date left in the header (PatientBirthDate, 0010,0030)",
            "d.has_full_birth_date",
            "NULL",
        ),
        check(
            "burned_in_annotation",
            Rank::Supplemental,
            "Instances of eligible persons without burned-in annotation (BurnedInAnnotation, 0028,0301, not YES)",
            "coalesce(upper(d.BurnedInAnnotation) = 'YES', false)",
            "d.BurnedInAnnotation",
        ),
    ]
}

fn provenance_checks(profile: &Profile) -> Vec<CheckSpec> {
    let filing = || {
        Filing(
            Requirement::RegulatoryAlignment,
            Kahn::Completeness,
            FdaAspect::Provenance,
            EmaDimension::Relevance,
        )
    };
    let purpose = &profile.purpose;
    let stated = [
        ("purpose.decision", &purpose.decision),
        ("purpose.intended_use", &purpose.intended_use),
        (
            "purpose.context_of_use.biomarker",
            &purpose.context_of_use.biomarker,
        ),
        (
            "purpose.context_of_use.statement",
            &purpose.context_of_use.statement,
        ),
        (
            "purpose.index_date.description",
            &purpose.index_date.description,
        ),
        ("sample_size.rationale", &profile.sample_size.rationale),
    ];
    let missing: Vec<String> = stated
        .iter()
        .filter(|(_, text)| text.trim().is_empty())
        .map(|(field, _)| field.to_string())
        .collect();
    let uncited: Vec<String> = profile
        .elements
        .iter()
        .filter(|e| e.rationale.trim().is_empty() || e.citation.trim().is_empty())
        .map(|e| e.id.clone())
        .collect();
    vec![
        spec(
            profile,
            "provenance.context_of_use".into(),
            filing(),
            Rank::Essential,
            "The profile states the decision, intended use, BEST context of use, index date and sample size rationale".into(),
            0.0,
            Measure::Stated {
                violating: missing,
                total: stated.len() as u64,
            },
        ),
        spec(
            profile,
            "provenance.element_citations".into(),
            filing(),
            Rank::Supplemental,
            "Every study element gives its rationale and citation (SPIFD2's template)".into(),
            0.0,
            Measure::Stated {
                violating: uncited,
                total: profile.elements.len() as u64,
            },
        ),
    ]
}

/// Checks of the OMOP clinical tables the profile's queries read, compiled
/// once the lake is known: each table's record provenance (type concepts),
/// dates in order, and concepts standard, valid and of the table's domain
/// when the lake has `clinical.concept`.
pub fn table_checks(
    profile: &Profile,
    shape: &LakeShape,
    tables: &[LakeTable],
    has_concept_table: bool,
) -> Vec<CheckSpec> {
    let prelude = Prelude::of(profile, shape);
    let mut checks = Vec::new();
    for LakeTable {
        name: table,
        columns,
    } in tables
    {
        checks.extend(relational_checks(profile, &prelude, table, columns));
        let Some(name) = table.strip_prefix("clinical.") else {
            continue;
        };
        if let Some((_, start, end)) = DATE_COLUMNS.iter().find(|(t, _, _)| *t == name)
            && let Some(end) = end
        {
            checks.push(spec(
                profile,
                format!("plausibility.{table}.start_before_end"),
                Filing(
                    Requirement::AccuracyCompleteness,
                    Kahn::PlausibilityTemporal,
                    FdaAspect::DataQuality,
                    EmaDimension::Reliability,
                ),
                Rank::Supplemental,
                format!("{table} rows whose {end} is not before {start} (DQD's plausibleStartBeforeEnd)"),
                1.0,
                units(
                    &prelude,
                    format!(
                        "SELECT n.site, t.person_id, CAST({start} AS VARCHAR) AS record, \
                         coalesce(t.{end} < t.{start}, false) AS violated, CAST(t.{end} AS VARCHAR) AS detail \
                         FROM {table} t JOIN entry n ON n.person_id = t.person_id"
                    ),
                ),
            ));
        }
        if name != "person" && name != "death" && name != "observation_period" {
            checks.push(spec(
                profile,
                format!("provenance.{table}.type_concept"),
                Filing(
                    Requirement::RegulatoryAlignment,
                    Kahn::Completeness,
                    FdaAspect::Provenance,
                    EmaDimension::Reliability,
                ),
                Rank::Supplemental,
                format!("{table} rows that say where they came from ({name_type}: EHR, registry, claims...)", name_type = type_column(name)),
                0.0,
                units(
                    &prelude,
                    format!(
                        "SELECT n.site, t.person_id, CAST(NULL AS VARCHAR) AS record, \
                         coalesce(t.{col} = 0, true) AS violated, CAST(t.{col} AS VARCHAR) AS detail \
                         FROM {table} t JOIN entry n ON n.person_id = t.person_id",
                        col = type_column(name)
                    ),
                ),
            ));
        }
        if let Some((_, column, domain)) = CONCEPT_DOMAINS.iter().find(|(t, _, _)| *t == name) {
            let filing = || {
                Filing(
                    Requirement::AccuracyCompleteness,
                    Kahn::ConformanceValue,
                    FdaAspect::DataQuality,
                    EmaDimension::Coherence,
                )
            };
            let measure = |violated: &str| {
                if has_concept_table {
                    units(
                        &prelude,
                        format!(
                            "SELECT n.site, t.person_id, CAST(t.{column} AS VARCHAR) AS record, {violated} AS violated, \
                             k.concept_name AS detail \
                             FROM {table} t JOIN entry n ON n.person_id = t.person_id \
                             LEFT JOIN clinical.concept k ON k.concept_id = t.{column} \
                             WHERE t.{column} <> 0"
                        ),
                    )
                } else {
                    Measure::Stated {
                        violating: vec!["clinical.concept".into()],
                        total: 0,
                    }
                }
            };
            checks.push(spec(
                profile,
                format!("conformance.{table}.{column}.standard"),
                filing(),
                Rank::Supplemental,
                format!("{table}.{column} values that are standard, valid concepts of clinical.concept (DQD's isStandardValidConcept)"),
                0.0,
                measure("coalesce(k.standard_concept <> 'S' OR k.invalid_reason IS NOT NULL, true)"),
            ));
            checks.push(spec(
                profile,
                format!("conformance.{table}.{column}.domain"),
                filing(),
                Rank::Supplemental,
                format!("{table}.{column} concepts of the {domain} domain (DQD's fkDomain)"),
                0.0,
                measure(&format!(
                    "coalesce(k.domain_id <> {}, true)",
                    literal(domain)
                )),
            ));
        }
    }
    checks
}

/// A table the profile's queries read, with the columns the lake has.
#[derive(Debug, Clone)]
pub struct LakeTable {
    /// `schema.table`.
    pub name: String,
    pub columns: Vec<String>,
}

/// OHDSI DQD's relational conformance of a standard table, with the rows
/// behind each failure: the primary key unique and present
/// (isPrimaryKey), required columns present (isRequired), `person_id`
/// pointing to a person (isForeignKey).
fn relational_checks(
    profile: &Profile,
    prelude: &Prelude,
    table: &str,
    columns: &[String],
) -> Vec<CheckSpec> {
    let Some((schema, name)) = table.split_once('.') else {
        return Vec::new();
    };
    let Ok(standard) = rwid_catalog::specs::standard_table(schema, name) else {
        return Vec::new();
    };
    let has = |column: &str| columns.iter().any(|c| c == column);
    let filing = || {
        Filing(
            Requirement::AccuracyCompleteness,
            Kahn::ConformanceRelational,
            FdaAspect::DataQuality,
            EmaDimension::Coherence,
        )
    };
    let key = format!("{name}_id");
    let record = if has(&key) {
        format!("CAST(t.{key} AS VARCHAR)")
    } else {
        "CAST(NULL AS VARCHAR)".to_string()
    };
    let (site, person, from) = if has("person_id") {
        (
            "coalesce(n.site, 'unknown')",
            format!("t.person_id, {record} AS record"),
            format!("{table} t LEFT JOIN entry n ON n.person_id = t.person_id"),
        )
    } else {
        (
            "'unknown'",
            format!("CAST(NULL AS BIGINT) AS person_id, {record} AS record"),
            format!("{table} t"),
        )
    };
    let mut checks = Vec::new();
    if has(&key) && standard.column(&key).is_some() {
        checks.push(spec(
            profile,
            format!("conformance.{table}.{key}.primary_key"),
            filing(),
            Rank::Supplemental,
            format!("{table}.{key} unique and never NULL (DQD's isPrimaryKey)"),
            0.0,
            units(
                prelude,
                format!(
                    "SELECT {site} AS site, {person}, \
                     (t.{key} IS NULL OR repeated.k IS NOT NULL) AS violated, \
                     CAST(NULL AS VARCHAR) AS detail FROM {from} \
                     LEFT JOIN (SELECT {key} AS k FROM {table} GROUP BY {key} HAVING count(*) > 1) repeated \
                     ON repeated.k = t.{key}"
                ),
            ),
        ));
    }
    let required: Vec<&str> = standard
        .columns
        .iter()
        .filter(|c| c.required && has(&c.name))
        .map(|c| c.name.as_str())
        .collect();
    if !required.is_empty() {
        let nulls: Vec<String> = required.iter().map(|c| format!("t.{c} IS NULL")).collect();
        let which: Vec<String> = required
            .iter()
            .map(|c| format!("CASE WHEN t.{c} IS NULL THEN '{c} ' ELSE '' END"))
            .collect();
        checks.push(spec(
            profile,
            format!("conformance.{table}.required"),
            filing(),
            Rank::Supplemental,
            format!(
                "{table} rows with every column {} requires ({}) (DQD's isRequired)",
                standard.source,
                required.join(", ")
            ),
            0.0,
            units(
                prelude,
                format!(
                    "SELECT {site} AS site, {person}, ({}) AS violated, trim({}) AS detail FROM {from}",
                    nulls.join(" OR "),
                    which.join(" || ")
                ),
            ),
        ));
    }
    if has("person_id") && name != "person" {
        checks.push(spec(
            profile,
            format!("conformance.{table}.person_id.foreign_key"),
            filing(),
            Rank::Supplemental,
            format!("{table}.person_id pointing to a clinical.person row (DQD's isForeignKey)"),
            0.0,
            units(
                prelude,
                format!(
                    "SELECT {site} AS site, {person}, p.person_id IS NULL AS violated, \
                     CAST(t.person_id AS VARCHAR) AS detail \
                     FROM {from} LEFT JOIN (SELECT DISTINCT person_id FROM clinical.person) p \
                     ON p.person_id = t.person_id WHERE t.person_id IS NOT NULL"
                ),
            ),
        ));
    }
    checks
}

/// The `*_type_concept_id` column of an OMOP table.
fn type_column(table: &str) -> String {
    match table {
        "condition_occurrence" => "condition_type_concept_id".into(),
        "drug_exposure" => "drug_type_concept_id".into(),
        "procedure_occurrence" => "procedure_type_concept_id".into(),
        "visit_occurrence" => "visit_type_concept_id".into(),
        other => format!("{other}_type_concept_id"),
    }
}
