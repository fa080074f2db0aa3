//! The query engine: an in-process DataFusion session configured from `[engine]`, or a client
//! of a Ballista cluster with the same settings (`ballista.rs`).

mod ballista;

use std::sync::Arc;

use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::config::{EngineConfig, EngineKind};
use crate::error::Error;

/// A session for one run: in-process, or on the Ballista cluster with the same settings.
pub fn session(engine: &EngineConfig) -> Result<SessionContext, Error> {
    let mut config = SessionConfig::new()
        .with_information_schema(true)
        // Row-group pruning on the date filters of the staging models relies on these.
        .with_parquet_pruning(true)
        .set_bool("datafusion.sql_parser.collect_spans", true)
        // Row filters during decoding (late materialisation) cost more than they save on these
        // wide, mostly unselective scans; row-group pruning does not need them.
        .set_bool("datafusion.execution.parquet.pushdown_filters", false)
        // No per-file statistics: DataFusion 55 reads a column whose footer says min == max as
        // that constant, but Parquet leaves NaN out of min/max, so a NaN price next to 1.0s
        // would be read as 1.0 and accepted silently (tests/it/bad_input.rs). Row-group pruning
        // reads the footers itself and is not affected.
        .with_collect_statistics(false);
    if let Some(n) = engine.target_partitions {
        config = config.with_target_partitions(n);
    }
    // Ballista: the same session settings, sent with every job (engine/ballista.rs).
    if engine.kind == EngineKind::Ballista {
        return ballista::session(engine, config);
    }
    // In one process, a hash join builds one table from its first input and every thread probes
    // it, instead of both inputs being re-partitioned by the key first: the SQL puts the small
    // table first (docs/performance.md, rule 1), so the large side, tens of millions of order
    // lines, is no longer copied into new batches before each join, and stays in its file order
    // (clustered by order and customer) for the aggregates after it. Whole runs at 1M customers:
    // second dataset 87.1 and 87.3 s -> 80.4 and 84.8 s, peak 1.52 -> 1.42 GB; vipseg dataset
    // 53.3 and 52.0 s -> 52.5 and 53.1 s. Ballista plans its joins across executors as before.
    config = config.set_bool("datafusion.optimizer.repartition_joins", false);
    let mut runtime = RuntimeEnvBuilder::new();
    if let Some(bytes) = engine.memory_limit_bytes()? {
        runtime = runtime.with_memory_pool(Arc::new(FairSpillPool::new(bytes)));
    }
    let runtime = runtime.build_arc()?;
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    crate::functions::register(&ctx);
    Ok(ctx)
}
