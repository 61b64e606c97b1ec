//! The SQL every check of a profile starts from: the population, each
//! person's site and index date, each element's rows and who meets it, the
//! cohort (who the study would take), the qualifying scans and imaging
//! visits, and the per-patient record. Written once here, as common table
//! expressions, so each check's SQL stands alone: `rwid assess --sql`
//! prints it whole, and the plain-SQL checks run unchanged in DuckDB.

use crate::profile::{ElementKind, Imaging, Profile};

/// A SQL string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A comma-separated list of SQL string literals.
pub fn literals<'a>(texts: impl IntoIterator<Item = &'a String>) -> String {
    texts
        .into_iter()
        .map(|t| literal(t))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A number as SQL writes it (always with a decimal point, so the
/// comparison is in floating point in every engine).
pub fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.1}")
    } else {
        format!("{value}")
    }
}

/// The columns of `imaging.series` the imaging checks read.
pub const SERIES_COLUMNS: &[&str] = &[
    "StudyDate",
    "SliceThickness",
    "Manufacturer",
    "ManufacturerModelName",
    "ConvolutionKernel",
    "ContrastBolusAgent",
    "Radiopharmaceutical",
    "SeriesTime",
    "RadiopharmaceuticalStartTime",
    "volume",
];

/// The instance columns a series' geometry is checked from.
pub const GEOMETRY_COLUMNS: &[&str] = &[
    "SeriesInstanceUID",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "PixelSpacing",
    "Rows",
    "Columns",
];

/// What the checks need to know of the lake's imaging tables.
#[derive(Debug, Clone, Default)]
pub struct LakeShape {
    /// The columns `imaging.series` has (`None`: not known; all are read).
    pub series_columns: Option<Vec<String>>,
    /// Whether `imaging.instances` has [`GEOMETRY_COLUMNS`]: the geometry
    /// of the eligible persons' series is then checked from their instances
    /// alone, not from every series of the lake.
    pub instance_geometry: bool,
}

/// The common table expressions of a profile, in dependency order.
#[derive(Debug, Clone)]
pub struct Prelude {
    ctes: Vec<(String, String)>,
}

impl Prelude {
    pub fn of(profile: &Profile, shape: &LakeShape) -> Self {
        let mut ctes: Vec<(String, String)> = Vec::new();
        let mut add = |name: &str, sql: String| ctes.push((name.to_string(), sql));
        add(
            "population",
            format!(
                "SELECT DISTINCT person_id FROM ({}) AS q WHERE person_id IS NOT NULL",
                trimmed(&profile.population.sql)
            ),
        );
        add(
            "person_site",
            format!(
                "SELECT person_id, min(CAST(site AS VARCHAR)) AS site FROM ({}) AS q GROUP BY person_id",
                trimmed(&profile.population.site_sql)
            ),
        );
        add(
            "index_date",
            format!(
                "SELECT person_id, min(index_date) AS index_date FROM ({}) AS q GROUP BY person_id",
                trimmed(&profile.purpose.index_date.sql)
            ),
        );
        add(
            "entry",
            "SELECT p.person_id, coalesce(s.site, 'unknown') AS site, i.index_date \
             FROM population p \
             LEFT JOIN person_site s ON s.person_id = p.person_id \
             LEFT JOIN index_date i ON i.person_id = p.person_id"
                .to_string(),
        );
        for element in &profile.elements {
            let mut columns = vec!["person_id"];
            if element.has_value {
                columns.push("\"value\"");
            }
            if element.has_date {
                columns.push("\"date\"");
            }
            add(
                &format!("el_{}", element.id),
                format!(
                    "SELECT {} FROM ({}) AS q WHERE person_id IS NOT NULL",
                    columns.join(", "),
                    trimmed(&element.sql)
                ),
            );
            let mut conditions = Vec::new();
            if element.has_value {
                conditions.push("e.\"value\" IS NOT NULL".to_string());
            }
            let join = match element.window_days {
                Some([from, to]) => {
                    conditions.push(format!("e.\"date\" - i.index_date BETWEEN {from} AND {to}"));
                    " JOIN index_date i ON i.person_id = e.person_id"
                }
                None => "",
            };
            let filter = if conditions.is_empty() {
                String::new()
            } else {
                format!(" WHERE {}", conditions.join(" AND "))
            };
            add(
                &format!("met_{}", element.id),
                format!(
                    "SELECT DISTINCT e.person_id FROM el_{} e{join}{filter}",
                    element.id
                ),
            );
        }
        add("cohort", cohort_sql(profile, None));
        for element in &profile.elements {
            if let Some(target) = &element.data_for {
                add(
                    &format!("cohort_without_{target}"),
                    cohort_sql(profile, Some(target)),
                );
            }
        }
        if let Some(imaging) = &profile.imaging {
            // The eligible persons' qualifying series with the columns the
            // checks read, taken once from the series rollup.
            let columns: Vec<String> = SERIES_COLUMNS
                .iter()
                .filter(|c| **c != "volume" || !shape.instance_geometry)
                .filter(|c| {
                    shape
                        .series_columns
                        .as_ref()
                        .is_none_or(|have| have.iter().any(|h| h == *c))
                })
                .map(|c| format!(", s.{c}"))
                .collect();
            add(
                "cohort_series",
                format!(
                    "SELECT c.site, c.person_id, s.SeriesInstanceUID{} \
                     FROM imaging.series s \
                     JOIN imaging.patient_link l ON l.patient_id = s.PatientID \
                     JOIN cohort c ON c.person_id = l.person_id \
                     WHERE {}",
                    columns.concat(),
                    series_condition(imaging)
                ),
            );
            if shape.instance_geometry {
                add(
                    "cohort_series_volume",
                    "SELECT i.SeriesInstanceUID, dicom_volume_check(i.ImagePositionPatient, \
                     i.ImageOrientationPatient, i.PixelSpacing, i.Rows, i.Columns) AS volume \
                     FROM imaging.instances i \
                     WHERE i.SeriesInstanceUID IN (SELECT SeriesInstanceUID FROM cohort_series) \
                     GROUP BY i.SeriesInstanceUID"
                        .to_string(),
                );
            }
            add(
                "scans",
                "SELECT person_id, SeriesInstanceUID AS series_uid, StudyDate AS scan_date \
                 FROM cohort_series WHERE StudyDate IS NOT NULL"
                    .to_string(),
            );
            add(
                "visits",
                format!(
                    "SELECT DISTINCT c.person_id, c.site, s.scan_date, s.scan_date - c.index_date AS day \
                     FROM scans s JOIN cohort c ON c.person_id = s.person_id \
                     WHERE s.scan_date - c.index_date >= {}",
                    imaging.baseline_window_days[0]
                ),
            );
            add(
                "visit_gaps",
                "SELECT person_id, site, scan_date, day, \
                 scan_date - lag(scan_date) OVER (PARTITION BY person_id ORDER BY scan_date) AS gap_days \
                 FROM visits"
                    .to_string(),
            );
            let [from, to] = imaging.baseline_window_days;
            let interval_ok = match imaging.follow_up_interval_weeks {
                Some([low, high]) => format!(
                    "coalesce(bool_and(g.gap_days IS NULL OR g.gap_days / 7.0 BETWEEN {} AND {}), true)",
                    number(low),
                    number(high)
                ),
                None => "true".to_string(),
            };
            add(
                "imaging_timing",
                format!(
                    "SELECT c.person_id, \
                     count(g.scan_date) > 0 AS has_scan, \
                     coalesce(bool_or(g.day BETWEEN {from} AND {to}), false) AS has_baseline, \
                     count(g.scan_date) AS timepoints, \
                     {interval_ok} AS intervals_ok \
                     FROM cohort c LEFT JOIN visit_gaps g ON g.person_id = c.person_id \
                     GROUP BY c.person_id"
                ),
            );
        }
        add("patient_record", patient_record_sql(profile));
        Self { ctes }
    }

    /// `WITH name AS (...), ...` of the expressions `query` reads, directly
    /// or through others, in order: what must precede it to stand alone.
    pub fn head_for(&self, query: &str) -> String {
        let mut needed = referenced(query);
        for (name, sql) in self.ctes.iter().rev() {
            if needed.contains(name.as_str()) {
                needed.extend(referenced(sql));
            }
        }
        let ctes: Vec<String> = self
            .ctes
            .iter()
            .filter(|(name, _)| needed.contains(name.as_str()))
            .map(|(name, sql)| format!("{name} AS ({sql})"))
            .collect();
        if ctes.is_empty() {
            String::new()
        } else {
            format!("WITH {}", ctes.join(",\n"))
        }
    }

    /// The expressions, in dependency order: (name, query).
    pub fn ctes(&self) -> &[(String, String)] {
        &self.ctes
    }
}

/// The words of `sql` that could name a table: runs of letters, digits
/// and underscores.
fn referenced(sql: &str) -> std::collections::BTreeSet<String> {
    sql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// A user's query without the `;` it may end with.
fn trimmed(sql: &str) -> &str {
    sql.trim().trim_end_matches(';').trim_end()
}

/// Who the study would take: persons with an index date who meet every
/// inclusion and exposure element and no exclusion element (but `skip`).
fn cohort_sql(profile: &Profile, skip: Option<&str>) -> String {
    let mut conditions = vec!["e.index_date IS NOT NULL".to_string()];
    for element in &profile.elements {
        if Some(element.id.as_str()) == skip {
            continue;
        }
        let met = format!("e.person_id IN (SELECT person_id FROM met_{})", element.id);
        match element.kind {
            ElementKind::Inclusion | ElementKind::Exposure => conditions.push(met),
            ElementKind::Exclusion => conditions.push(format!(
                "e.person_id NOT IN (SELECT person_id FROM met_{})",
                element.id
            )),
            _ => {}
        }
    }
    format!(
        "SELECT e.person_id, e.site, e.index_date FROM entry e WHERE {}",
        conditions.join(" AND ")
    )
}

/// The condition on `imaging.series s` of a qualifying series: the
/// modality, and a body part or a study description the profile names.
fn series_condition(imaging: &Imaging) -> String {
    let body_parts: Vec<String> = imaging
        .body_parts
        .iter()
        .map(|b| b.to_uppercase())
        .collect();
    let mut kinds = vec![format!(
        "upper(s.BodyPartExamined) IN ({})",
        literals(&body_parts)
    )];
    kinds.extend(imaging.study_descriptions.iter().map(|pattern| {
        format!(
            "upper(s.StudyDescription) LIKE {}",
            literal(&pattern.to_uppercase())
        )
    }));
    format!(
        "s.Modality = {} AND ({})",
        literal(&imaging.modality),
        kinds.join(" OR ")
    )
}

/// One row per person of the population: site, index date, each element
/// met, the imaging requirements met, eligible and evaluable.
fn patient_record_sql(profile: &Profile) -> String {
    let mut columns = vec![
        "e.person_id".to_string(),
        "e.site".to_string(),
        "e.index_date".to_string(),
        "e.index_date IS NOT NULL AS has_index_date".to_string(),
    ];
    let mut joins = Vec::new();
    for element in &profile.elements {
        columns.push(format!("m_{0}.person_id IS NOT NULL AS {0}", element.id));
        joins.push(format!(
            "LEFT JOIN met_{0} m_{0} ON m_{0}.person_id = e.person_id",
            element.id
        ));
    }
    columns.push("c.person_id IS NOT NULL AS eligible".to_string());
    joins.push("LEFT JOIN cohort c ON c.person_id = e.person_id".to_string());
    // Evaluable: eligible, every essential element met, and the essential
    // imaging requirements met.
    let mut evaluable = vec!["c.person_id IS NOT NULL".to_string()];
    for element in &profile.elements {
        if element.rank == crate::profile::Rank::Essential && !element.kind.defines_eligibility() {
            evaluable.push(format!("m_{}.person_id IS NOT NULL", element.id));
        }
    }
    if let Some(imaging) = &profile.imaging {
        columns.extend([
            "coalesce(t.has_baseline, false) AS imaging_baseline".to_string(),
            "coalesce(t.timepoints, 0) AS imaging_timepoints".to_string(),
            format!(
                "coalesce(t.timepoints, 0) >= {} AS imaging_enough_timepoints",
                imaging.min_timepoints
            ),
            "coalesce(t.intervals_ok, false) AS imaging_intervals".to_string(),
        ]);
        joins.push("LEFT JOIN imaging_timing t ON t.person_id = e.person_id".to_string());
        if imaging.rank == crate::profile::Rank::Essential {
            evaluable.push(format!(
                "coalesce(t.has_baseline, false) AND coalesce(t.timepoints, 0) >= {}",
                imaging.min_timepoints
            ));
        }
    }
    columns.push(format!("{} AS evaluable", evaluable.join(" AND ")));
    format!(
        "SELECT {} FROM entry e {}",
        columns.join(", "),
        joins.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_quoted_and_numbers_stay_floats() {
        assert_eq!(literal("O'Brien"), "'O''Brien'");
        assert_eq!(number(5.0), "5.0");
        assert_eq!(number(2.5), "2.5");
    }
}
