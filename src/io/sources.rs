//! Input sources: lists each source's Parquet files, checks every file's schema against the
//! canonical one (schema drift is an error naming file and column), and registers the source as
//! `raw.<name>` for the staging SQL.

use std::sync::Arc;

use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use serde::Serialize;

use crate::config::{Config, OPTIONAL_SOURCES, REQUIRED_SOURCES};
use crate::error::{Error, InputError};
use crate::schema::{self, Column};
use crate::storage::{self, Location};

/// The schema the staging SQL reads the sources from.
pub const RAW_SCHEMA: &str = "raw";

/// What one source resolved to, for the run results.
#[derive(Debug, Clone, Serialize)]
pub struct SourceFiles {
    pub name: String,
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
    for name in REQUIRED_SOURCES.iter().chain(OPTIONAL_SOURCES.iter()) {
        let schema = schema::arrow_schema(name).expect("known source");
        match config.sources.get(*name) {
            Some(source) => {
                let location = storage::open(ctx, &source.url, &format!("sources.{name}.url"), &config.engine)?;
                let files = register_one(ctx, &raw, name, &location, REQUIRED_SOURCES.contains(name)).await?;
                resolved.push(SourceFiles { name: name.to_string(), url: location.url.to_string(), files });
            }
            None => {
                // An undeclared optional source reads as empty, so the shipped SQL still plans.
                raw.register_table(name.to_string(), Arc::new(MemTable::try_new(schema, vec![vec![]])?))?;
            }
        }
    }
    Ok(resolved)
}

async fn register_one(
    ctx: &SessionContext,
    raw: &Arc<MemorySchemaProvider>,
    name: &str,
    location: &Location,
    required: bool,
) -> Result<Vec<InputFile>, Error> {
    let table_url = ListingTableUrl::parse(location.url.as_str())?;
    let state = ctx.state();
    let objects: Vec<ObjectMeta> =
        table_url.list_all_files(&state, location.store.as_ref(), ".parquet").await?.try_collect().await?;
    if objects.is_empty() && required {
        return Err(InputError::Source {
            source_name: name.into(),
            url: location.url.to_string(),
            message: "no .parquet files found".into(),
        }
        .into());
    }
    let rows = check_files(ctx, name, location, &objects).await?;
    let canonical = schema::arrow_schema(name).expect("known source");
    let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new(table_url).with_listing_options(options).with_schema(canonical);
    raw.register_table(name.to_string(), Arc::new(ListingTable::try_new(config)?))?;
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
    for source in inputs.iter().filter(|s| REQUIRED_SOURCES.contains(&s.name.as_str())) {
        if source.files.iter().all(|f| f.rows == 0) {
            return Err(InputError::Source {
                source_name: source.name.clone(),
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
    name: &str,
    location: &Location,
    objects: &[ObjectMeta],
) -> Result<Vec<u64>, Error> {
    let columns = schema::columns(name).expect("known source");
    let state = ctx.state();
    let format = ParquetFormat::default();
    let checks = futures::stream::iter(objects.iter().cloned()).map(|object| {
        let (state, format, store) = (&state, &format, &location.store);
        async move {
            let file = location.url_of(&object.location, false);
            let fail = |message: String| InputError::File { source_name: name.into(), file: file.clone(), message };
            if object.size == 0 {
                return Err(fail("empty (0-byte) file, not Parquet".into()));
            }
            check_footer(store, &object).await.map_err(fail)?;
            let found = format
                .infer_schema(state, store, std::slice::from_ref(&object))
                .await
                .map_err(|e| fail(format!("not a readable Parquet file: {}", e.strip_backtrace())))?;
            compare(columns, &found).map_err(fail)?;
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
    for source in inputs.iter().filter(|s| sources.contains(&s.name)) {
        let columns = schema::columns(&source.name)?;
        for file in &source.files {
            match scan(ctx, &source.name, &file.path, None).await {
                Ok(()) => continue,
                Err(e) if is_storage_error(&e) => return None,
                Err(_) => {}
            }
            for column in columns {
                let error = match scan(ctx, &source.name, &file.path, Some(column.name)).await {
                    Ok(()) => continue,
                    Err(e) if is_storage_error(&e) => return None,
                    Err(e) => e.strip_backtrace(),
                };
                let message = format!("column `{}` cannot be read as {}: {error}", column.name, column.kind.describe());
                return Some(InputError::File { source_name: source.name.clone(), file: file.path.clone(), message });
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
        cause = e.source();
    }
    false
}

/// Reads one file of a source with the canonical schema (one column, or all), discarding rows.
async fn scan(ctx: &SessionContext, name: &str, file: &str, column: Option<&str>) -> Result<(), DataFusionError> {
    let run = async {
        let canonical = schema::arrow_schema(name).expect("known source");
        let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        let config =
            ListingTableConfig::new(ListingTableUrl::parse(file)?).with_listing_options(options).with_schema(canonical);
        let mut frame = ctx.read_table(Arc::new(ListingTable::try_new(config)?))?;
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

/// A Parquet file ends in the footer's length (4 bytes, little-endian) and the magic `PAR1`
/// (`PARE`: encrypted footer). Checked before the parquet crate reads the footer: its decoder
/// (parquet 59, `push_decoder.rs`) subtracts the claimed length from the file size unchecked,
/// which panics (debug builds) or asks for a nonsensical range (release) when a damaged file
/// claims more footer than it has bytes.
async fn check_footer(store: &Arc<dyn ObjectStore>, object: &ObjectMeta) -> Result<(), String> {
    const MAGIC_AND_LENGTHS: u64 = 12; // "PAR1" at the start, then length + "PAR1" at the end
    if object.size < MAGIC_AND_LENGTHS {
        return Err(format!("not a Parquet file: {} bytes, fewer than any Parquet file has", object.size));
    }
    let tail = store
        .get_range(&object.location, object.size - 8..object.size)
        .await
        .map_err(|e| format!("cannot read the Parquet footer: {e}"))?;
    if tail.len() != 8 || !matches!(&tail[4..], b"PAR1" | b"PARE") {
        return Err("not a Parquet file, or a truncated one: it does not end in the Parquet magic bytes `PAR1`".into());
    }
    let footer = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if footer + MAGIC_AND_LENGTHS > object.size {
        return Err(format!(
            "truncated or corrupt Parquet file: its footer claims {footer} bytes of metadata, the whole file has {}",
            object.size
        ));
    }
    Ok(())
}

fn compare(columns: &[Column], found: &arrow::datatypes::Schema) -> Result<(), String> {
    for column in columns {
        match found.field_with_name(column.name) {
            Ok(field) if !column.kind.accepts(field.data_type()) => {
                return Err(format!(
                    "column `{}` has type {}, expected {}",
                    column.name,
                    field.data_type(),
                    column.kind.describe()
                ));
            }
            Ok(_) => {}
            Err(_) if column.optional => {}
            Err(_) => {
                return Err(format!(
                    "missing column `{}` ({}); the file has: {}",
                    column.name,
                    column.kind.describe(),
                    found.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    Ok(())
}
