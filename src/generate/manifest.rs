//! `<out>/_generator.json` of `vipseg generate`: the options, the true model parameters and what
//! follows from them, the history's dates, the population and the row counts.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate};
use serde::Serialize;

use crate::generate::options::{GenerateError, GenerateOptions, GenerateSummary, TrueParams};
use crate::generate::plan::{DAY_US, Plan};

#[derive(Serialize)]
struct Manifest<'a> {
    generator: &'static str,
    options: &'a GenerateOptions,
    truth: &'a TrueParams,
    /// Consequences of the true parameters, for checking a fit.
    expected: Expected,
    /// First day of the history and the last day (the day before `end`).
    history: (NaiveDate, NaiveDate),
    population: &'a Population,
    rows: &'a BTreeMap<String, u64>,
    files: u64,
    bad_rows: &'a BTreeMap<String, u64>,
}

/// Customer ids by kind: buyers (with a purchase history), prospects (a record, no order),
/// and buyers whose customer record is missing.
#[derive(Default, Serialize)]
pub(super) struct Population {
    pub buyers: u64,
    pub prospects: u64,
    pub buyers_without_record: u64,
}

#[derive(Serialize)]
struct Expected {
    mean_order_value: f64,
    mean_purchase_rate_per_week: f64,
    mean_dropout_probability: f64,
}

pub(super) fn write_manifest(
    opts: &GenerateOptions,
    plan: &Plan,
    population: &Population,
    summary: &GenerateSummary,
) -> Result<(), GenerateError> {
    let day = |us: i64| DateTime::from_timestamp_micros(us).expect("in range").date_naive();
    let t = &opts.truth;
    let manifest = Manifest {
        generator: "vipseg generate",
        options: opts,
        truth: t,
        expected: Expected {
            mean_order_value: t.mean_order_value(),
            mean_purchase_rate_per_week: t.r / t.alpha,
            mean_dropout_probability: t.a / (t.a + t.b),
        },
        history: (day(plan.start_us), day(plan.end_us - DAY_US)),
        population,
        rows: &summary.rows,
        files: summary.files,
        bad_rows: &summary.bad_rows,
    };
    let mut text = serde_json::to_string_pretty(&manifest)?;
    text.push('\n');
    let path = opts.out.join("_generator.json");
    std::fs::write(&path, text).map_err(|source| GenerateError::Io { path, source })
}
