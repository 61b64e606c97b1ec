//! Small-cell suppression, so that a report can leave the institution:
//! every count of persons, series, visits or rows from 1 to `bound - 1` is
//! replaced by the text `<bound` (zero stays: it names nobody), as
//! OHDSI's CohortDiagnostics applies `minCellCount` to each count on its
//! own (no complementary suppression across counts that add up).
//!
//! What a suppressed count would give away goes with it: the percent and
//! interval of a rate whose violating or passing units are a small cell,
//! the counts inside a reason's words, and the rows naming persons (the
//! samples of violating rows; person ids in the per-patient charts become
//! the patient's rank in the chart).

use serde_json::{Map, Value};

use rwid_fitness::figures::Figure;

/// Keys whose numbers are counts of persons, series, visits or rows,
/// wherever they appear in the results.
const COUNT_KEYS: &[&str] = &[
    "population",
    "eligible",
    "evaluable",
    "persons",
    "removed",
    "met",
    "only_failure",
    "violating",
    "total",
    "violating_rows",
    "total_rows",
];

/// The text a suppressed count shows.
pub fn marker(bound: u64) -> String {
    format!("<{bound}")
}

/// Whether `n` is a small cell.
pub fn is_small(n: u64, bound: u64) -> bool {
    n > 0 && n < bound
}

/// Suppresses the assessment's results JSON in place.
pub fn results(json: &mut Value, bound: u64) {
    walk(json, bound);
    if let Some(checks) = json.get_mut("checks").and_then(Value::as_array_mut) {
        for check in checks {
            if let Some(object) = check.as_object_mut() {
                object.insert("sample".into(), Value::Array(Vec::new()));
                if let Some(Value::String(reason)) = object.get("reason") {
                    let reason = counts_in_words(reason, bound);
                    object.insert("reason".into(), Value::String(reason));
                }
            }
        }
    }
}

/// Suppresses the count columns of `figures`, and replaces person ids by
/// ranks.
pub fn figures(figures: &mut [Figure], bound: u64) {
    for figure in figures {
        let mut ranks = std::collections::BTreeMap::new();
        for row in &mut figure.rows {
            for column in &figure.count_columns {
                suppress_count(row, column, bound);
            }
            if let Some(Value::Number(id)) = row.get("person_id") {
                let next = ranks.len() + 1;
                let rank = *ranks.entry(id.to_string()).or_insert(next);
                row.insert("person_id".into(), Value::from(rank));
            }
        }
    }
}

/// Replaces a small count at `key` of `row` by the marker.
fn suppress_count(row: &mut Map<String, Value>, key: &str, bound: u64) -> bool {
    match row.get(key).and_then(Value::as_u64) {
        Some(n) if is_small(n, bound) => {
            row.insert(key.into(), Value::String(marker(bound)));
            true
        }
        _ => false,
    }
}

/// Every object's counts, and the percents they give away.
fn walk(value: &mut Value, bound: u64) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| walk(v, bound)),
        Value::Object(object) => {
            // A rate's percent shows its violating and its passing units.
            let passing = match (
                object.get("violating").and_then(Value::as_u64),
                object.get("total").and_then(Value::as_u64),
            ) {
                (Some(v), Some(t)) => t.checked_sub(v),
                _ => None,
            };
            let mut small = passing.is_some_and(|p| is_small(p, bound));
            for key in COUNT_KEYS {
                small |= suppress_count(object, key, bound);
            }
            if small {
                for key in ["percent", "interval"] {
                    if object.get(key).is_some_and(|v| !v.is_null()) {
                        object.insert(key.into(), Value::String("suppressed".into()));
                    }
                }
            }
            for (_, child) in object.iter_mut() {
                walk(child, bound);
            }
        }
        _ => {}
    }
}

/// A reason's leading count (`"3 checked, under the profile's
/// min_denominator 20"`) suppressed when small.
fn counts_in_words(reason: &str, bound: u64) -> String {
    let digits: String = reason.chars().take_while(char::is_ascii_digit).collect();
    match digits.parse::<u64>() {
        Ok(n) if is_small(n, bound) => format!("{}{}", marker(bound), &reason[digits.len()..]),
        _ => reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn small_counts_and_the_percents_they_give_away() {
        let mut json = json!({
            "counts": {"population": 120, "eligible": 3, "evaluable": 0},
            "checks": [
                {"id": "a", "violating": 2, "total": 40, "percent": 5.0, "interval": [1.0, 16.0],
                 "reason": null, "sample": [{"person_id": 7}],
                 "sites": [{"site": "X", "violating": 0, "total": 4, "percent": 0.0}]},
                {"id": "b", "violating": 38, "total": 40, "percent": 95.0, "interval": [84.0, 99.0], "reason": null},
                {"id": "c", "violating": 0, "total": 3, "percent": 0.0, "reason": "3 checked, under the profile's min_denominator 20"}
            ]
        });
        results(&mut json, 5);
        assert_eq!(json["counts"]["eligible"], "<5");
        assert_eq!(json["counts"]["evaluable"], 0);
        assert_eq!(json["counts"]["population"], 120);
        let a = &json["checks"][0];
        assert_eq!(a["violating"], "<5");
        assert_eq!(a["percent"], "suppressed");
        assert_eq!(a["interval"], "suppressed");
        assert_eq!(a["sample"], json!([]));
        assert_eq!(a["sites"][0]["total"], "<5");
        // 38 of 40 shows the 2 that pass.
        assert_eq!(json["checks"][1]["percent"], "suppressed");
        assert_eq!(json["checks"][1]["violating"], 38);
        assert_eq!(
            json["checks"][2]["reason"],
            "<5 checked, under the profile's min_denominator 20"
        );
    }

    #[test]
    fn figures_lose_small_counts_and_person_ids() {
        let mut figure = Figure {
            id: "scanner_by_site",
            count_columns: vec!["series"],
            ..Figure::default()
        };
        for (person, series) in [(901, 3), (902, 12), (901, 0)] {
            let mut row = Map::new();
            row.insert("person_id".into(), json!(person));
            row.insert("series".into(), json!(series));
            figure.rows.push(row);
        }
        let mut all = vec![figure];
        figures(&mut all, 5);
        let rows = &all[0].rows;
        assert_eq!(rows[0]["series"], "<5");
        assert_eq!(rows[1]["series"], 12);
        assert_eq!(rows[2]["series"], 0);
        assert_eq!(
            rows.iter()
                .map(|r| r["person_id"].clone())
                .collect::<Vec<_>>(),
            vec![json!(1), json!(2), json!(1)]
        );
    }
}
