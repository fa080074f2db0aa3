//! The CLV model through vipseg's own SQL and engine, against lifetimes 0.11.3's numbers on the
//! raw CDNOW transactions (tests/data/clv/CDNOW_sample.txt, see its SOURCES.md).

use serde_json::{Value, json};
use vipseg::generate::{GenerateOptions, GenerateSummary, generate};
use vipseg::run::results::RunStatus;

use crate::support::{TestProject, assert_success, date};

/// The CDNOW sample's rows (master id, sample id, yyyymmdd, CDs, dollars) as (customer = sample
/// id, day as an RFC 3339 timestamp, dollars).
pub fn cdnow_purchases() -> Vec<(String, String, f64)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/clv/CDNOW_sample.txt");
    let text = std::fs::read_to_string(path).expect("CDNOW sample (tests/data/clv)");
    text.lines()
        .map(|row| {
            let f: Vec<&str> = row.split_whitespace().collect();
            let day = format!("{}-{}-{}T00:00:00Z", &f[2][..4], &f[2][4..6], &f[2][6..]);
            (f[1].trim_start_matches('0').to_string(), day, f[4].parse().expect("dollars"))
        })
        .collect()
}

/// Each CDNOW purchase becomes a completed order of its customer with one line worth the dollar
/// value at zero cost (margin rate 1).
pub fn cdnow_project() -> TestProject {
    let (mut orders, mut lines, mut customers) = (Vec::new(), Vec::new(), std::collections::BTreeSet::new());
    for (i, (customer, day, dollars)) in cdnow_purchases().into_iter().enumerate() {
        orders.push(
            json!({"order_id": format!("o{i}"), "customer_id": customer, "order_ts": day, "status": "completed"}),
        );
        lines.push(json!({"order_id": format!("o{i}"), "sku": "cd", "category": "music", "quantity": 1,
                          "unit_price": dollars, "list_price": dollars, "unit_cost": 0.0}));
        customers.insert(customer);
    }
    let customers: Vec<Value> = customers
        .into_iter()
        .map(|c| json!({"customer_id": c, "email": format!("{c}@example.com"), "country": "US", "ad_consent": true}))
        .collect();
    let project = TestProject::new();
    project.source("orders", &orders).source("order_lines", &lines).source("customers", &customers);
    project
}

/// A project whose sources are `vipseg generate`'s sample of `customers` customers with
/// history up to 2026-11-21.
pub fn generated_project(customers: u64, seed: u64) -> (TestProject, GenerateSummary) {
    let project = TestProject::new();
    let options = GenerateOptions {
        customers,
        seed,
        out: project.path().join("data"),
        end: date("2026-11-21"),
        ..Default::default()
    };
    let summary = generate(&options).unwrap();
    (project, summary)
}

fn assert_close(name: &str, got: f64, expected: f64, significant: i32) {
    let tolerance = expected.abs() * 10f64.powi(-significant) * 0.5;
    assert!(
        (got - expected).abs() <= tolerance,
        "{name}: got {got}, expected {expected} to {significant} significant digits"
    );
}

fn assert_cents(name: &str, got: &Value, expected: f64) {
    let got = got.as_f64().unwrap_or_else(|| panic!("{name} is not a number: {got}"));
    assert!((got - expected).abs() <= 0.005 + 1e-9, "{name}: got {got}, expected {expected} to the cent");
}

#[tokio::test]
async fn cdnow_raw_transactions_through_vipseg_sql_match_lifetimes() {
    let project = cdnow_project();
    // Observation end = as_of - 1 day = 1997-09-30, the 39-week calibration period.
    let results = project.run("1997-10-01").await;
    assert_success(&results);

    let params = project.published("clv_model", "1997-10-01").await;
    let estimate = |name: &str| params.iter().find(|r| r["parameter"] == name).unwrap()["estimate"].as_f64().unwrap();
    for (name, expected) in [
        ("r", 0.242595),
        ("alpha", 4.413603),
        ("a", 0.792922),
        ("b", 2.425906),
        ("p", 6.249572),
        ("q", 3.744225),
        ("gamma", 15.443521),
    ] {
        assert_close(name, estimate(name), expected, 4);
    }

    let customers = project.published("customer_clv", "1997-10-01").await;
    let by_id = |id: &str| customers.iter().find(|r| r["customer_id"] == id).unwrap_or_else(|| panic!("customer {id}"));
    let spend = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17];
    let clv = [36.27, 4.64, 8.34, 8.34, 8.34, 283.56, 6.88, 8.34, 43.36, 8.34];
    for id in 1..=10 {
        let row = by_id(&id.to_string());
        assert_cents(&format!("expected spend of customer {id}"), &row["expected_order_value"], spend[id - 1]);
        assert_cents(&format!("12-month CLV of customer {id}"), &row["predicted_clv_12m"], clv[id - 1]);
    }
    assert_eq!(customers.len(), 2357);
    // The fit's diagnostics are in the run results (and in clv_model): log-likelihood,
    // convergence, iterations and standard errors.
    let fit = &results.fits["clv_model"]["bgnbd"];
    assert_eq!(fit["converged"], true, "{fit}");
    assert!(fit["iterations"].as_u64().unwrap() > 0);
    assert!(fit["log_likelihood"].as_f64().unwrap() < 0.0);
    // lifetimes reports SE(r) = 0.012557 on the summary data; the raw data gives the same to 3 digits.
    assert_close("SE(r)", fit["std_errors"]["r"].as_f64().unwrap(), 0.012557, 3);
    let se = |name: &str| params.iter().find(|r| r["parameter"] == name).unwrap()["std_error"].as_f64().unwrap();
    assert_close("SE(alpha) in clv_model", se("alpha"), 0.378221, 3);
    assert!(customers.iter().all(|r| r["p_alive"].as_f64().is_some_and(|p| (0.0..=1.0).contains(&p))));
}

/// Calibration 1997-01-01..1997-09-30, holdout 1997-10-01..1998-06-30 (39 weeks): SOURCES.md
/// reports 1,882 repeat purchase days in the holdout for the sample, counted by lifetimes.
#[tokio::test]
async fn cdnow_holdout_counts_the_actual_repeat_purchases_lifetimes_counts() {
    let project = cdnow_project().with_param("clv_holdout_months = 9");
    let results = project.run("1998-07-01").await;
    assert_success(&results);
    let rows = project.published("clv_holdout", "1998-07-01").await;
    let total = rows.iter().find(|r| r["frequency_bucket"] == "total").unwrap();
    assert_eq!(total["actual_repeat_orders"], 1882);
    assert_eq!(total["customers"], 2357);
    // Reference: lifetimes 0.11.3 (pandas 2.1), `calibration_and_holdout_data(CDNOW_sample, freq='D',
    // freq_multiplier=7, calibration_period_end='1997-09-30', observation_period_end='1998-06-30')`,
    // `BetaGeoFitter().fit(...)`, `conditional_expected_number_of_purchases_up_to_time(39, ...)`
    // summed per calibration frequency (run once by hand; the numbers are pasted here).
    let reference: [(&str, i64, i64, f64); 9] = [
        ("0", 1411, 334, 317.5982336990105),
        ("1", 439, 306, 229.6545659315192),
        ("2", 214, 298, 223.44469753907666),
        ("3", 100, 156, 152.02795287390484),
        ("4", 62, 157, 134.15968295246918),
        ("5", 38, 112, 100.84614725502416),
        ("6", 29, 112, 101.61723129422651),
        ("7+", 64, 407, 394.0602126346615),
        ("total", 2357, 1882, 1653.4087241798925),
    ];
    for (bucket, customers, actual, predicted) in reference {
        let row = rows.iter().find(|r| r["frequency_bucket"] == bucket).unwrap_or_else(|| panic!("bucket {bucket}"));
        assert_eq!(row["customers"], customers, "bucket {bucket}");
        assert_eq!(row["actual_repeat_orders"], actual, "bucket {bucket}");
        assert_close(
            &format!("predicted, bucket {bucket}"),
            row["predicted_repeat_orders"].as_f64().unwrap(),
            predicted,
            4,
        );
    }
    let buckets: i64 =
        rows.iter().filter(|r| r["frequency_bucket"] != "total").map(|r| r["customers"].as_i64().unwrap()).sum();
    assert_eq!(buckets, 2357);
}

/// `vipseg generate` draws purchases from BG/NBD and order values from Gamma-Gamma with known
/// parameters; the pipeline's fit on 100k customers must recover them. Every estimate must lie
/// within 3 of its own standard errors of the truth; BG/NBD's within 5 %; Gamma-Gamma's p, q and
/// gamma are strongly correlated (only their mean p*gamma/(q-1) is sharply identified), so the
/// mean must be within 2 % and each of them within 10 % (seed 7: p -4.8 %, gamma +7.2 %, mean -0.1 %).
#[tokio::test]
async fn the_fit_recovers_the_parameters_the_generator_drew_from() {
    let (project, summary) = generated_project(100_000, 7);
    let truth = summary.truth;
    let results = project.run("2026-11-21").await;
    assert_success(&results);
    let params = project.published("clv_model", "2026-11-21").await;
    let field =
        |name: &str, column: &str| params.iter().find(|r| r["parameter"] == name).unwrap()[column].as_f64().unwrap();
    let checks = [
        ("r", truth.r, 0.05),
        ("alpha", truth.alpha, 0.05),
        ("a", truth.a, 0.05),
        ("b", truth.b, 0.05),
        ("p", truth.p, 0.10),
        ("q", truth.q, 0.10),
        ("gamma", truth.gamma, 0.10),
    ];
    for (name, expected, relative_bound) in checks {
        let (estimate, std_error) = (field(name, "estimate"), field(name, "std_error"));
        let relative = (estimate / expected - 1.0).abs();
        assert!(relative < relative_bound, "{name}: fitted {estimate} vs true {expected} ({:.1} %)", relative * 100.0);
        assert!(
            (estimate - expected).abs() < 3.0 * std_error,
            "{name}: {estimate} is over 3 SE ({std_error}) from {expected}"
        );
    }
    let mean = field("p", "estimate") * field("gamma", "estimate") / (field("q", "estimate") - 1.0);
    let true_mean = truth.p * truth.gamma / (truth.q - 1.0);
    assert!((mean / true_mean - 1.0).abs() < 0.02, "mean order value {mean} vs {true_mean}");
}

/// `vip_rank_by = "predicted_clv_12m"`: VIP tiers follow the model's 12-month CLV.
#[tokio::test]
async fn vip_tiers_can_rank_by_predicted_clv() {
    let (project, _) = generated_project(3_000, 11);
    let project = project.with_param("vip_rank_by = \"predicted_clv_12m\"");
    let results = project.run("2026-11-21").await;
    assert_success(&results);
    let values = project.published("customer_value", "2026-11-21").await;
    let clv_of =
        |id: &Value| values.iter().find(|r| &r["customer_id"] == id).unwrap()["predicted_clv_12m"].as_f64().unwrap();
    let segments = project.published("customer_segments", "2026-11-21").await;
    let vips: Vec<&Value> = segments.iter().filter(|r| r["segment"] == "vip").collect();
    assert!(!vips.is_empty(), "some VIPs");
    for vip in &vips {
        let value = vip["value"].as_f64().unwrap();
        assert!((value - clv_of(&vip["customer_id"])).abs() < 1e-6, "VIP value is the customer's predicted CLV: {vip}");
    }
    // Tiers follow the CLV order: every eligible customer whose CLV is above the lowest VIP's is
    // a VIP (eligibility: at least 2 orders in 12 months, return rate at most 0.5).
    let entry = vips.iter().map(|v| v["value"].as_f64().unwrap()).fold(f64::INFINITY, f64::min);
    let vip_ids: std::collections::BTreeSet<String> = vips.iter().map(|v| v["customer_id"].to_string()).collect();
    let eligible =
        |r: &&Value| r["orders_12m"].as_i64().unwrap() >= 2 && r["return_rate_12m"].as_f64().unwrap_or(0.0) <= 0.5;
    for customer in
        values.iter().filter(eligible).filter(|r| r["predicted_clv_12m"].as_f64().is_some_and(|v| v > entry))
    {
        assert!(
            vip_ids.contains(&customer["customer_id"].to_string()),
            "{} has CLV above the VIP entry {entry} but is not VIP",
            customer["customer_id"]
        );
    }
}

/// Too few repeat customers to fit: the run still succeeds, the CLV columns are null (never NaN
/// or infinity), clv_model is empty, and the run results say why — the documented fallback.
#[tokio::test]
async fn too_little_data_leaves_clv_null_and_says_why() {
    let project = TestProject::new();
    let orders: Vec<Value> = (0..6)
        .map(|i| {
            json!({"order_id": format!("o{i}"), "customer_id": format!("c{}", i % 3),
                        "order_ts": format!("2026-0{}-10T10:00:00Z", 1 + i % 2 * 2 + i / 3), "status": "completed"})
        })
        .collect();
    let lines: Vec<Value> = (0..6)
        .map(|i| {
            json!({"order_id": format!("o{i}"), "sku": "s", "category": "books", "quantity": 1,
                        "unit_price": 20.0, "list_price": 20.0, "unit_cost": 8.0})
        })
        .collect();
    project.source("orders", &orders).source("order_lines", &lines).source(
        "customers",
        &[json!({"customer_id": "c0", "email": "c0@example.com", "country": "US", "ad_consent": true})],
    );
    let results = project.run("2026-06-01").await;
    assert_success(&results);
    let fit = &results.fits["clv_model"];
    assert_eq!(fit["status"], "not_fitted");
    assert!(fit["reason"].as_str().unwrap().contains("repeat"), "{fit}");
    assert!(project.published("clv_model", "2026-06-01").await.is_empty());
    let customers = project.published("customer_value", "2026-06-01").await;
    assert_eq!(customers.len(), 3);
    for column in ["p_alive", "expected_orders_12m", "expected_order_value", "predicted_clv_12m"] {
        assert!(customers.iter().all(|c| c[column].is_null()), "{column} is null without a fit");
    }
    // Ranking VIPs by a CLV that could not be fitted is an error, not an empty VIP list.
    let strict = project.with_param("vip_rank_by = \"predicted_clv_12m\"");
    let failed = strict.run("2026-06-01").await;
    assert_eq!(failed.status, RunStatus::Error);
    let error = failed.error.expect("error report");
    assert_eq!(error.kind, "clv");
    assert!(error.message.contains("predicted_clv_12m"), "{}", error.message);
}
