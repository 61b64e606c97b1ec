//! What every rule table shares: where its rules came from, and the error
//! a rule file that cannot be used gives.

use std::fmt;

/// A rule file that cannot be read or used, with the file and the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError(pub String);

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RuleError {}

pub type Result<T, E = RuleError> = std::result::Result<T, E>;

/// Where a set of rules came from, as results report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSource {
    pub name: String,
    pub version: String,
    /// `builtin` or the file's path.
    pub origin: String,
}
