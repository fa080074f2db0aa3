//! Data tests on a run's staged tables, in the manner of dbt: generic column tests declared in
//! `models.toml` (not_null, unique, accepted_values, relationships) and custom assertions
//! (`sql/tests/*.sql`, each a SELECT of the rows that break a rule). Expressions are built
//! with the DataFrame API, so declared values never become SQL text.

use datafusion::common::{JoinType, ParamValues};
use datafusion::dataframe::DataFrame;
use datafusion::execution::FunctionRegistry;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::{Expr, col, ident, lit};
use datafusion::prelude::SessionContext;
use serde::Serialize;

use crate::error::Error;
use crate::project::declarations::{ColumnTest, NamedTest};
use crate::project::{Assertion, Model};

/// Rows of failing examples kept in the results of a failed test.
const SAMPLE_ROWS: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    /// e.g. `unique(customer_value.customer_id)` or the assertion's file stem.
    pub name: String,
    pub model: Option<String>,
    pub status: TestStatus,
    /// Rows that break the rule.
    pub failures: u64,
    /// A few failing rows, as JSON objects.
    pub sample: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestStatus {
    Pass,
    Fail,
}

/// Runs every column test declared on `model` (a registered table), and on a published table the
/// check that no floating-point column holds NaN (an undefined value must be null).
pub async fn column_tests(ctx: &SessionContext, model: &Model) -> Result<Vec<TestResult>, Error> {
    let mut results = Vec::new();
    if model.declaration.publish {
        results.extend(no_nan(ctx, &model.name).await?);
    }
    for (column, tests) in &model.declaration.tests {
        for test in tests {
            let (label, failing) = failing_rows(ctx, &model.name, column, test).await?;
            results
                .push(outcome(format!("{label}({}.{column})", model.name), Some(model.name.clone()), failing).await?);
        }
    }
    Ok(results)
}

async fn failing_rows(
    ctx: &SessionContext,
    table: &str,
    column: &str,
    test: &ColumnTest,
) -> Result<(&'static str, DataFrame), Error> {
    let frame = ctx.table(table).await?;
    let value = ident(column);
    Ok(match test {
        ColumnTest::Named(NamedTest::NotNull) => ("not_null", frame.filter(value.is_null())?),
        ColumnTest::Named(NamedTest::Unique) => {
            let n = "n_rows";
            let dupes = frame
                .filter(value.clone().is_not_null())?
                .aggregate(vec![value], vec![count(lit(1)).alias(n)])?
                .filter(col(n).gt(lit(1i64)))?;
            ("unique", dupes)
        }
        ColumnTest::AcceptedValues { accepted_values } => {
            let allowed: Vec<Expr> = accepted_values.iter().map(|v| lit(v.as_str())).collect();
            ("accepted_values", frame.filter(value.clone().is_not_null().and(value.in_list(allowed, true)))?)
        }
        ColumnTest::Relationships { relationships } => {
            let parent = ctx
                .table(relationships.to.as_str())
                .await?
                .select(vec![ident(&relationships.field).alias("__parent_key")])?;
            let orphans = frame.filter(value.clone().is_not_null())?.join_on(
                parent,
                JoinType::LeftAnti,
                vec![value.eq(col("__parent_key"))],
            )?;
            ("relationships", orphans)
        }
    })
}

/// `no_nan(<table>)`: the rows where any floating-point column is NaN. NaN poisons every sum and
/// comparison a reader makes; an undefined ratio is null. None when the table has no such column.
async fn no_nan(ctx: &SessionContext, table: &str) -> Result<Option<TestResult>, Error> {
    let frame = ctx.table(table).await?;
    let isnan = ctx.udf("isnan")?;
    let any_nan = frame
        .schema()
        .fields()
        .iter()
        .filter(|f| f.data_type().is_floating())
        .map(|f| isnan.call(vec![ident(f.name())]).is_true())
        .reduce(Expr::or);
    let Some(any_nan) = any_nan else { return Ok(None) };
    Ok(Some(outcome(format!("no_nan({table})"), Some(table.to_string()), frame.filter(any_nan)?).await?))
}

/// Runs a custom assertion: it fails when its SELECT returns any row.
pub async fn assertion(ctx: &SessionContext, assertion: &Assertion, params: &ParamValues) -> Result<TestResult, Error> {
    let frame = crate::run::runner::plan(ctx, &assertion.file, &assertion.sql, params).await?;
    outcome(assertion.name.clone(), None, frame).await
}

async fn outcome(name: String, model: Option<String>, failing: DataFrame) -> Result<TestResult, Error> {
    let failures = failing.clone().count().await? as u64;
    let sample = if failures > 0 { sample_rows(failing).await? } else { Vec::new() };
    let status = if failures == 0 { TestStatus::Pass } else { TestStatus::Fail };
    Ok(TestResult { name, model, status, failures, sample })
}

async fn sample_rows(frame: DataFrame) -> Result<Vec<serde_json::Value>, Error> {
    let batches = frame.limit(0, Some(SAMPLE_ROWS))?.collect().await?;
    crate::io::json_rows::to_json_rows(&batches)
}
