//! A chart: a Vega-Lite specification with its data inlined, the table of
//! numbers shown beside it, and the marks a browser must draw for it.
//!
//! The specifications are Vega-Lite 6 (Satyanarayan et al., IEEE TVCG
//! 2017), rendered in the page by the vega, vega-lite and vega-embed
//! bundles (see `assets/vendor/VERSIONS`). Each chart states which Vega
//! mark type carries its data and how many items of it the browser must
//! draw; the page counts them in Vega's scenegraph after rendering, so a
//! test can tell a chart drawn from one that failed.

use serde::Serialize;
use serde_json::{Map, Value, json};

/// Vega-Lite's schema of the specifications (a name, never fetched).
pub const SCHEMA: &str = "https://vega.github.io/schema/vega-lite/v6.json";

/// A chart ready for the page.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub caption: String,
    /// The Vega-Lite specification as JSON text, data included.
    pub spec: String,
    /// The Vega mark type whose items are the data (`rect`, `symbol`,
    /// `line`), and how many the browser must draw.
    pub mark: &'static str,
    pub expected_marks: usize,
    /// The numbers beside the chart.
    pub table: NumberTable,
    pub notes: Vec<String>,
}

/// Rows of a chart's numbers, cells as the page shows them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NumberTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// Columns holding counts (shown through the page's count filter, which
    /// knows suppressed cells).
    pub count_columns: Vec<String>,
}

impl NumberTable {
    /// `columns` of `rows`, in that order.
    pub fn of(rows: &[Map<String, Value>], columns: &[&str], count_columns: &[&str]) -> Self {
        Self {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: rows
                .iter()
                .map(|row| {
                    columns
                        .iter()
                        .map(|c| row.get(*c).cloned().unwrap_or(Value::Null))
                        .collect()
                })
                .collect(),
            count_columns: count_columns.iter().map(|c| c.to_string()).collect(),
        }
    }
}

/// Rows whose `field` is a number (a suppressed or missing count is not
/// drawn).
pub fn drawn(rows: &[Map<String, Value>], field: &str) -> usize {
    rows.iter()
        .filter(|row| row.get(field).is_some_and(Value::is_number))
        .count()
}

/// The specification's common part: data, size, the page's font.
pub fn spec(rows: &[Map<String, Value>], body: Value) -> Value {
    let mut spec = json!({
        "$schema": SCHEMA,
        "data": {"values": rows},
        "width": "container",
        "autosize": {"type": "fit-x", "contains": "padding"},
        "config": {
            "font": "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif",
            "view": {"stroke": null},
            "axis": {"labelFontSize": 11, "titleFontSize": 12},
            "legend": {"labelFontSize": 11, "titleFontSize": 12, "orient": "bottom", "columns": 4}
        }
    });
    if let (Some(target), Value::Object(body)) = (spec.as_object_mut(), body) {
        target.extend(body);
    }
    spec
}

/// Stacked bars of `count` per `x`, coloured by `color` in `order`
/// (others after, as they come).
pub fn stacked_bars(
    rows: &[Map<String, Value>],
    x: (&str, &str),
    color: (&str, &str),
    count: (&str, &str),
    order: Option<&[&str]>,
) -> Value {
    let mut color_encoding = json!({"field": color.0, "type": "nominal", "title": color.1});
    if let Some(order) = order {
        color_encoding["sort"] = json!(order);
        color_encoding["scale"] = json!({"domain": order});
    }
    spec(
        rows,
        json!({
            "height": 220,
            "mark": {"type": "bar", "tooltip": true},
            "encoding": {
                "x": {"field": x.0, "type": "nominal", "title": x.1, "axis": {"labelAngle": 0}},
                "y": {"field": count.0, "type": "quantitative", "title": count.1, "stack": "zero"},
                "color": color_encoding,
                "order": {"field": color.0}
            }
        }),
    )
}

/// Reference lines at `values` across the `axis` (`x`: vertical lines,
/// labelled at the top; `y`: horizontal lines, labelled at the right).
pub fn rules(axis: Axis, values: &[(f64, String)]) -> Value {
    let data: Vec<Value> = values
        .iter()
        .map(|(v, label)| json!({"at": v, "label": label}))
        .collect();
    let position = json!({"field": "at", "type": "quantitative"});
    let (mut rule, mut text) = (json!({}), json!({"text": {"field": "label"}}));
    let label = match axis {
        Axis::X => {
            rule["x"] = position.clone();
            text["x"] = position;
            text["y"] = json!({"value": 0});
            json!({"type": "text", "align": "left", "dx": 3, "dy": -4, "baseline": "top", "fontSize": 10, "color": "#333"})
        }
        Axis::Y => {
            rule["y"] = position.clone();
            text["y"] = position;
            text["x"] = json!({"value": "width"});
            json!({"type": "text", "align": "right", "dy": -5, "fontSize": 10, "color": "#333"})
        }
    };
    json!({
        "data": {"values": data},
        "layer": [
            {"mark": {"type": "rule", "strokeDash": [4, 3], "color": "#555"}, "encoding": rule},
            {"mark": label, "encoding": text}
        ]
    })
}

/// The axis reference lines cross.
#[derive(Debug, Clone, Copy)]
pub enum Axis {
    X,
    Y,
}
