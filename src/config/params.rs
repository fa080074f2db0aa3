//! Business parameters (`[params]` of vipseg.toml, docs/contract.md): their defaults, their
//! checks, and their typed SQL values (`$vip_min_orders_12m`, ...).

use datafusion::scalar::ScalarValue;
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// How VIP tiers are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VipMode {
    /// Top shares of active customers, re-evaluated every run.
    Dynamic,
    /// Fixed currency thresholds.
    Static,
}

/// The customer value that VIP tiers rank by.
/// Named as the column (serde's snake_case would write `net_value12m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RankBy {
    #[serde(rename = "net_value_12m")]
    NetValue12m,
    #[serde(rename = "margin_weighted_spend_12m")]
    MarginWeightedSpend12m,
    #[serde(rename = "net_revenue_12m")]
    NetRevenue12m,
    #[serde(rename = "predicted_clv_12m")]
    PredictedClv12m,
}

impl RankBy {
    pub fn column(self) -> &'static str {
        match self {
            RankBy::NetValue12m => "net_value_12m",
            RankBy::MarginWeightedSpend12m => "margin_weighted_spend_12m",
            RankBy::NetRevenue12m => "net_revenue_12m",
            RankBy::PredictedClv12m => "predicted_clv_12m",
        }
    }
}

/// One number per VIP tier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tiers {
    pub platinum: f64,
    pub gold: f64,
    pub silver: f64,
}

/// Business parameters; every field has the default of docs/contract.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// `dynamic` (top shares of active customers) or `static` (currency thresholds).
    pub vip_mode: VipMode,
    /// Dynamic mode: share of active customers per tier (cumulative: gold includes platinum).
    pub vip_tier_shares: Tiers,
    /// Static mode: minimum ranking value per tier.
    pub vip_tier_thresholds: Tiers,
    /// Eligibility: at least this many completed orders in 12 months.
    pub vip_min_orders_12m: i64,
    /// Eligibility: at most this 12-month return rate.
    pub vip_max_return_rate: f64,
    /// The value VIP tiers rank by.
    pub vip_rank_by: RankBy,
    /// near_vip: value at least this share of the VIP entry threshold.
    pub near_vip_ratio: f64,
    /// lapsed_vip: no order for more than this many days.
    pub lapse_days: i64,
    /// at_risk_vip: 3-month order rate against the 12-month one below this.
    pub at_risk_trend: f64,
    /// at_risk_vip: probability of being alive below this.
    pub at_risk_p_alive: f64,
    /// bargain_hunter: share of revenue bought at a discount at least this.
    pub bargain_min_discount_share: f64,
    /// high_cost: 12-month return rate at least this.
    pub high_cost_return_rate: f64,
    /// high_cost: at least this many support tickets in 12 months.
    pub high_cost_tickets: i64,
    /// advocate: at least this many referrals in 12 months.
    pub advocate_min_referrals: i64,
    /// advocate: at least this many reviews in 12 months.
    pub advocate_min_reviews: i64,
    /// new_customer: first order within this many days before the as-of date.
    pub new_customer_days: i64,
    /// loyal_frequent: at least this many orders in 12 months.
    pub loyal_min_orders_12m: i64,
    /// big_spender: AOV at least this quantile of active customers' AOV.
    pub big_spender_aov_quantile: f64,
    /// A line is full price when unit_price >= (1 - this) x list_price.
    pub discount_tolerance: f64,
    /// Cost of a support ticket without its own cost.
    pub ticket_cost: f64,
    /// Handling cost of one return.
    pub return_handling_cost: f64,
    /// CLV: discount rate per month.
    pub clv_discount_rate: f64,
    /// CLV: lifetimes' `penalizer_coef`, an L2 penalty on the model parameters (0 = none).
    pub clv_penalizer: f64,
    /// CLV holdout validation: months before the as-of date held out from calibration.
    pub clv_holdout_months: u32,
    /// The run fails (exit 1) when more than this share of a source's rows is rejected.
    pub max_rejected_rate: f64,
    /// Lookalike: at most this many customers (with history before D - 12 months) are drawn,
    /// by a seeded hash of customer_id, to train and validate the propensity model.
    pub lookalike_sample_size: i64,
    /// Lookalike: seed of the sample and of the holdout split (same seed, same customers).
    pub lookalike_seed: i64,
    /// Lookalike: share of the sample held out to validate the model (AUC), strictly between 0 and 1.
    pub lookalike_holdout_share: f64,
    /// Lookalike: L2 penalty `lookalike_l2 x sum(beta_k^2)` on the standardised coefficients (not
    /// the intercept), added to the mean negative log-likelihood per customer; >= 0.
    pub lookalike_l2: f64,
    /// Lookalike: the model is fitted only with at least this many positives (customers who
    /// hold a VIP tier at D) in the training split; fewer: not fitted, the run goes on.
    pub lookalike_min_positives: i64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            vip_mode: VipMode::Dynamic,
            vip_tier_shares: Tiers { platinum: 0.01, gold: 0.05, silver: 0.20 },
            vip_tier_thresholds: Tiers { platinum: 5000.0, gold: 2000.0, silver: 1000.0 },
            vip_min_orders_12m: 2,
            vip_max_return_rate: 0.5,
            vip_rank_by: RankBy::NetValue12m,
            near_vip_ratio: 0.8,
            lapse_days: 90,
            at_risk_trend: 0.5,
            at_risk_p_alive: 0.5,
            bargain_min_discount_share: 0.7,
            high_cost_return_rate: 0.3,
            high_cost_tickets: 5,
            advocate_min_referrals: 1,
            advocate_min_reviews: 3,
            new_customer_days: 90,
            loyal_min_orders_12m: 6,
            big_spender_aov_quantile: 0.9,
            discount_tolerance: 0.05,
            ticket_cost: 5.0,
            return_handling_cost: 3.0,
            clv_discount_rate: 0.01,
            clv_penalizer: 0.0,
            clv_holdout_months: 12,
            max_rejected_rate: 0.01,
            lookalike_sample_size: 200_000,
            lookalike_seed: 42,
            lookalike_holdout_share: 0.3,
            lookalike_l2: 0.001,
            lookalike_min_positives: 20,
        }
    }
}

impl Params {
    /// Checks ranges that serde's types cannot express; the error names the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let unit = [
            ("vip_max_return_rate", self.vip_max_return_rate),
            ("near_vip_ratio", self.near_vip_ratio),
            ("at_risk_trend", self.at_risk_trend),
            ("at_risk_p_alive", self.at_risk_p_alive),
            ("bargain_min_discount_share", self.bargain_min_discount_share),
            ("high_cost_return_rate", self.high_cost_return_rate),
            ("big_spender_aov_quantile", self.big_spender_aov_quantile),
            ("discount_tolerance", self.discount_tolerance),
            ("clv_discount_rate", self.clv_discount_rate),
            ("max_rejected_rate", self.max_rejected_rate),
        ];
        for (key, value) in unit {
            if !(0.0..=1.0).contains(&value) {
                return Err(ConfigError::invalid(format!("params.{key}"), format!("{value} is not between 0 and 1")));
            }
        }
        let counts = [
            ("vip_min_orders_12m", self.vip_min_orders_12m),
            ("lapse_days", self.lapse_days),
            ("high_cost_tickets", self.high_cost_tickets),
            ("advocate_min_referrals", self.advocate_min_referrals),
            ("advocate_min_reviews", self.advocate_min_reviews),
            ("new_customer_days", self.new_customer_days),
            ("loyal_min_orders_12m", self.loyal_min_orders_12m),
        ];
        for (key, value) in counts {
            if value < 0 {
                return Err(ConfigError::invalid(format!("params.{key}"), "must not be negative"));
            }
        }
        let non_negative = [
            ("ticket_cost", self.ticket_cost),
            ("return_handling_cost", self.return_handling_cost),
            ("clv_penalizer", self.clv_penalizer),
            ("lookalike_l2", self.lookalike_l2),
        ];
        for (key, value) in non_negative {
            if !(value.is_finite() && value >= 0.0) {
                return Err(ConfigError::invalid(format!("params.{key}"), "must be a non-negative number"));
            }
        }
        self.validate_lookalike()?;
        let s = self.vip_tier_shares;
        if self.clv_holdout_months == 0 || self.clv_holdout_months > 120 {
            return Err(ConfigError::invalid("params.clv_holdout_months", "must be between 1 and 120"));
        }
        if !(0.0 < s.platinum && s.platinum <= s.gold && s.gold <= s.silver && s.silver <= 1.0) {
            return Err(ConfigError::invalid(
                "params.vip_tier_shares",
                "need 0 < platinum <= gold <= silver <= 1 (cumulative shares of active customers)",
            ));
        }
        let t = self.vip_tier_thresholds;
        if !(t.platinum >= t.gold && t.gold >= t.silver && t.silver.is_finite()) {
            return Err(ConfigError::invalid("params.vip_tier_thresholds", "need platinum >= gold >= silver"));
        }
        Ok(())
    }

    /// The lookalike model's sample and split need a sample and both sides of the split.
    fn validate_lookalike(&self) -> Result<(), ConfigError> {
        if self.lookalike_sample_size < 1 {
            return Err(ConfigError::invalid("params.lookalike_sample_size", "must be at least 1"));
        }
        if self.lookalike_min_positives < 1 {
            return Err(ConfigError::invalid("params.lookalike_min_positives", "must be at least 1"));
        }
        let share = self.lookalike_holdout_share;
        if !(share > 0.0 && share < 1.0) {
            return Err(ConfigError::invalid(
                "params.lookalike_holdout_share",
                format!("{share} is not strictly between 0 and 1 (both a training and a holdout split are needed)"),
            ));
        }
        Ok(())
    }

    /// The business parameters as named SQL values (`$vip_min_orders_12m`, ...).
    pub(super) fn scalars(&self) -> Vec<(String, ScalarValue)> {
        let f = |v: f64| ScalarValue::Float64(Some(v));
        let i = |v: i64| ScalarValue::Int64(Some(v));
        let s = |v: &str| ScalarValue::Utf8(Some(v.to_string()));
        let mode = match self.vip_mode {
            VipMode::Dynamic => "dynamic",
            VipMode::Static => "static",
        };
        let pairs: Vec<(&str, ScalarValue)> = vec![
            ("vip_mode", s(mode)),
            ("vip_share_platinum", f(self.vip_tier_shares.platinum)),
            ("vip_share_gold", f(self.vip_tier_shares.gold)),
            ("vip_share_silver", f(self.vip_tier_shares.silver)),
            ("vip_threshold_platinum", f(self.vip_tier_thresholds.platinum)),
            ("vip_threshold_gold", f(self.vip_tier_thresholds.gold)),
            ("vip_threshold_silver", f(self.vip_tier_thresholds.silver)),
            ("vip_min_orders_12m", i(self.vip_min_orders_12m)),
            ("vip_max_return_rate", f(self.vip_max_return_rate)),
            ("vip_rank_by", s(self.vip_rank_by.column())),
            ("near_vip_ratio", f(self.near_vip_ratio)),
            ("lapse_days", i(self.lapse_days)),
            ("at_risk_trend", f(self.at_risk_trend)),
            ("at_risk_p_alive", f(self.at_risk_p_alive)),
            ("bargain_min_discount_share", f(self.bargain_min_discount_share)),
            ("high_cost_return_rate", f(self.high_cost_return_rate)),
            ("high_cost_tickets", i(self.high_cost_tickets)),
            ("advocate_min_referrals", i(self.advocate_min_referrals)),
            ("advocate_min_reviews", i(self.advocate_min_reviews)),
            ("new_customer_days", i(self.new_customer_days)),
            ("loyal_min_orders_12m", i(self.loyal_min_orders_12m)),
            ("big_spender_aov_quantile", f(self.big_spender_aov_quantile)),
            ("discount_tolerance", f(self.discount_tolerance)),
            ("ticket_cost", f(self.ticket_cost)),
            ("return_handling_cost", f(self.return_handling_cost)),
            ("clv_discount_rate", f(self.clv_discount_rate)),
            ("max_rejected_rate", f(self.max_rejected_rate)),
            ("clv_holdout_months", i(i64::from(self.clv_holdout_months))),
            ("lookalike_sample_size", i(self.lookalike_sample_size)),
            ("lookalike_seed", i(self.lookalike_seed)),
            ("lookalike_holdout_share", f(self.lookalike_holdout_share)),
            ("lookalike_l2", f(self.lookalike_l2)),
            ("lookalike_min_positives", i(self.lookalike_min_positives)),
        ];
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}
