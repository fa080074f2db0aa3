//! Shared maximum-likelihood machinery of the CLV models: error type, fit report, optimiser, standard errors.
//!
//! Models hand in a `LogLikelihood` over log-parameters (so every parameter stays positive
//! without bounds), optionally with lifetimes' L2 penalty ([`Penalty`]). The optimum is found
//! with L-BFGS (argmin) and then polished with a few Newton steps on the numerical Hessian; that
//! Hessian also yields the standard errors, which are reported in the natural parameter space,
//! as lifetimes' `summary` does. Near a boundary (a parameter running to 0 or infinity, where
//! the log-parameter is far out and the likelihood flat) the Hessian may not be positive
//! definite: the fit still stands, without polish, and its standard errors are not available.

use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use serde::Serialize;

/// Fewer customers with a repeat purchase (x > 0) than this is refused as too little data.
///
/// The repeat customers carry all the information on dropout (BG/NBD a, b) and on spend
/// (Gamma-Gamma); below a few dozen the maximum is often on the boundary (a parameter running to
/// 0 or infinity) and the standard errors are meaningless. The number is a floor for "a fit is
/// possible at all", not a guarantee of a useful one: check `std_errors`.
pub const MIN_REPEAT_CUSTOMERS: u64 = 20;

/// Every way computing or applying a CLV model can fail; results are never NaN or infinite.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClvError {
    #[error("too little data for the {model} fit: {found} customers with a repeat purchase, need at least {required}")]
    TooLittleData { model: &'static str, found: u64, required: u64 },
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("the {model} fit failed: {reason}")]
    FitFailed { model: &'static str, reason: String },
    #[error("non-finite result: {0}")]
    NonFinite(String),
    #[error("neither the model nor its boundary limit could be fitted: {full}; limit: {limit}")]
    NoModel { full: Box<ClvError>, limit: Box<ClvError> },
}

/// Outcome of a maximum-likelihood fit, ready to be written to the run results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitReport<P> {
    /// Fitted parameters in natural units (time in the input's unit, money in the input's unit).
    pub params: P,
    /// Total weighted log-likelihood at the optimum, in the input's units (as in the papers),
    /// without the penalty.
    pub log_likelihood: f64,
    /// What was minimised, as lifetimes reports it (`_negative_log_likelihood_`): the mean
    /// negative log-likelihood per customer plus the penalty, on lifetimes' axes (BG/NBD time
    /// rescaled so the oldest customer has age 1, money in the input's unit).
    pub objective: f64,
    /// L-BFGS iterations plus Newton polishing steps.
    pub iterations: u64,
    /// True when the gradient at the optimum met the strict tolerance ([`STRICT_GRADIENT`]);
    /// a fit that misses the loose one is an error instead of a report.
    pub converged: bool,
    /// Asymptotic standard errors from the inverse Hessian, same layout as `params`; `None`
    /// when the Hessian is not positive definite there (an optimum near a boundary).
    pub std_errors: Option<P>,
    /// Number of customers (sum of the pattern weights) the fit used.
    pub n_customers: u64,
}

/// Gradient norm (of the per-customer mean NLL in log-parameters) counted as converged.
pub const STRICT_GRADIENT: f64 = 1e-7;
/// Beyond this gradient norm the point is not an optimum and the fit is an error.
const LOOSE_GRADIENT: f64 = 1e-4;
const MAX_LBFGS_ITERS: u64 = 1000;
/// L-BFGS hands over to Newton here: its line search needs cost differences, and below this
/// gradient they sink into the rounding noise of a sum over many patterns (it then wastes
/// hundreds of evaluations), while Newton steps on the gradient still converge quadratically.
pub const LBFGS_GRADIENT: f64 = 1e-6;
/// From this gradient norm on, Newton steps converge in one or two iterations.
const NEWTON_HANDOVER: f64 = 1e-5;
const LBFGS_RUNS: usize = 4;
const LBFGS_MEMORY: usize = 7;
const MAX_NEWTON_STEPS: u64 = 6;
/// Newton steps stop here: about the rounding noise of a sum over many patterns.
const POLISHED_GRADIENT: f64 = 1e-12;
/// Relative step of the central differences of the analytic gradient: the truncation error
/// (h^2) and the rounding error (eps / h) are both about 1e-10 there.
const HESSIAN_STEP: f64 = 1e-5;

/// A model's weighted log-likelihood as the optimiser sees it.
pub(crate) trait LogLikelihood {
    /// Mean negative log-likelihood per customer at `log_params` (non-finite if undefined).
    fn mean_nll(&self, log_params: &[f64]) -> f64;
    /// Same value, and its gradient with respect to `log_params` written into `grad`.
    fn mean_nll_grad(&self, log_params: &[f64], grad: &mut [f64]) -> f64;
    /// Sum of the weights: turns the mean back into a total for the Hessian.
    fn total_weight(&self) -> f64;
}

/// lifetimes' `penalizer_coef`: `coef * sum(theta_k^2)` added to the mean negative
/// log-likelihood, with theta_k in lifetimes' units: `exp(log_param_k) * unit_k` (the model
/// knows how its internal rescaling relates to lifetimes' units).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Penalty {
    pub coef: f64,
    pub units: Vec<f64>,
}

impl Penalty {
    /// No penalty (lifetimes' default `penalizer_coef = 0`).
    pub fn none() -> Self {
        Penalty { coef: 0.0, units: Vec::new() }
    }

    fn value(&self, log_params: &[f64]) -> f64 {
        if self.coef == 0.0 {
            return 0.0;
        }
        self.coef * log_params.iter().zip(&self.units).map(|(lp, u)| (lp.exp() * u).powi(2)).sum::<f64>()
    }

    /// d/d log_param_k of coef * (exp(log_param_k) * unit_k)^2 = 2 * coef * theta_k^2, added in.
    fn add_gradient(&self, log_params: &[f64], grad: &mut [f64]) {
        if self.coef == 0.0 {
            return;
        }
        for ((g, lp), u) in grad.iter_mut().zip(log_params).zip(&self.units) {
            *g += 2.0 * self.coef * (lp.exp() * u).powi(2);
        }
    }
}

/// The objective the optimiser sees: the mean negative log-likelihood plus the penalty.
struct Penalized<'a, L> {
    ll: &'a L,
    penalty: &'a Penalty,
}

impl<L: LogLikelihood> LogLikelihood for Penalized<'_, L> {
    fn mean_nll(&self, log_params: &[f64]) -> f64 {
        self.ll.mean_nll(log_params) + self.penalty.value(log_params)
    }

    fn mean_nll_grad(&self, log_params: &[f64], grad: &mut [f64]) -> f64 {
        let v = self.ll.mean_nll_grad(log_params, grad);
        self.penalty.add_gradient(log_params, grad);
        v + self.penalty.value(log_params)
    }

    fn total_weight(&self) -> f64 {
        self.ll.total_weight()
    }
}

/// The optimum in log-parameter space and the variances of the log-parameters.
pub(crate) struct MleOptimum {
    pub log_params: Vec<f64>,
    /// Mean negative log-likelihood per customer, without the penalty.
    pub mean_nll: f64,
    /// What was minimised: `mean_nll` plus the penalty (lifetimes' `_negative_log_likelihood_`).
    pub objective: f64,
    pub iterations: u64,
    pub converged: bool,
    /// None when the Hessian is not positive definite (an optimum near a boundary).
    pub log_param_variances: Option<Vec<f64>>,
}

/// Minimises the mean negative log-likelihood plus `penalty` from `start`; `model` names the
/// model in errors. An optimum whose Hessian is not positive definite (near a boundary) is not
/// an error: it is returned unpolished, without variances.
pub(crate) fn maximise<L: LogLikelihood>(
    ll: &L,
    start: &[f64],
    model: &'static str,
    penalty: &Penalty,
) -> Result<MleOptimum, ClvError> {
    let objective = Penalized { ll, penalty };
    let failed = |reason: String| ClvError::FitFailed { model, reason };
    let (mut x, iterations) = run_lbfgs(&objective, start).map_err(|e| failed(e.to_string()))?;
    let (steps, hessian) = newton_polish(&objective, &mut x);
    let grad_norm = gradient_norm(&objective, &x);
    if grad_norm.is_nan() || grad_norm > LOOSE_GRADIENT {
        return Err(failed(format!("no optimum found (gradient norm {grad_norm:e})")));
    }
    let (mean_nll, value) = (ll.mean_nll(&x), objective.mean_nll(&x));
    if !(mean_nll.is_finite() && value.is_finite()) || x.iter().any(|v| !v.is_finite()) {
        return Err(ClvError::NonFinite(format!("{model} fit")));
    }
    Ok(MleOptimum {
        log_params: x,
        mean_nll,
        objective: value,
        iterations: iterations + steps,
        converged: grad_norm <= STRICT_GRADIENT,
        log_param_variances: hessian.and_then(|h| inverse_diagonal(&h, ll.total_weight())),
    })
}

/// Standard errors of `exp(log_param)` for each parameter, `param * sd(log_param)` (delta
/// method, exact at the optimum where the gradient vanishes), each times its unit; None when
/// the variances are not available or a result is not finite.
pub(crate) fn natural_std_errors(opt: &MleOptimum, units: &[f64]) -> Option<Vec<f64>> {
    let variances = opt.log_param_variances.as_ref()?;
    let se: Vec<f64> =
        opt.log_params.iter().zip(variances).zip(units).map(|((lp, v), u)| lp.exp() * v.sqrt() * u).collect();
    se.iter().all(|s| s.is_finite()).then_some(se)
}

/// Passes a finite value through and turns anything else into [`ClvError::NonFinite`].
pub(crate) fn finite(v: f64, what: &str) -> Result<f64, ClvError> {
    if v.is_finite() { Ok(v) } else { Err(ClvError::NonFinite(what.to_string())) }
}

/// ln Gamma(v) for v > 0 (libm's `lgamma_r` through `special`).
pub(crate) fn ln_gamma(v: f64) -> f64 {
    special::Gamma::ln_gamma(v).0
}

/// Digamma psi(v) = d ln Gamma(v) / dv, for v > 0.
pub(crate) fn digamma(v: f64) -> f64 {
    special::Gamma::digamma(v)
}

/// L-BFGS, restarted with a fresh memory when it stops early: a line search that strays into a
/// region where the likelihood overflows ends the run, but the best point so far is still good.
fn run_lbfgs<L: LogLikelihood>(ll: &L, start: &[f64]) -> Result<(Vec<f64>, u64), argmin::core::Error> {
    let (mut x, mut iterations) = (start.to_vec(), 0);
    for _ in 0..LBFGS_RUNS {
        let (best, iters, converged) = lbfgs_once(ll, &x)?;
        let progressed = best != x;
        x = best;
        iterations += iters;
        if converged || gradient_norm(ll, &x) <= NEWTON_HANDOVER || !progressed {
            break;
        }
    }
    Ok((x, iterations))
}

fn lbfgs_once<L: LogLikelihood>(ll: &L, start: &[f64]) -> Result<(Vec<f64>, u64, bool), argmin::core::Error> {
    lbfgs(Objective { ll }, start)
}

/// One run of argmin's L-BFGS from `start` on a problem that gives its cost and gradient: the
/// best point, the iterations, and whether the solver converged (the gradient tolerance met).
/// The cost tolerance is off: near the optimum cost changes fall below f64 resolution before
/// the gradient is small.
pub fn lbfgs<P>(problem: P, start: &[f64]) -> Result<(Vec<f64>, u64, bool), argmin::core::Error>
where
    P: CostFunction<Param = Vec<f64>, Output = f64> + Gradient<Param = Vec<f64>, Gradient = Vec<f64>>,
{
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), LBFGS_MEMORY)
        .with_tolerance_grad(LBFGS_GRADIENT)?
        .with_tolerance_cost(0.0)?;
    let result = Executor::new(problem, solver)
        .configure(|state| state.param(start.to_vec()).max_iters(MAX_LBFGS_ITERS))
        .timer(false)
        .run()?;
    let state = result.state();
    let converged = matches!(state.get_termination_reason(), Some(TerminationReason::SolverConverged));
    let best = state.get_best_param().or(state.get_param()).cloned();
    Ok((best.unwrap_or_else(|| start.to_vec()), state.get_iter(), converged))
}

/// Adapter to argmin: a NaN cost becomes +inf and a non-finite gradient an error, so a line
/// search never works on NaN (an error ends that L-BFGS run at its best point so far).
struct Objective<'a, L> {
    ll: &'a L,
}

impl<L: LogLikelihood> CostFunction for Objective<'_, L> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, p: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        let v = self.ll.mean_nll(p);
        // An infinite cost is a usable "worse than anything" for the line search; NaN is not.
        if v.is_nan() { Ok(f64::INFINITY) } else { Ok(v) }
    }
}

impl<L: LogLikelihood> Gradient for Objective<'_, L> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, p: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        let mut g = vec![0.0; p.len()];
        let v = self.ll.mean_nll_grad(p, &mut g);
        if v.is_finite() && g.iter().all(|x| x.is_finite()) {
            Ok(g)
        } else {
            Err(argmin::core::Error::msg("non-finite likelihood gradient"))
        }
    }
}

fn gradient_norm<L: LogLikelihood>(ll: &L, x: &[f64]) -> f64 {
    let mut g = vec![0.0; x.len()];
    let v = ll.mean_nll_grad(x, &mut g);
    if v.is_finite() { g.iter().map(|v| v * v).sum::<f64>().sqrt() } else { f64::NAN }
}

/// Newton steps on the numerical Hessian until the gradient stops shrinking; returns the number
/// of steps taken and the Hessian at the final point (None if it is not positive definite:
/// then no step is taken where it is not).
///
/// Steps are accepted on a smaller gradient norm, not a smaller cost: this close to the optimum
/// the cost differences are below f64 resolution, while the gradient is still well resolved.
fn newton_polish<L: LogLikelihood>(ll: &L, x: &mut Vec<f64>) -> (u64, Option<Vec<Vec<f64>>>) {
    let mut hessian = numerical_hessian(ll, x);
    let (mut steps, mut g) = (0, vec![0.0; x.len()]);
    while steps < MAX_NEWTON_STEPS {
        ll.mean_nll_grad(x, &mut g);
        let g_now = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        if g_now <= POLISHED_GRADIENT {
            break;
        }
        let Some(step) = cholesky_solve(&hessian, &g) else { break };
        let candidate: Vec<f64> = x.iter().zip(&step).map(|(xi, si)| xi - si).collect();
        let g_next = gradient_norm(ll, &candidate);
        if g_next.is_nan() || g_next >= g_now {
            break;
        }
        *x = candidate;
        hessian = numerical_hessian(ll, x);
        steps += 1;
    }
    (steps, cholesky(&hessian).map(|_| hessian))
}

/// Hessian of the mean NLL by central differences of the analytic gradient, symmetrised.
fn numerical_hessian<L: LogLikelihood>(ll: &L, x: &[f64]) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut h = vec![vec![0.0; n]; n];
    let (mut g_plus, mut g_minus, mut xs) = (vec![0.0; n], vec![0.0; n], x.to_vec());
    for j in 0..n {
        let step = HESSIAN_STEP * x[j].abs().max(1.0);
        xs[j] = x[j] + step;
        ll.mean_nll_grad(&xs, &mut g_plus);
        xs[j] = x[j] - step;
        ll.mean_nll_grad(&xs, &mut g_minus);
        xs[j] = x[j];
        for i in 0..n {
            h[i][j] = (g_plus[i] - g_minus[i]) / (2.0 * step);
        }
    }
    (0..n).map(|i| (0..n).map(|j| 0.5 * (h[i][j] + h[j][i])).collect()).collect()
}

/// Lower-triangular L with L L^T = h, or None if h is not (numerically) positive definite.
fn cholesky(h: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = h.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = h[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                if s.is_nan() || s <= 0.0 {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    Some(l)
}

fn cholesky_solve(h: &[Vec<f64>], rhs: &[f64]) -> Option<Vec<f64>> {
    let l = cholesky(h)?;
    let n = rhs.len();
    let mut y = vec![0.0; n];
    for i in 0..n {
        y[i] = (rhs[i] - (0..i).map(|k| l[i][k] * y[k]).sum::<f64>()) / l[i][i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        x[i] = (y[i] - (i + 1..n).map(|k| l[k][i] * x[k]).sum::<f64>()) / l[i][i];
    }
    Some(x)
}

/// Diagonal of (total_weight * h)^-1: the variances of the log-parameters, since `h` is the
/// Hessian of the per-customer mean and the information matrix is that of the total.
fn inverse_diagonal(h: &[Vec<f64>], total_weight: f64) -> Option<Vec<f64>> {
    let n = h.len();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let unit: Vec<f64> = (0..n).map(|k| if k == i { 1.0 } else { 0.0 }).collect();
        let col = cholesky_solve(h, &unit)?;
        out.push(col[i] / total_weight);
    }
    out.iter().all(|v| v.is_finite() && *v > 0.0).then_some(out)
}
