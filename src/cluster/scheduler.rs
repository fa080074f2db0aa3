//! `vipseg scheduler`: Ballista's scheduler (ballista-scheduler as a library) with vipseg's
//! sessions, so it plans jobs that name vipseg's functions and lists files on vipseg's stores.

use std::net::SocketAddr;
use std::sync::Arc;

use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;

use super::{cluster_error, session};
use crate::error::Error;

/// What `vipseg scheduler` is told on its command line.
#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// Where clients and executors reach it (gRPC).
    pub bind: SocketAddr,
    /// An executor whose last heartbeat is older than this is removed, and its tasks and the
    /// shuffle output it held are scheduled again elsewhere.
    pub executor_timeout_secs: u64,
    /// How often to look for such executors.
    pub expire_interval_secs: u64,
    /// How long a job waits with no executor at all before failing.
    pub no_executors_grace_secs: u64,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 50050)),
            executor_timeout_secs: 180,
            expire_interval_secs: 15,
            no_executors_grace_secs: 180,
        }
    }
}

/// Runs the scheduler until it fails or the process is asked to stop (Ctrl-C, SIGTERM).
pub async fn run(settings: &SchedulerSettings) -> Result<(), Error> {
    let mut config = SchedulerConfig::default()
        .with_port(settings.bind.port())
        .with_override_config_producer(session::config_producer())
        .with_override_session_builder(session::session_builder());
    config.bind_host = settings.bind.ip().to_string();
    config.executor_timeout_seconds = settings.executor_timeout_secs;
    config.expire_dead_executor_interval_seconds = settings.expire_interval_secs;
    config.no_executors_grace_period_seconds = settings.no_executors_grace_secs;
    // An executor that said goodbye (SIGTERM) is gone at once: nothing is left to drain for.
    config.executor_termination_grace_period = 0;
    let cluster =
        BallistaCluster::new_from_config(&config).await.map_err(|e| cluster_error("scheduler: cluster state", e))?;
    tracing::info!(bind = %settings.bind, "vipseg scheduler starting");
    tokio::select! {
        served = start_server(cluster, settings.bind, Arc::new(config)) => {
            served.map_err(|e| cluster_error(&format!("scheduler on {}", settings.bind), e))
        }
        _ = stop_signal() => {
            tracing::info!("scheduler stopping");
            Ok(())
        }
    }
}

/// Ctrl-C or SIGTERM (what an orchestrator sends to stop a service).
pub(super) async fn stop_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
