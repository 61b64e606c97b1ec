//! Duplicates within runs of the leading key, for collapses whose rows only
//! feed DISTINCT semantics (every column a key: `SELECT DISTINCT`, `GROUP BY`
//! without aggregates, the inner grouping of `count(DISTINCT x) ... GROUP BY
//! y`, join probe sides whose duplicates do not matter).
//!
//! Consecutive equal rows are one run, but a patient's drug exposures list
//! the same drug again after others: `(person_id, drug_concept_id)` pairs of
//! an OMOP table written by person repeat within each person's rows, not
//! next to each other. Among the run starts of one run of equal leading keys
//! (a person), this keeps only the first row of each combination of the
//! other keys. The rows dropped are exact duplicates of rows kept before
//! them, so the output is still a subsequence of the input (same orderings)
//! with the same set of distinct rows.

use std::collections::HashMap;

use datafusion::arrow::array::{ArrayRef, make_comparator};
use datafusion::arrow::compute::SortOptions;
use datafusion::common::Result;
use datafusion::common::hash_utils::{RandomState, create_hashes};

use crate::physical_plan::runs::{first_of_runs, run_starts};

/// Leading runs up to this many rows are searched pairwise (hashes first),
/// longer ones through a hash map.
const PAIRWISE_ROWS: usize = 16;

/// Of `starts` (the first rows of runs of equal `keys`), those whose keys
/// after the first differ from every earlier start with the same first key
/// in the same run of it.
pub(super) fn first_in_leading_runs(keys: &[ArrayRef], starts: Vec<u32>) -> Result<Vec<u32>> {
    if keys.len() < 2 || starts.len() < 2 {
        return Ok(starts);
    }
    let leading = first_of_runs(&keys[0], &starts)?;
    let leading_starts = run_starts(&[leading], starts.len())?;
    if leading_starts.len() == starts.len() {
        // Every leading run holds one start: nothing to drop.
        return Ok(starts);
    }
    let others = keys[1..]
        .iter()
        .map(|key| first_of_runs(key, &starts))
        .collect::<Result<Vec<_>>>()?;
    let mut hashes = vec![0; starts.len()];
    create_hashes(&others, &RandomState::default(), &mut hashes)?;
    // NULLs equal NULLs here, as in DISTINCT and GROUP BY.
    let comparators = others
        .iter()
        .map(|column| make_comparator(column.as_ref(), column.as_ref(), SortOptions::default()))
        .collect::<Result<Vec<_>, _>>()?;
    let equal = |a: usize, b: usize| {
        hashes[a] == hashes[b] && comparators.iter().all(|compare| compare(a, b).is_eq())
    };
    let mut kept = Vec::with_capacity(starts.len());
    let mut seen: HashMap<u64, usize> = HashMap::new();
    for (run, &begin) in leading_starts.iter().enumerate() {
        let begin = begin as usize;
        let end = leading_starts
            .get(run + 1)
            .map_or(starts.len(), |&next| next as usize);
        if end - begin <= PAIRWISE_ROWS {
            kept.extend(
                (begin..end)
                    .filter(|&row| !(begin..row).any(|earlier| equal(row, earlier)))
                    .map(|row| starts[row]),
            );
            continue;
        }
        seen.clear();
        for row in begin..end {
            match seen.get(&hashes[row]) {
                Some(&earlier) if equal(row, earlier) => {}
                // Another combination with the same hash is kept (never
                // dropped on a hash alone) but not remembered: rare, and
                // keeping a duplicate is always correct.
                Some(_) => kept.push(starts[row]),
                None => {
                    seen.insert(hashes[row], row);
                    kept.push(starts[row]);
                }
            }
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Int64Array, StringArray};

    use super::*;

    fn kept(keys: &[ArrayRef]) -> Vec<u32> {
        let rows = keys[0].len();
        first_in_leading_runs(keys, run_starts(keys, rows).unwrap()).unwrap()
    }

    #[test]
    fn each_combination_once_per_run_of_the_leading_key() {
        let person: ArrayRef = Arc::new(Int64Array::from(vec![1, 1, 1, 1, 2, 2, 2, 1, 1]));
        let drug: ArrayRef = Arc::new(Int64Array::from(vec![
            Some(7),
            Some(7),
            Some(8),
            Some(7),
            None,
            Some(7),
            None,
            Some(7),
            Some(8),
        ]));
        // Person 1's second 7 follows an 8; person 2's second NULL equals
        // the first; person 1 again later is a new leading run.
        assert_eq!(kept(&[Arc::clone(&person), drug]), [0, 2, 4, 5, 7, 8]);
    }

    #[test]
    fn all_other_keys_must_match() {
        let patient: ArrayRef = Arc::new(StringArray::from(vec!["P1"; 6]));
        let study: ArrayRef = Arc::new(StringArray::from(vec!["S1", "S2", "S1", "S1", "S2", "S2"]));
        let day: ArrayRef = Arc::new(Int64Array::from(vec![10, 11, 12, 10, 11, 11]));
        assert_eq!(kept(&[patient, study, day]), [0, 1, 2]);
    }

    #[test]
    fn long_leading_runs_go_through_the_hash_map() {
        // 100 rows of one patient cycling through 7 values: the same seven
        // rows survive as with the pairwise search.
        let patient: ArrayRef = Arc::new(Int64Array::from(vec![1; 100]));
        let value: ArrayRef = Arc::new(Int64Array::from_iter_values((0..100).map(|i| i % 7)));
        assert_eq!(kept(&[patient, value]), [0, 1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn a_single_key_keeps_every_run() {
        let patient: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 1, 2]));
        assert_eq!(kept(&[patient]), [0, 1, 2, 3]);
    }
}
