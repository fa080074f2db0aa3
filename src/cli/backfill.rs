//! `vipseg backfill --from D1 --to D2`: one run per as-of date, in order. A date already
//! published is skipped unless `--force`; the first failure stops the backfill unless
//! `--keep-going`. Prints one document: every date's run results and a summary.

use chrono::NaiveDate;
use clap::Args;
use serde::Serialize;

use super::args::ProjectArgs;
use super::output::{print_json, report_error};
use crate::error::{ConfigError, Error, ExitStatus};
use crate::run::inspect;
use crate::run::pipeline::{self, RunRequest};
use crate::run::results::RunStatus;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  vipseg backfill --from 2026-01-01 --to 2026-03-31\n  \
    vipseg backfill --from 2026-03-01 --to 2026-03-31 --force --keep-going")]
pub struct BackfillArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// First as-of date (YYYY-MM-DD), included.
    #[arg(long, env = "VIPSEG_BACKFILL_FROM", help_heading = "Backfill")]
    pub from: NaiveDate,
    /// Last as-of date (YYYY-MM-DD), included.
    #[arg(long, env = "VIPSEG_BACKFILL_TO", help_heading = "Backfill")]
    pub to: NaiveDate,
    /// Run dates that are already published too (re-running a date replaces it).
    #[arg(long, env = "VIPSEG_BACKFILL_FORCE", help_heading = "Backfill")]
    pub force: bool,
    /// Go on after a failed date instead of stopping there.
    #[arg(long, env = "VIPSEG_BACKFILL_KEEP_GOING", help_heading = "Backfill")]
    pub keep_going: bool,
    /// Models to run, as for `vipseg run`.
    #[arg(long, short = 's', env = "VIPSEG_SELECT", value_delimiter = ',', help_heading = "Backfill")]
    pub select: Vec<String>,
}

/// One date of the backfill.
#[derive(Debug, Serialize)]
struct DateOutcome {
    as_of: NaiveDate,
    /// `success`, `skipped` (already published), `not_run` (after a failure), or the run's status.
    status: String,
    results: Option<serde_json::Value>,
}

#[derive(Debug, Default, Serialize)]
struct Summary {
    dates: usize,
    succeeded: usize,
    skipped: usize,
    failed: usize,
    not_run: usize,
}

pub async fn run(args: &BackfillArgs) -> ExitStatus {
    match backfill(args).await {
        Ok(status) => status,
        Err(e) => report_error(&e),
    }
}

async fn backfill(args: &BackfillArgs) -> Result<ExitStatus, Error> {
    if args.from > args.to {
        return Err(ConfigError::invalid("--from", format!("{} is after --to {}", args.from, args.to)).into());
    }
    let config = args.project.load()?;
    let (mut outcomes, mut summary, mut worst) = (Vec::new(), Summary::default(), ExitStatus::Success);
    for as_of in args.from.iter_days().take_while(|d| *d <= args.to) {
        summary.dates += 1;
        if worst != ExitStatus::Success && !args.keep_going {
            summary.not_run += 1;
            outcomes.push(DateOutcome { as_of, status: "not_run".into(), results: None });
            continue;
        }
        if !args.force && inspect::latest_published(&config, as_of).await?.is_some() {
            summary.skipped += 1;
            outcomes.push(DateOutcome { as_of, status: "skipped".into(), results: None });
            continue;
        }
        let request = RunRequest { config: config.clone(), as_of, select: args.select.clone() };
        let results = pipeline::run(&request).await;
        if results.status == RunStatus::Success {
            summary.succeeded += 1;
        } else {
            summary.failed += 1;
            worst = worst.max(results.status.exit_status());
        }
        let status = serde_json::to_value(results.status).ok().and_then(|v| v.as_str().map(String::from));
        outcomes.push(DateOutcome { as_of, status: status.unwrap_or_default(), results: Some(results.to_json()) });
    }
    let status = if worst == ExitStatus::Success { "success" } else { "failed" };
    print_json(&serde_json::json!({
        "status": status, "from": args.from, "to": args.to, "summary": summary, "runs": outcomes,
    }));
    Ok(worst)
}
