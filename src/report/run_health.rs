//! The report's sections about the run itself: CLV diagnostics (fitted parameters with their
//! standard errors, holdout predicted against actual), data quality (rejected rows by source
//! and reason), data tests, and the time each model took.

use serde_json::{Value, json};

use super::charts::{self, AMBER, BLUE, Bars, Format, RED, Series, TEAL};
use super::data::Tables;
use super::figure;
use super::format::{count, num, or_dash, pct, rows, sig, text};
use crate::error::Error;

/// Models in the timing chart; the rest are added up in one bar.
const SLOWEST_MODELS: usize = 15;

/// Fitted CLV parameters per model, and the holdout comparison.
pub fn clv_diagnostics(results: &Value, tables: &Tables) -> Result<Value, Error> {
    let fits = &results["fits"];
    let Some(parameters) = tables.clv_model.as_deref() else {
        return Ok(json!({ "note": "The CLV model was not part of this run." }));
    };
    if parameters.is_empty() {
        let reason = text(&fits["clv_model"], "reason").unwrap_or("too little data");
        return Ok(json!({ "note": format!("The CLV model was not fitted this run: {reason}.") }));
    }
    let mut models: Vec<Value> = Vec::new();
    for row in parameters {
        let model = text(row, "model").unwrap_or("?");
        let estimate = num(row, "estimate");
        let se = num(row, "std_error");
        let relative = match (estimate, se) {
            (Some(e), Some(s)) if e != 0.0 => Some(pct((s / e).abs())),
            _ => None,
        };
        let parameter = json!({
            "parameter": text(row, "parameter").unwrap_or("?"),
            "estimate": or_dash(estimate.map(sig)),
            "std_error": se.map_or("not available".to_string(), sig),
            "relative": or_dash(relative),
        });
        match models.iter_mut().find(|m| m["model"] == model) {
            Some(m) => m["parameters"].as_array_mut().expect("an array").push(parameter),
            None => models.push(json!({
                "model": model,
                "customers": count(num(row, "customers").unwrap_or(0.0)),
                "log_likelihood": or_dash(num(row, "log_likelihood").map(sig)),
                "alternative": or_dash(num(row, "alternative_log_likelihood").map(sig)),
                "iterations": num(row, "iterations").unwrap_or(0.0),
                "converged": row.get("converged").and_then(Value::as_bool).unwrap_or(false),
                "parameters": [parameter],
            })),
        }
    }
    Ok(json!({ "models": models, "holdout": holdout(fits, tables)? }))
}

/// Predicted against actual repeat purchases in the holdout, by calibration frequency.
fn holdout(fits: &Value, tables: &Tables) -> Result<Value, Error> {
    let rows = tables.clv_holdout.as_deref().unwrap_or(&[]);
    if rows.is_empty() {
        let reason = text(&fits["clv_holdout"], "reason").unwrap_or("not run");
        return Ok(json!({ "note": format!("No holdout validation this run: {reason}.") }));
    }
    let buckets: Vec<&Value> = rows.iter().filter(|r| text(r, "frequency_bucket") != Some("total")).collect();
    let labels = buckets.iter().map(|r| text(r, "frequency_bucket").unwrap_or("?").to_string()).collect();
    let values = |key: &str| buckets.iter().map(|r| num(r, key).unwrap_or(0.0)).collect::<Vec<_>>();
    let chart = charts::bars(&Bars {
        labels,
        series: vec![
            Series::new("predicted repeat purchases", BLUE, values("predicted_repeat_orders")),
            Series::new("actual repeat purchases", AMBER, values("actual_repeat_orders")),
        ],
        format: Format::Count,
        horizontal: false,
        width: charts::WIDE,
    })?;
    let table: Vec<Value> = rows
        .iter()
        .map(|r| {
            let (predicted, actual) =
                (num(r, "predicted_repeat_orders").unwrap_or(0.0), num(r, "actual_repeat_orders").unwrap_or(0.0));
            json!({
                "bucket": text(r, "frequency_bucket").unwrap_or("?"),
                "customers": count(num(r, "customers").unwrap_or(0.0)),
                "predicted": format!("{predicted:.1}"),
                "actual": count(actual),
                "error": if actual > 0.0 { format!("{:+.1}%", 100.0 * (predicted - actual) / actual) } else { "–".into() },
            })
        })
        .collect();
    let weeks = num(&fits["clv_holdout"], "holdout_weeks").map(|w| format!("{w:.0}"));
    Ok(json!({ "rows": table, "weeks": weeks, "chart": figure("clv_holdout", chart) }))
}

/// Rows read, accepted and rejected per source, and the rejected rows by source and reason.
pub fn data_quality(results: &Value, tables: &Tables) -> Result<Value, Error> {
    let max_rate = num(&results["params"], "max_rejected_rate").unwrap_or(0.0);
    let sources: Vec<Value> = rows(results, "data_quality")
        .iter()
        .map(|q| {
            let rate = num(q, "rejected_rate").unwrap_or(0.0);
            json!({
                "source": text(q, "source").unwrap_or("?"),
                "input": count(num(q, "input_rows").unwrap_or(0.0)),
                "accepted": count(num(q, "accepted_rows").unwrap_or(0.0)),
                "rejected": count(num(q, "rejected_rows").unwrap_or(0.0)),
                "rate": pct(rate),
                "over": rate > max_rate,
            })
        })
        .collect();
    let rejected = tables.rejected.as_deref().unwrap_or(&[]);
    let chart = if rejected.is_empty() {
        Value::Null
    } else {
        let labels = rejected
            .iter()
            .map(|r| format!("{} · {}", text(r, "source").unwrap_or("?"), text(r, "reason").unwrap_or("?")))
            .collect();
        let values = rejected.iter().map(|r| num(r, "rows").unwrap_or(0.0)).collect();
        let bars = Bars {
            labels,
            series: vec![Series::new("rows", RED, values)],
            format: Format::Count,
            horizontal: true,
            width: charts::WIDE,
        };
        figure("rejected_rows", charts::bars(&bars)?)
    };
    let note = match (&tables.rejected, rejected.is_empty()) {
        (None, _) => Some("Rejected rows were not counted in this run."),
        (Some(_), true) => Some("No input row was rejected."),
        _ => None,
    };
    Ok(json!({ "sources": sources, "max_rate": pct(max_rate), "chart": chart, "note": note }))
}

/// Data tests run and failed.
pub fn tests(results: &Value) -> Value {
    let all = rows(results, "tests");
    let failed = all.iter().filter(|t| text(t, "status") == Some("fail")).count();
    json!({ "total": all.len(), "passed": all.len() - failed, "failed": failed })
}

/// Seconds per model: the slowest in a chart, every model in a table.
pub fn timing(results: &Value) -> Result<Value, Error> {
    let mut models: Vec<&Value> = rows(results, "models").iter().collect();
    if models.is_empty() {
        return Ok(json!({ "note": "No model ran." }));
    }
    let seconds = |m: &Value| num(m, "seconds").unwrap_or(0.0);
    models.sort_by(|a, b| seconds(b).total_cmp(&seconds(a)));
    let total: f64 = models.iter().map(|m| seconds(m)).sum();
    let mut labels: Vec<String> =
        models.iter().take(SLOWEST_MODELS).map(|m| text(m, "name").unwrap_or("?").to_string()).collect();
    let mut values: Vec<f64> = models.iter().take(SLOWEST_MODELS).map(|m| seconds(m)).collect();
    if models.len() > SLOWEST_MODELS {
        labels.push(format!("{} other models", models.len() - SLOWEST_MODELS));
        values.push(models.iter().skip(SLOWEST_MODELS).map(|m| seconds(m)).sum());
    }
    let chart = charts::bars(&Bars {
        labels,
        series: vec![Series::new("seconds", TEAL, values)],
        format: Format::Seconds,
        horizontal: true,
        width: charts::WIDE,
    })?;
    let table: Vec<Value> = models
        .iter()
        .map(|m| {
            json!({
                "name": text(m, "name").unwrap_or("?"),
                "materialized": text(m, "materialized").unwrap_or(""),
                "rows": or_dash(num(m, "rows").map(count)),
                "seconds": format!("{:.2}", seconds(m)),
            })
        })
        .collect();
    Ok(json!({
        "rows": table,
        "count": models.len(),
        "total": format!("{total:.1}"),
        "chart": figure("model_seconds", chart),
    }))
}
