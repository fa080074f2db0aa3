//! The report's sections about customers: headline figures, VIP tiers, the Pareto curve, the
//! predicted-CLV distribution, segments, core categories and who the VIPs are
//! (segment_profiles). Each section is a JSON object for the template; `note` says why a
//! section has nothing to show.

use serde_json::{Value, json};

use super::charts::{self, BASELINE, BLUE, Bars, Bin, CurvePoint, Format, GOLD, PLATINUM, SILVER, Series};
use super::data::{CLV_BINS, Tables};
use super::figure;
use super::format::{
    age_order, count, dimension_name, money, num, or_dash, pct, rows, segment_label, text, tier_order, times,
};
use crate::error::Error;

const NOT_BUILT: &str = "Not built in this run.";

fn note(message: impl Into<String>) -> Value {
    json!({ "note": message.into() })
}

/// The rows of a table, or the section's note when the run did not build it or it is empty.
fn built<'a>(table: &'a Option<Vec<Value>>, empty: &str) -> Result<&'a [Value], Value> {
    match table {
        None => Err(note(NOT_BUILT)),
        Some(rows) if rows.is_empty() => Err(note(empty)),
        Some(rows) => Ok(rows),
    }
}

fn vip_all(tables: &Tables) -> Option<&Value> {
    let rows = tables.segments.as_deref()?;
    rows.iter().find(|r| text(r, "segment") == Some("vip") && text(r, "tier").is_none())
}

fn decile(tables: &Tables, d: i64) -> Option<&Value> {
    tables.pareto.as_deref()?.iter().find(|r| r.get("decile").and_then(Value::as_i64) == Some(d))
}

/// The figures at the top of the page.
pub fn headline(results: &Value, tables: &Tables) -> Value {
    let mut cards = Vec::new();
    if let Some(rows) = tables.pareto.as_deref() {
        let active: f64 = rows.iter().filter_map(|r| num(r, "customers")).sum();
        cards.push(json!({ "label": "active customers (12 months)", "value": count(active) }));
    }
    if let Some(vip) = vip_all(tables) {
        let share = num(vip, "customer_share").map_or(String::new(), |s| format!("{} of all customers", pct(s)));
        cards.push(json!({ "label": "VIPs", "value": count(num(vip, "customers").unwrap_or(0.0)), "detail": share }));
        if let Some(margin) = num(vip, "margin_share") {
            cards.push(json!({ "label": "of 12-month margin comes from VIPs", "value": pct(margin) }));
        }
    }
    if let Some(top) = decile(tables, 2).and_then(|r| num(r, "cumulative_margin_share")) {
        cards.push(json!({ "label": "of margin from the top 20% of customers", "value": pct(top) }));
    }
    let stats = tables.clv_stats.as_deref().and_then(<[Value]>::first);
    if let Some(stats) = stats.filter(|s| num(s, "predicted").unwrap_or(0.0) > 0.0)
        && let Some(median) = num(stats, "median")
    {
        cards.push(json!({ "label": "median predicted 12-month CLV", "value": money(median) }));
    }
    let (input, rejected) = rows(results, "data_quality").iter().fold((0.0, 0.0), |(i, r), q| {
        (i + num(q, "input_rows").unwrap_or(0.0), r + num(q, "rejected_rows").unwrap_or(0.0))
    });
    if input > 0.0 {
        let detail = format!("{} of {} input rows", count(rejected), count(input));
        cards.push(json!({ "label": "input rows rejected", "value": pct(rejected / input), "detail": detail }));
    }
    Value::Array(cards)
}

/// VIP tier sizes and entry thresholds (from the run results) with their share of margin.
pub fn tiers(results: &Value, tables: &Tables) -> Result<Value, Error> {
    let params = &results["params"];
    let rank_by = text(params, "vip_rank_by").unwrap_or("net_value_12m");
    let rule = match text(params, "vip_mode") {
        Some("static") => {
            let t = &params["vip_tier_thresholds"];
            let at = |k: &str| num(t, k).map_or("–".into(), money);
            format!(
                "Static tiers by {rank_by}: platinum from {}, gold from {}, silver from {}.",
                at("platinum"),
                at("gold"),
                at("silver")
            )
        }
        _ => {
            let s = &params["vip_tier_shares"];
            let at = |k: &str| num(s, k).map_or("–".into(), pct);
            format!(
                "Dynamic tiers by {rank_by}: platinum is the top {}, gold the top {}, silver the top {} of eligible customers.",
                at("platinum"),
                at("gold"),
                at("silver")
            )
        }
    };
    let tiers = rows(results, "vip_tiers");
    if tiers.is_empty() {
        let message = if tables.segments.is_none() {
            NOT_BUILT.to_string()
        } else {
            format!(
                "No customer is a VIP this run: nobody met the eligibility rules (at least {} orders in 12 months, return rate at most {}).",
                num(params, "vip_min_orders_12m").unwrap_or(0.0),
                num(params, "vip_max_return_rate").map_or("–".into(), pct)
            )
        };
        return Ok(json!({ "note": message, "rule": rule }));
    }
    let segment = |tier: &str| {
        tables.segments.as_deref().and_then(|r| {
            r.iter().find(|s| text(s, "segment") == Some("vip") && text(s, "tier") == Some(tier)).cloned()
        })
    };
    let mut table = Vec::new();
    let (mut labels, mut values, mut colors) = (Vec::new(), Vec::new(), Vec::new());
    for tier in tiers {
        let name = text(tier, "tier").unwrap_or("?");
        let customers = num(tier, "customers").unwrap_or(0.0);
        let summary = segment(name).unwrap_or(Value::Null);
        table.push(json!({
            "tier": name,
            "customers": count(customers),
            "threshold": or_dash(num(tier, "threshold").map(money)),
            "margin_share": or_dash(num(&summary, "margin_share").map(pct)),
            "avg_revenue": or_dash(num(&summary, "avg_net_revenue_12m").map(money)),
        }));
        labels.push(super::format::capitalized(name));
        values.push(customers);
        colors.push(match name {
            "platinum" => PLATINUM,
            "gold" => GOLD,
            "silver" => SILVER,
            _ => BLUE,
        });
    }
    let series = Series { name: "customers".into(), color: BLUE, colors, values };
    let chart = charts::bars(&Bars {
        labels,
        series: vec![series],
        format: Format::Count,
        horizontal: true,
        width: charts::WIDE,
    })?;
    Ok(json!({ "rule": rule, "rows": table, "chart": figure("vip_tiers", chart) }))
}

/// The Pareto curve with the top 10 % and 20 % marked.
pub fn pareto(tables: &Tables) -> Result<Value, Error> {
    let deciles = match built(&tables.pareto, "No customer ordered in the last 12 months.") {
        Ok(rows) => rows,
        Err(note) => return Ok(note),
    };
    let point = |r: &Value| CurvePoint {
        customers: num(r, "cumulative_customer_share").unwrap_or(0.0),
        margin: num(r, "cumulative_margin_share").unwrap_or(0.0),
    };
    let points: Vec<CurvePoint> = deciles.iter().map(point).collect();
    let mut marked = Vec::new();
    for d in [1, 2] {
        if let Some(r) = decile(tables, d) {
            let p = point(r);
            marked.push((
                p,
                format!("top {}: {} of margin", Format::Percent.show(p.customers), Format::Percent.show(p.margin)),
            ));
        }
    }
    let headline = match (decile(tables, 1), decile(tables, 2)) {
        (Some(d1), Some(d2)) => format!(
            "The top 20% of active customers bring {} of the 12-month margin, the top 10% bring {}.",
            or_dash(num(d2, "cumulative_margin_share").map(pct)),
            or_dash(num(d1, "cumulative_margin_share").map(pct)),
        ),
        _ => "Too few active customers for the top 10% and 20% to be measured.".to_string(),
    };
    let spend = decile(tables, 1)
        .and_then(|r| num(r, "spend_index"))
        .map(|s| format!("A customer in the top 10% spends {} as much as the average active customer.", times(s)));
    let table: Vec<Value> = deciles
        .iter()
        .map(|r| {
            json!({
                "decile": r.get("decile").cloned().unwrap_or(Value::Null),
                "customers": count(num(r, "customers").unwrap_or(0.0)),
                "margin_share": or_dash(num(r, "margin_share").map(pct)),
                "cumulative": or_dash(num(r, "cumulative_margin_share").map(pct)),
                "spend_index": or_dash(num(r, "spend_index").map(times)),
            })
        })
        .collect();
    let chart = charts::pareto(&points, &marked)?;
    Ok(json!({ "headline": headline, "spend": spend, "rows": table, "chart": figure("pareto", chart) }))
}

/// The distribution of predicted 12-month CLV, binned in SQL.
pub fn clv(results: &Value, tables: &Tables) -> Result<Value, Error> {
    let stats = match built(&tables.clv_stats, "No customer.") {
        Ok(rows) => &rows[0],
        Err(note) => return Ok(note),
    };
    if num(stats, "predicted").unwrap_or(0.0) == 0.0 {
        let reason = text(&results["fits"]["clv_model"], "reason").unwrap_or("no customer has a prediction");
        return Ok(note(format!("No CLV predictions this run: {reason}.")));
    }
    let bins_rows = tables.clv_bins.as_deref().unwrap_or(&[]);
    let (lo, hi) = bins_rows.first().map_or((0.0, 1.0), |r| (num(r, "lo").unwrap_or(0.0), num(r, "hi").unwrap_or(1.0)));
    let width = if hi > lo { (hi - lo) / CLV_BINS as f64 } else { 1.0 };
    let count_of = |b: i64| {
        bins_rows.iter().find(|r| r.get("bin").and_then(Value::as_i64) == Some(b)).and_then(|r| num(r, "customers"))
    };
    let bins: Vec<Bin> = (0..CLV_BINS)
        .map(|b| Bin { lo: lo + b as f64 * width, hi: lo + (b + 1) as f64 * width, count: count_of(b).unwrap_or(0.0) })
        .collect();
    let tail = count_of(CLV_BINS).map(|c| (c, format!("above {} (top 1%)", money(hi))));
    let chart = charts::histogram(&bins, tail, Format::Money)?;
    let stat = |label: &str, key: &str| json!({ "label": label, "value": or_dash(num(stats, key).map(money)) });
    let figures = vec![
        json!({ "label": "customers with a prediction", "value": count(num(stats, "predicted").unwrap_or(0.0)) }),
        stat("predicted 12-month CLV of all customers", "total"),
        stat("median customer", "median"),
        stat("top 10% from", "p90"),
        stat("top 1% from", "p99"),
    ];
    Ok(json!({ "figures": figures, "chart": figure("clv_distribution", chart) }))
}

/// Segment summary: customers against margin, per segment and VIP tier.
pub fn segments(tables: &Tables) -> Result<Value, Error> {
    let rows = match built(&tables.segments, "No customer is in any segment this run.") {
        Ok(rows) => rows,
        Err(note) => return Ok(note),
    };
    let mut ordered: Vec<&Value> = rows.iter().collect();
    ordered.sort_by(|a, b| {
        let key = |r: &Value| (text(r, "segment") != Some("vip"), tier_order(text(r, "tier")));
        key(a).cmp(&key(b)).then(num(b, "customers").unwrap_or(0.0).total_cmp(&num(a, "customers").unwrap_or(0.0)))
    });
    let labels: Vec<String> =
        ordered.iter().map(|r| segment_label(text(r, "segment").unwrap_or("?"), text(r, "tier"))).collect();
    let values = |key: &str| ordered.iter().map(|r| num(r, key).unwrap_or(0.0)).collect::<Vec<_>>();
    let chart = charts::bars(&Bars {
        labels: labels.clone(),
        series: vec![
            Series::new("share of customers", BASELINE, values("customer_share")),
            Series::new("share of 12-month margin", BLUE, values("margin_share")),
        ],
        format: Format::Percent,
        horizontal: true,
        width: charts::WIDE,
    })?;
    let table: Vec<Value> = ordered
        .iter()
        .zip(labels)
        .map(|(r, label)| {
            json!({
                "segment": label,
                "customers": count(num(r, "customers").unwrap_or(0.0)),
                "customer_share": or_dash(num(r, "customer_share").map(pct)),
                "revenue_share": or_dash(num(r, "revenue_share").map(pct)),
                "margin_share": or_dash(num(r, "margin_share").map(pct)),
                "avg_revenue": or_dash(num(r, "avg_net_revenue_12m").map(money)),
            })
        })
        .collect();
    Ok(json!({ "rows": table, "chart": figure("segments", chart) }))
}

/// The categories most VIPs buy, against all active customers.
pub fn categories(tables: &Tables) -> Result<Value, Error> {
    let rows = match built(&tables.categories, "No category was bought in the last 12 months.") {
        Ok(rows) => rows,
        Err(note) => return Ok(note),
    };
    let labels: Vec<String> = rows.iter().map(|r| text(r, "category").unwrap_or("?").to_string()).collect();
    let values = |key: &str| rows.iter().map(|r| num(r, key).unwrap_or(0.0)).collect::<Vec<_>>();
    let chart = charts::bars(&Bars {
        labels,
        series: vec![
            Series::new("VIPs who bought it", BLUE, values("vip_buyer_share")),
            Series::new("active customers who bought it", BASELINE, values("buyer_share")),
        ],
        format: Format::Percent,
        horizontal: true,
        width: charts::WIDE,
    })?;
    let table: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "rank": r.get("category_rank").cloned().unwrap_or(Value::Null),
                "category": text(r, "category").unwrap_or("?"),
                "vip_buyers": count(num(r, "vip_buyers").unwrap_or(0.0)),
                "vip_buyer_share": or_dash(num(r, "vip_buyer_share").map(pct)),
                "vip_revenue": or_dash(num(r, "vip_net_revenue_12m").map(money)),
                "vip_margin_rate": or_dash(num(r, "vip_margin_rate_12m").map(pct)),
                "buyers": count(num(r, "buyers_12m").unwrap_or(0.0)),
                "margin_rate": or_dash(num(r, "margin_rate_12m").map(pct)),
            })
        })
        .collect();
    let total = rows.first().and_then(|r| num(r, "categories")).unwrap_or(rows.len() as f64);
    Ok(json!({ "rows": table, "shown": rows.len(), "total": count(total), "chart": figure("core_categories", chart) }))
}

const DIMENSIONS: [&str; 6] = ["age_band", "gender", "country", "region", "channel", "top_category"];

/// Who the VIPs are, one chart per dimension, and what sets every segment apart.
pub fn profiles(tables: &Tables) -> Result<Value, Error> {
    let vip = match built(&tables.vip_profile, "No VIPs this run, so there is no VIP profile.") {
        Ok(rows) => rows,
        Err(note) => return Ok(note),
    };
    let mut figures = Vec::new();
    for dimension in DIMENSIONS {
        let mut values: Vec<&Value> = vip.iter().filter(|r| text(r, "dimension") == Some(dimension)).collect();
        if values.is_empty() {
            continue;
        }
        if dimension == "age_band" {
            values.sort_by_key(|r| age_order(text(r, "value").unwrap_or("")));
        }
        let labels = values
            .iter()
            .map(|r| {
                let value = text(r, "value").unwrap_or("?");
                num(r, "lift").map_or(value.to_string(), |l| format!("{value} · {}", times(l)))
            })
            .collect();
        let share = |key: &str| values.iter().map(|r| num(r, key).unwrap_or(0.0)).collect::<Vec<_>>();
        let chart = charts::bars(&Bars {
            labels,
            series: vec![
                Series::new("VIPs", BLUE, share("share")),
                Series::new("all active customers", BASELINE, share("active_share")),
            ],
            format: Format::Percent,
            horizontal: true,
            width: charts::NARROW,
        })?;
        let mut fig = figure(&format!("profile_{dimension}"), chart);
        fig["title"] = json!(dimension_name(dimension));
        figures.push(fig);
    }
    Ok(json!({ "figures": figures, "traits": traits(tables) }))
}

/// Per segment and tier (VIPs first), the values most over-represented in it.
fn traits(tables: &Tables) -> Vec<Value> {
    let mut rows: Vec<&Value> = tables.traits.as_deref().unwrap_or(&[]).iter().collect();
    let key = |r: &Value| (text(r, "segment") != Some("vip"), tier_order(text(r, "tier")));
    // Stable: within a segment the query's order (highest lift first) stays.
    rows.sort_by_key(|r| key(r));
    let mut segments: Vec<Value> = Vec::new();
    for r in rows {
        let label = segment_label(text(r, "segment").unwrap_or("?"), text(r, "tier"));
        let item = json!({
            "dimension": match text(r, "dimension") {
                Some("channel") => "Channel".to_string(),
                Some("top_category") => "Top category".to_string(),
                other => dimension_name(other.unwrap_or("?")),
            },
            "value": text(r, "value").unwrap_or("?"),
            "customers": count(num(r, "customers").unwrap_or(0.0)),
            "share": or_dash(num(r, "share").map(pct)),
            "active_share": or_dash(num(r, "active_share").map(pct)),
            "lift": or_dash(num(r, "lift").map(times)),
            "strong": num(r, "lift").unwrap_or(0.0) >= 1.5,
        });
        match segments.last_mut() {
            Some(last) if last["segment"] == label.as_str() => {
                last["items"].as_array_mut().expect("an array").push(item)
            }
            _ => segments.push(json!({ "segment": label, "items": [item] })),
        }
    }
    segments
}
