//! One audience file: the members of one segment in one platform's format, written by the engine
//! as CSV, with who was left out and why, the fields that could not be normalised, and the
//! platform's minimum checked.

use std::collections::BTreeMap;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast as arrow_cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::common::config::CsvOptions;
use datafusion::dataframe::{DataFrame, DataFrameWriteOptions};
use datafusion::error::DataFusionError;
use datafusion::functions::math::expr_fn::round;
use datafusion::functions_aggregate::expr_fn::{count, max, sum};
use datafusion::logical_expr::{Expr, cast, ident, lit, when};
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

/// Writes the file and counts what it left out, in one pass over the members for the counts and
/// one for the file.
pub async fn write(ctx: &SessionContext, request: &FileRequest<'_>) -> Result<Written, Error> {
    let format = platform::format(request.platform);
    let value = request.value.zip(format.value_column);
    // Money to the cent: the platform ranks by it, more digits only grow the file; positive means
    // positive as sent (a value that rounds to 0.00 is not).
    let sent_value = value.map(|(v, name)| (round(vec![value_of(v), lit(2)]), name));
    let mut members = ctx.table(format.model).await?.filter(ident("_segment").eq(lit(request.segment)))?;
    if let Some((sent, _)) = &sent_value {
        let reason = when(ident(LEFT_OUT).is_not_null(), ident(LEFT_OUT))
            .when(sent.clone().gt(lit(0.0)).is_not_true(), lit(NO_POSITIVE_VALUE))
            .otherwise(lit(ScalarValue::Utf8(None)))?;
        members = members.with_column(LEFT_OUT, reason)?;
    }
    let (left_out, empty_fields) = counts(members.clone(), sent_value.is_some()).await?;
    let kept = members.filter(ident(LEFT_OUT).is_null())?;
    let mut columns: Vec<Expr> = file_columns(&kept).into_iter().map(ident).collect();
    columns.extend(sent_value.map(|(sent, name)| sent.alias(name)));
    let file = sorted_by_customer(kept.clone(), columns)?;
    let columns: Vec<String> = file.schema().fields().iter().map(|f| f.name().clone()).collect();
    let rows = write_csv(file, &request.url).await?;
    let warnings = minimum_warnings(&format.minimum, rows, kept).await?;
    let value_column = value.map(|(_, name)| name.to_string());
    Ok(Written { rows, columns, value_column, left_out, empty_fields, warnings })
}

const LEFT_OUT: &str = "_left_out";
const NO_POSITIVE_VALUE: &str = "no_positive_value";

fn value_of(value: RankBy) -> Expr {
    ident(format!("_value_{}", value.column()))
}

/// `columns` of the members in customer order. The columns are computed before the sort and only
/// picked after it, as `SELECT … ORDER BY` plans it: DataFusion spreads a computed column above a
/// sort over its threads and gathers the batches back in whatever order they finish, and the
/// CSV writer keeps no order its input does not declare (tests/it/audience_file_order.rs).
fn sorted_by_customer(members: DataFrame, mut columns: Vec<Expr>) -> Result<DataFrame, Error> {
    columns.push(ident(CUSTOMER_ID));
    let computed = members.select(columns)?;
    let fields = computed.schema().fields();
    let picked: Vec<Expr> = fields.iter().map(|f| f.name()).filter(|n| *n != CUSTOMER_ID).map(ident).collect();
    Ok(computed.sort(vec![ident(CUSTOMER_ID).sort(true, false)])?.select(picked)?)
}

const CUSTOMER_ID: &str = "_customer_id";

/// The file's columns: the model's columns that are not bookkeeping, in the model's order.
fn file_columns(frame: &DataFrame) -> Vec<String> {
    let fields = frame.schema().fields();
    fields.iter().map(|f| f.name().clone()).filter(|n| !n.starts_with(BOOKKEEPING)).collect()
}

/// Writes `frame` as one CSV file with a header; returns the rows written. One file at a fixed
/// path needs no `keep_one_write` (io/parquet.rs) on Ballista: an attempt that dies leaves no
/// file of its own beside the rerun's, only the same path, which the rerun's write replaces.
pub async fn write_csv(frame: DataFrame, url: &str) -> Result<u64, Error> {
    let options = CsvOptions { has_header: Some(true), null_value: Some(String::new()), ..CsvOptions::default() };
    let written =
        frame.write_csv(url, DataFrameWriteOptions::new().with_single_file_output(true), Some(options)).await?;
    first_count(&written)
}

/// Members left out by reason (every reason appears, with 0), and per field the members in the
/// file whose record held a value that could not be normalised — one aggregate by reason.
async fn counts(
    members: DataFrame,
    value_based: bool,
) -> Result<(BTreeMap<String, u64>, BTreeMap<String, u64>), Error> {
    let fields: Vec<String> =
        members.schema().fields().iter().filter_map(|f| f.name().strip_prefix("_empty_").map(str::to_string)).collect();
    let mut aggregates = vec![count(lit(1)).alias("members")];
    aggregates.extend(fields.iter().map(|f| sum(cast(ident(format!("_empty_{f}")), DataType::Int64)).alias(f)));
    let reasons = ["no_consent", "no_identifier"].into_iter().chain(value_based.then_some(NO_POSITIVE_VALUE));
    let mut left_out: BTreeMap<String, u64> = reasons.map(|r| (r.to_string(), 0)).collect();
    let mut empty_fields: BTreeMap<String, u64> = fields.iter().map(|f| (f.clone(), 0)).collect();
    for batch in members.aggregate(vec![ident(LEFT_OUT)], aggregates)?.collect().await? {
        let reasons = arrow_cast(batch.column(0), &DataType::Utf8).map_err(DataFusionError::from)?;
        let reasons = reasons.as_string::<i32>();
        for row in 0..batch.num_rows() {
            if reasons.is_null(row) {
                for (i, field) in fields.iter().enumerate() {
                    empty_fields.insert(field.clone(), count_at(&batch, i + 2, row)?);
                }
            } else {
                left_out.insert(reasons.value(row).to_string(), count_at(&batch, 1, row)?);
            }
        }
    }
    Ok((left_out, empty_fields))
}

/// The count in the first row of a one-count result (a write's, an aggregate's); none = 0.
fn first_count(batches: &[RecordBatch]) -> Result<u64, Error> {
    batches.iter().find(|b| b.num_rows() > 0).map_or(Ok(0), |b| count_at(b, 0, 0))
}

/// A count in `batch` (any integer type; null = 0).
fn count_at(batch: &RecordBatch, column: usize, row: usize) -> Result<u64, Error> {
    let values = arrow_cast(batch.column(column), &DataType::Int64).map_err(DataFusionError::from)?;
    let values = values.as_primitive::<Int64Type>();
    Ok(if values.is_null(row) { 0 } else { values.value(row).max(0) as u64 })
}

async fn minimum_warnings(minimum: &Minimum, rows: u64, kept: DataFrame) -> Result<Vec<String>, Error> {
    let warning = match *minimum {
        Minimum::Rows { rows: least, rule } => (rows < least).then(|| format!("{rows} rows: {rule}")),
        Minimum::RowsInOneCountry { rows: least, rule } => {
            let per_country = kept.aggregate(vec![ident("_country")], vec![count(lit(1)).alias("n")])?;
            let largest = first_count(&per_country.aggregate(vec![], vec![max(ident("n"))])?.collect().await?)?;
            (largest < least).then(|| format!("the largest country has {largest} rows: {rule}"))
        }
    };
    Ok(warning.into_iter().collect())
}
