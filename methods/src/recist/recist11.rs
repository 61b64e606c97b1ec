//! RECIST 1.1 rules as plain Rust: Eisenhauer EA, Therasse P, Bogaerts J, et
//! al. "New response evaluation criteria in solid tumours: Revised RECIST
//! guideline (version 1.1)". Eur J Cancer 2009;45:228-247,
//! doi:10.1016/j.ejca.2008.10.026. Section numbers below are the paper's.
//!
//! The SQL functions in this family are thin adapters over these.

use std::fmt;

/// RECIST specifies no rounding ("at least 30 %" means exactly -30.0 % is
/// PR), so boundaries are compared exactly, up to this relative tolerance
/// for the binary representation of decimal millimetres (70.1 is not
/// exactly representable).
const RELATIVE_TOLERANCE: f64 = 1e-9;

pub(super) fn at_least(value: f64, bound: f64) -> bool {
    value >= bound - RELATIVE_TOLERANCE * bound.abs().max(1.0)
}

fn at_most(value: f64, bound: f64) -> bool {
    value <= bound + RELATIVE_TOLERANCE * bound.abs().max(1.0)
}

/// Whether a lesion is a lymph node (measured by short axis) or not (longest diameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LesionKind {
    NonNodal,
    Nodal,
}

impl LesionKind {
    /// `'nodal'` / `'node'` / `'lymph node'`, or `'non-nodal'` / `'nonnodal'`, any case.
    pub fn parse(text: &str) -> Option<Self> {
        match text
            .trim()
            .to_ascii_lowercase()
            .replace(['_', ' '], "-")
            .as_str()
        {
            "nodal" | "node" | "lymph-node" => Some(LesionKind::Nodal),
            "non-nodal" | "nonnodal" | "extranodal" => Some(LesionKind::NonNodal),
            _ => None,
        }
    }
}

/// A lesion's class at baseline (§3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LesionClass {
    /// Can be a target lesion.
    Measurable,
    /// Followed as a non-target lesion.
    NonMeasurable,
    /// A lymph node with short axis under 10 mm: normal, neither recorded nor followed.
    NonPathological,
}

impl LesionClass {
    pub fn as_str(self) -> &'static str {
        match self {
            LesionClass::Measurable => "measurable",
            LesionClass::NonMeasurable => "non-measurable",
            LesionClass::NonPathological => "non-pathological",
        }
    }
}

/// §3.1.1: a non-nodal lesion is measurable with a longest diameter of at
/// least 10 mm on CT with slices of at most 5 mm, and at least twice the
/// slice thickness when slices are thicker (Appendix II); a lymph node is
/// pathological and measurable with a short axis of at least 15 mm,
/// pathological but non-measurable from 10 mm to under 15 mm, and normal
/// under 10 mm (§3.1.1, §3.1.2). `None` when the needed axis is missing.
pub fn lesion_class(
    kind: LesionKind,
    long_axis_mm: Option<f64>,
    short_axis_mm: Option<f64>,
    slice_thickness_mm: Option<f64>,
) -> Option<LesionClass> {
    match kind {
        LesionKind::NonNodal => {
            let long_axis = long_axis_mm?;
            let minimum = slice_thickness_mm.map_or(10.0, |t| (2.0 * t).max(10.0));
            Some(if at_least(long_axis, minimum) {
                LesionClass::Measurable
            } else {
                LesionClass::NonMeasurable
            })
        }
        LesionKind::Nodal => {
            let short_axis = short_axis_mm?;
            Some(if at_least(short_axis, 15.0) {
                LesionClass::Measurable
            } else if at_least(short_axis, 10.0) {
                LesionClass::NonMeasurable
            } else {
                LesionClass::NonPathological
            })
        }
    }
}

/// What a recorded lesion measurement means (Appendix I, "lesions that
/// become too small to measure", and the CDISC SDTM TR convention).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measurement {
    /// A number in mm, used as recorded even under 5 mm.
    Millimetres(f64),
    /// Present but too small to measure: the default value applies.
    TooSmallToMeasure,
    /// Disappeared: 0 mm.
    Disappeared,
    /// Not assessed at this time point.
    NotAssessed,
}

impl Measurement {
    /// Parses an original result as radiologists and SDTM TRORRES record
    /// it: a number, optionally with `mm` or `cm`; `TOO SMALL TO MEASURE`
    /// (or `TSTM`); `NOT PRESENT`, `ABSENT`, `DISAPPEARED`; `NOT ASSESSED`,
    /// `NOT EVALUABLE`, `NE`, `NOT DONE`, `UNK` or empty. Any case.
    pub fn parse(text: &str) -> Option<Self> {
        let upper = text.trim().to_ascii_uppercase();
        let words: Vec<&str> = upper
            .split(|c: char| c.is_whitespace() || c == '_' || c == '-')
            .filter(|w| !w.is_empty())
            .collect();
        match words.join(" ").as_str() {
            "TOO SMALL TO MEASURE" | "TSTM" => return Some(Measurement::TooSmallToMeasure),
            "NOT PRESENT" | "ABSENT" | "DISAPPEARED" => return Some(Measurement::Disappeared),
            "" | "NOT ASSESSED" | "NOT EVALUABLE" | "NE" | "NOT DONE" | "ND" | "UNK" => {
                return Some(Measurement::NotAssessed);
            }
            _ => {}
        }
        let (number, scale) = if let Some(n) = upper.strip_suffix("MM") {
            (n, 1.0)
        } else if let Some(n) = upper.strip_suffix("CM") {
            (n, 10.0)
        } else {
            (upper.as_str(), 1.0)
        };
        let value: f64 = number.trim().parse().ok()?;
        (value.is_finite() && value >= 0.0).then_some(Measurement::Millimetres(value * scale))
    }

    /// The value that enters the sum of diameters: the number recorded, the
    /// default `too_small_mm` (5 mm in RECIST 1.1) for a lesion too small to
    /// measure, 0 when it disappeared, `None` when not assessed.
    pub fn millimetres(self, too_small_mm: f64) -> Option<f64> {
        match self {
            Measurement::Millimetres(mm) => Some(mm),
            Measurement::TooSmallToMeasure => Some(too_small_mm),
            Measurement::Disappeared => Some(0.0),
            Measurement::NotAssessed => None,
        }
    }
}

/// A time-point response (§4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Response {
    /// Complete response.
    Cr,
    /// Partial response.
    Pr,
    /// Stable disease.
    Sd,
    /// Non-CR/non-PD: non-target disease only, neither gone nor progressing.
    NonCrNonPd,
    /// Progressive disease.
    Pd,
    /// Not evaluable.
    Ne,
}

/// A response category as the parsers compare it: upper case, letters and
/// digits only (`non-CR/non-PD` is `NONCRNONPD`).
pub(super) fn response_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

impl Response {
    pub fn as_str(self) -> &'static str {
        match self {
            Response::Cr => "CR",
            Response::Pr => "PR",
            Response::Sd => "SD",
            Response::NonCrNonPd => "NON-CR/NON-PD",
            Response::Pd => "PD",
            Response::Ne => "NE",
        }
    }

    /// `CR`, `PR`, `SD`, `PD`, `NE`, `NON-CR/NON-PD` (also `NON-CR NON-PD`,
    /// `NONCR/NONPD`), any case.
    pub fn parse(text: &str) -> Option<Self> {
        match response_key(text).as_str() {
            "CR" => Some(Response::Cr),
            "PR" => Some(Response::Pr),
            "SD" => Some(Response::Sd),
            "PD" => Some(Response::Pd),
            "NE" => Some(Response::Ne),
            "NONCRNONPD" => Some(Response::NonCrNonPd),
            _ => None,
        }
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One time point's target-lesion measurements, summarised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetAssessment {
    /// Baseline sum of diameters (longest diameters of non-nodal targets plus
    /// short axes of nodal targets), the reference for PR (§4.3.1).
    pub baseline_sum_mm: f64,
    /// Smallest sum on study before this time point, baseline included, the
    /// reference for PD (§4.3.1).
    pub nadir_sum_mm: f64,
    /// This time point's sum of the targets that were measured.
    pub current_sum_mm: f64,
    /// Every non-nodal target has disappeared (recorded 0 mm); true when
    /// there are no non-nodal targets.
    pub all_non_nodal_gone: bool,
    /// Every nodal target has a short axis under 10 mm; true when there are
    /// no nodal targets.
    pub all_nodes_under_10_mm: bool,
    /// Every target lesion was measured at this time point.
    pub complete: bool,
}

/// Target-lesion response at one time point (§4.3.1, with the missing-lesion
/// rule of §4.3.3 and its EORTC Q&A):
///
/// 1. CR: every non-nodal target gone and every nodal target under 10 mm
///    short axis; the sum need not be 0 (nodes keep their actual size);
/// 2. PD: the sum grew by at least 20 % and at least 5 mm over the nadir,
///    checked before anything else so a missing lesion cannot hide it;
/// 3. NE: a target was not measured and PD does not hold anyway;
/// 4. PR: the sum fell by at least 30 % from baseline;
/// 5. SD otherwise.
pub fn target_response(t: &TargetAssessment) -> Response {
    if t.all_non_nodal_gone && t.all_nodes_under_10_mm && t.complete {
        return Response::Cr;
    }
    let growth = t.current_sum_mm - t.nadir_sum_mm;
    if at_least(growth, 5.0) && at_least(t.current_sum_mm, 1.2 * t.nadir_sum_mm) {
        return Response::Pd;
    }
    if !t.complete {
        return Response::Ne;
    }
    if at_most(t.current_sum_mm, 0.7 * t.baseline_sum_mm) {
        return Response::Pr;
    }
    Response::Sd
}

/// Non-target response (§4.3.2) as the assessor records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonTargetResponse {
    /// All non-target lesions gone, nodes under 10 mm, markers normal.
    Cr,
    /// Persisting non-target disease.
    NonCrNonPd,
    /// Unequivocal progression.
    Pd,
    /// Not all non-target lesions evaluated.
    Ne,
}

impl NonTargetResponse {
    pub fn parse(text: &str) -> Option<Self> {
        match Response::parse(text)? {
            Response::Cr => Some(NonTargetResponse::Cr),
            Response::NonCrNonPd => Some(NonTargetResponse::NonCrNonPd),
            Response::Pd => Some(NonTargetResponse::Pd),
            Response::Ne => Some(NonTargetResponse::Ne),
            Response::Pr | Response::Sd => None,
        }
    }
}

/// Overall time-point response (§4.4.1).
///
/// With target disease (Table 1): PD whenever targets or non-targets are PD
/// or a new lesion appears; otherwise CR needs target CR and non-target CR
/// (or no non-target disease at baseline, `non_target = None`); target CR
/// with non-target non-CR/non-PD or not evaluated is PR; target PR is PR,
/// target SD is SD, target NE is NE.
///
/// Without target disease (`target = None`, Table 2): PD on non-target PD
/// or a new lesion; otherwise the non-target response (CR, NON-CR/NON-PD,
/// NE). `None` when there is neither target nor non-target disease.
pub fn overall_response(
    target: Option<Response>,
    non_target: Option<NonTargetResponse>,
    new_lesions: bool,
) -> Option<Response> {
    if new_lesions || target == Some(Response::Pd) || non_target == Some(NonTargetResponse::Pd) {
        return Some(Response::Pd);
    }
    Some(match (target, non_target) {
        (Some(Response::Cr), None | Some(NonTargetResponse::Cr)) => Response::Cr,
        (Some(Response::Cr), Some(_)) => Response::Pr,
        (Some(target), _) => target,
        (None, Some(NonTargetResponse::Cr)) => Response::Cr,
        (None, Some(NonTargetResponse::NonCrNonPd)) => Response::NonCrNonPd,
        (None, Some(NonTargetResponse::Ne)) => Response::Ne,
        (None, Some(NonTargetResponse::Pd)) => Response::Pd,
        (None, None) => return None,
    })
}

/// Reappearance after a complete response (§4.4.2, Table 3 note (a), and
/// the EORTC RECIST Q&A "Does a new lesion always result in PD?"): when the
/// previous overall response was CR, any disease seen again is PD, even
/// disease that would be PR or SD against the baseline. A later NE stays
/// NE, a later CR stays CR.
pub fn after_complete_response(previous: Option<Response>, current: Response) -> Response {
    match (previous, current) {
        (Some(Response::Cr), Response::Pr | Response::Sd | Response::NonCrNonPd) => Response::Pd,
        _ => current,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(baseline: f64, nadir: f64, current: f64) -> Response {
        target_response(&TargetAssessment {
            baseline_sum_mm: baseline,
            nadir_sum_mm: nadir,
            current_sum_mm: current,
            all_non_nodal_gone: false,
            all_nodes_under_10_mm: true,
            complete: true,
        })
    }

    /// The test vectors of the domain notes, §1.9.
    #[test]
    fn target_response_test_vectors() {
        assert_eq!(target(100.0, 100.0, 70.0), Response::Pr, "exactly -30 %");
        assert_eq!(target(100.0, 100.0, 70.1), Response::Sd);
        assert_eq!(target(100.0, 60.0, 72.0), Response::Pd, "+12 mm, +20 %");
        assert_eq!(target(100.0, 60.0, 71.9), Response::Sd, "+19.8 %: not PD");
        assert_eq!(target(20.0, 20.0, 24.0), Response::Sd, "+20 % but +4 mm");
        assert_eq!(target(20.0, 20.0, 25.0), Response::Pd, "+25 %, +5 mm");
        // A single nodal target shrinking to 9 mm short axis: CR with a sum of 9 mm.
        let node = TargetAssessment {
            baseline_sum_mm: 18.0,
            nadir_sum_mm: 18.0,
            current_sum_mm: 9.0,
            all_non_nodal_gone: true,
            all_nodes_under_10_mm: true,
            complete: true,
        };
        assert_eq!(target_response(&node), Response::Cr);
        // Three lesions summing 50 at baseline, one missing at follow-up.
        let missing = |current| TargetAssessment {
            baseline_sum_mm: 50.0,
            nadir_sum_mm: 50.0,
            current_sum_mm: current,
            all_non_nodal_gone: false,
            all_nodes_under_10_mm: true,
            complete: false,
        };
        assert_eq!(
            target_response(&missing(80.0)),
            Response::Pd,
            "PD holds anyway"
        );
        assert_eq!(target_response(&missing(30.0)), Response::Ne);
    }

    #[test]
    fn pd_before_pr_and_a_nadir_of_zero() {
        // +50 % from the nadir of 40, -40 % from baseline: PD (checked first).
        assert_eq!(target(100.0, 40.0, 60.0), Response::Pd);
        // After a non-nodal CR the nadir is 0: any growth of 5 mm is PD.
        assert_eq!(target(30.0, 0.0, 5.0), Response::Pd);
        assert_eq!(target(30.0, 0.0, 4.9), Response::Pr);
    }

    #[test]
    fn a_larger_current_sum_never_gives_a_better_response() {
        let rank = |r: Response| match r {
            Response::Cr => 0,
            Response::Pr => 1,
            Response::Sd => 2,
            _ => 3,
        };
        for baseline in [10.0, 33.3, 50.0, 100.0, 250.0] {
            for nadir_share in [0.0, 0.4, 0.8, 1.0] {
                let nadir: f64 = baseline * nadir_share;
                let mut previous = 0;
                for step in 0..=400 {
                    let current = step as f64 * baseline / 100.0;
                    let now = rank(target(baseline, nadir, current));
                    assert!(now >= previous, "B={baseline} N={nadir} C={current}");
                    previous = now;
                }
            }
        }
    }

    #[test]
    fn lesion_classes() {
        use LesionClass::*;
        let non_nodal = |ld, slice| lesion_class(LesionKind::NonNodal, Some(ld), None, slice);
        assert_eq!(non_nodal(10.0, Some(5.0)), Some(Measurable));
        assert_eq!(non_nodal(9.9, Some(5.0)), Some(NonMeasurable));
        assert_eq!(non_nodal(10.0, None), Some(Measurable));
        // 8 mm slices: at least 16 mm.
        assert_eq!(non_nodal(15.9, Some(8.0)), Some(NonMeasurable));
        assert_eq!(non_nodal(16.0, Some(8.0)), Some(Measurable));
        let node = |sa| lesion_class(LesionKind::Nodal, None, Some(sa), Some(5.0));
        assert_eq!(node(15.0), Some(Measurable));
        assert_eq!(node(14.9), Some(NonMeasurable));
        assert_eq!(node(10.0), Some(NonMeasurable));
        assert_eq!(node(9.9), Some(NonPathological));
        assert_eq!(
            lesion_class(LesionKind::Nodal, Some(30.0), None, None),
            None
        );
    }

    /// RECIST 1.1 Table 1 and Table 2, row by row.
    #[test]
    fn overall_response_tables() {
        use NonTargetResponse as N;
        use Response::*;
        let table_1 = [
            (Cr, Some(N::Cr), false, Cr),
            (Cr, None, false, Cr),
            (Cr, Some(N::NonCrNonPd), false, Pr),
            (Cr, Some(N::Ne), false, Pr),
            (Pr, Some(N::NonCrNonPd), false, Pr),
            (Pr, Some(N::Ne), false, Pr),
            (Sd, Some(N::NonCrNonPd), false, Sd),
            (Sd, Some(N::Ne), false, Sd),
            (Ne, Some(N::NonCrNonPd), false, Ne),
            (Pd, Some(N::Cr), false, Pd),
            (Pr, Some(N::Pd), false, Pd),
            (Cr, Some(N::Cr), true, Pd),
            (Ne, Some(N::Pd), false, Pd),
        ];
        for (t, nt, new, expected) in table_1 {
            assert_eq!(
                overall_response(Some(t), nt, new),
                Some(expected),
                "{t} {nt:?} {new}"
            );
        }
        let table_2 = [
            (N::Cr, false, Cr),
            (N::NonCrNonPd, false, NonCrNonPd),
            (N::Ne, false, Ne),
            (N::Pd, false, Pd),
            (N::Cr, true, Pd),
        ];
        for (nt, new, expected) in table_2 {
            assert_eq!(overall_response(None, Some(nt), new), Some(expected));
        }
        assert_eq!(overall_response(None, None, false), None);
        assert_eq!(overall_response(None, None, true), Some(Pd));
    }

    #[test]
    fn too_small_to_measure_and_disappeared() {
        let mm = |text: &str| Measurement::parse(text).map(|m| m.millimetres(5.0));
        assert_eq!(mm("TOO SMALL TO MEASURE"), Some(Some(5.0)));
        assert_eq!(mm("too_small_to_measure"), Some(Some(5.0)));
        assert_eq!(mm("TSTM"), Some(Some(5.0)));
        // A recorded number is used even under 5 mm.
        assert_eq!(mm("3"), Some(Some(3.0)));
        assert_eq!(mm(" 12.5 mm"), Some(Some(12.5)));
        assert_eq!(mm("1.2cm"), Some(Some(12.0)));
        assert_eq!(mm("NOT PRESENT"), Some(Some(0.0)));
        assert_eq!(mm("0"), Some(Some(0.0)));
        assert_eq!(mm("NOT ASSESSED"), Some(None));
        assert_eq!(mm(""), Some(None));
        assert_eq!(mm("-3"), None);
        assert_eq!(mm("large"), None);
        assert_eq!(mm("NaN"), None);
    }

    #[test]
    fn disease_after_a_complete_response_is_progression() {
        use Response::*;
        for reappeared in [Pr, Sd, NonCrNonPd] {
            assert_eq!(after_complete_response(Some(Cr), reappeared), Pd);
            assert_eq!(after_complete_response(Some(Pr), reappeared), reappeared);
            assert_eq!(after_complete_response(None, reappeared), reappeared);
        }
        assert_eq!(after_complete_response(Some(Cr), Cr), Cr);
        assert_eq!(after_complete_response(Some(Cr), Ne), Ne);
    }
}

/// How best overall response is derived (§4.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BestResponseRules {
    /// CR and PR need a confirming assessment (non-randomised trials whose
    /// primary endpoint is response, §4.4.2, Table 3).
    pub confirm: bool,
    /// Days after the first CR or PR a confirming assessment may come at
    /// the earliest: "no less than 4 weeks" (§4.4.2).
    pub confirm_days: i64,
    /// Days after the reference date (treatment start or randomisation)
    /// before SD or NON-CR/NON-PD counts: the protocol's minimum duration of
    /// SD, "in general not less than 6-8 weeks" (§4.4.2).
    pub min_sd_days: i64,
    /// NE assessments allowed between a response and its confirmation.
    pub max_ne_between: usize,
}

impl Default for BestResponseRules {
    fn default() -> Self {
        Self {
            confirm: false,
            confirm_days: 28,
            min_sd_days: 42,
            max_ne_between: 1,
        }
    }
}

/// Best overall response from the time-point responses, as days since any
/// fixed epoch (§4.4.2), with the operational confirmation rules of
/// pharmaverse admiralonco's `derive_param_confirmed_bor`:
///
/// - only assessments up to and including the first PD count;
/// - SD and NON-CR/NON-PD count only from `min_sd_days` after `reference_day`
///   (earlier ones are NE);
/// - with confirmation, CR is confirmed by a later CR at least
///   `confirm_days` after it with only CR or NE between; PR by a later CR or
///   PR at least `confirm_days` after it with only CR, PR or NE between and
///   no PR after a CR; at most `max_ne_between` NEs between. An unconfirmed
///   CR or PR counts as SD (Table 3);
/// - the best is CR > PR > SD > NON-CR/NON-PD > PD > NE, ties to the earliest.
///
/// Returns the best response and its day; `None` without assessments.
pub fn best_overall_response(
    reference_day: i64,
    assessments: &[(i64, Response)],
    rules: &BestResponseRules,
) -> Option<(Response, i64)> {
    let mut ordered: Vec<(i64, Response)> = assessments.to_vec();
    ordered.sort_by_key(|(day, response)| (*day, *response));
    if let Some(first_pd) = ordered.iter().position(|(_, r)| *r == Response::Pd) {
        ordered.truncate(first_pd + 1);
    }
    let windowed = |day: i64, response: Response| match response {
        Response::Sd | Response::NonCrNonPd if day < reference_day + rules.min_sd_days => {
            Response::Ne
        }
        other => other,
    };
    let confirmed = |index: usize| -> bool {
        let (day, response) = ordered[index];
        let acceptable_between: &[Response] = match response {
            Response::Cr => &[Response::Cr, Response::Ne],
            _ => &[Response::Cr, Response::Pr, Response::Ne],
        };
        let mut seen_cr = false;
        let mut nes = 0;
        for &(later_day, later) in &ordered[index + 1..] {
            let confirms = match response {
                Response::Cr => later == Response::Cr,
                _ => {
                    matches!(later, Response::Cr | Response::Pr)
                        && !(seen_cr && later == Response::Pr)
                }
            };
            if later_day >= day + rules.confirm_days && confirms {
                return nes <= rules.max_ne_between;
            }
            if !acceptable_between.contains(&later) || (seen_cr && later == Response::Pr) {
                return false;
            }
            seen_cr |= later == Response::Cr;
            nes += usize::from(later == Response::Ne);
        }
        false
    };
    (0..ordered.len())
        .map(|index| {
            let (day, response) = ordered[index];
            let counted = match response {
                Response::Cr | Response::Pr if rules.confirm && !confirmed(index) => {
                    windowed(day, Response::Sd)
                }
                other => windowed(day, other),
            };
            (counted, day)
        })
        .min_by_key(|(response, day)| (*response, *day))
}

#[cfg(test)]
mod best_response_tests {
    use super::Response::*;
    use super::*;

    fn bor(assessments: &[(i64, Response)], confirm: bool) -> Option<Response> {
        let rules = BestResponseRules {
            confirm,
            ..BestResponseRules::default()
        };
        best_overall_response(0, assessments, &rules).map(|(r, _)| r)
    }

    #[test]
    fn without_confirmation() {
        // SD, then PR, then PD: PR.
        assert_eq!(bor(&[(56, Sd), (112, Pr), (168, Pd)], false), Some(Pr));
        // The only SD too early to count, then PD: PD; then nothing: NE.
        assert_eq!(bor(&[(21, Sd), (84, Pd)], false), Some(Pd));
        assert_eq!(bor(&[(21, Sd)], false), Some(Ne));
        // Assessments after the first PD do not count.
        assert_eq!(bor(&[(56, Pd), (112, Cr)], false), Some(Pd));
        assert_eq!(bor(&[], false), None);
    }

    /// RECIST 1.1 Table 3 (confirmation required), first and subsequent
    /// time point, with the minimum SD duration met (first at day 56) or not
    /// (first at day 14, subsequent before day 42).
    #[test]
    fn table_3_with_confirmation() {
        let met = |first, next| bor(&[(56, first), (112, next)], true);
        let not_met = |first, next| bor(&[(14, first), (35, next)], true);
        assert_eq!(met(Cr, Cr), Some(Cr));
        assert_eq!(met(Cr, Sd), Some(Sd));
        assert_eq!(not_met(Cr, Pd), Some(Pd));
        assert_eq!(met(Cr, Pd), Some(Sd));
        assert_eq!(met(Cr, Ne), Some(Sd));
        assert_eq!(not_met(Cr, Ne), Some(Ne));
        assert_eq!(met(Pr, Cr), Some(Pr));
        assert_eq!(met(Pr, Pr), Some(Pr));
        assert_eq!(met(Pr, Sd), Some(Sd));
        assert_eq!(met(Pr, Pd), Some(Sd));
        assert_eq!(not_met(Pr, Pd), Some(Pd));
        assert_eq!(met(Pr, Ne), Some(Sd));
        assert_eq!(met(Ne, Ne), Some(Ne));
        // Confirmation needs 28 days: a CR 21 days later does not confirm.
        assert_eq!(bor(&[(56, Cr), (77, Cr)], true), Some(Sd));
        // One NE between is allowed, two are not.
        assert_eq!(bor(&[(56, Pr), (84, Ne), (112, Pr)], true), Some(Pr));
        assert_eq!(
            bor(&[(56, Pr), (70, Ne), (84, Ne), (112, Pr)], true),
            Some(Sd)
        );
        // An SD between a PR and its would-be confirmation breaks it.
        assert_eq!(bor(&[(56, Pr), (84, Sd), (112, Pr)], true), Some(Sd));
    }

    #[test]
    fn order_of_rows_never_matters() {
        let rows = [(56, Pr), (112, Cr), (168, Cr), (224, Pd), (20, Sd)];
        let expected = bor(&rows, true);
        let mut shuffled = rows;
        for rotation in 0..rows.len() {
            shuffled.rotate_left(1);
            assert_eq!(bor(&shuffled, true), expected, "rotation {rotation}");
            let mut reversed = shuffled;
            reversed.reverse();
            assert_eq!(bor(&reversed, true), expected);
        }
        assert_eq!(expected, Some(Cr));
    }
}

/// A measurable baseline lesion offered as a target.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetCandidate {
    pub lesion_id: String,
    pub organ: String,
    pub kind: LesionKind,
    /// Longest diameter (non-nodal) or short axis (nodal), mm.
    pub size_mm: f64,
}

/// At most this many targets in all (§4.2)...
pub const MAX_TARGETS: usize = 5;
/// ...and per organ.
pub const MAX_TARGETS_PER_ORGAN: usize = 2;

/// Baseline target selection (§4.2 and the EORTC RECIST Q&A): the largest
/// lesions first, at most 5 in all and 2 per organ, lymph nodes of any
/// station counting as one organ ("nodes are considered to be one organ").
/// Organ names are compared case-insensitively; ties in size go to the
/// smaller lesion id so the choice is repeatable. Returns lesion ids in
/// selection order.
pub fn select_targets(candidates: &[TargetCandidate]) -> Vec<String> {
    let organ_key = |c: &TargetCandidate| match c.kind {
        LesionKind::Nodal => "\u{0}lymph nodes".to_string(),
        LesionKind::NonNodal => c.organ.trim().to_lowercase(),
    };
    let mut ordered: Vec<&TargetCandidate> = candidates.iter().collect();
    ordered.sort_by(|a, b| {
        b.size_mm
            .total_cmp(&a.size_mm)
            .then_with(|| a.lesion_id.cmp(&b.lesion_id))
    });
    let mut per_organ: std::collections::HashMap<String, usize> = Default::default();
    let mut selected = Vec::new();
    for candidate in ordered {
        if selected.len() == MAX_TARGETS {
            break;
        }
        let count = per_organ.entry(organ_key(candidate)).or_default();
        if *count < MAX_TARGETS_PER_ORGAN {
            *count += 1;
            selected.push(candidate.lesion_id.clone());
        }
    }
    selected
}

#[cfg(test)]
mod selection_tests {
    use super::*;

    fn lesion(id: &str, organ: &str, kind: LesionKind, size: f64) -> TargetCandidate {
        TargetCandidate {
            lesion_id: id.to_string(),
            organ: organ.to_string(),
            kind,
            size_mm: size,
        }
    }

    #[test]
    fn five_in_all_two_per_organ_nodes_one_organ() {
        use LesionKind::*;
        let lesions = [
            lesion("L1", "liver", NonNodal, 50.0),
            lesion("L2", "Liver", NonNodal, 45.0),
            lesion("L3", "liver", NonNodal, 40.0),
            lesion("N1", "mediastinal node", Nodal, 30.0),
            lesion("N2", "axillary node", Nodal, 25.0),
            lesion("N3", "inguinal node", Nodal, 20.0),
            lesion("P1", "lung", NonNodal, 15.0),
            lesion("P2", "lung", NonNodal, 12.0),
            lesion("B1", "adrenal", NonNodal, 11.0),
        ];
        // Liver 2 (L3 left out), nodes 2 (N3 left out), lung P1: five.
        assert_eq!(select_targets(&lesions), ["L1", "L2", "N1", "N2", "P1"]);
        // One organ: at most 2.
        assert_eq!(select_targets(&lesions[..3]), ["L1", "L2"]);
        // Input order does not matter.
        let mut reversed = lesions.to_vec();
        reversed.reverse();
        assert_eq!(select_targets(&reversed), select_targets(&lesions));
    }
}

/// Dates that bound a response (§4.4.3), as days since a fixed epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseDates {
    /// First time point meeting CR or PR criteria.
    pub first_response_day: Option<i64>,
    /// First time point of PD.
    pub first_progression_day: Option<i64>,
    /// Duration of response: "from the time measurement criteria are first
    /// met for CR/PR until the first date that recurrent or progressive
    /// disease is objectively documented" (§4.4.3); `None` while the
    /// response lasts (censored) or without a response.
    pub duration_of_response_days: Option<i64>,
}

/// First response, first progression and duration of response of a
/// patient's time points, in any order.
pub fn response_dates(assessments: &[(i64, Response)]) -> ResponseDates {
    let first = |wanted: &dyn Fn(Response) -> bool| {
        assessments
            .iter()
            .filter(|(_, r)| wanted(*r))
            .map(|(day, _)| *day)
            .min()
    };
    let first_progression_day = first(&|r| r == Response::Pd);
    let first_response_day = first(&|r| matches!(r, Response::Cr | Response::Pr))
        .filter(|day| first_progression_day.is_none_or(|pd| *day < pd));
    ResponseDates {
        first_response_day,
        first_progression_day,
        duration_of_response_days: first_response_day
            .zip(first_progression_day)
            .map(|(response, progression)| progression - response),
    }
}

#[cfg(test)]
mod response_dates_tests {
    use super::Response::*;
    use super::*;

    #[test]
    fn duration_of_response() {
        let dates = response_dates(&[(168, Pd), (56, Sd), (112, Pr), (140, Cr)]);
        assert_eq!(dates.first_response_day, Some(112));
        assert_eq!(dates.first_progression_day, Some(168));
        assert_eq!(dates.duration_of_response_days, Some(56));
        // Ongoing response: censored.
        let ongoing = response_dates(&[(56, Pr), (112, Pr)]);
        assert_eq!(ongoing.duration_of_response_days, None);
        // A "response" after progression is not one.
        let late = response_dates(&[(56, Pd), (112, Pr)]);
        assert_eq!(late.first_response_day, None);
        assert_eq!(late.first_progression_day, Some(56));
    }
}
