//! What several areas of the integration tests share.

use std::process::{Command, Output};

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

/// Runs the `rwid` binary with `args`, as a user would.
pub fn rwid(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rwid"))
        .args(args)
        .env("HOME", std::env::temp_dir())
        .output()
        .expect("rwid runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
