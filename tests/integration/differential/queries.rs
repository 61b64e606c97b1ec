//! Random queries of the shapes rwid's physical rules take, and of shapes
//! next to them that they must leave alone.
//!
//! - GROUP BY with counts, integer and float sums, min, max, avg
//!   (run collapsing before the partial aggregation, with a fused filter);
//! - DISTINCT and count(DISTINCT) (key-only collapses, the run scan);
//! - inner joins below aggregates (collapse on the probe side, carrying
//!   counts and sums), DISTINCT over joins, semi and anti joins (`IN`,
//!   `EXISTS`, `NOT IN`, `NOT EXISTS`: duplicate-insensitive probe sides);
//! - `row_number()` with `rn <= K`, `rn < K`, `rn = K` filters (the first K
//!   rows per partition), and `row_number`, `lag`, `lead` windows over
//!   sorted partitions.
//!
//! Filters are conjunctions of text equalities (short and long texts), IN
//! lists with and without NULL items, ORs of equalities on one column,
//! ranges on integers, dates and floats, IS [NOT] NULL, and literals the
//! data does not hold. Window orders end in the unique `id`, so that every
//! plan numbers the same rows the same way.

use super::lake::Domain;
use rwid::demo::rng::Rng;

pub struct QueryGen<'a> {
    rng: Rng,
    domain: &'a Domain,
}

/// The index's columns by what may be done with them.
const GROUP_KEYS: &[&str] = &["p", "u", "m", "b", "n", "g", "d", "f"];
const TEXT: &[&str] = &["p", "u", "m", "b"];
const INTEGER: &[&str] = &["n", "g", "id"];
const ANY: &[&str] = &["p", "u", "m", "b", "n", "g", "d", "f", "id"];
/// Columns for DISTINCT, drawn mostly from the series' and patients' (long
/// runs in a clustered index, read as runs) and now and then the
/// instances' (runs of one row).
const DISTINCT: &[&str] = &[
    "p", "u", "m", "b", "d", "g", "p", "u", "m", "b", "d", "g", "n", "f", "id",
];

impl<'a> QueryGen<'a> {
    pub fn new(rng: Rng, domain: &'a Domain) -> Self {
        Self { rng, domain }
    }

    pub fn query(&mut self) -> String {
        match self
            .rng
            .weighted(&[3.0, 2.0, 2.0, 0.7, 2.0, 1.0, 2.0, 2.0, 1.0, 0.7])
        {
            0 => self.grouped(),
            1 => self.distinct(),
            2 => self.count_distinct(),
            3 => self.global(),
            4 => self.join_aggregate(),
            5 => self.join_distinct(),
            6 => self.semi_or_anti(),
            7 => self.first_k(),
            8 => self.lag_lead(),
            _ => self.self_join(),
        }
    }

    fn pick(&mut self, items: &[&'static str]) -> &'static str {
        self.rng.pick::<&str>(items)
    }

    /// One to `most` different items.
    fn some(&mut self, items: &[&'static str], most: usize) -> Vec<&'static str> {
        let count = self.rng.int(1, most.min(items.len()) as i64) as usize;
        let mut chosen = Vec::new();
        while chosen.len() < count {
            let item = self.pick(items);
            if !chosen.contains(&item) {
                chosen.push(item);
            }
        }
        chosen
    }

    fn with_prefix(prefix: &str, columns: &[&str]) -> Vec<String> {
        columns.iter().map(|c| format!("{prefix}{c}")).collect()
    }

    /// An aggregate over the index's columns (`prefix`ed).
    fn aggregate(&mut self, prefix: &str) -> String {
        let any = self.pick(ANY);
        let integer = self.pick(INTEGER);
        match self.rng.int(0, 12) {
            0 | 1 => "count(*)".to_string(),
            2 => format!("count({prefix}{any})"),
            3 | 4 => format!("sum({prefix}{integer})"),
            5 => format!("min({prefix}{any})"),
            6 => format!("max({prefix}{any})"),
            7 | 8 => format!("count(DISTINCT {prefix}{})", self.pick(DISTINCT)),
            9 => format!("avg({prefix}n)"),
            10 => format!("sum({prefix}f)"),
            11 => format!("sum({prefix}n % 5)"),
            _ => format!("count(DISTINCT {prefix}{integer} % 3)"),
        }
    }

    fn aggregates(&mut self, prefix: &str) -> String {
        let count = self.rng.int(1, 4);
        (0..count)
            .map(|i| format!("{} AS a{i}", self.aggregate(prefix)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn grouped(&mut self) -> String {
        let keys = self.some(GROUP_KEYS, 3).join(", ");
        let aggregates = self.aggregates("");
        let filter = self.where_clause("");
        format!("SELECT {keys}, {aggregates} FROM facts{filter} GROUP BY {keys}")
    }

    fn distinct(&mut self) -> String {
        let columns = self.some(DISTINCT, 4).join(", ");
        let filter = self.where_clause("");
        format!("SELECT DISTINCT {columns} FROM facts{filter}")
    }

    fn count_distinct(&mut self) -> String {
        let key = self.pick(GROUP_KEYS);
        let counted = self.some(DISTINCT, 2);
        let counts: Vec<String> = counted
            .iter()
            .enumerate()
            .map(|(i, c)| format!("count(DISTINCT {c}) AS c{i}"))
            .collect();
        let filter = self.where_clause("");
        format!(
            "SELECT {key}, {} FROM facts{filter} GROUP BY {key}",
            counts.join(", ")
        )
    }

    fn global(&mut self) -> String {
        let aggregates = self.aggregates("");
        let filter = self.where_clause("");
        format!("SELECT {aggregates} FROM facts{filter}")
    }

    fn join_aggregate(&mut self) -> String {
        let keys = match self.rng.int(0, 3) {
            0 => vec!["dm.grp".to_string()],
            1 => vec!["dm.w".to_string(), "f.m".to_string()],
            _ => Self::with_prefix("f.", &self.some(GROUP_KEYS, 2)),
        }
        .join(", ");
        let aggregates = self.aggregates("f.");
        let filter = self.where_clause("f.");
        let on = self.join_condition();
        format!(
            "SELECT {keys}, {aggregates} FROM facts f JOIN dims dm ON {on}{filter} GROUP BY {keys}"
        )
    }

    fn join_condition(&mut self) -> String {
        match self.rng.int(0, 6) {
            0 => "f.p = dm.p AND dm.grp > 0".to_string(),
            1 => "f.p = dm.p AND f.d >= dm.since".to_string(),
            2 => format!(
                "f.p = dm.p AND dm.w = '{}'",
                self.rng.pick(&self.domain.sites)
            ),
            _ => "f.p = dm.p".to_string(),
        }
    }

    fn join_distinct(&mut self) -> String {
        let mut columns = Self::with_prefix("f.", &self.some(DISTINCT, 3));
        if self.rng.chance(0.5) {
            columns.push(self.pick(&["dm.w", "dm.grp", "dm.since"]).to_string());
        }
        let filter = self.where_clause("f.");
        let on = self.join_condition();
        format!(
            "SELECT DISTINCT {} FROM facts f JOIN dims dm ON {on}{filter}",
            columns.join(", ")
        )
    }

    fn semi_or_anti(&mut self) -> String {
        let not = if self.rng.chance(0.35) { "NOT " } else { "" };
        match self.rng.int(0, 3) {
            0 => {
                let filter = self.where_clause("");
                let (aggregates, group) = self.aggregates_of_dims();
                format!(
                    "SELECT {aggregates} FROM dims dm WHERE dm.p {not}IN \
                     (SELECT p FROM facts{filter}){group}"
                )
            }
            1 => {
                let condition = self.condition("f.");
                format!(
                    "SELECT dm.w, count(*) AS n FROM dims dm WHERE {not}EXISTS \
                     (SELECT 1 FROM facts f WHERE f.p = dm.p AND {condition}) GROUP BY dm.w"
                )
            }
            2 => {
                let keys = self.some(GROUP_KEYS, 2).join(", ");
                let aggregates = self.aggregates("");
                let group = self.rng.int(0, 3);
                format!(
                    "SELECT {keys}, {aggregates} FROM facts WHERE p {not}IN \
                     (SELECT p FROM dims WHERE grp = {group}) GROUP BY {keys}"
                )
            }
            _ => {
                let columns = Self::with_prefix("f.", &self.some(DISTINCT, 3)).join(", ");
                let filter = self.and_condition("f.");
                format!(
                    "SELECT DISTINCT {columns} FROM facts f WHERE {not}EXISTS \
                     (SELECT 1 FROM dims dm WHERE dm.p = f.p AND dm.grp >= 1){filter}"
                )
            }
        }
    }

    /// Aggregates over `dims`, and their GROUP BY clause.
    fn aggregates_of_dims(&mut self) -> (&'static str, &'static str) {
        *self.rng.pick(&[
            ("count(*) AS n", ""),
            ("count(DISTINCT dm.p) AS n, min(dm.since) AS first", ""),
            ("dm.w, count(*) AS n", " GROUP BY dm.w"),
        ])
    }

    /// A window's PARTITION BY and ORDER BY, its order made total by `id`.
    fn window(&mut self) -> String {
        let partition = self
            .pick(&["p", "u", "m", "p, m", "b", "d", "grp_less"])
            .replace("grp_less", "n % 4");
        let order = self.pick(&["d", "n", "g", "f", "u", "m"]);
        let direction = self.pick(&["", " DESC", " NULLS FIRST", " DESC NULLS LAST"]);
        let id_direction = self.pick(&["", " DESC"]);
        if self.rng.chance(0.1) {
            return format!("ORDER BY {order}{direction}, id{id_direction}");
        }
        format!("PARTITION BY {partition} ORDER BY {order}{direction}, id{id_direction}")
    }

    fn first_k(&mut self) -> String {
        let columns = self.some(ANY, 3).join(", ");
        let window = self.window();
        let filter = self.where_clause("");
        let k = self.rng.int(1, 5);
        let op = self.pick(&["<=", "<", "="]);
        format!(
            "SELECT {columns}, rn FROM (SELECT {columns}, row_number() OVER ({window}) AS rn \
             FROM facts{filter}) t WHERE rn {op} {k}"
        )
    }

    fn lag_lead(&mut self) -> String {
        let window = self.window();
        let mut functions = Vec::new();
        for i in 0..self.rng.int(1, 3) {
            let column = self.pick(ANY);
            let offset = self.rng.int(1, 3);
            let function = match self.rng.int(0, 2) {
                0 => format!("lag({column}, {offset})"),
                1 => format!("lead({column}, {offset})"),
                _ => "row_number()".to_string(),
            };
            functions.push(format!("{function} OVER ({window}) AS w{i}"));
        }
        let filter = self.where_clause("");
        format!("SELECT id, {} FROM facts{filter}", functions.join(", "))
    }

    fn self_join(&mut self) -> String {
        let keys = Self::with_prefix("a.", &self.some(GROUP_KEYS, 2)).join(", ");
        let aggregates = self.aggregates("a.");
        let condition = self.condition("");
        let key = self.pick(&["p", "u"]);
        format!(
            "SELECT {keys}, {aggregates} FROM facts a JOIN \
             (SELECT DISTINCT {key} FROM facts WHERE {condition}) c ON a.{key} = c.{key} \
             GROUP BY {keys}"
        )
    }

    /// ` WHERE ...` over the index's columns, or nothing.
    fn where_clause(&mut self, prefix: &str) -> String {
        if self.rng.chance(0.3) {
            return String::new();
        }
        format!(" WHERE {}", self.condition(prefix))
    }

    /// ` AND ...`, or nothing.
    fn and_condition(&mut self, prefix: &str) -> String {
        if self.rng.chance(0.4) {
            return String::new();
        }
        format!(" AND {}", self.condition(prefix))
    }

    /// A conjunction of one to three conditions, now and then an OR.
    fn condition(&mut self, prefix: &str) -> String {
        let count = self.rng.int(1, 3);
        let atoms: Vec<String> = (0..count).map(|_| self.atom(prefix)).collect();
        if atoms.len() > 1 && self.rng.chance(0.15) {
            return format!("({})", atoms.join(" OR "));
        }
        atoms.join(" AND ")
    }

    fn text_literal(&mut self, column: &str) -> String {
        let domain = self.domain;
        let value = match column {
            "p" => self.rng.pick(&domain.patients).clone(),
            "u" => self.rng.pick(&domain.uids).clone(),
            "m" => self.rng.pick(&domain.modalities).clone(),
            _ => self.rng.pick(&domain.body_parts).clone(),
        };
        format!("'{value}'")
    }

    fn date_literal(&mut self) -> String {
        let day = self.rng.int(
            self.domain.first_day as i64 - 5,
            self.domain.last_day as i64 + 5,
        );
        let date = iso_date(day);
        format!("DATE '{date}'")
    }

    /// One condition on one column.
    fn atom(&mut self, prefix: &str) -> String {
        let text = self.pick(TEXT);
        let column = format!("{prefix}{text}");
        match self.rng.int(0, 19) {
            0..=2 => format!("{column} = {}", self.text_literal(text)),
            3 => format!("{column} <> {}", self.text_literal(text)),
            4 | 5 => {
                let mut items: Vec<String> = (0..self.rng.int(1, 6))
                    .map(|_| self.text_literal(text))
                    .collect();
                if self.rng.chance(0.15) {
                    items.push("NULL".to_string());
                }
                let not = if self.rng.chance(0.2) { "NOT " } else { "" };
                format!("{column} {not}IN ({})", items.join(", "))
            }
            6 => {
                let items: Vec<String> = (0..self.rng.int(2, 4))
                    .map(|_| format!("{column} = {}", self.text_literal(text)))
                    .collect();
                format!("({})", items.join(" OR "))
            }
            7 => format!("{column} IS NULL"),
            8 => format!("{column} IS NOT NULL"),
            9 => format!("{column} < {}", self.text_literal(text)),
            10 => {
                let n = self.rng.int(0, self.domain.largest_n + 1);
                let op = self.pick(&[">", "<=", "=", "<>"]);
                format!("{prefix}n {op} {n}")
            }
            11 => format!(
                "{prefix}n % {} <> {}",
                self.rng.int(2, 7),
                self.rng.int(0, 2)
            ),
            12 => {
                let low = self.rng.int(0, self.domain.largest_n);
                format!("{prefix}n BETWEEN {low} AND {}", low + self.rng.int(0, 10))
            }
            13 => {
                let op = self.pick(&[">=", "<", "="]);
                format!("{prefix}d {op} {}", self.date_literal())
            }
            14 => format!(
                "{prefix}d BETWEEN {} AND {}",
                self.date_literal(),
                self.date_literal()
            ),
            15 => {
                let bytes = match self.domain.bytes.is_empty() {
                    true => 0,
                    false => *self.rng.pick(&self.domain.bytes),
                };
                let op = self.pick(&[">", "<=", "="]);
                format!("{prefix}g {op} {bytes}")
            }
            16 => {
                let op = self.pick(&["<", ">=", "="]);
                format!("{prefix}f {op} {}", self.rng.int(-40, 40) as f64 / 4.0)
            }
            17 => format!("{prefix}id % {} = 0", self.rng.int(2, 5)),
            18 => format!("{prefix}d IS NOT NULL"),
            _ => format!("NOT ({})", self.atom(prefix)),
        }
    }
}

/// Days since 1970-01-01 as `YYYY-MM-DD`.
fn iso_date(days: i64) -> String {
    chrono::DateTime::from_timestamp(days * 86_400, 0)
        .expect("a day of the generated range")
        .date_naive()
        .to_string()
}
