//! Parameters are bound as typed values: they cannot change a query's text, and date bounds
//! still prune Parquet row groups.

use std::sync::Arc;

use datafusion::common::ParamValues;
use datafusion::physical_plan::{collect, displayable};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use serde_json::json;
use vipseg::config::params::Params;
use vipseg::config::windows::{Windows, bound_values};

use crate::support::{TestProject, canonical_schema, date, json_batch};

#[tokio::test]
async fn a_quote_in_a_parameter_does_not_change_the_query() {
    let ctx = SessionContext::new();
    let schema = canonical_schema("orders");
    let rows = [
        json!({"order_id": "o1", "customer_id": "alice", "order_ts": "2026-01-01T00:00:00Z", "status": "completed"}),
        json!({"order_id": "o2", "customer_id": "bob", "order_ts": "2026-01-02T00:00:00Z", "status": "completed"}),
    ];
    let table =
        datafusion::datasource::MemTable::try_new(Arc::clone(&schema), vec![vec![json_batch(&schema, &rows)]]).unwrap();
    ctx.register_table("orders", Arc::new(table)).unwrap();
    let sql = "SELECT order_id FROM orders WHERE customer_id = $who";
    let count = |who: &str| {
        let params = ParamValues::from(vec![("who", ScalarValue::Utf8(Some(who.to_string())))]);
        let ctx = ctx.clone();
        async move { vipseg::run::runner::plan(&ctx, "q.sql", sql, &params).await.unwrap().count().await.unwrap() }
    };
    assert_eq!(count("alice").await, 1);
    assert_eq!(count("x' OR '1'='1").await, 0, "an injection attempt must match nothing");
    assert_eq!(count("alice' --").await, 0);
}

#[tokio::test]
async fn an_unbound_parameter_is_an_sql_error_naming_the_file() {
    let ctx = SessionContext::new();
    let params = bound_values(&Windows::new(date("2026-01-01")), &Params::default(), chrono::Utc::now());
    let error = vipseg::run::runner::plan(&ctx, "sql/x.sql", "SELECT $no_such_param AS v", &params).await.unwrap_err();
    assert!(error.to_string().contains("sql/x.sql"), "{error}");
    assert!(error.to_string().contains("no_such_param"), "{error}");
}

#[test]
fn windows_are_calendar_months_back_from_as_of() {
    let w = Windows::new(date("2024-03-31"));
    assert_eq!(w.start_12m, date("2023-03-31"));
    assert_eq!(w.start_3m, date("2023-12-31"));
    // 2024-02 has no 31st: chrono clamps to the month's last day.
    assert_eq!(Windows::new(date("2024-05-31")).start_3m, date("2024-02-29"));
    assert_eq!(w.observation_end, date("2024-03-30"));
}

/// One Parquet file per month; a bound `$as_of` must let the scan skip the later months.
#[tokio::test]
async fn a_bound_date_filter_prunes_parquet_row_groups() {
    let project = TestProject::new();
    for month in 1..=12 {
        let rows: Vec<_> = (0..50)
            .map(|i| {
                json!({"order_id": format!("o{month}-{i}"), "customer_id": format!("c{i}"),
                       "order_ts": format!("2025-{month:02}-10T12:00:00Z"), "status": "completed"})
            })
            .collect();
        project.source_file("orders", &format!("month={month:02}.parquet"), &rows);
    }
    project.source("order_lines", &[]).source("customers", &[]);
    let config = project.config();
    let ctx = vipseg::engine::session(&config.engine).unwrap();
    vipseg::io::sources::register_all(&ctx, &config).await.unwrap();
    let params = bound_values(&Windows::new(date("2025-04-01")), &Params::default(), chrono::Utc::now());
    let frame =
        vipseg::run::runner::plan(&ctx, "q.sql", "SELECT order_id FROM raw.orders WHERE order_ts < $as_of", &params)
            .await
            .unwrap();
    let plan = frame.create_physical_plan().await.unwrap();
    let batches = collect(Arc::clone(&plan), ctx.task_ctx()).await.unwrap();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 150);
    let shown = displayable(plan.as_ref()).indent(true).to_string();
    let metrics = datafusion::physical_plan::display::DisplayableExecutionPlan::with_metrics(plan.as_ref())
        .indent(true)
        .to_string();
    let pruned = pruned_count(&metrics);
    assert!(pruned >= 9, "expected the 9 months from April on to be pruned, got {pruned}:\n{shown}\n{metrics}");
}

/// Sum of "N total → M matched" differences of the pruning metrics in an EXPLAIN ANALYZE text.
fn pruned_count(metrics: &str) -> usize {
    let mut pruned = 0;
    for name in ["files_ranges_pruned_statistics=", "row_groups_pruned_statistics="] {
        for part in metrics.split(name).skip(1) {
            let numbers: Vec<usize> = part
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .take(2)
                .filter_map(|s| s.parse().ok())
                .collect();
            if let [total, matched] = numbers[..] {
                pruned += total.saturating_sub(matched);
            }
        }
    }
    pruned
}
