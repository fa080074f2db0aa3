//! The one place that says how vipseg reads Parquet folders and file lists as tables: the
//! listing options (format, extension) every source, staged and published table shares.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::error::Result;
use datafusion::execution::context::SessionState;
use object_store::ObjectStoreExt;
use object_store::path::Path as StorePath;
use parquet::arrow::ArrowWriter;

use crate::error::{Error, PublishError};
use crate::io::store::Location;

pub const EXTENSION: &str = ".parquet";

/// Parquet files ending in `.parquet`, with the session's Parquet settings.
pub fn listing_options() -> ListingOptions {
    ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(EXTENSION)
}

/// A folder (or one file) of Parquet read with a known schema.
pub fn table_with_schema(url: &str, schema: SchemaRef) -> Result<Arc<ListingTable>> {
    let config = ListingTableConfig::new(ListingTableUrl::parse(url)?)
        .with_listing_options(listing_options())
        .with_schema(schema);
    Ok(Arc::new(ListingTable::try_new(config)?))
}

/// An exact list of Parquet files (as a commit record names them), schema read from the files.
pub async fn table_of_files(state: &SessionState, urls: &[String]) -> Result<Arc<ListingTable>> {
    let paths = urls.iter().map(ListingTableUrl::parse).collect::<Result<Vec<_>>>()?;
    let config = ListingTableConfig::new_with_multi_paths(paths)
        .with_listing_options(listing_options())
        .infer_schema(state)
        .await?;
    Ok(Arc::new(ListingTable::try_new(config)?))
}

/// Writes `batch` (possibly empty: readers still need the schema) as the one Parquet file `path`.
pub async fn put_batch(location: &Location, path: &StorePath, batch: &RecordBatch) -> std::result::Result<(), Error> {
    let mut buffer = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buffer, batch.schema(), None).map_err(DataFusionError::from)?;
    writer.write(batch).map_err(DataFusionError::from)?;
    writer.close().map_err(DataFusionError::from)?;
    location
        .store
        .put(path, buffer.into())
        .await
        .map_err(|source| PublishError::Store { url: location.url_of(path, false), source })?;
    Ok(())
}
