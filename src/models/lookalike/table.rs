//! The `lookalike_model` table: one row per term (the intercept, then each input) with its
//! coefficient on the inputs' own scale — what the scoring SQL multiplies with — and on the
//! standardised inputs, the centre and scale used, and the model-level figures on every row.

use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::error::DataFusionError;

use crate::error::Error;

/// One row of `lookalike_model`.
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
    pub model: ModelFigures,
}

/// The model-level figures, repeated on each term row.
#[derive(Debug, Clone, Copy)]
pub struct ModelFigures {
    pub training_date: NaiveDate,
    pub auc_model: f64,
    pub auc_rfm: f64,
    pub rows_sampled: u64,
    pub train_rows: u64,
    pub holdout_rows: u64,
    pub train_positives: u64,
    pub holdout_positives: u64,
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

/// 1970-01-01 in chrono's days from the common era, for Arrow's Date32.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

pub fn batch(rows: &[TermRow]) -> Result<RecordBatch, Error> {
    use chrono::Datelike;
    let floats = |f: fn(&TermRow) -> f64| -> ArrayRef { Arc::new(Float64Array::from_iter_values(rows.iter().map(f))) };
    let ints = |f: fn(&TermRow) -> u64| -> ArrayRef {
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| i64::try_from(f(r)).unwrap_or(i64::MAX))))
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(rows.iter().map(|r| Some(r.term.as_str())).collect::<StringArray>()),
        Arc::new(rows.iter().map(|r| r.category.as_deref()).collect::<StringArray>()),
        floats(|r| r.coefficient),
        floats(|r| r.standardised_coefficient),
        floats(|r| r.centre),
        floats(|r| r.scale),
        Arc::new(Date32Array::from_iter_values(
            rows.iter().map(|r| r.model.training_date.num_days_from_ce() - EPOCH_DAYS_FROM_CE),
        )),
        floats(|r| r.model.auc_model),
        floats(|r| r.model.auc_rfm),
        ints(|r| r.model.rows_sampled),
        ints(|r| r.model.train_rows),
        ints(|r| r.model.holdout_rows),
        ints(|r| r.model.train_positives),
        ints(|r| r.model.holdout_positives),
        floats(|r| r.model.l2),
        ints(|r| r.model.iterations),
        Arc::new(rows.iter().map(|r| Some(r.model.converged)).collect::<BooleanArray>()),
    ];
    RecordBatch::try_new(schema(), columns).map_err(|e| DataFusionError::from(e).into())
}
