//! The purchase process of `vipseg generate`: per customer a BG/NBD purchase history, Gamma-Gamma
//! order values split into order lines, and the returns, support tickets, reviews and referrals
//! that follow from it. Everything here is drawn from one RNG per customer block, in a fixed order,
//! and kept in compact records (`records.rs`) until `write.rs` writes the Parquet files.

use rand::Rng;
use rand::rngs::StdRng;
use rand_distr::{Beta, Distribution, Exp, Gamma, Poisson};

use crate::generate::catalog::CATEGORIES;
use crate::generate::plan::{DAY_US, Plan, pick, secs};
use crate::generate::records::{
    BlockOrders, CANCELLED, COMPLETED, LineRec, OrderRec, PENDING, REFUNDED, ReferralRec, ReturnRec, ReviewRec, Signup,
    TicketRec,
};

const CHANNEL_WEIGHTS: [f64; 4] = [0.45, 0.30, 0.15, 0.10];

// Shares and rates of the behaviour around the model (documented in `mod.rs`).
/// Customer records that never ordered (newsletter sign-ups, abandoned accounts).
const PROSPECT_SHARE: f64 = 0.03;
/// Customers who buy mostly discounted items.
const BARGAIN_SHARE: f64 = 0.15;
/// Customers who return far more than others, and their return-rate multiplier.
const SERIAL_RETURNER_SHARE: f64 = 0.05;
const SERIAL_RETURNER_FACTOR: f64 = 4.0;
/// Customers with many support tickets, and their ticket rate per active month.
const HEAVY_TICKET_SHARE: f64 = 0.03;
const HEAVY_TICKETS_PER_MONTH: f64 = 0.6;
/// Orders outside the model (cancelled, refunded, pending) per model purchase.
const EXTRA_ORDERS_PER_PURCHASE: f64 = 0.08;
/// Customers who came through a referral.
const REFERRED_SHARE: f64 = 0.07;
/// Yearly growth of customer acquisition (more new customers towards the end of the history).
const ACQUISITION_GROWTH: f64 = 0.20;
const WEEK_DAYS: f64 = 7.0;

/// Relative order volume per hour of the day (UTC), evenings busiest.
const HOUR_WEIGHTS: [f64; 24] = [
    1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.0, 2.0, 3.0, 4.0, 4.5, 5.0, 5.5, 5.0, 5.0, 5.0, 5.5, 6.0, 7.0, 8.0, 8.5, 7.0, 5.0,
    2.5,
];

/// The model's distributions, built once per block.
struct Dists {
    lambda: Gamma<f64>,
    dropout: Beta<f64>,
    nu: Gamma<f64>,
    unit_exp: Exp<f64>,
    hour_cum: [f64; 24],
}

/// Per-customer behaviour that is not part of the CLV model.
struct Traits {
    bargain: bool,
    favourites: [u8; 2],
    channel: u8,
    returns: f64,
    heavy_tickets: bool,
    reviews: f64,
}

/// Draws the order history of customers `first .. first + count` (global indices).
pub(super) fn generate_block(plan: &Plan, first: u32, count: u32, rng: &mut StdRng) -> BlockOrders {
    let t = &plan.truth;
    let dists = Dists {
        lambda: Gamma::new(t.r, 1.0 / t.alpha).expect("validated"),
        dropout: Beta::new(t.a, t.b).expect("validated"),
        nu: Gamma::new(t.q, 1.0 / t.gamma).expect("validated"),
        unit_exp: Exp::new(1.0).expect("constant"),
        hour_cum: cumulative(&HOUR_WEIGHTS),
    };
    let mut out = BlockOrders::default();
    let mut first_orders: Vec<(u32, i64)> = Vec::new();
    for cust in first..first + count {
        if rng.random_bool(PROSPECT_SHARE) {
            let ts = secs(plan.start_us + rng.random_range(0..plan.days * DAY_US));
            out.signups.push(Signup { ts, buyer: false });
            continue;
        }
        let first_ts = customer(plan, &dists, cust, rng, &mut out);
        // The account is created at checkout, a few minutes before the first order.
        let signup = first_ts - rng.random_range(60..45 * 60) * 1_000_000;
        out.signups.push(Signup { ts: signup, buyer: true });
        first_orders.push((cust, first_ts));
    }
    referrals(plan, &first_orders, rng, &mut out);
    out
}

/// One customer's history; returns the timestamp of the first (acquisition) order.
fn customer(plan: &Plan, d: &Dists, cust: u32, rng: &mut StdRng, out: &mut BlockOrders) -> i64 {
    let tr = &plan.truth;
    let horizon = plan.days as f64 / WEEK_DAYS; // weeks
    // Acquisition time, density growing by ACQUISITION_GROWTH a year.
    let k = (1.0 + ACQUISITION_GROWTH).ln() / 52.18;
    let u: f64 = rng.random();
    let t0 = ((1.0 + u * ((k * horizon).exp() - 1.0)).ln() / k).min(horizon * (1.0 - 1e-12));

    // BG/NBD: λ ~ Gamma(r, α) per week, p ~ Beta(a, b); Poisson purchases, after each repeat
    // purchase the customer drops out with probability p.
    let lambda = d.lambda.sample(rng);
    let p_drop = d.dropout.sample(rng);
    let mut times = vec![t0];
    if lambda > 1e-12 {
        let mut t = t0;
        loop {
            t += d.unit_exp.sample(rng) / lambda;
            if t >= horizon {
                break;
            }
            times.push(t);
            if rng.random_bool(p_drop.clamp(0.0, 1.0)) {
                break;
            }
        }
    }
    // Gamma-Gamma: ν ~ Gamma(q, γ), each order value z ~ Gamma(p, ν).
    let nu = d.nu.sample(rng).max(1e-9);
    let value = Gamma::new(tr.p, 1.0 / nu).expect("validated");

    let traits = Traits {
        bargain: rng.random_bool(BARGAIN_SHARE),
        favourites: [pick_category(rng, None), pick_category(rng, None)],
        channel: pick(rng, &CHANNEL_WEIGHTS) as u8,
        returns: if rng.random_bool(SERIAL_RETURNER_SHARE) { SERIAL_RETURNER_FACTOR } else { 1.0 },
        heavy_tickets: rng.random_bool(HEAVY_TICKET_SHARE),
        reviews: if rng.random_bool(0.08) { 0.35 } else { 0.02 },
    };

    // One completed order per day at most: the CLV fit merges same-day orders, so a second
    // purchase on the same day moves to the next day (dropped if that is past the end).
    let mut first_ts = i64::MAX;
    let mut last_ts = 0;
    let mut prev_day = -1;
    for &t in &times {
        let day = ((t * WEEK_DAYS).floor() as i64).max(prev_day + 1);
        if day >= plan.days {
            break;
        }
        prev_day = day;
        let ts = at_day(plan, d, day, rng);
        first_ts = first_ts.min(ts);
        last_ts = last_ts.max(ts);
        let z: f64 = value.sample(rng);
        let cents = ((z * 100.0).round() as i64).max(1);
        let idx = push_order(&traits, cust, ts, COMPLETED, cents, rng, out);
        after_order(plan, &traits, idx, rng, out);
    }
    // Orders outside the model: cancelled, refunded, pending. They never count, so the
    // completed orders above follow the model exactly.
    let extra = Poisson::new(EXTRA_ORDERS_PER_PURCHASE * times.len() as f64).expect("positive");
    let n_extra = extra.sample(rng) as usize;
    for _ in 0..n_extra {
        let t = rng.random_range(t0..horizon);
        let mut ts = timestamp(plan, d, t, rng);
        if ts <= first_ts {
            // Never before the first completed order (referrals rely on it).
            ts = first_ts + rng.random_range(60..3600) * 1_000_000;
        }
        if ts >= plan.end_us {
            continue;
        }
        let status = if plan.end_us - ts < 3 * DAY_US && rng.random_bool(0.9) {
            PENDING
        } else if rng.random_bool(0.7) {
            CANCELLED
        } else {
            REFUNDED
        };
        let z: f64 = value.sample(rng);
        let cents = ((z * 100.0).round() as i64).max(1);
        push_order(&traits, cust, ts, status, cents, rng, out);
    }
    // A few customers keep support busy while they are active.
    if traits.heavy_tickets {
        let until = (last_ts + 60 * DAY_US).min(plan.end_us);
        let months = (until - first_ts) as f64 / (30.44 * DAY_US as f64);
        if months > 0.0 {
            let n = Poisson::new(HEAVY_TICKETS_PER_MONTH * months + 1e-9).expect("positive").sample(rng) as usize;
            for _ in 0..n {
                let ts = secs(rng.random_range(first_ts..until));
                let cost_cents = ticket_cost(rng);
                out.tickets.push(TicketRec { cust, ts, cost_cents });
            }
        }
    }
    first_ts
}

/// Model time (weeks since the start) to a timestamp: the day is the model's, the time of day
/// follows the shop's daily rhythm.
fn timestamp(plan: &Plan, d: &Dists, t_weeks: f64, rng: &mut StdRng) -> i64 {
    let day = ((t_weeks * WEEK_DAYS).floor() as i64).clamp(0, plan.days - 1);
    at_day(plan, d, day, rng)
}

fn at_day(plan: &Plan, d: &Dists, day: i64, rng: &mut StdRng) -> i64 {
    let hour = pick_cum(rng, &d.hour_cum) as i64;
    let second = rng.random_range(0..3600);
    plan.start_us + day * DAY_US + (hour * 3600 + second) * 1_000_000
}

fn push_order(
    traits: &Traits,
    cust: u32,
    ts: i64,
    status: u8,
    cents: i64,
    rng: &mut StdRng,
    out: &mut BlockOrders,
) -> usize {
    let channel = if rng.random_bool(0.7) { traits.channel } else { pick(rng, &CHANNEL_WEIGHTS) as u8 };
    let first_line = out.lines.len() as u32;
    let n_lines = split_order(cents, traits, rng, &mut out.lines);
    out.orders.push(OrderRec { ts, cust, status, channel, first_line, n_lines, id: 0 });
    out.orders.len() - 1
}

/// Splits an order value (in cents) into 1-5 lines whose Σ quantity × unit_price is exactly
/// `cents`, then gives each line a category, SKU, list price and unit cost.
fn split_order(cents: i64, traits: &Traits, rng: &mut StdRng, lines: &mut Vec<LineRec>) -> u8 {
    const LINE_WEIGHTS: [f64; 5] = [0.36, 0.30, 0.17, 0.10, 0.07];
    let n = (pick(rng, &LINE_WEIGHTS) + 1).min((cents / 300).clamp(1, 5) as usize);
    // Line amounts: random shares, at least one cent each, the last line takes the rest.
    let mut weights = [0.0f64; 5];
    for w in weights.iter_mut().take(n) {
        *w = 0.25 + rng.random::<f64>() * 1.5;
    }
    let total: f64 = weights[..n].iter().sum();
    let mut amounts = [0i64; 5];
    let mut assigned = 0;
    for i in 0..n - 1 {
        amounts[i] = ((cents as f64 * weights[i] / total).floor() as i64).max(1);
        assigned += amounts[i];
    }
    amounts[n - 1] = cents - assigned;
    if amounts[n - 1] < 1 {
        // Only possible for tiny orders: fall back to one line.
        return split_order_single(cents, traits, rng, lines);
    }
    // Quantities: mostly 1; a unit price is whole cents, the remainder goes to a line of quantity 1.
    let mut qty = [1i64; 5];
    let mut unit = [0i64; 5];
    let mut rest = 0;
    for i in 0..n {
        let q = match rng.random::<f64>() {
            x if x < 0.82 => 1,
            x if x < 0.94 => 2,
            x if x < 0.98 => 3,
            _ => rng.random_range(4..=6),
        };
        qty[i] = if amounts[i] / q >= 100 { q } else { 1 };
        unit[i] = amounts[i] / qty[i];
        rest += amounts[i] - unit[i] * qty[i];
    }
    let absorber = match (0..n).find(|&i| qty[i] == 1) {
        Some(i) => i,
        None => {
            rest -= amounts[0] - unit[0] * qty[0];
            qty[0] = 1;
            unit[0] = amounts[0];
            0
        }
    };
    unit[absorber] += rest;
    let start = lines.len();
    for i in 0..n {
        let line = priced_line(unit[i], qty[i], traits, rng, &lines[start..]);
        lines.push(line);
    }
    n as u8
}

fn split_order_single(cents: i64, traits: &Traits, rng: &mut StdRng, lines: &mut Vec<LineRec>) -> u8 {
    let line = priced_line(cents, 1, traits, rng, &[]);
    lines.push(line);
    1
}

/// Category, SKU, discount and cost for a line with the given unit price.
fn priced_line(unit: i64, quantity: i64, traits: &Traits, rng: &mut StdRng, same_order: &[LineRec]) -> LineRec {
    let price = unit as f64 / 100.0;
    let category =
        if rng.random_bool(0.45) { traits.favourites[rng.random_range(0..2)] } else { pick_category(rng, Some(price)) };
    let cat = &CATEGORIES[category as usize];
    // Discounts: bargain hunters buy mostly on sale, others now and then.
    let discount: f64 = if traits.bargain {
        if rng.random_bool(0.85) { [0.2, 0.25, 0.3, 0.4, 0.5, 0.6][rng.random_range(0..6)] } else { 0.0 }
    } else {
        match rng.random::<f64>() {
            x if x < 0.17 => [0.1, 0.15, 0.2, 0.25, 0.3, 0.4][rng.random_range(0..6)],
            x if x < 0.22 => [0.02, 0.03, 0.04][rng.random_range(0..3)],
            _ => 0.0,
        }
    };
    let list_cents = if discount == 0.0 {
        unit
    } else {
        let raw = (unit as f64 / (1.0 - discount)).ceil() as i64;
        if discount >= 0.1 && raw >= 500 {
            // Shelf prices end in .99.
            (raw + 100) / 100 * 100 - 1
        } else {
            raw
        }
    };
    let cost_factor = (1.0 - cat.margin) * rng.random_range(0.85..1.15);
    let cost_cents = ((list_cents as f64 * cost_factor).round() as i64).max(1);
    // SKU: a price bucket within the category, and a popular-items-first item number.
    let bucket = ((list_cents as f64 / 100.0).max(1.0).ln() * 3.0).floor().clamp(0.0, 40.0) as u32;
    let u: f64 = rng.random();
    let mut item = (u * u * u * 500.0) as u32;
    while same_order.iter().any(|l| l.category == category && l.sku == bucket * 1000 + item) {
        item = (item + 1) % 1000;
    }
    LineRec { category, sku: bucket * 1000 + item, quantity, unit_cents: unit, list_cents, cost_cents }
}

/// Returns, support tickets and reviews that follow a completed order.
fn after_order(plan: &Plan, traits: &Traits, idx: usize, rng: &mut StdRng, out: &mut BlockOrders) {
    let order = out.orders[idx];
    let mut returned = false;
    for li in order.first_line..order.first_line + order.n_lines as u32 {
        let line = out.lines[li as usize];
        let rate = (CATEGORIES[line.category as usize].return_rate * traits.returns).min(0.8);
        if !rng.random_bool(rate) {
            continue;
        }
        let quantity =
            if line.quantity > 1 && rng.random_bool(0.4) { rng.random_range(1..line.quantity) } else { line.quantity };
        let value = quantity * line.unit_cents;
        // Some refunds keep a restocking fee.
        let refund_cents = if rng.random_bool(0.1) { (value as f64 * 0.9).round() as i64 } else { value };
        let days = 1.0 + rng.random::<f64>().powi(2) * 40.0;
        let ts = secs(order.ts + (days * DAY_US as f64) as i64);
        if ts >= plan.end_us {
            continue;
        }
        returned = true;
        out.returns.push(ReturnRec { order: idx as u32, line: li, quantity, refund_cents, ts });
        if rng.random_bool(0.4) {
            let t_ts = secs(ts - rng.random_range(0..3 * DAY_US));
            out.tickets.push(TicketRec {
                cust: order.cust,
                ts: t_ts.max(order.ts + 60_000_000),
                cost_cents: ticket_cost(rng),
            });
        }
    }
    if rng.random_bool(0.05) {
        let ts = secs(order.ts + rng.random_range(DAY_US / 24..10 * DAY_US));
        if ts < plan.end_us {
            out.tickets.push(TicketRec { cust: order.cust, ts, cost_cents: ticket_cost(rng) });
        }
    }
    if rng.random_bool(traits.reviews) {
        let days = 3.0 + rng.random::<f64>() * 25.0;
        let ts = secs(order.ts + (days * DAY_US as f64) as i64);
        if ts < plan.end_us {
            let weights: [f64; 5] =
                if returned { [0.30, 0.25, 0.25, 0.12, 0.08] } else { [0.04, 0.04, 0.10, 0.27, 0.55] };
            let rating = pick(rng, &weights) as u8 + 1;
            out.reviews.push(ReviewRec { cust: order.cust, ts, rating });
        }
    }
}

/// Chat, e-mail or phone; a quarter of tickets have no cost recorded.
fn ticket_cost(rng: &mut StdRng) -> i64 {
    match rng.random::<f64>() {
        x if x < 0.25 => -1,
        x if x < 0.60 => rng.random_range(250..400),
        x if x < 0.85 => rng.random_range(400..700),
        _ => rng.random_range(800..1800),
    }
}

/// Referred customers: the referral happens shortly before their first order, made by a
/// customer of the same block who had bought in the 90 days before (so active, frequent
/// customers refer more).
fn referrals(plan: &Plan, first_orders: &[(u32, i64)], rng: &mut StdRng, out: &mut BlockOrders) {
    let mut events: Vec<(i64, u32)> =
        out.orders.iter().filter(|o| o.status == COMPLETED).map(|o| (o.ts, o.cust)).collect();
    events.sort_unstable();
    for &(cust, first_ts) in first_orders {
        if !rng.random_bool(REFERRED_SHARE) {
            continue;
        }
        let ts = secs(first_ts - rng.random_range(DAY_US / 2..30 * DAY_US));
        if ts < plan.start_us {
            continue;
        }
        let lo = events.partition_point(|e| e.0 < ts - 90 * DAY_US);
        let hi = events.partition_point(|e| e.0 < ts);
        if hi <= lo {
            continue;
        }
        let referrer = events[rng.random_range(lo..hi)].1;
        if referrer != cust {
            out.referrals.push(ReferralRec { referrer, referred: cust, ts });
        }
    }
}

fn pick_category(rng: &mut StdRng, price: Option<f64>) -> u8 {
    let mut w = [0.0; CATEGORIES.len()];
    for (i, c) in CATEGORIES.iter().enumerate() {
        w[i] = c.weight
            * match price {
                // Expensive lines are more likely electronics, cheap ones beauty or books.
                Some(p) => {
                    let x = (p.max(0.01) / c.typical_price).ln();
                    (-x * x / 2.0).exp()
                }
                None => 1.0,
            };
    }
    pick(rng, &w) as u8
}

fn cumulative(weights: &[f64; 24]) -> [f64; 24] {
    let total: f64 = weights.iter().sum();
    let mut acc = 0.0;
    let mut out = [0.0; 24];
    for (o, w) in out.iter_mut().zip(weights) {
        acc += w / total;
        *o = acc;
    }
    out
}

fn pick_cum(rng: &mut StdRng, cum: &[f64]) -> usize {
    let x: f64 = rng.random();
    cum.partition_point(|c| *c <= x).min(cum.len() - 1)
}
