//! The `lookalike_model` table: one row per term (the intercept, then each input) with its
//! coefficient on the inputs' own scale — what the scoring SQL multiplies with — and on the
//! standardised inputs, the centre and scale used, and the model-level figures on every row.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::error::DataFusionError;

use serde::Serialize;

use super::read::Sample;
use crate::config::windows::date32;
use crate::error::Error;

/// One row of `lookalike_model`: a term (the model-level figures are added by [`batch`]).
#[derive(Debug, Clone)]
pub struct TermRow {
    pub term: String,
    /// The category of a `category_<k>_share_12m` term.
    pub category: Option<String>,
    pub coefficient: f64,
    pub standardised_coefficient: f64,
    /// Mean and standard deviation of the input on the training split (0 and 1 for the intercept).
    pub centre: f64,
    pub scale: f64,
}

/// How the fitted model did: in the run results and on every row of the table.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Validation {
    /// Holdout AUC of the model's score and of the plain RFM score.
    pub auc_model: f64,
    pub auc_rfm: f64,
    pub l2: f64,
    pub iterations: u64,
    pub converged: bool,
}

pub fn schema() -> SchemaRef {
    use DataType::*;
    let fields = [
        ("term", Utf8, false),
        ("category", Utf8, true),
        ("coefficient", Float64, false),
        ("standardised_coefficient", Float64, false),
        ("centre", Float64, false),
        ("scale", Float64, false),
        ("training_date", Date32, false),
        ("auc_model", Float64, false),
        ("auc_rfm", Float64, false),
        ("rows_sampled", Int64, false),
        ("train_rows", Int64, false),
        ("holdout_rows", Int64, false),
        ("train_positives", Int64, false),
        ("holdout_positives", Int64, false),
        ("l2", Float64, false),
        ("iterations", Int64, false),
        ("converged", Boolean, false),
    ];
    Arc::new(Schema::new(fields.into_iter().map(|(n, t, nullable)| Field::new(n, t, nullable)).collect::<Vec<_>>()))
}

/// The table: one row per term, each with the sample's and the validation's figures.
pub fn batch(rows: &[TermRow], sample: &Sample, validation: &Validation) -> Result<RecordBatch, Error> {
    let n = rows.len();
    let floats = |f: fn(&TermRow) -> f64| -> ArrayRef { Arc::new(Float64Array::from_iter_values(rows.iter().map(f))) };
    let repeat = |v: f64| -> ArrayRef { Arc::new(Float64Array::from(vec![v; n])) };
    let count = |v: u64| -> ArrayRef { Arc::new(Int64Array::from(vec![i64::try_from(v).unwrap_or(i64::MAX); n])) };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(rows.iter().map(|r| Some(r.term.as_str())).collect::<StringArray>()),
        Arc::new(rows.iter().map(|r| r.category.as_deref()).collect::<StringArray>()),
        floats(|r| r.coefficient),
        floats(|r| r.standardised_coefficient),
        floats(|r| r.centre),
        floats(|r| r.scale),
        Arc::new(Date32Array::from(vec![date32(sample.training_date); n])),
        repeat(validation.auc_model),
        repeat(validation.auc_rfm),
        count(sample.rows_sampled),
        count(sample.train_rows),
        count(sample.holdout_rows),
        count(sample.train_positives),
        count(sample.holdout_positives),
        repeat(validation.l2),
        count(validation.iterations),
        Arc::new(BooleanArray::from(vec![validation.converged; n])),
    ];
    RecordBatch::try_new(schema(), columns).map_err(|e| DataFusionError::from(e).into())
}
