//! The run report and `segment_profiles`: the profiles of a tiny shop worked out by hand (every
//! count, share and lift), the report published in the same commit as the tables (with notes
//! where there is nothing to show), and the report of a generated shop opened in a real headless
//! Chromium (tests/browser/check_report.mjs): no console error, every chart drawn with data, a
//! screenshot that is not blank.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::fixtures::{Rows, line};
use crate::support::{GeneratedShop, Outcome, assert_success};

const D: &str = "2026-03-01";

fn order(order_id: &str, customer_id: &str, ts: &str, channel: &str) -> Value {
    json!({"order_id": order_id, "customer_id": customer_id, "order_ts": ts, "status": "completed", "channel": channel})
}

fn person(id: &str, birth: Option<&str>, gender: Option<&str>, country: &str, region: Option<&str>) -> Value {
    json!({"customer_id": id, "email": format!("{id}@example.com"), "country": country, "region": region,
           "birth_date": birth, "gender": gender, "ad_consent": true})
}

/// Six customers (docs of the expected values in `segment_profiles_are_worked_out_by_hand`).
/// Static tiers on 12-month net revenue: platinum from 1000, gold from 500, silver from 100.
fn tiny_shop() -> Rows {
    let full = |order: &str, category: &str, price: f64| line(order, "s1", category, 1, price, price, price / 2.0);
    let mut rows = Rows::default();
    rows.add(
        "orders",
        vec![
            order("o11", "c1", "2025-06-10T10:00:00Z", "web"),
            order("o12", "c1", "2025-12-10T10:00:00Z", "web"),
            order("o21", "c2", "2025-05-05T10:00:00Z", "app"),
            order("o22", "c2", "2025-08-05T10:00:00Z", "app"),
            order("o23", "c2", "2026-01-05T10:00:00Z", "web"),
            order("o31", "c3", "2025-09-01T10:00:00Z", "web"),
            order("o32", "c3", "2025-11-01T10:00:00Z", "store"),
            order("o41", "c4", "2025-10-01T10:00:00Z", "web"),
            order("o51", "c5", "2025-07-01T10:00:00Z", "app"),
            order("o52", "c5", "2025-12-01T10:00:00Z", "app"),
            order("o61", "c6", "2024-06-01T10:00:00Z", "web"),
        ],
    );
    rows.add(
        "order_lines",
        vec![
            full("o11", "books", 300.0),
            full("o12", "books", 300.0),
            full("o21", "toys", 400.0),
            full("o22", "toys", 400.0),
            full("o23", "books", 400.0),
            full("o31", "garden", 75.0),
            full("o32", "garden", 75.0),
            full("o41", "toys", 50.0),
            full("o51", "books", 40.0),
            full("o52", "books", 40.0),
            full("o61", "books", 300.0),
        ],
    );
    rows.add(
        "customers",
        vec![
            person("c1", Some("1990-05-10"), Some("f"), "DE", Some("BY")),
            // Text is trimmed; country upper-case, gender lower-case.
            person("c2", Some("2000-03-01"), Some("M "), " de", None),
            person("c3", None, Some(""), "FR", Some("IDF")),
            person("c4", Some("1961-03-02"), Some("f"), "FR", Some("IDF")),
            // c5 has no customer record; c6's birth date is a form placeholder.
            person("c6", Some("1900-01-01"), Some("x"), "US", None),
        ],
    );
    rows
}

fn tiny_project() -> crate::support::TestProject {
    tiny_shop()
        .project()
        .with_param("vip_mode = \"static\"")
        .with_param("vip_rank_by = \"net_revenue_12m\"")
        .with_param("vip_tier_thresholds = { platinum = 1000, gold = 500, silver = 100 }")
}

/// (dimension, value, customers, share, active_share, lift) of one segment and tier.
type Profile = Vec<(&'static str, &'static str, i64, f64, Option<f64>, Option<f64>)>;

fn assert_profile(rows: &[Value], segment: &str, tier: Option<&str>, expected: Profile) {
    let mut actual: Vec<&Value> =
        rows.iter().filter(|r| r["segment"] == segment && r["tier"].as_str() == tier).collect();
    actual.sort_by_key(|r| (r["dimension"].as_str().unwrap().to_string(), r["value"].as_str().unwrap().to_string()));
    let mut expected = expected;
    expected.sort_by_key(|e| (e.0.to_string(), e.1.to_string()));
    let show: Vec<String> = actual.iter().map(|r| r.to_string()).collect();
    assert_eq!(actual.len(), expected.len(), "{segment} {tier:?}: {show:#?}");
    let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-12,
        (None, None) => true,
        _ => false,
    };
    for (row, (dimension, value, customers, share, active_share, lift)) in actual.iter().zip(expected) {
        let context = format!("{segment} {tier:?} {dimension}={value}: {row}");
        assert_eq!(row["dimension"], dimension, "{context}");
        assert_eq!(row["value"], value, "{context}");
        assert_eq!(row["customers"], customers, "{context}");
        assert!(close(row["share"].as_f64(), Some(share)), "share: {context}");
        assert!(close(row["active_share"].as_f64(), active_share), "active_share: {context}");
        assert!(close(row["lift"].as_f64(), lift), "lift: {context}");
    }
}

/// Active customers (orders_12m >= 1) are c1..c5; c6 last ordered in 2024. At D = 2026-03-01:
///
/// | customer | age (band)        | gender  | country | region  | main channel        | top category | segments |
/// |----------|-------------------|---------|---------|---------|---------------------|--------------|----------|
/// | c1       | 35 (35-44)        | f       | DE      | BY      | web (2 of 2)        | books        | vip gold (600) |
/// | c2       | 26 on D (25-34)   | m       | DE      | unknown | app (2 of 3)        | toys (800 of 1200) | vip platinum (1200) |
/// | c3       | unknown           | unknown | FR      | IDF     | store (1:1 tie with web, by name) | garden | vip silver (150) |
/// | c4       | 64, 65 a day after D (55-64) | f | FR  | IDF     | web                 | toys         | one_time_buyer |
/// | c5       | unknown (no record) | unknown | unknown | unknown | app               | books        | near_vip (80) |
/// | c6       | unknown (1900-01-01) | x    | US      | unknown | none (no 12m order) | none         | lapsed_vip (300 in prior12m), one_time_buyer |
///
/// Among the 5 active customers: 35-44, 25-34, 55-64 1/5 each, unknown age 2/5; f 2/5, m 1/5,
/// unknown gender 2/5; DE 2/5, FR 2/5, unknown country 1/5; BY 1/5, IDF 2/5, unknown region
/// 2/5; web 2/5, app 2/5, store 1/5; books 2/5, toys 2/5, garden 1/5. No active customer is
/// x, US or none: their lift is NULL.
#[tokio::test]
async fn segment_profiles_are_worked_out_by_hand() {
    let project = tiny_project();
    let results = project.run(D).await;
    assert_success(&results);
    let rows = project.published("segment_profiles", D).await;
    let (third, fifth) = (1.0 / 3.0, 0.2);
    let (a1, a2) = (Some(fifth), Some(2.0 * fifth));
    let (l53, l56) = (Some(third / fifth), Some(third / (2.0 * fifth)));
    // VIPs, all tiers: c1, c2, c3 (each value 1 of 3, DE 2 of 3).
    assert_profile(
        &rows,
        "vip",
        None,
        vec![
            ("age_band", "35-44", 1, third, a1, l53),
            ("age_band", "25-34", 1, third, a1, l53),
            ("age_band", "unknown", 1, third, a2, l56),
            ("gender", "f", 1, third, a2, l56),
            ("gender", "m", 1, third, a1, l53),
            ("gender", "unknown", 1, third, a2, l56),
            ("country", "DE", 2, 2.0 * third, a2, Some(2.0 * third / (2.0 * fifth))),
            ("country", "FR", 1, third, a2, l56),
            ("region", "BY", 1, third, a1, l53),
            ("region", "IDF", 1, third, a2, l56),
            ("region", "unknown", 1, third, a2, l56),
            ("channel", "web", 1, third, a2, l56),
            ("channel", "app", 1, third, a2, l56),
            ("channel", "store", 1, third, a1, l53),
            ("top_category", "books", 1, third, a2, l56),
            ("top_category", "toys", 1, third, a2, l56),
            ("top_category", "garden", 1, third, a1, l53),
        ],
    );
    // One customer per tier: share 1, lift 1 / active share (5 or 2.5).
    let (l5, l25) = (Some(5.0), Some(2.5));
    assert_profile(
        &rows,
        "vip",
        Some("gold"),
        vec![
            ("age_band", "35-44", 1, 1.0, a1, l5),
            ("gender", "f", 1, 1.0, a2, l25),
            ("country", "DE", 1, 1.0, a2, l25),
            ("region", "BY", 1, 1.0, a1, l5),
            ("channel", "web", 1, 1.0, a2, l25),
            ("top_category", "books", 1, 1.0, a2, l25),
        ],
    );
    assert_profile(
        &rows,
        "vip",
        Some("platinum"),
        vec![
            ("age_band", "25-34", 1, 1.0, a1, l5),
            ("gender", "m", 1, 1.0, a1, l5),
            ("country", "DE", 1, 1.0, a2, l25),
            ("region", "unknown", 1, 1.0, a2, l25),
            ("channel", "app", 1, 1.0, a2, l25),
            ("top_category", "toys", 1, 1.0, a2, l25),
        ],
    );
    assert_profile(
        &rows,
        "vip",
        Some("silver"),
        vec![
            ("age_band", "unknown", 1, 1.0, a2, l25),
            ("gender", "unknown", 1, 1.0, a2, l25),
            ("country", "FR", 1, 1.0, a2, l25),
            ("region", "IDF", 1, 1.0, a2, l25),
            ("channel", "store", 1, 1.0, a1, l5),
            ("top_category", "garden", 1, 1.0, a1, l5),
        ],
    );
    // An inactive member: values no active customer has get no lift.
    assert_profile(
        &rows,
        "lapsed_vip",
        None,
        vec![
            ("age_band", "unknown", 1, 1.0, a2, l25),
            ("gender", "x", 1, 1.0, None, None),
            ("country", "US", 1, 1.0, None, None),
            ("region", "unknown", 1, 1.0, a2, l25),
            ("channel", "none", 1, 1.0, None, None),
            ("top_category", "none", 1, 1.0, None, None),
        ],
    );
    // c4 and c6: halves.
    let (l125, half) = (Some(0.5 / 0.4), 0.5);
    assert_profile(
        &rows,
        "one_time_buyer",
        None,
        vec![
            ("age_band", "55-64", 1, half, a1, Some(2.5)),
            ("age_band", "unknown", 1, half, a2, l125),
            ("gender", "f", 1, half, a2, l125),
            ("gender", "x", 1, half, None, None),
            ("country", "FR", 1, half, a2, l125),
            ("country", "US", 1, half, None, None),
            ("region", "IDF", 1, half, a2, l125),
            ("region", "unknown", 1, half, a2, l125),
            ("channel", "web", 1, half, a2, l125),
            ("channel", "none", 1, half, None, None),
            ("top_category", "toys", 1, half, a2, l125),
            ("top_category", "none", 1, half, None, None),
        ],
    );
    // The model's data tests ran (and passed): accepted dimensions, and each dimension of each
    // segment covering its members once (sql/tests/segment_profiles_cover_members.sql).
    let tests: Vec<&str> = results.tests.iter().map(|t| t.name.as_str()).collect();
    assert!(tests.iter().any(|t| t.contains("segment_profiles") && t.contains("accepted_values")), "{tests:?}");
    assert!(tests.contains(&"segment_profiles_cover_members"), "{tests:?}");
}

/// The latest commit of `as_of` under `out` and the path of the published report it names.
fn published_report(out: &Path, as_of: &str) -> (Value, PathBuf) {
    let commits = out.join("_vipseg/commits").join(format!("as_of={as_of}"));
    let mut records: Vec<PathBuf> =
        std::fs::read_dir(&commits).expect("commit records").map(|e| e.unwrap().path()).collect();
    records.sort();
    let commit: Value = serde_json::from_slice(&std::fs::read(records.last().expect("a commit")).unwrap()).unwrap();
    let files = commit["tables"]["report"]["files"].as_array().expect("the commit names the report").clone();
    assert_eq!(files.len(), 1, "{files:?}");
    let file = files[0].as_str().unwrap();
    assert!(file.starts_with(&format!("report/as_of={as_of}/part-")) && file.ends_with(".html"), "{file}");
    (commit, out.join(file))
}

#[tokio::test]
async fn the_report_is_published_with_the_tables_and_says_what_it_cannot_show() {
    let project = tiny_project();
    let results = project.run(D).await;
    assert_success(&results);
    let published = results.published.as_ref().expect("published");
    assert!(published.tables.contains(&"report".to_string()), "{:?}", published.tables);
    let (commit, path) = published_report(&project.out_dir(), D);
    assert_eq!(commit["tables"]["report"]["run_id"], results.run_id.as_str());
    let html = std::fs::read_to_string(&path).expect("report.html");
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report");
    std::fs::create_dir_all(&keep).unwrap();
    std::fs::write(keep.join("tiny-report.html"), &html).unwrap();
    // Self-contained: no script, nothing fetched.
    for forbidden in ["<script", "http://", "https://", "@import", "url("] {
        let outside_svg_namespace = html.replace("http://www.w3.org/2000/svg", "");
        assert!(!outside_svg_namespace.contains(forbidden), "report contains {forbidden}");
    }
    // Six customers: too few repeat buyers to fit the CLV model, which the report says.
    assert!(html.contains("The CLV model was not fitted this run"), "CLV note missing");
    assert!(html.contains("No CLV predictions this run"), "CLV distribution note missing");
    for chart in ["vip_tiers", "pareto", "segments", "core_categories", "profile_age_band", "model_seconds"] {
        assert!(html.contains(&format!("data-chart=\"{chart}\"")), "chart {chart} missing");
    }
    // Six customers: no lookalike model either; the audience files are shown all the same.
    assert!(html.contains("The lookalike model was not fitted"), "lookalike note missing");
    assert!(html.contains("data-chart=\"audiences\""), "audience chart missing");

    // A selective run keeps the date's report.
    let request = vipseg::run::pipeline::RunRequest {
        config: project.config(),
        as_of: crate::support::date(D),
        select: vec!["customer_value".into()],
    };
    let selective = vipseg::run::pipeline::run(&request).await;
    assert_success(&selective);
    let (_, kept) = published_report(&project.out_dir(), D);
    assert_eq!(kept, path, "a selective run replaced the report");
}

/// A report that cannot be rendered (here: a `pareto` model without the report's columns) fails
/// the run with exit 2, naming the table, and nothing is published.
#[test]
fn a_report_that_cannot_be_rendered_fails_the_run_before_anything_is_published() {
    let mut project = tiny_shop().project();
    let models = project.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::write(models.join("pareto.sql"), "SELECT COUNT(*) AS decile FROM raw.orders\n").unwrap();
    std::fs::write(models.join("models.toml"), "[pareto]\nmaterialized = \"table\"\n").unwrap();
    project.models_dir = models;
    let outcome = Outcome::of(&mut project.run_command(D));
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    let message = outcome.expect_json()["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("report") && message.contains("pareto"), "{message}");
    assert!(!project.out_dir().join("pareto").exists(), "a table was published");
    assert!(!project.out_dir().join("_vipseg").exists(), "a commit was made");
}

// ---------------------------------------------------------------------------------------------
// A real browser.

const AS_OF: &str = "2026-11-01";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `node tests/browser/check_report.mjs <html> <png>`: its JSON line. A missing node, chromium
/// or playwright-core fails the test, saying how to install them.
fn check_in_browser(html: &Path, png: &Path) -> Value {
    let output = Command::new("node")
        .arg(repo().join("tests/browser/check_report.mjs"))
        .arg(html)
        .arg(png)
        .output()
        .unwrap_or_else(|e| panic!("cannot run node ({e}): install Node.js and run scripts/test-setup"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let json: Value =
        stdout.lines().rev().find_map(|l| serde_json::from_str(l).ok()).unwrap_or_else(|| {
            panic!("the browser check printed no JSON (exit {:?})\n{stdout}\n{stderr}", output.status)
        });
    assert_eq!(json["ok"], true, "the browser check could not run: {}\n{stderr}", json["error"]);
    json
}

#[test]
fn the_report_opens_in_chromium_without_errors_and_draws_every_chart() {
    let shop = GeneratedShop::new(&["--customers", "700", "--seed", "11", "--end", AS_OF, "--bad-rows", "0.002"]);
    let run = shop.run(AS_OF);
    let out = shop.out_dir();
    assert!(run.json["published"]["tables"].as_array().unwrap().contains(&json!("report")));
    let (_, html) = published_report(&out, AS_OF);

    // Kept where a developer can look at them after the test.
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report");
    std::fs::create_dir_all(&keep).unwrap();
    std::fs::copy(&html, keep.join("report.html")).unwrap();
    let png = keep.join("report.png");
    let seen = check_in_browser(&html, &png);

    let summary = format!("{seen:#}");
    assert_eq!(seen["console_errors"], json!([]), "{summary}");
    assert_eq!(seen["page_errors"], json!([]), "{summary}");
    assert_eq!(seen["external_requests"], json!([]), "{summary}");
    assert_eq!(seen["scripts"], 0, "{summary}");
    let charts = seen["charts"].as_array().expect("charts");
    let expected = [
        ("vip_tiers", 3),
        ("pareto", 10),
        ("clv_distribution", 10),
        ("segments", 10),
        ("core_categories", 6),
        ("profile_age_band", 7),
        ("profile_gender", 4),
        ("profile_country", 4),
        ("profile_region", 4),
        ("profile_channel", 4),
        ("profile_top_category", 4),
        ("clv_holdout", 4),
        ("rejected_rows", 1),
        ("model_seconds", 10),
    ];
    for (name, min_marks) in expected {
        let chart = charts.iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("no chart {name}: {summary}"));
        assert_eq!(chart["svg"], true, "{name}: {summary}");
        assert!(chart["data_marks"].as_u64().unwrap() >= min_marks, "{name} has too few data marks: {summary}");
        assert!(chart["width"].as_u64().unwrap() > 200 && chart["height"].as_u64().unwrap() > 50, "{name}: {summary}");
    }
    assert_eq!(seen["notes"], json!([]), "a section has nothing to show: {summary}");
    let shot = &seen["screenshot"];
    assert!(shot["distinct_colors"].as_u64().unwrap() >= 50, "blank screenshot? {summary}");
    assert!(shot["non_white_share"].as_f64().unwrap() > 0.05, "blank screenshot? {summary}");
    assert!(shot["height"].as_u64().unwrap() > 2000, "{summary}");
}
