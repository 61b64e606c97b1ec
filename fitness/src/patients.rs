//! Per patient: which criteria each person meets (as ATLAS's inclusion-rule
//! mask records it), the attrition they give in the profile's order, each
//! criterion's impact alone, and per-site counts.

use std::collections::BTreeMap;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, plan_datafusion_err};
use serde::Serialize;

use crate::profile::{ElementKind, Profile, Rank};

/// One criterion of evaluability: a boolean column of the per-patient
/// record, met when true (or, for an exclusion, when false).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    pub name: String,
    pub column: String,
    /// An exclusion: persons for whom the column is true are removed.
    pub excludes: bool,
}

/// The criteria a person must meet to be evaluable, in attrition order:
/// an index date, the inclusion, exclusion and exposure elements, the
/// other essential elements, and the essential imaging requirements.
pub fn criteria(profile: &Profile) -> Vec<Criterion> {
    let mut criteria = vec![Criterion {
        name: format!("index date ({})", profile.purpose.index_date.description),
        column: "has_index_date".to_string(),
        excludes: false,
    }];
    for kind in [
        ElementKind::Inclusion,
        ElementKind::Exclusion,
        ElementKind::Exposure,
    ] {
        for element in profile.elements_of(kind) {
            criteria.push(Criterion {
                name: match kind {
                    ElementKind::Exclusion => format!("not {}", element.name),
                    _ => element.name.clone(),
                },
                column: element.id.clone(),
                excludes: kind == ElementKind::Exclusion,
            });
        }
    }
    for element in &profile.elements {
        if element.rank == Rank::Essential && !element.kind.defines_eligibility() {
            criteria.push(Criterion {
                name: element.name.clone(),
                column: element.id.clone(),
                excludes: false,
            });
        }
    }
    if let Some(imaging) = &profile.imaging
        && imaging.rank == Rank::Essential
    {
        let [from, to] = imaging.baseline_window_days;
        criteria.push(Criterion {
            name: format!("baseline {} from day {from} to day {to}", imaging.modality),
            column: "imaging_baseline".to_string(),
            excludes: false,
        });
        criteria.push(Criterion {
            name: format!("at least {} imaging time points", imaging.min_timepoints),
            column: "imaging_enough_timepoints".to_string(),
            excludes: false,
        });
    }
    criteria
}

/// One step of the attrition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttritionStep {
    pub step: usize,
    pub criterion: String,
    /// The per-patient record's column behind it.
    pub column: String,
    /// Persons meeting this criterion and every earlier one.
    pub persons: u64,
    /// Persons this step removed.
    pub removed: u64,
    /// Persons of the population meeting this criterion, whatever else.
    pub met: u64,
    /// Persons who meet every other criterion but not this one: the
    /// criterion's impact alone (ATLAS's inclusion impact).
    pub only_failure: u64,
}

/// The per-patient record as rows: person, site, and each criterion met.
#[derive(Debug, Clone)]
pub struct Records {
    pub persons: Vec<i64>,
    pub sites: Vec<String>,
    /// Per criterion, whether each person meets it.
    pub met: Vec<Vec<bool>>,
    pub eligible: Vec<bool>,
    pub evaluable: Vec<bool>,
}

impl Records {
    /// Reads the per-patient record's batches for `criteria`.
    pub fn read(batches: &[RecordBatch], criteria: &[Criterion]) -> Result<Self> {
        let mut records = Records {
            persons: Vec::new(),
            sites: Vec::new(),
            met: vec![Vec::new(); criteria.len()],
            eligible: Vec::new(),
            evaluable: Vec::new(),
        };
        for batch in batches {
            let column = |name: &str| {
                batch.column_by_name(name).ok_or_else(|| {
                    plan_datafusion_err!("the per-patient record has no column {name}")
                })
            };
            let persons = datafusion::arrow::compute::cast(column("person_id")?, &DataType::Int64)?;
            let sites = datafusion::arrow::compute::cast(column("site")?, &DataType::Utf8)?;
            let (persons, sites) = (
                persons.as_primitive::<datafusion::arrow::datatypes::Int64Type>(),
                sites.as_string::<i32>(),
            );
            let flag = |name: &str| -> Result<Vec<bool>> {
                let array = column(name)?;
                let array = array.as_boolean_opt().ok_or_else(|| {
                    plan_datafusion_err!("per-patient column {name} is not boolean")
                })?;
                Ok((0..array.len())
                    .map(|i| array.is_valid(i) && array.value(i))
                    .collect())
            };
            for row in 0..batch.num_rows() {
                records.persons.push(persons.value(row));
                records.sites.push(if sites.is_null(row) {
                    "unknown".to_string()
                } else {
                    sites.value(row).to_string()
                });
            }
            for (index, criterion) in criteria.iter().enumerate() {
                let values = flag(&criterion.column)?;
                records.met[index].extend(values.into_iter().map(|v| v != criterion.excludes));
            }
            records.eligible.extend(flag("eligible")?);
            records.evaluable.extend(flag("evaluable")?);
        }
        Ok(records)
    }

    /// The attrition of `criteria` (the ones [`Records::read`] was given),
    /// in their order.
    pub fn attrition(&self, criteria: &[Criterion]) -> Vec<AttritionStep> {
        let people = self.persons.len();
        let mut remaining = vec![true; people];
        let mut previous = people as u64;
        let mut steps = Vec::new();
        for (index, criterion) in criteria.iter().enumerate() {
            let met = &self.met[index];
            for (keep, meets) in remaining.iter_mut().zip(met) {
                *keep &= *meets;
            }
            let persons = remaining.iter().filter(|k| **k).count() as u64;
            let only_failure = (0..people)
                .filter(|&p| {
                    !met[p] && (0..criteria.len()).all(|other| other == index || self.met[other][p])
                })
                .count() as u64;
            steps.push(AttritionStep {
                step: index + 1,
                criterion: criterion.name.clone(),
                column: criterion.column.clone(),
                persons,
                removed: previous - persons,
                met: met.iter().filter(|m| **m).count() as u64,
                only_failure,
            });
            previous = persons;
        }
        steps
    }

    /// Per site: persons, eligible and evaluable.
    pub fn sites(&self) -> Vec<SiteCounts> {
        let mut sites: BTreeMap<&str, SiteCounts> = BTreeMap::new();
        for (index, site) in self.sites.iter().enumerate() {
            let counts = sites.entry(site).or_insert_with(|| SiteCounts {
                site: site.clone(),
                ..SiteCounts::default()
            });
            counts.persons += 1;
            counts.eligible += u64::from(self.eligible[index]);
            counts.evaluable += u64::from(self.evaluable[index]);
        }
        sites.into_values().collect()
    }
}

/// A site's persons, eligible and evaluable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SiteCounts {
    pub site: String,
    pub persons: u64,
    pub eligible: u64,
    pub evaluable: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attrition_and_impact_alone() {
        let criteria = vec![
            Criterion {
                name: "a".into(),
                column: "a".into(),
                excludes: false,
            },
            Criterion {
                name: "not b".into(),
                column: "b".into(),
                excludes: true,
            },
        ];
        // Persons: 1 meets a, not b (kept); 2 fails a only; 3 has b only
        // (excluded); 4 fails both.
        let records = Records {
            persons: vec![1, 2, 3, 4],
            sites: vec!["X".into(), "X".into(), "Y".into(), "Y".into()],
            met: vec![
                vec![true, false, true, false],
                vec![true, true, false, false],
            ],
            eligible: vec![true, false, false, false],
            evaluable: vec![true, false, false, false],
        };
        let steps = records.attrition(&criteria);
        let figures: Vec<(u64, u64, u64, u64)> = steps
            .iter()
            .map(|s| (s.persons, s.removed, s.met, s.only_failure))
            .collect();
        assert_eq!(figures, [(2, 2, 2, 1), (1, 1, 2, 1)]);
        assert_eq!(
            records.sites(),
            [
                SiteCounts {
                    site: "X".into(),
                    persons: 2,
                    eligible: 1,
                    evaluable: 1
                },
                SiteCounts {
                    site: "Y".into(),
                    persons: 2,
                    eligible: 0,
                    evaluable: 0
                },
            ]
        );
    }
}
