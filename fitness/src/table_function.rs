//! `assess('PROFILE')`: an assessment run from SQL. It returns the checks,
//! and registers every result table in the session as
//! `derived.<profile id>_<table>` (`_checks`, `_patients`, `_failures`,
//! `_sites`, `_site_checks`, `_elements`, `_attrition`, `_inputs`), so a
//! cohort query can keep only the patients whose data fit the profile.

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::memory::MemorySchemaProvider;
use datafusion::catalog::{MemTable, Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{Result, ScalarValue, plan_datafusion_err, plan_err};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::{Documentation, Expr, TableType};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;

use crate::output::{checks_schema, tables};
use crate::profile::ProfileSource;
use crate::run::assess;
use crate::shipped::read_profile;

/// The schema the derived tables are registered in.
pub const DERIVED_SCHEMA: &str = "derived";

/// `assess(profile)`.
#[derive(Debug, Default)]
pub struct Assess;

impl Assess {
    pub fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            rwid_catalog::table_function_documentation(
                "Runs the fit-for-purpose assessment of a context-of-use profile (a TOML file, or \
                 `builtin:NAME` for a shipped one) on the mounted lake and returns one row per \
                 check: its requirement, Kahn category, FDA aspect, EMA dimension, status, figures \
                 with their 95 % Wilson interval, and SQL. Every result table is registered too, as \
                 `derived.<profile id>_checks`, `_patients` (one row per person: each element met, \
                 eligible, evaluable), `_failures` (every violating row), `_sites`, \
                 `_site_checks`, `_elements`, `_attrition` and `_inputs`. `rwid assess` writes \
                 the same results to a folder.",
                "assess(profile)",
            )
            .with_argument("profile", "A profile file's path, or `builtin:nsclc_pembrolizumab_recist` (also `builtin:amyloid_pet_centiloid`, `builtin:cardiac_lvef`).")
            .with_sql_example(
                "```sql\n> SELECT id, status, percent FROM assess('builtin:nsclc_pembrolizumab_recist') WHERE status <> 'passed';\n> SELECT count(*) FROM derived.nsclc_pembrolizumab_recist_patients WHERE evaluable;\n```",
            )
            .build()
        });
        &DOCUMENTATION
    }
}

impl TableFunctionImpl for Assess {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let [Expr::Literal(ScalarValue::Utf8(Some(profile)), _)] = args.exprs() else {
            return plan_err!(
                "assess takes one text argument, the profile: assess('profile.toml')"
            );
        };
        let source = read_profile(profile).map_err(|e| plan_datafusion_err!("{e}"))?;
        Ok(Arc::new(AssessTable { source }))
    }
}

#[derive(Debug)]
struct AssessTable {
    source: ProfileSource,
}

#[async_trait]
impl TableProvider for AssessTable {
    fn schema(&self) -> SchemaRef {
        checks_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let state = state
            .as_any()
            .downcast_ref::<SessionState>()
            .ok_or_else(|| plan_datafusion_err!("assess needs a DataFusion session"))?;
        let ctx = SessionContext::new_with_state(state.clone());
        let assessment = assess(&ctx, &self.source).await?;
        let tables = tables(&assessment, None)?;
        register(&ctx, &self.source.profile.id, &tables)?;
        let checks = tables
            .iter()
            .find(|(name, _)| *name == "checks")
            .map(|(_, batches)| batches.clone())
            .unwrap_or_default();
        Ok(MemorySourceConfig::try_new_exec(
            &[checks],
            checks_schema(),
            projection.cloned(),
        )?)
    }
}

/// Registers result `tables` as `derived.<id>_<table>` in `ctx`'s default
/// catalog, replacing earlier ones.
pub fn register(
    ctx: &SessionContext,
    id: &str,
    tables: &[(&'static str, Vec<datafusion::arrow::array::RecordBatch>)],
) -> Result<()> {
    let state = ctx.state();
    let catalog_name = &state.config().options().catalog.default_catalog;
    let catalog = ctx
        .catalog(catalog_name)
        .ok_or_else(|| plan_datafusion_err!("no catalog {catalog_name}"))?;
    let schema = match catalog.schema(DERIVED_SCHEMA) {
        Some(schema) => schema,
        None => {
            let schema = Arc::new(MemorySchemaProvider::new());
            catalog.register_schema(DERIVED_SCHEMA, Arc::clone(&schema) as _)?;
            schema
        }
    };
    for (name, batches) in tables {
        let Some(first) = batches.first() else {
            continue;
        };
        let table = MemTable::try_new(first.schema(), vec![batches.clone()])?;
        let table_name = format!("{id}_{name}");
        if schema.table_exist(&table_name) {
            schema.deregister_table(&table_name)?;
        }
        schema.register_table(table_name, Arc::new(table))?;
    }
    Ok(())
}
