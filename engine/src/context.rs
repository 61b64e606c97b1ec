//! [`RwidContext`]: a DataFusion session built by [`session_state`], with the
//! lake mounted, statement splitting and errors that help the user.

use datafusion::common::{DataFusionError, Result, plan_datafusion_err};
use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::{DFParserBuilder, Statement};
use datafusion::sql::sqlparser::dialect::dialect_from_str;
use rwid_catalog::conformance::{self, Finding, Status};
use rwid_catalog::lake::{self, LakeTable};

use crate::session::{RwidConfig, session_state};

/// Most table names listed in an "unknown table" error.
const MAX_TABLES_IN_ERROR: usize = 40;

/// An rwid session: use [`RwidContext::sql`] like `SessionContext::sql`.
#[derive(Clone)]
pub struct RwidContext {
    ctx: SessionContext,
    lake_root: Option<String>,
    lake: Vec<LakeTable>,
    /// Conformance problems of the lake's standard tables found when
    /// mounting (schema only); the tables still query.
    lake_warnings: Vec<Finding>,
}

impl RwidContext {
    /// Builds the session and mounts the configured lake, if any.
    pub async fn new(config: RwidConfig) -> Result<Self> {
        let state = session_state(&config)?;
        // URL tables let `SELECT * FROM 'path/file.parquet'` work as in datafusion-cli.
        let ctx = SessionContext::new_with_state(state).enable_url_table();
        let lake = match &config.lake {
            Some(location) => lake::mount(&ctx, location).await?,
            None => lake::MountedLake::default(),
        };
        let mut lake_warnings: Vec<Finding> = conformance::schema_check(&ctx)
            .await
            .into_iter()
            .filter(|f| f.status >= Status::Warn)
            .collect();
        lake_warnings.extend(lake.views_left_out);
        Ok(Self {
            ctx,
            lake_root: config.lake.clone(),
            lake: lake.tables,
            lake_warnings,
        })
    }

    /// The mounted lake's root, as given.
    pub fn lake_root(&self) -> Option<&str> {
        self.lake_root.as_deref()
    }

    /// Columns of the lake's standard tables that do not conform to their
    /// specification (missing, mistyped, extra), found when mounting.
    pub fn lake_warnings(&self) -> &[Finding] {
        &self.lake_warnings
    }

    /// The underlying DataFusion session.
    pub fn session(&self) -> &SessionContext {
        &self.ctx
    }

    /// Tables mounted from the lake.
    pub fn lake_tables(&self) -> &[LakeTable] {
        &self.lake
    }

    /// Plans one SQL statement. DDL and `SET` take effect immediately, as in
    /// `SessionContext::sql`.
    pub async fn sql(&self, sql: &str) -> Result<DataFrame> {
        let mut statements = self.parse(sql)?;
        match (statements.pop(), statements.is_empty()) {
            (Some(statement), true) => self.execute_statement(statement).await,
            (None, _) => Err(plan_datafusion_err!("no SQL statement given")),
            (Some(_), false) => Err(plan_datafusion_err!(
                "expected one SQL statement, got several; use `parse` and `execute_statement`"
            )),
        }
    }

    /// Splits SQL text into statements with the session's dialect.
    pub fn parse(&self, sql: &str) -> Result<Vec<Statement>> {
        let state = self.ctx.state();
        let options = state.config().options();
        let dialect_name = options.sql_parser.dialect.to_string();
        let dialect = dialect_from_str(&dialect_name)
            .ok_or_else(|| plan_datafusion_err!("unsupported SQL dialect '{dialect_name}'"))?;
        let statements = DFParserBuilder::new(sql)
            .with_dialect(dialect.as_ref())
            .with_recursion_limit(options.sql_parser.recursion_limit.get())
            .build()?
            .parse_statements()?;
        Ok(statements.into_iter().collect())
    }

    /// Plans one parsed statement.
    pub async fn execute_statement(&self, statement: Statement) -> Result<DataFrame> {
        let planned = async {
            let plan = self.ctx.state().statement_to_plan(statement).await?;
            self.ctx.execute_logical_plan(plan).await
        }
        .await;
        planned.map_err(|e| self.explain_error(e))
    }

    /// Every user table as `schema.table`, sorted (information_schema excluded).
    pub fn table_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for catalog_name in self.ctx.catalog_names() {
            let Some(catalog) = self.ctx.catalog(&catalog_name) else {
                continue;
            };
            for schema_name in catalog.schema_names() {
                if schema_name == "information_schema" {
                    continue;
                }
                if let Some(schema) = catalog.schema(&schema_name) {
                    names.extend(
                        schema
                            .table_names()
                            .into_iter()
                            .map(|t| format!("{schema_name}.{t}")),
                    );
                }
            }
        }
        names.sort();
        names
    }

    /// Adds what the user needs to fix an error: for an unknown table, the
    /// tables that exist.
    fn explain_error(&self, error: DataFusionError) -> DataFusionError {
        let message = error.to_string();
        if !(message.contains("table '") && message.contains("not found")) {
            return error;
        }
        let tables = self.table_names();
        let hint = if tables.is_empty() {
            "no tables exist yet; mount a lake with --lake or CREATE EXTERNAL TABLE".to_string()
        } else {
            let shown: Vec<&str> = tables
                .iter()
                .take(MAX_TABLES_IN_ERROR)
                .map(String::as_str)
                .collect();
            let more = tables.len().saturating_sub(MAX_TABLES_IN_ERROR);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!("tables that exist: {}{more}", shown.join(", "))
        };
        // Keep DataFusion's own words first, then the hint, on one line.
        let root = error.find_root().to_string();
        let root = root
            .strip_prefix("Error during planning: ")
            .unwrap_or(&root);
        DataFusionError::Plan(format!("{root}; {hint}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unknown_table_error_lists_existing_tables() {
        let ctx = RwidContext::new(RwidConfig::default()).await.unwrap();
        ctx.sql("CREATE TABLE scans AS SELECT 1 AS id")
            .await
            .unwrap();
        let err = ctx.sql("SELECT * FROM scan").await.unwrap_err().to_string();
        assert!(err.contains("public.scans"), "{err}");
        assert!(err.contains("'scan'") || err.contains("scan"), "{err}");
    }

    #[tokio::test]
    async fn several_statements_are_split() {
        let ctx = RwidContext::new(RwidConfig::default()).await.unwrap();
        assert_eq!(ctx.parse("SELECT 1; SELECT 2;").unwrap().len(), 2);
        assert!(ctx.sql("SELECT 1; SELECT 2").await.is_err());
    }
}
