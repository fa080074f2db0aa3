//! The pipeline end to end: publish layout, idempotent re-runs, exit codes of the binary.

use std::process::Command;

use serde_json::{Value, json};
use vipseg::run_results::RunStatus;

use crate::support::TestProject;

fn small_shop() -> TestProject {
    let project = TestProject::new();
    project
        .source(
            "orders",
            &[
                json!({"order_id": "o1", "customer_id": "c1", "order_ts": "2025-12-01T10:00:00Z", "status": "completed"}),
                json!({"order_id": "o2", "customer_id": "c1", "order_ts": "2026-02-01T10:00:00Z", "status": "completed"}),
                json!({"order_id": "o3", "customer_id": "c2", "order_ts": "2024-06-01T10:00:00Z", "status": "completed"}),
            ],
        )
        .source(
            "order_lines",
            &[
                json!({"order_id": "o1", "sku": "s1", "category": "books", "quantity": 2, "unit_price": 10.0, "list_price": 10.0, "unit_cost": 6.0}),
                json!({"order_id": "o2", "sku": "s2", "category": "toys", "quantity": 1, "unit_price": 30.0, "list_price": 40.0, "unit_cost": 12.0}),
                json!({"order_id": "o3", "sku": "s1", "category": "books", "quantity": 1, "unit_price": 10.0, "list_price": 10.0, "unit_cost": 6.0}),
            ],
        )
        .source(
            "customers",
            &[json!({"customer_id": "c1", "email": "a@example.com", "country": "US", "ad_consent": true})],
        );
    project
}

fn vipseg_binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vipseg"))
}

/// `vipseg run` for 2026-03-01 with the project's sources and the models of `models`.
fn run_models_dir(project: &TestProject, models: &std::path::Path) -> std::process::Output {
    let config = project.write_config();
    vipseg_binary()
        .args(["run", "--as-of", "2026-03-01", "--config"])
        .arg(&config)
        .arg("--models-dir")
        .arg(models)
        .output()
        .unwrap()
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

fn files_below(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries.map(|e| e.unwrap().path()).map(|p| if p.is_dir() { files_below(&p) } else { 1 }).sum()
}

#[tokio::test]
async fn a_run_publishes_readable_parquet_under_table_and_as_of() {
    let project = small_shop();
    let results = project.run("2026-03-01").await;
    assert_eq!(results.status, RunStatus::Success, "{:#}", results.to_json());
    let partition = project.out_dir().join("customer_value").join("as_of=2026-03-01");
    assert!(files_in(&partition).iter().all(|f| f.ends_with(".parquet")) && !files_in(&partition).is_empty());
    let rows = project.published("customer_value", "2026-03-01").await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["customer_id"], "c1");
    assert_eq!(rows[0]["orders_12m"], 2);
    // D - 3 months = 2025-12-01 00:00, so the order at 2025-12-01 10:00 is inside the window.
    assert_eq!(rows[0]["orders_3m"], 2);
    assert_eq!(rows[1]["orders_12m"], 0);
    let published = results.published.expect("published");
    assert_eq!(published.commit_seq, 1);
    assert!(project.path().join("out/_vipseg/commits/as_of=2026-03-01/0000000001.json").exists());
    assert_eq!(files_below(&project.out_dir().join("_staging")), 0, "staging is cleaned after publishing");
}

#[tokio::test]
async fn re_running_an_as_of_replaces_it_with_identical_contents() {
    let project = small_shop();
    let first = project.run("2026-03-01").await;
    let before = project.published("customer_value", "2026-03-01").await;
    let second = project.run("2026-03-01").await;
    assert_eq!(second.status, RunStatus::Success);
    assert_ne!(first.run_id, second.run_id);
    assert_eq!(project.published("customer_value", "2026-03-01").await, before);
    assert_eq!(second.published.unwrap().commit_seq, 2);
    // The first run's files are gone: the partition holds exactly the new run's files.
    let partition = project.out_dir().join("customer_value").join("as_of=2026-03-01");
    assert!(files_in(&partition).iter().all(|f| f.contains(&second.run_id)), "{:?}", files_in(&partition));
}

#[test]
fn broken_sql_exits_2_naming_file_and_line() {
    let project = small_shop();
    let models = project.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::write(models.join("good.sql"), "SELECT customer_id FROM raw.orders\n").unwrap();
    std::fs::write(models.join("bad.sql"), "SELECT customer_id,\n       no_such_column\nFROM good\n").unwrap();
    let output = run_models_dir(&project, &models);
    assert_eq!(output.status.code(), Some(2));
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    let message = result["error"]["message"].as_str().unwrap();
    assert!(message.contains("bad.sql:2:"), "{message}");
    assert!(message.contains("no_such_column"), "{message}");
    assert!(!project.out_dir().join("good").exists());
}

#[test]
fn a_failing_data_test_exits_1_and_publishes_nothing() {
    let project = small_shop();
    let models = project.path().join("models");
    std::fs::create_dir_all(models.join("tests")).unwrap();
    std::fs::write(models.join("per_order.sql"), "SELECT customer_id FROM raw.orders\n").unwrap();
    std::fs::write(
        models.join("models.toml"),
        "[per_order]\nmaterialized = \"table\"\ntests.customer_id = [\"unique\"]\n",
    )
    .unwrap();
    let output = run_models_dir(&project, &models);
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["status"], "data_tests_failed");
    assert_eq!(result["tests"][0]["failures"], 1);
    assert!(files_in(&project.out_dir().join("per_order").join("as_of=2026-03-01")).is_empty());
    assert!(!project.out_dir().join("_vipseg").exists());
}

#[test]
fn an_unknown_config_key_exits_2_naming_it() {
    let project = small_shop();
    let path = project.path().join("vipseg.toml");
    std::fs::write(
        &path,
        format!("{}\n[params]\nvip_mod = \"static\"\n", project.config_text().replace("[params]\n", "[x]\n")),
    )
    .unwrap();
    let output = vipseg_binary().args(["run", "--config"]).arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("vip_mod") || stdout.contains("`x`"), "{stdout}");
}

#[test]
fn flags_win_over_environment_over_file() {
    let project = small_shop();
    let config = project.write_config();
    let output = vipseg_binary()
        .args(["run", "--config"])
        .arg(&config)
        .args(["--as-of", "2026-03-01", "--param", "lapse_days=30"])
        .env("VIPSEG_PARAMS", "lapse_days=60,ticket_cost=7.5")
        .env("VIPSEG_AS_OF", "1999-01-01")
        .output()
        .unwrap();
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["as_of"], "2026-03-01");
    // clap takes the flag list instead of the env list when both are given.
    assert_eq!(result["params"]["lapse_days"], 30);
    let env_only = vipseg_binary()
        .args(["run", "--config"])
        .arg(&config)
        .env("VIPSEG_PARAMS", "lapse_days=60,ticket_cost=7.5")
        .env("VIPSEG_AS_OF", "2026-03-01")
        .output()
        .unwrap();
    let result: Value = serde_json::from_slice(&env_only.stdout).unwrap();
    assert_eq!(result["as_of"], "2026-03-01");
    assert_eq!(result["params"]["lapse_days"], 60);
    assert_eq!(result["params"]["ticket_cost"], 7.5);
}

#[test]
fn compile_plans_every_model_without_running_and_names_a_bad_column() {
    let project = small_shop();
    let config = project.write_config();
    let output = vipseg_binary().args(["compile", "--config"]).arg(&config).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    let compiled: Vec<&str> =
        result["models"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert!(compiled.contains(&"customer_value") && compiled.contains(&"clv_model"), "{compiled:?}");
    assert!(!project.out_dir().exists(), "compile writes nothing");

    let models = project.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::write(
        models.join("m.sql"),
        "SELECT order_id,\n  CAST(order_ts AS DATE) + quantity AS nonsense\nFROM raw.orders\n",
    )
    .unwrap();
    let output =
        vipseg_binary().args(["compile", "--config"]).arg(&config).arg("--models-dir").arg(&models).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stdout);
    assert!(message.contains("m.sql") && message.contains("quantity"), "{message}");
}

#[test]
fn ls_lists_models_with_what_they_read() {
    let project = small_shop();
    let config = project.write_config();
    let output = vipseg_binary().args(["ls", "--json", "--config"]).arg(&config).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    let models = result["models"].as_array().unwrap();
    let clv = models.iter().find(|m| m["name"] == "clv_model").expect("the Rust model is in the graph");
    assert_eq!(clv["materialized"], "table");
    assert!(clv["depends_on"].as_array().unwrap().iter().any(|d| d == "clv_patterns"));
    let position = |name: &str| models.iter().position(|m| m["name"] == name).unwrap();
    assert!(position("clv_patterns") < position("clv_model") && position("clv_model") < position("customer_clv"));
}

#[test]
fn vipseg_test_reruns_the_data_tests_on_the_published_run() {
    let project = small_shop();
    let config = project.write_config();
    let run = vipseg_binary().args(["run", "--as-of", "2026-03-01", "--config"]).arg(&config).output().unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stdout));
    let test = vipseg_binary().args(["test", "--as-of", "2026-03-01", "--config"]).arg(&config).output().unwrap();
    assert_eq!(test.status.code(), Some(0), "{}", String::from_utf8_lossy(&test.stdout));
    let result: Value = serde_json::from_slice(&test.stdout).unwrap();
    assert_eq!(result["status"], "pass");
    assert!(result["tests"].as_array().unwrap().len() >= 2);
    let nothing = vipseg_binary().args(["test", "--as-of", "2020-01-01", "--config"]).arg(&config).output().unwrap();
    assert_eq!(nothing.status.code(), Some(2), "nothing published for that date");
}

/// `vipseg generate` then `vipseg run`, both through the binary: every published table is
/// readable Parquet with its expected columns and types.
#[test]
fn the_binary_on_generated_data_publishes_the_expected_schemas() {
    let project = TestProject::new();
    let data = project.path().join("data");
    let generate = vipseg_binary()
        .args(["generate", "--customers", "2000", "--seed", "5", "--end", "2026-11-21", "--out"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(generate.status.code(), Some(0), "{}", String::from_utf8_lossy(&generate.stderr));
    let config = project.write_config();
    let run = vipseg_binary().args(["run", "--as-of", "2026-11-21", "--config"]).arg(&config).output().unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stdout));
    let result: Value = serde_json::from_slice(&run.stdout).unwrap();
    let published: Vec<&str> =
        result["published"]["tables"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    for table in [
        "customer_value",
        "customer_segments",
        "segment_summary",
        "pareto",
        "core_categories",
        "rejected_rows",
        "clv_model",
    ] {
        assert!(published.contains(&table), "{table} published: {published:?}");
    }
    let schema_of = |table: &str| {
        let dir = project.out_dir().join(table).join("as_of=2026-11-21");
        let file = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
        let reader =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap());
        reader.unwrap().schema().clone()
    };
    use arrow::datatypes::{DataType, TimeUnit};
    let value = schema_of("customer_value");
    let expect = [
        ("customer_id", vec![DataType::Utf8, DataType::Utf8View]),
        ("orders_12m", vec![DataType::Int64]),
        ("net_revenue_12m", vec![DataType::Float64]),
        ("margin_weighted_spend_12m", vec![DataType::Float64]),
        ("net_value_12m", vec![DataType::Float64]),
        ("first_order_ts", vec![DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))]),
        ("recency_days", vec![DataType::Int64]),
        ("p_alive", vec![DataType::Float64]),
        ("predicted_clv_12m", vec![DataType::Float64]),
    ];
    for (column, types) in expect {
        let field = value.field_with_name(column).unwrap_or_else(|_| panic!("customer_value.{column}"));
        assert!(types.contains(field.data_type()), "customer_value.{column}: {}", field.data_type());
    }
    let segments = schema_of("customer_segments");
    for column in ["customer_id", "segment", "tier", "value", "threshold", "gap_to_vip", "reason"] {
        assert!(segments.field_with_name(column).is_ok(), "customer_segments.{column}");
    }
    let rows = crate::support::read_parquet_rows(
        &std::fs::read_dir(project.out_dir().join("customer_value/as_of=2026-11-21"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path(),
    );
    assert!(rows.len() > 1000, "most generated customers bought: {}", rows.len());
    assert!(rows.iter().any(|r| r["p_alive"].is_number()), "2000 customers are enough to fit the CLV model");
}

/// A killed run leaves its staging area; the next run removes those older than a day and keeps
/// younger ones (they may belong to a run still going).
#[tokio::test]
async fn abandoned_staging_areas_are_removed_by_the_next_run() {
    let project = small_shop();
    let staging = project.out_dir().join("_staging");
    for (run_id, _) in [("20200101T000000Z-0badc0de", "old"), ("29990101T000000Z-00c0ffee", "recent")] {
        let dir = staging.join(run_id).join("customer_value");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("part-0.parquet"), b"left by a killed run").unwrap();
    }
    let results = project.run("2026-03-01").await;
    assert_eq!(results.status, RunStatus::Success, "{:#}", results.to_json());
    assert_eq!(files_below(&staging.join("20200101T000000Z-0badc0de")), 0, "the day-old staging area is gone");
    assert_eq!(files_below(&staging.join("29990101T000000Z-00c0ffee")), 1, "a younger one is kept");
}
