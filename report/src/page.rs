//! Pages from the templates in `templates/`, with the style, the page's
//! script and the chart libraries inlined: one file that needs nothing but
//! a browser, opened from disk with no network.
//!
//! Templates are Jinja (minijinja), HTML-escaped by default. Counts and
//! percents go through the `count` and `percent` filters, which know
//! suppressed cells and mark every count with `data-count`, so that a test
//! can read every count a page shows.

use minijinja::value::Value as TemplateValue;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, HtmlEscape};
use serde::Serialize;
use serde_json::Value;

/// The chart libraries, pinned in `assets/vendor/VERSIONS`, with their
/// licences (inlined beside them, as their BSD-3-Clause licence asks).
const VENDOR: &[(&str, &str, &str)] = &[
    (
        "vega",
        include_str!("../assets/vendor/vega.min.js"),
        include_str!("../assets/vendor/vega.LICENSE"),
    ),
    (
        "vega-lite",
        include_str!("../assets/vendor/vega-lite.min.js"),
        include_str!("../assets/vendor/vega-lite.LICENSE"),
    ),
    (
        "vega-embed",
        include_str!("../assets/vendor/vega-embed.min.js"),
        include_str!("../assets/vendor/vega-embed.LICENSE"),
    ),
];
const VERSIONS: &str = include_str!("../assets/vendor/VERSIONS");
const STYLE: &str = include_str!("../assets/report.css");
const SCRIPT: &str = include_str!("../assets/report.js");
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    (
        "assessment.html",
        include_str!("../templates/assessment.html"),
    ),
    (
        "lake_check.html",
        include_str!("../templates/lake_check.html"),
    ),
    (
        "attrition.html",
        include_str!("../templates/attrition.html"),
    ),
];

/// A report could not be rendered (a template's error, with its line).
#[derive(Debug)]
pub struct ReportError(pub String);

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot render the report: {}", self.0)
    }
}

impl std::error::Error for ReportError {}

impl From<Error> for ReportError {
    fn from(error: Error) -> Self {
        let mut message = error.to_string();
        if let Some(line) = error.line() {
            message.push_str(&format!(" (line {line})"));
        }
        ReportError(message)
    }
}

/// Renders `template` with `context` and the page's assets.
pub fn render(template: &str, context: &impl Serialize) -> Result<String, ReportError> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    env.add_filter("count", count);
    env.add_filter("percent", percent);
    env.add_filter("number", number);
    env.add_filter("script_json", script_json);
    env.add_global("style", TemplateValue::from_safe_string(STYLE.to_string()));
    env.add_global(
        "script",
        TemplateValue::from_safe_string(script_text(SCRIPT)),
    );
    let vendor: Vec<TemplateValue> = VENDOR
        .iter()
        .map(|(name, code, licence)| {
            TemplateValue::from_serialize(serde_json::json!({
                "name": name,
                "version": version_of(name),
                "code": script_text(code),
                "licence": licence,
            }))
        })
        .collect();
    env.add_global("vendor", TemplateValue::from(vendor));
    Ok(env.get_template(template)?.render(context)?)
}

/// The pinned version of a vendored package.
fn version_of(package: &str) -> String {
    VERSIONS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
        .find(|(name, _)| *name == package)
        .map(|(_, version)| version.trim().to_string())
        .unwrap_or_default()
}

/// Script text safe inside `<script>`: no closing tag, and no source map
/// comment (DevTools would ask the disk for a file that is not there).
fn script_text(code: &str) -> String {
    code.lines()
        .filter(|line| !line.starts_with("//# sourceMappingURL="))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("</script", "<\\/script")
}

/// JSON for a `<script type="application/json">` element.
fn script_json(value: TemplateValue) -> Result<TemplateValue, Error> {
    let text = match value.as_str() {
        Some(text) => text.to_string(),
        None => serde_json::to_string(&value)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("not JSON: {e}")))?,
    };
    Ok(TemplateValue::from_safe_string(
        text.replace("</", "<\\/").replace("<!--", "<\\!--"),
    ))
}

/// A count as the page shows it, thousands separated and marked
/// `data-count` (`suppressed` for a suppressed cell); empty for none.
fn count(value: TemplateValue) -> TemplateValue {
    let json: Value = serde_json::to_value(&value).unwrap_or(Value::Null);
    let html = match json {
        Value::Number(n) => match n.as_u64() {
            Some(n) => format!(
                "<span class=\"n\" data-count=\"{n}\">{}</span>",
                thousands(n)
            ),
            None => format!("<span class=\"n\" data-count=\"{n}\">{n}</span>"),
        },
        Value::String(s) if s.starts_with('<') => format!(
            "<span class=\"n suppressed\" data-count=\"suppressed\" title=\"small cell, suppressed\">{}</span>",
            HtmlEscape(&s)
        ),
        Value::String(s) => HtmlEscape(&s).to_string(),
        _ => String::new(),
    };
    TemplateValue::from_safe_string(html)
}

/// A percent to one decimal, or what stands in its place.
fn percent(value: TemplateValue) -> String {
    match serde_json::to_value(&value).unwrap_or(Value::Null) {
        Value::Number(n) => format!("{:.1} %", n.as_f64().unwrap_or(0.0)),
        Value::String(s) => s,
        _ => String::new(),
    }
}

/// A number with at most three decimals.
fn number(value: TemplateValue) -> String {
    match serde_json::to_value(&value).unwrap_or(Value::Null) {
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => {
                let text = format!("{:.3}", n.as_f64().unwrap_or(0.0));
                text.trim_end_matches('0').trim_end_matches('.').to_string()
            }
        },
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_marked_and_separated() {
        assert_eq!(
            count(TemplateValue::from(1234567u64)).to_string(),
            "<span class=\"n\" data-count=\"1234567\">1,234,567</span>"
        );
        assert!(
            count(TemplateValue::from("<5"))
                .to_string()
                .contains("data-count=\"suppressed\"")
        );
        assert_eq!(count(TemplateValue::from(())).to_string(), "");
    }

    #[test]
    fn scripts_cannot_close_their_element() {
        assert_eq!(
            script_text("a = '</script>';\n//# sourceMappingURL=x.map"),
            "a = '<\\/script>';"
        );
    }

    #[test]
    fn vendored_versions_are_read() {
        assert_eq!(version_of("vega-lite"), "6.5.0");
    }
}
