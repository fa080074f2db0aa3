//! The tables the CLV models write — fitted parameters of the models used, per-pattern scores,
//! holdout comparison —
//! with their schemas declared once, so an empty result has the same schema as a full one.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::error::DataFusionError;

use crate::error::Error;

/// One row of `clv_model`: a fitted parameter with the fit it belongs to.
pub struct ParameterRow {
    pub model: &'static str,
    pub parameter: &'static str,
    pub estimate: f64,
    /// None when not available (the Hessian is not positive definite near a boundary).
    pub std_error: Option<f64>,
    pub log_likelihood: f64,
    /// The log-likelihood of the alternative it was compared with (the boundary limit of a full
    /// model, the full model of a limit); None when that one could not be fitted.
    pub alternative_log_likelihood: Option<f64>,
    pub iterations: i64,
    pub converged: bool,
    pub customers: i64,
}

/// One row of `clv_scores`: a (frequency, recency, age) pattern in days and its scores
/// (null where the formulas cannot be evaluated).
pub struct ScoreRow {
    pub frequency: i64,
    pub recency_days: i64,
    pub age_days: i64,
    pub p_alive: Option<f64>,
    pub expected_orders_12m: Option<f64>,
    pub discounted_orders_12m: Option<f64>,
}

/// One row of `clv_holdout`: a calibration-frequency bucket.
pub struct HoldoutRow {
    pub frequency_bucket: String,
    pub customers: i64,
    pub actual_repeat_orders: i64,
    pub predicted_repeat_orders: f64,
}

fn schema(fields: &[(&str, DataType, bool)]) -> SchemaRef {
    Arc::new(Schema::new(
        fields.iter().map(|(n, t, nullable)| Field::new(*n, t.clone(), *nullable)).collect::<Vec<_>>(),
    ))
}

pub fn parameter_schema() -> SchemaRef {
    use DataType::*;
    schema(&[
        ("model", Utf8, false),
        ("parameter", Utf8, false),
        ("estimate", Float64, false),
        ("std_error", Float64, true),
        ("log_likelihood", Float64, false),
        ("alternative_log_likelihood", Float64, true),
        ("iterations", Int64, false),
        ("converged", Boolean, false),
        ("customers", Int64, false),
    ])
}

pub fn score_schema() -> SchemaRef {
    use DataType::*;
    schema(&[
        ("frequency", Int64, false),
        ("recency_days", Int64, false),
        ("age_days", Int64, false),
        ("p_alive", Float64, true),
        ("expected_orders_12m", Float64, true),
        ("discounted_orders_12m", Float64, true),
    ])
}

pub fn holdout_schema() -> SchemaRef {
    use DataType::*;
    schema(&[
        ("frequency_bucket", Utf8, false),
        ("customers", Int64, false),
        ("actual_repeat_orders", Int64, false),
        ("predicted_repeat_orders", Float64, false),
    ])
}

fn strings<R>(rows: &[R], f: impl Fn(&R) -> &str) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
}

fn ints<R>(rows: &[R], f: impl Fn(&R) -> i64) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(rows.iter().map(f)))
}

fn floats<R>(rows: &[R], f: impl Fn(&R) -> Option<f64>) -> ArrayRef {
    Arc::new(rows.iter().map(f).collect::<Float64Array>())
}

fn batch(schema: SchemaRef, columns: Vec<ArrayRef>) -> Result<RecordBatch, Error> {
    RecordBatch::try_new(schema, columns).map_err(|e| DataFusionError::from(e).into())
}

pub fn parameter_batch(rows: &[ParameterRow]) -> Result<RecordBatch, Error> {
    batch(
        parameter_schema(),
        vec![
            strings(rows, |r| r.model),
            strings(rows, |r| r.parameter),
            floats(rows, |r| Some(r.estimate)),
            floats(rows, |r| r.std_error),
            floats(rows, |r| Some(r.log_likelihood)),
            floats(rows, |r| r.alternative_log_likelihood),
            ints(rows, |r| r.iterations),
            Arc::new(rows.iter().map(|r| Some(r.converged)).collect::<BooleanArray>()),
            ints(rows, |r| r.customers),
        ],
    )
}

pub fn score_batch(rows: &[ScoreRow]) -> Result<RecordBatch, Error> {
    batch(
        score_schema(),
        vec![
            ints(rows, |r| r.frequency),
            ints(rows, |r| r.recency_days),
            ints(rows, |r| r.age_days),
            floats(rows, |r| r.p_alive),
            floats(rows, |r| r.expected_orders_12m),
            floats(rows, |r| r.discounted_orders_12m),
        ],
    )
}

pub fn holdout_batch(rows: &[HoldoutRow]) -> Result<RecordBatch, Error> {
    batch(
        holdout_schema(),
        vec![
            strings(rows, |r| r.frequency_bucket.as_str()),
            ints(rows, |r| r.customers),
            ints(rows, |r| r.actual_repeat_orders),
            floats(rows, |r| Some(r.predicted_repeat_orders)),
        ],
    )
}
