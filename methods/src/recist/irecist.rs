//! iRECIST rules as plain Rust: Seymour L, Bogaerts J, Perrone A, et al.
//! "iRECIST: guidelines for response criteria for use in trials testing
//! immunotherapeutics". Lancet Oncol 2017;18:e143-e152,
//! doi:10.1016/S1470-2045(17)30074-8 (PMC5648544), with the EORTC RECIST
//! working group's iRECIST FAQ (recist.eortc.org/irecist) where the paper
//! leaves a case open. Table numbers below are the paper's.
//!
//! Baseline, measurement, and the CR/PR/SD/PD thresholds are RECIST 1.1's
//! (`rules.rs`); what iRECIST adds is that the first progression is only
//! *unconfirmed* (iUPD) and must be confirmed (iCPD) at a later assessment,
//! and that a later iSD, iPR or iCR "resets the bar".

use std::fmt;

use super::recist11::{
    NonTargetResponse, Response, after_complete_response, at_least, overall_response,
};

/// An iRECIST time-point response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IResponse {
    /// iCR: complete response.
    Cr,
    /// iPR: partial response.
    Pr,
    /// iSD: stable disease.
    Sd,
    /// Non-iCR/non-iUPD: non-target disease only, neither gone nor progressing.
    NonCrNonUpd,
    /// iCPD: confirmed progression.
    Cpd,
    /// iUPD: unconfirmed progression.
    Upd,
    /// NE: not evaluable.
    Ne,
}

impl IResponse {
    pub fn as_str(self) -> &'static str {
        match self {
            IResponse::Cr => "iCR",
            IResponse::Pr => "iPR",
            IResponse::Sd => "iSD",
            IResponse::NonCrNonUpd => "NON-iCR/NON-iUPD",
            IResponse::Cpd => "iCPD",
            IResponse::Upd => "iUPD",
            IResponse::Ne => "NE",
        }
    }

    /// `iCR`, `iPR`, `iSD`, `NON-iCR/NON-iUPD` (or `iNN`), `iUPD`, `iCPD`,
    /// `NE`, any case, with or without the `i`.
    pub fn parse(text: &str) -> Option<Self> {
        let normalized = super::recist11::response_key(text);
        let without_i = |s: &str| s.replace("ICR", "CR").replace("IUPD", "UPD");
        match without_i(normalized.strip_prefix('I').unwrap_or(&normalized)).as_str() {
            "CR" => Some(IResponse::Cr),
            "PR" => Some(IResponse::Pr),
            "SD" => Some(IResponse::Sd),
            "NONCRNONUPD" | "NN" => Some(IResponse::NonCrNonUpd),
            "UPD" => Some(IResponse::Upd),
            "CPD" => Some(IResponse::Cpd),
            "NE" => Some(IResponse::Ne),
            _ => None,
        }
    }

    /// The iRECIST counterpart of a RECIST 1.1 time-point response that is
    /// not progression.
    fn from_recist(response: Response) -> Self {
        match response {
            Response::Cr => IResponse::Cr,
            Response::Pr => IResponse::Pr,
            Response::Sd => IResponse::Sd,
            Response::NonCrNonPd => IResponse::NonCrNonUpd,
            Response::Pd => IResponse::Upd,
            Response::Ne => IResponse::Ne,
        }
    }
}

impl fmt::Display for IResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One assessment, as iRECIST needs it. The target and non-target
/// responses are RECIST 1.1's against baseline and nadir (`rules.rs`); the
/// rest describes what changed, which iRECIST needs to confirm progression.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ITimePoint {
    /// Days since any fixed epoch.
    pub day: i64,
    /// RECIST 1.1 target response; `None` without target disease.
    pub target: Option<Response>,
    /// Non-target response; `None` without non-target disease.
    pub non_target: Option<NonTargetResponse>,
    /// Sum of target diameters.
    pub target_sum_mm: Option<f64>,
    /// Non-target disease increased further since the last assessment (the
    /// FAQ's INCLA); it need not be unequivocal.
    pub non_target_increase: bool,
    /// Number of new lesions present (new-lesion targets and non-targets).
    pub new_lesions: u32,
    /// Sum of measures of the new-lesion targets (NLT), kept apart from
    /// the target sum.
    pub new_lesion_sum_mm: Option<f64>,
    /// A new non-target lesion (NLNT) increased since the last assessment.
    pub new_lesion_increase: bool,
}

/// How iRECIST time points are derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IRecistRules {
    /// Days after the first iUPD before an assessment may confirm it: the
    /// paper's "4-8 weeks". The FAQ: earlier scans are disregarded unless
    /// they show an additional new lesion.
    pub confirm_min_days: i64,
}

impl Default for IRecistRules {
    fn default() -> Self {
        Self {
            confirm_min_days: 28,
        }
    }
}

/// What was seen when progression was first recorded: the bar later
/// assessments are measured against. "Sequential increases are additive"
/// (FAQ), so growth is measured from here, not from the last assessment.
#[derive(Debug, Clone, Copy)]
struct Unconfirmed {
    day: i64,
    by_target: bool,
    by_non_target: bool,
    by_new_lesions: bool,
    target_sum_mm: Option<f64>,
    new_lesions: u32,
    new_lesion_sum_mm: Option<f64>,
}

enum State {
    /// No progression pending: RECIST 1.1 applies, a PD is iUPD.
    Open,
    Unconfirmed(Unconfirmed),
    /// iCPD is final: later assessments stay iCPD.
    Confirmed,
}

/// At least `mm` larger than `reference` (both known).
fn grew_by(now: Option<f64>, reference: Option<f64>, mm: f64) -> bool {
    matches!((now, reference), (Some(now), Some(reference)) if at_least(now - reference, mm))
}

/// iRECIST time-point responses of one patient's assessments (Table 2 and
/// §"Confirming progression"), returned in the order given; the
/// assessments are taken in date order whatever order they come in.
///
/// 1. Without pending progression, the RECIST 1.1 overall response
///    (Tables 1 and 2, disease seen again after iCR being progression) with
///    an "i"; PD becomes iUPD, and which categories progressed (target,
///    non-target, new lesions) is remembered with the target sum, the number
///    of new lesions and their sum of measures.
/// 2. After iUPD, an assessment confirms it (iCPD) when
///    - a further new lesion appears (on any scan: the FAQ's exception for
///      an early scan showing an additional new lesion), or, from
///      `confirm_min_days` after the iUPD,
///    - the target sum grew by at least 5 mm over the sum at iUPD, when
///      targets progressed (the paper prints ">5 mm" once and "≥5 mm"
///      elsewhere; the FAQ says "5mm or more", used here);
///    - non-target disease increased further, when it progressed;
///    - the new-lesion targets' sum of measures grew by at least 5 mm or a
///      new non-target lesion grew, when new lesions caused the iUPD;
///    - a category that had not progressed now meets RECIST 1.1 PD (FAQ:
///      "'new' progression in other disease categories ... can also
///      confirm progression").
/// 3. Otherwise earlier scans stay iUPD (disregarded); later ones reset the
///    bar to iSD, iPR or iCR when neither targets nor non-targets meet PD and
///    the new lesions are gone or the target sum fell since the last
///    assessment (the FAQ's scenarios B and F: persisting new lesions with
///    shrinking targets allow iPR, persisting new lesions with no change do
///    not). New lesions then present are accounted for: afterwards only
///    further new lesions, or new-lesion targets meeting RECIST 1.1 PD
///    against their own nadir, are new progression. An assessment with
///    target NE is NE.
/// 4. iCPD is final.
///
/// `None` for an assessment with neither target nor non-target disease and
/// no new lesion.
pub fn irecist_responses(
    assessments: &[ITimePoint],
    rules: &IRecistRules,
) -> Vec<Option<IResponse>> {
    let mut order: Vec<usize> = (0..assessments.len()).collect();
    order.sort_by_key(|&index| assessments[index].day);
    let mut responses = vec![None; assessments.len()];

    let mut state = State::Open;
    // New lesions accounted for by a reset, and the nadir of their sum.
    let mut accounted_new_lesions = 0;
    let mut new_lesion_nadir: Option<f64> = None;
    let mut previous_target_sum: Option<f64> = None;
    let mut previous_response: Option<IResponse> = None;

    for index in order {
        let point = &assessments[index];
        let response = match state {
            State::Confirmed => Some(IResponse::Cpd),
            State::Open => {
                let new_progression = point.new_lesions > accounted_new_lesions
                    || (accounted_new_lesions > 0
                        && new_lesion_nadir.zip(point.new_lesion_sum_mm).is_some_and(
                            |(nadir, sum)| at_least(sum - nadir, 5.0) && at_least(sum, 1.2 * nadir),
                        ));
                let after_cr = previous_response == Some(IResponse::Cr);
                let recist = overall_response(point.target, point.non_target, new_progression)
                    .map(|r| after_complete_response(after_cr.then_some(Response::Cr), r));
                if recist == Some(Response::Pd) {
                    // After a CR, whichever category is no longer CR progressed.
                    let progressed = |is_pd: bool, is_cr: bool| is_pd || (after_cr && !is_cr);
                    state = State::Unconfirmed(Unconfirmed {
                        day: point.day,
                        by_target: progressed(
                            point.target == Some(Response::Pd),
                            matches!(point.target, None | Some(Response::Cr)),
                        ),
                        by_non_target: progressed(
                            point.non_target == Some(NonTargetResponse::Pd),
                            matches!(point.non_target, None | Some(NonTargetResponse::Cr)),
                        ),
                        by_new_lesions: new_progression,
                        target_sum_mm: point.target_sum_mm,
                        new_lesions: point.new_lesions,
                        new_lesion_sum_mm: point.new_lesion_sum_mm,
                    });
                }
                recist.map(IResponse::from_recist)
            }
            State::Unconfirmed(bar) => {
                let late = point.day - bar.day >= rules.confirm_min_days;
                let target_pd = point.target == Some(Response::Pd);
                let non_target_pd = point.non_target == Some(NonTargetResponse::Pd);
                let confirmed = point.new_lesions > bar.new_lesions
                    || (late
                        && ((bar.by_target
                            && grew_by(point.target_sum_mm, bar.target_sum_mm, 5.0))
                            || (bar.by_non_target && point.non_target_increase)
                            || (bar.by_new_lesions
                                && (grew_by(
                                    point.new_lesion_sum_mm,
                                    bar.new_lesion_sum_mm,
                                    5.0,
                                ) || point.new_lesion_increase))
                            || (!bar.by_target && target_pd)
                            || (!bar.by_non_target && non_target_pd)));
                let shrinking = matches!(
                    (point.target_sum_mm, previous_target_sum),
                    (Some(now), Some(before)) if now < before
                );
                if confirmed {
                    state = State::Confirmed;
                    Some(IResponse::Cpd)
                } else if !late || target_pd || non_target_pd {
                    Some(IResponse::Upd)
                } else if point.target == Some(Response::Ne) {
                    Some(IResponse::Ne)
                } else if point.new_lesions > 0 && !shrinking {
                    Some(IResponse::Upd)
                } else {
                    // The bar is reset.
                    state = State::Open;
                    accounted_new_lesions = point.new_lesions;
                    new_lesion_nadir = point.new_lesion_sum_mm;
                    overall_response(point.target, point.non_target, false).map(|recist| {
                        match IResponse::from_recist(recist) {
                            // Persisting new lesions rule out a complete response.
                            IResponse::Cr if point.new_lesions > 0 => IResponse::Pr,
                            other => other,
                        }
                    })
                }
            }
        };
        responses[index] = response;
        previous_response = response;
        if let Some(sum) = point.new_lesion_sum_mm {
            new_lesion_nadir = Some(new_lesion_nadir.map_or(sum, |nadir| nadir.min(sum)));
        }
        if point.target_sum_mm.is_some() {
            previous_target_sum = point.target_sum_mm;
        }
    }
    responses
}

/// iRECIST best overall response (iBOR, Table 3): the best time-point
/// response up to and including the first iCPD, where iUPD does not end the
/// assessment, so a later iSD, iPR or iCR can be the iBOR. The order is
/// iCR, iPR, iSD, non-iCR/non-iUPD, iSD and non-iCR/non-iUPD counting only from
/// `min_sd_days` after `reference_day` (RECIST 1.1's minimum SD duration);
/// without any, iCPD if progression was confirmed, else iUPD, else NE.
/// Table 3 assumes a randomised study: iCR and iPR need no confirmation.
/// Returns the response and the day it was first seen.
pub fn irecist_best_response(
    reference_day: i64,
    assessments: &[(i64, IResponse)],
    min_sd_days: i64,
) -> Option<(IResponse, i64)> {
    let mut ordered = assessments.to_vec();
    ordered.sort_by_key(|&(day, response)| (day, response));
    if let Some(first_cpd) = ordered.iter().position(|(_, r)| *r == IResponse::Cpd) {
        ordered.truncate(first_cpd + 1);
    }
    ordered
        .into_iter()
        .map(|(day, response)| match response {
            IResponse::Sd | IResponse::NonCrNonUpd if day < reference_day + min_sd_days => {
                (IResponse::Ne, day)
            }
            other => (other, day),
        })
        .min_by_key(|&(response, day)| (response, day))
}

#[cfg(test)]
mod tests {
    use super::IResponse::*;
    use super::*;
    use NonTargetResponse as N;
    use Response as R;

    /// An assessment with targets summing `sum` mm (target response given),
    /// non-targets present and unchanged, and `new` new lesions.
    fn point(day: i64, target: Response, sum: f64, new: u32) -> ITimePoint {
        ITimePoint {
            day,
            target: Some(target),
            non_target: Some(N::NonCrNonPd),
            target_sum_mm: Some(sum),
            new_lesions: new,
            ..ITimePoint::default()
        }
    }

    fn responses(points: &[ITimePoint]) -> Vec<IResponse> {
        irecist_responses(points, &IRecistRules::default())
            .into_iter()
            .map(Option::unwrap)
            .collect()
    }

    /// Table 2, rows without a previous iUPD: RECIST 1.1 with an "i".
    #[test]
    fn without_previous_iupd_it_is_recist_with_an_i() {
        let first = |target, non_target, new| {
            irecist_responses(
                &[ITimePoint {
                    target,
                    non_target,
                    new_lesions: new,
                    ..ITimePoint::default()
                }],
                &IRecistRules::default(),
            )[0]
        };
        assert_eq!(first(Some(R::Cr), Some(N::Cr), 0), Some(IResponse::Cr));
        assert_eq!(
            first(Some(R::Cr), Some(N::NonCrNonPd), 0),
            Some(IResponse::Pr)
        );
        assert_eq!(
            first(Some(R::Pr), Some(N::NonCrNonPd), 0),
            Some(IResponse::Pr)
        );
        assert_eq!(
            first(Some(R::Sd), Some(N::NonCrNonPd), 0),
            Some(IResponse::Sd)
        );
        assert_eq!(first(Some(R::Sd), Some(N::Pd), 0), Some(Upd));
        assert_eq!(first(Some(R::Pd), Some(N::NonCrNonPd), 0), Some(Upd));
        assert_eq!(first(Some(R::Pr), Some(N::NonCrNonPd), 1), Some(Upd));
        assert_eq!(
            first(Some(R::Ne), Some(N::NonCrNonPd), 0),
            Some(IResponse::Ne)
        );
        assert_eq!(first(None, Some(N::NonCrNonPd), 0), Some(NonCrNonUpd));
        assert_eq!(first(None, None, 0), None);
        assert_eq!(first(None, None, 1), Some(Upd));
    }

    /// Target iUPD: confirmed only by a further 5 mm in the sum, counted
    /// from the iUPD ("sequential increases are additive": 4 mm, then 2 mm).
    #[test]
    fn target_progression_confirms_with_5_mm_more() {
        let timeline = [
            point(0, R::Sd, 50.0, 0),
            point(56, R::Pd, 60.0, 0),
            point(112, R::Pd, 64.0, 0),
            point(168, R::Pd, 66.0, 0),
            point(224, R::Sd, 40.0, 0),
        ];
        assert_eq!(responses(&timeline), [Sd, Upd, Upd, Cpd, Cpd]);
        // 4.9 mm is not enough; exactly 5 mm is.
        let short = [point(0, R::Pd, 60.0, 0), point(56, R::Pd, 64.9, 0)];
        assert_eq!(responses(&short), [Upd, Upd]);
        let exact = [point(0, R::Pd, 60.1, 0), point(56, R::Pd, 65.1, 0)];
        assert_eq!(responses(&exact), [Upd, Cpd]);
    }

    /// The reset rule: iUPD followed by iSD/iPR/iCR resets the bar; a new
    /// iUPD must then occur and be confirmed.
    #[test]
    fn a_later_response_resets_the_bar() {
        let timeline = [
            point(0, R::Pd, 60.0, 0),
            point(56, R::Pr, 30.0, 0),
            point(112, R::Pd, 40.0, 0),
            point(168, R::Pd, 44.0, 0),
            point(224, R::Pd, 46.0, 0),
        ];
        assert_eq!(responses(&timeline), [Upd, IResponse::Pr, Upd, Upd, Cpd]);
    }

    /// Confirmation needs 4 weeks; an earlier scan is disregarded unless it
    /// shows an additional new lesion (EORTC iRECIST FAQ).
    #[test]
    fn early_scans_confirm_only_with_another_new_lesion() {
        let early_growth = [point(0, R::Pd, 60.0, 0), point(14, R::Pd, 70.0, 0)];
        assert_eq!(responses(&early_growth), [Upd, Upd]);
        let early_shrinkage = [point(0, R::Pd, 60.0, 0), point(14, R::Sd, 40.0, 0)];
        assert_eq!(responses(&early_shrinkage), [Upd, Upd]);
        let early_new_lesion = [point(0, R::Pr, 30.0, 1), point(14, R::Pr, 30.0, 2)];
        assert_eq!(responses(&early_new_lesion), [Upd, Cpd]);
        let late_growth = [point(0, R::Pd, 60.0, 0), point(28, R::Pd, 70.0, 0)];
        assert_eq!(responses(&late_growth), [Upd, Cpd]);
    }

    /// The FAQ's scenarios B and F: a new lesion, then further shrinkage of
    /// the targets, is iPR; PR, then a new lesion and no change, stays iUPD.
    #[test]
    fn persisting_new_lesions_scenarios_b_and_f() {
        let b = [
            point(0, R::Sd, 90.0, 0),
            point(56, R::Sd, 80.0, 1),
            point(112, R::Pr, 60.0, 1),
        ];
        assert_eq!(responses(&b), [Sd, Upd, IResponse::Pr]);
        let f = [
            point(0, R::Pr, 60.0, 0),
            point(56, R::Pr, 60.0, 1),
            point(112, R::Pr, 60.0, 1),
        ];
        assert_eq!(responses(&f), [IResponse::Pr, Upd, Upd]);
    }

    /// New-lesion iUPD: confirmed by more new lesions, 5 mm more in the
    /// new-lesion targets' sum, or any growth of a new non-target lesion.
    #[test]
    fn new_lesion_progression_confirms_by_number_or_size() {
        let with_new = |day, new, nlt_sum: f64, nlnt_growth| ITimePoint {
            new_lesion_sum_mm: Some(nlt_sum),
            new_lesion_increase: nlnt_growth,
            ..point(day, R::Sd, 50.0, new)
        };
        let unchanged = [with_new(0, 1, 12.0, false), with_new(56, 1, 12.0, false)];
        assert_eq!(responses(&unchanged), [Upd, Upd]);
        let more = [with_new(0, 1, 12.0, false), with_new(56, 2, 12.0, false)];
        assert_eq!(responses(&more), [Upd, Cpd]);
        let larger = [with_new(0, 1, 12.0, false), with_new(56, 1, 17.0, false)];
        assert_eq!(responses(&larger), [Upd, Cpd]);
        let nlnt = [with_new(0, 1, 12.0, false), with_new(56, 1, 12.0, true)];
        assert_eq!(responses(&nlnt), [Upd, Cpd]);
        // After a reset with the new lesion still there (targets shrank),
        // it no longer counts as new; a further one does.
        let reset = [
            with_new(0, 1, 12.0, false),
            ITimePoint {
                target_sum_mm: Some(40.0),
                ..with_new(56, 1, 12.0, false)
            },
            ITimePoint {
                target_sum_mm: Some(40.0),
                ..with_new(112, 1, 12.0, false)
            },
            ITimePoint {
                target_sum_mm: Some(40.0),
                ..with_new(168, 2, 12.0, false)
            },
        ];
        assert_eq!(responses(&reset), [Upd, IResponse::Sd, IResponse::Sd, Upd]);
        // ... and so does RECIST 1.1 PD of the new-lesion targets against
        // their own nadir (+20 % and +5 mm).
        let regrowth = ITimePoint {
            target_sum_mm: Some(40.0),
            ..with_new(112, 1, 30.0, false)
        };
        assert_eq!(
            responses(&[reset[0], reset[1], regrowth]),
            [Upd, IResponse::Sd, Upd]
        );
    }

    /// Non-target iUPD: any further increase confirms, unequivocal or not;
    /// target PD, a category that had not progressed, confirms too.
    #[test]
    fn non_target_progression_and_other_categories() {
        let nt = |day, target, increase| ITimePoint {
            non_target: Some(N::Pd),
            non_target_increase: increase,
            ..point(day, target, 50.0, 0)
        };
        assert_eq!(
            responses(&[nt(0, R::Sd, false), nt(56, R::Sd, false)]),
            [Upd, Upd]
        );
        assert_eq!(
            responses(&[nt(0, R::Sd, false), nt(56, R::Sd, true)]),
            [Upd, Cpd]
        );
        assert_eq!(
            responses(&[nt(0, R::Sd, false), nt(56, R::Pd, false)]),
            [Upd, Cpd]
        );
        // The target iUPD is confirmed by a new lesion appearing.
        assert_eq!(
            responses(&[point(0, R::Pd, 60.0, 0), point(56, R::Pd, 60.0, 1)]),
            [Upd, Cpd]
        );
    }

    /// Disease seen again after iCR is progression (RECIST 1.1 §4.4.2),
    /// confirmed when the reappeared target grows 5 mm more.
    #[test]
    fn reappearance_after_a_complete_response() {
        let cr = ITimePoint {
            non_target: None,
            ..point(56, R::Cr, 0.0, 0)
        };
        let back = |day, sum| ITimePoint {
            non_target: None,
            ..point(day, R::Pr, sum, 0)
        };
        assert_eq!(
            responses(&[cr, back(112, 4.0), back(168, 9.0)]),
            [IResponse::Cr, Upd, Cpd]
        );
    }

    #[test]
    fn not_evaluable_keeps_the_bar() {
        let timeline = [
            point(0, R::Pd, 60.0, 0),
            point(56, R::Ne, 30.0, 0),
            point(112, R::Pd, 66.0, 0),
        ];
        assert_eq!(responses(&timeline), [Upd, IResponse::Ne, Cpd]);
    }

    #[test]
    fn order_of_rows_never_matters() {
        let timeline = [
            point(0, R::Sd, 50.0, 0),
            point(56, R::Pd, 60.0, 0),
            point(112, R::Pr, 30.0, 0),
            point(168, R::Pd, 40.0, 0),
            point(224, R::Pd, 46.0, 0),
        ];
        let expected = responses(&timeline);
        let mut reversed = timeline;
        reversed.reverse();
        let mut got = responses(&reversed);
        got.reverse();
        assert_eq!(got, expected);
    }

    /// iRECIST Table 3, examples 1 to 8 (one admissible choice per "or").
    #[test]
    fn best_response_table_3() {
        let ibor = |responses: &[IResponse]| {
            let days: Vec<(i64, IResponse)> = responses
                .iter()
                .enumerate()
                .map(|(i, r)| (56 * (i as i64 + 1), *r))
                .collect();
            irecist_best_response(0, &days, 42).map(|(r, _)| r)
        };
        assert_eq!(ibor(&[Cr, Pr, Ne, Upd, Cpd]), Some(Cr));
        assert_eq!(ibor(&[Upd, Pr, Cr, Upd, Sd]), Some(Cr));
        assert_eq!(ibor(&[Upd, Pr, Sd, Cpd, Sd]), Some(Pr));
        assert_eq!(ibor(&[Upd, Ne, Pr, Upd, Cpd]), Some(Pr));
        assert_eq!(ibor(&[Upd, Sd, Upd, Cpd, Ne]), Some(Sd));
        assert_eq!(ibor(&[Upd, Cpd, Cr, Cr, Cr]), Some(Cpd));
        assert_eq!(ibor(&[Upd, Upd, Cpd, Pr, Pr]), Some(Cpd));
        assert_eq!(ibor(&[Upd, Ne, Ne, Ne, Ne]), Some(Upd));
        // iSD before the minimum duration does not count.
        assert_eq!(
            irecist_best_response(0, &[(21, Sd), (84, Upd)], 42),
            Some((Upd, 84))
        );
        assert_eq!(irecist_best_response(0, &[], 42), None);
    }

    #[test]
    fn parse_and_print() {
        for response in [Cr, Pr, Sd, NonCrNonUpd, Cpd, Upd, Ne] {
            assert_eq!(IResponse::parse(response.as_str()), Some(response));
        }
        assert_eq!(IResponse::parse("iupd"), Some(Upd));
        assert_eq!(IResponse::parse("iNN"), Some(NonCrNonUpd));
        assert_eq!(IResponse::parse("PD"), None);
    }
}
