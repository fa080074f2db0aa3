//! A published table's files hold its rows in order, cut into the same files with the same bytes
//! however the engine happened to batch them (`io::parquet::write_in_order`).

use std::sync::Arc;

use arrow::array::{AsArray, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::properties::WriterProperties;
use url::Url;
use vipseg::io::parquet::write_in_order;
use vipseg::io::store::Location;

/// Two files of 131,072 rows and the rest.
const ROWS: usize = 300_000;

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("n", DataType::Int64, false),
        Field::new("customer_id", DataType::Utf8, false),
    ]))
}

/// Rows 0..ROWS in batches of `batch_rows`, as an engine's stream.
fn batches_of(batch_rows: usize) -> Vec<datafusion::error::Result<RecordBatch>> {
    (0..ROWS)
        .step_by(batch_rows)
        .map(|start| {
            let numbers: Vec<i64> = (start..(start + batch_rows).min(ROWS)).map(|n| n as i64).collect();
            let ids: Vec<String> = numbers.iter().map(|n| format!("C{n:07}")).collect();
            Ok(RecordBatch::try_new(
                schema(),
                vec![Arc::new(Int64Array::from(numbers)), Arc::new(StringArray::from(ids))],
            )?)
        })
        .collect()
}

/// A folder's files by name, with their bytes.
type Files = Vec<(String, Vec<u8>)>;

/// Writes the rows batched by `batch_rows`, `parallel` files at once.
async fn write(batch_rows: usize, parallel: usize) -> (tempfile::TempDir, Files) {
    let dir = tempfile::tempdir().unwrap();
    let url = Url::from_directory_path(dir.path()).unwrap();
    let prefix = StorePath::from_url_path(url.path()).unwrap();
    let location = Location { url, store: Arc::new(LocalFileSystem::new()), prefix: prefix.clone() };
    let stream = RecordBatchStreamAdapter::new(schema(), futures::stream::iter(batches_of(batch_rows)));
    let properties = WriterProperties::builder().build();
    let rows = write_in_order(&location, &prefix, Box::pin(stream), properties, parallel).await.unwrap();
    assert_eq!(rows, ROWS as u64);
    let mut files: Files = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    (dir, files)
}

/// The `n` column of a file, in the file's order.
fn numbers(path: &std::path::Path) -> Vec<i64> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap()).unwrap().build().unwrap();
    reader.flat_map(|batch| batch.unwrap().column(0).as_primitive::<Int64Type>().values().to_vec()).collect()
}

#[tokio::test]
async fn a_published_table_is_the_same_files_in_order_however_it_was_batched() {
    let (dir, small_batches) = write(1_000, 1).await;
    let (_, odd_batches) = write(7_777, 4).await;
    let names = |files: &Files| files.iter().map(|(name, _)| name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&small_batches), ["ordered_0000.parquet", "ordered_0001.parquet", "ordered_0002.parquet"]);
    assert_eq!(names(&odd_batches), names(&small_batches));
    for ((name, a), (_, b)) in small_batches.iter().zip(&odd_batches) {
        assert!(a == b, "{name}: other bytes when the engine batches the rows otherwise");
    }
    let per_file: Vec<Vec<i64>> = small_batches.iter().map(|(name, _)| numbers(&dir.path().join(name))).collect();
    assert_eq!(per_file.iter().map(Vec::len).collect::<Vec<_>>(), [131_072, 131_072, ROWS - 2 * 131_072]);
    let in_name_order: Vec<i64> = per_file.concat();
    assert!(in_name_order.iter().copied().eq(0..ROWS as i64), "the files, read in name order, hold the rows in order");
}
