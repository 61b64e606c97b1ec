//! From checks to verdicts: per requirement, then for the dataset.
//!
//! The rule, for each of the five requirements (a profile decides which
//! checks are essential: by default those of essential elements and
//! imaging, the RECIST, amyloid and cardiac structure, names left in
//! headers, the stated context of use and the sample size; its `[verdict]`
//! table re-ranks any check):
//!
//! 1. **NOT FIT** when an essential check failed;
//! 2. else **NOT ASSESSABLE** when an essential check could not be assessed
//!    (not assessable, insufficient N, error), or no check of the
//!    requirement could;
//! 3. else **FIT WITH CAVEATS** when a supplemental check failed or could
//!    not be assessed (one that ran and found nothing to check, DQD's "not
//!    applicable", is no caveat);
//! 4. else **FIT**.
//!
//! The dataset takes the worst of its requirements, in that order. Each
//! verdict names the checks that decided it.

use serde::Serialize;

use crate::check::{CheckResult, Status};
use crate::profile::Rank;
use crate::requirement::Requirement;

/// A verdict, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Verdict {
    #[serde(rename = "NOT FIT")]
    NotFit,
    #[serde(rename = "NOT ASSESSABLE")]
    NotAssessable,
    #[serde(rename = "FIT WITH CAVEATS")]
    FitWithCaveats,
    #[serde(rename = "FIT")]
    Fit,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::NotFit => "NOT FIT",
            Verdict::NotAssessable => "NOT ASSESSABLE",
            Verdict::FitWithCaveats => "FIT WITH CAVEATS",
            Verdict::Fit => "FIT",
        }
    }
}

/// One requirement's verdict and the checks that decided it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequirementVerdict {
    pub requirement: Requirement,
    pub verdict: Verdict,
    pub decided_by: Vec<String>,
    /// Checks of the requirement by status: passed, failed, not
    /// assessable, insufficient N, error.
    pub passed: usize,
    pub failed: usize,
    pub not_assessable: usize,
    pub insufficient_n: usize,
    pub error: usize,
}

/// The dataset's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetVerdict {
    pub verdict: Verdict,
    /// The requirements that decided it.
    pub decided_by: Vec<Requirement>,
    pub requirements: Vec<RequirementVerdict>,
}

fn unassessed(status: Status) -> bool {
    matches!(
        status,
        Status::NotAssessable | Status::InsufficientN | Status::Error
    )
}

/// The verdict of `requirement` from its checks among `results`.
pub fn requirement_verdict(
    requirement: Requirement,
    results: &[CheckResult],
) -> RequirementVerdict {
    let checks: Vec<&CheckResult> = results
        .iter()
        .filter(|r| r.requirement == requirement)
        .collect();
    let ids = |keep: &dyn Fn(&CheckResult) -> bool| -> Vec<String> {
        checks
            .iter()
            .filter(|r| keep(r))
            .map(|r| r.id.clone())
            .collect()
    };
    let essential = |r: &CheckResult| r.rank == Rank::Essential;
    let essential_failed = ids(&|r| essential(r) && r.status == Status::Failed);
    let essential_unassessed = ids(&|r| essential(r) && unassessed(r.status));
    // A supplemental check that found nothing to check (no deaths to test
    // dates against) is no caveat.
    let supplemental_flagged = ids(&|r| {
        !essential(r)
            && (r.status == Status::Failed || (unassessed(r.status) && !r.nothing_to_check))
    });
    let assessed = checks
        .iter()
        .any(|r| matches!(r.status, Status::Passed | Status::Failed));
    let (verdict, decided_by) = if !essential_failed.is_empty() {
        (Verdict::NotFit, essential_failed)
    } else if !essential_unassessed.is_empty() {
        (Verdict::NotAssessable, essential_unassessed)
    } else if !assessed {
        (Verdict::NotAssessable, ids(&|_| true))
    } else if !supplemental_flagged.is_empty() {
        (Verdict::FitWithCaveats, supplemental_flagged)
    } else {
        (Verdict::Fit, Vec::new())
    };
    let count = |status: Status| checks.iter().filter(|r| r.status == status).count();
    RequirementVerdict {
        requirement,
        verdict,
        decided_by,
        passed: count(Status::Passed),
        failed: count(Status::Failed),
        not_assessable: count(Status::NotAssessable),
        insufficient_n: count(Status::InsufficientN),
        error: count(Status::Error),
    }
}

/// Every requirement's verdict, and the dataset's.
pub fn dataset_verdict(results: &[CheckResult]) -> DatasetVerdict {
    let requirements: Vec<RequirementVerdict> = Requirement::ALL
        .iter()
        .map(|r| requirement_verdict(*r, results))
        .collect();
    let verdict = requirements
        .iter()
        .map(|r| r.verdict)
        .min()
        .unwrap_or(Verdict::NotAssessable);
    let decided_by = if verdict == Verdict::Fit {
        Vec::new()
    } else {
        requirements
            .iter()
            .filter(|r| r.verdict == verdict)
            .map(|r| r.requirement)
            .collect()
    };
    DatasetVerdict {
        verdict,
        decided_by,
        requirements,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{CheckSpec, Measure};
    use crate::requirement::{EmaDimension, FdaAspect, Kahn};

    fn result(id: &str, requirement: Requirement, rank: Rank, status: Status) -> CheckResult {
        let spec = CheckSpec {
            id: id.into(),
            requirement,
            kahn: Kahn::Completeness,
            fda: FdaAspect::DataQuality,
            ema: EmaDimension::Extensiveness,
            description: String::new(),
            rank,
            element: None,
            threshold_percent: 0.0,
            min_units: None,
            measure: Measure::Stated {
                violating: vec![],
                total: 1,
            },
        };
        CheckResult {
            status,
            ..CheckResult::of(&spec)
        }
    }

    #[test]
    fn the_rule_in_order() {
        use Rank::*;
        use Requirement::*;
        use Status::*;
        let results = vec![
            result("a", Validation, Essential, Failed),
            result("b", Validation, Essential, Error),
            result("c", RelevanceReliability, Essential, InsufficientN),
            result("d", RelevanceReliability, Supplemental, Failed),
            result("e", StandardizationVariability, Essential, Passed),
            result("f", StandardizationVariability, Supplemental, NotAssessable),
            result("g", AccuracyCompleteness, Essential, Passed),
            result("h", RegulatoryAlignment, Supplemental, NotAssessable),
        ];
        let dataset = dataset_verdict(&results);
        let verdicts: Vec<(Verdict, Vec<String>)> = dataset
            .requirements
            .iter()
            .map(|r| (r.verdict, r.decided_by.clone()))
            .collect();
        assert_eq!(
            verdicts,
            vec![
                (Verdict::NotFit, vec!["a".to_string()]),
                (Verdict::NotAssessable, vec!["c".to_string()]),
                (Verdict::FitWithCaveats, vec!["f".to_string()]),
                (Verdict::Fit, vec![]),
                (Verdict::NotAssessable, vec!["h".to_string()]),
            ]
        );
        assert_eq!(dataset.verdict, Verdict::NotFit);
        assert_eq!(dataset.decided_by, vec![Validation]);
    }

    #[test]
    fn nothing_checked_is_not_assessable() {
        let dataset = dataset_verdict(&[]);
        assert_eq!(dataset.verdict, Verdict::NotAssessable);
    }
}
