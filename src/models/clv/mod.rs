//! The CLV step of a run: fits BG/NBD and Gamma-Gamma once, on the compressed patterns the
//! `clv_*` SQL models produce, and returns small tables (fitted parameters, per-pattern scores,
//! holdout comparison) that the SQL joins back to customers, so per-customer scoring stays in
//! the query engine and runs wherever the engine runs.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use serde_json::json;

use crate::bgnbd::{self, BgNbdData, BgNbdParams, ClvHorizon, Pattern};
use crate::clv_fit::FitReport;
use crate::error::Error;
use crate::gamma_gamma::{self, GammaGammaData, GammaGammaParams, SpendPattern};
use crate::params::{Params, RankBy, Windows, holdout_start};

/// lifetimes' weeks per month (`freq="W"`); 12 of them make the 12-month horizon.
const WEEKS_PER_MONTH: f64 = 4.345;
const DAYS_PER_WEEK: f64 = 7.0;
/// Frequency buckets of the holdout table: 0, 1, ..., 6 and "7+".
const HOLDOUT_BUCKETS: i64 = 7;

/// A table computed in Rust, and what to report about it in the run results.
pub struct Computed {
    pub batch: RecordBatch,
    pub report: serde_json::Value,
}

/// Columns of a small model result, read into Rust as i64 / f64 vectors.
struct Columns {
    batches: Vec<RecordBatch>,
}

impl Columns {
    async fn read(ctx: &SessionContext, table: &str, columns: &[&str]) -> Result<Self, Error> {
        let frame = ctx.table(table).await?.select_columns(columns)?;
        Ok(Self { batches: frame.collect().await? })
    }

    fn int(&self, index: usize) -> Result<Vec<i64>, Error> {
        let mut out = Vec::new();
        for batch in &self.batches {
            let column = cast(batch.column(index), &DataType::Int64).map_err(DataFusionError::from)?;
            out.extend(column.as_primitive::<Int64Type>().iter().map(|v| v.unwrap_or(0)));
        }
        Ok(out)
    }

    fn float(&self, index: usize) -> Result<Vec<f64>, Error> {
        let mut out = Vec::new();
        for batch in &self.batches {
            let column = cast(batch.column(index), &DataType::Float64).map_err(DataFusionError::from)?;
            out.extend(column.as_primitive::<Float64Type>().iter().map(|v| v.unwrap_or(0.0)));
        }
        Ok(out)
    }
}

/// The columns of a pattern model that make a BG/NBD pattern (days; converted to weeks).
const PATTERN_COLUMNS: [&str; 4] = ["frequency", "recency_days", "age_days", "customers"];

/// Integer columns of a small model result, one array per row, sorted. The engine returns groups
/// in no fixed order; summing the likelihood in a fixed order makes the fitted parameters, and
/// so every CLV output, bit-for-bit repeatable.
async fn read_sorted_rows<const N: usize>(
    ctx: &SessionContext,
    table: &str,
    columns: [&str; N],
) -> Result<Vec<[i64; N]>, Error> {
    let cols = Columns::read(ctx, table, &columns).await?;
    let values = (0..N).map(|i| cols.int(i)).collect::<Result<Vec<_>, _>>()?;
    let mut rows: Vec<[i64; N]> = (0..values[0].len()).map(|r| std::array::from_fn(|c| values[c][r])).collect();
    rows.sort_unstable();
    Ok(rows)
}

/// A pattern row (frequency, recency_days, age_days, customers, ...) as a BG/NBD pattern in weeks.
fn pattern(row: &[i64]) -> Pattern {
    Pattern {
        x: row[0].max(0) as u64,
        t_x: row[1] as f64 / DAYS_PER_WEEK,
        age: row[2] as f64 / DAYS_PER_WEEK,
        weight: row[3].max(0) as u64,
    }
}

/// (x, recency, age) patterns in weeks with their customer counts, from a pattern model.
async fn read_patterns(ctx: &SessionContext, table: &str) -> Result<Vec<Pattern>, Error> {
    Ok(read_sorted_rows(ctx, table, PATTERN_COLUMNS).await?.iter().map(|row| pattern(row)).collect())
}

/// `clv_model`: the fitted BG/NBD and Gamma-Gamma parameters, one row per parameter. When the
/// data cannot support a fit (too few repeat customers), the table is empty, the CLV columns of
/// `customer_value` are null, and the run results say why: the documented fallback.
pub async fn fit_models(ctx: &SessionContext, params: &Params) -> Result<Computed, Error> {
    let patterns = read_patterns(ctx, "clv_patterns").await?;
    let spend_cols = Columns::read(ctx, "clv_spend_patterns", &["frequency", "mean_repeat_value", "customers"]).await?;
    let (x, value, customers) = (spend_cols.int(0)?, spend_cols.float(1)?, spend_cols.int(2)?);
    let mut spend: Vec<SpendPattern> = (0..x.len())
        .filter(|&i| value[i] > 0.0)
        .map(|i| SpendPattern { x: x[i].max(0) as u64, mean_value: value[i], weight: customers[i].max(0) as u64 })
        .collect();
    spend.sort_unstable_by(|a, b| {
        a.x.cmp(&b.x).then(a.mean_value.total_cmp(&b.mean_value)).then(a.weight.cmp(&b.weight))
    });
    let fits = BgNbdData::new(patterns).and_then(|d| bgnbd::fit(&d)).and_then(|purchases| {
        let spend = GammaGammaData::new(spend).and_then(|d| gamma_gamma::fit(&d))?;
        Ok((purchases, spend))
    });
    match fits {
        Ok((purchases, spend)) => {
            let report = json!({ "status": "fitted", "bgnbd": purchases, "gamma_gamma": spend });
            Ok(Computed { batch: parameter_table(&purchases, &spend)?, report })
        }
        // VIP tiers cannot be cut on a value that does not exist: then the run must stop.
        Err(e) if params.vip_rank_by == RankBy::PredictedClv12m => {
            Err(Error::Clv(format!("vip_rank_by = \"predicted_clv_12m\", but the CLV model could not be fitted: {e}")))
        }
        // Otherwise a nightly segmentation should not fail on the CLV model (too little data,
        // a degenerate optimum): the documented fallback is null CLV columns and the reason.
        Err(e) => {
            tracing::warn!("CLV model not fitted: {e}; CLV columns will be null");
            Ok(Computed {
                batch: parameter_rows(Vec::new())?,
                report: json!({ "status": "not_fitted", "reason": e.to_string() }),
            })
        }
    }
}

struct ParameterRow {
    model: &'static str,
    parameter: &'static str,
    estimate: f64,
    std_error: f64,
    log_likelihood: f64,
    iterations: i64,
    converged: bool,
    customers: i64,
}

fn parameter_table(
    purchases: &FitReport<BgNbdParams>,
    spend: &FitReport<GammaGammaParams>,
) -> Result<RecordBatch, Error> {
    let row = |model, parameter, estimate, std_error, fit: (f64, u64, bool, u64)| ParameterRow {
        model,
        parameter,
        estimate,
        std_error,
        log_likelihood: fit.0,
        iterations: fit.1 as i64,
        converged: fit.2,
        customers: fit.3 as i64,
    };
    let b = (purchases.log_likelihood, purchases.iterations, purchases.converged, purchases.n_customers);
    let g = (spend.log_likelihood, spend.iterations, spend.converged, spend.n_customers);
    let (p, e) = (&purchases.params, &purchases.std_errors);
    let (s, se) = (&spend.params, &spend.std_errors);
    parameter_rows(vec![
        row("bgnbd", "r", p.r, e.r, b),
        row("bgnbd", "alpha", p.alpha, e.alpha, b),
        row("bgnbd", "a", p.a, e.a, b),
        row("bgnbd", "b", p.b, e.b, b),
        row("gamma_gamma", "p", s.p, se.p, g),
        row("gamma_gamma", "q", s.q, se.q, g),
        row("gamma_gamma", "gamma", s.gamma, se.gamma, g),
    ])
}

fn parameter_rows(rows: Vec<ParameterRow>) -> Result<RecordBatch, Error> {
    let strings =
        |f: fn(&ParameterRow) -> &str| Arc::new(StringArray::from_iter_values(rows.iter().map(f))) as ArrayRef;
    let floats = |f: fn(&ParameterRow) -> f64| Arc::new(Float64Array::from_iter_values(rows.iter().map(f))) as ArrayRef;
    let ints = |f: fn(&ParameterRow) -> i64| Arc::new(Int64Array::from_iter_values(rows.iter().map(f))) as ArrayRef;
    RecordBatch::try_from_iter(vec![
        ("model", strings(|r| r.model)),
        ("parameter", strings(|r| r.parameter)),
        ("estimate", floats(|r| r.estimate)),
        ("std_error", floats(|r| r.std_error)),
        ("log_likelihood", floats(|r| r.log_likelihood)),
        ("iterations", ints(|r| r.iterations)),
        ("converged", Arc::new(rows.iter().map(|r| Some(r.converged)).collect::<BooleanArray>()) as ArrayRef),
        ("customers", ints(|r| r.customers)),
    ])
    .map_err(|e| DataFusionError::from(e).into())
}

/// The fitted parameters back from the `clv_model` table (None when the model was not fitted).
async fn read_fitted(ctx: &SessionContext) -> Result<Option<(BgNbdParams, GammaGammaParams)>, Error> {
    let frame = ctx.table("clv_model").await?.select_columns(&["parameter", "estimate"])?;
    let mut values = std::collections::HashMap::new();
    for batch in frame.collect().await? {
        let names = cast(batch.column(0), &DataType::Utf8).map_err(DataFusionError::from)?;
        let estimates = batch.column(1).as_primitive::<Float64Type>().clone();
        for (i, name) in names.as_string::<i32>().iter().enumerate() {
            values.insert(name.unwrap_or_default().to_string(), estimates.value(i));
        }
    }
    let get = |k: &str| values.get(k).copied();
    Ok(match (get("r"), get("alpha"), get("a"), get("b"), get("p"), get("q"), get("gamma")) {
        (Some(r), Some(alpha), Some(a), Some(b), Some(p), Some(q), Some(gamma)) => {
            Some((BgNbdParams { r, alpha, a, b }, GammaGammaParams { p, q, gamma }))
        }
        _ => None,
    })
}

/// `clv_scores`: per (x, recency, age) pattern, P(alive), expected orders in the next 12 months
/// and the discounted expected orders of lifetimes' 12-month CLV (monthly at `clv_discount_rate`).
pub async fn score_patterns(ctx: &SessionContext, params: &Params) -> Result<Computed, Error> {
    let patterns = read_patterns(ctx, "clv_patterns").await?;
    let fitted = read_fitted(ctx).await?;
    let horizon =
        ClvHorizon { months: 12, monthly_discount_rate: params.clv_discount_rate, periods_per_month: WEEKS_PER_MONTH };
    let mut rows: Vec<ScoreRow> = Vec::with_capacity(patterns.len());
    let (mut unscored, mut first_error) = (0u64, None);
    if let Some((purchases, _)) = fitted {
        for p in &patterns {
            let scores = purchases.p_alive(p.x, p.t_x, p.age).and_then(|alive| {
                let expected = purchases.expected_purchases(12.0 * WEEKS_PER_MONTH, p.x, p.t_x, p.age)?;
                Ok((alive, expected, purchases.discounted_expected_purchases(p.x, p.t_x, p.age, &horizon)?))
            });
            // A pattern the formulas cannot evaluate gets null scores (never NaN), counted below.
            let scores = scores.map_err(|e| first_error.get_or_insert(e.to_string()).clone()).ok();
            unscored += u64::from(scores.is_none());
            let (days_x, days_age) = ((p.t_x * DAYS_PER_WEEK).round() as i64, (p.age * DAYS_PER_WEEK).round() as i64);
            rows.push((p.x as i64, days_x, days_age, scores.map(|s| s.0), scores.map(|s| s.1), scores.map(|s| s.2)));
        }
    }
    if unscored > 0 {
        tracing::warn!("{unscored} CLV patterns could not be scored (null): {}", first_error.as_deref().unwrap_or(""));
    }
    let report = json!({ "patterns": rows.len(), "unscored_patterns": unscored, "first_error": first_error });
    Ok(Computed { report, batch: score_rows(&rows)? })
}

type ScoreRow = (i64, i64, i64, Option<f64>, Option<f64>, Option<f64>);

fn score_rows(rows: &[ScoreRow]) -> Result<RecordBatch, Error> {
    let ints = |f: fn(&ScoreRow) -> i64| Arc::new(Int64Array::from_iter_values(rows.iter().map(f))) as ArrayRef;
    let floats = |f: fn(&ScoreRow) -> Option<f64>| Arc::new(rows.iter().map(f).collect::<Float64Array>()) as ArrayRef;
    RecordBatch::try_from_iter(vec![
        ("frequency", ints(|r| r.0)),
        ("recency_days", ints(|r| r.1)),
        ("age_days", ints(|r| r.2)),
        ("p_alive", floats(|r| r.3)),
        ("expected_orders_12m", floats(|r| r.4)),
        ("discounted_orders_12m", floats(|r| r.5)),
    ])
    .map_err(|e| DataFusionError::from(e).into())
}

/// The empty result of each Rust model: its schema, for planning without running (`compile`).
pub fn empty_parameters() -> Result<RecordBatch, Error> {
    parameter_rows(Vec::new())
}

pub fn empty_scores() -> Result<RecordBatch, Error> {
    score_rows(&[])
}

pub fn empty_holdout() -> Result<RecordBatch, Error> {
    holdout_rows(&[])
}

/// `clv_holdout`: BG/NBD calibrated on purchases before the holdout start, its predicted repeat
/// purchases in the holdout period against the actual ones, by calibration frequency (0..6, 7+)
/// and in total (bucket -1): the model check marketers chart.
pub async fn holdout(ctx: &SessionContext, windows: &Windows, params: &Params) -> Result<Computed, Error> {
    let [frequency, recency, age, customers] = PATTERN_COLUMNS;
    let columns = [frequency, recency, age, customers, "actual_orders"];
    let rows = read_sorted_rows(ctx, "clv_holdout_patterns", columns).await?;
    let patterns: Vec<Pattern> = rows.iter().map(|row| pattern(row)).collect();
    let holdout_weeks = (windows.as_of - holdout_start(windows, params)).num_days() as f64 / DAYS_PER_WEEK;
    let fit = match BgNbdData::new(patterns.clone()).and_then(|d| bgnbd::fit(&d)) {
        Ok(fit) => fit,
        Err(e) => {
            tracing::warn!("CLV holdout model not fitted: {e}");
            return Ok(Computed {
                batch: holdout_rows(&[])?,
                report: json!({ "status": "not_fitted", "reason": e.to_string() }),
            });
        }
    };
    // (customers, actual, predicted) per bucket; index HOLDOUT_BUCKETS + 1 is the total.
    let mut buckets = vec![(0i64, 0i64, 0.0f64); HOLDOUT_BUCKETS as usize + 2];
    let mut unscored = 0u64;
    for (i, p) in patterns.iter().enumerate() {
        // A pattern the formula cannot evaluate adds no prediction; the report counts them.
        let Ok(predicted) = fit.params.expected_purchases(holdout_weeks, p.x, p.t_x, p.age) else {
            unscored += 1;
            continue;
        };
        let bucket = (p.x as i64).min(HOLDOUT_BUCKETS) as usize;
        for b in [bucket, HOLDOUT_BUCKETS as usize + 1] {
            buckets[b].0 += rows[i][3];
            buckets[b].1 += rows[i][4];
            buckets[b].2 += predicted * p.weight as f64;
        }
    }
    let report = json!({ "status": "fitted", "holdout_weeks": holdout_weeks, "bgnbd": fit,
        "unscored_patterns": unscored, "actual_orders": buckets[HOLDOUT_BUCKETS as usize + 1].1, "predicted_orders": buckets[HOLDOUT_BUCKETS as usize + 1].2 });
    Ok(Computed { batch: holdout_rows(&buckets)?, report })
}

fn holdout_rows(buckets: &[(i64, i64, f64)]) -> Result<RecordBatch, Error> {
    let label = |b: usize| match b as i64 {
        b if b < HOLDOUT_BUCKETS => b.to_string(),
        HOLDOUT_BUCKETS => format!("{HOLDOUT_BUCKETS}+"),
        _ => "total".to_string(),
    };
    RecordBatch::try_from_iter(vec![
        ("frequency_bucket", Arc::new(StringArray::from_iter_values((0..buckets.len()).map(label))) as ArrayRef),
        ("customers", Arc::new(Int64Array::from_iter_values(buckets.iter().map(|b| b.0))) as ArrayRef),
        ("actual_repeat_orders", Arc::new(Int64Array::from_iter_values(buckets.iter().map(|b| b.1))) as ArrayRef),
        ("predicted_repeat_orders", Arc::new(Float64Array::from_iter_values(buckets.iter().map(|b| b.2))) as ArrayRef),
    ])
    .map_err(|e| DataFusionError::from(e).into())
}
