//! Views rwid adds to a lake from its standard tables, as SQL over them.

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
