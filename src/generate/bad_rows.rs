//! Bad-row injection of `vipseg generate` (only on request, [`GenerateOptions::bad_rows`]):
//! orders without a customer, orders in the future, duplicate order ids, negative quantities and
//! lines without an order, drawn from their own RNG after the good rows are fixed.

use std::collections::BTreeMap;

use rand::Rng;
use rand::rngs::StdRng;

use crate::generate::options::GenerateOptions;
use crate::generate::plan::{DAY_US, Plan, STREAM_BAD, block_rng, month_key, secs};
use crate::generate::records::{CANCELLED, CHANNELS, COMPLETED, Data, ExtraLine, NO_CUSTOMER, OrderRec};

/// Adds bad rows of five kinds, `bad_rows × orders / 5` of each (at least one), and returns
/// their counts by kind.
pub(super) fn inject_bad_rows(plan: &Plan, opts: &GenerateOptions, data: &mut Data) -> BTreeMap<String, u64> {
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
                (NO_CUSTOMER, secs(plan.start_us + rng.random_range(0..plan.days * DAY_US)))
            } else {
                (src.cust, secs(plan.end_us + rng.random_range(DAY_US..365 * DAY_US)))
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
