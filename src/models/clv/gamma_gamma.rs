//! Gamma-Gamma spend model (Fader & Hardie, note 025): fit on repeat customers' (x, mean order value), conditional expected order value, and the combined CLV.
//!
//! Semantics follow the Python `lifetimes` 0.11.3 `GammaGammaFitter`: weighted likelihood of the
//! mean repeat-order value given x, log-parameters, standard errors from the inverse Hessian,
//! `conditional_expected_average_profit` (the population mean for x = 0), and
//! `customer_lifetime_value` = expected order value * discounted expected BG/NBD purchases.

use crate::models::clv::bgnbd::{BgNbdParams, ClvHorizon};
use crate::models::mle::{
    ClvError, FitReport, LogLikelihood, MIN_REPEAT_CUSTOMERS, Penalty, digamma, finite, ln_gamma, maximise,
    natural_std_errors,
};
use serde::Serialize;

const MODEL: &str = "Gamma-Gamma";

/// Spend per order ~ Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers
/// (lifetimes calls `gamma` `v`). The mean order value is p * gamma / (q - 1) for q > 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GammaGammaParams {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

/// One customer (or group of identical customers) for the spend fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpendPattern {
    /// Repeat purchases; rows with x = 0 carry no spend information and are skipped.
    pub x: u64,
    /// Mean value of the repeat orders (lifetimes' `monetary_value`); > 0 when x > 0.
    pub mean_value: f64,
    /// Customers with exactly this pattern; 0 is skipped.
    pub weight: u64,
}

/// A customer's summary for scoring: purchase history and mean repeat-order value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomerSummary {
    pub x: u64,
    pub t_x: f64,
    /// T: time since the first purchase.
    pub age: f64,
    /// Mean repeat-order value; ignored (may be 0) when x = 0.
    pub mean_value: f64,
}

impl GammaGammaParams {
    /// Mean order value of the population, p * gamma / (q - 1); an error for q <= 1, where the
    /// model's mean is infinite (lifetimes would return a negative or infinite number).
    pub fn population_mean(&self) -> Result<f64, ClvError> {
        if self.q.is_nan() || self.q <= 1.0 {
            return Err(ClvError::NonFinite(format!("Gamma-Gamma population mean needs q > 1, q = {}", self.q)));
        }
        finite(self.p * self.gamma / (self.q - 1.0), "Gamma-Gamma population mean")
    }

    /// Expected value of this customer's future orders: lifetimes'
    /// `conditional_expected_average_profit`, a credibility-weighted mix of the customer's own
    /// mean and the population mean (exactly the population mean for x = 0).
    pub fn expected_order_value(&self, x: u64, mean_value: f64) -> Result<f64, ClvError> {
        if !(mean_value.is_finite() && mean_value >= 0.0) {
            return Err(ClvError::InvalidInput(format!("mean order value {mean_value} must be finite and >= 0")));
        }
        let population = self.population_mean()?;
        let px = self.p * x as f64;
        let own_weight = px / (px + self.q - 1.0);
        finite((1.0 - own_weight) * population + own_weight * mean_value, "Gamma-Gamma expected order value")
    }
}

/// Discounted CLV over `horizon`: expected order value * discounted expected purchases * margin,
/// which is lifetimes' `GammaGammaFitter.customer_lifetime_value` times `margin`.
pub fn customer_lifetime_value(
    purchases: &BgNbdParams,
    spend: &GammaGammaParams,
    customer: &CustomerSummary,
    horizon: &ClvHorizon,
    margin: f64,
) -> Result<f64, ClvError> {
    let CustomerSummary { x, t_x, age, mean_value } = *customer;
    let value = spend.expected_order_value(x, mean_value)?;
    let orders = purchases.discounted_expected_purchases(x, t_x, age, horizon)?;
    finite(value * orders * margin, "customer lifetime value")
}

/// Repeat customers prepared for fitting: sorted by x into groups (the Gamma-function terms
/// depend on x only), money rescaled so the weighted mean order value is 1.
#[derive(Debug, Clone)]
pub struct GammaGammaData {
    groups: Vec<Group>,
    value: Vec<f64>,
    ln_value: Vec<f64>,
    weight: Vec<f64>,
    money_scale: f64,
    total_weight: f64,
    n_customers: u64,
}

#[derive(Debug, Clone, Copy)]
struct Group {
    x: f64,
    ln_x: f64,
    start: usize,
    end: usize,
}

impl GammaGammaData {
    /// Keeps the rows with x > 0 and weight > 0 and checks their mean values are positive.
    pub fn new(patterns: impl IntoIterator<Item = SpendPattern>) -> Result<Self, ClvError> {
        let mut rows: Vec<SpendPattern> = patterns.into_iter().filter(|p| p.x > 0 && p.weight > 0).collect();
        if let Some(bad) = rows.iter().find(|p| !(p.mean_value.is_finite() && p.mean_value > 0.0)) {
            return Err(ClvError::InvalidInput(format!("mean order value must be finite and > 0: {bad:?}")));
        }
        let n_customers: u64 = rows.iter().map(|p| p.weight).sum();
        if n_customers < MIN_REPEAT_CUSTOMERS {
            return Err(ClvError::TooLittleData { model: MODEL, found: n_customers, required: MIN_REPEAT_CUSTOMERS });
        }
        rows.sort_by_key(|p| p.x);
        let total_weight: f64 = rows.iter().map(|p| p.weight as f64).sum();
        let weighted_mean = rows.iter().map(|p| p.weight as f64 * p.mean_value).sum::<f64>() / total_weight;
        Ok(Self::from_sorted(&rows, 1.0 / weighted_mean, total_weight, n_customers))
    }

    fn from_sorted(rows: &[SpendPattern], money_scale: f64, total_weight: f64, n_customers: u64) -> Self {
        let mut groups: Vec<Group> = Vec::new();
        for (i, p) in rows.iter().enumerate() {
            let x = p.x as f64;
            match groups.last_mut() {
                Some(g) if g.x == x => g.end = i + 1,
                _ => groups.push(Group { x, ln_x: x.ln(), start: i, end: i + 1 }),
            }
        }
        let value: Vec<f64> = rows.iter().map(|p| p.mean_value * money_scale).collect();
        GammaGammaData {
            groups,
            ln_value: value.iter().map(|v| v.ln()).collect(),
            value,
            weight: rows.iter().map(|p| p.weight as f64).collect(),
            money_scale,
            total_weight,
            n_customers,
        }
    }

    /// Number of stored rows (repeat customers or their patterns).
    pub fn n_patterns(&self) -> usize {
        self.weight.len()
    }

    /// Number of repeat customers (sum of weights).
    pub fn n_customers(&self) -> u64 {
        self.n_customers
    }

    /// The total log-likelihood in the input's money unit from a mean negative log-likelihood on
    /// the rescaled axis (each density of a mean value picks up the scale once).
    pub(crate) fn natural_log_likelihood(&self, mean_nll: f64) -> f64 {
        -mean_nll * self.total_weight + self.total_weight * self.money_scale.ln()
    }

    /// Money units of the input per unit of the rescaled axis (the weighted mean order value).
    pub(crate) fn money_unit(&self) -> f64 {
        1.0 / self.money_scale
    }

    /// The rows grouped by x: (x, ln x, row range), for the limit model that shares this data.
    pub(crate) fn x_groups(&self) -> impl Iterator<Item = (f64, f64, std::ops::Range<usize>)> + '_ {
        self.groups.iter().map(|g| (g.x, g.ln_x, g.start..g.end))
    }

    /// Rescaled mean value, its log, and the weight of row `i`.
    pub(crate) fn scaled_row(&self, i: usize) -> (f64, f64, f64) {
        (self.value[i], self.ln_value[i], self.weight[i])
    }

    /// Total weighted negative log-likelihood at `params` (natural money units).
    pub fn neg_log_likelihood(&self, params: &GammaGammaParams) -> f64 {
        let log_params = [params.p.ln(), params.q.ln(), (params.gamma * self.money_scale).ln()];
        self.mean_nll(&log_params) * self.total_weight - self.total_weight * self.money_scale.ln()
    }

    /// Weighted log-likelihood (scaled money) and, if `GRAD`, its gradient in natural parameters.
    /// Allocation-free: one pass over the rows, Gamma terms once per x group.
    fn log_likelihood<const GRAD: bool>(&self, params: &[f64; 3], grad: &mut [f64; 3]) -> f64 {
        let [p, q, v] = *params;
        let (lg_q, dg_q, ln_v) = (ln_gamma(q), if GRAD { digamma(q) } else { 0.0 }, v.ln());
        let mut ll = 0.0;
        for g in &self.groups {
            let px = p * g.x;
            let constant = ln_gamma(px + q) - ln_gamma(px) - lg_q + q * ln_v + px * g.ln_x;
            let (mut sw, mut s_ln_m, mut s_ln_xmv, mut s_inv_xmv) = (0.0, 0.0, 0.0, 0.0);
            for i in g.start..g.end {
                let w = self.weight[i];
                let xm_v = g.x * self.value[i] + v;
                let ln_xm_v = xm_v.ln();
                sw += w;
                s_ln_m += w * self.ln_value[i];
                s_ln_xmv += w * ln_xm_v;
                if GRAD {
                    s_inv_xmv += w / xm_v;
                }
            }
            ll += sw * constant + (px - 1.0) * s_ln_m - (px + q) * s_ln_xmv;
            if GRAD {
                let (dg_pxq, dg_px) = (digamma(px + q), digamma(px));
                grad[0] += g.x * (sw * (dg_pxq - dg_px + g.ln_x) + s_ln_m - s_ln_xmv);
                grad[1] += sw * (dg_pxq - dg_q + ln_v) - s_ln_xmv;
                grad[2] += sw * q / v - (px + q) * s_inv_xmv;
            }
        }
        ll
    }
}

impl LogLikelihood for GammaGammaData {
    fn mean_nll(&self, log_params: &[f64]) -> f64 {
        let p = natural(log_params);
        -self.log_likelihood::<false>(&p, &mut [0.0; 3]) / self.total_weight
    }

    fn mean_nll_grad(&self, log_params: &[f64], grad: &mut [f64]) -> f64 {
        let p = natural(log_params);
        let mut g = [0.0; 3];
        let ll = self.log_likelihood::<true>(&p, &mut g);
        for k in 0..3 {
            // Chain rule to log-parameters: d/d ln(theta) = theta * d/d theta.
            grad[k] = -g[k] * p[k] / self.total_weight;
        }
        -ll / self.total_weight
    }

    fn total_weight(&self) -> f64 {
        self.total_weight
    }
}

fn natural(log_params: &[f64]) -> [f64; 3] {
    [log_params[0].exp(), log_params[1].exp(), log_params[2].exp()]
}

/// Fits the Gamma-Gamma model by maximum likelihood, starting where lifetimes starts
/// (all log-parameters 0.1, here on the rescaled money axis).
pub fn fit(data: &GammaGammaData) -> Result<FitReport<GammaGammaParams>, ClvError> {
    fit_penalized(data, 0.0)
}

/// [`fit`] with lifetimes' `penalizer_coef`: `penalizer * (p^2 + q^2 + gamma^2)` added to the
/// mean negative log-likelihood, gamma in the input's money unit (lifetimes does not rescale
/// money), exactly as `GammaGammaFitter(penalizer_coef=penalizer)` does. The reported
/// log-likelihood is the unpenalized one.
pub fn fit_penalized(data: &GammaGammaData, penalizer: f64) -> Result<FitReport<GammaGammaParams>, ClvError> {
    let units = [1.0, 1.0, data.money_unit()];
    let opt = maximise(data, &[0.1; 3], MODEL, &Penalty { coef: penalizer, units: units.to_vec() })?;
    let [p, q, gamma] = std::array::from_fn(|k| opt.log_params[k].exp() * units[k]);
    let std_errors = natural_std_errors(&opt, &units).map(|se| GammaGammaParams { p: se[0], q: se[1], gamma: se[2] });
    Ok(FitReport {
        params: GammaGammaParams {
            p: finite(p, "Gamma-Gamma p")?,
            q: finite(q, "Gamma-Gamma q")?,
            gamma: finite(gamma, "Gamma-Gamma gamma")?,
        },
        log_likelihood: finite(data.natural_log_likelihood(opt.mean_nll), "Gamma-Gamma log-likelihood")?,
        // lifetimes does not rescale money: its mean NLL is ours plus ln(money unit).
        objective: opt.objective + data.money_unit().ln(),
        iterations: opt.iterations,
        converged: opt.converged,
        std_errors,
        n_customers: data.n_customers,
    })
}
