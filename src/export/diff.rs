//! Adds and removes of an audience file against the same file of the previous published as-of
//! date, for platforms synced incrementally. Rows are compared as the text uploaded (the hashed
//! identifiers), without the value column: a member whose value changed is neither added nor
//! removed.

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{Expr, ident};
use datafusion::prelude::{CsvReadOptions, SessionContext};

use crate::error::Error;
use crate::export::file::write_csv;

/// The two files of a diff and what they hold.
pub struct DiffRequest<'a> {
    /// The file just written, and its columns.
    pub current_url: &'a str,
    pub columns: &'a [String],
    /// The value column, left out of the comparison.
    pub value_column: Option<&'a str>,
    /// The previous date's file(s); `None` when there is none (then every row is an add).
    pub previous_urls: Option<&'a [String]>,
    pub adds_url: &'a str,
    pub removes_url: &'a str,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Diff {
    pub adds: u64,
    pub removes: u64,
}

/// Writes the adds (rows now, not then) and removes (rows then, not now) of the identifying
/// columns, each as one CSV file sorted by every column.
pub async fn write(ctx: &SessionContext, request: &DiffRequest<'_>) -> Result<Diff, Error> {
    let keys: Vec<String> =
        request.columns.iter().filter(|c| Some(c.as_str()) != request.value_column).cloned().collect();
    let schema = text_schema(request.columns);
    let current = read(ctx, &[request.current_url.to_string()], &schema, &keys).await?;
    let previous = match request.previous_urls {
        Some(urls) if !urls.is_empty() => read(ctx, urls, &schema, &keys).await?,
        _ => current.clone().limit(0, Some(0))?,
    };
    let sort: Vec<_> = keys.iter().map(|k| ident(k).sort(true, false)).collect();
    let adds = current.clone().except_distinct(previous.clone())?.sort(sort.clone())?;
    let removes = previous.except_distinct(current)?.sort(sort)?;
    Ok(Diff { adds: write_csv(adds, request.adds_url).await?, removes: write_csv(removes, request.removes_url).await? })
}

/// Every column as text: the comparison is of what was uploaded, byte for byte.
fn text_schema(columns: &[String]) -> Schema {
    Schema::new(columns.iter().map(|c| Field::new(c, DataType::Utf8, true)).collect::<Vec<_>>())
}

async fn read(ctx: &SessionContext, urls: &[String], schema: &Schema, keys: &[String]) -> Result<DataFrame, Error> {
    let options = CsvReadOptions::new().has_header(true).schema(schema).file_extension(".csv");
    let frame = ctx.read_csv(urls.to_vec(), options).await?;
    let columns: Vec<Expr> = keys.iter().map(ident).collect();
    Ok(frame.select(columns)?)
}

/// Whether the first line of a CSV file is the expected header (a file of an older format
/// cannot be compared column by column).
pub fn header_matches(first_line: &str, columns: &[String]) -> bool {
    let fields: Vec<&str> = first_line.trim_end_matches(['\r', '\n']).split(',').map(|f| f.trim_matches('"')).collect();
    fields.len() == columns.len() && fields.iter().zip(columns).all(|(a, b)| a == b)
}
