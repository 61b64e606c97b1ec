//! `rwid demo`: generate the demo lake, then run the showcase on it.

use std::path::Path;
use std::time::Instant;

use datafusion::common::Result;

use super::PrintOptions;

/// `rwid demo`: generate, then run the showcase.
pub async fn run(
    dir: &Path,
    patients: usize,
    seed: u64,
    assessment_dir: &Path,
    config: crate::RwidConfig,
    options: &PrintOptions,
) -> Result<()> {
    let started = Instant::now();
    let lake = rwid_demo::generate(dir, patients, seed)?;
    if !options.quiet {
        let rows: usize = lake.tables.iter().map(|(_, n)| n).sum();
        println!(
            "Demo lake written to {} in {:.1} s: {} patients at {} sites, {} DICOM files (+{} broken on purpose), {} clinical and imaging rows in {} tables.\n",
            lake.root.display(),
            started.elapsed().as_secs_f64(),
            patients,
            rwid_demo::sites::SITES.len(),
            lake.truth.dicom_files,
            lake.truth.broken_files.len(),
            rows,
            lake.tables.len(),
        );
    }
    super::showcase::run(&lake, config, options, assessment_dir).await
}
