//! `vipseg executor`: Ballista's executor (ballista-executor as a library) with vipseg's object
//! stores and SQL functions; it runs the tasks of the scheduler at `--scheduler`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use ballista_executor::execution_engine::DefaultExecutionEngine;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};

use super::engine::WithoutTaskMetrics;
use super::{cluster_error, session};
use crate::error::{ConfigError, Error};

/// What `vipseg executor` is told on its command line.
#[derive(Debug, Clone)]
pub struct ExecutorSettings {
    /// The scheduler, `host:port`.
    pub scheduler: String,
    /// Arrow Flight: where other executors fetch shuffle output and the client fetches results.
    pub bind: SocketAddr,
    /// gRPC: where the scheduler pushes tasks. Same host as `bind`.
    pub grpc_bind: SocketAddr,
    /// Shuffle files and spills; a fresh temporary folder when unset.
    pub work_dir: Option<PathBuf>,
    /// Tasks run at once; 0 = the number of cores.
    pub concurrency: usize,
    /// Memory of all running tasks together; beyond it sorts, joins and aggregations spill to
    /// `work_dir`. None: 70% of the machine's (or container's) memory.
    pub memory_limit: Option<u64>,
    /// How often to tell the scheduler it is alive.
    pub heartbeat_secs: u64,
}

/// Runs the executor until the scheduler stops it or the process is asked to stop (Ctrl-C,
/// SIGTERM: the scheduler is told, and reschedules what ran here).
pub async fn run(settings: &ExecutorSettings) -> Result<(), Error> {
    if settings.bind.ip() != settings.grpc_bind.ip() {
        return Err(ConfigError::invalid(
            "--grpc-bind",
            format!("must be on the host of --bind ({}): Ballista binds both on one address", settings.bind.ip()),
        )
        .into());
    }
    let (scheduler_host, scheduler_port) = scheduler_host_port(&settings.scheduler)?;
    let work_dir = match &settings.work_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating work dir {}", dir.display()), e))?;
            Some(dir.to_string_lossy().into_owned())
        }
        None => None,
    };
    let temp_dir = work_dir.clone().unwrap_or_else(|| std::env::temp_dir().to_string_lossy().into_owned());
    let registry = session::function_registry().map_err(Error::from)?;
    let config = ExecutorProcessConfig {
        bind_host: settings.bind.ip().to_string(),
        port: settings.bind.port(),
        grpc_port: settings.grpc_bind.port(),
        scheduler_host,
        scheduler_port,
        // Executors usually start alongside the scheduler: retry connecting for a minute.
        scheduler_connect_timeout_seconds: 60,
        vcores: settings.concurrency,
        work_dir,
        // Some(0) would mean unbounded to Ballista; None its automatic 70% of memory.
        memory_pool_size: settings.memory_limit.filter(|&bytes| bytes > 0),
        executor_heartbeat_interval_seconds: settings.heartbeat_secs,
        override_config_producer: Some(session::config_producer()),
        override_runtime_producer: Some(session::runtime_producer(temp_dir)),
        override_function_registry: Some(Arc::new(registry)),
        override_execution_engine: Some(Arc::new(WithoutTaskMetrics(DefaultExecutionEngine::new()))),
        ..Default::default()
    };
    tracing::info!(bind = %settings.bind, scheduler = %settings.scheduler, "vipseg executor starting");
    start_executor_process(Arc::new(config)).await.map_err(|e| cluster_error("executor", e))
}

fn scheduler_host_port(text: &str) -> Result<(String, u16), ConfigError> {
    let bare = text.trim().split_once("://").map_or(text.trim(), |(_, rest)| rest).trim_end_matches('/');
    let invalid = || ConfigError::invalid("--scheduler", format!("`{text}` is not a host:port address"));
    let (host, port) = bare.rsplit_once(':').ok_or_else(invalid)?;
    let port = port.parse::<u16>().map_err(|_| invalid())?;
    if host.is_empty() {
        return Err(invalid());
    }
    Ok((host.to_string(), port))
}
