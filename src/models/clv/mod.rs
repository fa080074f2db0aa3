//! Customer lifetime value: BG/NBD and Gamma-Gamma fitted once per run on the compressed patterns
//! the `clv_*` SQL models produce. The models here return small tables (fitted parameters,
//! per-pattern scores, holdout comparison) that the SQL joins back to customers, so per-customer
//! scoring stays in the query engine and runs wherever the engine runs.

pub mod bgnbd;
pub mod gamma_gamma;
pub mod hyp2f1;
pub mod limits;
mod read;
pub mod select;
mod tables;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use serde::Serialize;

use self::bgnbd::{BgNbdData, BgNbdParams, ClvHorizon, Pattern};
use self::gamma_gamma::{GammaGammaData, GammaGammaParams};
use self::limits::{GammaGammaLimitParams, NbdParams};
use self::read::{DAYS_PER_WEEK, PATTERN_COLUMNS, pattern, read_fitted, read_patterns, read_sorted_rows};
use self::select::{FitSummary, PurchaseFit, PurchaseModel, Selection, SpendFit, SpendModel, fit_purchases, fit_spend};
use self::tables::{HoldoutRow, ParameterRow, ScoreRow};
use crate::config::params::RankBy;
use crate::config::windows::holdout_start;
use crate::error::Error;
use crate::models::mle::FitReport;
use crate::models::{ModelInput, RustModel};

/// lifetimes' weeks per month (`freq="W"`); 12 of them make the 12-month horizon.
const WEEKS_PER_MONTH: f64 = 4.345;
/// Frequency buckets of the holdout table: 0, 1, ..., 6 and "7+".
const HOLDOUT_BUCKETS: i64 = 7;

/// The SQL models the CLV models read, and the table one of them reads from another.
const PATTERNS: &str = "clv_patterns";
const SPEND_PATTERNS: &str = "clv_spend_patterns";
const HOLDOUT_PATTERNS: &str = "clv_holdout_patterns";
const PARAMETERS: &str = "clv_model";

/// `clv_model`: the parameters of the purchase model (BG/NBD, or its limit NBD) and of the spend
/// model (Gamma-Gamma, or its no-heterogeneity limit) used, one row per parameter.
pub struct ClvModel;

/// `clv_scores`: per (x, recency, age) pattern, P(alive), expected orders in the next 12 months
/// and the discounted expected orders of lifetimes' 12-month CLV (monthly at `clv_discount_rate`).
pub struct ClvScores;

/// `clv_holdout`: BG/NBD calibrated on purchases before the holdout start, its predicted repeat
/// purchases in the holdout period against the actual ones, by calibration frequency (0..6, 7+)
/// and in total: the model check marketers chart.
pub struct ClvHoldout;

/// The report of `clv_model` in the run results: which models are used, what they were
/// compared with, and every fit (null where it failed).
// One report per run: the size of the fitted variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ClvFitReport {
    Fitted {
        /// `{"model": "bgnbd" | "nbd", "compared": [...]}`.
        purchases: Selection,
        /// `{"model": "gamma_gamma" | "gamma_gamma_limit", "compared": [...]}`.
        spend: Selection,
        bgnbd: Option<FitReport<BgNbdParams>>,
        nbd: Option<FitReport<NbdParams>>,
        gamma_gamma: Option<FitReport<GammaGammaParams>>,
        gamma_gamma_limit: Option<FitReport<GammaGammaLimitParams>>,
        /// lifetimes' `penalizer_coef` the fits used (`clv_penalizer`).
        penalizer: f64,
    },
    /// Too little data, or neither a model nor its limit fitted: the CLV columns are null, and
    /// this says why.
    NotFitted { reason: String },
}

/// The report of `clv_scores`.
#[derive(Debug, Clone, Serialize)]
pub struct ClvScoreReport {
    pub patterns: usize,
    /// Patterns the formulas could not evaluate: their scores are null.
    pub unscored_patterns: u64,
    pub first_error: Option<String>,
}

/// The report of `clv_holdout`.
// One report per run: the size of the fitted variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ClvHoldoutReport {
    Fitted {
        holdout_weeks: f64,
        /// The purchase model used ("bgnbd" or "nbd") and what it was compared with.
        purchases: Selection,
        bgnbd: Option<FitReport<BgNbdParams>>,
        nbd: Option<FitReport<NbdParams>>,
        unscored_patterns: u64,
        actual_orders: i64,
        predicted_orders: f64,
    },
    NotFitted {
        reason: String,
    },
}

#[async_trait]
impl RustModel for ClvModel {
    type Report = ClvFitReport;

    fn name(&self) -> &'static str {
        PARAMETERS
    }

    fn reads(&self) -> &'static [&'static str] {
        &[PATTERNS, SPEND_PATTERNS]
    }

    fn file(&self) -> &'static str {
        file!()
    }

    fn schema(&self) -> SchemaRef {
        tables::parameter_schema()
    }

    /// When the data cannot support a fit (too few repeat customers), the table is empty, the
    /// CLV columns of `customer_value` are null, and the report says why: the documented fallback.
    async fn run(&self, input: &ModelInput<'_>) -> Result<(RecordBatch, ClvFitReport), Error> {
        let patterns = read_patterns(input, PATTERNS).await?;
        let spend = read::read_spend_patterns(input, SPEND_PATTERNS).await?;
        let penalizer = input.params.clv_penalizer;
        let fits = BgNbdData::new(patterns).and_then(|d| fit_purchases(&d, penalizer)).and_then(|purchases| {
            let spend = GammaGammaData::new(spend).and_then(|d| fit_spend(&d, penalizer))?;
            Ok((purchases, spend))
        });
        match fits {
            Ok((purchases, spend)) => {
                let batch = tables::parameter_batch(&parameter_rows(&purchases, &spend))?;
                let report = ClvFitReport::Fitted {
                    purchases: purchases.selection,
                    spend: spend.selection,
                    bgnbd: purchases.bgnbd,
                    nbd: purchases.nbd,
                    gamma_gamma: spend.gamma_gamma,
                    gamma_gamma_limit: spend.gamma_gamma_limit,
                    penalizer,
                };
                Ok((batch, report))
            }
            // VIP tiers cannot be cut on a value that does not exist: then the run must stop.
            Err(e) if input.params.vip_rank_by == RankBy::PredictedClv12m => Err(Error::Clv(format!(
                "vip_rank_by = \"predicted_clv_12m\", but the CLV model could not be fitted: {e}"
            ))),
            // Otherwise a nightly segmentation should not fail on the CLV model (too little data,
            // a degenerate optimum): the documented fallback is null CLV columns and the reason.
            Err(e) => {
                tracing::warn!("CLV model not fitted: {e}; CLV columns will be null");
                Ok((tables::parameter_batch(&[])?, ClvFitReport::NotFitted { reason: e.to_string() }))
            }
        }
    }
}

fn parameter_rows(purchases: &PurchaseFit, spend: &SpendFit) -> Vec<ParameterRow> {
    let row = |model: &'static str, fit: FitSummary, other: Option<f64>| {
        move |(parameter, estimate, std_error): (&'static str, f64, Option<f64>)| ParameterRow {
            model,
            parameter,
            estimate,
            std_error,
            log_likelihood: fit.log_likelihood,
            alternative_log_likelihood: other,
            iterations: fit.iterations as i64,
            converged: fit.converged,
            customers: fit.customers as i64,
        }
    };
    let purchase_row = row(purchases.used.name(), purchases.used_fit(), purchases.selection.other_log_likelihood());
    let spend_row = row(spend.used.name(), spend.used_fit(), spend.selection.other_log_likelihood());
    let purchase_params: Vec<(&'static str, f64, Option<f64>)> = match purchases.used {
        PurchaseModel::BgNbd(p) => {
            let e = purchases.bgnbd.as_ref().and_then(|f| f.std_errors);
            vec![
                ("r", p.r, e.map(|e| e.r)),
                ("alpha", p.alpha, e.map(|e| e.alpha)),
                ("a", p.a, e.map(|e| e.a)),
                ("b", p.b, e.map(|e| e.b)),
            ]
        }
        PurchaseModel::Nbd(p) => {
            let e = purchases.nbd.as_ref().and_then(|f| f.std_errors);
            vec![("r", p.r, e.map(|e| e.r)), ("alpha", p.alpha, e.map(|e| e.alpha))]
        }
    };
    let spend_params: Vec<(&'static str, f64, Option<f64>)> = match spend.used {
        SpendModel::GammaGamma(s) => {
            let e = spend.gamma_gamma.as_ref().and_then(|f| f.std_errors);
            vec![("p", s.p, e.map(|e| e.p)), ("q", s.q, e.map(|e| e.q)), ("gamma", s.gamma, e.map(|e| e.gamma))]
        }
        SpendModel::Limit(s) => {
            let e = spend.gamma_gamma_limit.as_ref().and_then(|f| f.std_errors);
            vec![("p", s.p, e.map(|e| e.p)), ("mean_value", s.mean_value, e.map(|e| e.mean_value))]
        }
    };
    purchase_params.into_iter().map(purchase_row).chain(spend_params.into_iter().map(spend_row)).collect()
}

#[async_trait]
impl RustModel for ClvScores {
    type Report = ClvScoreReport;

    fn name(&self) -> &'static str {
        "clv_scores"
    }

    fn reads(&self) -> &'static [&'static str] {
        &[PARAMETERS, PATTERNS]
    }

    fn file(&self) -> &'static str {
        file!()
    }

    fn schema(&self) -> SchemaRef {
        tables::score_schema()
    }

    async fn run(&self, input: &ModelInput<'_>) -> Result<(RecordBatch, ClvScoreReport), Error> {
        let patterns = read_patterns(input, PATTERNS).await?;
        let fitted = read_fitted(input, PARAMETERS).await?;
        let horizon = ClvHorizon {
            months: 12,
            monthly_discount_rate: input.params.clv_discount_rate,
            periods_per_month: WEEKS_PER_MONTH,
        };
        let mut rows: Vec<ScoreRow> = Vec::with_capacity(patterns.len());
        let (mut unscored, mut first_error) = (0u64, None);
        if let Some((purchases, _)) = fitted {
            let threads = input.ctx.state().config().target_partitions();
            for (p, scores) in patterns.iter().zip(score_all(&purchases, &patterns, &horizon, threads)) {
                // A pattern the formulas cannot evaluate gets null scores (never NaN), counted below.
                let scores = scores.map_err(|e| first_error.get_or_insert(e).clone()).ok();
                unscored += u64::from(scores.is_none());
                rows.push(ScoreRow {
                    frequency: p.x as i64,
                    recency_days: (p.t_x * DAYS_PER_WEEK).round() as i64,
                    age_days: (p.age * DAYS_PER_WEEK).round() as i64,
                    p_alive: scores.map(|s| s.0),
                    expected_orders_12m: scores.map(|s| s.1),
                    discounted_orders_12m: scores.map(|s| s.2),
                });
            }
        }
        if unscored > 0 {
            tracing::warn!(
                "{unscored} CLV patterns could not be scored (null): {}",
                first_error.as_deref().unwrap_or("")
            );
        }
        let report = ClvScoreReport { patterns: rows.len(), unscored_patterns: unscored, first_error };
        Ok((tables::score_batch(&rows)?, report))
    }
}

/// The scores of every pattern, in order, computed on `threads` threads: patterns are
/// independent, and with P(alive) and, under BG/NBD, thirteen expected-purchase evaluations
/// (each a hypergeometric series) per pattern, this loop is most of `clv_scores` (hundreds of
/// thousands of patterns at 1M customers).
fn score_all(
    purchases: &PurchaseModel,
    patterns: &[Pattern],
    horizon: &ClvHorizon,
    threads: usize,
) -> Vec<Result<(f64, f64, f64), String>> {
    let chunk = patterns.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = patterns
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|p| score(purchases, p, horizon)).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

/// P(alive), expected orders in 12 months, and discounted expected orders of one pattern.
fn score(purchases: &PurchaseModel, p: &Pattern, horizon: &ClvHorizon) -> Result<(f64, f64, f64), String> {
    let scores = purchases.p_alive(p.x, p.t_x, p.age).and_then(|alive| {
        let expected = purchases.expected_purchases(12.0 * WEEKS_PER_MONTH, p.x, p.t_x, p.age)?;
        Ok((alive, expected, purchases.discounted_expected_purchases(p.x, p.t_x, p.age, horizon)?))
    });
    scores.map_err(|e| e.to_string())
}

#[async_trait]
impl RustModel for ClvHoldout {
    type Report = ClvHoldoutReport;

    fn name(&self) -> &'static str {
        "clv_holdout"
    }

    fn reads(&self) -> &'static [&'static str] {
        &[HOLDOUT_PATTERNS]
    }

    fn file(&self) -> &'static str {
        file!()
    }

    fn schema(&self) -> SchemaRef {
        tables::holdout_schema()
    }

    async fn run(&self, input: &ModelInput<'_>) -> Result<(RecordBatch, ClvHoldoutReport), Error> {
        let [frequency, recency, age, customers] = PATTERN_COLUMNS;
        let columns = [frequency, recency, age, customers, "actual_orders"];
        let rows = read_sorted_rows(input, HOLDOUT_PATTERNS, columns).await?;
        let patterns: Vec<Pattern> = rows.iter().map(|row| pattern(row)).collect();
        let windows = input.windows;
        let holdout_weeks = (windows.as_of - holdout_start(windows, input.params)).num_days() as f64 / DAYS_PER_WEEK;
        let penalizer = input.params.clv_penalizer;
        let fit = match BgNbdData::new(patterns.clone()).and_then(|d| fit_purchases(&d, penalizer)) {
            Ok(fit) => fit,
            Err(e) => {
                tracing::warn!("CLV holdout model not fitted: {e}");
                return Ok((tables::holdout_batch(&[])?, ClvHoldoutReport::NotFitted { reason: e.to_string() }));
            }
        };
        // (customers, actual, predicted) per bucket; index HOLDOUT_BUCKETS + 1 is the total.
        let mut buckets = vec![(0i64, 0i64, 0.0f64); HOLDOUT_BUCKETS as usize + 2];
        let mut unscored = 0u64;
        for (i, p) in patterns.iter().enumerate() {
            // A pattern the formula cannot evaluate adds no prediction; the report counts them.
            let Ok(predicted) = fit.used.expected_purchases(holdout_weeks, p.x, p.t_x, p.age) else {
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
        let total = buckets[HOLDOUT_BUCKETS as usize + 1];
        let report = ClvHoldoutReport::Fitted {
            holdout_weeks,
            purchases: fit.selection,
            bgnbd: fit.bgnbd,
            nbd: fit.nbd,
            unscored_patterns: unscored,
            actual_orders: total.1,
            predicted_orders: total.2,
        };
        Ok((tables::holdout_batch(&holdout_rows(&buckets))?, report))
    }
}

fn holdout_rows(buckets: &[(i64, i64, f64)]) -> Vec<HoldoutRow> {
    let label = |b: usize| match b as i64 {
        b if b < HOLDOUT_BUCKETS => b.to_string(),
        HOLDOUT_BUCKETS => format!("{HOLDOUT_BUCKETS}+"),
        _ => "total".to_string(),
    };
    buckets
        .iter()
        .enumerate()
        .map(|(b, &(customers, actual, predicted))| HoldoutRow {
            frequency_bucket: label(b),
            customers,
            actual_repeat_orders: actual,
            predicted_repeat_orders: predicted,
        })
        .collect()
}
