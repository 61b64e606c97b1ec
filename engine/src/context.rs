//! [`RwidContext`]: a DataFusion session built by [`session_state`], with the
//! lake mounted, statement splitting and errors that help the user.

use std::sync::Arc;

use datafusion::arrow::array::{BooleanArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::TableReference;
use datafusion::common::{DataFusionError, Result, plan_datafusion_err};
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{DdlStatement, LogicalPlan};
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::{DFParserBuilder, Statement};
use datafusion::sql::sqlparser::ast::{DescribeAlias, ObjectNamePart};
use datafusion::sql::sqlparser::dialect::dialect_from_str;
use rwid_catalog::conformance::{self, Finding, Status};
use rwid_catalog::lake::{self, LakeCatalog, LakeMount, LakeTable};

use crate::session::{RwidConfig, session_state_with};

/// Most table names listed in an "unknown table" error.
const MAX_TABLES_IN_ERROR: usize = 40;

/// An rwid session: use [`RwidContext::sql`] like `SessionContext::sql`.
#[derive(Clone)]
pub struct RwidContext {
    ctx: SessionContext,
    /// The mounted lakes, the default first, with their catalogs as mounted
    /// (the session holds them behind DataFusion's URL-table wrappers).
    lakes: Vec<(LakeMount, Arc<LakeCatalog>)>,
    lake: Vec<LakeTable>,
    /// What mounting found: tables that cannot be read, views left out, and
    /// the default lake's standard tables that do not conform to their
    /// specification (schema only); every other table still queries.
    lake_warnings: Vec<Finding>,
}

impl RwidContext {
    /// Builds the session and mounts the configured lakes.
    pub async fn new(config: RwidConfig) -> Result<Self> {
        let functions = config.functions()?;
        let state = session_state_with(&config, &functions)?;
        // URL tables let `SELECT * FROM 'path/file.parquet'` work as in datafusion-cli.
        let ctx = SessionContext::new_with_state(state).enable_url_table();
        let mounts = config.lake_mounts()?;
        let mut lakes = Vec::new();
        let mut tables = Vec::new();
        let mut lake_warnings = Vec::new();
        for lake in mounts.iter() {
            if mounts
                .iter()
                .filter(|other| other.name == lake.name)
                .count()
                > 1
            {
                return Err(plan_datafusion_err!(
                    "two lakes are named '{}'; name them with --lake NAME=ROOT",
                    lake.name
                ));
            }
            let mounted = lake::mount(&ctx, lake, &functions).await?;
            tables.extend(mounted.tables);
            lakes.push((lake.clone(), mounted.catalog));
            lake_warnings.extend(mounted.warnings);
        }
        lake_warnings.extend(
            conformance::schema_check(&ctx)
                .await
                .into_iter()
                .filter(|f| f.status >= Status::Warn),
        );
        Ok(Self {
            ctx,
            lakes,
            lake: tables,
            lake_warnings,
        })
    }

    /// The default lake's root, as given.
    pub fn lake_root(&self) -> Option<&str> {
        self.lakes.first().map(|(lake, _)| lake.root.as_str())
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

    /// Tables of the mounted lakes (as mounted; tables written later are
    /// found when a query names them).
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
        let described = described_table(&statement);
        let planned = async {
            let plan = self.ctx.state().statement_to_plan(statement).await?;
            if let (LogicalPlan::DescribeTable(describe), Some(table)) = (&plan, described) {
                return self.describe(&describe.schema, &table);
            }
            if let LogicalPlan::Ddl(DdlStatement::DropTable(drop)) = &plan {
                self.refuse_dropping_lake_files(&drop.name)?;
            }
            self.ctx.execute_logical_plan(plan).await
        }
        .await;
        planned.map_err(|e| self.explain_error(e))
    }

    /// `DROP TABLE` of a lake's files is refused by the lake's schema, but
    /// DataFusion reports any refusal as "doesn't exist"; this names the
    /// real reason before DataFusion tries.
    fn refuse_dropping_lake_files(&self, name: &TableReference) -> Result<()> {
        let state = self.ctx.state();
        let catalog = &state.config().options().catalog;
        let resolved = name
            .clone()
            .resolve(&catalog.default_catalog, &catalog.default_schema);
        let location = self
            .lakes
            .iter()
            .find(|(lake, _)| *lake.name == *resolved.catalog)
            .and_then(|(_, lake)| lake.files_location(&resolved.schema, &resolved.table));
        match location {
            Some(location) => Err(plan_datafusion_err!(
                "{name} is the lake's files at '{location}'; rwid does not delete a lake's files"
            )),
            None => Ok(()),
        }
    }

    /// `DESCRIBE table`: DataFusion's columns (column_name, data_type,
    /// is_nullable) and, for a standard table (`schema.table` of an OMOP or
    /// MI-CDM specification), whether the specification requires the column
    /// and what it means; NULL for columns the specification does not have.
    fn describe(
        &self,
        schema: &Schema,
        (namespace, table): &(Option<String>, String),
    ) -> Result<DataFrame> {
        let spec = namespace.as_deref().and_then(|namespace| {
            rwid_catalog::specs::all_tables()
                .into_iter()
                .find(|t| t.schema == namespace && &t.name == table)
        });
        let column = |name: &str| spec.and_then(|s| s.column(name));
        let fields = schema.fields();
        let output = Arc::new(Schema::new(vec![
            Field::new("column_name", DataType::Utf8, false),
            Field::new("data_type", DataType::Utf8, false),
            Field::new("is_nullable", DataType::Utf8, false),
            Field::new("required", DataType::Boolean, true),
            Field::new("description", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            output,
            vec![
                Arc::new(StringArray::from_iter_values(
                    fields.iter().map(|f| f.name()),
                )),
                Arc::new(StringArray::from_iter_values(
                    fields.iter().map(|f| f.data_type().to_string()),
                )),
                Arc::new(StringArray::from_iter_values(
                    fields
                        .iter()
                        .map(|f| if f.is_nullable() { "YES" } else { "NO" }),
                )),
                Arc::new(BooleanArray::from_iter(
                    fields.iter().map(|f| column(f.name()).map(|c| c.required)),
                )),
                Arc::new(StringArray::from_iter(
                    fields
                        .iter()
                        .map(|f| column(f.name()).map(|c| c.description.as_str())),
                )),
            ],
        )?;
        self.ctx.read_batch(batch)
    }

    /// Every user table, sorted: `schema.table` in the default catalog,
    /// `catalog.schema.table` in the others (information_schema excluded).
    pub fn table_names(&self) -> Vec<String> {
        let state = self.ctx.state();
        let default_catalog = &state.config().options().catalog.default_catalog;
        let mut names = Vec::new();
        for catalog_name in self.ctx.catalog_names() {
            let Some(catalog) = self.ctx.catalog(&catalog_name) else {
                continue;
            };
            let prefix = if &catalog_name == default_catalog {
                String::new()
            } else {
                format!("{catalog_name}.")
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
                            .map(|t| format!("{prefix}{schema_name}.{t}")),
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

/// The table of a `DESCRIBE [schema.]table` (or `DESC`): its schema as
/// written, if qualified, and its name.
fn described_table(statement: &Statement) -> Option<(Option<String>, String)> {
    use datafusion::sql::sqlparser::ast::Statement as Sql;
    let Statement::Statement(statement) = statement else {
        return None;
    };
    let Sql::ExplainTable {
        describe_alias: DescribeAlias::Describe | DescribeAlias::Desc,
        table_name,
        ..
    } = statement.as_ref()
    else {
        return None;
    };
    let parts: Vec<String> = table_name
        .0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => Some(ident.value.clone()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        [table] => Some((None, table.clone())),
        [.., schema, table] => Some((Some(schema.clone()), table.clone())),
        [] => None,
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
