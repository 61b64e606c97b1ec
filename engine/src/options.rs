//! rwid's own session settings, under the `rwid.` prefix: `SET
//! rwid.physical_rules = false`, `SHOW rwid.physical_rules`, listed in
//! `information_schema.df_settings` beside DataFusion's.

use std::any::Any;

use datafusion::common::config::{ConfigEntry, ConfigExtension, ConfigOptions, ExtensionOptions};
use datafusion::common::{Result, config_err};

const PHYSICAL_RULES: &str = "physical_rules";
const PHYSICAL_RULES_DESCRIPTION: &str = "Whether rwid's physical rules run: \
    large Parquet row groups read in pieces by all partitions, run-collapsing \
    before aggregations and on join probe sides, Parquet scans under a \
    collapse read as runs of dictionary keys, sorted windows, the first K \
    rows per window partition. Off, plans are DataFusion's own: a \
    way to check a result against the engine rwid is built on.";
const SCAN_PIECE_MIN_ROWS: &str = "scan_piece_min_rows";
const SCAN_PIECE_MIN_ROWS_DESCRIPTION: &str = "The fewest rows a piece of a \
    Parquet row group is read as, when rwid splits a large row group across \
    partitions (one more file open and dictionary decode per piece). Default \
    122880, DuckDB's row group size.";

/// Settings of rwid's engine. Written by hand rather than with DataFusion's
/// `extensions_options!`, whose settings appear in `df_settings` without
/// their `rwid.` prefix (and so cannot be `SHOW`n).
#[derive(Debug, Clone)]
pub struct RwidOptions {
    /// See `PHYSICAL_RULES_DESCRIPTION`.
    pub physical_rules: bool,
    /// See `SCAN_PIECE_MIN_ROWS_DESCRIPTION`.
    pub scan_piece_min_rows: usize,
}

impl Default for RwidOptions {
    fn default() -> Self {
        Self {
            physical_rules: true,
            scan_piece_min_rows: 122_880,
        }
    }
}

impl ConfigExtension for RwidOptions {
    const PREFIX: &'static str = "rwid";
}

impl ExtensionOptions for RwidOptions {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn cloned(&self) -> Box<dyn ExtensionOptions> {
        Box::new(self.clone())
    }

    /// `key` without the `rwid.` prefix.
    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        match key {
            PHYSICAL_RULES => match value.to_ascii_lowercase().as_str() {
                "true" | "on" => self.physical_rules = true,
                "false" | "off" => self.physical_rules = false,
                _ => return config_err!("rwid.{key} is true or false, got '{value}'"),
            },
            SCAN_PIECE_MIN_ROWS => match value.parse::<usize>() {
                Ok(rows) if rows > 0 => self.scan_piece_min_rows = rows,
                _ => return config_err!("rwid.{key} is a positive number of rows, got '{value}'"),
            },
            _ => {
                return config_err!(
                    "no setting rwid.{key}; rwid has rwid.{PHYSICAL_RULES} and rwid.{SCAN_PIECE_MIN_ROWS}"
                );
            }
        }
        Ok(())
    }

    fn entries(&self) -> Vec<ConfigEntry> {
        vec![
            ConfigEntry {
                key: format!("{}.{PHYSICAL_RULES}", Self::PREFIX),
                value: Some(self.physical_rules.to_string()),
                description: PHYSICAL_RULES_DESCRIPTION,
            },
            ConfigEntry {
                key: format!("{}.{SCAN_PIECE_MIN_ROWS}", Self::PREFIX),
                value: Some(self.scan_piece_min_rows.to_string()),
                description: SCAN_PIECE_MIN_ROWS_DESCRIPTION,
            },
        ]
    }
}

/// Whether rwid's physical rules run in a session with `options` (on when
/// the session has no rwid settings).
pub fn physical_rules_enabled(options: &ConfigOptions) -> bool {
    rwid_setting(options, |rwid| rwid.physical_rules)
}

/// The fewest rows of a piece of a split Parquet row group in a session
/// with `options`.
pub fn scan_piece_min_rows(options: &ConfigOptions) -> usize {
    rwid_setting(options, |rwid| rwid.scan_piece_min_rows)
}

/// One of rwid's settings in a session with `options`: its default when the
/// session has no rwid settings (one not built by `session_state`).
fn rwid_setting<T>(options: &ConfigOptions, setting: impl Fn(&RwidOptions) -> T) -> T {
    match options.extensions.get::<RwidOptions>() {
        Some(rwid) => setting(rwid),
        None => setting(&RwidOptions::default()),
    }
}
