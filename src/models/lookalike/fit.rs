//! The lookalike fit: an L2-regularised logistic regression on standardised inputs, minimised
//! with argmin's L-BFGS (`mle::lbfgs`, shared with the CLV fits), and its coefficients folded back to the inputs' own scale so the engine
//! scores with `intercept + sum of b_k x x_k`.
//!
//! Not `models::mle::maximise`: its Newton polish and Hessian (for the CLV models' standard
//! errors) cost some 40 gradient passes over every row per step, which a convex objective with
//! a penalty does not need; L-BFGS alone reaches the gradient tolerance.

use std::cell::RefCell;

use argmin::core::{CostFunction, Gradient};

use super::read::TrainingRow;
use crate::models::mle;

/// A fit that ends with a larger gradient norm is not an optimum: an error, not a model.
const LOOSE_GRADIENT: f64 = 1e-3;

/// Below this standard deviation an input is constant on the training split: it cannot be
/// standardised, and its coefficient is 0.
const CONSTANT: f64 = 1e-12;

/// Centre (mean) and scale (population standard deviation) of each input on the training split.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardisation {
    pub centre: Vec<f64>,
    pub scale: Vec<f64>,
}

impl Standardisation {
    /// Means and standard deviations over `rows`, summed in the rows' order.
    pub fn of(rows: &[&TrainingRow], inputs: usize) -> Self {
        let n = rows.len().max(1) as f64;
        let centre: Vec<f64> = (0..inputs).map(|k| rows.iter().map(|r| r.x[k]).sum::<f64>() / n).collect();
        let scale =
            (0..inputs).map(|k| (rows.iter().map(|r| (r.x[k] - centre[k]).powi(2)).sum::<f64>() / n).sqrt()).collect();
        Self { centre, scale }
    }

    /// The standardised value of input `k` (0 for a constant input).
    fn z(&self, k: usize, x: f64) -> f64 {
        if self.scale[k] > CONSTANT { (x - self.centre[k]) / self.scale[k] } else { 0.0 }
    }
}

/// The fitted model: coefficients on the standardised inputs and on the inputs' own scale.
#[derive(Debug, Clone)]
pub struct Fitted {
    pub standardisation: Standardisation,
    /// Intercept then one coefficient per input, on the standardised inputs.
    pub standardised: Vec<f64>,
    /// Intercept then one coefficient per input, on the inputs' own scale.
    pub raw: Vec<f64>,
    pub iterations: u64,
    pub converged: bool,
}

impl Fitted {
    /// The linear predictor of one row (what the scoring SQL computes).
    pub fn linear_predictor(&self, x: &[f64]) -> f64 {
        self.raw[0] + self.raw[1..].iter().zip(x).map(|(b, v)| b * v).sum::<f64>()
    }
}

/// Fits the model on `train` with the penalty `l2 x sum(beta_k^2)` (intercept not penalised);
/// the error says why no optimum was found.
pub fn fit(train: &[&TrainingRow], inputs: usize, l2: f64) -> Result<Fitted, String> {
    if inputs == 0 {
        return Err("lookalike_training has no input column".into());
    }
    let standardisation = Standardisation::of(train, inputs);
    let data = Logistic::new(train, &standardisation, l2);
    let positives = data.y.iter().sum::<f64>();
    let share = (positives / data.y.len().max(1) as f64).clamp(1e-6, 1.0 - 1e-6);
    // Start at the intercept-only model: the positives' share.
    let mut start = vec![0.0; inputs + 1];
    start[0] = (share / (1.0 - share)).ln();
    let (beta, iterations, converged) = mle::lbfgs(&data, &start).map_err(|e| e.to_string())?;
    let gradient = data.gradient_norm(&beta);
    if gradient.is_nan() || gradient > LOOSE_GRADIENT {
        return Err(format!("no optimum found (gradient norm {gradient:e})"));
    }
    let raw = fold_back(&beta, &standardisation);
    if raw.iter().chain(&beta).any(|b| !b.is_finite()) {
        return Err("non-finite coefficients".into());
    }
    let converged = converged && gradient <= mle::LBFGS_GRADIENT;
    Ok(Fitted { standardisation, standardised: beta, raw, iterations, converged })
}

/// beta_0 + sum beta_k (x_k - c_k) / s_k = (beta_0 - sum beta_k c_k / s_k) + sum (beta_k / s_k) x_k.
fn fold_back(beta: &[f64], s: &Standardisation) -> Vec<f64> {
    let slopes: Vec<f64> =
        (0..s.scale.len()).map(|k| if s.scale[k] > CONSTANT { beta[k + 1] / s.scale[k] } else { 0.0 }).collect();
    let intercept = beta[0] - slopes.iter().zip(&s.centre).map(|(b, c)| b * c).sum::<f64>();
    std::iter::once(intercept).chain(slopes).collect()
}

/// The mean negative log-likelihood of the logistic model plus the L2 penalty, over the
/// standardised training rows (row-major, `k` inputs a row).
struct Logistic {
    z: Vec<f64>,
    y: Vec<f64>,
    k: usize,
    l2: f64,
    /// The last point evaluated, its objective and gradient: the line search asks for the cost
    /// and then the gradient at the same point, and one pass over the rows yields both.
    last: RefCell<Option<Evaluation>>,
}

/// A point, the objective there and its gradient.
struct Evaluation {
    at: Vec<f64>,
    value: f64,
    grad: Vec<f64>,
}

impl Logistic {
    fn new(rows: &[&TrainingRow], s: &Standardisation, l2: f64) -> Self {
        let k = s.centre.len();
        let z = rows.iter().flat_map(|r| r.x.iter().enumerate().map(|(j, &x)| s.z(j, x))).collect();
        let y = rows.iter().map(|r| if r.label { 1.0 } else { 0.0 }).collect();
        Self { z, y, k, l2, last: RefCell::new(None) }
    }

    /// The objective and its gradient at `beta` (`k` + 1 values, intercept first).
    fn evaluate(&self, beta: &[f64]) -> (f64, Vec<f64>) {
        if let Some(last) = self.last.borrow().as_ref()
            && last.at.as_slice() == beta
        {
            return (last.value, last.grad.clone());
        }
        let (value, grad) = self.pass(beta);
        *self.last.borrow_mut() = Some(Evaluation { at: beta.to_vec(), value, grad: grad.clone() });
        (value, grad)
    }

    /// One pass over the rows, in their order (so the sums repeat bit for bit).
    fn pass(&self, beta: &[f64]) -> (f64, Vec<f64>) {
        let n = self.y.len().max(1) as f64;
        let (mut total, mut grad) = (0.0, vec![0.0; self.k + 1]);
        let slopes = &beta[1..];
        for (row, &y) in self.z.chunks_exact(self.k.max(1)).zip(&self.y) {
            let mut eta = beta[0];
            for j in 0..self.k {
                eta += slopes[j] * row[j];
            }
            total += softplus(eta) - y * eta;
            let residual = logistic(eta) - y;
            grad[0] += residual;
            for j in 0..self.k {
                grad[j + 1] += residual * row[j];
            }
        }
        let penalty = self.l2 * slopes.iter().map(|b| b * b).sum::<f64>();
        grad.iter_mut().for_each(|g| *g /= n);
        for (g, b) in grad[1..].iter_mut().zip(slopes) {
            *g += 2.0 * self.l2 * b;
        }
        (total / n + penalty, grad)
    }

    fn gradient_norm(&self, beta: &[f64]) -> f64 {
        self.evaluate(beta).1.iter().map(|g| g * g).sum::<f64>().sqrt()
    }
}

/// ln(1 + e^eta) without overflow.
fn softplus(eta: f64) -> f64 {
    if eta > 0.0 { eta + (-eta).exp().ln_1p() } else { eta.exp().ln_1p() }
}

/// 1 / (1 + e^-eta) without overflow.
pub fn logistic(eta: f64) -> f64 {
    if eta >= 0.0 { 1.0 / (1.0 + (-eta).exp()) } else { eta.exp() / (1.0 + eta.exp()) }
}

/// The objective as argmin sees it (the objective is finite everywhere: softplus never overflows).
impl CostFunction for &Logistic {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, beta: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        Ok(self.evaluate(beta).0)
    }
}

impl Gradient for &Logistic {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, beta: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        Ok(self.evaluate(beta).1)
    }
}
