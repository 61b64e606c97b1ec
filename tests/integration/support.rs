//! What several areas of the integration tests share.

use rwid::datafusion::arrow::util::pretty::pretty_format_batches;
use rwid::datafusion::prelude::SessionContext;

/// The result's table lines, sorted: engines may emit rows and groups in
/// any order.
pub async fn sorted_text(ctx: &SessionContext, sql: &str) -> String {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let text = pretty_format_batches(&batches).unwrap().to_string();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines.join("\n")
}
