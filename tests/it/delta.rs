//! `[output] format = "delta"`: the published Delta tables, read by an independent reader (the
//! Python `deltalake` of PyPI, installed by scripts/test-setup), hold the rows the Parquet output
//! holds; a re-run of a date replaces its partition; other dates' partitions stay.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use vipseg::config::OutputFormat;
use vipseg::run::pipeline::{RunRequest, run};
use vipseg::run::results::RunResults;

use crate::servers;
use crate::shop::{SEED, small_shop};
use crate::stores::{
    FAIL_FAST, STORAGE_SELECTION, Target, assert_same_tables, block_on, read_view, run_target, write_target_config,
};
use crate::support::{Outcome, TestProject, assert_success, date, read_parquet_rows, read_published, vipseg_run};
use vipseg::run::publish;

const D: &str = "2026-07-01";
const LATER: &str = "2026-08-01";

/// Reads the `as_of` partition of a Delta table with delta-rs's Python release and writes its
/// rows (without `as_of`) as one Parquet file, which the test reads with arrow-rs; prints the
/// table's version.
const READER: &str = r#"
import os
import sys
import pyarrow.parquet as pq
from deltalake import DeltaTable

table_url, as_of, out = sys.argv[1], sys.argv[2], sys.argv[3]
# An S3 table: the endpoint and credentials of the test server, from the environment.
options = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
table = DeltaTable(table_url, storage_options=options or None)
rows = table.to_pyarrow_table(partitions=[("as_of", "=", as_of)])
all_rows = table.to_pyarrow_table()
assert "as_of" in all_rows.column_names, all_rows.column_names
pq.write_table(rows.drop_columns(["as_of"]), out)
print(table.version(), flush=True)
# deltalake 1.6.6 aborts at interpreter shutdown about every other run ("terminate called
# without an active exception", exit 134), after its work is done: leave without finalising.
os._exit(0)
"#;

fn tools_dir() -> PathBuf {
    std::env::var_os("VIPSEG_TEST_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".test-tools"))
}

/// The venv's python with `deltalake`; fails the test (never skips) without it.
fn delta_python() -> PathBuf {
    let python = tools_dir().join("delta-venv/bin/python");
    let works =
        Command::new(&python).args(["-c", "import deltalake, pyarrow"]).output().is_ok_and(|o| o.status.success());
    assert!(
        works,
        "the Python Delta reader is missing: {} cannot import deltalake and pyarrow; run scripts/test-setup",
        python.display()
    );
    python
}

/// The rows of the `as_of` partition of the Delta table `<out>/<table>/` as the Python reader
/// sees them (sorted like `read_published`), and the table's latest version.
fn read_delta(out: &Path, table: &str, as_of: &str) -> (Vec<Value>, u64) {
    read_delta_url(&out.join(table).to_string_lossy(), as_of, &[])
}

/// `read_delta` of the table at `url`, with `env` (the store's endpoint and credentials).
fn read_delta_url(url: &str, as_of: &str, env: &[(String, String)]) -> (Vec<Value>, u64) {
    let dir = tempfile::TempDir::new().unwrap();
    let script = dir.path().join("read_delta.py");
    std::fs::write(&script, READER).unwrap();
    let parquet = dir.path().join("rows.parquet");
    let output = Command::new(delta_python())
        .arg(&script)
        .args([url, as_of])
        .arg(&parquet)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run python");
    assert!(output.status.success(), "python reader on {url}: {}", String::from_utf8_lossy(&output.stderr));
    let version = String::from_utf8_lossy(&output.stdout).trim().parse().expect("a version");
    let mut rows = read_parquet_rows(&parquet);
    rows.sort_by_key(|r| r.to_string());
    (rows, version)
}

async fn run_to(project: &TestProject, out: &Path, format: OutputFormat, as_of: &str) -> RunResults {
    let mut config = project.config();
    config.output.url = out.to_string_lossy().into_owned();
    config.output.format = format;
    let results = run(&RunRequest { config, as_of: date(as_of), select: Vec::new() }).await;
    assert_success(&results);
    results
}

/// The commit record of the latest run of `as_of`.
fn commit(out: &Path, as_of: &str) -> Value {
    let dir = out.join("_vipseg/commits").join(format!("as_of={as_of}"));
    let mut records: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    records.sort();
    serde_json::from_slice(&std::fs::read(records.last().expect("a commit record")).unwrap()).unwrap()
}

/// The published names split into Delta tables (the commit names a Delta version) and documents.
fn split_documents(commit: &Value, names: &[String]) -> (Vec<String>, Vec<String>) {
    names.iter().cloned().partition(|name| !commit["tables"][name]["delta"].is_null())
}

fn published_tables(results: &RunResults) -> Vec<String> {
    results.published.as_ref().expect("published").tables.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delta_tables_hold_the_parquet_rows_and_a_rerun_replaces_the_partition() {
    delta_python(); // before the runs: a missing reader fails fast
    let project = small_shop(SEED).known_before(date(LATER)).project();
    let (parquet_out, delta_out) = (project.path().join("out-parquet"), project.path().join("out-delta"));
    let parquet_run = run_to(&project, &parquet_out, OutputFormat::Parquet, D).await;
    let first = run_to(&project, &delta_out, OutputFormat::Delta, D).await;
    let tables = published_tables(&first);
    assert_eq!(tables, published_tables(&parquet_run));

    let first_commit = commit(&delta_out, D);
    // Documents staged next to the tables (report.html, ...) stay plain files.
    let (tables, documents) = split_documents(&first_commit, &tables);
    assert!(tables.contains(&"customer_value".to_string()), "{tables:?}");
    for document in &documents {
        for file in first_commit["tables"][document]["files"].as_array().unwrap() {
            let file = file.as_str().unwrap();
            assert!(!file.ends_with(".parquet") && delta_out.join(file).is_file(), "{document}: {file}");
        }
    }
    for table in &tables {
        let expected = read_published(&parquet_out, table, D).await;
        let (rows, version) = read_delta(&delta_out, table, D);
        assert_eq!(rows.len(), expected.len(), "{table}: rows in Delta vs Parquet");
        assert_eq!(rows, expected, "{table}: the Delta partition holds the Parquet rows");
        let entry = &first_commit["tables"][table];
        assert_eq!(entry["delta"]["version"], version, "{table}: the commit names the Delta version");
        assert!(entry["delta"]["url"].as_str().unwrap().ends_with(&format!("/{table}/")), "{entry}");
        // Readers through the commit record (`vipseg test`, read_published) still work.
        assert_eq!(read_published(&delta_out, table, D).await, expected, "{table} through the commit record");
        assert!(delta_out.join(table).join("_delta_log").is_dir());
    }

    // A re-run of the same date: one version of the partition's rows, a new Delta version.
    let second = run_to(&project, &delta_out, OutputFormat::Delta, D).await;
    let second_commit = commit(&delta_out, D);
    assert_eq!(second_commit["seq"], first_commit["seq"].as_u64().unwrap() + 1);
    for table in &split_documents(&second_commit, &published_tables(&second)).0 {
        let (rows, version) = read_delta(&delta_out, table, D);
        assert_eq!(rows, read_published(&parquet_out, table, D).await, "{table} after the re-run: no duplicates");
        assert_eq!(second_commit["tables"][table]["delta"]["version"], version, "{table}");
        assert!(version > first_commit["tables"][table]["delta"]["version"].as_u64().unwrap(), "{table}");
        assert_eq!(second_commit["tables"][table]["run_id"], second.run_id.as_str());
    }

    // Another date: a second partition, the first one untouched.
    run_to(&project, &parquet_out, OutputFormat::Parquet, LATER).await;
    run_to(&project, &delta_out, OutputFormat::Delta, LATER).await;
    for table in ["customer_value", "customer_segments"] {
        let (on_d, _) = read_delta(&delta_out, table, D);
        let (later, _) = read_delta(&delta_out, table, LATER);
        assert_eq!(on_d, read_published(&parquet_out, table, D).await, "{table} on {D} after the run on {LATER}");
        assert_eq!(later, read_published(&parquet_out, table, LATER).await, "{table} on {LATER}");
        assert!(!on_d.is_empty() && !later.is_empty(), "{table}");
    }
}

#[test]
fn the_output_format_is_checked_and_overridable() {
    let project = TestProject::new();
    let path = project.path().join("vipseg.toml");
    std::fs::write(&path, "[output]\nurl = \"out\"\nformat = \"orc\"\n").unwrap();
    let error = vipseg::config::Config::load(Some(&path), &Default::default()).unwrap_err().to_string();
    assert!(error.contains("format") && error.contains("delta"), "{error}");

    std::fs::write(&path, "[output]\nformat = \"delta\"\n").unwrap();
    let config = vipseg::config::Config::load(Some(&path), &Default::default()).unwrap();
    assert_eq!(config.output.format, OutputFormat::Delta);
    let overrides = vipseg::config::Overrides { output_format: Some(OutputFormat::Parquet), ..Default::default() };
    assert_eq!(vipseg::config::Config::load(Some(&path), &overrides).unwrap().output.format, OutputFormat::Parquet);
}

#[test]
fn delta_output_on_s3_with_the_format_from_the_environment() {
    delta_python();
    let project = small_shop(SEED).known_before(date(D)).project();
    let local = Target::local(project.path());
    let outcome = run_target(project.path(), "local", &local, D, FAIL_FAST, STORAGE_SELECTION);
    assert_eq!(outcome.code, Some(0), "local Parquet run: {}", outcome.describe());
    let expected = read_view(&local.location("out"), date(D)).expect("published on file://");

    let s3 = Target::s3(servers::moto(), None);
    s3.upload_dir(&project.path().join("data"), "data");
    let config = write_target_config(project.path(), "s3", &s3, FAIL_FAST);
    let mut env = s3.env.clone();
    env.push(("VIPSEG_OUTPUT_FORMAT".into(), "delta".into()));
    for run in 1..=2 {
        let outcome = Outcome::of(vipseg_run(&config, D, &env).args(["--select", STORAGE_SELECTION]));
        assert_eq!(outcome.code, Some(0), "S3 Delta run {run}: {}", outcome.describe());
        // Through the commit record: the files of the Delta version it names.
        let view = read_view(&s3.location("out"), date(D)).expect("published on S3");
        assert_same_tables(&view, &expected, &format!("Delta on S3 (run {run}) vs Parquet on file://"));
        // Through the Delta log, with the independent reader.
        let commit = block_on(publish::latest_commit(&s3.location("out"), date(D))).unwrap().unwrap();
        for (table, rows) in &expected.tables {
            let delta = commit.tables[table].delta.as_ref().expect("a Delta table");
            assert_eq!(delta.url, s3.url(&format!("out/{table}/")));
            let (read, version) = read_delta_url(&delta.url, D, &s3.env);
            assert_eq!(&read, rows, "{table} read from S3 by the Python reader (run {run})");
            assert_eq!(version, delta.version, "{table}: the commit names the latest version");
        }
    }
}
