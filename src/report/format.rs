//! How numbers and names read in the report's text and tables, and typed reads of the JSON rows
//! the report works from (null or missing fields are `None`).

use serde_json::Value;

/// A field as a number (`None` when null or missing).
pub fn num(row: &Value, key: &str) -> Option<f64> {
    row.get(key).and_then(Value::as_f64)
}

/// A field as text (`None` when null or missing).
pub fn text<'a>(row: &'a Value, key: &str) -> Option<&'a str> {
    row.get(key).and_then(Value::as_str)
}

/// The rows of an array field (none when missing).
pub fn rows<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// 12,345 (no decimals).
pub fn count(v: f64) -> String {
    let rounded = v.round();
    let digits = format!("{:.0}", rounded.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if rounded < 0.0 { format!("-{out}") } else { out }
}

/// Money in the shop's currency: 12,345 from 100 up, 12.34 below.
pub fn money(v: f64) -> String {
    if v.abs() >= 100.0 { count(v) } else { format!("{v:.2}") }
}

/// 38.2% (one decimal).
pub fn pct(v: f64) -> String {
    format!("{:.1}%", 100.0 * v)
}

/// 1.85× (lift, spend index).
pub fn times(v: f64) -> String {
    format!("{v:.2}×")
}

/// A number with about four significant digits (fitted parameters).
pub fn sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if (0.001..1e6).contains(&a) {
        let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.3e}")
    }
}

/// `None` as an en dash.
pub fn or_dash(v: Option<String>) -> String {
    v.unwrap_or_else(|| "–".to_string())
}

/// A segment's name as a person reads it: `near_vip` → "Near-VIP".
pub fn segment_name(segment: &str) -> String {
    match segment {
        "vip" => "VIP".to_string(),
        "near_vip" => "Near-VIP".to_string(),
        "lapsed_vip" => "Lapsed VIP".to_string(),
        "at_risk_vip" => "At-risk VIP".to_string(),
        "one_time_buyer" => "One-time buyer".to_string(),
        other => capitalized(&other.replace('_', " ")),
    }
}

/// A segment and its tier: "VIP gold", "VIP (all tiers)", "Advocate".
pub fn segment_label(segment: &str, tier: Option<&str>) -> String {
    match tier {
        Some(tier) => format!("{} {tier}", segment_name(segment)),
        None if segment == "vip" => "VIP (all tiers)".to_string(),
        None => segment_name(segment),
    }
}

/// A profile dimension as a heading.
pub fn dimension_name(dimension: &str) -> String {
    match dimension {
        "age_band" => "Age".to_string(),
        "channel" => "Main channel (12 months)".to_string(),
        "top_category" => "Top category (12 months)".to_string(),
        other => capitalized(&other.replace('_', " ")),
    }
}

pub fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The position of an age band in age order (unknown last).
pub fn age_order(band: &str) -> usize {
    ["<25", "25-34", "35-44", "45-54", "55-64", "65+"].iter().position(|b| *b == band).unwrap_or(6)
}

/// The position of a VIP tier, highest first.
pub fn tier_order(tier: Option<&str>) -> usize {
    match tier {
        None => 0,
        Some("platinum") => 1,
        Some("gold") => 2,
        Some("silver") => 3,
        Some(_) => 4,
    }
}
