//! The validated run plan of `vipseg generate` and what every part of the generator shares:
//! the history's bounds ([`Plan`]), the per-block RNG streams, time constants and the small
//! drawing and time helpers ([`pick`], [`secs`], [`month_key`]).

use chrono::{DateTime, Datelike, Months, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::generate::countries::country_index;
use crate::generate::options::{GenerateError, GenerateOptions, TrueParams};

/// Customers per block (the unit of RNG derivation and of parallel work).
pub(super) const BLOCK: u32 = 4096;
pub(super) const DAY_US: i64 = 86_400_000_000;
/// The purposes a block RNG is drawn for (see [`block_rng`]).
pub(super) const STREAM_ORDERS: u64 = 1;
pub(super) const STREAM_PEOPLE: u64 = 2;
pub(super) const STREAM_BAD: u64 = 3;

/// Validated options, shared by the generator modules.
pub(super) struct Plan {
    pub start_us: i64,
    pub end_us: i64,
    /// Days of history: `start_us + days · DAY_US == end_us`.
    pub days: i64,
    pub truth: TrueParams,
    /// Indices into [`COUNTRIES`](crate::generate::countries::COUNTRIES).
    pub countries: Vec<usize>,
    pub ad_consent_rate: f64,
}

impl Plan {
    /// Checks the options and derives the history's bounds from them.
    pub fn new(opts: &GenerateOptions) -> Result<Plan, GenerateError> {
        let invalid = |m: String| Err(GenerateError::InvalidOption(m));
        if opts.customers == 0 || opts.customers > (u32::MAX - 1) as u64 {
            return invalid(format!("customers must be between 1 and {}, got {}", u32::MAX - 1, opts.customers));
        }
        if opts.months == 0 || opts.months > 1200 {
            return invalid(format!("months must be between 1 and 1200, got {}", opts.months));
        }
        if !(0.0..=1.0).contains(&opts.ad_consent_rate) {
            return invalid(format!("ad_consent_rate must be in [0, 1], got {}", opts.ad_consent_rate));
        }
        if !(0.0..=0.5).contains(&opts.bad_rows) {
            return invalid(format!("bad_rows must be in [0, 0.5], got {}", opts.bad_rows));
        }
        validate_truth(&opts.truth)?;
        if opts.countries.is_empty() {
            return invalid("countries must not be empty".into());
        }
        let mut countries = Vec::new();
        for code in &opts.countries {
            let idx = country_index(code).ok_or_else(|| GenerateError::UnknownCountry(code.clone()))?;
            if !countries.contains(&idx) {
                countries.push(idx);
            }
        }
        let Some(start) = opts.end.checked_sub_months(Months::new(opts.months)) else {
            return invalid(format!("{} months before {} is out of range", opts.months, opts.end));
        };
        let micros = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp_micros();
        let (start_us, end_us) = (micros(start), micros(opts.end));
        Ok(Plan {
            start_us,
            end_us,
            days: (end_us - start_us) / DAY_US,
            truth: opts.truth,
            countries,
            ad_consent_rate: opts.ad_consent_rate,
        })
    }
}

fn validate_truth(t: &TrueParams) -> Result<(), GenerateError> {
    let all = [("r", t.r), ("alpha", t.alpha), ("a", t.a), ("b", t.b), ("p", t.p), ("q", t.q), ("gamma", t.gamma)];
    for (name, v) in all {
        if !(v.is_finite() && v > 0.0) {
            return Err(GenerateError::InvalidOption(format!("truth.{name} must be a positive number, got {v}")));
        }
    }
    Ok(())
}

/// One RNG per (seed, block, purpose), independent of threads.
pub(super) fn block_rng(seed: u64, block: u64, stream: u64) -> StdRng {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    let mut h = mix(mix(mix(seed) ^ block) ^ stream);
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_mut(8) {
        h = mix(h);
        chunk.copy_from_slice(&h.to_le_bytes());
    }
    StdRng::from_seed(bytes)
}

/// Index drawn with the given (not necessarily normalised) weights.
pub(super) fn pick(rng: &mut StdRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// Truncates a timestamp (µs) to whole seconds, as most shop systems store them.
pub(super) fn secs(ts: i64) -> i64 {
    ts - ts.rem_euclid(1_000_000)
}

/// Months since year 0 (year · 12 + month − 1) of a UTC timestamp in microseconds.
pub(super) fn month_key(ts_us: i64) -> i32 {
    let d = DateTime::from_timestamp_micros(ts_us).expect("timestamp in range").date_naive();
    d.year() * 12 + d.month0() as i32
}
