//! `vipseg generate`: the command-line face of the sample-data generator.

use std::path::PathBuf;

use chrono::{NaiveDate, Utc};
use clap::Args;

use super::output::print_json;
use crate::error::{Error, ExitStatus};
use crate::generate::{GenerateOptions, generate};

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  vipseg generate --customers 20000 --seed 42 --out data/sample\n  \
    vipseg generate --customers 1000000 --months 60 --bad-rows 0.001 --out /data/shop")]
pub struct GenerateArgs {
    /// Number of customers.
    #[arg(long, env = "VIPSEG_GENERATE_CUSTOMERS", default_value_t = 10_000)]
    pub customers: u64,
    /// Random seed: the same seed and options give byte-identical files.
    #[arg(long, env = "VIPSEG_GENERATE_SEED", default_value_t = 42)]
    pub seed: u64,
    /// Output folder, one sub-folder per source.
    #[arg(long, env = "VIPSEG_GENERATE_OUT", default_value = "data")]
    pub out: PathBuf,
    /// History ends the day before this date (YYYY-MM-DD). Default: today (UTC).
    #[arg(long, env = "VIPSEG_GENERATE_END")]
    pub end: Option<NaiveDate>,
    /// Months of history.
    #[arg(long, env = "VIPSEG_GENERATE_MONTHS", default_value_t = 36)]
    pub months: u32,
    /// Share of deliberately bad rows (null keys, negative quantities, ...), to exercise rejects.
    #[arg(long, env = "VIPSEG_GENERATE_BAD_ROWS", default_value_t = 0.0)]
    pub bad_rows: f64,
}

pub fn run(args: &GenerateArgs) -> Result<ExitStatus, Error> {
    let options = GenerateOptions {
        customers: args.customers,
        seed: args.seed,
        out: args.out.clone(),
        end: args.end.unwrap_or_else(|| Utc::now().date_naive()),
        months: args.months,
        bad_rows: args.bad_rows,
        ..GenerateOptions::default()
    };
    let summary = generate(&options)?;
    print_json(&serde_json::to_value(&summary).map_err(|e| Error::Internal(e.to_string()))?);
    Ok(ExitStatus::Success)
}
