//! A check: what it measures (its SQL), what it is filed under, how it came
//! out, and the status rules, as OHDSI's DataQualityDashboard evaluates
//! thresholds (`R/evaluateThresholds.R`), with "insufficient N" added.

use serde::Serialize;

use rwid_methods::statistics::{Z_95, wilson_interval};

use crate::profile::Rank;
use crate::requirement::{EmaDimension, FdaAspect, Kahn, Requirement};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    /// The check cannot run on this lake: a table or column it needs is
    /// missing, or nothing is there to check (the reason says which).
    NotAssessable,
    /// Fewer units than the profile's `min_denominator`.
    InsufficientN,
    /// The check's SQL failed (the reason holds the message).
    Error,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::NotAssessable => "not_assessable",
            Status::InsufficientN => "insufficient_n",
            Status::Error => "error",
        }
    }
}

/// What a check measures.
#[derive(Debug, Clone)]
pub enum Measure {
    /// One row per unit checked (a person, a series, an instance, a
    /// clinical row) by `select` after the profile's common table
    /// expressions `with`: `site`, `person_id`, `record`, `violated`,
    /// `detail`. The figure is the share of units violated.
    Units { with: String, select: String },
    /// A statistic computed from a small query's rows, against a bound.
    Statistic {
        kind: StatisticKind,
        with: String,
        select: String,
        bound: f64,
    },
    /// A check of the profile itself: the items (element ids, fields)
    /// that violate it out of `total`.
    Stated { violating: Vec<String>, total: u64 },
}

/// The statistics a [`Measure::Statistic`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatisticKind {
    /// Distinct values of the query's one column: at least the bound.
    AtLeastDistinct,
    /// The largest share, in percent, of one group in `(group, n)` rows:
    /// at most the bound.
    LargestSharePercent,
    /// Cramér's V of the `(row, column, n)` contingency counts: at most
    /// the bound.
    CramersV,
    /// Features whose batch effect (`batch_effect_anova`, rows of
    /// `(feature, p_value)`) has a p-value under the bound: none allowed.
    FeaturesWithBatchEffect,
}

/// A check as the catalogue compiles it from a profile.
#[derive(Debug, Clone)]
pub struct CheckSpec {
    /// Dotted, stable across runs: `completeness.pack_years`.
    pub id: String,
    pub requirement: Requirement,
    pub kahn: Kahn,
    pub fda: FdaAspect,
    pub ema: EmaDimension,
    pub description: String,
    pub rank: Rank,
    /// The study element the check is about, if any.
    pub element: Option<String>,
    /// For [`Measure::Units`] and [`Measure::Stated`]: the most violated
    /// units allowed, in percent (0: none).
    pub threshold_percent: f64,
    /// Fewest units the check needs, where they are not persons or rows
    /// (sites, batches): `None` takes the profile's `min_denominator`.
    pub min_units: Option<u64>,
    pub measure: Measure,
}

/// One site's figure for a check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteFigure {
    pub site: String,
    pub violating: u64,
    pub total: u64,
    pub percent: Option<f64>,
    pub interval: Option<(f64, f64)>,
    /// `higher` or `lower` when the site's interval and the other sites'
    /// pooled interval do not overlap.
    pub deviates: Option<&'static str>,
}

/// A violating unit: who, where, which record, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Violation {
    pub check_id: String,
    pub person_id: Option<i64>,
    pub site: Option<String>,
    pub record: Option<String>,
    pub detail: Option<String>,
}

/// How a check came out, with its figures.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub id: String,
    pub requirement: Requirement,
    pub kahn_category: &'static str,
    pub kahn_subcategory: &'static str,
    pub fda_aspect: FdaAspect,
    pub ema_dimension: EmaDimension,
    pub description: String,
    pub rank: Rank,
    pub element: Option<String>,
    pub status: Status,
    /// Why a check is not assessable, has insufficient N or errored.
    pub reason: Option<String>,
    /// The check ran and found nothing to check (DQD's "not applicable"):
    /// a supplemental check like this is no caveat.
    #[serde(skip)]
    pub nothing_to_check: bool,
    pub threshold_percent: Option<f64>,
    pub violating: Option<u64>,
    pub total: Option<u64>,
    /// Violating units in percent of the total.
    pub percent: Option<f64>,
    /// Wilson 95 % interval of `percent`.
    pub interval: Option<(f64, f64)>,
    /// A statistic check's value and bound.
    pub value: Option<f64>,
    pub bound: Option<f64>,
    pub sites: Vec<SiteFigure>,
    /// Every SQL statement the check ran.
    pub sql: Vec<String>,
}

impl CheckResult {
    /// A result with the spec's fields and nothing measured yet.
    pub fn of(spec: &CheckSpec) -> Self {
        let (kahn_category, kahn_subcategory) = spec.kahn.names();
        let rated = !matches!(spec.measure, Measure::Statistic { .. });
        Self {
            id: spec.id.clone(),
            requirement: spec.requirement,
            kahn_category,
            kahn_subcategory,
            fda_aspect: spec.fda,
            ema_dimension: spec.ema,
            description: spec.description.clone(),
            rank: spec.rank,
            element: spec.element.clone(),
            status: Status::NotAssessable,
            reason: None,
            nothing_to_check: false,
            threshold_percent: rated.then_some(spec.threshold_percent),
            violating: None,
            total: None,
            percent: None,
            interval: None,
            value: None,
            bound: None,
            sites: Vec::new(),
            sql: Vec::new(),
        }
    }

    /// Sets the figures of a rate: `violating` of `total` units, and the
    /// status DQD's rules give it.
    pub fn rate(&mut self, violating: u64, total: u64, min_denominator: u64) {
        self.violating = Some(violating);
        self.total = Some(total);
        self.percent = percent(violating, total);
        self.interval = interval_percent(violating, total);
        let threshold = self.threshold_percent.unwrap_or(0.0);
        (self.status, self.reason) = rate_status(violating, total, threshold, min_denominator);
        self.nothing_to_check = total == 0;
    }
}

/// `violating` in percent of `total`, rounded to 1e-9 so results print the
/// same on every machine.
pub fn percent(violating: u64, total: u64) -> Option<f64> {
    (total > 0).then(|| round9(violating as f64 * 100.0 / total as f64))
}

/// The Wilson 95 % interval of `violating / total`, in percent.
pub fn interval_percent(violating: u64, total: u64) -> Option<(f64, f64)> {
    wilson_interval(violating, total, Z_95).map(|(l, u)| (round9(l * 100.0), round9(u * 100.0)))
}

fn round9(value: f64) -> f64 {
    (value * 1e9).round() / 1e9
}

/// DQD's status of a rate (`evaluateThresholds.R`): nothing to check is not
/// assessable; a threshold of 0 fails on any violation, another fails when
/// the percent violated exceeds it (strictly). rwid adds: fewer units than
/// `min_denominator` is insufficient N.
pub fn rate_status(
    violating: u64,
    total: u64,
    threshold_percent: f64,
    min_denominator: u64,
) -> (Status, Option<String>) {
    if total == 0 {
        return (
            Status::NotAssessable,
            Some("nothing to check: no rows".to_string()),
        );
    }
    if total < min_denominator {
        return (
            Status::InsufficientN,
            Some(format!(
                "{total} checked, under the profile's min_denominator {min_denominator}"
            )),
        );
    }
    let failed = if threshold_percent == 0.0 {
        violating > 0
    } else {
        violating as f64 * 100.0 / total as f64 > threshold_percent
    };
    let status = if failed {
        Status::Failed
    } else {
        Status::Passed
    };
    (status, None)
}

/// Per-site figures, each site flagged where its interval and the other
/// sites' pooled interval do not overlap (sites with fewer units than
/// `min_denominator` are never flagged).
pub fn site_figures(counts: &[(String, u64, u64)], min_denominator: u64) -> Vec<SiteFigure> {
    let all_violating: u64 = counts.iter().map(|(_, v, _)| v).sum();
    let all_total: u64 = counts.iter().map(|(_, _, t)| t).sum();
    let mut figures: Vec<SiteFigure> = counts
        .iter()
        .map(|(site, violating, total)| {
            let interval = interval_percent(*violating, *total);
            let rest = interval_percent(all_violating - violating, all_total - total);
            let deviates = match (interval, rest) {
                (Some((low, high)), Some((rest_low, rest_high)))
                    if *total >= min_denominator && all_total - total >= min_denominator =>
                {
                    if low > rest_high {
                        Some("higher")
                    } else if high < rest_low {
                        Some("lower")
                    } else {
                        None
                    }
                }
                _ => None,
            };
            SiteFigure {
                site: site.clone(),
                violating: *violating,
                total: *total,
                percent: percent(*violating, *total),
                interval,
                deviates,
            }
        })
        .collect();
    figures.sort_by(|a, b| a.site.cmp(&b.site));
    figures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dqd_threshold_rules() {
        // Threshold 0: any violation fails.
        assert_eq!(rate_status(1, 1000, 0.0, 5).0, Status::Failed);
        assert_eq!(rate_status(0, 1000, 0.0, 5).0, Status::Passed);
        // Otherwise strictly above the threshold fails: 5 % of 100 at 5 passes.
        assert_eq!(rate_status(5, 100, 5.0, 5).0, Status::Passed);
        assert_eq!(rate_status(6, 100, 5.0, 5).0, Status::Failed);
        assert_eq!(rate_status(0, 0, 5.0, 5).0, Status::NotAssessable);
        let (status, reason) = rate_status(1, 4, 50.0, 5);
        assert_eq!(status, Status::InsufficientN);
        assert!(reason.unwrap().contains("4 checked"));
    }

    #[test]
    fn sites_whose_interval_misses_the_others_are_flagged() {
        let counts = vec![
            ("A".to_string(), 2, 100),
            ("B".to_string(), 3, 100),
            ("C".to_string(), 60, 100),
            ("D".to_string(), 1, 3),
        ];
        let figures = site_figures(&counts, 5);
        let flags: Vec<(&str, Option<&str>)> = figures
            .iter()
            .map(|f| (f.site.as_str(), f.deviates))
            .collect();
        assert_eq!(
            flags,
            [
                ("A", Some("lower")),
                ("B", Some("lower")),
                ("C", Some("higher")),
                ("D", None)
            ]
        );
        assert_eq!(figures[2].percent, Some(60.0));
    }
}
