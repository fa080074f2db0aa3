//! The Ballista client session: the same SQL and session settings as the local engine, planned
//! here and run on the cluster of `[engine] scheduler` (every query becomes a Ballista job).

use ballista_core::extension::SessionStateExt;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::cluster::session::StoreOptions;
use crate::config::EngineConfig;
use crate::error::{ConfigError, Error};

/// A client session whose queries run on the scheduler's cluster. The client itself lists
/// sources, reads Parquet footers, fits the Rust models on aggregated results and copies staged
/// files when publishing; everything else (scans, joins, aggregations, writes to staging) runs on
/// the executors.
pub fn session(engine: &EngineConfig, config: SessionConfig) -> Result<SessionContext, Error> {
    let scheduler =
        engine.scheduler.as_deref().ok_or_else(|| ConfigError::Missing { key: "engine.scheduler".into() })?;
    let url = scheduler_url(scheduler)?;
    // The executors build their object stores with these settings (cluster::session).
    let config = config.with_option_extension(StoreOptions::from_engine(engine));
    // No memory pool here: the client holds only results; the executors' `--memory-limit` governs.
    let runtime = RuntimeEnvBuilder::new().build_arc()?;
    let state =
        SessionStateBuilder::new().with_default_features().with_config(config).with_runtime_env(runtime).build();
    let mut state = state.upgrade_for_ballista(url)?;
    // Ballista 55's adaptive planner (on by default) re-plans some of our jobs forever: a left
    // join of a source with an aggregate of itself (staging/checked/*.sql) ran 60,000+ stages
    // in ten minutes without finishing. The static planner runs them (docs/scaling.md, limits).
    state.config_mut().options_mut().set("ballista.planner.adaptive.enabled", "false")?;
    let ctx = SessionContext::new_with_state(state);
    // After the upgrade, which replaces the function list with Ballista's: the planner must know
    // vipseg's functions (the scheduler and executors resolve them by name).
    crate::functions::register(&ctx);
    Ok(ctx)
}

/// `df://host:port` (or `http://host:port`, or `host:port`) → the gRPC URL Ballista connects to.
fn scheduler_url(text: &str) -> Result<String, ConfigError> {
    let invalid =
        |why: &str| ConfigError::invalid("engine.scheduler", format!("`{text}`: {why}; expected df://host:port"));
    let (scheme, rest) = text.trim().split_once("://").unwrap_or(("df", text.trim()));
    if !matches!(scheme, "df" | "http") {
        return Err(invalid("unknown scheme"));
    }
    let rest = rest.trim_end_matches('/');
    let (host, port) = rest.rsplit_once(':').ok_or_else(|| invalid("no port"))?;
    if host.is_empty() || host.contains('/') || port.parse::<u16>().is_err() {
        return Err(invalid("not a host:port address"));
    }
    Ok(format!("http://{host}:{port}"))
}
