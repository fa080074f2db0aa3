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
//!   fictional (see `people.rs`).
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
//!
//! # Modules
//!
//! This file runs the steps; `options` holds the public types, `plan` the validated options and
//! shared helpers, `orders` the purchase process (with `catalog`), `people` the customer records
//! (with `countries` and `names`), `records` the drawn rows, `bad_rows` the injection, `write`
//! the Parquet files and `manifest` `_generator.json`. Dependencies point one way: this file uses
//! the others, none uses it; `options`, `plan`, `records`, `catalog`, `countries` and `names`
//! are the shared leaves.

mod bad_rows;
mod catalog;
mod countries;
mod manifest;
mod names;
mod options;
mod orders;
mod people;
mod plan;
mod records;
mod write;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use self::options::{GenerateError, GenerateOptions, GenerateSummary, TrueParams};

use self::manifest::{Population, write_manifest};
use self::plan::{BLOCK, Plan, STREAM_ORDERS, STREAM_PEOPLE, block_rng, month_key};
use self::records::Data;
use crate::io::schema::Source;

/// Writes the sample data set described by `opts` (see the module documentation).
pub fn generate(opts: &GenerateOptions) -> Result<GenerateSummary, GenerateError> {
    let plan = Plan::new(opts)?;
    let n_blocks = opts.customers.div_ceil(BLOCK as u64) as usize;
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        n => n,
    }
    .clamp(1, n_blocks.max(1));

    // 1. Draw every block (in parallel; each block has its own RNGs).
    let customers_schema = Source::Customers.arrow_schema();
    let blocks = parallel(threads, n_blocks, |b| {
        let first = b as u32 * BLOCK;
        let count = (opts.customers - first as u64).min(BLOCK as u64) as u32;
        let mut rng = block_rng(opts.seed, b as u64, STREAM_ORDERS);
        let drawn = orders::generate_block(&plan, first, count, &mut rng);
        let mut rng = block_rng(opts.seed, b as u64, STREAM_PEOPLE);
        let (batch, missing) =
            people::customers_batch(&plan, customers_schema.clone(), first, &drawn.signups, &mut rng)
                .map_err(|source| GenerateError::Arrow { table: Source::Customers.name(), source })?;
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
    let bad = if opts.bad_rows > 0.0 { bad_rows::inject_bad_rows(&plan, opts, &mut data) } else { BTreeMap::new() };

    // 5. Write.
    write::remove_previous(&opts.out)?;
    let tasks = data.tasks(&opts.out, month_key(plan.start_us));
    let files = tasks.len() as u64;
    parallel(threads, tasks.len(), |t| data.write(&tasks[t]))?;

    let rows = Source::ALL
        .into_iter()
        .map(|source| {
            let n = match source {
                Source::Orders => data.orders.len() as u64,
                Source::OrderLines => {
                    data.orders.iter().map(|o| o.n_lines as u64).sum::<u64>() + data.extra_lines.len() as u64
                }
                Source::Customers => data.customers.iter().map(|b| b.num_rows() as u64).sum(),
                Source::Returns => data.returns.len() as u64,
                Source::SupportTickets => data.tickets.len() as u64,
                Source::Referrals => data.referrals.len() as u64,
                Source::Reviews => data.reviews.len() as u64,
            };
            (source.name().to_string(), n)
        })
        .collect();
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
