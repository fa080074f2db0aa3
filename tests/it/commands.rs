//! The orchestrator and project commands on the real binary: `init` (an editable project whose
//! commented defaults are the defaults), a config alone running the shipped models from any
//! folder, `run --dry-run` (plans, writes nothing) and `backfill` (skips, forces, stops).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;
use vipseg::config::params::Params;
use vipseg::config::{Config, EngineConfig, Overrides};

use crate::fixtures::SOURCES;
use crate::support::{Outcome, vipseg_command};

fn vipseg() -> Command {
    let mut command = vipseg_command();
    command.env("VIPSEG_LOG", "warn");
    command
}

/// Exit code and the JSON document on stdout.
fn outcome(command: &mut Command) -> (i32, Value) {
    let outcome = Outcome::of(command);
    (outcome.code.expect("exit code"), outcome.expect_json().clone())
}

/// A generated shop (300 customers, a few bad rows) and a config without `[models]`.
struct Shop {
    dir: TempDir,
}

impl Shop {
    fn new() -> Self {
        let dir = TempDir::new().expect("temp dir");
        let data = dir.path().join("data");
        let (code, _) = outcome(
            vipseg()
                .args(["generate", "--customers", "300", "--seed", "5", "--end", "2026-11-01", "--bad-rows", "0.002"])
                .arg("--out")
                .arg(&data),
        );
        assert_eq!(code, 0);
        let mut config = String::new();
        for source in SOURCES {
            config.push_str(&format!("[sources.{source}]\nurl = \"{}\"\n", data.join(source).display()));
        }
        config.push_str(&format!("[output]\nurl = \"{}\"\n", dir.path().join("out").display()));
        std::fs::write(dir.path().join("vipseg.toml"), config).expect("write config");
        Self { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("vipseg.toml")
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// `vipseg <args> --config <file>`, run from a folder that holds nothing of vipseg's.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = vipseg();
        command.args(args).arg("--config").arg(self.config()).current_dir(std::env::temp_dir());
        command
    }
}

fn statuses(document: &Value) -> Vec<String> {
    document["runs"].as_array().expect("runs").iter().map(|r| r["status"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_config_alone_runs_the_shipped_models_from_any_folder() {
    let shop = Shop::new();
    let (code, results) = outcome(&mut shop.command(&["run", "--as-of", "2026-11-01"]));
    assert_eq!(code, 0, "{results}");
    let first = results["models"][0]["file"].as_str().unwrap();
    assert!(first.starts_with("<shipped>/staging/"), "{first}");
    assert!(shop.out().join("customer_value").join("as_of=2026-11-01").is_dir());
}

#[test]
fn init_writes_an_editable_project_whose_commented_defaults_are_the_defaults() {
    let dir = TempDir::new().unwrap();
    let project = dir.path().join("shop");
    let (code, result) = outcome(vipseg().arg("init").arg(&project));
    assert_eq!(code, 0, "{result}");
    let repo_sql = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql");
    for file in ["models.toml", "marts/customer_value.sql", "tests/vip_tiers_need_eligibility.sql"] {
        assert_eq!(
            std::fs::read(project.join("sql").join(file)).unwrap(),
            std::fs::read(repo_sql.join(file)).unwrap(),
            "{file} is the shipped model"
        );
    }
    let text = std::fs::read_to_string(project.join("vipseg.toml")).unwrap();
    let config = Config::load(Some(&project.join("vipseg.toml")), &Overrides::default()).expect("the config loads");
    assert_eq!(config.models.dir, Some(project.join("sql")));
    assert_eq!(config.params, Params::default());

    // Uncommenting every default changes nothing: the commented values are the defaults.
    let uncommented: String = text
        .lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(setting) if setting.contains(" = ") && !setting.starts_with("url") => format!("{setting}\n"),
            _ => format!("{line}\n"),
        })
        .collect();
    let path = project.join("uncommented.toml");
    std::fs::write(&path, &uncommented).unwrap();
    let all = Config::load(Some(&path), &Overrides::default()).expect("every commented key is a valid key");
    assert_eq!(all.params, Params::default());
    let defaults = EngineConfig::default();
    assert_eq!(
        (all.engine.max_retries, all.engine.retry_timeout_secs, all.engine.request_timeout_secs, all.engine.kind),
        (defaults.max_retries, defaults.retry_timeout_secs, defaults.request_timeout_secs, defaults.kind)
    );
    assert_eq!(all.output.url, project.join("out").display().to_string());

    // A second init never overwrites.
    std::fs::write(project.join("sql/marts/customer_value.sql"), "SELECT 1 AS edited").unwrap();
    let (code, again) = outcome(vipseg().arg("init").arg(&project));
    assert_eq!(code, 2);
    assert_eq!(again["error"]["kind"], "usage", "{again}");
    assert_eq!(std::fs::read_to_string(project.join("sql/marts/customer_value.sql")).unwrap(), "SELECT 1 AS edited");
}

#[test]
fn dry_run_plans_every_model_and_writes_nothing() {
    let shop = Shop::new();
    let (code, result) =
        outcome(&mut shop.command(&["run", "--dry-run", "--as-of", "2026-11-01", "--select", "customer_value"]));
    assert_eq!(code, 0, "{result}");
    let planned: Vec<&str> =
        result["plan"]["models"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert!(planned.contains(&"customer_segments") && planned.contains(&"clv_model"), "{planned:?}");
    assert_eq!(result["plan"]["selected"], serde_json::json!(["customer_value"]));
    assert_eq!(result["plan"]["published_seq"], Value::Null);
    assert!(!shop.out().exists(), "a dry run writes nothing");

    // A broken model is found without running anything.
    let models = shop.dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::write(models.join("broken.sql"), "SELECT no_such_column FROM raw.orders").unwrap();
    let mut command = shop.command(&["run", "--dry-run", "--as-of", "2026-11-01"]);
    let (code, result) = outcome(command.arg("--models-dir").arg(&models));
    assert_eq!(code, 2, "{result}");
    assert!(result["error"]["message"].as_str().unwrap().contains("broken.sql"), "{result}");
    assert!(!shop.out().exists());
}

#[test]
fn backfill_runs_each_date_skips_published_ones_and_stops_at_the_first_failure() {
    let shop = Shop::new();
    let range = ["backfill", "--from", "2026-10-30", "--to", "2026-11-01"];
    let (code, first) = outcome(&mut shop.command(&range));
    assert_eq!(code, 0, "{first}");
    assert_eq!(statuses(&first), ["success", "success", "success"]);
    assert_eq!(first["summary"]["succeeded"], 3);
    for date in ["2026-10-30", "2026-10-31", "2026-11-01"] {
        assert!(shop.out().join("_vipseg/commits").join(format!("as_of={date}")).is_dir(), "{date} published");
    }

    let (code, again) = outcome(&mut shop.command(&range));
    assert_eq!((code, statuses(&again)), (0, vec!["skipped".to_string(); 3]));

    let (code, forced) =
        outcome(&mut shop.command(&["backfill", "--from", "2026-10-31", "--to", "2026-10-31", "--force"]));
    assert_eq!((code, statuses(&forced)), (0, vec!["success".to_string()]));
    assert_eq!(forced["runs"][0]["results"]["published"]["commit_seq"], 2, "a forced date publishes a new commit");

    // No rejected row allowed: every date fails its quality gate (exit 1).
    let strict = ["backfill", "--from", "2026-09-01", "--to", "2026-09-03", "--param", "max_rejected_rate=0"];
    let (code, stopped) = outcome(&mut shop.command(&strict));
    assert_eq!(code, 1, "{stopped}");
    assert_eq!(statuses(&stopped), ["data_quality_failed", "not_run", "not_run"]);
    let mut keep_going = shop.command(&strict);
    let (code, all) = outcome(keep_going.arg("--keep-going"));
    assert_eq!(code, 1);
    assert_eq!(statuses(&all), ["data_quality_failed"; 3]);
    assert_eq!(all["summary"]["failed"], 3);
}

#[test]
fn backfill_refuses_a_range_that_ends_before_it_starts() {
    let shop = Shop::new();
    let (code, result) = outcome(&mut shop.command(&["backfill", "--from", "2026-11-02", "--to", "2026-11-01"]));
    assert_eq!(code, 2);
    assert_eq!(result["error"]["kind"], "config", "{result}");
}

#[test]
fn zero_models_at_once_is_a_configuration_error_naming_the_key() {
    let shop = Shop::new();
    let (code, result) = outcome(shop.command(&["run", "--as-of", "2026-11-01"]).env("VIPSEG_CONCURRENT_MODELS", "0"));
    assert_eq!(code, 2);
    assert_eq!(result["error"]["kind"], "config", "{result}");
    assert!(result["error"]["message"].as_str().unwrap_or_default().contains("engine.concurrent_models"), "{result}");
}

/// Models run one at a time unless told otherwise, with or without a memory limit.
#[test]
fn models_run_one_at_a_time_unless_told_otherwise() {
    let mut engine = EngineConfig::default();
    assert_eq!(engine.models_at_once(), 1);
    engine.memory_limit = Some("1GiB".into());
    assert_eq!(engine.models_at_once(), 1);
    engine.concurrent_models = Some(3);
    assert_eq!(engine.models_at_once(), 3);
}

/// `-h` of every command: each flag shows its `VIPSEG_*` variable, and there is an example.
#[test]
fn every_flag_of_every_command_names_its_environment_variable() {
    for command in ["run", "backfill", "compile", "test", "ls", "generate", "init"] {
        let output = vipseg().args([command, "-h"]).output().expect("help");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(text.contains("Example"), "{command} -h has an example:\n{text}");
        // A flag's entry is its line and the more-indented lines below it (clap's next-line help).
        let mut entries: Vec<String> = Vec::new();
        for line in text.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with('-') {
                entries.push(trimmed.to_string());
            } else if line.starts_with("          ")
                && !trimmed.is_empty()
                && let Some(last) = entries.last_mut()
            {
                last.push_str(trimmed);
            }
        }
        let flags: Vec<&String> = entries.iter().filter(|e| !e.starts_with("-h, --help")).collect();
        assert!(!flags.is_empty(), "{command} -h lists flags:\n{text}");
        for entry in flags {
            assert!(entry.contains("[env: VIPSEG_"), "{command}: {entry}");
        }
    }
}

/// What a person at a terminal reads after a run: a few lines with the outcome, tests, rejected
/// rows, VIP tiers with sizes and thresholds, what was published and where the report is.
#[tokio::test]
async fn a_run_ends_in_a_short_summary_for_a_person() {
    let (project, _) = crate::clv_pipeline::generated_project(400, 3);
    let results = project.run("2026-11-21").await;
    crate::support::assert_success(&results);
    let text = vipseg::run::summary::human(&results);
    assert!(text.lines().count() <= 12, "{text}");
    assert!(text.starts_with("vipseg run as_of=2026-11-21: success"), "{text}");
    assert!(text.contains(&format!("{} passed, 0 failed", results.tests.len())), "{text}");
    assert!(text.contains("rejected"), "{text}");
    for tier in &results.vip_tiers {
        let line = text.lines().find(|l| l.contains(&format!("VIP {}", tier.tier))).expect("a line per tier");
        assert!(line.contains(&format!("{} customers", tier.customers)), "{line}");
    }
    assert!(!results.vip_tiers.is_empty());
    let report = results.published.as_ref().and_then(|p| p.report.clone()).expect("a report URL");
    assert!(report.contains("/report/as_of=2026-11-21/") && report.ends_with(".html"), "{report}");
    assert!(text.contains(&report), "{text}");
}

/// Per-model lines: not on a terminal's default log (the summary says enough), but in JSON logs.
#[test]
fn json_logs_carry_a_line_per_model() {
    let shop = Shop::new();
    let mut text_run = shop.command(&["run", "--as-of", "2026-11-01"]);
    let text_output = text_run.env("VIPSEG_LOG", "info").output().unwrap();
    assert!(!String::from_utf8_lossy(&text_output.stderr).contains("model done"));
    let mut json_run = shop.command(&["run", "--as-of", "2026-11-01", "--log-format", "json"]);
    let json_output = json_run.env_remove("VIPSEG_LOG").output().unwrap();
    assert_eq!(json_output.status.code(), Some(0));
    let models: Vec<String> = String::from_utf8_lossy(&json_output.stderr)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["fields"]["message"] == "model done")
        .map(|event| event["fields"]["model"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(models.iter().any(|m| m == "customer_value") && models.len() > 20, "{models:?}");
}
