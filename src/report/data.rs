//! What the report reads from the run's session: small aggregates of the models the run built,
//! each one aggregated SQL query (no per-customer row ever reaches Rust), `None` when the run
//! did not build the model.

use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use serde_json::Value;

use crate::error::Error;
use crate::io::json_rows::to_json_rows;

/// Bins of the predicted-CLV histogram up to the 99th percentile (the top 1 % is one more bin).
pub const CLV_BINS: i64 = 24;
/// Values per dimension in the VIP profile charts.
pub const PROFILE_VALUES: i64 = 8;
/// Traits per segment in the "what sets each segment apart" table.
pub const TRAITS_PER_SEGMENT: i64 = 3;

/// Everything the report reads through the engine. Each is `None` when the run did not build
/// the table it comes from.
#[derive(Debug, Default)]
pub struct Tables {
    pub pareto: Option<Vec<Value>>,
    pub clv_stats: Option<Vec<Value>>,
    pub clv_bins: Option<Vec<Value>>,
    pub segments: Option<Vec<Value>>,
    pub categories: Option<Vec<Value>>,
    pub clv_model: Option<Vec<Value>>,
    pub clv_holdout: Option<Vec<Value>>,
    pub rejected: Option<Vec<Value>>,
    pub vip_profile: Option<Vec<Value>>,
    pub traits: Option<Vec<Value>>,
}

/// Runs the report's queries on the tables the run registered.
pub async fn read(ctx: &SessionContext) -> Result<Tables, Error> {
    Ok(Tables {
        pareto: query(
            ctx,
            "pareto",
            "SELECT decile, customers, cumulative_customer_share, margin_share, cumulative_margin_share, \
             spend_index FROM pareto ORDER BY decile"
                .to_string(),
        )
        .await?,
        clv_stats: query(ctx, "customer_value", CLV_STATS.to_string()).await?,
        clv_bins: query(ctx, "customer_value", CLV_HISTOGRAM.replace("{BINS}", &CLV_BINS.to_string())).await?,
        segments: query(
            ctx,
            "segment_summary",
            "SELECT segment, tier, customers, customer_share, net_revenue_12m, revenue_share, margin_12m, \
             margin_share, avg_net_revenue_12m FROM segment_summary ORDER BY segment, tier NULLS FIRST"
                .to_string(),
        )
        .await?,
        categories: query(ctx, "core_categories", CATEGORIES.to_string()).await?,
        clv_model: query(
            ctx,
            "clv_model",
            "SELECT model, parameter, estimate, std_error, log_likelihood, alternative_log_likelihood, \
             iterations, converged, customers FROM clv_model ORDER BY model, parameter"
                .to_string(),
        )
        .await?,
        clv_holdout: query(
            ctx,
            "clv_holdout",
            "SELECT frequency_bucket, customers, actual_repeat_orders, predicted_repeat_orders FROM clv_holdout \
             ORDER BY frequency_bucket = 'total', LENGTH(frequency_bucket), frequency_bucket"
                .to_string(),
        )
        .await?,
        rejected: query(
            ctx,
            "rejected_rows",
            "SELECT source, reason, COUNT(*) AS rows FROM rejected_rows GROUP BY source, reason \
             ORDER BY rows DESC, source, reason LIMIT 25"
                .to_string(),
        )
        .await?,
        vip_profile: query(ctx, "segment_profiles", VIP_PROFILE.replace("{TOP}", &PROFILE_VALUES.to_string())).await?,
        traits: query(ctx, "segment_profiles", TRAITS.replace("{TOP}", &TRAITS_PER_SEGMENT.to_string())).await?,
    })
}

/// The rows of `sql` when the run registered `table`, else `None`.
async fn query(ctx: &SessionContext, table: &str, sql: String) -> Result<Option<Vec<Value>>, Error> {
    if !ctx.table_exist(table)? {
        return Ok(None);
    }
    // A model changed so that the report cannot read it fails the run: say which.
    let context = |e: DataFusionError| e.context(format!("report: reading `{table}`"));
    let batches = ctx.sql(&sql).await.map_err(context)?.collect().await.map_err(context)?;
    Ok(Some(to_json_rows(&batches)?))
}

/// Summary of the predicted CLV over every customer of customer_value (money summed exactly).
const CLV_STATS: &str = "
SELECT
    COUNT(*) AS customers,
    COUNT(predicted_clv_12m) AS predicted,
    CAST(SUM(CAST(predicted_clv_12m AS DECIMAL(38, 9))) AS DOUBLE) AS total,
    PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY predicted_clv_12m) AS median,
    PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY predicted_clv_12m) AS p90,
    PERCENTILE_CONT(0.99) WITHIN GROUP (ORDER BY predicted_clv_12m) AS p99
FROM customer_value";

/// Customers per bin of predicted CLV: {BINS} equal bins from min(0, lowest) to the 99th
/// percentile, and bin {BINS} for the values above it.
const CLV_HISTOGRAM: &str = "
WITH v AS (
    SELECT predicted_clv_12m AS x FROM customer_value WHERE predicted_clv_12m IS NOT NULL
),
r AS (
    SELECT LEAST(MIN(x), 0.0) AS lo, PERCENTILE_CONT(0.99) WITHIN GROUP (ORDER BY x) AS hi FROM v
),
b AS (
    SELECT
        r.lo,
        r.hi,
        CASE
            WHEN v.x > r.hi THEN {BINS}
            WHEN r.hi <= r.lo THEN 0
            ELSE LEAST(CAST(FLOOR((v.x - r.lo) / (r.hi - r.lo) * {BINS}) AS BIGINT), {BINS} - 1)
        END AS bin
    FROM r CROSS JOIN v
)
SELECT bin, COUNT(*) AS customers, MIN(lo) AS lo, MIN(hi) AS hi
FROM b
GROUP BY bin
ORDER BY bin";

/// The top categories with the share of VIPs and of all active customers who bought them.
const CATEGORIES: &str = "
SELECT
    c.category_rank,
    c.category,
    c.vip_buyers,
    c.vip_buyer_share,
    c.vip_net_revenue_12m,
    c.vip_margin_rate_12m,
    c.buyers_12m,
    CAST(c.buyers_12m AS DOUBLE) / NULLIF(a.active, 0) AS buyer_share,
    c.net_revenue_12m,
    c.margin_rate_12m,
    n.categories
FROM (SELECT COUNT(*) AS active FROM customer_value WHERE orders_12m >= 1) AS a
CROSS JOIN (SELECT COUNT(*) AS categories FROM core_categories) AS n
CROSS JOIN core_categories AS c
WHERE c.category_rank <= 12
ORDER BY c.category_rank";

/// The VIPs (all tiers) by each dimension: the values with most VIPs.
const VIP_PROFILE: &str = "
SELECT dimension, value, customers, share, active_share, lift
FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY dimension ORDER BY customers DESC, value) AS k
    FROM segment_profiles
    WHERE segment = 'vip' AND tier IS NULL
) AS ranked
WHERE k <= {TOP}
ORDER BY dimension, k";

/// Per segment and tier, the known values most over-represented against all active customers
/// (held by at least 5 % of the segment and 3 customers).
const TRAITS: &str = "
SELECT segment, tier, dimension, value, customers, share, active_share, lift
FROM (
    SELECT *, ROW_NUMBER() OVER (
        PARTITION BY segment, tier ORDER BY lift DESC, customers DESC, dimension, value) AS k
    FROM segment_profiles
    WHERE lift IS NOT NULL AND share >= 0.05 AND customers >= 3 AND value NOT IN ('unknown', 'none')
) AS ranked
WHERE k <= {TOP}
ORDER BY segment, tier NULLS FIRST, k";
