//! The report's lookalike section: the propensity model against the RFM baseline, and the
//! audience files published for the ad platforms (who is in them, who was left out and why).

use serde_json::{Value, json};

use super::charts::{self, AMBER, BASELINE, BLUE, Bars, Format, RED, Series, TEAL};
use super::figure;
use super::format::{count, num, rows, segment_name, text};
use crate::error::Error;

/// The lookalike model's validation: holdout AUC of the model beside the RFM score's.
pub fn lookalike(results: &Value) -> Result<Value, Error> {
    let fit = &results["fits"]["lookalike_model"];
    if fit.is_null() {
        return Ok(json!({ "note": "The lookalike model was not part of this run." }));
    }
    let (Some(model), Some(rfm)) = (num(fit, "auc_model"), num(fit, "auc_rfm")) else {
        let reason = text(fit, "reason").unwrap_or("no reason given");
        return Ok(
            json!({ "note": format!("The lookalike model was not fitted: {reason}. No lookalike scores this run.") }),
        );
    };
    let chart = charts::bars(&Bars {
        labels: vec!["lookalike model".into(), "RFM score".into()],
        series: vec![Series { colors: vec![BLUE, BASELINE], ..Series::new("holdout AUC", BLUE, vec![model, rfm]) }],
        format: Format::Percent,
        horizontal: true,
        width: charts::NARROW,
    })?;
    Ok(json!({
        "chart": figure("lookalike_auc", chart),
        "auc_model": format!("{model:.3}"),
        "auc_rfm": format!("{rfm:.3}"),
        "train_rows": num(fit, "train_rows").map(count),
        "holdout_rows": num(fit, "holdout_rows").map(count),
        "positives": num(fit, "positives").map(count),
    }))
}

/// The audience files: rows in each file, and the members left out, by reason.
pub fn audiences(results: &Value) -> Result<Value, Error> {
    let files = rows(results, "audiences");
    if files.is_empty() {
        return Ok(json!({ "note": "This run published no audience file." }));
    }
    let label = |f: &Value| {
        format!("{} → {}", segment_name(text(f, "audience").unwrap_or("?")), text(f, "platform").unwrap_or("?"))
    };
    let left_out = |f: &Value, reason: &str| f["left_out"][reason].as_f64().unwrap_or(0.0);
    let chart = charts::bars(&Bars {
        labels: files.iter().map(label).collect(),
        series: vec![
            Series::new("in the file", TEAL, files.iter().map(|f| num(f, "rows").unwrap_or(0.0)).collect()),
            Series::new("no ad consent", AMBER, files.iter().map(|f| left_out(f, "no_consent")).collect()),
            Series::new(
                "nothing to match on",
                RED,
                files.iter().map(|f| left_out(f, "no_identifier") + left_out(f, "no_positive_value")).collect(),
            ),
        ],
        format: Format::Count,
        horizontal: true,
        width: charts::WIDE,
    })?;
    let table: Vec<Value> = files
        .iter()
        .map(|f| {
            let empty: f64 = f["empty_fields"].as_object().map_or(0.0, |m| m.values().filter_map(Value::as_f64).sum());
            json!({
                "name": label(f),
                "rows": count(num(f, "rows").unwrap_or(0.0)),
                "no_consent": count(left_out(f, "no_consent")),
                "no_identifier": count(left_out(f, "no_identifier")),
                "no_positive_value": count(left_out(f, "no_positive_value")),
                "empty_fields": count(empty),
                "adds": count(num(f, "adds").unwrap_or(0.0)),
                "removes": count(num(f, "removes").unwrap_or(0.0)),
                "warnings": rows(f, "warnings").iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; "),
            })
        })
        .collect();
    Ok(json!({ "chart": figure("audiences", chart), "rows": table }))
}
