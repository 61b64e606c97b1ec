//! Running SQL text: split into statements, plan, execute, print.

use std::io::Write;
use std::time::Instant;

use datafusion::common::Result;

use super::print::{PrintOptions, print_result};
use crate::RwidContext;

/// Runs every statement in `sql` in order, printing each result; stops at the
/// first error.
pub async fn run_sql(ctx: &RwidContext, sql: &str, options: &PrintOptions) -> Result<()> {
    for statement in ctx.parse(sql)? {
        let started = Instant::now();
        let frame = ctx.execute_statement(statement).await?;
        let schema = frame.schema().as_arrow().clone();
        let batches = frame.collect().await?;
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let rows = print_result(&mut out, &schema, &batches, options)?;
        out.flush()?;
        if !options.quiet {
            let shown = if options.maxrows > 0 && rows > options.maxrows {
                format!(" ({} shown)", options.maxrows)
            } else {
                String::new()
            };
            let noun = if rows == 1 { "row" } else { "rows" };
            eprintln!(
                "{rows} {noun}{shown}. Query took {:.3} seconds.\n",
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}
