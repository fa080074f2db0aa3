//! Lookalike VIP propensity (docs/lookalike.md): the chance that a customer who is not VIP holds
//! a VIP tier within 12 months, learnt from what became of the customers of a year ago.
//!
//! The SQL computes the features (`lookalike_snapshot_features`), transforms them into inputs
//! (`lookalike_inputs`) and draws the seeded training sample with its holdout split
//! (`lookalike_training`: inputs as of D - 12 months, label = VIP at D). This model fits an
//! L2-regularised logistic regression on the training split, validates it on the holdout
//! against a plain RFM score, and returns the coefficients on the inputs' own scale
//! (`lookalike_model`), which `lookalike_scores` applies in the engine to everybody at D.
//! When there is nothing sound to fit, the table is empty and the report says why.

pub mod auc;
mod fit;
mod read;
mod table;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use serde::Serialize;

use self::fit::{Fitted, logistic};
use self::read::{Sample, TrainingRow, TrainingSet};
use self::table::{TermRow, Validation};
use crate::config::params::Params;
use crate::error::Error;
use crate::models::{ModelInput, RustModel};

/// The SQL models it reads: the training sample, and the categories behind the share inputs.
const TRAINING: &str = "lookalike_training";
const CATEGORIES: &str = "lookalike_top_categories";

/// `lookalike_model`: the fitted propensity model, one row per term.
pub struct LookalikeModel;

/// The report under `fits.lookalike_model` in the run results.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LookalikeReport {
    Fitted {
        #[serde(flatten)]
        sample: Sample,
        #[serde(flatten)]
        validation: Validation,
        /// Model inputs (terms besides the intercept).
        inputs: usize,
    },
    /// Nothing sound to fit: `lookalike_model` and `lookalike_scores` are empty; this says why.
    NotFitted {
        reason: String,
        #[serde(flatten)]
        sample: Sample,
    },
}

#[async_trait]
impl RustModel for LookalikeModel {
    type Report = LookalikeReport;

    fn name(&self) -> &'static str {
        "lookalike_model"
    }

    fn reads(&self) -> &'static [&'static str] {
        &[TRAINING, CATEGORIES]
    }

    fn file(&self) -> &'static str {
        file!()
    }

    fn schema(&self) -> SchemaRef {
        table::schema()
    }

    /// Too little to learn from is not an error: a nightly run goes on without lookalikes.
    async fn run(&self, input: &ModelInput<'_>) -> Result<(RecordBatch, LookalikeReport), Error> {
        let set = read::read_training(input, TRAINING).await?;
        let categories = read::read_categories(input, CATEGORIES).await?;
        let sample = Sample::of(&set, input.windows.training_snapshot().as_of, categories);
        match fit_and_validate(&set, &sample, input.params) {
            Ok((fitted, validation)) => {
                let batch = table::batch(&term_rows(&set, &sample, &fitted), &sample, &validation)?;
                Ok((batch, LookalikeReport::Fitted { sample, validation, inputs: set.inputs.len() }))
            }
            Err(reason) => {
                tracing::warn!("lookalike model not fitted: {reason}; lookalike_model and lookalike_scores are empty");
                Ok((RecordBatch::new_empty(table::schema()), LookalikeReport::NotFitted { reason, sample }))
            }
        }
    }
}

/// Checks that the sample can support a fit and a validation, fits, and measures both AUCs on
/// the holdout; the error is the reason for the report.
fn fit_and_validate(set: &TrainingSet, sample: &Sample, params: &Params) -> Result<(Fitted, Validation), String> {
    if set.rows.is_empty() {
        return Err(format!(
            "no customer has a completed order before the training date {} (D - 12 months): no history to learn from",
            sample.training_date
        ));
    }
    let min = params.lookalike_min_positives.max(1) as u64;
    if sample.train_positives < min {
        return Err(format!(
            "too few positives: {} customers of the training split hold a VIP tier at D, need at least {min} (lookalike_min_positives)",
            sample.train_positives
        ));
    }
    if sample.train_positives == sample.train_rows {
        return Err("every customer of the training split holds a VIP tier at D: nothing to tell apart".into());
    }
    if sample.holdout_positives == 0 || sample.holdout_positives == sample.holdout_rows {
        return Err(format!(
            "the holdout split ({} customers, {} positive) lacks a positive or a negative: the AUC is undefined",
            sample.holdout_rows, sample.holdout_positives
        ));
    }
    let train: Vec<&TrainingRow> = set.split(false).collect();
    let fitted = fit::fit(&train, set.inputs.len(), params.lookalike_l2).map_err(|e| format!("the fit failed: {e}"))?;
    let holdout: Vec<&TrainingRow> = set.split(true).collect();
    let labels: Vec<bool> = holdout.iter().map(|r| r.label).collect();
    let scores: Vec<f64> = holdout.iter().map(|r| logistic(fitted.linear_predictor(&r.x))).collect();
    let column = |k: usize| holdout.iter().map(|r| r.rfm[k]).collect::<Vec<f64>>();
    let rfm = auc::rfm_scores(&column(0), &column(1), &column(2));
    match (auc::auc(&scores, &labels), auc::auc(&rfm, &labels)) {
        (Some(auc_model), Some(auc_rfm)) => {
            let (l2, iterations, converged) = (params.lookalike_l2, fitted.iterations, fitted.converged);
            Ok((fitted, Validation { auc_model, auc_rfm, l2, iterations, converged }))
        }
        _ => Err("the holdout AUC could not be computed (a score is not finite)".into()),
    }
}

/// The terms of `lookalike_model`: the intercept, then each input in the training table's order.
fn term_rows(set: &TrainingSet, sample: &Sample, fitted: &Fitted) -> Vec<TermRow> {
    let s = &fitted.standardisation;
    let intercept = TermRow {
        term: "intercept".into(),
        category: None,
        coefficient: fitted.raw[0],
        standardised_coefficient: fitted.standardised[0],
        centre: 0.0,
        scale: 1.0,
    };
    let inputs = set.inputs.iter().enumerate().map(|(k, term)| TermRow {
        term: term.clone(),
        category: category_of(term, &sample.categories),
        coefficient: fitted.raw[k + 1],
        standardised_coefficient: fitted.standardised[k + 1],
        centre: s.centre[k],
        scale: s.scale[k],
    });
    std::iter::once(intercept).chain(inputs).collect()
}

/// The category behind a `category_<k>_share_12m` term: the k-th top category.
fn category_of(term: &str, categories: &[String]) -> Option<String> {
    let k: usize = term.strip_prefix("category_")?.strip_suffix("_share_12m")?.parse().ok()?;
    categories.get(k.checked_sub(1)?).cloned()
}
