//! BG/NBD purchase model (Fader, Hardie & Lee 2005): fit on compressed (x, t_x, T) patterns, P(alive), expected purchases, discounted 12-month purchases.
//!
//! Semantics follow the Python `lifetimes` 0.11.3 `BetaGeoFitter`: the same weighted likelihood
//! (log-sum-exp form), parameters optimised in log space with time rescaled so the oldest
//! customer has age 1, standard errors from the inverse Hessian, and the same conditional
//! expectation (eq. 10 of the paper) and discounting as `_customer_lifetime_value`.
//! Notation: x = repeat purchases, t_x = time of the last one, T (`age`) = time since the first
//! purchase, all in one time unit (weeks in vipseg).

use crate::models::clv::hyp2f1::ln_hyp2f1;
use crate::models::mle::{
    ClvError, FitReport, LogLikelihood, MIN_REPEAT_CUSTOMERS, Penalty, digamma, finite, ln_gamma, maximise,
    natural_std_errors,
};
use serde::Serialize;

const MODEL: &str = "BG/NBD";

/// BG/NBD parameters: purchase rate ~ Gamma(r, alpha), dropout probability ~ Beta(a, b).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BgNbdParams {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

/// One purchase pattern and the number of customers sharing it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pattern {
    /// Repeat purchases (lifetimes' `frequency`).
    pub x: u64,
    /// Time from the first to the last purchase (`recency`); 0 when x = 0.
    pub t_x: f64,
    /// Time from the first purchase to the end of observation (`T`).
    pub age: f64,
    /// Customers with exactly this pattern; 0 is skipped.
    pub weight: u64,
}

/// The discounting horizon of `lifetimes._customer_lifetime_value`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClvHorizon {
    pub months: u32,
    /// Discount per month, e.g. 0.01; month i is divided by (1 + rate)^i.
    pub monthly_discount_rate: f64,
    /// Time units per month: lifetimes uses 4.345 for weeks ("W"), 30 for days ("D").
    pub periods_per_month: f64,
}

impl ClvHorizon {
    /// lifetimes' defaults with `freq="W"`: 12 months, 1 % a month, 4.345 weeks a month.
    pub const WEEKLY_12_MONTHS: ClvHorizon =
        ClvHorizon { months: 12, monthly_discount_rate: 0.01, periods_per_month: 4.345 };
}

impl BgNbdParams {
    /// Probability that a customer with history (x, t_x, age) is still active; 1 when x = 0,
    /// since the model only lets customers drop out right after a repeat purchase.
    pub fn p_alive(&self, x: u64, t_x: f64, age: f64) -> Result<f64, ClvError> {
        check_history(x, t_x, age)?;
        if x == 0 {
            return Ok(1.0);
        }
        let xf = x as f64;
        let ln_odds_dead =
            (self.r + xf) * ((self.alpha + age) / (self.alpha + t_x)).ln() + (self.a / (self.b + xf - 1.0)).ln();
        // 1 / (1 + e^l) saturates to 0 instead of overflowing to NaN.
        finite(1.0 / (1.0 + ln_odds_dead.exp()), "BG/NBD P(alive)")
    }

    /// Expected repeat purchases in the next `t` time units given history (x, t_x, age):
    /// eq. (10) of Fader, Hardie & Lee (2005), lifetimes' `conditional_expected_number_of_purchases_up_to_time`.
    pub fn expected_purchases(&self, t: f64, x: u64, t_x: f64, age: f64) -> Result<f64, ClvError> {
        if !(t.is_finite() && t >= 0.0) {
            return Err(ClvError::InvalidInput(format!("horizon t = {t} must be finite and >= 0")));
        }
        let p_alive = self.p_alive(x, t_x, age)?;
        if t == 0.0 {
            return Ok(0.0);
        }
        let BgNbdParams { r, alpha, a, b } = *self;
        let xf = x as f64;
        let c = a + b + xf - 1.0;
        let z = t / (alpha + age + t);
        let ln_one_minus_z = -(t / (alpha + age)).ln_1p();
        let f = ln_hyp2f1(r + xf, b + xf, c, z)
            .map_err(|e| ClvError::NonFinite(format!("BG/NBD expected purchases: {e}")))?;
        // 1 - 2F1 * (1 - z)^(r + x); the product is near 1 for short horizons, hence expm1.
        let ln_product = f.ln_abs + (r + xf) * ln_one_minus_z;
        let not_bought = if f.sign > 0.0 { -ln_product.exp_m1() } else { 1.0 + ln_product.exp() };
        finite(c / (a - 1.0) * not_bought * p_alive, "BG/NBD expected purchases")
    }

    /// Expected purchases per month over `horizon`, each month discounted, summed: the
    /// purchase part of lifetimes' `_customer_lifetime_value` (CLV = this * spend * margin).
    pub fn discounted_expected_purchases(
        &self,
        x: u64,
        t_x: f64,
        age: f64,
        horizon: &ClvHorizon,
    ) -> Result<f64, ClvError> {
        check_horizon(horizon)?;
        let (mut total, mut cumulative_before) = (0.0, 0.0);
        for month in 1..=horizon.months {
            let cumulative = self.expected_purchases(f64::from(month) * horizon.periods_per_month, x, t_x, age)?;
            let discount = (1.0 + horizon.monthly_discount_rate).powf(f64::from(month));
            total += (cumulative - cumulative_before) / discount;
            cumulative_before = cumulative;
        }
        finite(total, "BG/NBD discounted expected purchases")
    }
}

pub(crate) fn check_history(x: u64, t_x: f64, age: f64) -> Result<(), ClvError> {
    if !(t_x.is_finite() && age.is_finite() && 0.0 <= t_x && t_x <= age) {
        return Err(ClvError::InvalidInput(format!("need 0 <= t_x <= T, finite: x={x}, t_x={t_x}, T={age}")));
    }
    Ok(())
}

pub(crate) fn check_horizon(h: &ClvHorizon) -> Result<(), ClvError> {
    let ok = h.monthly_discount_rate.is_finite()
        && h.monthly_discount_rate > -1.0
        && h.periods_per_month.is_finite()
        && h.periods_per_month > 0.0;
    if ok { Ok(()) } else { Err(ClvError::InvalidInput(format!("invalid CLV horizon {h:?}"))) }
}

/// Patterns prepared for fitting: sorted by x into groups (the Gamma-function terms depend on x
/// only, so they are computed once per group), time rescaled so the largest age is 1.
#[derive(Debug, Clone)]
pub struct BgNbdData {
    groups: Vec<Group>,
    recency: Vec<f64>,
    age: Vec<f64>,
    weight: Vec<f64>,
    time_scale: f64,
    total_weight: f64,
    /// Sum of weight * x: converts the log-likelihood between time scales.
    weighted_x: f64,
    n_customers: u64,
    repeat_customers: u64,
}

#[derive(Debug, Clone, Copy)]
struct Group {
    x: f64,
    start: usize,
    end: usize,
}

impl BgNbdData {
    /// Validates the patterns like lifetimes' `_check_inputs` and groups them by x.
    /// Identical patterns may or may not be merged by the caller: the likelihood is the same.
    pub fn new(patterns: impl IntoIterator<Item = Pattern>) -> Result<Self, ClvError> {
        let mut rows: Vec<Pattern> = patterns.into_iter().filter(|p| p.weight > 0).collect();
        rows.iter().try_for_each(validate_pattern)?;
        let repeat_customers = rows.iter().filter(|p| p.x > 0).map(|p| p.weight).sum::<u64>();
        if repeat_customers < MIN_REPEAT_CUSTOMERS {
            return Err(ClvError::TooLittleData {
                model: MODEL,
                found: repeat_customers,
                required: MIN_REPEAT_CUSTOMERS,
            });
        }
        let max_age = rows.iter().map(|p| p.age).fold(0.0, f64::max);
        if max_age <= 0.0 {
            return Err(ClvError::InvalidInput("all customers have age T = 0".into()));
        }
        rows.sort_by_key(|p| p.x);
        Ok(Self::from_sorted(&rows, 1.0 / max_age, repeat_customers))
    }

    fn from_sorted(rows: &[Pattern], time_scale: f64, repeat_customers: u64) -> Self {
        let mut groups: Vec<Group> = Vec::new();
        for (i, p) in rows.iter().enumerate() {
            match groups.last_mut() {
                Some(g) if g.x == p.x as f64 => g.end = i + 1,
                _ => groups.push(Group { x: p.x as f64, start: i, end: i + 1 }),
            }
        }
        BgNbdData {
            groups,
            recency: rows.iter().map(|p| p.t_x * time_scale).collect(),
            age: rows.iter().map(|p| p.age * time_scale).collect(),
            weight: rows.iter().map(|p| p.weight as f64).collect(),
            time_scale,
            total_weight: rows.iter().map(|p| p.weight as f64).sum(),
            weighted_x: rows.iter().map(|p| p.weight as f64 * p.x as f64).sum(),
            n_customers: rows.iter().map(|p| p.weight).sum(),
            repeat_customers,
        }
    }

    /// Number of stored patterns (rows after dropping weight 0).
    pub fn n_patterns(&self) -> usize {
        self.weight.len()
    }

    /// Number of customers (sum of weights).
    pub fn n_customers(&self) -> u64 {
        self.n_customers
    }

    /// Customers with at least one repeat purchase.
    pub fn repeat_customers(&self) -> u64 {
        self.repeat_customers
    }

    /// The total log-likelihood in the input's time unit from a mean negative log-likelihood on
    /// the rescaled axis (the density of the purchase times picks up the scale per purchase).
    pub(crate) fn natural_log_likelihood(&self, mean_nll: f64) -> f64 {
        -mean_nll * self.total_weight + self.weighted_x * self.time_scale.ln()
    }

    /// The patterns grouped by x: (x, then per pattern (rescaled recency, rescaled age, weight)),
    /// for the limit model that shares this data.
    pub(crate) fn x_groups(&self) -> impl Iterator<Item = (f64, std::ops::Range<usize>)> + '_ {
        self.groups.iter().map(|g| (g.x, g.start..g.end))
    }

    /// Rescaled age, recency and weight of pattern `i`.
    pub(crate) fn scaled_pattern(&self, i: usize) -> (f64, f64, f64) {
        (self.age[i], self.recency[i], self.weight[i])
    }

    /// Time units of the input per unit of the rescaled axis (the largest age).
    pub(crate) fn time_unit(&self) -> f64 {
        1.0 / self.time_scale
    }

    /// Total weighted negative log-likelihood at `params` (natural units), e.g. for benchmarks
    /// of the likelihood loop or for comparing fits; non-finite only for invalid parameters.
    pub fn neg_log_likelihood(&self, params: &BgNbdParams) -> f64 {
        let log_params = [params.r.ln(), (params.alpha * self.time_scale).ln(), params.a.ln(), params.b.ln()];
        self.mean_nll(&log_params) * self.total_weight - self.weighted_x * self.time_scale.ln()
    }

    /// Weighted log-likelihood (scaled time) and, if `GRAD`, its gradient in natural parameters.
    /// Allocation-free: one pass over the patterns, Gamma terms once per x group.
    fn log_likelihood<const GRAD: bool>(&self, p: &[f64; 4], grad: &mut [f64; 4]) -> f64 {
        let [r, alpha, a, b] = *p;
        let common = GroupTerms::common(p, GRAD);
        let mut ll = 0.0;
        for g in &self.groups {
            let terms = GroupTerms::for_x(p, g.x, &common, GRAD);
            let sums = self.group_sums::<GRAD>(g, r + g.x, alpha, terms.ln_a_over_bx1);
            ll += sums.weight * terms.constant + sums.ll;
            if GRAD {
                grad[0] += sums.weight * terms.d_r - sums.w_ln_alpha_t;
                grad[1] += sums.weight * r / alpha - (r + g.x) * sums.w_inv_alpha_t;
                grad[2] += sums.weight * terms.d_a + sums.w_alive_term / a;
                grad[3] += sums.weight * terms.d_b;
                if g.x > 0.0 {
                    grad[3] -= sums.w_alive_term / (b + g.x - 1.0);
                }
            }
        }
        ll
    }

    /// Sums over one x group of the pattern-dependent part: log-sum-exp of the "still alive at
    /// T" term A3 and the "dropped out after t_x" term A4 (absent when x = 0).
    fn group_sums<const GRAD: bool>(&self, g: &Group, s: f64, alpha: f64, c4: f64) -> GroupSums {
        let mut out = GroupSums::default();
        for i in g.start..g.end {
            let (w, alpha_t, alpha_tx) = (self.weight[i], alpha + self.age[i], alpha + self.recency[i]);
            let l3 = alpha_t.ln();
            let (lse, w4, l4) = if g.x > 0.0 {
                let l4 = alpha_tx.ln();
                let (lse, w4) = log_add_exp(-s * l3, c4 - s * l4);
                (lse, w4, l4)
            } else {
                (-s * l3, 0.0, 0.0)
            };
            out.weight += w;
            out.ll += w * lse;
            if GRAD {
                let w3 = 1.0 - w4;
                out.w_ln_alpha_t += w * (w3 * l3 + w4 * l4);
                out.w_inv_alpha_t += w * (w3 / alpha_t + if w4 > 0.0 { w4 / alpha_tx } else { 0.0 });
                out.w_alive_term += w * w4;
            }
        }
        out
    }
}

#[derive(Default)]
struct GroupSums {
    weight: f64,
    ll: f64,
    w_ln_alpha_t: f64,
    w_inv_alpha_t: f64,
    w_alive_term: f64,
}

/// The x-only terms of the likelihood (A1 + A2 of lifetimes) and their derivatives.
struct GroupTerms {
    constant: f64,
    ln_a_over_bx1: f64,
    d_r: f64,
    d_a: f64,
    d_b: f64,
}

/// Terms that depend on the parameters only, shared by all groups.
struct CommonTerms {
    lg_r: f64,
    lg_b: f64,
    lg_ab: f64,
    dg_r: f64,
    dg_b: f64,
    dg_ab: f64,
}

impl GroupTerms {
    fn common(p: &[f64; 4], grad: bool) -> CommonTerms {
        let [r, _, a, b] = *p;
        let dg = |v: f64| if grad { digamma(v) } else { 0.0 };
        CommonTerms {
            lg_r: ln_gamma(r),
            lg_b: ln_gamma(b),
            lg_ab: ln_gamma(a + b),
            dg_r: dg(r),
            dg_b: dg(b),
            dg_ab: dg(a + b),
        }
    }

    fn for_x(p: &[f64; 4], x: f64, c: &CommonTerms, grad: bool) -> GroupTerms {
        let [r, alpha, a, b] = *p;
        let constant =
            ln_gamma(r + x) - c.lg_r + r * alpha.ln() + c.lg_ab + ln_gamma(b + x) - c.lg_b - ln_gamma(a + b + x);
        // ln(a / (b + x - 1)); lifetimes uses max(x, 1) so x = 0 stays finite (its A4 is unused).
        let ln_a_over_bx1 = a.ln() - (b + x.max(1.0) - 1.0).ln();
        if !grad {
            return GroupTerms { constant, ln_a_over_bx1, d_r: 0.0, d_a: 0.0, d_b: 0.0 };
        }
        let dg_abx = digamma(a + b + x);
        GroupTerms {
            constant,
            ln_a_over_bx1,
            d_r: digamma(r + x) - c.dg_r + alpha.ln(),
            d_a: c.dg_ab - dg_abx,
            d_b: c.dg_ab + digamma(b + x) - c.dg_b - dg_abx,
        }
    }
}

/// ln(e^u + e^v) and the weight e^v / (e^u + e^v), without overflow.
fn log_add_exp(u: f64, v: f64) -> (f64, f64) {
    let e = (-(u - v).abs()).exp();
    let big_share = 1.0 / (1.0 + e);
    let v_share = if v > u { big_share } else { e * big_share };
    (u.max(v) + e.ln_1p(), v_share)
}

impl LogLikelihood for BgNbdData {
    fn mean_nll(&self, log_params: &[f64]) -> f64 {
        let p = natural(log_params);
        -self.log_likelihood::<false>(&p, &mut [0.0; 4]) / self.total_weight
    }

    fn mean_nll_grad(&self, log_params: &[f64], grad: &mut [f64]) -> f64 {
        let p = natural(log_params);
        let mut g = [0.0; 4];
        let ll = self.log_likelihood::<true>(&p, &mut g);
        for k in 0..4 {
            // Chain rule to log-parameters: d/d ln(theta) = theta * d/d theta.
            grad[k] = -g[k] * p[k] / self.total_weight;
        }
        -ll / self.total_weight
    }

    fn total_weight(&self) -> f64 {
        self.total_weight
    }
}

fn natural(log_params: &[f64]) -> [f64; 4] {
    [log_params[0].exp(), log_params[1].exp(), log_params[2].exp(), log_params[3].exp()]
}

fn validate_pattern(p: &Pattern) -> Result<(), ClvError> {
    let bad = |why: &str| Err(ClvError::InvalidInput(format!("{why}: {p:?}")));
    if !(p.t_x.is_finite() && p.age.is_finite()) {
        return bad("non-finite recency or age");
    }
    if p.t_x < 0.0 {
        return bad("negative recency");
    }
    if p.t_x > p.age {
        return bad("recency larger than age T");
    }
    if p.x == 0 && p.t_x != 0.0 {
        return bad("non-zero recency with zero repeat purchases");
    }
    Ok(())
}

/// Fits the BG/NBD model by maximum likelihood, starting where lifetimes starts
/// (all log-parameters 0.1 on the rescaled time axis).
pub fn fit(data: &BgNbdData) -> Result<FitReport<BgNbdParams>, ClvError> {
    fit_penalized(data, 0.0)
}

/// [`fit`] with lifetimes' `penalizer_coef`: `penalizer * (r^2 + alpha^2 + a^2 + b^2)` added to
/// the mean negative log-likelihood, alpha on lifetimes' rescaled time axis (oldest customer at
/// age 1), exactly as `BetaGeoFitter(penalizer_coef=penalizer)` does. The reported
/// log-likelihood is the unpenalized one.
pub fn fit_penalized(data: &BgNbdData, penalizer: f64) -> Result<FitReport<BgNbdParams>, ClvError> {
    // lifetimes penalises alpha on the same rescaled time axis: every unit is 1.
    let penalty = Penalty { coef: penalizer, units: vec![1.0; 4] };
    let opt = maximise(data, &[0.1; 4], MODEL, &penalty)?;
    let units = [1.0, 1.0 / data.time_scale, 1.0, 1.0];
    let [r, alpha, a, b] = std::array::from_fn(|k| opt.log_params[k].exp() * units[k]);
    let std_errors =
        natural_std_errors(&opt, &units).map(|se| BgNbdParams { r: se[0], alpha: se[1], a: se[2], b: se[3] });
    Ok(FitReport {
        params: BgNbdParams {
            r: finite(r, "BG/NBD r")?,
            alpha: finite(alpha, "BG/NBD alpha")?,
            a: finite(a, "BG/NBD a")?,
            b: finite(b, "BG/NBD b")?,
        },
        log_likelihood: finite(data.natural_log_likelihood(opt.mean_nll), "BG/NBD log-likelihood")?,
        objective: opt.objective,
        iterations: opt.iterations,
        converged: opt.converged,
        std_errors,
        n_customers: data.n_customers,
    })
}
