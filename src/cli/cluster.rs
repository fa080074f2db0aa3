//! `vipseg scheduler` and `vipseg executor`: the processes of a Ballista cluster, from the same
//! binary as the client (docs/scaling.md).

use std::path::PathBuf;

use clap::Args;

use crate::cluster::executor::{self, ExecutorSettings};
use crate::cluster::parse_address;
use crate::cluster::scheduler::{self, SchedulerSettings};
use crate::config::parse_size;
use crate::error::{Error, ExitStatus};

const LIVENESS: &str = "Liveness";

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  vipseg scheduler --bind 0.0.0.0:50050")]
pub struct SchedulerArgs {
    /// Address to listen on for clients and executors (gRPC).
    #[arg(long, env = "VIPSEG_SCHEDULER_BIND", default_value = "127.0.0.1:50050")]
    pub bind: String,
    /// Remove an executor whose last heartbeat is older than this; its work is rescheduled.
    #[arg(long, env = "VIPSEG_EXECUTOR_TIMEOUT_SECS", default_value_t = 180, help_heading = LIVENESS)]
    pub executor_timeout_secs: u64,
    /// How often to check for executors past that timeout.
    #[arg(long, env = "VIPSEG_EXPIRE_INTERVAL_SECS", default_value_t = 15, help_heading = LIVENESS)]
    pub expire_interval_secs: u64,
    /// How long a job may wait with no executor at all before it fails.
    #[arg(long, env = "VIPSEG_NO_EXECUTORS_GRACE_SECS", default_value_t = 180, help_heading = LIVENESS)]
    pub no_executors_grace_secs: u64,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  vipseg executor --scheduler 10.0.0.5:50050 --bind 0.0.0.0:50051 \
    --grpc-bind 0.0.0.0:50052 --work-dir /mnt/vipseg --concurrency 8 --memory-limit 24GiB")]
pub struct ExecutorArgs {
    /// The scheduler, `host:port`.
    #[arg(long, env = "VIPSEG_EXECUTOR_SCHEDULER", default_value = "127.0.0.1:50050")]
    pub scheduler: String,
    /// Arrow Flight address: other executors fetch shuffle data here, the client fetches results.
    #[arg(long, env = "VIPSEG_EXECUTOR_BIND", default_value = "127.0.0.1:50051")]
    pub bind: String,
    /// gRPC address the scheduler pushes tasks to (same host as --bind).
    #[arg(long, env = "VIPSEG_EXECUTOR_GRPC_BIND", default_value = "127.0.0.1:50052")]
    pub grpc_bind: String,
    /// Folder for shuffle files and spills. Default: a fresh temporary folder.
    #[arg(long, env = "VIPSEG_EXECUTOR_WORK_DIR")]
    pub work_dir: Option<PathBuf>,
    /// Tasks run at once. Default: the number of cores.
    #[arg(long, env = "VIPSEG_EXECUTOR_CONCURRENCY", default_value_t = 0, hide_default_value = true)]
    pub concurrency: usize,
    /// Memory for all running tasks, e.g. `8GiB`; beyond it they spill to the work dir.
    /// Default: 70% of the machine's memory.
    #[arg(long, env = "VIPSEG_EXECUTOR_MEMORY_LIMIT")]
    pub memory_limit: Option<String>,
    /// Seconds between heartbeats to the scheduler.
    #[arg(long, env = "VIPSEG_HEARTBEAT_SECS", default_value_t = 60, help_heading = LIVENESS)]
    pub heartbeat_secs: u64,
}

pub async fn scheduler(args: &SchedulerArgs) -> Result<ExitStatus, Error> {
    let settings = SchedulerSettings {
        bind: parse_address(&args.bind, "--bind")?,
        executor_timeout_secs: args.executor_timeout_secs,
        expire_interval_secs: args.expire_interval_secs,
        no_executors_grace_secs: args.no_executors_grace_secs,
    };
    scheduler::run(&settings).await?;
    Ok(ExitStatus::Success)
}

pub async fn executor(args: &ExecutorArgs) -> Result<ExitStatus, Error> {
    let memory_limit = args.memory_limit.as_deref().map(|m| parse_size(m, "--memory-limit")).transpose()?;
    let settings = ExecutorSettings {
        scheduler: args.scheduler.clone(),
        bind: parse_address(&args.bind, "--bind")?,
        grpc_bind: parse_address(&args.grpc_bind, "--grpc-bind")?,
        work_dir: args.work_dir.clone(),
        concurrency: args.concurrency,
        memory_limit: memory_limit.map(|bytes| bytes as u64),
        heartbeat_secs: args.heartbeat_secs,
    };
    executor::run(&settings).await?;
    Ok(ExitStatus::Success)
}
