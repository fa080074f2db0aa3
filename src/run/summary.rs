//! What a person wants to see after a run: the VIP tiers with their sizes and entry thresholds
//! (also in the run results, for the report and for orchestrators), and a few lines in the
//! manner of dbt's summary, printed on a terminal.

use std::fmt::Write as _;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use serde::Serialize;

use super::data_tests::TestStatus;
use super::results::{RunResults, RunStatus};
use crate::error::Error;

/// The model whose VIP rows carry the tier and the threshold it crossed.
const SEGMENTS_MODEL: &str = "customer_segments";

/// One VIP tier of the run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VipTier {
    pub tier: String,
    pub customers: u64,
    /// The lowest ranking value in the tier: its entry threshold this run.
    pub threshold: Option<f64>,
}

/// Tier sizes and thresholds from `customer_segments`, when the run built it.
pub async fn vip_tiers(ctx: &SessionContext, built: bool) -> Result<Vec<VipTier>, Error> {
    if !built {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT tier, COUNT(*) AS customers, MIN(threshold) AS threshold FROM {SEGMENTS_MODEL} \
         WHERE segment = 'vip' AND tier IS NOT NULL GROUP BY tier ORDER BY threshold DESC NULLS LAST, tier"
    );
    let mut tiers = Vec::new();
    for batch in ctx.sql(&sql).await?.collect().await? {
        let column = |i: usize, t: &DataType| cast(batch.column(i), t).map_err(DataFusionError::from);
        let (names, counts, thresholds) =
            (column(0, &DataType::Utf8)?, column(1, &DataType::Int64)?, column(2, &DataType::Float64)?);
        let (names, counts, thresholds) =
            (names.as_string::<i32>(), counts.as_primitive::<Int64Type>(), thresholds.as_primitive::<Float64Type>());
        for row in 0..batch.num_rows() {
            tiers.push(VipTier {
                tier: names.value(row).to_string(),
                customers: counts.value(row).max(0) as u64,
                threshold: (!thresholds.is_null(row)).then(|| thresholds.value(row)),
            });
        }
    }
    Ok(tiers)
}

/// A few lines for a person: outcome, models, tests, rejected rows, VIP tiers, what was published.
pub fn human(results: &RunResults) -> String {
    let mut text = String::new();
    let status = serde_json::to_value(results.status).ok().and_then(|v| v.as_str().map(String::from));
    let _ = writeln!(
        text,
        "vipseg run as_of={}: {} in {:.1} s",
        results.as_of,
        status.unwrap_or_default(),
        results.elapsed_seconds
    );
    let tables = results.models.iter().filter(|m| m.rows.is_some()).count();
    let _ = writeln!(
        text,
        "  models     {} run ({tables} tables, {} views)",
        results.models.len(),
        results.models.len() - tables
    );
    let failed = results.tests.iter().filter(|t| t.status == TestStatus::Fail).count();
    let _ = writeln!(text, "  tests      {} passed, {failed} failed", results.tests.len() - failed);
    let (input, rejected) =
        results.data_quality.iter().fold((0, 0), |(i, r), q| (i + q.input_rows, r + q.rejected_rows));
    if input > 0 {
        let share = 100.0 * rejected as f64 / input as f64;
        let _ = writeln!(text, "  rejected   {rejected} of {input} input rows ({share:.2}%)");
    }
    for tier in &results.vip_tiers {
        let threshold = tier.threshold.map_or("-".to_string(), |t| format!("{t:.2}"));
        let _ = writeln!(text, "  VIP {:<8} {} customers, from {threshold}", tier.tier, tier.customers);
    }
    match (&results.published, results.status) {
        (Some(published), _) => {
            let _ = writeln!(
                text,
                "  published  {} tables under {} (commit {})",
                published.tables.len(),
                published.output,
                published.commit_seq
            );
            if let Some(report) = &published.report {
                let _ = writeln!(text, "  report     {report}");
            }
        }
        (None, RunStatus::Success) => {}
        (None, _) => {
            let reason = results.error.as_ref().map_or("see the run results", |e| e.message.as_str());
            let _ = writeln!(text, "  nothing published: {reason}");
        }
    }
    text
}
