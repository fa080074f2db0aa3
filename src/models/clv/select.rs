//! Which CLV models a run uses: each full model (BG/NBD, Gamma-Gamma) against its boundary limit
//! (NBD, the Gamma-Gamma limit), compared by their objectives; the chosen models' predictions.
//!
//! The full model is used when it fits and beats its limit by more than [`LIMIT_GAP`] per
//! customer; otherwise its optimum lies on (or runs off to) the boundary, where the limit is the
//! model the data supports, and the limit is used. Only when both fail is there no model.

use serde::Serialize;

use crate::models::clv::bgnbd::{self, BgNbdData, BgNbdParams, ClvHorizon};
use crate::models::clv::gamma_gamma::{self, GammaGammaData, GammaGammaParams};
use crate::models::clv::limits::{self, GammaGammaLimitParams, NbdParams};
use crate::models::mle::{ClvError, FitReport};

/// A full model must beat its limit by more than this (mean negative log-likelihood per
/// customer, penalty included). An optimum running off to a boundary in log-parameters stops
/// where the gradient (about the remaining gain per customer) meets the optimiser's tolerance,
/// 1e-6; an interior optimum this close to its limit predicts the same to that precision.
pub const LIMIT_GAP: f64 = 1e-6;

/// The purchase model a run uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PurchaseModel {
    BgNbd(BgNbdParams),
    /// BG/NBD's a -> 0 limit: no drop-out.
    Nbd(NbdParams),
}

/// The spend model a run uses.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SpendModel {
    GammaGamma(GammaGammaParams),
    /// Gamma-Gamma's q, gamma -> infinity limit: every customer's expected order value is the
    /// population mean.
    Limit(GammaGammaLimitParams),
}

impl PurchaseModel {
    /// The name in `clv_model.model` and in the run results.
    pub fn name(&self) -> &'static str {
        match self {
            PurchaseModel::BgNbd(_) => "bgnbd",
            PurchaseModel::Nbd(_) => "nbd",
        }
    }

    pub fn p_alive(&self, x: u64, t_x: f64, age: f64) -> Result<f64, ClvError> {
        match self {
            PurchaseModel::BgNbd(m) => m.p_alive(x, t_x, age),
            PurchaseModel::Nbd(m) => m.p_alive(x, t_x, age),
        }
    }

    pub fn expected_purchases(&self, t: f64, x: u64, t_x: f64, age: f64) -> Result<f64, ClvError> {
        match self {
            PurchaseModel::BgNbd(m) => m.expected_purchases(t, x, t_x, age),
            PurchaseModel::Nbd(m) => m.expected_purchases(t, x, t_x, age),
        }
    }

    pub fn discounted_expected_purchases(
        &self,
        x: u64,
        t_x: f64,
        age: f64,
        horizon: &ClvHorizon,
    ) -> Result<f64, ClvError> {
        match self {
            PurchaseModel::BgNbd(m) => m.discounted_expected_purchases(x, t_x, age, horizon),
            PurchaseModel::Nbd(m) => m.discounted_expected_purchases(x, t_x, age, horizon),
        }
    }
}

impl SpendModel {
    /// The name in `clv_model.model` and in the run results.
    pub fn name(&self) -> &'static str {
        match self {
            SpendModel::GammaGamma(_) => "gamma_gamma",
            SpendModel::Limit(_) => "gamma_gamma_limit",
        }
    }

    /// Expected value of a customer's future orders given x repeat orders of mean `mean_value`.
    pub fn expected_order_value(&self, x: u64, mean_value: f64) -> Result<f64, ClvError> {
        match self {
            SpendModel::GammaGamma(m) => m.expected_order_value(x, mean_value),
            SpendModel::Limit(m) => Ok(m.mean_value),
        }
    }
}

/// One model of a comparison: its fit's log-likelihood and objective, or why it failed.
#[derive(Debug, Clone, Serialize)]
pub struct Alternative {
    pub model: &'static str,
    /// Total log-likelihood in the input's units (null when the fit failed).
    pub log_likelihood: Option<f64>,
    /// Mean negative log-likelihood per customer plus the penalty, on lifetimes' axes.
    pub objective: Option<f64>,
    pub error: Option<String>,
}

/// The model used for one part of CLV (purchases or spend) and what it was compared with.
#[derive(Debug, Clone, Serialize)]
pub struct Selection {
    pub model: &'static str,
    pub compared: Vec<Alternative>,
}

impl Selection {
    /// The log-likelihood of the alternative that was not used (None if it failed).
    pub fn other_log_likelihood(&self) -> Option<f64> {
        self.compared.iter().find(|a| a.model != self.model).and_then(|a| a.log_likelihood)
    }
}

/// The purchase fits: both alternatives' reports and the one used.
#[derive(Debug, Clone)]
pub struct PurchaseFit {
    pub used: PurchaseModel,
    pub selection: Selection,
    pub bgnbd: Option<FitReport<BgNbdParams>>,
    pub nbd: Option<FitReport<NbdParams>>,
}

/// The spend fits: both alternatives' reports and the one used.
#[derive(Debug, Clone)]
pub struct SpendFit {
    pub used: SpendModel,
    pub selection: Selection,
    pub gamma_gamma: Option<FitReport<GammaGammaParams>>,
    pub gamma_gamma_limit: Option<FitReport<GammaGammaLimitParams>>,
}

impl PurchaseFit {
    /// The fit report of the model used: (log-likelihood, iterations, converged, customers).
    pub fn used_fit(&self) -> FitSummary {
        match (&self.used, &self.bgnbd, &self.nbd) {
            (PurchaseModel::BgNbd(_), Some(f), _) => FitSummary::of(f),
            (_, _, Some(f)) => FitSummary::of(f),
            (_, Some(f), None) => FitSummary::of(f),
            (_, None, None) => FitSummary::default(),
        }
    }
}

impl SpendFit {
    /// The fit report of the model used: (log-likelihood, iterations, converged, customers).
    pub fn used_fit(&self) -> FitSummary {
        match (&self.used, &self.gamma_gamma, &self.gamma_gamma_limit) {
            (SpendModel::GammaGamma(_), Some(f), _) => FitSummary::of(f),
            (_, _, Some(f)) => FitSummary::of(f),
            (_, Some(f), None) => FitSummary::of(f),
            (_, None, None) => FitSummary::default(),
        }
    }
}

/// The parameter-independent part of a fit report, as `clv_model` repeats it on every row.
#[derive(Debug, Clone, Copy, Default)]
pub struct FitSummary {
    pub log_likelihood: f64,
    pub iterations: u64,
    pub converged: bool,
    pub customers: u64,
}

impl FitSummary {
    fn of<P>(f: &FitReport<P>) -> Self {
        FitSummary {
            log_likelihood: f.log_likelihood,
            iterations: f.iterations,
            converged: f.converged,
            customers: f.n_customers,
        }
    }
}

/// Fits BG/NBD and NBD on the same patterns and picks one (see the module comment).
pub fn fit_purchases(data: &BgNbdData, penalizer: f64) -> Result<PurchaseFit, ClvError> {
    let full = bgnbd::fit_penalized(data, penalizer);
    let limit = limits::fit_nbd(data, penalizer);
    let use_full = use_full_model(&full, &limit, true)?;
    let compared = vec![alternative("bgnbd", &full), alternative("nbd", &limit)];
    let used = match (&full, &limit) {
        (Ok(f), _) if use_full => PurchaseModel::BgNbd(f.params),
        (_, Ok(l)) => PurchaseModel::Nbd(l.params),
        // use_full_model returns an error when neither fitted.
        (Ok(f), Err(_)) => PurchaseModel::BgNbd(f.params),
        (Err(e), Err(_)) => return Err(e.clone()),
    };
    Ok(PurchaseFit { selection: Selection { model: used.name(), compared }, used, bgnbd: full.ok(), nbd: limit.ok() })
}

/// Fits Gamma-Gamma and its no-heterogeneity limit on the same rows and picks one. With a
/// penalty the limit's objective is infinite (q, gamma -> infinity): it then only stands in for a
/// Gamma-Gamma fit that failed.
pub fn fit_spend(data: &GammaGammaData, penalizer: f64) -> Result<SpendFit, ClvError> {
    let full = gamma_gamma::fit_penalized(data, penalizer);
    let limit = limits::fit_spend_limit(data);
    let use_full = use_full_model(&full, &limit, penalizer == 0.0)?;
    let compared = vec![alternative("gamma_gamma", &full), alternative("gamma_gamma_limit", &limit)];
    let used = match (&full, &limit) {
        (Ok(f), _) if use_full => SpendModel::GammaGamma(f.params),
        (_, Ok(l)) => SpendModel::Limit(l.params),
        (Ok(f), Err(_)) => SpendModel::GammaGamma(f.params),
        (Err(e), Err(_)) => return Err(e.clone()),
    };
    Ok(SpendFit {
        selection: Selection { model: used.name(), compared },
        used,
        gamma_gamma: full.ok(),
        gamma_gamma_limit: limit.ok(),
    })
}

/// True when the full model is to be used; an error when neither model fitted.
fn use_full_model<F, L>(
    full: &Result<FitReport<F>, ClvError>,
    limit: &Result<FitReport<L>, ClvError>,
    comparable: bool,
) -> Result<bool, ClvError> {
    match (full, limit) {
        (Ok(f), Ok(l)) => Ok(!comparable || l.objective - f.objective > LIMIT_GAP),
        (Ok(_), Err(_)) => Ok(true),
        (Err(_), Ok(_)) => Ok(false),
        (Err(f), Err(l)) => Err(ClvError::NoModel { full: Box::new(f.clone()), limit: Box::new(l.clone()) }),
    }
}

fn alternative<P>(model: &'static str, fit: &Result<FitReport<P>, ClvError>) -> Alternative {
    match fit {
        Ok(f) => {
            Alternative { model, log_likelihood: Some(f.log_likelihood), objective: Some(f.objective), error: None }
        }
        Err(e) => Alternative { model, log_likelihood: None, objective: None, error: Some(e.to_string()) },
    }
}
