//! Builds rwid's DataFusion session.
//!
//! [`session_state`] is the one place that assembles a session: DataFusion's
//! built-ins, every rwid SQL function, file format and catalog, and the object
//! store registry. The CLI, the tests, the examples and embedding applications
//! all go through it (usually via [`RwidContext`]), so every entry point runs
//! the same SQL.

mod context;
mod footers;
mod object_stores;
mod options;
pub mod physical_optimizer;
pub mod physical_plan;
mod session;

pub use context::RwidContext;
pub use object_stores::RwidObjectStoreRegistry;
pub use options::RwidOptions;
pub use session::{RwidConfig, session_state, table_functions};

/// Re-exported so users of the engine need no direct DataFusion dependency.
pub use datafusion;
