//! The one place that says how vipseg reads Parquet folders and file lists as tables: the
//! listing options (format, extension) every source, staged and published table shares.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::error::Result;
use datafusion::execution::context::SessionState;
use futures::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::{ObjectMeta, ObjectStoreExt};
use parquet::arrow::ArrowWriter;
use parquet::file::FOOTER_SIZE;
use parquet::file::metadata::{FooterTail, ParquetMetaData, ParquetMetaDataReader};

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

/// Keeps the files of one write in `dir` and deletes any others. DataFusion names a write's files
/// `<write id>_<n>.parquet`, with a new random id each time the write runs. On Ballista, an
/// executor that dies during a model's final write leaves the files it wrote beside those of the
/// rerun that succeeded, and readers of the folder would read both (tests/it/ballista.rs kills
/// one). The write kept is one whose files hold the `rows` the engine reported, read from the
/// footers; when none does, the folder is an error rather than a guess.
pub async fn keep_one_write(location: &Location, dir: &StorePath, rows: u64) -> std::result::Result<(), Error> {
    let url = location.url_of(dir, true);
    let store_error = |source| PublishError::Store { url: url.clone(), source };
    let files: Vec<ObjectMeta> = location.store.list(Some(dir)).try_collect().await.map_err(store_error)?;
    let mut writes: BTreeMap<String, Vec<ObjectMeta>> = BTreeMap::new();
    for file in files {
        let name = file.location.filename().unwrap_or_default();
        let write_id = name.rsplit_once('_').map_or(name, |(id, _)| id).to_string();
        writes.entry(write_id).or_default().push(file);
    }
    if writes.len() <= 1 {
        return Ok(());
    }
    let mut kept = None;
    for (write_id, files) in &writes {
        if rows_in(location, files).await == Some(rows) {
            kept = Some(write_id.clone());
            break;
        }
    }
    let Some(kept) = kept else {
        return Err(Error::Internal(format!(
            "{url}: no write of the {rows} rows reported among {} attempts",
            writes.len()
        )));
    };
    for file in writes.into_iter().filter(|(id, _)| *id != kept).flat_map(|(_, files)| files) {
        tracing::warn!("{}: removing {}, left by a failed attempt of the write", url, file.location);
        location.store.delete(&file.location).await.map_err(store_error)?;
    }
    Ok(())
}

/// Rows in `files` by their footers; `None` when one is not a whole Parquet file.
async fn rows_in(location: &Location, files: &[ObjectMeta]) -> Option<u64> {
    let mut rows = 0;
    for file in files {
        let metadata = footer(location, file).await?;
        rows += u64::try_from(metadata.file_metadata().num_rows()).ok()?;
    }
    Some(rows)
}

/// The footer of a Parquet file: the tail (metadata length and magic), then the metadata.
async fn footer(location: &Location, file: &ObjectMeta) -> Option<ParquetMetaData> {
    let end = file.size.checked_sub(FOOTER_SIZE as u64)?;
    let tail = location.store.get_range(&file.location, end..file.size).await.ok()?;
    let length = FooterTail::try_new(tail.as_ref().try_into().ok()?).ok()?.metadata_length() as u64;
    let metadata = location.store.get_range(&file.location, end.checked_sub(length)?..end).await.ok()?;
    ParquetMetaDataReader::decode_metadata(&metadata).ok()
}
