//! Embedding rwid in an application: build a session over a lake and query it.
//!
//! ```sh
//! cargo run --release -- demo            # writes ./demo-lake once
//! cargo run --release --example embedded -- ./demo-lake
//! ```

use rwid::datafusion::arrow::util::pretty::print_batches;
use rwid::datafusion::error::Result;
use rwid::{RwidConfig, RwidContext};

#[tokio::main]
async fn main() -> Result<()> {
    let lake = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "demo-lake".to_string());
    // The same session the `rwid` CLI builds: every rwid function, the lake's tables.
    let ctx = RwidContext::new(RwidConfig {
        lakes: vec![lake],
        ..RwidConfig::default()
    })
    .await?;

    let mounted = ctx.lake_tables();
    println!(
        "{} tables mounted: {}",
        mounted.len(),
        ctx.table_names().join(", ")
    );

    // Patients per site with at least 20 pack-years, from either way of recording smoking.
    let batches = ctx
        .sql(
            "SELECT l.site, count(DISTINCT m.person_id) AS heavy_smokers
             FROM clinical.measurement m
             JOIN imaging.patient_link l ON l.person_id = m.person_id
             WHERE m.measurement_source_value = '8664-5' AND m.value_as_number >= 20
             GROUP BY l.site ORDER BY l.site",
        )
        .await?
        .collect()
        .await?;
    print_batches(&batches)?;
    Ok(())
}
