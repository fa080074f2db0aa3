//! Fixture rows of the canonical sources as JSON, for `TestProject::source`.

use serde_json::{Value, json};

pub fn order(order_id: &str, customer_id: &str, ts: &str, status: &str) -> Value {
    json!({"order_id": order_id, "customer_id": customer_id, "order_ts": ts, "status": status, "channel": "web"})
}

pub fn completed(order_id: &str, customer_id: &str, ts: &str) -> Value {
    order(order_id, customer_id, ts, "completed")
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
