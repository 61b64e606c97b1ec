-- cohort: nsclc_pembrolizumab
-- The mission's worked example as an rwid cohort file: NSCLC patients with
-- confirmed histology, pembrolizumab exposure, at least 20 pack-years and a
-- chest CT. Run it over a lake:
--
--   rwid --lake demo-lake cohort examples/nsclc_pembrolizumab_cohort.sql
--
-- Each `-- step:` is one criterion, a query returning the person_ids that
-- meet it; a patient stays in the cohort while they meet every step so far.
-- rwid prints the attrition (patients left after each step) and writes the
-- cohort and its attrition to the lake's `derived` schema.
--
-- Concepts: 4115276 SNOMED "Non-small cell lung cancer"; 45775965 RxNorm
-- pembrolizumab; 32879 "Registry" type (histology from the tumour
-- registry); ICD-O-3 morphology codes for adenocarcinoma (8140/3), squamous
-- cell carcinoma (8070/3), non-small cell carcinoma (8046/3) and large cell
-- carcinoma (8012/3); LOINC 8664-5 pack-years, 64218-1 cigarettes per day,
-- 88029-4 years smoked.

-- step: all patients
SELECT person_id FROM clinical.person;

-- step: NSCLC diagnosis
SELECT person_id FROM clinical.condition_occurrence
WHERE condition_concept_id = 4115276;

-- step: confirmed histology
SELECT person_id FROM clinical.condition_occurrence
WHERE condition_type_concept_id = 32879
  AND condition_source_value IN ('8140/3', '8070/3', '8046/3', '8012/3');

-- step: pembrolizumab exposure
SELECT person_id FROM clinical.drug_exposure WHERE drug_concept_id = 45775965;

-- step: pack-years >= 20
-- Three sites record pack-years; one records cigarettes per day and years
-- smoked, put on the same scale by pack_years().
SELECT person_id FROM (
    SELECT person_id, value_as_number AS pack_years
    FROM clinical.measurement WHERE measurement_source_value = '8664-5'
    UNION ALL
    SELECT cigarettes.person_id, pack_years(cigarettes.value_as_number, years.value_as_number)
    FROM clinical.observation cigarettes
    JOIN clinical.observation years
      ON years.person_id = cigarettes.person_id
     AND years.observation_date = cigarettes.observation_date
     AND years.observation_source_value = '88029-4'
    WHERE cigarettes.observation_source_value = '64218-1'
) smoking
GROUP BY person_id HAVING max(pack_years) >= 20;

-- step: chest CT
-- A CT series whose BodyPartExamined is CHEST, THORAX or LUNG, or whose
-- study description says chest or thorax (archives fill BodyPartExamined
-- inconsistently), linked to the person through imaging.patient_link.
SELECT l.person_id
FROM imaging.series s
JOIN imaging.patient_link l ON l.patient_id = s.PatientID
WHERE s.Modality = 'CT'
  AND (upper(s.BodyPartExamined) IN ('CHEST', 'THORAX', 'LUNG')
       OR upper(s.StudyDescription) LIKE '%CHEST%'
       OR upper(s.StudyDescription) LIKE '%THORAX%');
