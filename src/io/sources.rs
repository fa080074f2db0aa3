//! Input sources: lists each source's Parquet files, checks every file's schema against the
//! canonical one (schema drift is an error naming file and column), and registers the source as
//! `raw.<name>` for the staging SQL.

use std::sync::Arc;

use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectMeta;
use serde::Serialize;

use crate::config::Config;
use crate::error::{Error, InputError};
use crate::io::file_check;
use crate::io::parquet;
use crate::io::schema::Source;
use crate::io::store::{self, Location};

/// The schema the staging SQL reads the sources from.
pub const RAW_SCHEMA: &str = "raw";

/// What one source resolved to, for the run results.
#[derive(Debug, Clone, Serialize)]
pub struct SourceFiles {
    pub name: Source,
    pub url: String,
    pub files: Vec<InputFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    pub path: String,
    pub bytes: u64,
    /// Rows, from the file's footer.
    pub rows: u64,
}

/// Registers every source (configured or, for optional ones, empty) under `raw.`.
pub async fn register_all(ctx: &SessionContext, config: &Config) -> Result<Vec<SourceFiles>, Error> {
    let raw = Arc::new(MemorySchemaProvider::new());
    ctx.catalog("datafusion")
        .ok_or_else(|| Error::Internal("default catalog missing".into()))?
        .register_schema(RAW_SCHEMA, raw.clone())?;
    let mut resolved = Vec::new();
    for source in Source::ALL {
        match config.source(source) {
            Some(declared) => {
                let key = format!("sources.{source}.url");
                let location = store::open(ctx, &declared.url, &key, &config.engine)?;
                let files = register_one(ctx, &raw, source, &location).await?;
                resolved.push(SourceFiles { name: source, url: location.url.to_string(), files });
            }
            None => {
                // An undeclared optional source reads as empty, so the shipped SQL still plans.
                let empty = MemTable::try_new(source.arrow_schema(), vec![vec![]])?;
                raw.register_table(source.name().to_string(), Arc::new(empty))?;
            }
        }
    }
    Ok(resolved)
}

async fn register_one(
    ctx: &SessionContext,
    raw: &Arc<MemorySchemaProvider>,
    source: Source,
    location: &Location,
) -> Result<Vec<InputFile>, Error> {
    let table_url = ListingTableUrl::parse(location.url.as_str())?;
    let state = ctx.state();
    let objects: Vec<ObjectMeta> =
        table_url.list_all_files(&state, location.store.as_ref(), parquet::EXTENSION).await?.try_collect().await?;
    if objects.is_empty() && source.required() {
        return Err(InputError::Source {
            source_name: source.to_string(),
            url: location.url.to_string(),
            message: "no .parquet files found".into(),
        }
        .into());
    }
    let rows = check_files(ctx, source, location, &objects).await?;
    raw.register_table(
        source.name().to_string(),
        parquet::table_with_schema(location.url.as_str(), source.arrow_schema())?,
    )?;
    let mut files: Vec<InputFile> = objects
        .iter()
        .zip(rows)
        .map(|(o, rows)| InputFile { path: location.url_of(&o.location, false), bytes: o.size, rows })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// A required source whose files hold no row at all is an error, not an empty shop: an empty
/// export is far more likely an upstream failure, and publishing from it would empty every
/// segment and audience. (Optional sources may be empty; a zero-row file next to others is fine.)
pub fn require_rows(inputs: &[SourceFiles]) -> Result<(), Error> {
    for source in inputs.iter().filter(|s| s.name.required()) {
        if source.files.iter().all(|f| f.rows == 0) {
            return Err(InputError::Source {
                source_name: source.name.to_string(),
                url: source.url.clone(),
                message: format!(
                    "no rows in its {} file(s); a required source must not be empty (is the export upstream complete?)",
                    source.files.len()
                ),
            }
            .into());
        }
    }
    Ok(())
}

/// Reads every file's footer (concurrently), compares its schema with the canonical one, and
/// returns the files' row counts (in the order of `objects`).
async fn check_files(
    ctx: &SessionContext,
    source: Source,
    location: &Location,
    objects: &[ObjectMeta],
) -> Result<Vec<u64>, Error> {
    let columns = source.columns();
    let state = ctx.state();
    let format = ParquetFormat::default();
    let checks = futures::stream::iter(objects.iter().cloned()).map(|object| {
        let (state, format, store) = (&state, &format, &location.store);
        async move {
            let file = location.url_of(&object.location, false);
            let fail =
                |message: String| InputError::File { source_name: source.to_string(), file: file.clone(), message };
            if object.size == 0 {
                return Err(fail("empty (0-byte) file, not Parquet".into()));
            }
            file_check::footer(store, &object).await.map_err(|p| fail(p.to_string()))?;
            let found = format
                .infer_schema(state, store, std::slice::from_ref(&object))
                .await
                .map_err(|e| fail(format!("not a readable Parquet file: {}", e.strip_backtrace())))?;
            file_check::columns(columns, &found).map_err(|p| fail(p.to_string()))?;
            // The footer is cached by now: the row count costs no further read.
            let stats = format
                .infer_stats(state, store, found, &object)
                .await
                .map_err(|e| fail(format!("not a readable Parquet file: {}", e.strip_backtrace())))?;
            Ok::<u64, InputError>(stats.num_rows.get_value().map_or(0, |&n| n as u64))
        }
    });
    Ok(checks.buffered(16).try_collect::<Vec<u64>>().await?)
}

/// After a model failed while reading sources: finds the first file and column of `sources`
/// that cannot be read as its canonical type (invalid UTF-8 in a string column, an unsigned
/// value beyond Int64, a timestamp beyond the range of microseconds, a damaged data page, ...).
/// The engine's own message names neither. Runs only on failure: each file is read once, and
/// column by column only when it fails. A storage fault (network, permissions) is no finding:
/// the search stops and the model's own error stands.
pub async fn locate_read_error(
    ctx: &SessionContext,
    inputs: &[SourceFiles],
    sources: &std::collections::BTreeSet<String>,
) -> Option<InputError> {
    for source in inputs.iter().filter(|s| sources.contains(s.name.name())) {
        for file in &source.files {
            match scan(ctx, source.name, &file.path, None).await {
                Ok(()) => continue,
                Err(e) if is_storage_error(&e) => return None,
                Err(_) => {}
            }
            for column in source.name.columns() {
                let error = match scan(ctx, source.name, &file.path, Some(column.name)).await {
                    Ok(()) => continue,
                    Err(e) if is_storage_error(&e) => return None,
                    Err(e) => e.strip_backtrace(),
                };
                let message = format!("column `{}` cannot be read as {}: {error}", column.name, column.kind.describe());
                return Some(InputError::File {
                    source_name: source.name.to_string(),
                    file: file.path.clone(),
                    message,
                });
            }
        }
    }
    None
}

/// Whether an error came from storage (object store, I/O) rather than from the bytes read.
fn is_storage_error(error: &DataFusionError) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if e.is::<object_store::Error>() || e.is::<std::io::Error>() {
            return true;
        }
        if let Some(DataFusionError::ObjectStore(_) | DataFusionError::IoError(_)) = e.downcast_ref::<DataFusionError>()
        {
            return true;
        }
        // A Ballista job's failure reaches the client as text only ("Job ... failed: ...").
        if let Some(DataFusionError::Execution(message)) = e.downcast_ref::<DataFusionError>()
            && message.starts_with("Job ")
            && (message.contains("Object Store error") || message.contains("IO error"))
        {
            return true;
        }
        cause = e.source();
    }
    false
}

/// Reads one file of a source with the canonical schema (one column, or all), discarding rows.
async fn scan(ctx: &SessionContext, source: Source, file: &str, column: Option<&str>) -> Result<(), DataFusionError> {
    let run = async {
        let mut frame = ctx.read_table(parquet::table_with_schema(file, source.arrow_schema())?)?;
        if let Some(column) = column {
            frame = frame.select_columns(&[column])?;
        }
        let mut stream = frame.execute_stream().await?;
        while let Some(batch) = stream.next().await {
            batch?;
        }
        Ok::<(), DataFusionError>(())
    };
    run.await
}
