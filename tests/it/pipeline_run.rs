//! The pipeline end to end: publish layout, idempotent re-runs, exit codes of the binary.

use std::path::Path;

use serde_json::json;

use crate::fixtures::line;
use crate::support::{Outcome, TestProject, assert_success, files_below, read_parquet_rows, vipseg_command};

const D: &str = "2026-03-01";

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
                line("o1", "s1", "books", 2, 10.0, 10.0, 6.0),
                line("o2", "s2", "toys", 1, 30.0, 40.0, 12.0),
                line("o3", "s1", "books", 1, 10.0, 10.0, 6.0),
            ],
        )
        .source(
            "customers",
            &[json!({"customer_id": "c1", "email": "a@example.com", "country": "US", "ad_consent": true})],
        );
    project
}

/// `vipseg <command> --config <config> <args>`.
fn vipseg(command: &str, config: &Path, args: &[&str]) -> Outcome {
    Outcome::of(vipseg_command().arg(command).arg("--config").arg(config).args(args))
}

/// `vipseg run` for D with the project's sources and the models of `models`.
fn run_models_dir(project: &TestProject, models: &Path) -> Outcome {
    vipseg("run", &project.write_config(), &["--as-of", D, "--models-dir", models.to_str().unwrap()])
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn a_run_publishes_readable_parquet_under_table_and_as_of() {
    let project = small_shop();
    let results = project.run("2026-03-01").await;
    assert_success(&results);
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
    assert_eq!(files_below(&project.out_dir().join("_staging")).len(), 0, "staging is cleaned after publishing");
}

#[tokio::test]
async fn re_running_an_as_of_replaces_it_with_identical_contents() {
    let project = small_shop();
    let first = project.run("2026-03-01").await;
    let before = project.published("customer_value", "2026-03-01").await;
    let second = project.run("2026-03-01").await;
    assert_success(&second);
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
    let outcome = run_models_dir(&project, &models);
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    let message = outcome.expect_json()["error"]["message"].as_str().unwrap();
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
    let outcome = run_models_dir(&project, &models);
    assert_eq!(outcome.code, Some(1), "{}", outcome.describe());
    let result = outcome.expect_json();
    assert_eq!(result["status"], "data_tests_failed");
    assert_eq!(result["tests"][0]["failures"], 1);
    assert!(files_in(&project.out_dir().join("per_order").join("as_of=2026-03-01")).is_empty());
    assert!(!project.out_dir().join("_vipseg").exists());
}

/// Two unknown keys, each alone in an otherwise valid config: a misspelt parameter (`vip_mod`
/// for `vip_mode`) and a table vipseg does not know (`[x]`). Each stops the run with exit 2 and a
/// message naming that key.
#[test]
fn an_unknown_config_key_exits_2_naming_it() {
    for (file, extra, key) in [
        ("misspelt-param.toml", "[params]\nvip_mod = \"static\"\n", "vip_mod"),
        ("unknown-table.toml", "[x]\ny = 1\n", "x"),
    ] {
        let project = small_shop();
        let config = project.path().join(file);
        std::fs::write(&config, format!("{}{extra}", project.config_text())).unwrap();
        let outcome = vipseg("run", &config, &["--as-of", D]);
        assert_eq!(outcome.code, Some(2), "{file}: {}", outcome.describe());
        let error = &outcome.expect_json()["error"];
        assert_eq!(error["kind"], "config", "{file}: {error}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains(&format!("unknown field `{key}`")), "{file} names `{key}`: {message}");
    }
}

/// The same settings in `vipseg.toml`, in the environment and as flags: a parameter
/// (`[params] lapse_days`, `VIPSEG_PARAMS`, `--param`) and the output (`[output] url`,
/// `VIPSEG_OUTPUT`, `--output`); the as-of date has no file setting (`VIPSEG_AS_OF`, `--as-of`).
#[test]
fn flags_win_over_environment_over_file() {
    let project = small_shop().with_param("lapse_days = 45");
    let config = project.write_config(); // [output] url = "out/"
    let (env_out, flag_out) = (project.path().join("env-out"), project.path().join("flag-out"));
    let env_params = ("VIPSEG_PARAMS", "lapse_days=60,ticket_cost=7.5");
    let run = |env: &[(&str, &str)], flags: &[&str]| {
        let mut command = vipseg_command();
        command.args(["run", "--config"]).arg(&config).args(flags).envs(env.iter().copied());
        let outcome = Outcome::of(&mut command);
        assert_eq!(outcome.code, Some(0), "env {env:?}, flags {flags:?}: {}", outcome.describe());
        outcome
    };
    let committed = |dir: &Path| dir.join(format!("_vipseg/commits/as_of={D}/0000000001.json")).exists();

    // Flags over the environment over the file.
    let flags = run(
        &[env_params, ("VIPSEG_OUTPUT", env_out.to_str().unwrap()), ("VIPSEG_AS_OF", "1999-01-01")],
        &["--as-of", D, "--param", "lapse_days=30", "--output", flag_out.to_str().unwrap()],
    );
    let result = flags.expect_json();
    assert_eq!(result["as_of"], D);
    // clap takes the flag list instead of the env list when both are given.
    assert_eq!(result["params"]["lapse_days"], 30);
    assert!(result["published"]["output"].as_str().unwrap().trim_end_matches('/').ends_with("/flag-out"), "{result}");
    assert!(committed(&flag_out) && !committed(&env_out) && !committed(&project.out_dir()), "published to --output");

    // The environment over the file.
    let env = run(&[env_params, ("VIPSEG_OUTPUT", env_out.to_str().unwrap()), ("VIPSEG_AS_OF", D)], &[]);
    let result = env.expect_json();
    assert_eq!(result["as_of"], D);
    assert_eq!(result["params"]["lapse_days"], 60);
    assert_eq!(result["params"]["ticket_cost"], 7.5);
    assert!(result["published"]["output"].as_str().unwrap().trim_end_matches('/').ends_with("/env-out"), "{result}");
    assert!(committed(&env_out) && !committed(&project.out_dir()), "published to VIPSEG_OUTPUT");

    // The file alone.
    let file = run(&[], &["--as-of", D]);
    let result = file.expect_json();
    assert_eq!(result["params"]["lapse_days"], 45);
    assert!(result["published"]["output"].as_str().unwrap().trim_end_matches('/').ends_with("/out"), "{result}");
    assert!(committed(&project.out_dir()), "published to [output] url");
}

#[test]
fn compile_plans_every_model_without_running_and_names_a_bad_column() {
    let project = small_shop();
    let config = project.write_config();
    let outcome = vipseg("compile", &config, &[]);
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let result = outcome.expect_json();
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
    let outcome = vipseg("compile", &config, &["--models-dir", models.to_str().unwrap()]);
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    let message = &outcome.stdout;
    assert!(message.contains("m.sql") && message.contains("quantity"), "{message}");
}

#[test]
fn ls_lists_models_with_what_they_read() {
    let project = small_shop();
    let config = project.write_config();
    let outcome = vipseg("ls", &config, &["--json"]);
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let result = outcome.expect_json();
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
    let run = vipseg("run", &config, &["--as-of", D]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let test = vipseg("test", &config, &["--as-of", D]);
    assert_eq!(test.code, Some(0), "{}", test.describe());
    let result = test.expect_json();
    assert_eq!(result["status"], "pass");
    assert!(result["tests"].as_array().unwrap().len() >= 2);
    let nothing = vipseg("test", &config, &["--as-of", "2020-01-01"]);
    assert_eq!(nothing.code, Some(2), "nothing published for that date: {}", nothing.describe());
}

/// `vipseg generate` then `vipseg run`, both through the binary: every published table is
/// readable Parquet with its expected columns and types.
#[test]
fn the_binary_on_generated_data_publishes_the_expected_schemas() {
    let project = TestProject::new();
    let data = project.path().join("data");
    let generate = Outcome::of(
        vipseg_command()
            .args(["generate", "--customers", "2000", "--seed", "5", "--end", "2026-11-21", "--out"])
            .arg(&data),
    );
    assert_eq!(generate.code, Some(0), "{}", generate.describe());
    let run = vipseg("run", &project.write_config(), &["--as-of", "2026-11-21"]);
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let result = run.expect_json();
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
    let rows = read_parquet_rows(
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
    assert_success(&results);
    assert_eq!(files_below(&staging.join("20200101T000000Z-0badc0de")).len(), 0, "the day-old staging area is gone");
    assert_eq!(files_below(&staging.join("29990101T000000Z-00c0ffee")).len(), 1, "a younger one is kept");
}
