//! The command line: `vipseg <command>`, every flag documented and backed by a `VIPSEG_*`
//! variable (flags win over the environment, which wins over `vipseg.toml`). Each command is a
//! module of its own; this one parses, dispatches, and reports the outcome.

mod args;
mod backfill;
mod cluster;
mod generate;
mod init;
mod ls;
mod output;
mod run;

use clap::{Parser, Subcommand};

use self::args::LOGGING;
pub use self::args::{LogFormat, ProjectArgs};
pub use self::generate::GenerateArgs;
use self::output::{init_logging, report_error};
use crate::error::{Error, ExitStatus};

/// Shown under `vipseg --help`: the contract an orchestrator relies on, and a first run.
const OVERVIEW: &str = "\
Output: stdout is one JSON document (the run results); stderr carries the logs.
Exit codes: 0 published; 1 data tests or the data-quality gate failed (nothing published);
            2 configuration, SQL, input or internal error (nothing published).
Settings: flags > VIPSEG_* environment variables > vipseg.toml > defaults.

Examples:
  vipseg generate --customers 20000 --out data/sample    # a sample shop
  vipseg run --config vipseg.toml --as-of 2026-11-21      # the nightly run
  vipseg backfill --from 2026-01-01 --to 2026-03-31       # a range of dates
  vipseg init my-shop                                     # an editable project";

#[derive(Debug, Parser)]
#[command(
    name = "vipseg",
    version,
    about = "Order history to VIP segments, CLV and lookalike audiences, on Apache DataFusion",
    after_help = OVERVIEW
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, env = "VIPSEG_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, help_heading = LOGGING)]
    pub log_format: LogFormat,
    /// Log filter, e.g. `info`, `debug`, `vipseg=debug,datafusion=warn`.
    #[arg(long, global = true, env = "VIPSEG_LOG", default_value = output::DEFAULT_LOG, help_heading = LOGGING)]
    pub log: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the pipeline for one as-of date: models, data tests, then an all-or-nothing publish.
    #[command(after_help = "Examples:\n  vipseg run --config vipseg.toml --as-of 2026-11-21\n  \
        vipseg run --select customer_value+ --param lapse_days=60\n  \
        vipseg run --dry-run --as-of 2026-11-21    # checks and plans, writes nothing")]
    Run {
        #[command(flatten)]
        project: ProjectArgs,
        /// Models to run, dbt-style: `name`, `name+` (and downstream), `+name` (and upstream).
        #[arg(long, short = 's', env = "VIPSEG_SELECT", value_delimiter = ',', help_heading = "Run")]
        select: Vec<String>,
        /// Check config, sources and SQL and plan every model, writing nothing.
        #[arg(long, env = "VIPSEG_DRY_RUN", help_heading = "Run")]
        dry_run: bool,
    },
    /// Run a range of as-of dates in turn, skipping dates already published (`--force` reruns).
    Backfill(backfill::BackfillArgs),
    /// Plan every model against the sources' real schemas without running anything.
    #[command(after_help = "Example:\n  vipseg compile --config vipseg.toml    # SQL errors as file:line:column")]
    Compile {
        #[command(flatten)]
        project: ProjectArgs,
    },
    /// Run the data tests on the latest published run of the as-of date.
    #[command(after_help = "Example:\n  vipseg test --config vipseg.toml --as-of 2026-11-21")]
    Test {
        #[command(flatten)]
        project: ProjectArgs,
    },
    /// List the models with their materialization and dependencies.
    #[command(after_help = "Example:\n  vipseg ls --config vipseg.toml --json")]
    Ls {
        #[command(flatten)]
        project: ProjectArgs,
        /// Print JSON instead of a table.
        #[arg(long, env = "VIPSEG_LS_JSON")]
        json: bool,
    },
    /// Write a deterministic sample dataset in the canonical schema, one folder per source.
    Generate(GenerateArgs),
    /// Write an editable project: vipseg.toml with every key and its default, and the SQL models.
    Init(init::InitArgs),
    /// Run a Ballista scheduler for `[engine] kind = "ballista"` (docs/scaling.md).
    Scheduler(cluster::SchedulerArgs),
    /// Run a Ballista executor of the scheduler at `--scheduler`.
    Executor(cluster::ExecutorArgs),
}

/// Runs a command: JSON result on stdout, logs on stderr, and the exit status.
pub fn execute(cli: Cli) -> ExitStatus {
    init_logging(cli.log_format, &cli.log);
    // Deep query plans (the model graph inlines views) recurse deeply while planning and
    // (de)serialising: Ballista's own binaries run with 32 MiB thread stacks, and so do we.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(32 << 20).build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => return report_error(&Error::io("starting the async runtime", e)),
    };
    runtime.block_on(dispatch(cli.command))
}

async fn dispatch(command: Command) -> ExitStatus {
    let outcome = match command {
        Command::Run { project, select, dry_run: false } => return run::run(&project, select).await,
        Command::Run { project, select, dry_run: true } => run::dry_run(&project, &select).await,
        Command::Backfill(args) => return backfill::run(&args).await,
        Command::Compile { project } => run::compile(&project).await,
        Command::Test { project } => run::test(&project).await,
        Command::Ls { project, json } => ls::ls(&project, json),
        Command::Generate(args) => generate::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Scheduler(args) => cluster::scheduler(&args).await,
        Command::Executor(args) => cluster::executor(&args).await,
    };
    outcome.unwrap_or_else(|e| report_error(&e))
}
