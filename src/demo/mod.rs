//! The demo lake.
pub const DEFAULT_PATIENTS: usize = 120;
pub const DEFAULT_SEED: u64 = 7;
pub async fn run(_dir: &std::path::Path, _patients: usize, _seed: u64, _options: &crate::cli::PrintOptions) -> datafusion::common::Result<()> { Ok(()) }
