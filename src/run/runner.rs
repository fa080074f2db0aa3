//! Runs SQL models on the engine: binds the run's parameters as typed values, registers views,
//! and writes tables to the run's staging area as Parquet.

use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::{Array, UInt64Array};
use datafusion::common::ParamValues;
use datafusion::common::config::TableParquetOptions;
use std::collections::HashMap;

use ::parquet::file::properties::WriterPropertiesBuilder;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::dataframe::DataFrame;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::format_as_file_type;
use datafusion::datasource::file_format::parquet::ParquetFormatFactory;
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::physical_plan::{ExecutionPlan, collect, display::DisplayableExecutionPlan, execute_stream};
use datafusion::prelude::SessionContext;
use serde::Serialize;

use datafusion::arrow::datatypes::SchemaRef;
use object_store::path::Path as StorePath;

use crate::error::Error;
use crate::io::parquet;
use crate::io::store::Location;
use crate::project::Model;
use crate::project::declarations::Materialized;
use crate::project::diagnostics::sql_error;

/// What happened to one model, for the run results.
#[derive(Debug, Clone, Serialize)]
pub struct ModelResult {
    pub name: String,
    pub file: String,
    pub materialized: Materialized,
    pub status: &'static str,
    /// Rows written (tables only).
    pub rows: Option<u64>,
    pub seconds: f64,
}

/// Plans a model's SQL with every `$placeholder` replaced by its typed value.
pub async fn plan(ctx: &SessionContext, file: &str, sql: &str, params: &ParamValues) -> Result<DataFrame, Error> {
    let state = ctx.state();
    let plan = state.create_logical_plan(sql).await.map_err(|e| sql_error(file, sql, &e))?;
    let plan = plan.with_param_values(params.clone()).map_err(|e| sql_error(file, sql, &e))?;
    Ok(DataFrame::new(state, plan))
}

/// Plans, optimizes and builds the physical plan without running it: what `vipseg compile`
/// checks (column names, types, functions) against the sources' real schemas. The model is then
/// registered as an empty table of its schema, so models that read it plan against its columns
/// without re-planning it inline.
pub async fn compile(
    ctx: &SessionContext,
    name: &str,
    file: &str,
    sql: &str,
    params: &ParamValues,
) -> Result<(), Error> {
    let frame = plan(ctx, file, sql, params).await?;
    let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    frame.create_physical_plan().await.map_err(|e| sql_error(file, sql, &e))?;
    ctx.deregister_table(name)?;
    ctx.register_table(name, Arc::new(MemTable::try_new(schema, vec![vec![]])?))?;
    Ok(())
}

/// Registers `name` as a view over its plan: nothing runs until a table reads it.
pub async fn register_view(ctx: &SessionContext, name: &str, frame: DataFrame) -> Result<(), Error> {
    ctx.deregister_table(name)?;
    ctx.register_table(name, frame.into_view())?;
    Ok(())
}

/// Writes the model as Parquet into the folder `dir` of `location` and registers it from there,
/// so later models read the written files (also what a distributed engine needs).
/// Returns the rows written.
pub async fn materialize(
    ctx: &SessionContext,
    model: &Model,
    frame: DataFrame,
    location: &Location,
    dir: &StorePath,
) -> Result<u64, Error> {
    let (name, file, sql) = (model.name.as_str(), model.file.as_str(), model.sql.as_str());
    let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    let url = location.url_of(dir, true);
    let published = model.declaration.publish;
    let options = writer_options(ctx, published);
    let rows = if published {
        write_published(ctx, name, frame, location, dir, &options).await
    } else {
        write_parquet(ctx, name, frame, &url, options).await.map(|written| count_of(&written))
    }
    .map_err(|e| sql_error(file, sql, &e))?;
    parquet::keep_one_write(location, dir, rows).await?;
    if rows == 0 {
        // Readers of an empty table still need its schema: keep one empty file.
        parquet::put_batch(
            location,
            &dir.clone().join("part-empty.parquet"),
            &RecordBatch::new_empty(Arc::clone(&schema)),
        )
        .await?;
    }
    register_parquet(ctx, name, &url, schema)?;
    Ok(rows)
}

/// How a table's files are written. A table only later models read (publish = false) is read
/// back once or twice on this machine and deleted: LZ4 and column-chunk statistics encode it
/// several times faster than the default zstd(3) with page statistics. A published table is
/// kept and downloaded: zstd, at the cheap level 1.
fn writer_options(ctx: &SessionContext, published: bool) -> TableParquetOptions {
    let mut options = ctx.state().table_options().parquet.clone();
    if published {
        options.global.compression = Some("zstd(1)".into());
    } else {
        options.global.compression = Some("lz4_raw".into());
        options.global.statistics_enabled = Some("chunk".into());
        options.global.dictionary_enabled = Some(false);
    }
    options
}

/// A published table: the query's rows in its `ORDER BY`, in files with the same bytes whatever
/// the thread count (`io::parquet::write_in_order`), as many encoding at once as the engine has
/// partitions.
async fn write_published(
    ctx: &SessionContext,
    name: &str,
    frame: DataFrame,
    location: &Location,
    dir: &StorePath,
    options: &TableParquetOptions,
) -> datafusion::error::Result<u64> {
    // The Arrow writer stores the Arrow schema in the file itself; DataFusion's check that the
    // options carry it applies to its own sink.
    let mut options = options.clone();
    options.global.skip_arrow_metadata = true;
    let properties = WriterPropertiesBuilder::try_from(&options)?.build();
    let physical = frame.create_physical_plan().await?;
    let stream = execute_stream(Arc::clone(&physical), ctx.task_ctx())?;
    let parallel = ctx.state().config().target_partitions();
    let rows = parquet::write_in_order(location, dir, stream, properties, parallel).await?;
    log_plan(name, physical.as_ref());
    Ok(rows)
}

/// `DataFrame::write_parquet`, run through its physical plan so the plan can be logged with
/// each operator's metrics afterwards (`--log vipseg::plan=debug`: EXPLAIN ANALYZE of every table).
async fn write_parquet(
    ctx: &SessionContext,
    name: &str,
    frame: DataFrame,
    url: &str,
    options: TableParquetOptions,
) -> datafusion::error::Result<Vec<RecordBatch>> {
    let (state, plan) = frame.into_parts();
    let format = format_as_file_type(Arc::new(ParquetFormatFactory::new_with_options(options)));
    let plan = LogicalPlanBuilder::copy_to(plan, url.to_string(), format, HashMap::new(), vec![])?.build()?;
    let physical = state.create_physical_plan(&plan).await?;
    let written = collect(Arc::clone(&physical), ctx.task_ctx()).await?;
    log_plan(name, physical.as_ref());
    Ok(written)
}

/// The plan with every operator's metrics (`--log vipseg::plan=debug`: EXPLAIN ANALYZE).
fn log_plan(name: &str, physical: &dyn ExecutionPlan) {
    tracing::debug!(target: "vipseg::plan", "{name}:\n{}", DisplayableExecutionPlan::with_metrics(physical).indent(true));
}

/// Registers a folder of Parquet files this run wrote as table `name`, with a known schema.
pub fn register_parquet(ctx: &SessionContext, name: &str, url: &str, schema: SchemaRef) -> Result<(), Error> {
    let table = parquet::table_with_schema(url, schema)?;
    ctx.deregister_table(name)?;
    ctx.register_table(name, table)?;
    Ok(())
}

/// DataFusion's write returns one batch with a `count` column.
fn count_of(batches: &[RecordBatch]) -> u64 {
    batches
        .iter()
        .filter_map(|b| {
            b.column(0).as_any().downcast_ref::<UInt64Array>().map(|a| (0..a.len()).map(|i| a.value(i)).sum::<u64>())
        })
        .sum()
}

/// Seconds since `start`, rounded to milliseconds for stable, readable results.
pub fn seconds_since(start: Instant) -> f64 {
    (start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
}

/// Registers a published table from its exact file list (as named by a commit record).
pub async fn register_files(ctx: &SessionContext, name: &str, urls: &[String]) -> Result<(), Error> {
    let table = parquet::table_of_files(&ctx.state(), urls).await?;
    ctx.deregister_table(name)?;
    ctx.register_table(name, table)?;
    Ok(())
}
