//! The command line: every flag documented and backed by a `VIPSEG_*` variable; flags win over
//! the environment, which wins over `vipseg.toml`.

use std::path::PathBuf;

use chrono::{NaiveDate, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::json;

use crate::config::{Config, EngineKind, Overrides};
use crate::error::{Error, ExitStatus};
use crate::pipeline::{self, RunRequest};

#[derive(Debug, Parser)]
#[command(
    name = "vipseg",
    version,
    about = "Order history to VIP segments, CLV and lookalike audiences, on Apache DataFusion"
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, env = "VIPSEG_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log filter, e.g. `info`, `debug`, `vipseg=debug,datafusion=warn`.
    #[arg(long, global = true, env = "VIPSEG_LOG", default_value = "info")]
    pub log: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the pipeline for one as-of date: models, data tests, then an all-or-nothing publish.
    Run {
        #[command(flatten)]
        project: ProjectArgs,
        /// Models to run, dbt-style: `name`, `name+` (and downstream), `+name` (and upstream).
        #[arg(long, short = 's', env = "VIPSEG_SELECT", value_delimiter = ',')]
        select: Vec<String>,
    },
    /// Plan every model against the sources' real schemas without running anything.
    Compile {
        #[command(flatten)]
        project: ProjectArgs,
    },
    /// Run the data tests on the latest published run of the as-of date.
    Test {
        #[command(flatten)]
        project: ProjectArgs,
    },
    /// List the models with their materialization and dependencies.
    Ls {
        #[command(flatten)]
        project: ProjectArgs,
        /// Print JSON instead of a table.
        #[arg(long, env = "VIPSEG_LS_JSON")]
        json: bool,
    },
    /// Write a deterministic sample dataset in the canonical schema, one folder per source.
    Generate(crate::generate_cli::GenerateArgs),
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

/// Runs a command: JSON result on stdout, logs on stderr, and the exit status.
pub fn execute(cli: Cli) -> ExitStatus {
    init_logging(cli.log_format, &cli.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return report_error(&Error::io("starting the async runtime", e)),
    };
    runtime.block_on(dispatch(cli.command))
}

async fn dispatch(command: Command) -> ExitStatus {
    let outcome = match command {
        Command::Run { project, select } => return run(&project, select).await,
        Command::Compile { project } => compile(&project).await,
        Command::Test { project } => test(&project).await,
        Command::Ls { project, json } => crate::ls::ls(&project, json),
        Command::Generate(args) => crate::generate_cli::run(&args),
    };
    outcome.unwrap_or_else(|e| report_error(&e))
}

async fn run(project: &ProjectArgs, select: Vec<String>) -> ExitStatus {
    let config = match project.load() {
        Ok(config) => config,
        Err(e) => return report_error(&e),
    };
    let request = RunRequest { config, as_of: project.as_of(), select };
    let results = pipeline::run(&request).await;
    print_json(&results.to_json());
    results.status.exit_status()
}

async fn compile(project: &ProjectArgs) -> Result<ExitStatus, Error> {
    let compiled = pipeline::compile(&project.load()?, project.as_of()).await?;
    print_json(&json!({ "status": "ok", "models": compiled }));
    Ok(ExitStatus::Success)
}

async fn test(project: &ProjectArgs) -> Result<ExitStatus, Error> {
    let tests = pipeline::test_published(&project.load()?, project.as_of()).await?;
    let failed = tests.iter().filter(|t| t.status == crate::data_tests::TestStatus::Fail).count();
    let status = if failed == 0 { "pass" } else { "fail" };
    print_json(&json!({ "status": status, "failed": failed, "tests": tests }));
    Ok(if failed == 0 { ExitStatus::Success } else { ExitStatus::DataFailure })
}

pub fn print_json(value: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(value).expect("JSON"));
}

fn report_error(error: &Error) -> ExitStatus {
    tracing::error!("{error}");
    print_json(&json!({ "status": "error", "error": { "kind": error.kind(), "message": error.to_string() } }));
    error.exit_status()
}

fn init_logging(format: LogFormat, filter: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
