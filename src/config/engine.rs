//! `[engine]`: which query engine runs the models, its parallelism and memory, and the object
//! store's retry and timeout settings.

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    /// In-process DataFusion.
    #[default]
    Local,
    /// An Apache DataFusion Ballista cluster (`scheduler` URL).
    Ballista,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    pub kind: EngineKind,
    /// Ballista scheduler, e.g. `df://127.0.0.1:50050`.
    pub scheduler: Option<String>,
    /// Parallelism of queries; default: the number of cores.
    pub target_partitions: Option<usize>,
    /// Memory pool for the engine, e.g. `4GiB`; beyond it, sorts and joins spill to disk.
    pub memory_limit: Option<String>,
    /// Models run at once (as dbt's `threads`): each starts when the models it reads are done.
    /// Default: see [`EngineConfig::models_at_once`].
    pub concurrent_models: Option<usize>,
    /// Object store requests: retries of a failed request.
    pub max_retries: usize,
    /// Object store requests: give up retrying after this many seconds.
    pub retry_timeout_secs: u64,
    /// Object store requests: timeout of one request.
    pub request_timeout_secs: u64,
    /// Object store requests: timeout of connecting.
    pub connect_timeout_secs: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            kind: EngineKind::Local,
            scheduler: None,
            target_partitions: None,
            memory_limit: None,
            concurrent_models: None,
            max_retries: 10,
            retry_timeout_secs: 180,
            request_timeout_secs: 30,
            connect_timeout_secs: 5,
        }
    }
}

impl EngineConfig {
    /// `concurrent_models`, else 1. Two at once saved at most a few percent of a run's time in
    /// `make bench` (on the second dataset it was slower) and raised its peak memory by 40%, since
    /// two models' hash tables are held at once; under a `memory_limit` they share the limit, and
    /// a sort whose share cannot hold what it must merge fails instead of spilling.
    pub fn models_at_once(&self) -> usize {
        self.concurrent_models.unwrap_or(1)
    }

    pub fn memory_limit_bytes(&self) -> Result<Option<usize>, ConfigError> {
        self.memory_limit.as_deref().map(parse_bytes).transpose()
    }
}

fn parse_bytes(text: &str) -> Result<usize, ConfigError> {
    parse_size(text, "engine.memory_limit")
}

/// `4GiB`, `512MiB`, `2G`, `1000000` → bytes; errors name `key`. A dozen lines: not worth a crate.
pub fn parse_size(text: &str, key: &str) -> Result<usize, ConfigError> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(ConfigError::invalid(key, format!("unknown unit in `{text}`"))),
    };
    let value: f64 =
        number.parse().map_err(|_| ConfigError::invalid(key, format!("`{text}` is not a size like 4GiB")))?;
    Ok((value * factor) as usize)
}
