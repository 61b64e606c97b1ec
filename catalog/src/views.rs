//! Views rwid adds to a lake from its standard tables, as SQL over them.

/// `imaging.recist_timepoints`: every patient's RECIST 1.1 time points from
/// `imaging.lesion_measurement` (Eisenhauer et al. 2009): the sum of target
/// diameters (longest diameter, short axis for nodes), the baseline and the
/// nadir before each time point (over time points with every target
/// measured), the target response, the non-target
/// response from the radiologist's statuses (unequivocal progression, then
/// present, then all absent), new lesions, and the overall response (Tables
/// 1 and 2). The baseline is each patient's first assessment.
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
             CASE WHEN bool_or(non_target_status = 'unequivocal_progression') THEN 'PD'
                  WHEN bool_or(non_target_status = 'present') THEN 'NON-CR/NON-PD'
                  WHEN bool_or(non_target_status = 'absent') THEN 'CR' END AS non_target,
             coalesce(bool_or(role = 'new'), false) AS new_lesion
      FROM imaging.lesion_measurement GROUP BY person_id, assessment_date),
    referenced AS (
      SELECT *, first_value(sum_mm) OVER w AS baseline_mm, first_value(assessment_date) OVER w AS baseline_date,
             -- The nadir counts only time points with every target measured.
             min(CASE WHEN complete THEN sum_mm END) OVER (PARTITION BY person_id ORDER BY assessment_date
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS nadir_mm
      FROM timepoints WINDOW w AS (PARTITION BY person_id ORDER BY assessment_date))
    SELECT person_id, baseline_date, assessment_date, sum_mm, baseline_mm, nadir_mm,
           recist11_target_response(baseline_mm, nadir_mm, sum_mm, non_nodal_gone, nodes_small, complete) AS target,
           non_target, new_lesion,
           recist11_overall_response(
             recist11_target_response(baseline_mm, nadir_mm, sum_mm, non_nodal_gone, nodes_small, complete),
             non_target, new_lesion) AS overall
    FROM referenced WHERE assessment_date > baseline_date";
