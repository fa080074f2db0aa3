//! Reading the CLV models' inputs — small aggregated tables of the `clv_*` SQL models and the
//! fitted parameters — into Rust, in a fixed order so fits repeat bit for bit.

use std::collections::HashMap;

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::error::DataFusionError;

use super::bgnbd::{BgNbdParams, Pattern};
use super::gamma_gamma::{GammaGammaParams, SpendPattern};
use super::limits::{GammaGammaLimitParams, NbdParams};
use super::select::{PurchaseModel, SpendModel};
use crate::error::Error;
use crate::models::ModelInput;

pub const DAYS_PER_WEEK: f64 = 7.0;

/// The columns of a pattern model that make a BG/NBD pattern (days; converted to weeks).
pub const PATTERN_COLUMNS: [&str; 4] = ["frequency", "recency_days", "age_days", "customers"];

/// Columns of a small model result, read into Rust as i64 / f64 vectors.
struct Columns {
    batches: Vec<RecordBatch>,
}

impl Columns {
    async fn read(input: &ModelInput<'_>, table: &str, columns: &[&str]) -> Result<Self, Error> {
        let frame = input.table(table).await?.select_columns(columns)?;
        Ok(Self { batches: frame.collect().await? })
    }

    fn int(&self, index: usize) -> Result<Vec<i64>, Error> {
        let mut out = Vec::new();
        for batch in &self.batches {
            let column = cast(batch.column(index), &DataType::Int64).map_err(DataFusionError::from)?;
            out.extend(column.as_primitive::<Int64Type>().iter().map(|v| v.unwrap_or(0)));
        }
        Ok(out)
    }

    fn float(&self, index: usize) -> Result<Vec<f64>, Error> {
        let mut out = Vec::new();
        for batch in &self.batches {
            let column = cast(batch.column(index), &DataType::Float64).map_err(DataFusionError::from)?;
            out.extend(column.as_primitive::<Float64Type>().iter().map(|v| v.unwrap_or(0.0)));
        }
        Ok(out)
    }
}

/// Integer columns of a small model result, one array per row, sorted. The engine returns groups
/// in no fixed order; summing the likelihood in a fixed order makes the fitted parameters, and
/// so every CLV output, bit-for-bit repeatable.
pub async fn read_sorted_rows<const N: usize>(
    input: &ModelInput<'_>,
    table: &str,
    columns: [&str; N],
) -> Result<Vec<[i64; N]>, Error> {
    let cols = Columns::read(input, table, &columns).await?;
    let values = (0..N).map(|i| cols.int(i)).collect::<Result<Vec<_>, _>>()?;
    let mut rows: Vec<[i64; N]> = (0..values[0].len()).map(|r| std::array::from_fn(|c| values[c][r])).collect();
    rows.sort_unstable();
    Ok(rows)
}

/// A pattern row (frequency, recency_days, age_days, customers, ...) as a BG/NBD pattern in weeks.
pub fn pattern(row: &[i64]) -> Pattern {
    Pattern {
        x: row[0].max(0) as u64,
        t_x: row[1] as f64 / DAYS_PER_WEEK,
        age: row[2] as f64 / DAYS_PER_WEEK,
        weight: row[3].max(0) as u64,
    }
}

/// (x, recency, age) patterns in weeks with their customer counts, from a pattern model.
pub async fn read_patterns(input: &ModelInput<'_>, table: &str) -> Result<Vec<Pattern>, Error> {
    Ok(read_sorted_rows(input, table, PATTERN_COLUMNS).await?.iter().map(|row| pattern(row)).collect())
}

/// Repeat customers' (x, mean repeat order value) with their counts, positive values only, sorted.
pub async fn read_spend_patterns(input: &ModelInput<'_>, table: &str) -> Result<Vec<SpendPattern>, Error> {
    let cols = Columns::read(input, table, &["frequency", "mean_repeat_value", "customers"]).await?;
    let (x, value, customers) = (cols.int(0)?, cols.float(1)?, cols.int(2)?);
    let mut spend: Vec<SpendPattern> = (0..x.len())
        .filter(|&i| value[i] > 0.0)
        .map(|i| SpendPattern { x: x[i].max(0) as u64, mean_value: value[i], weight: customers[i].max(0) as u64 })
        .collect();
    spend.sort_unstable_by(|a, b| {
        a.x.cmp(&b.x).then(a.mean_value.total_cmp(&b.mean_value)).then(a.weight.cmp(&b.weight))
    });
    Ok(spend)
}

/// The models used, back from the parameter table (None when nothing was fitted).
pub async fn read_fitted(input: &ModelInput<'_>, table: &str) -> Result<Option<(PurchaseModel, SpendModel)>, Error> {
    let frame = input.table(table).await?.select_columns(&["model", "parameter", "estimate"])?;
    let mut values = HashMap::new();
    for batch in frame.collect().await? {
        let models = cast(batch.column(0), &DataType::Utf8).map_err(DataFusionError::from)?;
        let names = cast(batch.column(1), &DataType::Utf8).map_err(DataFusionError::from)?;
        let estimates = batch.column(2).as_primitive::<Float64Type>().clone();
        for (i, (model, name)) in models.as_string::<i32>().iter().zip(names.as_string::<i32>().iter()).enumerate() {
            let key = format!("{}.{}", model.unwrap_or_default(), name.unwrap_or_default());
            values.insert(key, estimates.value(i));
        }
    }
    let get = |k: &str| values.get(k).copied();
    let purchases = match (get("bgnbd.r"), get("bgnbd.alpha"), get("bgnbd.a"), get("bgnbd.b")) {
        (Some(r), Some(alpha), Some(a), Some(b)) => Some(PurchaseModel::BgNbd(BgNbdParams { r, alpha, a, b })),
        _ => get("nbd.r").zip(get("nbd.alpha")).map(|(r, alpha)| PurchaseModel::Nbd(NbdParams { r, alpha })),
    };
    let spend = match (get("gamma_gamma.p"), get("gamma_gamma.q"), get("gamma_gamma.gamma")) {
        (Some(p), Some(q), Some(gamma)) => Some(SpendModel::GammaGamma(GammaGammaParams { p, q, gamma })),
        _ => get("gamma_gamma_limit.p")
            .zip(get("gamma_gamma_limit.mean_value"))
            .map(|(p, mean_value)| SpendModel::Limit(GammaGammaLimitParams { p, mean_value })),
    };
    Ok(purchases.zip(spend))
}
