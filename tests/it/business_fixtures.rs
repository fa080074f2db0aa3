//! The business models of docs/contract.md §1 on a hand-computed fixture: a dozen customers whose
//! every `customer_value` column and segment membership is worked out below, by hand, from the rows.
//!
//! As-of date D = 2026-03-01, so 12m = [2025-03-01, 2026-03-01), 6m starts 2025-09-01, 3m starts
//! 2025-12-01, prior12m = [2024-03-01, 2025-03-01). Default parameters unless a test says so:
//! ticket_cost 5, return_handling_cost 3, discount_tolerance 0.05.

// The expected values are hand computations written out in full, e.g. (1.0 - 1.0) * 40.0.
#![allow(clippy::eq_op)]

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use vipseg::run::results::RunStatus;

use crate::fixtures::{Rows, completed, customer, line, order, referral, ret, review, ticket};
use crate::support::{assert_success, by_customer, files_below, repo_sql_dir};

const D: &str = "2026-03-01";

/// The facts before D. Each customer's story (and what it tests) is next to its rows.
fn facts_before_d() -> Rows {
    let mut rows = Rows::default();
    // c01 — loyal VIP: six orders in 12m, two of them on one day (2026-02-10), one cancelled
    // order that does not count, one order before the window, three reviews in 12m.
    rows.add(
        "orders",
        vec![
            completed("o01z", "c01", "2023-05-01T12:00:00Z"),
            completed("o01a", "c01", "2025-04-10T10:00:00Z"),
            completed("o01b", "c01", "2025-06-10T10:00:00Z"),
            completed("o01c", "c01", "2025-10-10T10:00:00Z"),
            completed("o01d", "c01", "2026-01-10T10:00:00Z"),
            completed("o01e", "c01", "2026-02-10T10:00:00Z"),
            completed("o01f", "c01", "2026-02-10T15:00:00Z"),
            order("o01x", "c01", "2025-12-20T10:00:00Z", "cancelled"),
        ],
    );
    rows.add(
        "order_lines",
        vec![
            line("o01z", "b-1", "books", 1, 50.0, 50.0, 30.0),
            line("o01a", "t-1", "tech", 1, 500.0, 500.0, 300.0),
            line("o01a", "b-1", "books", 2, 20.0, 20.0, 10.0),
            line("o01b", "t-1", "tech", 1, 500.0, 500.0, 300.0),
            line("o01c", "t-1", "tech", 1, 500.0, 500.0, 300.0),
            line("o01d", "t-1", "tech", 1, 500.0, 500.0, 300.0),
            line("o01e", "t-1", "tech", 1, 500.0, 500.0, 300.0),
            line("o01f", "t-1", "tech", 1, 500.0, 500.0, 300.0),
            line("o01x", "t-1", "tech", 1, 500.0, 500.0, 300.0),
        ],
    );
    rows.add(
        "reviews",
        vec![
            review("c01", "2024-12-01T09:00:00Z", Some(5)),
            review("c01", "2025-05-01T09:00:00Z", Some(5)),
            review("c01", "2025-08-01T09:00:00Z", Some(5)),
            review("c01", "2026-01-01T09:00:00Z", Some(5)),
        ],
    );

    // c02 — VIP at risk: an order exactly at D - 12 months (counted), nothing in 6m, two tickets
    // (one without its own cost = ticket_cost 5, one costing 12).
    rows.add(
        "orders",
        vec![
            completed("o02a", "c02", "2025-03-01T00:00:00Z"),
            completed("o02b", "c02", "2025-05-01T10:00:00Z"),
            completed("o02c", "c02", "2025-07-01T10:00:00Z"),
            completed("o02d", "c02", "2025-08-01T10:00:00Z"),
        ],
    );
    rows.add(
        "order_lines",
        ["o02a", "o02b", "o02c", "o02d"].iter().map(|o| line(o, "g-1", "garden", 2, 150.0, 150.0, 50.0)).collect(),
    );
    rows.add(
        "support_tickets",
        vec![ticket("c02", "2025-06-01T10:00:00Z", None), ticket("c02", "2025-07-15T10:00:00Z", Some(12.0))],
    );

    // c03 — refunds larger than purchases: 130 back on a 100 item, 60 back on a 50 item.
    rows.add(
        "orders",
        vec![completed("o03a", "c03", "2025-06-01T10:00:00Z"), completed("o03b", "c03", "2025-07-01T10:00:00Z")],
    );
    rows.add(
        "order_lines",
        vec![line("o03a", "y-1", "toys", 1, 100.0, 100.0, 60.0), line("o03b", "y-1", "toys", 1, 50.0, 50.0, 30.0)],
    );
    rows.add(
        "returns",
        vec![ret("o03a", "y-1", 1, 130.0, "2025-06-15T10:00:00Z"), ret("o03b", "y-1", 1, 60.0, "2025-07-10T10:00:00Z")],
    );

    // c04 — buys discounted items only (30 on a list price of 50).
    rows.add(
        "orders",
        vec![
            completed("o04a", "c04", "2025-09-15T10:00:00Z"),
            completed("o04b", "c04", "2025-11-15T10:00:00Z"),
            completed("o04c", "c04", "2026-01-15T10:00:00Z"),
        ],
    );
    rows.add(
        "order_lines",
        ["o04a", "o04b", "o04c"].iter().map(|o| line(o, "b-2", "books", 1, 30.0, 50.0, 20.0)).collect(),
    );

    // c05 — ties c02 on net value (783) and loses the tie-break by customer_id; a line priced
    // exactly (1 - 0.05) x list (950 of 1000) is full price.
    rows.add(
        "orders",
        vec![completed("o05a", "c05", "2025-11-01T10:00:00Z"), completed("o05b", "c05", "2026-01-05T10:00:00Z")],
    );
    rows.add(
        "order_lines",
        vec![
            line("o05a", "g-1", "garden", 2, 150.0, 150.0, 50.0),
            line("o05b", "t-2", "tech", 1, 950.0, 1000.0, 350.0),
        ],
    );
    rows.add("support_tickets", vec![ticket("c05", "2025-12-01T10:00:00Z", Some(17.0))]);

    // c06 — new, mostly discounted, returned one of two discounted items.
    rows.add(
        "orders",
        vec![completed("o06a", "c06", "2025-12-10T10:00:00Z"), completed("o06b", "c06", "2026-02-20T10:00:00Z")],
    );
    rows.add(
        "order_lines",
        vec![line("o06a", "t-3", "tech", 2, 200.0, 250.0, 120.0), line("o06b", "g-2", "garden", 1, 100.0, 100.0, 40.0)],
    );
    rows.add("returns", vec![ret("o06a", "t-3", 1, 200.0, "2025-12-20T10:00:00Z")]);

    // c07 — history but no order in the window: a big spender of prior12m (lapsed VIP).
    rows.add(
        "orders",
        vec![
            completed("o07c", "c07", "2023-01-15T10:00:00Z"),
            completed("o07a", "c07", "2024-05-01T10:00:00Z"),
            completed("o07b", "c07", "2024-09-01T10:00:00Z"),
        ],
    );
    rows.add(
        "order_lines",
        vec![
            line("o07c", "b-1", "books", 1, 40.0, 40.0, 25.0),
            line("o07a", "t-1", "tech", 2, 800.0, 800.0, 300.0),
            line("o07b", "t-1", "tech", 2, 800.0, 800.0, 300.0),
        ],
    );

    // c08 — no customer record; one big new order.
    rows.add("orders", vec![completed("o08a", "c08", "2026-01-20T10:00:00Z")]);
    rows.add("order_lines", vec![line("o08a", "t-4", "tech", 1, 1300.0, 1300.0, 800.0)]);

    // c09 — refers c10 (first order in the window: counts) and c11 (first order before it: not).
    rows.add(
        "orders",
        vec![completed("o09a", "c09", "2025-05-20T10:00:00Z"), completed("o09b", "c09", "2025-09-20T10:00:00Z")],
    );
    rows.add(
        "order_lines",
        vec![line("o09a", "b-3", "books", 10, 50.0, 50.0, 15.0), line("o09b", "b-3", "books", 10, 50.0, 50.0, 15.0)],
    );
    rows.add(
        "referrals",
        vec![referral("c09", "c10", "2025-10-01T10:00:00Z"), referral("c09", "c11", "2024-05-15T10:00:00Z")],
    );

    // c10 — referred by c09, first order in the window.
    rows.add(
        "orders",
        vec![completed("o10a", "c10", "2025-10-05T10:00:00Z"), completed("o10b", "c10", "2025-12-20T10:00:00Z")],
    );
    rows.add(
        "order_lines",
        vec![line("o10a", "y-2", "toys", 1, 60.0, 60.0, 20.0), line("o10b", "y-2", "toys", 1, 60.0, 60.0, 20.0)],
    );

    // c11 — five tickets in 12m (high cost), one in prior12m costing 8.
    rows.add(
        "orders",
        vec![completed("o11a", "c11", "2024-06-01T10:00:00Z"), completed("o11b", "c11", "2025-12-05T10:00:00Z")],
    );
    rows.add(
        "order_lines",
        vec![line("o11a", "b-4", "books", 2, 25.0, 25.0, 10.0), line("o11b", "b-4", "books", 2, 25.0, 25.0, 10.0)],
    );
    rows.add(
        "support_tickets",
        vec![
            ticket("c11", "2024-07-01T10:00:00Z", Some(8.0)),
            ticket("c11", "2025-04-01T10:00:00Z", None),
            ticket("c11", "2025-05-01T10:00:00Z", None),
            ticket("c11", "2025-06-01T10:00:00Z", None),
            ticket("c11", "2025-07-01T10:00:00Z", None),
            ticket("c11", "2025-08-01T10:00:00Z", None),
        ],
    );

    // c12 — one new order; its return comes after D (a later fact).
    rows.add("orders", vec![completed("o12a", "c12", "2026-02-01T10:00:00Z")]);
    rows.add("order_lines", vec![line("o12a", "y-3", "toys", 2, 40.0, 40.0, 10.0)]);

    // Every customer has a record but c08.
    rows.add(
        "customers",
        ["c01", "c02", "c03", "c04", "c05", "c06", "c07", "c09", "c10", "c11", "c12"]
            .iter()
            .map(|c| customer(c))
            .collect(),
    );
    rows
}

/// Facts at or after D: the run for D must ignore every one of them.
fn later_facts() -> Rows {
    let mut rows = Rows::default();
    rows.add(
        "orders",
        vec![
            completed("o02e", "c02", "2026-03-01T00:00:00Z"), // exactly at D: not counted
            completed("o07d", "c07", "2026-04-01T10:00:00Z"), // would un-lapse c07
            completed("o13a", "c13", "2026-03-11T10:00:00Z"), // a customer who only exists later
        ],
    );
    rows.add(
        "order_lines",
        vec![
            line("o02e", "g-1", "garden", 10, 150.0, 150.0, 50.0),
            line("o07d", "t-1", "tech", 5, 800.0, 800.0, 300.0),
            line("o13a", "y-1", "toys", 1, 100.0, 100.0, 60.0),
        ],
    );
    rows.add("returns", vec![ret("o12a", "y-3", 1, 40.0, "2026-03-05T10:00:00Z")]); // c12's return after D
    rows.add("support_tickets", vec![ticket("c02", "2026-03-02T10:00:00Z", None)]);
    rows.add(
        "reviews",
        vec![
            review("c04", "2026-03-01T00:00:00Z", Some(5)),
            review("c04", "2026-03-02T00:00:00Z", Some(5)),
            review("c04", "2026-03-03T00:00:00Z", Some(5)),
        ],
    );
    rows.add("referrals", vec![referral("c09", "c13", "2026-03-10T10:00:00Z")]);
    rows
}

// ---------------------------------------------------------------------------------------------
// Comparison helpers.

fn as_timestamp(value: &Value) -> Option<DateTime<Utc>> {
    let text = value.as_str()?;
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").map(|t| t.and_utc()))
        .ok()
}

/// Equal within 1e-9 (relative) for numbers, by instant for timestamps, exactly otherwise.
fn same(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (e.as_f64().unwrap(), a.as_f64().unwrap());
            (e - a).abs() <= 1e-9 * e.abs().max(1.0)
        }
        (Value::String(_), Value::String(_)) if as_timestamp(expected).is_some() => {
            as_timestamp(expected) == as_timestamp(actual)
        }
        _ => expected == actual,
    }
}

/// Every column of `actual` is in `expected` with the same value, and the other way round.
fn assert_row(what: &str, expected: &Value, actual: &Value) {
    let (e, a) = (expected.as_object().unwrap(), actual.as_object().unwrap());
    let mut problems = Vec::new();
    for (column, value) in e {
        // Arrow's JSON writer leaves null columns out of a row.
        let found = a.get(column).unwrap_or(&Value::Null);
        if !same(value, found) {
            problems.push(format!("{column}: expected {value}, got {found}"));
        }
    }
    for column in a.keys().filter(|c| !e.contains_key(*c)) {
        problems.push(format!("{column}: not in the expected row (got {})", a[column]));
    }
    assert!(problems.is_empty(), "{what}:\n  {}", problems.join("\n  "));
}

/// Whole days from the date `day` to D.
fn days_to_d(day: &str) -> i64 {
    (NaiveDate::parse_from_str(D, "%Y-%m-%d").unwrap() - NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap()).num_days()
}

/// (customer, segment, tier, value, threshold, gap_to_vip) of customer_segments, sorted.
type Segment = (String, String, Option<String>, f64, f64, Option<f64>);

fn seg(customer: &str, segment: &str, tier: Option<&str>, value: f64, threshold: f64, gap: Option<f64>) -> Segment {
    (customer.into(), segment.into(), tier.map(String::from), value, threshold, gap)
}

fn segments_of(rows: &[Value]) -> Vec<Segment> {
    let mut out: Vec<Segment> = rows
        .iter()
        .map(|r| {
            assert!(!r["reason"].as_str().unwrap_or_default().is_empty(), "every segment row says why: {r}");
            (
                r["customer_id"].as_str().unwrap().into(),
                r["segment"].as_str().unwrap().into(),
                r.get("tier").and_then(Value::as_str).map(String::from),
                r["value"].as_f64().unwrap(),
                r["threshold"].as_f64().unwrap(),
                r.get("gap_to_vip").and_then(Value::as_f64),
            )
        })
        .collect();
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    out
}

fn assert_segments(what: &str, mut expected: Vec<Segment>, actual: &[Segment]) {
    expected.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let close = |e: f64, a: f64| (e - a).abs() <= 1e-9 * e.abs().max(1.0);
    let same = expected.len() == actual.len()
        && expected.iter().zip(actual).all(|(e, a)| {
            e.0 == a.0
                && e.1 == a.1
                && e.2 == a.2
                && close(e.3, a.3)
                && close(e.4, a.4)
                && match (e.5, a.5) {
                    (Some(x), Some(y)) => close(x, y),
                    (x, y) => x.is_none() && y.is_none(),
                }
        });
    assert!(same, "{what}:\nexpected {expected:#?}\ngot {actual:#?}");
}

fn only(segments: &[Segment], names: &[&str]) -> Vec<Segment> {
    segments.iter().filter(|s| names.contains(&s.1.as_str())).cloned().collect()
}

// ---------------------------------------------------------------------------------------------
// customer_value, every column by hand.

/// Σ margin_12m and Σ net_revenue_12m of everybody (from the rows of c01..c12 below): the
/// global 12m margin rate that margin_weighted_spend_12m divides by.
fn global_margin_rate() -> f64 {
    let margin = 1220.0 + 800.0 + 0.0 + 30.0 + 800.0 + 140.0 + 0.0 + 500.0 + 700.0 + 80.0 + 30.0 + 60.0;
    let net_revenue = 3040.0 + 1200.0 - 40.0 + 90.0 + 1250.0 + 300.0 + 0.0 + 1300.0 + 1000.0 + 120.0 + 50.0 + 80.0;
    margin / net_revenue
}

fn expected_customer_value() -> BTreeMap<String, Value> {
    let g = global_margin_rate();
    // prior12m has sales of c07 (margin 2000 on 3200) and c11 (30 on 50) only
    let prior_g = (2000.0 + 30.0) / (3200.0 + 50.0);
    let rows = vec![
        // c01: six 12m orders of tech 1 x 500 (cost 300), o01a also books 2 x 20 (cost 10).
        // The cancelled o01x does not count. o01e and o01f are two orders on one day.
        json!({"customer_id": "c01",
            "orders_12m": 6, "orders_6m": 4 /* 10-10, 01-10, 02-10 x2 */, "orders_3m": 3 /* 01-10, 02-10 x2 */,
            "gross_revenue_12m": 6.0 * 500.0 + 2.0 * 20.0, "net_revenue_12m": 3040.0, "aov_12m": 3040.0 / 6.0,
            "margin_12m": 6.0 * 200.0 + 2.0 * 10.0, "margin_rate_12m": 1220.0 / 3040.0,
            "margin_weighted_spend_12m": 1220.0 / g, "full_price_share_12m": 1.0, "return_rate_12m": 0.0,
            "returns_count_12m": 0, "support_tickets_12m": 0, "indirect_cost_12m": 0.0, "net_value_12m": 1220.0,
            "referrals_12m": 0, "reviews_12m": 3 /* the 2024-12-01 review is before the window */,
            "rate_trend_3m": 3.0 * 4.0 / 6.0,
            "first_order_ts": "2023-05-01T12:00:00Z", "last_order_ts": "2026-02-10T15:00:00Z",
            "recency_days": days_to_d("2026-02-10"), "tenure_days": days_to_d("2023-05-01"),
            "lifetime_orders": 7, "lifetime_margin": 1220.0 + (50.0 - 30.0),
            "top_category_12m": "tech", "categories_12m": ["tech", "books"] /* 3000 > 40 */,
            "p_alive": null, "expected_orders_12m": null, "expected_order_value": null, "predicted_clv_12m": null,
            "net_revenue_prior12m": 0.0, "margin_weighted_spend_prior12m": 0.0, "net_value_prior12m": 0.0}),
        // c02: o02a at exactly D - 12 months counts; o02e at exactly D does not (else 5 orders).
        // Each order garden 2 x 150 (cost 50). Tickets: 5 (no own cost) + 12.
        json!({"customer_id": "c02",
            "orders_12m": 4, "orders_6m": 0, "orders_3m": 0,
            "gross_revenue_12m": 4.0 * 2.0 * 150.0, "net_revenue_12m": 1200.0, "aov_12m": 1200.0 / 4.0,
            "margin_12m": 4.0 * 2.0 * 100.0, "margin_rate_12m": 800.0 / 1200.0,
            "margin_weighted_spend_12m": 800.0 / g, "full_price_share_12m": 1.0, "return_rate_12m": 0.0,
            "returns_count_12m": 0, "support_tickets_12m": 2, "indirect_cost_12m": 5.0 + 12.0,
            "net_value_12m": 800.0 - 17.0, "referrals_12m": 0, "reviews_12m": 0, "rate_trend_3m": 0.0,
            "first_order_ts": "2025-03-01T00:00:00Z", "last_order_ts": "2025-08-01T10:00:00Z",
            "recency_days": days_to_d("2025-08-01"), "tenure_days": 365,
            "lifetime_orders": 4, "lifetime_margin": 800.0,
            "top_category_12m": "garden", "categories_12m": ["garden"],
            "p_alive": null, "expected_orders_12m": null, "expected_order_value": null, "predicted_clv_12m": null,
            "net_revenue_prior12m": 0.0, "margin_weighted_spend_prior12m": 0.0, "net_value_prior12m": 0.0}),
        // c03: bought 100 + 50, got 130 + 60 back (refunds larger than purchases); both units
        // returned, so no margin is left; two returns cost 2 x 3.
        json!({"customer_id": "c03",
            "orders_12m": 2, "orders_6m": 0, "orders_3m": 0,
            "gross_revenue_12m": 150.0, "net_revenue_12m": 150.0 - 190.0, "aov_12m": -40.0 / 2.0,
            "margin_12m": (1.0 - 1.0) * 40.0 + (1.0 - 1.0) * 20.0, "margin_rate_12m": 0.0 / -40.0,
            "margin_weighted_spend_12m": 0.0, "full_price_share_12m": 1.0, "return_rate_12m": 190.0 / 150.0,
            "returns_count_12m": 2, "support_tickets_12m": 0, "indirect_cost_12m": 2.0 * 3.0,
            "net_value_12m": 0.0 - 6.0, "referrals_12m": 0, "reviews_12m": 0, "rate_trend_3m": 0.0,
            "first_order_ts": "2025-06-01T10:00:00Z", "last_order_ts": "2025-07-01T10:00:00Z",
            "recency_days": days_to_d("2025-07-01"), "tenure_days": days_to_d("2025-06-01"),
            "lifetime_orders": 2, "lifetime_margin": 0.0,
            "top_category_12m": "toys", "categories_12m": ["toys"],
            "p_alive": null, "expected_orders_12m": null, "expected_order_value": null, "predicted_clv_12m": null,
            "net_revenue_prior12m": 0.0, "margin_weighted_spend_prior12m": 0.0, "net_value_prior12m": 0.0}),
        // c04: three books at 30 of list 50 (< 0.95 x 50): nothing at full price.
        json!({"customer_id": "c04",
            "orders_12m": 3, "orders_6m": 3, "orders_3m": 1,
            "gross_revenue_12m": 3.0 * 30.0, "net_revenue_12m": 90.0, "aov_12m": 30.0,
            "margin_12m": 3.0 * 10.0, "margin_rate_12m": 30.0 / 90.0,
            "margin_weighted_spend_12m": 30.0 / g, "full_price_share_12m": 0.0, "return_rate_12m": 0.0,
            "returns_count_12m": 0, "support_tickets_12m": 0, "indirect_cost_12m": 0.0, "net_value_12m": 30.0,
            "referrals_12m": 0, "reviews_12m": 0 /* its reviews are at or after D */, "rate_trend_3m": 1.0 * 4.0 / 3.0,
            "first_order_ts": "2025-09-15T10:00:00Z", "last_order_ts": "2026-01-15T10:00:00Z",
            "recency_days": days_to_d("2026-01-15"), "tenure_days": days_to_d("2025-09-15"),
            "lifetime_orders": 3, "lifetime_margin": 30.0,
            "top_category_12m": "books", "categories_12m": ["books"],
            "p_alive": null, "expected_orders_12m": null, "expected_order_value": null, "predicted_clv_12m": null,
            "net_revenue_prior12m": 0.0, "margin_weighted_spend_prior12m": 0.0, "net_value_prior12m": 0.0}),
        // c05: garden 2 x 150 (cost 50) + tech 950 of list 1000 (cost 350): 950 >= 0.95 x 1000 is
        // full price. One ticket costing 17.
        json!({"customer_id": "c05",
            "orders_12m": 2, "orders_6m": 2, "orders_3m": 1,
            "gross_revenue_12m": 300.0 + 950.0, "net_revenue_12m": 1250.0, "aov_12m": 1250.0 / 2.0,
            "margin_12m": 200.0 + 600.0, "margin_rate_12m": 800.0 / 1250.0,
            "margin_weighted_spend_12m": 800.0 / g, "full_price_share_12m": 1250.0 / 1250.0, "return_rate_12m": 0.0,
            "returns_count_12m": 0, "support_tickets_12m": 1, "indirect_cost_12m": 17.0, "net_value_12m": 783.0,
            "referrals_12m": 0, "reviews_12m": 0, "rate_trend_3m": 1.0 * 4.0 / 2.0,
            "first_order_ts": "2025-11-01T10:00:00Z", "last_order_ts": "2026-01-05T10:00:00Z",
            "recency_days": days_to_d("2026-01-05"), "tenure_days": days_to_d("2025-11-01"),
            "lifetime_orders": 2, "lifetime_margin": 800.0,
            "top_category_12m": "tech", "categories_12m": ["tech", "garden"],
            "p_alive": null, "expected_orders_12m": null, "expected_order_value": null, "predicted_clv_12m": null,
            "net_revenue_prior12m": 0.0, "margin_weighted_spend_prior12m": 0.0, "net_value_prior12m": 0.0}),
        // c06: tech 2 x 200 of list 250 (discounted, cost 120), one unit returned for 200;
        // garden 1 x 100 full price (cost 40).
        json!({"customer_id": "c06",
            "orders_12m": 2, "orders_6m": 2, "orders_3m": 2,
            "gross_revenue_12m": 400.0 + 100.0, "net_revenue_12m": 500.0 - 200.0, "aov_12m": 300.0 / 2.0,
            "margin_12m": (2.0 - 1.0) * 80.0 + 60.0, "margin_rate_12m": 140.0 / 300.0,
            "margin_weighted_spend_12m": 140.0 / g, "full_price_share_12m": 100.0 / 500.0, "return_rate_12m": 200.0 / 500.0,
            "returns_count_12m": 1, "support_tickets_12m": 0, "indirect_cost_12m": 3.0, "net_value_12m": 137.0,
            "referrals_12m": 0, "reviews_12m": 0, "rate_trend_3m": 2.0 * 4.0 / 2.0,
            "first_order_ts": "2025-12-10T10:00:00Z", "last_order_ts": "2026-02-20T10:00:00Z",
            "recency_days": days_to_d("2026-02-20"), "tenure_days": days_to_d("2025-12-10"),
            "lifetime_orders": 2, "lifetime_margin": 140.0,
            "top_category_12m": "tech" /* 400 - 200 > 100 */, "categories_12m": ["tech", "garden"],
            "p_alive": null, "expected_orders_12m": null, "expected_order_value": null, "predicted_clv_12m": null,
            "net_revenue_prior12m": 0.0, "margin_weighted_spend_prior12m": 0.0, "net_value_prior12m": 0.0}),
        // c07: history, no order in the window (its 2026-04-01 order is a later fact).
        json!({"customer_id": "c07",
            "orders_12m": 0, "orders_6m": 0, "orders_3m": 0,
            "gross_revenue_12m": 0.0, "net_revenue_12m": 0.0, "aov_12m": null,
            "margin_12m": 0.0, "margin_rate_12m": null, "margin_weighted_spend_12m": 0.0,
            "full_price_share_12m": null, "return_rate_12m": null,
            "returns_count_12m": 0, "support_tickets_12m": 0, "indirect_cost_12m": 0.0, "net_value_12m": 0.0,
            "referrals_12m": 0, "reviews_12m": 0, "rate_trend_3m": null,
            "first_order_ts": "2023-01-15T10:00:00Z", "last_order_ts": "2024-09-01T10:00:00Z",
            "recency_days": days_to_d("2024-09-01"), "tenure_days": days_to_d("2023-01-15"),
            "lifetime_orders": 3, "lifetime_margin": (40.0 - 25.0) + 2.0 * 2.0 * 500.0,
            "top_category_12m": null, "categories_12m": null,
            "p_alive": null, "expected_orders_12m": null, "expected_order_value": null, "predicted_clv_12m": null,
            // prior12m: tech 2 x 800 (cost 300) twice
            "net_revenue_prior12m": 2.0 * 2.0 * 800.0, "margin_weighted_spend_prior12m": 2000.0 / prior_g,
            "net_value_prior12m": 2.0 * 2.0 * 500.0}),
        // c08: no customer record, still a row. One tech 1300 (cost 800).
        json!({"customer_id": "c08",
            "orders_12m": 1, "orders_6m": 1, "orders_3m": 1,
            "gross_revenue_12m": 1300.0, "net_revenue_12m": 1300.0, "aov_12m": 1300.0,
            "margin_12m": 500.0, "margin_rate_12m": 500.0 / 1300.0,
            "margin_weighted_spend_12m": 500.0 / g, "full_price_share_12m": 1.0, "return_rate_12m": 0.0,
            "returns_count_12m": 0, "support_tickets_12m": 0, "indirect_cost_12m": 0.0, "net_value_12m": 500.0,
            "referrals_12m": 0, "reviews_12m": 0, "rate_trend_3m": 4.0,
            "first_order_ts": "2026-01-20T10:00:00Z", "last_order_ts": "2026-01-20T10:00:00Z",
            "recency_days": days_to_d("2026-01-20"), "tenure_days": days_to_d("2026-01-20"),
            "lifetime_orders": 1, "lifetime_margin": 500.0,
            "top_category_12m": "tech", "categories_12m": ["tech"],
            "p_alive": null, "expected_orders_12m": null, "expected_order_value": null, "predicted_clv_12m": null,
            "net_revenue_prior12m": 0.0, "margin_weighted_spend_prior12m": 0.0, "net_value_prior12m": 0.0}),
        // c09: books 10 x 50 (cost 15) twice; referred c10 (first order 2025-10-05: counts) and c11
        // (first order 2024-06-01: does not); the referral of c13 is a later fact.
        json!({"customer_id": "c09",
            "orders_12m": 2, "orders_6m": 1, "orders_3m": 0,
            "gross_revenue_12m": 2.0 * 10.0 * 50.0, "net_revenue_12m": 1000.0, "aov_12m": 500.0,
            "margin_12m": 2.0 * 10.0 * 35.0, "margin_rate_12m": 0.7,
            "margin_weighted_spend_12m": 700.0 / g, "full_price_share_12m": 1.0, "return_rate_12m": 0.0,
            "returns_count_12m": 0, "support_tickets_12m": 0, "indirect_cost_12m": 0.0, "net_value_12m": 700.0,
            "referrals_12m": 1, "reviews_12m": 0, "rate_trend_3m": 0.0,
            "first_order_ts": "2025-05-20T10:00:00Z", "last_order_ts": "2025-09-20T10:00:00Z",
            "recency_days": days_to_d("2025-09-20"), "tenure_days": days_to_d("2025-05-20"),
            "lifetime_orders": 2, "lifetime_margin": 700.0,
            "top_category_12m": "books", "categories_12m": ["books"],
            "p_alive": null, "expected_orders_12m": null, "expected_order_value": null, "predicted_clv_12m": null,
            "net_revenue_prior12m": 0.0, "margin_weighted_spend_prior12m": 0.0, "net_value_prior12m": 0.0}),
        // c10: toys 60 (cost 20) twice.
        json!({"customer_id": "c10",
            "orders_12m": 2, "orders_6m": 2, "orders_3m": 1,
            "gross_revenue_12m": 120.0, "net_revenue_12m": 120.0, "aov_12m": 60.0,
            "margin_12m": 2.0 * 40.0, "margin_rate_12m": 80.0 / 120.0,
            "margin_weighted_spend_12m": 80.0 / g, "full_price_share_12m": 1.0, "return_rate_12m": 0.0,
            "returns_count_12m": 0, "support_tickets_12m": 0, "indirect_cost_12m": 0.0, "net_value_12m": 80.0,
            "referrals_12m": 0, "reviews_12m": 0, "rate_trend_3m": 1.0 * 4.0 / 2.0,
            "first_order_ts": "2025-10-05T10:00:00Z", "last_order_ts": "2025-12-20T10:00:00Z",
            "recency_days": days_to_d("2025-12-20"), "tenure_days": days_to_d("2025-10-05"),
            "lifetime_orders": 2, "lifetime_margin": 80.0,
            "top_category_12m": "toys", "categories_12m": ["toys"],
            "p_alive": null, "expected_orders_12m": null, "expected_order_value": null, "predicted_clv_12m": null,
            "net_revenue_prior12m": 0.0, "margin_weighted_spend_prior12m": 0.0, "net_value_prior12m": 0.0}),
        // c11: books 2 x 25 (cost 10) in prior12m and in 12m; five 12m tickets at 5 each.
        json!({"customer_id": "c11",
            "orders_12m": 1, "orders_6m": 1, "orders_3m": 1,
            "gross_revenue_12m": 50.0, "net_revenue_12m": 50.0, "aov_12m": 50.0,
            "margin_12m": 30.0, "margin_rate_12m": 0.6,
            "margin_weighted_spend_12m": 30.0 / g, "full_price_share_12m": 1.0, "return_rate_12m": 0.0,
            "returns_count_12m": 0, "support_tickets_12m": 5, "indirect_cost_12m": 5.0 * 5.0, "net_value_12m": 30.0 - 25.0,
            "referrals_12m": 0, "reviews_12m": 0, "rate_trend_3m": 4.0,
            "first_order_ts": "2024-06-01T10:00:00Z", "last_order_ts": "2025-12-05T10:00:00Z",
            "recency_days": days_to_d("2025-12-05"), "tenure_days": days_to_d("2024-06-01"),
            "lifetime_orders": 2, "lifetime_margin": 60.0,
            "top_category_12m": "books", "categories_12m": ["books"],
            "p_alive": null, "expected_orders_12m": null, "expected_order_value": null, "predicted_clv_12m": null,
            // prior12m: books 2 x 25 (cost 10), one ticket costing 8
            "net_revenue_prior12m": 50.0, "margin_weighted_spend_prior12m": 30.0 / prior_g,
            "net_value_prior12m": 30.0 - 8.0}),
        // c12: toys 2 x 40 (cost 10); the return of 2026-03-05 is after D: ignored.
        json!({"customer_id": "c12",
            "orders_12m": 1, "orders_6m": 1, "orders_3m": 1,
            "gross_revenue_12m": 80.0, "net_revenue_12m": 80.0, "aov_12m": 80.0,
            "margin_12m": 2.0 * 30.0, "margin_rate_12m": 60.0 / 80.0,
            "margin_weighted_spend_12m": 60.0 / g, "full_price_share_12m": 1.0, "return_rate_12m": 0.0,
            "returns_count_12m": 0, "support_tickets_12m": 0, "indirect_cost_12m": 0.0, "net_value_12m": 60.0,
            "referrals_12m": 0, "reviews_12m": 0, "rate_trend_3m": 4.0,
            "first_order_ts": "2026-02-01T10:00:00Z", "last_order_ts": "2026-02-01T10:00:00Z",
            "recency_days": 28, "tenure_days": 28,
            "lifetime_orders": 1, "lifetime_margin": 60.0,
            "top_category_12m": "toys", "categories_12m": ["toys"],
            "p_alive": null, "expected_orders_12m": null, "expected_order_value": null, "predicted_clv_12m": null,
            "net_revenue_prior12m": 0.0, "margin_weighted_spend_prior12m": 0.0, "net_value_prior12m": 0.0}),
    ];
    by_customer(&rows)
}

#[tokio::test]
async fn customer_value_matches_the_hand_computed_fixture() {
    let project = facts_before_d().with(&later_facts()).project();
    let results = project.run(D).await;
    assert_success(&results);
    let actual = by_customer(&project.published("customer_value", D).await);
    let expected = expected_customer_value();
    assert_eq!(
        actual.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "one row per customer with an order before D"
    );
    for (customer, row) in &expected {
        assert_row(customer, row, &actual[customer]);
    }
}

// ---------------------------------------------------------------------------------------------
// customer_segments.
//
// Ranking value net_value_12m; eligible (orders_12m >= 2, return_rate_12m <= 0.5) with a
// positive value, by value desc then customer_id: c01 1220, c02 783, c05 783 (the tie: c02 wins
// on customer_id), c09 700, c06 137, c10 80, c04 30. N = 11 active customers (all but c07).

/// Segments that do not depend on the VIP cut (default parameters).
fn expected_other_segments() -> Vec<Segment> {
    // big_spender: the 0.9 quantile of the 11 active AOVs sorted (-20, 30, 50, 60, 80, 150, 300,
    // 500, 506.67, 625, 1300) sits at position 0.9 x (11 - 1) = 9: 625. c05 (2 orders, AOV 625)
    // and c08 (1 order, 1300) are at or above it.
    vec![
        seg("c01", "loyal_frequent", None, 6.0, 6.0, None),
        seg("c01", "advocate", None, 3.0, 3.0, None),            // reviews
        seg("c03", "high_cost", None, 190.0 / 150.0, 0.3, None), // return rate
        seg("c04", "bargain_hunter", None, 1.0 - 0.0, 0.7, None),
        seg("c05", "big_spender", None, 625.0, 625.0, None),
        seg("c06", "bargain_hunter", None, 1.0 - 100.0 / 500.0, 0.7, None),
        seg("c06", "high_cost", None, 200.0 / 500.0, 0.3, None),
        seg("c06", "new_customer", None, days_to_d("2025-12-10") as f64, 90.0, None),
        seg("c08", "big_spender", None, 1300.0, 625.0, None),
        seg("c08", "new_customer", None, days_to_d("2026-01-20") as f64, 90.0, None),
        seg("c08", "one_time_buyer", None, 1.0, 1.0, None),
        seg("c09", "advocate", None, 1.0, 1.0, None),  // referrals
        seg("c11", "high_cost", None, 5.0, 5.0, None), // tickets
        seg("c12", "new_customer", None, 28.0, 90.0, None),
        seg("c12", "one_time_buyer", None, 1.0, 1.0, None),
    ]
}

#[tokio::test]
async fn dynamic_mode_with_default_shares_breaks_the_tie_at_the_cut_off_by_customer_id() {
    let project = facts_before_d().with(&later_facts()).project();
    assert_success(&project.run(D).await);
    let actual = segments_of(&project.published("customer_segments", D).await);
    // platinum k <= floor(0.01 x 11) = 0, gold k <= floor(0.05 x 11) = 0, silver k <= floor(0.2 x 11) = 2:
    // c01 and c02 (783, beats c05's 783 on customer_id). A dynamic tier's threshold is its cut-off
    // value: 783. Entry threshold 783; near_vip from 0.8 x 783 = 626.4.
    let mut expected = vec![
        seg("c01", "vip", Some("silver"), 1220.0, 783.0, None),
        seg("c02", "vip", Some("silver"), 783.0, 783.0, None),
        seg("c02", "at_risk_vip", None, 0.0 /* rate_trend_3m */, 0.5, None),
        seg("c05", "near_vip", None, 783.0, 783.0, Some(0.0)),
        seg("c09", "near_vip", None, 700.0, 783.0, Some(783.0 - 700.0)),
        // c07: prior12m net value 2 x 2 x (800 - 300) = 2000 >= 783, no order for 546 days > 90
        seg("c07", "lapsed_vip", None, 2000.0, 783.0, None),
    ];
    expected.extend(expected_other_segments());
    assert_segments("default dynamic mode", expected, &actual);

    // vip_status says why c05 (tie, rank 3) and c08 (one order: not eligible) are not VIPs.
    let status = by_customer(&project.published("vip_status", D).await);
    assert_row(
        "c05",
        &json!({"customer_id": "c05", "rank_value": 783.0, "prior_rank_value": 0.0, "eligible": true,
        "vip_rank": 3, "tier": null, "tier_threshold": null, "entry_threshold": 783.0, "reason": null}),
        &status["c05"],
    );
    assert_row(
        "c08",
        &json!({"customer_id": "c08", "rank_value": 500.0, "prior_rank_value": 0.0, "eligible": false,
        "vip_rank": null, "tier": null, "tier_threshold": null, "entry_threshold": 783.0, "reason": null}),
        &status["c08"],
    );
    assert_eq!(status["c02"]["vip_rank"], 2);
    assert_eq!(status["c02"]["tier"], "silver");
}

#[tokio::test]
async fn dynamic_mode_fills_every_tier_by_its_share_of_active_customers() {
    let mut project = facts_before_d().with(&later_facts()).project();
    project.params.push("vip_tier_shares = { platinum = 0.1, gold = 0.2, silver = 0.4 }".into());
    assert_success(&project.run(D).await);
    let actual = segments_of(&project.published("customer_segments", D).await);
    // platinum k <= floor(1.1) = 1: c01; gold k <= floor(2.2) = 2: c02 (the tie at the gold cut-off
    // goes to c02); silver k <= floor(4.4) = 4: c05, c09 (threshold = lowest silver value 700).
    // Entry 700: near_vip from 560, nobody non-VIP is there (c08 has 500).
    let mut expected = vec![
        seg("c01", "vip", Some("platinum"), 1220.0, 1220.0, None),
        seg("c02", "vip", Some("gold"), 783.0, 783.0, None),
        seg("c05", "vip", Some("silver"), 783.0, 700.0, None),
        seg("c09", "vip", Some("silver"), 700.0, 700.0, None),
        seg("c02", "at_risk_vip", None, 0.0, 0.5, None),
        seg("c09", "at_risk_vip", None, 0.0 /* 0 orders in 3m */, 0.5, None),
        seg("c07", "lapsed_vip", None, 2000.0, 700.0, None),
    ];
    expected.extend(expected_other_segments());
    assert_segments("dynamic mode, shares 0.1 / 0.2 / 0.4", expected, &actual);
}

#[tokio::test]
async fn static_mode_counts_a_value_equal_to_a_threshold_as_reaching_it() {
    let mut project = facts_before_d().with(&later_facts()).project();
    project.params.push("vip_mode = \"static\"".into());
    project.params.push("vip_tier_thresholds = { platinum = 1220.0, gold = 1000.0, silver = 783.0 }".into());
    assert_success(&project.run(D).await);
    let actual = segments_of(&project.published("customer_segments", D).await);
    // Eligible and value >= threshold; no cap on how many: c01 = 1220 platinum, c02 = c05 = 783
    // silver. Entry = the silver threshold 783; near_vip from 626.4: c09 (700).
    let mut expected = vec![
        seg("c01", "vip", Some("platinum"), 1220.0, 1220.0, None),
        seg("c02", "vip", Some("silver"), 783.0, 783.0, None),
        seg("c05", "vip", Some("silver"), 783.0, 783.0, None),
        seg("c02", "at_risk_vip", None, 0.0, 0.5, None),
        seg("c09", "near_vip", None, 700.0, 783.0, Some(83.0)),
        seg("c07", "lapsed_vip", None, 2000.0, 783.0, None),
    ];
    expected.extend(expected_other_segments());
    assert_segments("static mode", expected, &actual);
}

#[tokio::test]
async fn static_mode_ranks_by_the_chosen_value() {
    let mut project = facts_before_d().with(&later_facts()).project();
    project.params.push("vip_mode = \"static\"".into());
    project.params.push("vip_rank_by = \"net_revenue_12m\"".into());
    assert_success(&project.run(D).await);
    let actual = segments_of(&project.published("customer_segments", D).await);
    // Default thresholds 5000 / 2000 / 1000 on net revenue of eligible customers: c01 3040 gold,
    // c02 1200, c05 1250 and c09 1000 (equal) silver. c08's 1300 is not eligible (one order).
    // lapsed: c07's prior12m net revenue 2 x 2 x 800 = 3200 >= 1000.
    let expected = vec![
        seg("c01", "vip", Some("gold"), 3040.0, 2000.0, None),
        seg("c02", "vip", Some("silver"), 1200.0, 1000.0, None),
        seg("c05", "vip", Some("silver"), 1250.0, 1000.0, None),
        seg("c09", "vip", Some("silver"), 1000.0, 1000.0, None),
        seg("c07", "lapsed_vip", None, 3200.0, 1000.0, None),
    ];
    assert_segments("static mode by net_revenue_12m", expected, &only(&actual, &["vip", "lapsed_vip"]));
}

// ---------------------------------------------------------------------------------------------
// Summaries (default dynamic run: VIPs c01 and c02).

fn row_where<'a>(rows: &'a [Value], key: &str, value: Value) -> &'a Value {
    rows.iter()
        .find(|r| r.get(key).unwrap_or(&Value::Null) == &value)
        .unwrap_or_else(|| panic!("no row with {key} = {value}: {rows:#?}"))
}

#[tokio::test]
async fn summaries_read_off_the_fixture() {
    let project = facts_before_d().with(&later_facts()).project();
    assert_success(&project.run(D).await);
    let (margin_all, revenue_all) = (4360.0, 8390.0); // the sums of global_margin_rate()
    assert!((margin_all / revenue_all - global_margin_rate()).abs() < 1e-12);

    // segment_summary: all VIP tiers together (tier NULL) and new customers (c06, c08, c12), of 12.
    let summary = project.published("segment_summary", D).await;
    let vip_all = summary.iter().find(|r| r["segment"] == "vip" && r.get("tier").is_none()).expect("vip, all tiers");
    assert_row(
        "vip (all tiers)",
        &json!({"segment": "vip", "customers": 2, "customer_share": 2.0 / 12.0,
        "net_revenue_12m": 3040.0 + 1200.0, "revenue_share": 4240.0 / revenue_all,
        "margin_12m": 1220.0 + 800.0, "margin_share": 2020.0 / margin_all, "avg_net_revenue_12m": 4240.0 / 2.0}),
        vip_all,
    );
    let new = row_where(&summary, "segment", json!("new_customer"));
    assert_row(
        "new_customer",
        &json!({"segment": "new_customer", "customers": 3, "customer_share": 3.0 / 12.0,
        "net_revenue_12m": 300.0 + 1300.0 + 80.0, "revenue_share": 1680.0 / revenue_all,
        "margin_12m": 140.0 + 500.0 + 60.0, "margin_share": 700.0 / margin_all, "avg_net_revenue_12m": 1680.0 / 3.0}),
        new,
    );

    // pareto: 11 active customers by margin desc (ties by id): c01 1220, c02 800, c05 800, c09 700,
    // c08 500, c06 140, c10 80, c12 60, c04 30, c11 30, c03 0. Decile of rank k = ceil(10 k / 11).
    let pareto = project.published("pareto", D).await;
    assert_eq!(pareto.len(), 10);
    let avg_spend = revenue_all / 11.0;
    assert_row(
        "decile 1",
        &json!({"decile": 1, "customers": 1, "cumulative_customer_share": 1.0 / 11.0,
        "margin_12m": 1220.0, "margin_share": 1220.0 / margin_all, "cumulative_margin_share": 1220.0 / margin_all,
        "net_revenue_12m": 3040.0, "revenue_share": 3040.0 / revenue_all, "spend_index": 3040.0 / avg_spend}),
        &pareto[0],
    );
    assert_row(
        "decile 2",
        &json!({"decile": 2, "customers": 1, "cumulative_customer_share": 2.0 / 11.0,
        "margin_12m": 800.0, "margin_share": 800.0 / margin_all, "cumulative_margin_share": 2020.0 / margin_all,
        "net_revenue_12m": 1200.0, "revenue_share": 1200.0 / revenue_all, "spend_index": 1200.0 / avg_spend}),
        row_where(&pareto, "decile", json!(2)),
    );
    assert_row(
        "decile 10",
        &json!({"decile": 10, "customers": 2, "cumulative_customer_share": 1.0,
        "margin_12m": 30.0 + 0.0, "margin_share": 30.0 / margin_all, "cumulative_margin_share": 1.0,
        "net_revenue_12m": 50.0 - 40.0, "revenue_share": 10.0 / revenue_all, "spend_index": (10.0 / 2.0) / avg_spend}),
        row_where(&pareto, "decile", json!(10)),
    );

    // core_categories: one VIP buyer each for tech (c01: 3000), garden (c02: 1200), books (c01: 40).
    let categories = project.published("core_categories", D).await;
    let order: Vec<(i64, String)> = {
        let mut v: Vec<(i64, String)> = categories
            .iter()
            .map(|r| (r["category_rank"].as_i64().unwrap(), r["category"].as_str().unwrap().to_string()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(order, vec![(1, "tech".into()), (2, "garden".into()), (3, "books".into()), (4, "toys".into())]);
    // tech buyers c01 (3000, margin 1200), c05 (950, 600), c06 (400 - 200, 80), c08 (1300, 500).
    assert_row(
        "tech",
        &json!({"category_rank": 1, "category": "tech", "vip_buyers": 1, "vip_buyer_share": 0.5,
        "vip_net_revenue_12m": 3000.0, "vip_margin_12m": 1200.0, "vip_margin_rate_12m": 1200.0 / 3000.0,
        "buyers_12m": 4, "net_revenue_12m": 3000.0 + 950.0 + 200.0 + 1300.0, "margin_12m": 1200.0 + 600.0 + 80.0 + 500.0,
        "margin_rate_12m": 2380.0 / 5450.0}),
        row_where(&categories, "category", json!("tech")),
    );
}

// ---------------------------------------------------------------------------------------------
// Point in time, data quality, publishing.

const BUSINESS_TABLES: [&str; 8] = [
    "customer_value",
    "vip_status",
    "customer_segments",
    "segment_summary",
    "pareto",
    "core_categories",
    "rejected_rows",
    "source_quality",
];

#[tokio::test]
async fn a_run_on_data_holding_later_facts_gives_the_tables_of_the_data_as_of_d() {
    let as_of_d = facts_before_d().project();
    let grown = facts_before_d().with(&later_facts()).project();
    let (first, second) = (as_of_d.run(D).await, grown.run(D).await);
    assert_success(&first);
    assert_success(&second);
    for table in BUSINESS_TABLES {
        let (before, after) = (as_of_d.published(table, D).await, grown.published(table, D).await);
        assert!(!before.is_empty() || table == "rejected_rows", "{table} is empty");
        assert_eq!(before, after, "{table} differs when the data also holds later facts");
    }
    assert_eq!(first.data_quality, second.data_quality, "later facts are neither accepted nor rejected");
}

/// A small shop with one bad row of every kind (and some later facts, which are not input).
fn shop_with_bad_rows() -> Rows {
    let mut rows = Rows::default();
    rows.add(
        "orders",
        vec![
            completed("o1", "c1", "2026-01-10T10:00:00Z"),
            completed("o1", "c1", "2026-01-10T10:00:00Z"), // identical duplicate: accepted, collapses
            json!({"order_id": "o2", "customer_id": null, "order_ts": "2026-01-11T10:00:00Z", "status": "completed"}),
            completed("o3", "c3", "2026-01-05T10:00:00Z"),
            completed("o3", "c3", "2026-01-06T10:00:00Z"), // conflicting duplicate: both rejected
            order("o4", "c4", "2026-01-07T10:00:00Z", "shipped"),
            completed("o5", "c5", "2026-03-02T10:00:00Z"), // later fact: not input
            json!({"order_id": "o6", "customer_id": "c6", "order_ts": null, "status": "completed"}),
            order("o7", "c1", "2026-01-20T10:00:00Z", " Completed "), // status is normalised
        ],
    );
    rows.add("order_lines", vec![
        line("o1", "s1", "books", 1, 10.0, 10.0, 5.0),
        line("o1", "s1", "books", 1, 10.0, 10.0, 5.0), // identical duplicate
        line("o1", "s2", "books", -1, 10.0, 10.0, 5.0),
        line("o1", "s3", "books", 1, -5.0, 10.0, 5.0),
        json!({"order_id": "o1", "sku": null, "category": "books", "quantity": 1, "unit_price": 1.0, "list_price": 1.0, "unit_cost": 1.0}),
        line("o9", "s1", "books", 1, 10.0, 10.0, 5.0),
        line("o3", "s1", "books", 1, 10.0, 10.0, 5.0),
        line("o5", "s1", "books", 1, 10.0, 10.0, 5.0), // its order is a later fact: not input
        line("o7", "s1", "toys", 2, 10.0, 10.0, 5.0),
        line("o7", "s2", "toys", 1, 10.0, 10.0, 5.0),
        line("o7", "s2", "toys", 1, 12.0, 12.0, 5.0), // conflicting duplicate
    ]);
    rows.add(
        "returns",
        vec![
            ret("o1", "s1", 1, 10.0, "2026-01-15T10:00:00Z"),
            ret("o1", "s9", 1, 10.0, "2026-01-15T10:00:00Z"),
            ret("o7", "s1", 5, 10.0, "2026-01-25T10:00:00Z"),
            ret("o1", "s1", 1, -3.0, "2026-01-16T10:00:00Z"),
            ret("o1", "s1", 1, 10.0, "2026-03-05T10:00:00Z"), // later fact
        ],
    );
    rows.add(
        "support_tickets",
        vec![
            ticket("c1", "2026-01-02T10:00:00Z", None),
            ticket("", "2026-01-03T10:00:00Z", None),
            ticket("c1", "2026-01-04T10:00:00Z", Some(-1.0)),
        ],
    );
    // A blank customer id is no id, like a null one.
    rows.add("support_tickets", vec![json!({"customer_id": null, "ticket_ts": "2026-01-03T10:00:00Z"})]);
    rows.add(
        "customers",
        vec![
            customer("c1"),
            customer("c3"),
            json!({"customer_id": "c3", "email": "other@example.com", "country": "DE", "ad_consent": false}),
            json!({"customer_id": null, "email": "x@example.com", "country": "DE", "ad_consent": false}),
        ],
    );
    rows.add(
        "referrals",
        vec![referral("c1", "c1", "2026-01-02T10:00:00Z"), referral("c1", "c4", "2026-01-02T10:00:00Z")],
    );
    rows.add(
        "reviews",
        vec![
            json!({"customer_id": "c1", "review_ts": null, "rating": 4}),
            review("c1", "2026-01-02T10:00:00Z", Some(5)),
        ],
    );
    rows
}

#[tokio::test]
async fn rejected_rows_are_kept_with_their_reason_and_counted() {
    let project = shop_with_bad_rows().project().with_param("max_rejected_rate = 1.0");
    let results = project.run(D).await;
    assert_success(&results);

    let rejected: Vec<(String, String, String)> = project
        .published("rejected_rows", D)
        .await
        .iter()
        .map(|r| {
            (
                r["source"].as_str().unwrap().into(),
                r["reason"].as_str().unwrap().into(),
                r["row_key"].as_str().unwrap().into(),
            )
        })
        .collect();
    let has = |source: &str, reason: &str, key: &str| {
        rejected.iter().filter(|r| r.0 == source && r.1 == reason && r.2.starts_with(key)).count()
    };
    assert_eq!(has("orders", "null_key", "order_id=o2"), 1);
    assert_eq!(has("orders", "conflicting_duplicate", "order_id=o3"), 2);
    assert_eq!(has("orders", "unknown_status", "order_id=o4"), 1);
    assert_eq!(has("orders", "null_value", "order_id=o6"), 1);
    assert_eq!(has("order_lines", "non_positive_quantity", "order_id=o1, sku=s2"), 1);
    assert_eq!(has("order_lines", "negative_price", "order_id=o1, sku=s3"), 1);
    assert_eq!(has("order_lines", "null_key", "order_id=o1, sku=NULL"), 1);
    assert_eq!(has("order_lines", "line_without_order", "order_id=o9, sku=s1"), 1);
    assert_eq!(has("order_lines", "order_rejected", "order_id=o3, sku=s1"), 1);
    assert_eq!(has("order_lines", "conflicting_duplicate", "order_id=o7, sku=s2"), 2);
    assert_eq!(has("returns", "return_without_line", "order_id=o1, sku=s9"), 1);
    assert_eq!(has("returns", "return_exceeds_line", "order_id=o7, sku=s1"), 1);
    assert_eq!(has("returns", "negative_refund", "order_id=o1, sku=s1"), 1);
    assert_eq!(has("support_tickets", "null_key", "customer_id=NULL"), 1);
    assert_eq!(has("support_tickets", "null_key", "customer_id=,"), 1, "a blank id is no id");
    assert_eq!(has("support_tickets", "negative_cost", "customer_id=c1"), 1);
    assert_eq!(has("customers", "conflicting_duplicate", "customer_id=c3"), 2);
    assert_eq!(has("customers", "null_key", "customer_id=NULL"), 1);
    assert_eq!(has("referrals", "self_referral", "referrer_id=c1, referred_id=c1"), 1);
    assert_eq!(has("reviews", "null_value", "customer_id=c1"), 1);
    assert_eq!(rejected.len(), 5 + 7 + 3 + 3 + 3 + 1 + 1, "{rejected:#?}");

    // input = accepted + rejected per source; later facts (o5, its line, the 2026-03-05 return)
    // are not input.
    let quality: BTreeMap<&str, (u64, u64, u64)> = results
        .data_quality
        .iter()
        .map(|q| (q.source.as_str(), (q.input_rows, q.accepted_rows, q.rejected_rows)))
        .collect();
    assert_eq!(quality["orders"], (8, 3, 5));
    assert_eq!(quality["order_lines"], (10, 3, 7));
    assert_eq!(quality["returns"], (4, 1, 3));
    assert_eq!(quality["support_tickets"], (4, 1, 3));
    assert_eq!(quality["customers"], (4, 1, 3));
    assert_eq!(quality["referrals"], (2, 1, 1));
    assert_eq!(quality["reviews"], (2, 1, 1));
    for q in &results.data_quality {
        assert_eq!(q.input_rows, q.accepted_rows + q.rejected_rows, "{q:?}");
    }
    assert_eq!(project.published("source_quality", D).await.len(), 7);

    // What was accepted is used: c1 has o1 (books 10, returned for 10) and o7 (toys 2 x 10).
    let value = project.published("customer_value", D).await;
    assert_eq!(value.len(), 1, "{value:#?}");
    assert_eq!(value[0]["customer_id"], "c1");
    assert_eq!(value[0]["orders_12m"], 2);
    assert_eq!(value[0]["net_revenue_12m"], 10.0 + 20.0 - 10.0);
    assert_eq!(value[0]["returns_count_12m"], 1);
    assert_eq!(value[0]["support_tickets_12m"], 1);
}

#[tokio::test]
async fn too_many_rejected_rows_fail_the_run_and_publish_nothing() {
    let project = shop_with_bad_rows().project(); // default max_rejected_rate 0.01
    let results = project.run(D).await;
    assert_eq!(results.status, RunStatus::DataQualityFailed, "{:#}", results.to_json());
    assert!(results.published.is_none());
    assert!(!project.out_dir().join("_vipseg").exists(), "no commit");
}

/// Copies every file below `from` to the same place below `to`.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for file in files_below(from) {
        let target = to.join(file.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&file, &target).unwrap();
    }
}

#[tokio::test]
async fn a_failing_data_test_blocks_publishing_and_keeps_the_previous_run() {
    let mut project = facts_before_d().project();
    assert_success(&project.run(D).await);
    let published = project.published("customer_segments", D).await;

    // The same models plus a business rule the data breaks: c07 is a lapsed VIP.
    let models = project.path().join("models");
    copy_dir(&repo_sql_dir(), &models);
    std::fs::write(
        models.join("tests").join("no_lapsed_vips.sql"),
        "SELECT customer_id FROM customer_segments WHERE segment = 'lapsed_vip'\n",
    )
    .unwrap();
    project.models_dir = models;
    let results = project.run(D).await;
    assert_eq!(results.status, RunStatus::DataTestsFailed, "{:#}", results.to_json());
    let failed: Vec<_> =
        results.tests.iter().filter(|t| t.failures > 0).map(|t| (t.name.as_str(), t.failures)).collect();
    assert_eq!(failed, vec![("no_lapsed_vips", 1)]);
    assert!(results.published.is_none());
    assert_eq!(project.published("customer_segments", D).await, published, "readers still see the previous run");
}

/// `categories_12m` lists a customer's 12m categories by net revenue, highest first (ties by
/// name), whatever order the lines come in: customer_value's list relies on the engine keeping
/// the window's ranking into the aggregate (sql/marts/customer_value.sql), so 2,000 customers
/// each buy six categories in an order of revenue that is neither the names' nor the lines'.
#[tokio::test]
async fn category_lists_are_ranked_by_net_revenue() {
    const CUSTOMERS: usize = 2_000;
    let categories = ["apparel", "books", "garden", "kitchen", "tech", "toys"];
    let revenue = |customer: usize, category: usize| 10.0 * ((category * 5 + customer) % 6 + 1) as f64;
    let mut shop = Rows::default();
    let (mut orders, mut lines, mut customers) = (Vec::new(), Vec::new(), Vec::new());
    for c in 0..CUSTOMERS {
        let (id, order_id) = (format!("c{c:05}"), format!("o{c:05}"));
        orders.push(completed(&order_id, &id, "2026-01-10T10:00:00Z"));
        for (k, category) in categories.iter().enumerate() {
            // Customer 7's books and garden tie: the name decides.
            let price = if c == 7 && k == 2 { revenue(c, 1) } else { revenue(c, k) };
            lines.push(line(&order_id, &format!("s{k}"), category, 1, price, price, 1.0));
        }
        customers.push(customer(&id));
    }
    shop.add("orders", orders);
    shop.add("order_lines", lines);
    shop.add("customers", customers);
    let project = shop.project();
    assert_success(&project.run(D).await);
    let values = by_customer(&project.published("customer_value", D).await);
    assert_eq!(values.len(), CUSTOMERS);
    for c in 0..CUSTOMERS {
        let price = |k: usize| if c == 7 && k == 2 { revenue(c, 1) } else { revenue(c, k) };
        let mut expected: Vec<usize> = (0..categories.len()).collect();
        expected.sort_by(|&a, &b| price(b).total_cmp(&price(a)).then(categories[a].cmp(categories[b])));
        let expected: Vec<&str> = expected.iter().map(|&k| categories[k]).collect();
        assert_eq!(values[&format!("c{c:05}")]["categories_12m"], json!(expected), "customer c{c:05}");
    }
}
