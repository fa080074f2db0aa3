//! The lookalike VIP propensity model (docs/lookalike.md): a planted trait that RFM cannot see,
//! an out-of-time check, the documented not-fitted cases, hand-computed features and AUC, and
//! repeatable tables.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use vipseg::config::{Config, Overrides};
use vipseg::models::lookalike::auc::{auc, quintiles, rfm_scores};
use vipseg::run::pipeline::{RunRequest, run};

use crate::fixtures::{Rows, completed, customer, line, ret};
use crate::support::{TestProject, assert_success, by_customer, date, repo_sql_dir};

/// The as-of date of the runs, and the training snapshot D - 12 months.
const D: &str = "2026-01-01";
const T: &str = "2025-01-01";

const CATEGORIES: [&str; 6] = ["books", "toys", "garden", "kitchen", "outdoor", "beauty"];
const OTHER_CHANNELS: [&str; 3] = ["web", "store", "marketplace"];

/// `customers` customers buying every year of `years`: 2-4 orders a year of 1-2 lines at 30-60,
/// in random categories, costing half the price. A planted trait (30% of customers) shows only
/// in *how* they buy — through the app and at full price — not in how often, how recently or how
/// much. In each year of `big_years` a customer has a big year (4 more orders of 150-250, so
/// VIP at the end of that year) with probability 0.5 with the trait and 0.1 without.
fn planted_shop(customers: usize, years: &[i32], big_years: &[i32], seed: u64) -> Rows {
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut orders, mut lines, mut people) = (Vec::new(), Vec::new(), Vec::new());
    for c in 0..customers {
        let id = format!("p{c:05}");
        let planted = rng.random_bool(0.3);
        people.push(customer(&id));
        for &year in years {
            let big = big_years.contains(&year) && rng.random_bool(if planted { 0.5 } else { 0.1 });
            let base = rng.random_range(2..=4);
            for o in 0..base + if big { 4 } else { 0 } {
                let day = NaiveDate::from_ymd_opt(year, 1, 1).unwrap() + Duration::days(rng.random_range(0..365));
                let ts = format!("{day}T{:02}:{:02}:00Z", rng.random_range(0..24), rng.random_range(0..60));
                let order_id = format!("{id}-{year}-{o}");
                let app = rng.random_bool(if planted { 0.8 } else { 0.1 });
                let channel = if app { "app" } else { OTHER_CHANNELS[rng.random_range(0..3)] };
                let mut order = completed(&order_id, &id, &ts);
                order["channel"] = json!(channel);
                orders.push(order);
                let n_lines = if o < base { rng.random_range(1..=2) } else { 1 };
                for l in 0..n_lines {
                    let price: f64 =
                        if o < base { rng.random_range(30.0..60.0) } else { rng.random_range(150.0..250.0) };
                    let price = (price * 100.0).round() / 100.0;
                    // the same price paid either way: a discount shows only against the list price
                    let full_price = planted || rng.random_bool(0.5);
                    let list = if full_price { price } else { (price / 0.7 * 100.0).round() / 100.0 };
                    let category = CATEGORIES[rng.random_range(0..CATEGORIES.len())];
                    lines.push(line(&order_id, &format!("sku-{l}"), category, 1, price, list, price / 2.0));
                }
            }
        }
    }
    let mut rows = Rows::default();
    rows.add("orders", orders).add("order_lines", lines).add("customers", people);
    rows
}

/// The report of the lookalike model in a run's results.
fn fit_report(results: &vipseg::run::results::RunResults) -> Value {
    results.fits.get("lookalike_model").cloned().unwrap_or(Value::Null)
}

fn number(row: &Value, column: &str) -> f64 {
    row[column].as_f64().unwrap_or_else(|| panic!("{column} is not a number in {row}"))
}

fn coefficient(model: &[Value], term: &str) -> f64 {
    number(model.iter().find(|r| r["term"] == term).unwrap_or_else(|| panic!("no term {term}")), "coefficient")
}

#[tokio::test]
async fn the_model_finds_a_planted_trait_that_rfm_does_not_see() {
    // Big years only after the training snapshot: at D - 12 months recency, frequency and
    // monetary value say nothing about who becomes VIP by D; the way of buying does.
    let project = planted_shop(2_000, &[2024, 2025], &[2025], 7).project();
    let results = project.run(D).await;
    assert_success(&results);
    let fit = fit_report(&results);
    assert_eq!(fit["status"], "fitted", "{fit:#}");
    let (auc_model, auc_rfm) = (number(&fit, "auc_model"), number(&fit, "auc_rfm"));
    println!("planted signal: holdout AUC model {auc_model:.3}, RFM {auc_rfm:.3}; {fit}");
    assert!(auc_model > auc_rfm + 0.1, "model {auc_model} vs RFM {auc_rfm}");
    assert!(auc_model > 0.65, "model AUC {auc_model}");
    assert!((0.4..0.6).contains(&auc_rfm), "RFM cannot see the trait, yet its AUC is {auc_rfm}");
    assert!(number(&fit, "holdout_rows") > 500.0 && number(&fit, "holdout_positives") > 50.0, "{fit}");

    let model = project.published("lookalike_model", D).await;
    assert!(coefficient(&model, "app_share_12m") > 0.0, "{model:#?}");
    assert!(coefficient(&model, "full_price_share_12m") > 0.0, "{model:#?}");
    assert!(model.iter().all(|r| number(r, "auc_model") == auc_model && number(r, "auc_rfm") == auc_rfm));
    let first = model.iter().find(|r| r["term"] == "category_1_share_12m").unwrap();
    assert_eq!(first["category"], fit["categories"][0], "the category behind the share is recorded");

    let scores = project.published("lookalike_scores", D).await;
    let features = project.published("lookalike_features", D).await;
    let vips = project.published("vip_status", D).await.into_iter().filter(|r| !r["tier"].is_null()).count();
    assert_eq!(scores.len() + vips, features.len(), "every customer not VIP at D is scored");
    assert_eq!(scores.iter().filter(|r| r["decile"] == 1).count(), scores.len().div_ceil(10));

    // Determinism: a second run on the same input, with other parallelism, publishes the same
    // lookalike tables, bit for bit.
    let overrides = Overrides { target_partitions: Some(5), ..Default::default() };
    let config = Config::load(Some(&project.write_config()), &overrides).unwrap();
    assert_success(&run(&RunRequest { config, as_of: date(D), select: Vec::new() }).await);
    for (table, first) in [("lookalike_features", features), ("lookalike_model", model), ("lookalike_scores", scores)] {
        assert_eq!(project.published(table, D).await, first, "{table} of the second run");
    }
}

#[tokio::test]
async fn scores_at_d_minus_12_months_rank_the_customers_who_became_vip_first() {
    // Big years in 2024 and 2025: the run on T learns from 2023 -> VIP at T and scores at T; the
    // run on D says who became VIP by D.
    let project = planted_shop(2_000, &[2023, 2024, 2025], &[2024, 2025], 8).project();
    let at_t = project.run(T).await;
    assert_success(&at_t);
    assert_eq!(fit_report(&at_t)["status"], "fitted", "{:#}", fit_report(&at_t));
    assert_success(&project.run(D).await);
    let vip_by_d: BTreeSet<String> = project
        .published("vip_status", D)
        .await
        .into_iter()
        .filter(|r| !r["tier"].is_null())
        .map(|r| r["customer_id"].as_str().unwrap().to_string())
        .collect();
    let scores = project.published("lookalike_scores", T).await;
    let became: Vec<bool> = scores.iter().map(|r| vip_by_d.contains(r["customer_id"].as_str().unwrap())).collect();
    let score: Vec<f64> = scores.iter().map(|r| number(r, "score")).collect();
    let auc_scores = auc(&score, &became).expect("both outcomes among the scored");

    // The RFM score at T of the same customers, from the features the run on T published.
    let features = by_customer(&project.published("lookalike_features", T).await);
    let rfm_of = |column: &str| -> Vec<f64> {
        scores.iter().map(|r| number(&features[r["customer_id"].as_str().unwrap()], column)).collect()
    };
    let rfm = rfm_scores(&rfm_of("recency_days"), &rfm_of("orders_12m"), &rfm_of("net_revenue_12m"));
    let auc_rfm = auc(&rfm, &became).unwrap();
    let base_rate = became.iter().filter(|&&b| b).count() as f64 / became.len() as f64;
    let top: Vec<bool> = scores.iter().zip(&became).filter(|(r, _)| r["decile"] == 1).map(|(_, &b)| b).collect();
    let top_rate = top.iter().filter(|&&b| b).count() as f64 / top.len() as f64;
    println!(
        "out of time: AUC of the T scores {auc_scores:.3}, RFM {auc_rfm:.3}; top decile {top_rate:.3} vs {base_rate:.3}"
    );
    assert!(auc_scores > 0.65, "AUC of the scores at T against VIP by D: {auc_scores}");
    assert!(auc_scores > auc_rfm + 0.05, "scores {auc_scores} vs RFM {auc_rfm}");
    assert!(top_rate > 1.5 * base_rate, "top decile {top_rate} vs all {base_rate}");
}

#[tokio::test]
async fn without_a_year_of_history_nothing_is_fitted_and_the_run_goes_on() {
    let project = planted_shop(300, &[2025], &[2025], 9).project();
    let results = project.run(D).await;
    assert_success(&results);
    let fit = fit_report(&results);
    assert_eq!(fit["status"], "not_fitted", "{fit:#}");
    let reason = fit["reason"].as_str().unwrap();
    assert!(reason.contains("no customer has a completed order before the training date 2025-01-01"), "{reason}");
    assert_eq!(fit["rows_sampled"], 0);
    assert!(project.published("lookalike_model", D).await.is_empty());
    assert!(project.published("lookalike_scores", D).await.is_empty());
    assert_eq!(project.published("lookalike_features", D).await.len(), 300);
}

#[tokio::test]
async fn too_few_positives_is_not_fitted_and_says_so() {
    let project = planted_shop(60, &[2024, 2025], &[2025], 10).project();
    let results = project.run(D).await;
    assert_success(&results);
    let fit = fit_report(&results);
    assert_eq!(fit["status"], "not_fitted", "{fit:#}");
    let reason = fit["reason"].as_str().unwrap();
    assert!(reason.contains("too few positives") && reason.contains("need at least 20"), "{reason}");
    assert!(number(&fit, "rows_sampled") == 60.0 && number(&fit, "train_positives") < 20.0, "{fit}");
    assert!(project.published("lookalike_model", D).await.is_empty());
    assert!(project.published("lookalike_scores", D).await.is_empty());
}

#[test]
fn auc_counts_ties_half_and_rfm_quintiles_share_ties() {
    // positives 0.9 and 0.5; negatives 0.5, 0.2, 0.5: 0.9 beats all 3; 0.5 ties twice (2 x 1/2)
    // and beats 0.2: (3 + 2) / 6.
    let got = auc(&[0.9, 0.5, 0.5, 0.2, 0.5], &[true, true, false, false, false]).unwrap();
    assert!((got - 5.0 / 6.0).abs() < 1e-15, "{got}");
    assert_eq!(auc(&[0.3, 0.3], &[true, false]), Some(0.5));
    assert_eq!(auc(&[0.3, 0.4], &[true, true]), None, "one class only");
    // ten values: quintile = 1 + floor(5 x (values below) / 10); the two 7s share quintile 4
    let q = quintiles(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 7.0, 9.0, 10.0]);
    assert_eq!(q, [1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 5.0, 5.0]);
    // recent (few days) is high: of five customers, the most recent, most frequent and biggest
    // scores 5 + 5 + 5; the middle one 3 + 3 + 3; the last 1 + 1 + 1
    let rfm = rfm_scores(&[1.0, 10.0, 20.0, 30.0, 40.0], &[9.0, 4.0, 3.0, 2.0, 1.0], &[900.0, 40.0, 30.0, 20.0, 10.0]);
    assert_eq!(rfm, [15.0, 12.0, 9.0, 6.0, 3.0]);
}

/// Copies the repository's models into the project and publishes the per-snapshot features as
/// `snapshots_published`, so the test can read the training snapshot.
fn expose_snapshots(mut project: TestProject) -> TestProject {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.file_name().unwrap());
            if path.is_dir() { copy(&path, &target) } else { std::fs::copy(&path, &target).map(|_| ()).unwrap() }
        }
    }
    let models = project.path().join("models");
    copy(&repo_sql_dir(), &models);
    std::fs::write(models.join("snapshots_published.sql"), "SELECT * FROM lookalike_snapshot_features\n").unwrap();
    let mut toml = std::fs::read_to_string(models.join("models.toml")).unwrap();
    toml.push_str("\n[snapshots_published]\nmaterialized = \"table\"\n");
    std::fs::write(models.join("models.toml"), toml).unwrap();
    project.models_dir = models;
    project
}

#[tokio::test]
async fn features_by_hand_at_both_snapshots() {
    let order = |id: &str, ts: &str, channel: &str| {
        let mut o = completed(id, "h1", ts);
        o["channel"] = json!(channel);
        o
    };
    let mut rows = Rows::default();
    rows.add(
        "orders",
        vec![
            order("o1", "2024-02-10T10:00:00Z", "web"),
            order("o2", "2024-11-15T10:00:00Z", "App "),
            order("o3", "2024-12-20T10:00:00Z", "app"),
            order("o4", "2025-09-01T10:00:00Z", "store"),
            order("o5", "2025-12-31T23:00:00Z", "web"),
            completed("x1", "h2", "2025-06-01T10:00:00Z"),
        ],
    );
    rows.add(
        "order_lines",
        vec![
            line("o1", "b1", "books", 1, 100.0, 100.0, 40.0),
            line("o2", "t1", "toys", 2, 50.0, 80.0, 20.0),
            line("o3", "b2", "books", 1, 30.0, 30.0, 10.0),
            line("o4", "g1", "garden", 1, 200.0, 200.0, 100.0),
            line("o5", "b3", "books", 1, 25.0, 25.0, 10.0),
            line("x1", "k1", "kitchen", 1, 10.0, 10.0, 5.0),
        ],
    );
    // o3's return is known at T; o2's (2025-01-10) only after T, so not at the training snapshot.
    rows.add(
        "returns",
        vec![ret("o3", "b2", 1, 30.0, "2024-12-28T10:00:00Z"), ret("o2", "t1", 1, 50.0, "2025-01-10T10:00:00Z")],
    );
    rows.add("customers", vec![customer("h1"), customer("h2")]);
    let project = expose_snapshots(rows.project());
    assert_success(&project.run(D).await);

    let snapshots = project.published("snapshots_published", D).await;
    let row = |snapshot: &str, id: &str| -> BTreeMap<String, Value> {
        let found = snapshots.iter().find(|r| r["snapshot"] == snapshot && r["customer_id"] == id);
        serde_json::from_value(found.unwrap_or_else(|| panic!("{snapshot} row of {id}")).clone()).unwrap()
    };
    assert!(!snapshots.iter().any(|r| r["snapshot"] == "training" && r["customer_id"] == "h2"), "no order before T");
    // Top categories by 12m net revenue before D: garden 200, books 25, kitchen 10.
    let third = 1.0 / 3.0;
    let training = row("training", "h1");
    let expected_training = [
        ("orders_12m", 3.0),
        ("orders_6m", 2.0),
        ("orders_3m", 2.0),
        ("recency_days", 12.0),
        ("tenure_days", 326.0),
        ("gross_revenue_12m", 230.0),
        ("net_revenue_12m", 200.0),
        ("aov_12m", 200.0 / 3.0),
        // margin: o1 60, o2 2 x 30 (its return not yet known), o3 returned: 0
        ("margin_rate_12m", 120.0 / 200.0),
        ("full_price_share_12m", 130.0 / 230.0),
        ("return_rate_12m", 30.0 / 230.0),
        ("category_1_share_12m", 0.0),
        ("category_2_share_12m", 130.0 / 230.0),
        ("category_3_share_12m", 0.0),
        ("web_share_12m", third),
        ("app_share_12m", 2.0 * third),
        ("store_share_12m", 0.0),
    ];
    let current = row("current", "h1");
    let expected_current = [
        ("orders_12m", 2.0),
        ("orders_6m", 2.0),
        ("orders_3m", 1.0),
        ("recency_days", 1.0),
        ("tenure_days", 691.0),
        ("gross_revenue_12m", 225.0),
        ("return_rate_12m", 0.0),
        ("category_1_share_12m", 200.0 / 225.0),
        ("category_2_share_12m", 25.0 / 225.0),
        ("web_share_12m", 0.5),
        ("store_share_12m", 0.5),
        ("app_share_12m", 0.0),
    ];
    for (values, expected, snapshot) in
        [(&training, &expected_training[..], "training"), (&current, &expected_current[..], "current")]
    {
        for (column, want) in expected {
            let got = values[*column].as_f64().unwrap_or_else(|| panic!("{snapshot} {column}: {}", values[*column]));
            assert!((got - want).abs() < 1e-9, "{snapshot} {column}: got {got}, expected {want}");
        }
    }
    // lookalike_features publishes the current snapshot.
    let published = by_customer(&project.published("lookalike_features", D).await);
    assert_eq!(published.len(), 2);
    assert_eq!(published["h1"]["orders_3m"], 1);
    assert_eq!(published["h1"]["recency_days"], current["recency_days"]);
}
