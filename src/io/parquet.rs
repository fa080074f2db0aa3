//! The one place that says how vipseg reads Parquet folders and file lists as tables (the
//! listing options every source, staged and published table shares) and how it writes files
//! itself: a published table in its order, single batches, and keeping one write of a retried one.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::compute::BatchCoalescer;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::error::Result;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::context::SessionState;
use futures::TryStreamExt;
use object_store::buffered::BufWriter;
use object_store::path::Path as StorePath;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use parquet::arrow::ArrowWriter;
use parquet::arrow::async_writer::AsyncArrowWriter;
use parquet::file::FOOTER_SIZE;
use parquet::file::metadata::{FooterTail, ParquetMetaData, ParquetMetaDataReader};
use parquet::file::properties::WriterProperties;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

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

/// Rows in each batch a published file's writer is given. The writer closes its pages between
/// the batches it receives, so a fixed size keeps the file's bytes independent of how the engine
/// happened to batch the rows (its thread count, the plan's shape).
const ROWS_PER_WRITE: usize = 8192;
/// Rows in each file of a published table (the last holds the rest): files are encoded in
/// parallel, and each holds a contiguous run of the table's rows.
const ROWS_PER_FILE: usize = 16 * ROWS_PER_WRITE;

/// Writes `stream`, in its order, into the folder `dir` as files of `ROWS_PER_FILE` rows, at most
/// `parallel` of them encoding at once; returns the rows written. Written here rather than by
/// DataFusion's sink: the sink sends the batches of one stream round-robin to several files (the
/// rows of a sorted table then interleave across its files) and passes the engine's batch sizes
/// on to the writer, so neither the order a reader sees nor the bytes would be the same from one
/// thread count to another.
pub async fn write_in_order(
    location: &Location,
    dir: &StorePath,
    mut stream: SendableRecordBatchStream,
    properties: WriterProperties,
    parallel: usize,
) -> Result<u64> {
    let mut batches = BatchCoalescer::new(stream.schema(), ROWS_PER_WRITE);
    let mut files = OrderedFiles::new(location, dir, stream.schema(), properties, parallel);
    while let Some(batch) = stream.try_next().await? {
        batches.push_batch(batch)?;
        while let Some(batch) = batches.next_completed_batch() {
            files.push(batch).await?;
        }
    }
    batches.finish_buffered_batch()?;
    if let Some(last) = batches.next_completed_batch() {
        files.push(last).await?;
    }
    files.finish().await
}

/// The files `write_in_order` is writing: each a task fed through a channel, so that one file
/// encodes while the next receives its rows.
struct OrderedFiles<'a> {
    location: &'a Location,
    dir: &'a StorePath,
    schema: SchemaRef,
    properties: WriterProperties,
    parallel: usize,
    tasks: JoinSet<Result<()>>,
    current: Option<mpsc::Sender<RecordBatch>>,
    rows: u64,
    count: usize,
}

impl<'a> OrderedFiles<'a> {
    fn new(
        location: &'a Location,
        dir: &'a StorePath,
        schema: SchemaRef,
        properties: WriterProperties,
        parallel: usize,
    ) -> Self {
        let (tasks, current, rows, count) = (JoinSet::new(), None, 0, 0);
        Self { location, dir, schema, properties, parallel: parallel.max(1), tasks, current, rows, count }
    }

    /// Adds a batch to the current file, first starting the next file when this one is full.
    async fn push(&mut self, batch: RecordBatch) -> Result<()> {
        if self.rows >= (self.count * ROWS_PER_FILE) as u64 {
            self.start_file().await?;
        }
        self.rows += batch.num_rows() as u64;
        let Some(file) = &self.current else { return Ok(()) };
        if file.send(batch).await.is_err() {
            // The file's task has ended, with an error: report it now rather than after the
            // rest of the stream.
            self.current = None;
            while !self.tasks.is_empty() {
                self.wait_for_one().await?;
            }
        }
        Ok(())
    }

    /// Starts the next file once fewer than `parallel` are encoding. Its name is `<id>_<n>`, as
    /// DataFusion names a write's files, so `keep_one_write` sees one write; the zero-padded
    /// number makes name order the table's order.
    async fn start_file(&mut self) -> Result<()> {
        // The full file's channel closes first, or with `parallel = 1` the wait below would wait
        // for a file that still expects rows.
        self.current = None;
        while self.tasks.len() >= self.parallel {
            self.wait_for_one().await?;
        }
        let path = self.dir.clone().join(format!("ordered_{:04}{EXTENSION}", self.count));
        let (sender, receiver) = mpsc::channel(ROWS_PER_FILE / ROWS_PER_WRITE);
        let store = Arc::clone(&self.location.store);
        self.tasks.spawn(write_file(store, path, Arc::clone(&self.schema), self.properties.clone(), receiver));
        (self.current, self.count) = (Some(sender), self.count + 1);
        Ok(())
    }

    async fn finish(mut self) -> Result<u64> {
        self.current = None;
        while !self.tasks.is_empty() {
            self.wait_for_one().await?;
        }
        Ok(self.rows)
    }

    async fn wait_for_one(&mut self) -> Result<()> {
        match self.tasks.join_next().await {
            Some(joined) => joined.map_err(|e| DataFusionError::ExecutionJoin(Box::new(e)))?,
            None => Ok(()),
        }
    }
}
/// One file of `write_in_order`: the batches it receives, then the footer.
async fn write_file(
    store: Arc<dyn ObjectStore>,
    path: StorePath,
    schema: SchemaRef,
    properties: WriterProperties,
    mut batches: mpsc::Receiver<RecordBatch>,
) -> Result<()> {
    let mut writer = AsyncArrowWriter::try_new(BufWriter::new(store, path), schema, Some(properties))?;
    while let Some(batch) = batches.recv().await {
        writer.write(&batch).await?;
    }
    writer.close().await?;
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
