//! The public face of `vipseg generate`: what to generate ([`GenerateOptions`], [`TrueParams`]),
//! what was written ([`GenerateSummary`]) and what can go wrong ([`GenerateError`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use arrow::error::ArrowError;
use chrono::NaiveDate;
use parquet::errors::ParquetError;
use serde::{Deserialize, Serialize};

use crate::generate::countries::COUNTRIES;

/// The BG/NBD and Gamma-Gamma parameters the purchase history is drawn from (time unit: week).
///
/// Defaults are close to the published CDNOW fit for BG/NBD (r=0.243, α=4.414, a=0.793,
/// b=2.426) and give a mean order value of `p · gamma / (q − 1)` = 6 · 50 / 3 = 100.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrueParams {
    /// Shape of the Gamma distribution of purchase rates λ.
    pub r: f64,
    /// Rate of the Gamma distribution of purchase rates (λ per week has mean r / alpha).
    pub alpha: f64,
    /// Beta distribution of the drop-out probability after each repeat purchase: a.
    pub a: f64,
    /// Beta distribution of the drop-out probability: b (mean a / (a + b)).
    pub b: f64,
    /// Shape of the Gamma distribution of an order's value given ν.
    pub p: f64,
    /// Shape of the Gamma distribution of the per-customer rate ν.
    pub q: f64,
    /// Rate of the Gamma distribution of ν (mean order value p · gamma / (q − 1)).
    pub gamma: f64,
}

impl Default for TrueParams {
    fn default() -> Self {
        TrueParams { r: 0.25, alpha: 4.0, a: 0.8, b: 2.5, p: 6.0, q: 4.0, gamma: 50.0 }
    }
}

impl TrueParams {
    /// Expected value of an order, p · gamma / (q − 1) (infinite for q ≤ 1).
    pub fn mean_order_value(&self) -> f64 {
        if self.q > 1.0 { self.p * self.gamma / (self.q - 1.0) } else { f64::INFINITY }
    }
}

/// What to generate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenerateOptions {
    /// Number of customer ids (`C0000001` ..). About 3% of them never order (prospects).
    pub customers: u64,
    /// Seed of every random draw: same seed and options give byte-identical files.
    pub seed: u64,
    /// Local output directory, one sub-folder per source. Existing source folders are replaced.
    /// Not written to `_generator.json` (so the manifest does not depend on where it is).
    #[serde(skip)]
    pub out: PathBuf,
    /// History ends the day before `end` (exclusive): a run with as-of date `end` sees all of it.
    pub end: NaiveDate,
    /// Length of the history in months, ending at `end`.
    pub months: u32,
    /// The parameters the purchase process is drawn from.
    pub truth: TrueParams,
    /// ISO codes of the customers' countries, any of US, GB, DE, FR, NL, CA; customers are
    /// spread over them by fixed weights (US 34, GB 20, DE 16, FR 12, CA 10, NL 8).
    pub countries: Vec<String>,
    /// Share of customer records with `ad_consent` = true.
    pub ad_consent_rate: f64,
    /// Share (of the orders) of injected bad rows, 0 = none: null customer ids, future
    /// timestamps, duplicate order ids with conflicting content, negative quantities, lines
    /// without an order. Bad rows never replace good ones.
    pub bad_rows: f64,
    /// Worker threads, 0 = all cores. Does not change the output.
    #[serde(skip)]
    pub threads: usize,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            customers: 10_000,
            seed: 42,
            out: PathBuf::from("data/sample"),
            end: NaiveDate::from_ymd_opt(2026, 11, 21).expect("valid date"),
            months: 36,
            truth: TrueParams::default(),
            countries: COUNTRIES.iter().map(|c| c.code.to_string()).collect(),
            ad_consent_rate: 0.7,
            bad_rows: 0.0,
            threads: 0,
        }
    }
}

/// What was written.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GenerateSummary {
    /// Rows per source (all seven sources, bad rows included).
    pub rows: BTreeMap<String, u64>,
    /// Parquet files written.
    pub files: u64,
    /// The parameters the data was drawn from.
    pub truth: TrueParams,
    /// Injected bad rows by kind (empty when `bad_rows` is 0).
    pub bad_rows: BTreeMap<String, u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("invalid generate option: {0}")]
    InvalidOption(String),
    #[error("unknown country {0:?} (supported: US, GB, DE, FR, NL, CA)")]
    UnknownCountry(String),
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write Parquet file {}: {source}", path.display())]
    Parquet {
        path: PathBuf,
        #[source]
        source: ParquetError,
    },
    #[error("cannot build the {table} batch: {source}")]
    Arrow {
        table: &'static str,
        #[source]
        source: ArrowError,
    },
    #[error("cannot serialise the generator manifest: {0}")]
    Json(#[from] serde_json::Error),
}
