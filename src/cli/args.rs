//! Settings shared by the commands: the project a command reads (config file, as-of date and
//! the overrides of `vipseg.toml`) and the log format.

use std::path::PathBuf;

use chrono::{NaiveDate, Utc};
use clap::{Args, ValueEnum};

use crate::config::{Config, EngineKind, Overrides};
use crate::error::Error;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Settings shared by the commands that read a project.
#[derive(Debug, Args)]
pub struct ProjectArgs {
    /// Path of vipseg.toml.
    #[arg(long, short = 'c', env = "VIPSEG_CONFIG", default_value = "vipseg.toml")]
    pub config: PathBuf,
    /// The run's as-of date D (YYYY-MM-DD); the run sees only facts before D. Default: today (UTC).
    #[arg(long, env = "VIPSEG_AS_OF")]
    pub as_of: Option<NaiveDate>,
    /// Output URL, overriding `[output] url`.
    #[arg(long, env = "VIPSEG_OUTPUT")]
    pub output: Option<String>,
    /// Folder of the SQL models, overriding `[models] dir`.
    #[arg(long, env = "VIPSEG_MODELS_DIR")]
    pub models_dir: Option<PathBuf>,
    /// Engine, overriding `[engine] kind`.
    #[arg(long, env = "VIPSEG_ENGINE", value_enum)]
    pub engine: Option<EngineKind>,
    /// Ballista scheduler URL, overriding `[engine] scheduler`.
    #[arg(long, env = "VIPSEG_SCHEDULER")]
    pub scheduler: Option<String>,
    /// Query parallelism, overriding `[engine] target_partitions`.
    #[arg(long, env = "VIPSEG_TARGET_PARTITIONS")]
    pub target_partitions: Option<usize>,
    /// Engine memory limit such as `4GiB`, overriding `[engine] memory_limit`.
    #[arg(long, env = "VIPSEG_MEMORY_LIMIT")]
    pub memory_limit: Option<String>,
    /// A business parameter, `key=value` (repeatable; `VIPSEG_PARAMS` takes a comma-separated list).
    #[arg(long = "param", short = 'p', env = "VIPSEG_PARAMS", value_delimiter = ',')]
    pub params: Vec<String>,
}

impl ProjectArgs {
    pub fn load(&self) -> Result<Config, Error> {
        let overrides = Overrides {
            output_url: self.output.clone(),
            models_dir: self.models_dir.clone(),
            engine: self.engine,
            scheduler: self.scheduler.clone(),
            target_partitions: self.target_partitions,
            memory_limit: self.memory_limit.clone(),
            params: self.params.clone(),
        };
        Ok(Config::load(Some(&self.config), &overrides)?)
    }

    pub fn as_of(&self) -> NaiveDate {
        self.as_of.unwrap_or_else(|| Utc::now().date_naive())
    }
}
