//! Fixture data of the canonical sources, shared by every test module: one row builder per
//! source (JSON objects; timestamps as RFC 3339 strings, dates as YYYY-MM-DD) and [`Rows`], the
//! rows of each source, written into a [`TestProject`] as Parquet in the canonical schema.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::support::TestProject;

/// Every source of the canonical schema (docs/canonical-schema.md), the required ones first.
pub const SOURCES: [&str; 7] =
    ["orders", "order_lines", "customers", "returns", "support_tickets", "referrals", "reviews"];

// ---------------------------------------------------------------------------------------------
// One row of a source.

pub fn order(order_id: &str, customer_id: &str, ts: &str, status: &str) -> Value {
    json!({"order_id": order_id, "customer_id": customer_id, "order_ts": ts, "status": status, "channel": "web"})
}

pub fn completed(order_id: &str, customer_id: &str, ts: &str) -> Value {
    order(order_id, customer_id, ts, "completed")
}

pub fn line(
    order_id: &str,
    sku: &str,
    category: &str,
    quantity: i64,
    unit_price: f64,
    list_price: f64,
    unit_cost: f64,
) -> Value {
    json!({"order_id": order_id, "sku": sku, "category": category, "quantity": quantity,
           "unit_price": unit_price, "list_price": list_price, "unit_cost": unit_cost})
}

/// A line of a book at full price, costing half its price.
pub fn book_line(order_id: &str, sku: &str, quantity: i64, unit_price: f64) -> Value {
    line(order_id, sku, "books", quantity, unit_price, unit_price, unit_price / 2.0)
}

pub fn ret(order_id: &str, sku: &str, quantity: i64, refund_amount: f64, ts: &str) -> Value {
    json!({"order_id": order_id, "sku": sku, "quantity": quantity, "refund_amount": refund_amount, "return_ts": ts})
}

pub fn ticket(customer_id: &str, ts: &str, cost: Option<f64>) -> Value {
    json!({"customer_id": customer_id, "ticket_ts": ts, "cost": cost})
}

pub fn customer(customer_id: &str) -> Value {
    json!({"customer_id": customer_id, "email": format!("{customer_id}@example.com"), "country": "DE", "ad_consent": true})
}

pub fn referral(referrer_id: &str, referred_id: &str, ts: &str) -> Value {
    json!({"referrer_id": referrer_id, "referred_id": referred_id, "referral_ts": ts})
}

pub fn review(customer_id: &str, ts: &str, rating: Option<i64>) -> Value {
    json!({"customer_id": customer_id, "review_ts": ts, "rating": rating})
}

// ---------------------------------------------------------------------------------------------
// Rows of several sources.

/// Rows per source, written one Parquet file per source.
#[derive(Debug, Default, Clone)]
pub struct Rows(pub BTreeMap<&'static str, Vec<Value>>);

impl Rows {
    /// Appends `rows` to `source` (creating the source, also with no rows).
    pub fn add(&mut self, source: &'static str, rows: Vec<Value>) -> &mut Self {
        self.0.entry(source).or_default().extend(rows);
        self
    }

    /// Replaces the rows of `source`.
    pub fn set(&mut self, source: &'static str, rows: Vec<Value>) -> &mut Self {
        self.0.insert(source, rows);
        self
    }

    /// Leaves `source` out (no file, no folder); returns its rows.
    pub fn remove(&mut self, source: &str) -> Vec<Value> {
        self.0.remove(source).unwrap_or_default()
    }

    /// These rows and those of `other`.
    pub fn with(mut self, other: &Rows) -> Rows {
        for (source, rows) in &other.0 {
            self.add(source, rows.clone());
        }
        self
    }

    /// Writes `data/<source>/<file>` into the project for every source here, also for those
    /// without rows (a file with the schema and no row).
    pub fn write(&self, project: &TestProject, file: &str) {
        for (source, rows) in &self.0 {
            project.source_file(source, file, rows);
        }
    }

    /// A fresh project with these rows as `part-0.parquet` of each source.
    pub fn project(&self) -> TestProject {
        let project = TestProject::new();
        self.write(&project, "part-0.parquet");
        project
    }
}
