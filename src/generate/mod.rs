//! `vipseg generate`: a deterministic, realistic sample order history in the canonical schema
//! (docs/canonical-schema.md), written as zstd Parquet partitioned by month, plus
//! `<out>/_generator.json` with the options, the true model parameters and the row counts.
//!
//! # What is drawn
//!
//! * **Purchases follow BG/NBD** (Fader, Hardie & Lee 2005), in weeks: each buying customer is
//!   acquired (first order) at a time spread over the history (growing 20% a year), buys with rate
//!   λ ~ Gamma(shape `r`, rate `alpha`) per week, and after each repeat purchase drops out with
//!   probability p ~ Beta(`a`, `b`). Orders are placed on the model's day, at an hour of the
//!   shop's daily rhythm. A customer has at most one completed order a day (the CLV fit merges
//!   same-day orders, so a second purchase the same day moves to the next day): without this
//!   the fitted purchase rate would come out ~2% low.
//! * **Order values follow Gamma-Gamma**: per customer ν ~ Gamma(shape `q`, rate `gamma`), each
//!   order value z ~ Gamma(shape `p`, rate ν); the order's Σ quantity × unit_price equals z rounded
//!   to the cent. The mean order value is `p · gamma / (q − 1)`.
//! * Only those model purchases have status `completed`. On top of them come a few orders that
//!   never count (about 8 per 100 purchases: `cancelled`, `refunded`, `pending` in the last
//!   3 days), so a CLV fit on the completed orders recovers [`TrueParams`].
//! * Order lines: 1-5 per order, ten categories with different margins (electronics ~18% on the
//!   list price, accessories ~70%), category likelihood depends on the line's price; 15% of
//!   customers are bargain hunters (85% of their lines discounted 20-60%), others buy at a
//!   discount now and then; `unit_cost` from the category margin on the list price, so deep
//!   discounts can sell below cost.
//! * Returns (by category, 5% of customers return 4x as often; partial quantities, some
//!   restocking fees), support tickets (after returns and orders, 3% heavy users, a quarter with
//!   null cost), reviews (8% of customers review often; lower ratings after returns), referrals
//!   (7% of customers were referred by a customer of the same block who bought in the 90 days
//!   before; the referral precedes the referred customer's first order).
//! * Customers: 3% of records never ordered; 0.1% of buyers have no record. PII is messy and
//!   fictional (see `generate_people.rs`).
//! * Bad rows only on request ([`GenerateOptions::bad_rows`]), added after the good rows are
//!   fixed, so the good rows are the same with or without them.
//!
//! A fit on 1M customers recovers the defaults within 1% (r 0.2503, α 4.009, a 0.804, b 2.521,
//! p 6.01, q 4.00, γ 49.9); on 100k customers the sampling noise is up to ~5% (b, p, γ).
//!
//! # Layout
//!
//! `<out>/orders/order_month=YYYY-MM/part-0.parquet`, `order_lines` by the month of their order,
//! `returns/return_month=`, `support_tickets/ticket_month=`, `referrals/referral_month=`,
//! `reviews/review_month=` by their own timestamp, `customers/part-N.parquet` (262,144
//! customers a file). Order ids are numbered chronologically. A re-run replaces these folders.
//!
//! # Determinism
//!
//! Customers are drawn in blocks of 4,096 with one RNG per (seed, block, purpose), so the output
//! is byte-identical for the same options whatever the thread count. Every collection written is
//! sorted by explicit keys. The RNG is rand's `StdRng`, pinned by Cargo.lock.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::array::{ArrayRef, Float64Array, Int64Array, StringBuilder, TimestampMicrosecondArray};
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Datelike, Months, NaiveDate};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::generate_orders::{
    self as orders_gen, BlockOrders, CANCELLED, CATEGORIES, CHANNELS, COMPLETED, LineRec, NO_CUSTOMER, OrderRec,
    ReferralRec, ReturnRec, ReviewRec, STATUSES, TicketRec,
};
use crate::generate_people::{self as people_gen, COUNTRIES};
use crate::schema::arrow_schema;

/// The sources of the canonical schema, in the order they are documented.
pub const SOURCES: [&str; 7] =
    ["orders", "order_lines", "returns", "support_tickets", "customers", "referrals", "reviews"];

/// Customers per block (the unit of RNG derivation and of parallel work).
const BLOCK: u32 = 4096;
/// Blocks per customers file.
const BLOCKS_PER_CUSTOMER_FILE: usize = 64;
const ZSTD_LEVEL: i32 = 3;
pub(crate) const DAY_US: i64 = 86_400_000_000;
const STREAM_ORDERS: u64 = 1;
const STREAM_PEOPLE: u64 = 2;
const STREAM_BAD: u64 = 3;

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

    fn validate(&self) -> Result<(), GenerateError> {
        let all = [
            ("r", self.r),
            ("alpha", self.alpha),
            ("a", self.a),
            ("b", self.b),
            ("p", self.p),
            ("q", self.q),
            ("gamma", self.gamma),
        ];
        for (name, v) in all {
            if !(v.is_finite() && v > 0.0) {
                return Err(GenerateError::InvalidOption(format!("truth.{name} must be a positive number, got {v}")));
            }
        }
        Ok(())
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

/// The month-partition column of a source's folders (`<column>=YYYY-MM`), None for customers.
pub fn partition_column(source: &str) -> Option<&'static str> {
    match source {
        "orders" | "order_lines" => Some("order_month"),
        "returns" => Some("return_month"),
        "support_tickets" => Some("ticket_month"),
        "referrals" => Some("referral_month"),
        "reviews" => Some("review_month"),
        _ => None,
    }
}

/// Validated options, shared by the generator modules.
pub(crate) struct Plan {
    pub start_us: i64,
    pub end_us: i64,
    /// Days of history: `start_us + days · DAY_US == end_us`.
    pub days: i64,
    pub truth: TrueParams,
    /// Indices into [`COUNTRIES`].
    pub countries: Vec<usize>,
    pub ad_consent_rate: f64,
}

fn plan(opts: &GenerateOptions) -> Result<Plan, GenerateError> {
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
    opts.truth.validate()?;
    if opts.countries.is_empty() {
        return invalid("countries must not be empty".into());
    }
    let mut countries = Vec::new();
    for code in &opts.countries {
        let idx = people_gen::country_index(code).ok_or_else(|| GenerateError::UnknownCountry(code.clone()))?;
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

/// One RNG per (seed, block, purpose), independent of threads.
pub(crate) fn block_rng(seed: u64, block: u64, stream: u64) -> StdRng {
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

/// Writes the sample data set described by `opts` (see the module documentation).
pub fn generate(opts: &GenerateOptions) -> Result<GenerateSummary, GenerateError> {
    let plan = plan(opts)?;
    let n_blocks = opts.customers.div_ceil(BLOCK as u64) as usize;
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        n => n,
    }
    .clamp(1, n_blocks.max(1));

    // 1. Draw every block (in parallel; each block has its own RNGs).
    let customers_schema = arrow_schema("customers").expect("known source");
    let blocks = parallel(threads, n_blocks, |b| {
        let first = b as u32 * BLOCK;
        let count = (opts.customers - first as u64).min(BLOCK as u64) as u32;
        let mut rng = block_rng(opts.seed, b as u64, STREAM_ORDERS);
        let drawn = orders_gen::generate_block(&plan, first, count, &mut rng);
        let mut rng = block_rng(opts.seed, b as u64, STREAM_PEOPLE);
        let (batch, missing) =
            people_gen::customers_batch(&plan, customers_schema.clone(), first, &drawn.signups, &mut rng)
                .map_err(|source| GenerateError::Arrow { table: "customers", source })?;
        Ok((drawn, batch, missing))
    })?;

    // 2. Concatenate the blocks in block order.
    let mut data = Data::default();
    let mut population = Population::default();
    for (drawn, batch, missing) in blocks {
        let prospects = drawn.signups.iter().filter(|s| !s.buyer).count() as u64;
        population.prospects += prospects;
        population.buyers += drawn.signups.len() as u64 - prospects;
        population.buyers_without_record += missing;
        data.append(drawn);
        data.customers.push(batch);
    }

    // 3. Number the orders chronologically.
    let mut by_time: Vec<u32> = (0..data.orders.len() as u32).collect();
    by_time.sort_unstable_by_key(|&i| {
        let o = &data.orders[i as usize];
        (o.ts, o.cust, i)
    });
    for (rank, &i) in by_time.iter().enumerate() {
        data.orders[i as usize].id = rank as u64 + 1;
    }

    // 4. Bad rows on request, from their own RNG, after the good rows are fixed.
    let bad = if opts.bad_rows > 0.0 { inject_bad_rows(&plan, opts, &mut data) } else { BTreeMap::new() };

    // 5. Write.
    remove_previous(&opts.out)?;
    let tasks = data.tasks(&opts.out, month_key(plan.start_us));
    let files = tasks.len() as u64;
    parallel(threads, tasks.len(), |t| data.write(&tasks[t]))?;

    let mut rows = BTreeMap::new();
    rows.insert("orders".to_string(), data.orders.len() as u64);
    rows.insert(
        "order_lines".to_string(),
        data.orders.iter().map(|o| o.n_lines as u64).sum::<u64>() + data.extra_lines.len() as u64,
    );
    rows.insert("returns".to_string(), data.returns.len() as u64);
    rows.insert("support_tickets".to_string(), data.tickets.len() as u64);
    rows.insert("customers".to_string(), data.customers.iter().map(|b| b.num_rows() as u64).sum());
    rows.insert("referrals".to_string(), data.referrals.len() as u64);
    rows.insert("reviews".to_string(), data.reviews.len() as u64);
    let summary = GenerateSummary { rows, files, truth: opts.truth, bad_rows: bad };
    write_manifest(opts, &plan, &population, &summary)?;
    Ok(summary)
}

/// Runs `work(0..n)` on `threads` threads; results in index order, the first error by index.
fn parallel<T: Send>(
    threads: usize,
    n: usize,
    work: impl Fn(usize) -> Result<T, GenerateError> + Sync,
) -> Result<Vec<T>, GenerateError> {
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, Result<T, GenerateError>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.min(n).max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        done.push((i, work(i)));
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("generator thread panicked")).collect()
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

#[derive(Clone, Copy)]
struct ExtraLine {
    order_id: u64,
    month: i32,
    line: LineRec,
}

#[derive(Default)]
struct Data {
    orders: Vec<OrderRec>,
    lines: Vec<LineRec>,
    returns: Vec<ReturnRec>,
    tickets: Vec<TicketRec>,
    referrals: Vec<ReferralRec>,
    reviews: Vec<ReviewRec>,
    customers: Vec<RecordBatch>,
    /// Bad lines that belong to no order's line range (negative quantities, unknown orders).
    extra_lines: Vec<ExtraLine>,
}

/// One Parquet file to write.
enum Task {
    Orders { path: PathBuf, rows: Vec<u32> },
    Lines { path: PathBuf, rows: Vec<u32>, extra: Range<usize> },
    Returns { path: PathBuf, rows: Range<usize> },
    Tickets { path: PathBuf, rows: Range<usize> },
    Referrals { path: PathBuf, rows: Range<usize> },
    Reviews { path: PathBuf, rows: Range<usize> },
    Customers { path: PathBuf, batches: Range<usize> },
}

impl Data {
    fn append(&mut self, b: BlockOrders) {
        let order_base = self.orders.len() as u32;
        let line_base = self.lines.len() as u32;
        self.orders.extend(b.orders.into_iter().map(|mut o| {
            o.first_line += line_base;
            o
        }));
        self.lines.extend(b.lines);
        self.returns.extend(b.returns.into_iter().map(|mut r| {
            r.order += order_base;
            r.line += line_base;
            r
        }));
        self.tickets.extend(b.tickets);
        self.referrals.extend(b.referrals);
        self.reviews.extend(b.reviews);
    }

    /// Sorts every collection by explicit keys and cuts it into one file per month.
    fn tasks(&mut self, out: &Path, first_month: i32) -> Vec<Task> {
        let mut tasks = Vec::new();
        let orders = &self.orders;
        let mut seq: Vec<u32> = (0..orders.len() as u32).collect();
        seq.sort_unstable_by_key(|&i| {
            let o = &orders[i as usize];
            (o.ts, o.id, i)
        });
        self.extra_lines.sort_unstable_by_key(|e| (e.month, e.order_id, e.line.category, e.line.sku));
        let extra = &self.extra_lines;
        let months = group_by(&seq, |&i| month_key(orders[i as usize].ts));
        if months.is_empty() {
            tasks.push(Task::Orders { path: part(out, "orders", first_month), rows: vec![] });
            tasks.push(Task::Lines { path: part(out, "order_lines", first_month), rows: vec![], extra: 0..0 });
        }
        for (month, range) in months {
            let rows: Vec<u32> = seq[range].to_vec();
            let lo = extra.partition_point(|e| e.month < month);
            let hi = extra.partition_point(|e| e.month <= month);
            tasks.push(Task::Lines { path: part(out, "order_lines", month), rows: rows.clone(), extra: lo..hi });
            tasks.push(Task::Orders { path: part(out, "orders", month), rows });
        }

        let returns = &mut self.returns;
        returns.sort_unstable_by_key(|r| (r.ts, orders[r.order as usize].id, r.line));
        for (month, rows) in group_or_empty(returns, first_month, |r| month_key(r.ts)) {
            tasks.push(Task::Returns { path: part(out, "returns", month), rows });
        }
        self.tickets.sort_unstable_by_key(|t| (t.ts, t.cust, t.cost_cents));
        for (month, rows) in group_or_empty(&self.tickets, first_month, |t| month_key(t.ts)) {
            tasks.push(Task::Tickets { path: part(out, "support_tickets", month), rows });
        }
        self.referrals.sort_unstable_by_key(|r| (r.ts, r.referred, r.referrer));
        for (month, rows) in group_or_empty(&self.referrals, first_month, |r| month_key(r.ts)) {
            tasks.push(Task::Referrals { path: part(out, "referrals", month), rows });
        }
        self.reviews.sort_unstable_by_key(|r| (r.ts, r.cust, r.rating));
        for (month, rows) in group_or_empty(&self.reviews, first_month, |r| month_key(r.ts)) {
            tasks.push(Task::Reviews { path: part(out, "reviews", month), rows });
        }
        let n = self.customers.len();
        for (k, start) in (0..n.max(1)).step_by(BLOCKS_PER_CUSTOMER_FILE).enumerate() {
            let path = out.join("customers").join(format!("part-{k}.parquet"));
            tasks.push(Task::Customers { path, batches: start..(start + BLOCKS_PER_CUSTOMER_FILE).min(n) });
        }
        tasks
    }

    fn write(&self, task: &Task) -> Result<(), GenerateError> {
        let (source, path, batch) = match task {
            Task::Orders { path, rows } => ("orders", path, self.orders_batch(rows)),
            Task::Lines { path, rows, extra } => ("order_lines", path, self.lines_batch(rows, extra.clone())),
            Task::Returns { path, rows } => ("returns", path, self.returns_batch(rows.clone())),
            Task::Tickets { path, rows } => ("support_tickets", path, self.tickets_batch(rows.clone())),
            Task::Referrals { path, rows } => ("referrals", path, self.referrals_batch(rows.clone())),
            Task::Reviews { path, rows } => ("reviews", path, self.reviews_batch(rows.clone())),
            Task::Customers { path, batches } => {
                let schema = arrow_schema("customers").expect("known source");
                return write_parquet(path, schema, &self.customers[batches.clone()]);
            }
        };
        let table = source_name(source);
        let batch = batch.map_err(|source| GenerateError::Arrow { table, source })?;
        write_parquet(path, arrow_schema(source).expect("known source"), &[batch])
    }

    fn orders_batch(&self, rows: &[u32]) -> Result<RecordBatch, ArrowError> {
        let n = rows.len();
        let (mut id, mut cust) = (StringBuilder::with_capacity(n, n * 10), StringBuilder::with_capacity(n, n * 8));
        let (mut status, mut channel) =
            (StringBuilder::with_capacity(n, n * 9), StringBuilder::with_capacity(n, n * 5));
        let mut ts = Vec::with_capacity(n);
        for &i in rows {
            let o = &self.orders[i as usize];
            order_id(&mut id, o.id);
            customer_id(&mut cust, o.cust);
            status.append_value(STATUSES[o.status as usize]);
            channel.append_value(CHANNELS[o.channel as usize]);
            ts.push(o.ts);
        }
        batch(
            "orders",
            vec![
                Arc::new(id.finish()),
                Arc::new(cust.finish()),
                Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
                Arc::new(status.finish()),
                Arc::new(channel.finish()),
            ],
        )
    }

    fn lines_batch(&self, rows: &[u32], extra: Range<usize>) -> Result<RecordBatch, ArrowError> {
        let n: usize = rows.iter().map(|&i| self.orders[i as usize].n_lines as usize).sum::<usize>() + extra.len();
        let mut id = StringBuilder::with_capacity(n, n * 10);
        let mut sku = StringBuilder::with_capacity(n, n * 9);
        let mut category = StringBuilder::with_capacity(n, n * 10);
        let (mut qty, mut unit, mut list, mut cost) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let mut push = |oid: u64, l: &LineRec| {
            order_id(&mut id, oid);
            let cat = &CATEGORIES[l.category as usize];
            write!(sku, "{}-{:05}", cat.sku_prefix, l.sku).ok();
            sku.append_value("");
            category.append_value(cat.name);
            qty.push(l.quantity);
            unit.push(money(l.unit_cents));
            list.push(money(l.list_cents));
            cost.push(money(l.cost_cents));
        };
        for &i in rows {
            let o = &self.orders[i as usize];
            for l in &self.lines[o.first_line as usize..o.first_line as usize + o.n_lines as usize] {
                push(o.id, l);
            }
        }
        for e in &self.extra_lines[extra] {
            push(e.order_id, &e.line);
        }
        batch(
            "order_lines",
            vec![
                Arc::new(id.finish()),
                Arc::new(sku.finish()),
                Arc::new(category.finish()),
                Arc::new(Int64Array::from(qty)),
                Arc::new(Float64Array::from(unit)),
                Arc::new(Float64Array::from(list)),
                Arc::new(Float64Array::from(cost)),
            ],
        )
    }

    fn returns_batch(&self, rows: Range<usize>) -> Result<RecordBatch, ArrowError> {
        let rows = &self.returns[rows];
        let n = rows.len();
        let (mut id, mut sku) = (StringBuilder::with_capacity(n, n * 10), StringBuilder::with_capacity(n, n * 9));
        let (mut qty, mut refund, mut ts) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for r in rows {
            order_id(&mut id, self.orders[r.order as usize].id);
            let l = &self.lines[r.line as usize];
            write!(sku, "{}-{:05}", CATEGORIES[l.category as usize].sku_prefix, l.sku).ok();
            sku.append_value("");
            qty.push(r.quantity);
            refund.push(money(r.refund_cents));
            ts.push(r.ts);
        }
        batch(
            "returns",
            vec![
                Arc::new(id.finish()),
                Arc::new(sku.finish()),
                Arc::new(Int64Array::from(qty)),
                Arc::new(Float64Array::from(refund)),
                Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
            ],
        )
    }

    fn tickets_batch(&self, rows: Range<usize>) -> Result<RecordBatch, ArrowError> {
        let rows = &self.tickets[rows];
        let n = rows.len();
        let mut cust = StringBuilder::with_capacity(n, n * 8);
        let (mut ts, mut cost) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for t in rows {
            customer_id(&mut cust, t.cust);
            ts.push(t.ts);
            cost.push((t.cost_cents >= 0).then(|| money(t.cost_cents)));
        }
        batch(
            "support_tickets",
            vec![
                Arc::new(cust.finish()),
                Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
                Arc::new(Float64Array::from(cost)),
            ],
        )
    }

    fn referrals_batch(&self, rows: Range<usize>) -> Result<RecordBatch, ArrowError> {
        let rows = &self.referrals[rows];
        let n = rows.len();
        let (mut from, mut to) = (StringBuilder::with_capacity(n, n * 8), StringBuilder::with_capacity(n, n * 8));
        let mut ts = Vec::with_capacity(n);
        for r in rows {
            customer_id(&mut from, r.referrer);
            customer_id(&mut to, r.referred);
            ts.push(r.ts);
        }
        batch(
            "referrals",
            vec![
                Arc::new(from.finish()),
                Arc::new(to.finish()),
                Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
            ],
        )
    }

    fn reviews_batch(&self, rows: Range<usize>) -> Result<RecordBatch, ArrowError> {
        let rows = &self.reviews[rows];
        let n = rows.len();
        let mut cust = StringBuilder::with_capacity(n, n * 8);
        let (mut ts, mut rating) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for r in rows {
            customer_id(&mut cust, r.cust);
            ts.push(r.ts);
            rating.push(r.rating as i64);
        }
        batch(
            "reviews",
            vec![
                Arc::new(cust.finish()),
                Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
                Arc::new(Int64Array::from(rating)),
            ],
        )
    }
}

fn source_name(source: &str) -> &'static str {
    SOURCES.iter().find(|s| **s == source).copied().unwrap_or("unknown")
}

fn batch(source: &str, columns: Vec<ArrayRef>) -> Result<RecordBatch, ArrowError> {
    RecordBatch::try_new(arrow_schema(source).expect("known source"), columns)
}

fn money(cents: i64) -> f64 {
    cents as f64 / 100.0
}

fn order_id(b: &mut StringBuilder, id: u64) {
    write!(b, "O{id:09}").ok();
    b.append_value("");
}

fn customer_id(b: &mut StringBuilder, cust: u32) {
    if cust == NO_CUSTOMER {
        b.append_null();
    } else {
        write!(b, "C{:07}", cust as u64 + 1).ok();
        b.append_value("");
    }
}

/// Months since year 0 (year · 12 + month − 1) of a UTC timestamp in microseconds.
fn month_key(ts_us: i64) -> i32 {
    let d = DateTime::from_timestamp_micros(ts_us).expect("timestamp in range").date_naive();
    d.year() * 12 + d.month0() as i32
}

fn part(out: &Path, source: &str, month: i32) -> PathBuf {
    let column = partition_column(source).expect("partitioned source");
    out.join(source)
        .join(format!("{column}={:04}-{:02}", month.div_euclid(12), month.rem_euclid(12) + 1))
        .join("part-0.parquet")
}

/// Consecutive runs of equal keys in a sorted slice.
fn group_by<T>(items: &[T], key: impl Fn(&T) -> i32) -> Vec<(i32, Range<usize>)> {
    let mut out: Vec<(i32, Range<usize>)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let k = key(item);
        match out.last_mut() {
            Some((last, range)) if *last == k => range.end = i + 1,
            _ => out.push((k, i..i + 1)),
        }
    }
    out
}

/// Like [`group_by`], but an empty source still gets one (empty) file so its folder and
/// schema exist.
fn group_or_empty<T>(items: &[T], first_month: i32, key: impl Fn(&T) -> i32) -> Vec<(i32, Range<usize>)> {
    let groups = group_by(items, key);
    if groups.is_empty() { vec![(first_month, 0..0)] } else { groups }
}

fn write_parquet(path: &Path, schema: SchemaRef, batches: &[RecordBatch]) -> Result<(), GenerateError> {
    let io = |source| GenerateError::Io { path: path.to_path_buf(), source };
    let pq = |source| GenerateError::Parquet { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let file = std::fs::File::create(path).map_err(io)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL).map_err(pq)?))
        .build();
    let mut writer = ArrowWriter::try_new(std::io::BufWriter::new(file), schema, Some(props)).map_err(pq)?;
    for b in batches {
        writer.write(b).map_err(pq)?;
    }
    let mut buffered = writer.into_inner().map_err(pq)?;
    buffered.flush().map_err(io)?;
    Ok(())
}

/// Removes what a previous run wrote (the source folders and the manifest), nothing else.
fn remove_previous(out: &Path) -> Result<(), GenerateError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| GenerateError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    for source in SOURCES {
        let dir = out.join(source);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
    }
    let manifest = out.join("_generator.json");
    if manifest.exists() {
        std::fs::remove_file(&manifest).map_err(io(&manifest))?;
    }
    Ok(())
}

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
struct Population {
    buyers: u64,
    prospects: u64,
    buyers_without_record: u64,
}

#[derive(Serialize)]
struct Expected {
    mean_order_value: f64,
    mean_purchase_rate_per_week: f64,
    mean_dropout_probability: f64,
}

fn write_manifest(
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

/// Adds bad rows of five kinds, `bad_rows × orders / 5` of each (at least one), and returns
/// their counts by kind.
fn inject_bad_rows(plan: &Plan, opts: &GenerateOptions, data: &mut Data) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    let n_good = data.orders.len();
    let completed: Vec<u32> = (0..n_good as u32)
        .filter(|&i| {
            let o = &data.orders[i as usize];
            o.status == COMPLETED && o.n_lines > 0
        })
        .collect();
    if completed.is_empty() {
        return counts;
    }
    let per_kind = ((opts.bad_rows * n_good as f64 / 5.0).round() as u64).max(1);
    let mut rng = block_rng(opts.seed, u64::MAX, STREAM_BAD);
    let mut next_id = n_good as u64 + 1;
    let some_order = |rng: &mut StdRng| data_order(&completed, rng);

    // Orders without a customer id and orders in the future, each with a copy of real lines.
    for kind in ["orders_null_customer_id", "orders_future_ts"] {
        for _ in 0..per_kind {
            let src = data.orders[some_order(&mut rng)];
            let first_line = data.lines.len() as u32;
            for k in 0..src.n_lines as usize {
                let line = data.lines[src.first_line as usize + k];
                data.lines.push(line);
            }
            let (cust, ts) = if kind == "orders_null_customer_id" {
                (NO_CUSTOMER, orders_gen::secs(plan.start_us + rng.random_range(0..plan.days * DAY_US)))
            } else {
                (src.cust, orders_gen::secs(plan.end_us + rng.random_range(DAY_US..365 * DAY_US)))
            };
            data.orders.push(OrderRec { ts, cust, first_line, id: next_id, ..src });
            next_id += 1;
        }
        counts.insert(kind.to_string(), per_kind);
    }
    // The same order id again, with another status and channel a few hours later.
    for _ in 0..per_kind {
        let src = data.orders[some_order(&mut rng)];
        let ts = (src.ts + rng.random_range(3_600_000_000..6 * 3_600_000_000)).min(plan.end_us - 1);
        let status = if src.status == COMPLETED { CANCELLED } else { COMPLETED };
        let channel = (src.channel + 1) % CHANNELS.len() as u8;
        data.orders.push(OrderRec { ts, status, channel, n_lines: 0, ..src });
    }
    counts.insert("orders_duplicate_id".to_string(), per_kind);
    // Negative quantities on real orders, and lines of orders that do not exist.
    for k in 0..per_kind {
        let src = data.orders[some_order(&mut rng)];
        let mut line = data.lines[src.first_line as usize];
        line.quantity = -rng.random_range(1..=3);
        line.sku = 99_000 + k as u32 % 1000;
        data.extra_lines.push(ExtraLine { order_id: src.id, month: month_key(src.ts), line });
    }
    counts.insert("order_lines_negative_quantity".to_string(), per_kind);
    for _ in 0..per_kind {
        let src = data.orders[some_order(&mut rng)];
        let line = data.lines[src.first_line as usize];
        data.extra_lines.push(ExtraLine { order_id: next_id, month: month_key(src.ts), line });
        next_id += 1;
    }
    counts.insert("order_lines_without_order".to_string(), per_kind);
    counts
}

fn data_order(completed: &[u32], rng: &mut StdRng) -> usize {
    completed[rng.random_range(0..completed.len())] as usize
}
