//! The boundary limits of the CLV models as models of their own: NBD (BG/NBD with a -> 0, no
//! drop-out) and the Gamma-Gamma limit without spend heterogeneity (q, gamma -> infinity with
//! p * gamma / (q - 1) converging): their likelihoods, fits and predictions.
//!
//! Both are fitted on the same prepared data as their full model ([`BgNbdData`],
//! [`GammaGammaData`]), so the log-likelihoods of a model and of its limit are comparable.

use serde::Serialize;

use crate::models::clv::bgnbd::{BgNbdData, ClvHorizon, check_history, check_horizon};
use crate::models::clv::gamma_gamma::GammaGammaData;
use crate::models::mle::{
    ClvError, FitReport, LogLikelihood, Penalty, digamma, finite, ln_gamma, maximise, natural_std_errors,
};

const NBD: &str = "NBD";
const SPEND_LIMIT: &str = "Gamma-Gamma limit";

/// NBD purchase model: Poisson purchases at rate lambda ~ Gamma(r, alpha), nobody drops out.
/// BG/NBD tends to it as a -> 0 (for any b): P(alive) = 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NbdParams {
    pub r: f64,
    pub alpha: f64,
}

impl NbdParams {
    /// Always 1: without drop-out every customer is alive.
    pub fn p_alive(&self, x: u64, t_x: f64, age: f64) -> Result<f64, ClvError> {
        check_history(x, t_x, age)?;
        Ok(1.0)
    }

    /// Expected purchases in the next `t` time units given (x, t_x, age): (r + x) t / (alpha + T),
    /// the a -> 0 limit of BG/NBD's eq. (10).
    pub fn expected_purchases(&self, t: f64, x: u64, t_x: f64, age: f64) -> Result<f64, ClvError> {
        check_history(x, t_x, age)?;
        if !(t.is_finite() && t >= 0.0) {
            return Err(ClvError::InvalidInput(format!("horizon t = {t} must be finite and >= 0")));
        }
        finite((self.r + x as f64) * t / (self.alpha + age), "NBD expected purchases")
    }

    /// Expected purchases per month over `horizon`, each month discounted, summed (the rate is
    /// constant, so every month expects the same).
    pub fn discounted_expected_purchases(
        &self,
        x: u64,
        t_x: f64,
        age: f64,
        horizon: &ClvHorizon,
    ) -> Result<f64, ClvError> {
        check_horizon(horizon)?;
        let per_month = self.expected_purchases(horizon.periods_per_month, x, t_x, age)?;
        let discounts: f64 =
            (1..=horizon.months).map(|m| (1.0 + horizon.monthly_discount_rate).powf(f64::from(m)).recip()).sum();
        finite(per_month * discounts, "NBD discounted expected purchases")
    }
}

/// Spend without between-customer heterogeneity: every order value ~ Gamma(p, p / mean_value)
/// for every customer, so every customer's expected order value is `mean_value`. Gamma-Gamma
/// tends to it as q, gamma -> infinity with p * gamma / (q - 1) -> mean_value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GammaGammaLimitParams {
    pub p: f64,
    /// The population mean order value (in the input's money unit): its maximum-likelihood
    /// estimate is the repeat revenue over the repeat orders.
    pub mean_value: f64,
}

/// NBD's likelihood on BG/NBD's prepared patterns (time rescaled as there).
struct NbdLikelihood<'a>(&'a BgNbdData);

impl NbdLikelihood<'_> {
    /// Weighted log-likelihood at (r, alpha) and its gradient in natural parameters:
    /// per pattern ln G(r + x) - ln G(r) + r ln alpha - (r + x) ln(alpha + T).
    fn log_likelihood(&self, r: f64, alpha: f64, grad: &mut [f64; 2]) -> f64 {
        let (lg_r, dg_r, ln_alpha) = (ln_gamma(r), digamma(r), alpha.ln());
        let mut ll = 0.0;
        for (x, rows) in self.0.x_groups() {
            let (mut sw, mut s_ln, mut s_inv) = (0.0, 0.0, 0.0);
            for i in rows {
                let (age, _, w) = self.0.scaled_pattern(i);
                sw += w;
                s_ln += w * (alpha + age).ln();
                s_inv += w / (alpha + age);
            }
            ll += sw * (ln_gamma(r + x) - lg_r + r * ln_alpha) - (r + x) * s_ln;
            grad[0] += sw * (digamma(r + x) - dg_r + ln_alpha) - s_ln;
            grad[1] += sw * r / alpha - (r + x) * s_inv;
        }
        ll
    }
}

impl LogLikelihood for NbdLikelihood<'_> {
    fn mean_nll(&self, log_params: &[f64]) -> f64 {
        self.mean_nll_grad(log_params, &mut [0.0; 2])
    }

    fn mean_nll_grad(&self, log_params: &[f64], grad: &mut [f64]) -> f64 {
        let (r, alpha) = (log_params[0].exp(), log_params[1].exp());
        let mut g = [0.0; 2];
        let ll = self.log_likelihood(r, alpha, &mut g);
        let w = self.0.total_weight();
        grad[0] = -g[0] * r / w;
        grad[1] = -g[1] * alpha / w;
        -ll / w
    }

    fn total_weight(&self) -> f64 {
        self.0.total_weight()
    }
}

/// Fits NBD on BG/NBD's data, with lifetimes' penalty as BG/NBD has it at a = b = 0 (r and the
/// rescaled alpha), so its objective compares with BG/NBD's.
pub fn fit_nbd(data: &BgNbdData, penalizer: f64) -> Result<FitReport<NbdParams>, ClvError> {
    let opt = maximise(&NbdLikelihood(data), &[0.1; 2], NBD, &Penalty { coef: penalizer, units: vec![1.0; 2] })?;
    let units = [1.0, data.time_unit()];
    let std_errors = natural_std_errors(&opt, &units).map(|se| NbdParams { r: se[0], alpha: se[1] });
    Ok(FitReport {
        params: NbdParams {
            r: finite(opt.log_params[0].exp(), "NBD r")?,
            alpha: finite(opt.log_params[1].exp() * units[1], "NBD alpha")?,
        },
        log_likelihood: finite(data.natural_log_likelihood(opt.mean_nll), "NBD log-likelihood")?,
        objective: opt.objective,
        iterations: opt.iterations,
        converged: opt.converged,
        std_errors,
        n_customers: data.n_customers(),
    })
}

/// The Gamma-Gamma limit's likelihood on Gamma-Gamma's prepared rows (money rescaled as there),
/// parameterised by (p, mean): the mean value of x orders ~ Gamma(p x, rate p x / mean).
struct SpendLimitLikelihood<'a>(&'a GammaGammaData);

impl SpendLimitLikelihood<'_> {
    /// Weighted log-likelihood and its gradient in natural parameters: per row
    /// p x ln(p x / mu) + (p x - 1) ln m - p x m / mu - ln G(p x).
    fn log_likelihood(&self, p: f64, mu: f64, grad: &mut [f64; 2]) -> f64 {
        let ln_mu = mu.ln();
        let mut ll = 0.0;
        for (x, ln_x, rows) in self.0.x_groups() {
            let (mut sw, mut s_ln_m, mut s_m) = (0.0, 0.0, 0.0);
            for i in rows {
                let (m, ln_m, w) = self.0.scaled_row(i);
                sw += w;
                s_ln_m += w * ln_m;
                s_m += w * m;
            }
            let px = p * x;
            let ln_rate = p.ln() + ln_x - ln_mu;
            ll += sw * (px * ln_rate - ln_gamma(px)) + (px - 1.0) * s_ln_m - px * s_m / mu;
            grad[0] += x * (sw * (ln_rate + 1.0 - digamma(px)) + s_ln_m - s_m / mu);
            grad[1] += px / mu * (s_m / mu - sw);
        }
        ll
    }
}

impl LogLikelihood for SpendLimitLikelihood<'_> {
    fn mean_nll(&self, log_params: &[f64]) -> f64 {
        self.mean_nll_grad(log_params, &mut [0.0; 2])
    }

    fn mean_nll_grad(&self, log_params: &[f64], grad: &mut [f64]) -> f64 {
        let (p, mu) = (log_params[0].exp(), log_params[1].exp());
        let mut g = [0.0; 2];
        let ll = self.log_likelihood(p, mu, &mut g);
        let w = self.0.total_weight();
        grad[0] = -g[0] * p / w;
        grad[1] = -g[1] * mu / w;
        -ll / w
    }

    fn total_weight(&self) -> f64 {
        self.0.total_weight()
    }
}

/// Fits the Gamma-Gamma limit on Gamma-Gamma's data. It has no penalty: lifetimes' penalty on
/// q and gamma is infinite in this limit, so with a penalty it only stands in for a failed fit.
pub fn fit_spend_limit(data: &GammaGammaData) -> Result<FitReport<GammaGammaLimitParams>, ClvError> {
    let opt = maximise(&SpendLimitLikelihood(data), &[0.1, 0.0], SPEND_LIMIT, &Penalty::none())?;
    let units = [1.0, data.money_unit()];
    let std_errors = natural_std_errors(&opt, &units).map(|se| GammaGammaLimitParams { p: se[0], mean_value: se[1] });
    Ok(FitReport {
        params: GammaGammaLimitParams {
            p: finite(opt.log_params[0].exp(), "Gamma-Gamma limit p")?,
            mean_value: finite(opt.log_params[1].exp() * units[1], "Gamma-Gamma limit mean value")?,
        },
        log_likelihood: finite(data.natural_log_likelihood(opt.mean_nll), "Gamma-Gamma limit log-likelihood")?,
        objective: opt.objective + units[1].ln(),
        iterations: opt.iterations,
        converged: opt.converged,
        std_errors,
        n_customers: data.n_customers(),
    })
}
