//! Reading the lookalike training rows (`lookalike_training`) and the top categories into Rust,
//! sorted by customer_id so that every sum of the fit runs in one order and repeats bit for bit.

use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::error::DataFusionError;
use serde::Serialize;

use crate::error::Error;
use crate::models::ModelInput;

/// The columns of the training table that are not model inputs.
pub const CUSTOMER: &str = "customer_id";
pub const LABEL: &str = "vip_at_as_of";
pub const HOLDOUT: &str = "holdout";
/// The raw measures of the RFM baseline: recency (days), frequency (orders), monetary (revenue).
pub const RFM: [&str; 3] = ["rfm_recency_days", "rfm_orders_12m", "rfm_net_revenue_12m"];

/// One customer of the sample.
#[derive(Debug, Clone)]
pub struct TrainingRow {
    pub customer_id: String,
    /// The model inputs, in the order of [`TrainingSet::inputs`].
    pub x: Vec<f64>,
    pub label: bool,
    pub holdout: bool,
    /// Recency days, orders and net revenue in the 12 months before the training snapshot.
    pub rfm: [f64; 3],
}

/// The sample: input names (every column of the table that is not a key, the label, the split
/// or an RFM measure: the SQL defines the inputs) and the rows, sorted by customer_id.
#[derive(Debug, Clone, Default)]
pub struct TrainingSet {
    pub inputs: Vec<String>,
    pub rows: Vec<TrainingRow>,
}

impl TrainingSet {
    pub fn split(&self, holdout: bool) -> impl Iterator<Item = &TrainingRow> {
        self.rows.iter().filter(move |r| r.holdout == holdout)
    }
}

/// The sample behind the model, in the report whether or not it was fitted.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// The training snapshot, D - 12 months: the inputs are as of this date.
    pub training_date: NaiveDate,
    /// The shop's top categories, by rank: `category_<k>_share_12m` is the share of the k-th.
    pub categories: Vec<String>,
    pub rows_sampled: u64,
    pub train_rows: u64,
    pub holdout_rows: u64,
    /// Customers of the split who hold a VIP tier at D.
    pub train_positives: u64,
    pub holdout_positives: u64,
}

impl Sample {
    pub fn of(set: &TrainingSet, training_date: NaiveDate, categories: Vec<String>) -> Self {
        let count = |holdout: bool, positive: bool| set.split(holdout).filter(|r| !positive || r.label).count() as u64;
        Sample {
            training_date,
            categories,
            rows_sampled: set.rows.len() as u64,
            train_rows: count(false, false),
            holdout_rows: count(true, false),
            train_positives: count(false, true),
            holdout_positives: count(true, true),
        }
    }
}

/// Reads the training table `table`.
pub async fn read_training(input: &ModelInput<'_>, table: &str) -> Result<TrainingSet, Error> {
    let frame = input.table(table).await?;
    let inputs: Vec<String> = frame
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .filter(|name| ![CUSTOMER, LABEL, HOLDOUT].contains(&name.as_str()) && !RFM.contains(&name.as_str()))
        .collect();
    let mut rows = Vec::new();
    for batch in frame.collect().await? {
        rows.extend(batch_rows(&batch, &inputs, table)?);
    }
    rows.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
    Ok(TrainingSet { inputs, rows })
}

fn batch_rows(batch: &RecordBatch, inputs: &[String], table: &str) -> Result<Vec<TrainingRow>, Error> {
    let column = |name: &str| {
        batch.column_by_name(name).ok_or_else(|| Error::Internal(format!("`{table}` has no column `{name}`")))
    };
    let ids = cast(column(CUSTOMER)?, &DataType::Utf8).map_err(DataFusionError::from)?;
    let ids = ids.as_string::<i32>();
    let labels = flags(column(LABEL)?, table, LABEL)?;
    let holdout = flags(column(HOLDOUT)?, table, HOLDOUT)?;
    let x = inputs.iter().map(|name| floats(column(name)?, table, name)).collect::<Result<Vec<_>, _>>()?;
    let rfm = RFM.iter().map(|name| floats(column(name)?, table, name)).collect::<Result<Vec<_>, _>>()?;
    let mut rows = Vec::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        if ids.is_null(i) {
            return Err(Error::Internal(format!("`{table}` has a row without customer_id")));
        }
        rows.push(TrainingRow {
            customer_id: ids.value(i).to_string(),
            x: x.iter().map(|c| c[i]).collect(),
            label: labels[i],
            holdout: holdout[i],
            rfm: [rfm[0][i], rfm[1][i], rfm[2][i]],
        });
    }
    Ok(rows)
}

/// A numeric column as f64; a null or non-finite value is a fault of the SQL (the inputs view
/// maps every undefined value to 0), named with its column.
fn floats(array: &dyn Array, table: &str, name: &str) -> Result<Vec<f64>, Error> {
    let array = cast(array, &DataType::Float64).map_err(DataFusionError::from)?;
    let values = array.as_primitive::<Float64Type>();
    if values.null_count() > 0 || values.values().iter().any(|v| !v.is_finite()) {
        return Err(Error::Internal(format!("`{table}`.{name} holds a null or non-finite value")));
    }
    Ok(values.values().to_vec())
}

fn flags(array: &dyn Array, table: &str, name: &str) -> Result<Vec<bool>, Error> {
    let array = cast(array, &DataType::Boolean).map_err(DataFusionError::from)?;
    let values = array.as_boolean();
    if values.null_count() > 0 {
        return Err(Error::Internal(format!("`{table}`.{name} holds a null")));
    }
    Ok((0..values.len()).map(|i| values.value(i)).collect())
}

/// The top categories, by their rank 1..: `names[k - 1]` is the category of rank k.
pub async fn read_categories(input: &ModelInput<'_>, table: &str) -> Result<Vec<String>, Error> {
    let frame = input.table(table).await?.select_columns(&["category_rank", "category"])?;
    let mut ranked = Vec::new();
    for batch in frame.collect().await? {
        let ranks = cast(batch.column(0), &DataType::Int64).map_err(DataFusionError::from)?;
        let names = cast(batch.column(1), &DataType::Utf8).map_err(DataFusionError::from)?;
        let (ranks, names) = (ranks.as_primitive::<Int64Type>(), names.as_string::<i32>());
        for i in 0..batch.num_rows() {
            ranked.push((ranks.value(i), names.value(i).to_string()));
        }
    }
    ranked.sort();
    Ok(ranked.into_iter().map(|(_, name)| name).collect())
}
