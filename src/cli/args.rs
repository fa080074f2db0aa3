//! Settings shared by the commands: the project a command reads (config file, as-of date and
//! the overrides of `vipseg.toml`) and the log format.

use std::path::PathBuf;

use chrono::{NaiveDate, Utc};
use clap::{Args, ValueEnum};

use crate::config::{Config, EngineKind, OutputFormat, Overrides};
use crate::error::Error;

/// Help headings: settings grouped as in `vipseg.toml`.
pub const PROJECT: &str = "Project";
pub const OUTPUT: &str = "Output";
pub const ENGINE: &str = "Engine";
pub const LOGGING: &str = "Logging";

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Settings shared by the commands that read a project.
#[derive(Debug, Args)]
pub struct ProjectArgs {
    /// Path of vipseg.toml.
    #[arg(long, short = 'c', env = "VIPSEG_CONFIG", default_value = "vipseg.toml", help_heading = PROJECT)]
    pub config: PathBuf,
    /// The run's as-of date D (YYYY-MM-DD); the run sees only facts before D. Default: today (UTC).
    #[arg(long, env = "VIPSEG_AS_OF", help_heading = PROJECT)]
    pub as_of: Option<NaiveDate>,
    /// Output URL, overriding `[output] url`.
    #[arg(long, env = "VIPSEG_OUTPUT", help_heading = OUTPUT)]
    pub output: Option<String>,
    /// Output format (`parquet` or `delta`), overriding `[output] format`.
    #[arg(long, env = "VIPSEG_OUTPUT_FORMAT", value_enum)]
    pub output_format: Option<OutputFormat>,
    /// Folder of the SQL models, overriding `[models] dir`.
    #[arg(long, env = "VIPSEG_MODELS_DIR", help_heading = PROJECT)]
    pub models_dir: Option<PathBuf>,
    /// Engine, overriding `[engine] kind`.
    #[arg(long, env = "VIPSEG_ENGINE", value_enum, help_heading = ENGINE)]
    pub engine: Option<EngineKind>,
    /// Ballista scheduler URL, overriding `[engine] scheduler`.
    #[arg(long, env = "VIPSEG_SCHEDULER", help_heading = ENGINE)]
    pub scheduler: Option<String>,
    /// Query parallelism, overriding `[engine] target_partitions`.
    #[arg(long, env = "VIPSEG_TARGET_PARTITIONS", help_heading = ENGINE)]
    pub target_partitions: Option<usize>,
    /// Engine memory limit such as `4GiB`, overriding `[engine] memory_limit`.
    #[arg(long, env = "VIPSEG_MEMORY_LIMIT", help_heading = ENGINE)]
    pub memory_limit: Option<String>,
    /// Models run at once, overriding `[engine] concurrent_models`.
    #[arg(long, env = "VIPSEG_CONCURRENT_MODELS", help_heading = ENGINE)]
    pub concurrent_models: Option<usize>,
    /// A business parameter, `key=value` (repeatable; `VIPSEG_PARAMS` takes a comma-separated list).
    #[arg(long = "param", short = 'p', env = "VIPSEG_PARAMS", value_delimiter = ',', help_heading = PROJECT)]
    pub params: Vec<String>,
}

impl ProjectArgs {
    pub fn load(&self) -> Result<Config, Error> {
        let overrides = Overrides {
            output_url: self.output.clone(),
            output_format: self.output_format,
            models_dir: self.models_dir.clone(),
            engine: self.engine,
            scheduler: self.scheduler.clone(),
            target_partitions: self.target_partitions,
            memory_limit: self.memory_limit.clone(),
            concurrent_models: self.concurrent_models,
            params: self.params.clone(),
        };
        Ok(Config::load(Some(&self.config), &overrides)?)
    }

    pub fn as_of(&self) -> NaiveDate {
        self.as_of.unwrap_or_else(|| Utc::now().date_naive())
    }
}
