//! Input sources: lists each source's Parquet files, checks every file's schema against the
//! canonical one (schema drift is an error naming file and column), and registers the source as
//! `raw.<name>` for the staging SQL.

use std::sync::Arc;

use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::prelude::SessionContext;
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectMeta;
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
    check_files(ctx, name, location, &objects).await?;
    let canonical = schema::arrow_schema(name).expect("known source");
    let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new(table_url).with_listing_options(options).with_schema(canonical);
    raw.register_table(name.to_string(), Arc::new(ListingTable::try_new(config)?))?;
    let mut files: Vec<InputFile> =
        objects.iter().map(|o| InputFile { path: location.url_of(&o.location, false), bytes: o.size }).collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Reads every file's footer (concurrently) and compares its schema with the canonical one.
async fn check_files(
    ctx: &SessionContext,
    name: &str,
    location: &Location,
    objects: &[ObjectMeta],
) -> Result<(), Error> {
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
            let found = format
                .infer_schema(state, store, std::slice::from_ref(&object))
                .await
                .map_err(|e| fail(format!("not a readable Parquet file: {}", e.strip_backtrace())))?;
            compare(columns, &found).map_err(fail)
        }
    });
    checks.buffer_unordered(16).try_collect::<Vec<()>>().await?;
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
