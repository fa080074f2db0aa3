//! A small, seeded shop history for the storage, fault, crash and determinism tests: every
//! source of the canonical schema, a few dozen customers over 30 months, with discounts,
//! returns, tickets, referrals and reviews, so every shipped model has rows to work on.
//!
//! Every fact carries the time it became known; [`Shop::known_before`] cuts the history at a
//! date, which gives both "the data as it was on D" and "what arrived since" (the growth a
//! backfill must ignore).

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma};
use serde_json::{Value, json};

use crate::fixtures::{Rows, SOURCES};
use crate::support::date;

/// One fact: its source, when it became known, and its row.
#[derive(Debug, Clone)]
struct Fact {
    source: &'static str,
    known_at: NaiveDateTime,
    row: Value,
}

#[derive(Debug, Clone)]
pub struct Shop {
    facts: Vec<Fact>,
}

fn ts(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn at(date: NaiveDate, rng: &mut StdRng) -> NaiveDateTime {
    date.and_time(NaiveTime::from_num_seconds_from_midnight_opt(rng.random_range(0..86_400), 0).unwrap())
}

const CATEGORIES: [&str; 6] = ["books", "toys", "garden", "kitchen", "outdoor", "beauty"];
const COUNTRIES: [&str; 4] = ["US", "DE", "FR", "GB"];

impl Shop {
    /// `customers` customers whose history runs from `start` to `end` (exclusive).
    pub fn new(seed: u64, customers: usize, start: NaiveDate, end: NaiveDate) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let days = (end - start).num_days();
        let mut facts = Vec::new();
        let mut first_orders = Vec::new();
        for c in 0..customers {
            let customer = format!("c{c:04}");
            // Signed up some time in the history, with a first order then.
            let signup = at(start + Duration::days(rng.random_range(0..days)), &mut rng);
            facts.push(Fact {
                source: "customers",
                known_at: signup,
                row: json!({
                    "customer_id": customer,
                    "email": format!("{customer}@example.com"),
                    "phone": format!("+1555{c:07}"),
                    "first_name": format!("First{c}"),
                    "last_name": format!("Last{c}"),
                    "city": "Springfield",
                    "region": "XX",
                    "postal_code": format!("{:05}", 10_000 + c),
                    "country": COUNTRIES[c % COUNTRIES.len()],
                    "birth_date": format!("19{:02}-0{}-1{}", 50 + c % 50, 1 + c % 9, c % 10),
                    "gender": if c % 2 == 0 { "f" } else { "m" },
                    "ad_consent": c % 3 != 0,
                    "consent_ts": ts(signup),
                }),
            });
            // Buying as the BG/NBD model assumes (what the CLV model fits): while alive, orders
            // come at a Poisson rate (Gamma-distributed across customers); after each order the
            // customer drops out with a Beta-distributed probability. Order values follow the
            // Gamma-Gamma spend model.
            let rate_per_day: f64 = Gamma::new(1.2, 1.0 / 40.0).unwrap().sample(&mut rng);
            let dropout = Beta::new(1.0, 4.0).unwrap().sample(&mut rng);
            let customer_spend_scale: f64 = Gamma::new(4.0, 1.0 / 60.0).unwrap().sample(&mut rng);
            let order_value = Gamma::new(6.0, 1.0 / customer_spend_scale).unwrap();
            let mut order_times = vec![signup];
            let end_time = end.and_time(NaiveTime::MIN);
            while order_times.len() < 40 && !rng.random_bool(dropout) {
                let gap_days: f64 = Exp::new(rate_per_day.max(1e-4)).unwrap().sample(&mut rng);
                let next = *order_times.last().unwrap() + Duration::seconds((gap_days * 86_400.0) as i64 + 1);
                if next >= end_time {
                    break;
                }
                order_times.push(next);
            }
            first_orders.push((customer.clone(), order_times[0]));
            let discount_lover = rng.random_bool(0.15);
            for (o, order_ts) in order_times.into_iter().enumerate() {
                let order_id = format!("o{c:04}-{o:02}");
                let status = match rng.random_range(0..20) {
                    0 => "cancelled",
                    1 => "pending",
                    _ => "completed",
                };
                let channel = ["web", "app", "store"][rng.random_range(0..3)];
                facts.push(Fact {
                    source: "orders",
                    known_at: order_ts,
                    row: json!({
                        "order_id": order_id, "customer_id": customer, "order_ts": ts(order_ts),
                        "status": status, "channel": channel,
                    }),
                });
                let n_lines = rng.random_range(1..=3);
                let value: f64 = order_value.sample(&mut rng);
                for l in 0..n_lines {
                    let category = CATEGORIES[rng.random_range(0..CATEGORIES.len())];
                    let sku = format!("{category}-{}", rng.random_range(0..8));
                    let list_price = (value / f64::from(n_lines)).max(1.0).round() + 0.99;
                    let discounted = discount_lover || rng.random_bool(0.2);
                    let unit_price = if discounted { (list_price * 0.7 * 100.0).round() / 100.0 } else { list_price };
                    let unit_cost = (list_price * rng.random_range(0.35..0.7) * 100.0).round() / 100.0;
                    let quantity = if rng.random_bool(0.8) { 1 } else { 2 };
                    let sku = format!("{sku}-{l}");
                    facts.push(Fact {
                        source: "order_lines",
                        known_at: order_ts,
                        row: json!({
                            "order_id": order_id, "sku": sku, "category": category, "quantity": quantity,
                            "unit_price": unit_price, "list_price": list_price, "unit_cost": unit_cost,
                        }),
                    });
                    if status == "completed" && rng.random_bool(0.12) {
                        let returned = rng.random_range(1..=quantity);
                        let return_ts = order_ts + Duration::days(rng.random_range(2..40));
                        facts.push(Fact {
                            source: "returns",
                            known_at: return_ts,
                            row: json!({
                                "order_id": order_id, "sku": sku, "quantity": returned,
                                "refund_amount": unit_price * f64::from(returned), "return_ts": ts(return_ts),
                            }),
                        });
                    }
                }
                if rng.random_bool(0.15) {
                    let ticket_ts = order_ts + Duration::hours(rng.random_range(1..500));
                    let cost =
                        if rng.random_bool(0.5) { json!(f64::from(rng.random_range(2..20))) } else { Value::Null };
                    facts.push(Fact {
                        source: "support_tickets",
                        known_at: ticket_ts,
                        row: json!({"customer_id": customer, "ticket_ts": ts(ticket_ts), "cost": cost}),
                    });
                }
                if rng.random_bool(0.25) {
                    let review_ts = order_ts + Duration::days(rng.random_range(1..20));
                    facts.push(Fact {
                        source: "reviews",
                        known_at: review_ts,
                        row: json!({"customer_id": customer, "review_ts": ts(review_ts), "rating": rng.random_range(1..=5)}),
                    });
                }
            }
        }
        // Referrals: an earlier customer referred a later one shortly before its first order.
        for i in (3..customers).step_by(4) {
            let (referred, first) = &first_orders[i];
            let referrer = &first_orders[rng.random_range(0..i)].0;
            let referral_ts = *first - Duration::hours(rng.random_range(1..72));
            facts.push(Fact {
                source: "referrals",
                known_at: referral_ts,
                row: json!({"referrer_id": referrer, "referred_id": referred, "referral_ts": ts(referral_ts)}),
            });
        }
        // A few bad rows, well under the default max_rejected_rate, so rejected_rows has rows.
        let bad_at = start.and_time(NaiveTime::MIN) + Duration::days(100);
        facts.push(Fact {
            source: "orders",
            known_at: bad_at,
            row: json!({"order_id": "bad-o1", "customer_id": null, "order_ts": ts(bad_at), "status": "completed"}),
        });
        let some_order = facts.iter().find(|f| f.source == "orders").unwrap().row["order_id"].clone();
        facts.push(Fact {
            source: "order_lines",
            known_at: bad_at,
            row: json!({
                "order_id": some_order, "sku": "bad-sku", "category": "books", "quantity": -1,
                "unit_price": 10.0, "list_price": 10.0, "unit_cost": 5.0,
            }),
        });
        Self { facts }
    }

    /// The facts known before `cutoff` (what a run on that date could see), per source.
    pub fn known_before(&self, cutoff: NaiveDate) -> Rows {
        self.select(|f| f.known_at < cutoff.and_time(NaiveTime::MIN))
    }

    /// The facts that arrived on or after `cutoff`: the growth of the dataset since.
    pub fn known_since(&self, cutoff: NaiveDate) -> Rows {
        self.select(|f| f.known_at >= cutoff.and_time(NaiveTime::MIN))
    }

    /// The facts that `keep`, per source; every source is there, also without rows (so that
    /// writing them gives every source folder).
    fn select(&self, keep: impl Fn(&Fact) -> bool) -> Rows {
        let mut rows = Rows::default();
        for source in SOURCES {
            rows.add(
                source,
                self.facts.iter().filter(|f| f.source == source && keep(f)).map(|f| f.row.clone()).collect(),
            );
        }
        rows
    }
}

/// The standard small shop of these tests: 200 customers, history from 2024-01-01 to
/// 2026-11-01 (before the day these tests were written: data from the future is rejected). Most
/// tests run on D = 2026-07-01 with the facts known before D; the rest is the
/// growth a later backfill for D must ignore.
pub fn small_shop(seed: u64) -> Shop {
    Shop::new(seed, 200, date("2024-01-01"), date("2026-11-01"))
}

/// The seed of the shop most tests use.
pub const SEED: u64 = 12;
