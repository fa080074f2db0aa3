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
    let mut runtime = RuntimeEnvBuilder::new();
    if let Some(bytes) = engine.memory_limit_bytes()? {
        runtime = runtime.with_memory_pool(Arc::new(FairSpillPool::new(bytes)));
    }
    let runtime = runtime.build_arc()?;
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    crate::functions::register(&ctx);
    Ok(ctx)
}
