//! Tables the client holds in memory — a Rust model's output, the empty stand-in of an
//! undeclared optional source — written as Parquet to the run's staging area and read from
//! there, on every engine: a Ballista cluster cannot read the client's memory (an in-memory
//! table cannot even be serialised into its plans), and one code path keeps both engines equal.

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;
use object_store::path::Path as StorePath;

use crate::config::Config;
use crate::error::Error;
use crate::io::parquet as parquet_io;
use crate::io::schema::Source;
use crate::io::sources::RAW_SCHEMA;
use crate::io::store::Location;
use crate::run::publish::Publisher;
use crate::run::runner;

/// Writes `batch` as one Parquet file in the folder `dir` and registers it there as table
/// `name`, as a model materialised by the engine is. Returns the rows written.
pub async fn stage_table(
    ctx: &SessionContext,
    name: &str,
    batch: &RecordBatch,
    location: &Location,
    dir: &StorePath,
) -> Result<u64, Error> {
    parquet_io::put_batch(location, &dir.clone().join("part-0.parquet"), batch).await?;
    runner::register_parquet(ctx, name, &location.url_of(dir, true), batch.schema())?;
    Ok(batch.num_rows() as u64)
}

/// Each optional source the config does not declare becomes an empty Parquet file in staging
/// (`<staging>/raw.<source>/`), registered as `raw.<source>` in place of its in-memory stand-in.
pub async fn stage_undeclared_sources(
    ctx: &SessionContext,
    config: &Config,
    publisher: &Publisher,
) -> Result<(), Error> {
    let raw = ctx
        .catalog("datafusion")
        .and_then(|catalog| catalog.schema(RAW_SCHEMA))
        .ok_or_else(|| Error::Internal("schema `raw` missing".into()))?;
    for source in Source::ALL.into_iter().filter(|s| config.source(*s).is_none()) {
        let dir = publisher.staging_dir(&format!("{RAW_SCHEMA}.{source}"));
        let schema = source.arrow_schema();
        parquet_io::put_batch(
            &publisher.root,
            &dir.clone().join("part-empty.parquet"),
            &RecordBatch::new_empty(schema.clone()),
        )
        .await?;
        let table = parquet_io::table_with_schema(&publisher.root.url_of(&dir, true), schema)?;
        raw.deregister_table(source.name())?;
        raw.register_table(source.name().to_string(), table)?;
    }
    Ok(())
}
