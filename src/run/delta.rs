//! Delta Lake output (`[output] format = "delta"`): a published table is the Delta table
//! `<output>/<table>/`, partitioned by `as_of`. A run replaces its as-of partition in one Delta
//! commit per table (an overwrite with a predicate on `as_of`: Delta's replaceWhere), so a re-run
//! of a date leaves one version of its rows. The Delta log is written through vipseg's own object
//! store (the same retries, timeouts and credentials as every other write; its commits are
//! create-only writes, like vipseg's commit records).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use datafusion::prelude::{ParquetReadOptions, col, lit};
use deltalake::delta_datafusion::DeltaSessionContext;
use deltalake::logstore::{LogStore, LogStoreFactory, StorageConfig, default_logstore, logstore_factories};
use deltalake::protocol::SaveMode;
use deltalake::{DeltaTableBuilder, DeltaTableError, FilterOp, FilterValue, ObjectStore};
use futures::TryStreamExt;
use object_store::path::Path as StorePath;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::windows::date_scalar;
use crate::error::{Error, PublishError};
use crate::io::store::Location;

/// The partition column every Delta table gets.
pub const PARTITION_COLUMN: &str = "as_of";

const VIEW_TYPES: &str = "datafusion.execution.parquet.schema_force_view_types";

/// What a run wrote to one Delta table, as the commit record names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeltaVersion {
    /// The Delta table, e.g. `s3://bucket/vipseg/customer_value/`.
    pub url: String,
    /// The table version this run's commit created: read it with time travel (`versionAsOf`)
    /// for the tables of one run, whatever later runs of other dates committed since.
    pub version: u64,
}

/// The version written and the partition's data files in it (relative to the output root).
pub struct Written {
    pub delta: DeltaVersion,
    pub files: Vec<String>,
}

/// Replaces the `as_of` partition of the Delta table `<root>/<table>/` with the Parquet files
/// staged in `staged` (creating the table on first use).
pub async fn replace_partition(
    root: &Location,
    table: &str,
    staged: &StorePath,
    as_of: NaiveDate,
) -> Result<Written, Error> {
    let table_url = root.url_of(&root.child(&[table]), true);
    let delta_error = |e: DeltaTableError| delta_error(&table_url, e);
    let url = Url::parse(&table_url).map_err(|e| Error::Internal(format!("`{table_url}`: {e}")))?;
    register_store_schemes();
    let mut delta = DeltaTableBuilder::from_url(url.clone())
        .map_err(delta_error)?
        .with_storage_backend(Arc::clone(&root.store), url)
        .build()
        .map_err(delta_error)?;
    // A table without a log is new (the writer creates it); the error deltalake gives when
    // loading one depends on the store, so look for the log instead.
    let log = root.child(&[table, "_delta_log"]);
    let listed = root.store.list(Some(&log)).try_next().await;
    let exists = listed.map_err(|source| PublishError::Store { url: root.url_of(&log, true), source })?.is_some();
    if exists {
        delta.load().await.map_err(delta_error)?;
    }

    // The staged Parquet files plus the partition column, streamed into the Delta writer.
    // deltalake's session (its planner runs the write); plain strings, not DataFusion's view
    // types, which the Delta schema and every reader know.
    let options = HashMap::from([(VIEW_TYPES.to_string(), "false".to_string())]);
    let ctx = DeltaSessionContext::new_with_session_overrides(&options).map_err(delta_error)?.into_inner();
    ctx.register_object_store(&root.url, Arc::clone(&root.store));
    let staged_url = root.url_of(staged, true);
    let day = date_scalar(as_of);
    let frame = ctx
        .read_parquet(staged_url.as_str(), ParquetReadOptions::default())
        .await?
        .with_column(PARTITION_COLUMN, lit(day.clone()))?;
    let plan = frame.logical_plan().clone();
    let written = delta
        .write(Vec::new())
        .with_input_plan(plan)
        .with_session_state(Arc::new(ctx.state()))
        .with_save_mode(SaveMode::Overwrite)
        .with_partition_columns([PARTITION_COLUMN])
        .with_replace_where(col(PARTITION_COLUMN).eq(lit(day)))
        .with_table_name(table)
        .await
        .map_err(delta_error)?;

    let version = written.version().ok_or_else(|| Error::Internal(format!("{table_url}: no Delta version")))?;
    let partition = as_of.to_string();
    let filters = [(PARTITION_COLUMN, FilterOp::Eq, FilterValue::Scalar(&partition))];
    let mut files: Vec<String> = written
        .get_active_add_actions_by_partitions(&filters)
        .map_ok(|file| format!("{table}/{}", file.object_store_path()))
        .try_collect()
        .await
        .map_err(delta_error)?;
    files.sort();
    Ok(Written { delta: DeltaVersion { url: table_url, version }, files })
}

fn delta_error(url: &str, e: DeltaTableError) -> Error {
    let source = object_store::Error::Generic { store: "delta", source: Box::new(e) };
    PublishError::Store { url: url.to_string(), source }.into()
}

/// deltalake knows how to commit to `file://` and `memory://` only, unless its cloud features
/// (each a second S3/Azure/GCS client) are on. vipseg hands it its own stores, which do
/// create-only writes on every scheme it supports, so Delta's default log store (a commit is a
/// create-only write of the next version) is correct there too.
fn register_store_schemes() {
    static REGISTERED: OnceLock<()> = OnceLock::new();
    REGISTERED.get_or_init(|| {
        let registry = logstore_factories();
        for scheme in ["s3://", "s3a://", "az://", "abfs://", "abfss://", "azure://", "gs://"] {
            if let Ok(url) = Url::parse(scheme) {
                registry.entry(url).or_insert_with(|| Arc::new(CreateOnlyLogStores));
            }
        }
    });
}

struct CreateOnlyLogStores;

impl LogStoreFactory for CreateOnlyLogStores {
    fn with_options(
        &self,
        prefixed_store: Arc<dyn ObjectStore>,
        root_store: Arc<dyn ObjectStore>,
        location: &Url,
        options: &StorageConfig,
    ) -> deltalake::DeltaResult<Arc<dyn LogStore>> {
        Ok(default_logstore(prefixed_store, root_store, location, options))
    }
}
