//! One audience file: the members of one segment in one platform's format, written by the engine
//! as CSV, with who was left out and why, the fields that could not be normalised, and the
//! platform's minimum checked.

use std::collections::BTreeMap;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::common::config::CsvOptions;
use datafusion::dataframe::{DataFrame, DataFrameWriteOptions};
use datafusion::functions::math::expr_fn::round;
use datafusion::functions_aggregate::expr_fn::{count, max, sum};
use datafusion::logical_expr::{Expr, ident, lit};
use datafusion::prelude::SessionContext;

use crate::config::audiences::Platform;
use crate::config::params::RankBy;
use crate::error::Error;
use crate::export::platform::{self, Minimum};

/// Columns starting with this are the platform model's bookkeeping, not the file's.
const BOOKKEEPING: char = '_';

/// What to write.
pub struct FileRequest<'a> {
    pub segment: &'a str,
    pub platform: Platform,
    /// The value a value-based audience sends, where the platform takes one.
    pub value: Option<RankBy>,
    /// Where the file goes (a URL of a registered store).
    pub url: String,
}

/// What was written.
#[derive(Debug, Default)]
pub struct Written {
    pub rows: u64,
    pub columns: Vec<String>,
    /// The column holding the value (not part of a row's identity in diffs).
    pub value_column: Option<String>,
    pub left_out: BTreeMap<String, u64>,
    pub empty_fields: BTreeMap<String, u64>,
    pub warnings: Vec<String>,
}

/// Writes the file and counts what it left out.
pub async fn write(ctx: &SessionContext, request: &FileRequest<'_>) -> Result<Written, Error> {
    let format = platform::format(request.platform);
    let members = ctx.table(format.model).await?.filter(ident("_segment").eq(lit(request.segment)))?;
    let mut written = Written { left_out: left_out_counts(members.clone()).await?, ..Written::default() };
    let mut kept = members.filter(ident("_left_out").is_null())?;
    let value = request.value.zip(format.value_column);
    if let Some((value, _)) = value {
        // Positive as sent: a value that rounds to 0.00 is not positive on the platform.
        let positive = round(vec![value_of(value), lit(2)]).gt(lit(0.0));
        let without = kept.clone().filter(positive.clone().is_not_true())?.count().await? as u64;
        written.left_out.insert("no_positive_value".into(), without);
        kept = kept.filter(positive)?;
    }
    written.empty_fields = empty_field_counts(kept.clone()).await?;
    let mut columns: Vec<Expr> = file_columns(&kept).into_iter().map(ident).collect();
    if let Some((value, name)) = value {
        // Money to the cent: the platform ranks by it, more digits only grow the file.
        columns.push(round(vec![value_of(value), lit(2)]).alias(name));
        written.value_column = Some(name.to_string());
    }
    written.warnings = minimum_warnings(&format.minimum, &kept).await?;
    let file = kept.sort(vec![ident("_customer_id").sort(true, false)])?.select(columns)?;
    written.columns = file.schema().fields().iter().map(|f| f.name().clone()).collect();
    written.rows = write_csv(file, &request.url).await?;
    Ok(written)
}

fn value_of(value: RankBy) -> Expr {
    ident(format!("_value_{}", value.column()))
}

/// The file's columns: the model's columns that are not bookkeeping, in the model's order.
fn file_columns(frame: &DataFrame) -> Vec<String> {
    let fields = frame.schema().fields();
    fields.iter().map(|f| f.name().clone()).filter(|n| !n.starts_with(BOOKKEEPING)).collect()
}

/// Writes `frame` as one CSV file with a header; returns the rows written.
pub async fn write_csv(frame: DataFrame, url: &str) -> Result<u64, Error> {
    let options = CsvOptions { has_header: Some(true), null_value: Some(String::new()), ..CsvOptions::default() };
    let written =
        frame.write_csv(url, DataFrameWriteOptions::new().with_single_file_output(true), Some(options)).await?;
    Ok(first_count(&written))
}

/// The count in the first column of the first row (a write's or an aggregate's result).
fn first_count(batches: &[datafusion::arrow::record_batch::RecordBatch]) -> u64 {
    let Some(batch) = batches.iter().find(|b| b.num_rows() > 0) else { return 0 };
    let column = batch.column(0);
    if column.is_null(0) {
        return 0;
    }
    if let Some(counts) = column.as_primitive_opt::<datafusion::arrow::datatypes::UInt64Type>() {
        return counts.value(0);
    }
    column.as_primitive_opt::<Int64Type>().map_or(0, |c| c.value(0).max(0) as u64)
}

/// Members left out, by reason (`no_consent`, `no_identifier`); every reason appears, with 0.
async fn left_out_counts(members: DataFrame) -> Result<BTreeMap<String, u64>, Error> {
    let mut counts = BTreeMap::from([("no_consent".to_string(), 0), ("no_identifier".to_string(), 0)]);
    let grouped = members
        .filter(ident("_left_out").is_not_null())?
        .aggregate(vec![ident("_left_out")], vec![count(lit(1)).alias("n")])?
        .collect()
        .await?;
    for batch in grouped {
        let reasons = batch.column(0).as_string_opt::<i32>().map(|a| a.iter().collect::<Vec<_>>());
        let reasons = reasons.or_else(|| batch.column(0).as_string_view_opt().map(|a| a.iter().collect()));
        let n = batch.column(1).as_primitive::<Int64Type>();
        for (i, reason) in reasons.unwrap_or_default().into_iter().enumerate() {
            if let Some(reason) = reason {
                counts.insert(reason.to_string(), n.value(i).max(0) as u64);
            }
        }
    }
    Ok(counts)
}

/// Per field: members in the file whose record held a value that could not be normalised.
async fn empty_field_counts(kept: DataFrame) -> Result<BTreeMap<String, u64>, Error> {
    let fields: Vec<String> =
        kept.schema().fields().iter().filter_map(|f| f.name().strip_prefix("_empty_").map(str::to_string)).collect();
    if fields.is_empty() {
        return Ok(BTreeMap::new());
    }
    let sums = fields
        .iter()
        .map(|f| {
            sum(datafusion::logical_expr::cast(
                ident(format!("_empty_{f}")),
                datafusion::arrow::datatypes::DataType::Int64,
            ))
            .alias(f)
        })
        .collect();
    let batches = kept.aggregate(vec![], sums)?.collect().await?;
    let mut counts = BTreeMap::new();
    if let Some(batch) = batches.iter().find(|b| b.num_rows() > 0) {
        for (i, field) in fields.into_iter().enumerate() {
            let column = batch.column(i).as_primitive::<Int64Type>();
            let n = if column.is_null(0) { 0 } else { column.value(0).max(0) as u64 };
            counts.insert(field, n);
        }
    }
    Ok(counts)
}

async fn minimum_warnings(minimum: &Minimum, kept: &DataFrame) -> Result<Vec<String>, Error> {
    let warning = match *minimum {
        Minimum::Rows { rows, rule } => {
            let n = kept.clone().count().await? as u64;
            (n < rows).then(|| format!("{n} rows: {rule}"))
        }
        Minimum::RowsInOneCountry { rows, rule } => {
            let per_country = kept.clone().aggregate(vec![ident("_country")], vec![count(lit(1)).alias("n")])?;
            let largest = first_count(&per_country.aggregate(vec![], vec![max(ident("n"))])?.collect().await?);
            (largest < rows).then(|| format!("the largest country has {largest} rows: {rule}"))
        }
    };
    Ok(warning.into_iter().collect())
}
