//! The assessment's charts, one function each, from its figures (the
//! tables [`rwid_fitness::figures`] computed during the assessment) and
//! from its checks' per-site figures. Each returns `None` when the
//! assessment has nothing to draw for it.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use rwid_fitness::figures::Figure;

use crate::chart::{Axis, Chart, NumberTable, drawn, rules, spec, stacked_bars};

/// Slice thickness classes in order (`slice_thickness_class`).
const THICKNESS_ORDER: &[&str] = &["thin", "medium", "thick", "missing"];
/// CT kernel classes in order (`ct_kernel_class`).
const KERNEL_ORDER: &[&str] = &["smooth", "medium", "sharp", "special", "unknown"];
/// RECIST 1.1 responses, best first (`recist11_best_response`).
const RESPONSE_ORDER: &[&str] = &["CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"];
/// Their colours: responses green, stable grey-blue, progression red.
const RESPONSE_COLOURS: &[&str] = &[
    "#1a7f37", "#54a24b", "#4c78a8", "#9ecae9", "#e45756", "#bab0ac",
];
/// LVEF categories (`lvef_category`).
const LVEF_ORDER: &[&str] = &["reduced", "mildly reduced", "preserved", "improved"];

/// A chart from a figure: its rows, error and notes.
fn from_figure(
    figure: &Figure,
    title: &str,
    caption: String,
    spec: Value,
    mark: &'static str,
    expected_marks: usize,
    table: NumberTable,
) -> Chart {
    let mut notes = figure.notes.clone();
    if let Some(of) = figure.sampled_from {
        notes.push(format!(
            "A systematic sample of {} of the {of} patients, in person order.",
            table.rows.len().min(of as usize)
        ));
    }
    Chart {
        id: figure.id.to_string(),
        title: title.to_string(),
        caption,
        spec: spec.to_string(),
        mark,
        expected_marks,
        table,
        notes,
    }
}

/// A figure that could not be computed, as the page says it.
pub fn unavailable(figures: &[Figure]) -> Vec<(String, String)> {
    figures
        .iter()
        .filter_map(|f| f.error.as_ref().map(|e| (f.id.to_string(), e.clone())))
        .collect()
}

fn find<'a>(figures: &'a [Figure], id: &str) -> Option<&'a Figure> {
    figures
        .iter()
        .find(|f| f.id == id && f.error.is_none() && !f.rows.is_empty())
}

pub fn scanners(figures: &[Figure]) -> Option<Chart> {
    let figure = find(figures, "scanner_by_site")?;
    Some(from_figure(
        figure,
        "Scanners per site",
        "The eligible persons' qualifying series by scanner vendor and model (scanner_vendor), per site.".into(),
        stacked_bars(&figure.rows, ("site", "Site"), ("scanner", "Scanner"), ("series", "Series"), None),
        "rect",
        drawn(&figure.rows, "series"),
        NumberTable::of(&figure.rows, &["site", "vendor", "scanner", "series"], &["series"]),
    ))
}

pub fn kernels(figures: &[Figure]) -> Option<Chart> {
    let figure = find(figures, "kernel_class_by_site")?;
    Some(from_figure(
        figure,
        "Reconstruction kernels per site",
        "The eligible persons' series by CT kernel class (ct_kernel_class, per vendor), per site."
            .into(),
        stacked_bars(
            &figure.rows,
            ("site", "Site"),
            ("kernel_class", "Kernel class"),
            ("series", "Series"),
            Some(KERNEL_ORDER),
        ),
        "rect",
        drawn(&figure.rows, "series"),
        NumberTable::of(
            &figure.rows,
            &["site", "kernel_class", "series"],
            &["series"],
        ),
    ))
}

pub fn slice_thickness(figures: &[Figure]) -> Option<Chart> {
    let figure = find(figures, "slice_thickness_by_site")?;
    Some(from_figure(
        figure,
        "Slice thickness per site",
        "The eligible persons' series by slice thickness class (slice_thickness_class: thin up to 1.5 mm, medium up to 3 mm, thick above), per site.".into(),
        stacked_bars(
            &figure.rows,
            ("site", "Site"),
            ("slice_thickness_class", "Slice thickness"),
            ("series", "Series"),
            Some(THICKNESS_ORDER),
        ),
        "rect",
        drawn(&figure.rows, "series"),
        NumberTable::of(&figure.rows, &["site", "slice_thickness_class", "series"], &["series"]),
    ))
}

pub fn scan_timing(figures: &[Figure]) -> Option<Chart> {
    let figure = find(figures, "scan_timing")?;
    let reference = |name: &str| figure.references.get(name).copied();
    let mut lines = Vec::new();
    if let (Some(from), Some(to)) = (reference("baseline_from_day"), reference("baseline_to_day")) {
        lines.push((from / 7.0, format!("baseline window, day {from} to {to}")));
        lines.push((to / 7.0, String::new()));
    }
    let bars = json!({
        "mark": {"type": "bar", "tooltip": true, "color": "#4c78a8"},
        "encoding": {
            "x": {"field": "week", "type": "quantitative", "title": "Week from the index date"},
            "y": {"field": "visits", "type": "quantitative", "title": "Imaging visits"}
        }
    });
    let chart = spec(
        &figure.rows,
        json!({"height": 200, "layer": [bars, rules(Axis::X, &lines)]}),
    );
    Some(from_figure(
        figure,
        "Scan timing",
        "The eligible persons' imaging visits (distinct scan dates) by week from the index date, with the profile's baseline window.".into(),
        chart,
        "rect",
        drawn(&figure.rows, "visits"),
        NumberTable::of(&figure.rows, &["week", "visits"], &["visits"]),
    ))
}

pub fn waterfall(figures: &[Figure]) -> Option<Chart> {
    let figure = find(figures, "recist_best_change")?;
    let bars = json!({
        "mark": {"type": "bar", "tooltip": true},
        "encoding": {
            "x": {"field": "person_id", "type": "nominal", "sort": {"field": "best_change_percent", "order": "descending"},
                  "axis": {"labels": false, "ticks": false, "title": "Patients, by best change"}},
            "y": {"field": "best_change_percent", "type": "quantitative", "title": "Best change in the sum of diameters (%)"},
            "color": {"field": "best_response", "type": "nominal", "title": "Best response (unconfirmed)",
                      "sort": RESPONSE_ORDER,
                      "scale": {"domain": RESPONSE_ORDER, "range": RESPONSE_COLOURS}}
        }
    });
    let thresholds = rules(
        Axis::Y,
        &[
            (-30.0, "-30 %: partial response".into()),
            (20.0, "+20 %: progression".into()),
        ],
    );
    Some(from_figure(
        figure,
        "RECIST 1.1 waterfall",
        "Each eligible patient's best change in the sum of target-lesion diameters from baseline, coloured by best overall response.".into(),
        spec(&figure.rows, json!({"height": 240, "layer": [bars, thresholds]})),
        "rect",
        drawn(&figure.rows, "best_change_percent"),
        NumberTable::of(&figure.rows, &["site", "person_id", "best_change_percent", "best_response"], &[]),
    ))
}

pub fn spider(figures: &[Figure]) -> Option<Chart> {
    let figure = find(figures, "recist_burden")?;
    let lines = json!({
        "mark": {"type": "line", "point": false, "strokeWidth": 1, "opacity": 0.7},
        "encoding": {
            "x": {"field": "day", "type": "quantitative", "title": "Days from baseline"},
            "y": {"field": "change_percent", "type": "quantitative", "title": "Change in the sum of diameters (%)"},
            "detail": {"field": "person_id", "type": "nominal"},
            "color": {"value": "#4c78a8"}
        }
    });
    let thresholds = rules(Axis::Y, &[(-30.0, "-30 %".into()), (20.0, "+20 %".into())]);
    Some(from_figure(
        figure,
        "Tumour burden over time",
        "Spider plot: each eligible patient's change in the sum of target-lesion diameters from baseline at every time point.".into(),
        spec(&figure.rows, json!({"height": 240, "layer": [lines, thresholds]})),
        "line",
        drawn(&figure.rows, "change_percent"),
        NumberTable::of(&figure.rows, &["person_id", "day", "change_percent"], &[]),
    ))
}

pub fn centiloid(figures: &[Figure]) -> Option<Chart> {
    let figure = find(figures, "centiloid_by_tracer")?;
    let points = json!({
        "transform": [{"calculate": "(datum.person_id * 0.6180339887) % 1 - 0.5", "as": "jitter"}],
        "mark": {"type": "point", "filled": true, "opacity": 0.7, "tooltip": true},
        "encoding": {
            "x": {"field": "tracer", "type": "nominal", "title": "Tracer", "axis": {"labelAngle": 0}},
            "xOffset": {"field": "jitter", "type": "quantitative", "scale": {"domain": [-0.6, 0.6]}},
            "y": {"field": "centiloid", "type": "quantitative", "title": "Centiloid (CL)"},
            "color": {"field": "site", "type": "nominal", "title": "Site"}
        }
    });
    let mut layers = vec![points];
    if let Some(threshold) = figure.references.get("positivity_centiloid") {
        layers.push(rules(
            Axis::Y,
            &[(*threshold, format!("positive from {threshold} CL"))],
        ));
    }
    Some(from_figure(
        figure,
        "Centiloid by tracer",
        "The eligible persons' amyloid PET on the Centiloid scale, by tracer, with the profile's positivity threshold.".into(),
        spec(&figure.rows, json!({"height": 240, "layer": layers})),
        "symbol",
        drawn(&figure.rows, "centiloid"),
        NumberTable::of(&figure.rows, &["site", "person_id", "tracer", "centiloid"], &[]),
    ))
}

pub fn lvef(figures: &[Figure]) -> Option<Chart> {
    let figure = find(figures, "lvef")?;
    let points = json!({
        "transform": [{"calculate": "(datum.person_id * 0.6180339887) % 1 - 0.5", "as": "jitter"}],
        "mark": {"type": "point", "filled": true, "opacity": 0.7, "tooltip": true},
        "encoding": {
            "x": {"field": "lvef", "type": "quantitative", "title": "LVEF (%)"},
            "y": {"field": "category", "type": "nominal", "title": "Category (lvef_category)", "sort": LVEF_ORDER},
            "yOffset": {"field": "jitter", "type": "quantitative", "scale": {"domain": [-0.6, 0.6]}},
            "color": {"field": "category", "type": "nominal", "sort": LVEF_ORDER, "legend": null}
        }
    });
    Some(from_figure(
        figure,
        "LVEF and its categories",
        "The eligible persons' left-ventricular ejection fraction, by category (lvef_category: 2021 ESC heart-failure guideline).".into(),
        spec(&figure.rows, json!({"height": 160, "layer": [points]})),
        "symbol",
        drawn(&figure.rows, "lvef"),
        NumberTable::of(&figure.rows, &["site", "person_id", "lvef", "category", "method"], &[]),
    ))
}

pub fn batch_effect(figures: &[Figure]) -> Option<Chart> {
    let figure = find(figures, "batch_effect")?;
    let mut notes = Vec::new();
    if let Some(p_values) = find(figures, "batch_effect_anova") {
        for row in &p_values.rows {
            let text = |key: &str| row.get(key).map(plain).unwrap_or_default();
            notes.push(format!(
                "{} {}: batch_effect_anova p = {}",
                text("feature"),
                text("stage"),
                row.get("p_value")
                    .and_then(Value::as_f64)
                    .map_or("not computed".to_string(), |p| format!("{p:.3e}"))
            ));
        }
    }
    let layer = json!({
        "layer": [
            {"mark": {"type": "line", "strokeWidth": 1, "opacity": 0.6},
             "encoding": {"x": {"field": "stage", "type": "nominal", "sort": ["before ComBat", "after ComBat"], "title": null, "axis": {"labelAngle": 0}},
                          "y": {"field": "mean", "type": "quantitative", "title": "Batch mean", "scale": {"zero": false}},
                          "detail": {"field": "batch"}, "color": {"field": "batch", "type": "nominal", "title": "Batch"}}},
            {"mark": {"type": "point", "filled": true, "tooltip": true},
             "encoding": {"x": {"field": "stage", "type": "nominal", "sort": ["before ComBat", "after ComBat"]},
                          "y": {"field": "mean", "type": "quantitative"},
                          "color": {"field": "batch", "type": "nominal"}}}
        ]
    });
    let mut body = spec(
        &figure.rows,
        json!({
            "facet": {"column": {"field": "feature", "type": "nominal", "title": "Feature"}},
            "spec": {"width": 160, "height": 180, "layer": layer["layer"]},
            "resolve": {"scale": {"y": "independent"}}
        }),
    );
    // A faceted chart sizes its cells, not the container.
    if let Some(object) = body.as_object_mut() {
        object.remove("width");
        object.insert("autosize".into(), json!({"type": "pad"}));
    }
    let mut chart = from_figure(
        figure,
        "Batch effect before and after ComBat",
        "Each quantitative feature's mean per harmonization batch, before and after ComBat: harmonized batches meet.".into(),
        body,
        "symbol",
        drawn(&figure.rows, "mean"),
        NumberTable::of(&figure.rows, &["feature", "batch", "stage", "samples", "mean"], &["samples"]),
    );
    chart.notes.extend(notes);
    Some(chart)
}

/// Element by site: the percent of persons lacking each element
/// (`completeness.*` checks' per-site figures).
pub fn completeness(checks: &[Value]) -> Option<Chart> {
    let mut rows = Vec::new();
    for check in checks {
        let Some(element) = text(check, "id").and_then(|id| id.strip_prefix("completeness."))
        else {
            continue;
        };
        for site in check["sites"].as_array().into_iter().flatten() {
            let mut row = Map::new();
            row.insert("element".into(), element.into());
            for key in ["site", "violating", "total", "percent"] {
                row.insert(key.into(), site.get(key).cloned().unwrap_or(Value::Null));
            }
            row.insert(
                "label".into(),
                match site.get("percent") {
                    Some(Value::Number(p)) => format!("{:.0} %", p.as_f64().unwrap_or(0.0)).into(),
                    _ => "suppressed".into(),
                },
            );
            rows.push(row);
        }
    }
    if rows.is_empty() {
        return None;
    }
    let elements = rows
        .iter()
        .filter_map(|r| r.get("element").and_then(Value::as_str))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let body = json!({
        "height": 26 * elements,
        "layer": [
            {"transform": [{"filter": "isNumber(datum.percent)"}],
             "mark": {"type": "rect", "tooltip": true},
             "encoding": {
                "x": {"field": "site", "type": "nominal", "title": "Site", "axis": {"labelAngle": 0, "orient": "top"}},
                "y": {"field": "element", "type": "nominal", "title": "Element"},
                "color": {"field": "percent", "type": "quantitative", "title": "Missing (%)",
                          "scale": {"scheme": "orangered", "domain": [0, 100]}}}},
            // Suppressed cells, grey: their percent would give the count away.
            {"transform": [{"filter": "!isNumber(datum.percent)"}],
             "mark": {"type": "rect", "color": "#d9d9d9", "tooltip": true},
             "encoding": {"x": {"field": "site", "type": "nominal"}, "y": {"field": "element", "type": "nominal"}}},
            {"mark": {"type": "text", "fontSize": 10},
             "encoding": {"x": {"field": "site", "type": "nominal"}, "y": {"field": "element", "type": "nominal"},
                          "text": {"field": "label"},
                          "color": {"condition": {"test": "isNumber(datum.percent) && datum.percent > 60", "value": "white"}, "value": "black"}}}
        ]
    });
    let expected = rows.len();
    Some(Chart {
        id: "completeness".into(),
        title: "Completeness by site".into(),
        caption: "Percent of the eligible persons lacking each element, per site (the completeness checks' per-site figures).".into(),
        spec: spec(&rows, body).to_string(),
        mark: "rect",
        expected_marks: expected,
        table: NumberTable::of(&rows, &["element", "site", "violating", "total", "percent"], &["violating", "total"]),
        notes: Vec::new(),
    })
}

/// Per site, the eligible persons' series that form one regular volume
/// and those with each geometry problem (`imaging.geometry`).
pub fn geometry(
    check: Option<&Value>,
    failures: &[(Option<String>, Option<String>)],
    bound: Option<u64>,
) -> Option<Chart> {
    let check = check?;
    let sites = check["sites"].as_array()?;
    let mut problems: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (site, detail) in failures {
        let site = site.clone().unwrap_or_else(|| "unknown".into());
        *problems
            .entry((site, problem_kind(detail.as_deref())))
            .or_default() += 1;
    }
    let mut rows = Vec::new();
    for site in sites {
        let Some(name) = text(site, "site") else {
            continue;
        };
        let (Some(violating), Some(total)) = (site["violating"].as_u64(), site["total"].as_u64())
        else {
            // Suppressed counts: the site's bar is not drawn.
            continue;
        };
        let mut push = |problem: String, series: u64| {
            let mut row = Map::new();
            row.insert("site".into(), name.into());
            row.insert("problem".into(), problem.into());
            row.insert(
                "series".into(),
                match bound {
                    Some(bound) if crate::suppress::is_small(series, bound) => {
                        crate::suppress::marker(bound).into()
                    }
                    _ => series.into(),
                },
            );
            rows.push(row);
        };
        push("one regular volume".into(), total.saturating_sub(violating));
        for ((problem_site, problem), n) in &problems {
            if problem_site == name {
                push(problem.clone(), *n);
            }
        }
    }
    if rows.is_empty() {
        return None;
    }
    let kinds: Vec<String> = rows
        .iter()
        .filter_map(|r| r.get("problem").and_then(Value::as_str).map(str::to_string))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut order = vec!["one regular volume".to_string()];
    order.extend(kinds.into_iter().filter(|k| k != "one regular volume"));
    let order: Vec<&str> = order.iter().map(String::as_str).collect();
    let mut body = stacked_bars(
        &rows,
        ("site", "Site"),
        ("problem", "Series geometry"),
        ("series", "Series"),
        Some(&order),
    );
    body["encoding"]["color"]["scale"]["range"] = json!(
        std::iter::once("#72b7b2")
            .chain(
                ["#e45756", "#f58518", "#b279a2", "#9d755d", "#bab0ac"]
                    .into_iter()
                    .cycle()
            )
            .take(order.len())
            .collect::<Vec<_>>()
    );
    Some(Chart {
        id: "geometry".into(),
        title: "Series geometry per site".into(),
        caption: "The eligible persons' series per site that form one regular volume, and those that do not, by the first problem dicom_volume_check found.".into(),
        expected_marks: drawn(&rows, "series"),
        spec: body.to_string(),
        mark: "rect",
        table: NumberTable::of(&rows, &["site", "problem", "series"], &["series"]),
        notes: Vec::new(),
    })
}

/// A geometry problem without its figures ("3 image(s) without ..." and
/// "slice spacing varies from 2.5 to 5 mm" name kinds of problem).
fn problem_kind(detail: Option<&str>) -> String {
    let Some(detail) = detail else {
        return "unknown".into();
    };
    let detail = detail.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ');
    let cut = detail
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(detail.len());
    detail[..cut]
        .trim_end()
        .trim_end_matches(" from")
        .trim_end_matches(['(', ' '])
        .to_string()
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_kinds_lose_their_figures() {
        assert_eq!(
            problem_kind(Some(
                "3 image(s) without ImagePositionPatient, PixelSpacing"
            )),
            "image(s) without ImagePositionPatient, PixelSpacing"
        );
        assert_eq!(
            problem_kind(Some(
                "slice spacing varies from 2.500 to 5.000 mm (tolerance 0.01 mm)"
            )),
            "slice spacing varies"
        );
        assert_eq!(
            problem_kind(Some("more than one PixelSpacing")),
            "more than one PixelSpacing"
        );
        assert_eq!(problem_kind(None), "unknown");
    }
}
