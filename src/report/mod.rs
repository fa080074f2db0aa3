//! The run report: one self-contained `report.html` per run (inline CSS and SVG charts, no
//! script, no font or image to fetch), rendered from the run results document and small
//! aggregates read through the run's session, and published with the tables in the same commit.
//!
//! `data` holds the queries, `customers` and `run_health` turn them into the page's sections,
//! `charts` draws the SVG (plotters), `format` how numbers read; the page itself is the
//! template `report.html.j2` with its style sheet `report.css` (minijinja).

mod audiences;
mod charts;
mod customers;
mod data;
mod format;
mod run_health;

use datafusion::prelude::SessionContext;
use serde_json::{Value, json};

use crate::error::Error;

/// The name the report is published under: `<output>/report/as_of=<D>/part-<run_id>-0000.html`.
pub const TABLE: &str = "report";
/// The file name the report is staged as (its extension is kept when it is published).
pub const FILE_NAME: &str = "report.html";

const TEMPLATE: &str = include_str!("report.html.j2");
const STYLE: &str = include_str!("report.css");

/// Renders the report of a run from its results document (`RunResults::to_json`) and the
/// tables the run registered in `ctx`. A table the run did not build, or an empty one (the CLV
/// model not fitted, no VIPs), becomes a note in its section.
pub async fn render(ctx: &SessionContext, results: &Value) -> Result<Vec<u8>, Error> {
    let tables = data::read(ctx).await?;
    let page = json!({
        "style": STYLE,
        "as_of": results["as_of"],
        "run_id": results["run_id"],
        "version": results["vipseg_version"],
        "started_at": results["started_at"],
        "start_12m": results["windows"]["start_12m"],
        "headline": customers::headline(results, &tables),
        "tiers": customers::tiers(results, &tables)?,
        "pareto": customers::pareto(&tables)?,
        "clv": customers::clv(results, &tables)?,
        "segments": customers::segments(&tables)?,
        "categories": customers::categories(&tables)?,
        "profiles": customers::profiles(&tables)?,
        "lookalike": audiences::lookalike(results)?,
        "audiences": audiences::audiences(results)?,
        "clv_fit": run_health::clv_diagnostics(results, &tables)?,
        "quality": run_health::data_quality(results, &tables)?,
        "tests": run_health::tests(results),
        "timing": run_health::timing(results)?,
    });
    let mut env = minijinja::Environment::new();
    env.add_template("report.html", TEMPLATE).map_err(template_error)?;
    let html = env
        .get_template("report.html")
        .and_then(|t| t.render(minijinja::Value::from(minijinja::value::Serde(&page))))
        .map_err(template_error)?;
    Ok(html.into_bytes())
}

/// A chart as the template shows it: its name (`data-chart`), the SVG, and the colours of its
/// data marks (`data-mark-colors`, for checks in a browser).
fn figure(name: &str, chart: charts::Chart) -> Value {
    json!({ "name": name, "svg": chart.svg, "marks": chart.mark_colors.join(" ") })
}

fn template_error(e: minijinja::Error) -> Error {
    Error::Internal(format!("report: template report.html.j2: {e:#}"))
}
