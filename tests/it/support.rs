//! Test support shared by every test module: a throw-away project folder with sources written
//! as real Parquet from JSON rows (typed by the canonical schema) and the repository's SQL
//! models, its `vipseg.toml`, running the pipeline (in-process or through the `vipseg`
//! binary), and readers of what a run published.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use serde_json::Value;
use tempfile::TempDir;
use vipseg::config::{Config, Overrides};
use vipseg::run::pipeline::{RunRequest, run};
use vipseg::run::results::{RunResults, RunStatus};

use crate::fixtures::SOURCES;

/// The repository's own `sql/` folder.
pub fn repo_sql_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sql")
}

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("YYYY-MM-DD")
}

// ---------------------------------------------------------------------------------------------
// A project folder.

/// A project in a temporary folder: `data/<source>/part-0.parquet`, `out/`, `vipseg.toml`.
pub struct TestProject {
    pub dir: TempDir,
    pub models_dir: PathBuf,
    /// Extra lines for `[params]`, e.g. `vip_mode = "static"`.
    pub params: Vec<String>,
}

impl TestProject {
    pub fn new() -> Self {
        Self { dir: TempDir::new().expect("temp dir"), models_dir: repo_sql_dir(), params: Vec::new() }
    }

    /// The project with one more `[params]` line, e.g. `max_rejected_rate = 1.0`.
    pub fn with_param(mut self, line: &str) -> Self {
        self.params.push(line.to_string());
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn out_dir(&self) -> PathBuf {
        self.path().join("out")
    }

    /// Writes `rows` (JSON objects; timestamps as RFC 3339 strings, dates as YYYY-MM-DD) as
    /// one Parquet file of `source` with the canonical schema.
    pub fn source(&self, source: &str, rows: &[Value]) -> &Self {
        self.source_file(source, "part-0.parquet", rows)
    }

    pub fn source_file(&self, source: &str, file: &str, rows: &[Value]) -> &Self {
        let batch = json_batch(&canonical_schema(source), rows);
        write_parquet(&self.path().join("data").join(source).join(file), &batch);
        self
    }

    /// vipseg.toml with every source folder that exists under `data/`, the output `out/`, the
    /// project's models and parameters.
    pub fn config_text(&self) -> String {
        let sources: Vec<&str> =
            SOURCES.into_iter().filter(|source| self.path().join("data").join(source).exists()).collect();
        config_text("data/", "out/", &sources, &self.models_dir, &self.params, "")
    }

    pub fn write_config(&self) -> PathBuf {
        let path = self.path().join("vipseg.toml");
        std::fs::write(&path, self.config_text()).expect("write config");
        path
    }

    pub fn config(&self) -> Config {
        Config::load(Some(&self.write_config()), &Overrides::default()).expect("valid config")
    }

    /// Runs the whole pipeline in-process.
    pub async fn run(&self, as_of: &str) -> RunResults {
        let request = RunRequest { config: self.config(), as_of: date(as_of), select: Vec::new() };
        run(&request).await
    }

    /// `vipseg run --config vipseg.toml --as-of <as_of>`: the binary on this project.
    pub fn run_command(&self, as_of: &str) -> Command {
        vipseg_run(&self.write_config(), as_of, &[])
    }

    /// Rows of a published table of the latest commit for `as_of`, sorted by their JSON text.
    pub async fn published(&self, table: &str, as_of: &str) -> Vec<Value> {
        read_published(&self.out_dir(), table, as_of).await
    }
}

/// The text of a vipseg.toml: the sources `<data_url><source>/` of `sources`, the output,
/// the models folder, `params` as the lines of `[params]`, and `[engine]` with
/// `target_partitions = 2` and the lines of `engine`.
pub fn config_text(
    data_url: &str,
    output_url: &str,
    sources: &[&str],
    models_dir: &Path,
    params: &[String],
    engine: &str,
) -> String {
    let mut text = String::new();
    for source in sources {
        text.push_str(&format!("[sources.{source}]\nurl = \"{data_url}{source}/\"\n"));
    }
    text.push_str(&format!("[output]\nurl = \"{output_url}\"\n[models]\ndir = \"{}\"\n", models_dir.display()));
    if !params.is_empty() {
        text.push_str(&format!("[params]\n{}\n", params.join("\n")));
    }
    text.push_str(&format!("[engine]\ntarget_partitions = 2\n{engine}"));
    text
}

// ---------------------------------------------------------------------------------------------
// Parquet files.

/// The Arrow schema of a canonical source (docs/canonical-schema.md).
pub fn canonical_schema(source: &str) -> SchemaRef {
    vipseg::io::schema::Source::from_name(source).expect("canonical source").arrow_schema()
}

pub fn json_batch(schema: &SchemaRef, rows: &[Value]) -> RecordBatch {
    let mut decoder = arrow_json::ReaderBuilder::new(Arc::clone(schema)).build_decoder().expect("decoder");
    decoder.serialize(rows).expect("rows match the schema");
    decoder.flush().expect("flush").unwrap_or_else(|| RecordBatch::new_empty(Arc::clone(schema)))
}

pub fn write_parquet(path: &Path, batch: &RecordBatch) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let file = std::fs::File::create(path).expect("create parquet");
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    writer.write(batch).expect("write");
    writer.close().expect("close");
}

/// The rows of a Parquet file (on disk, or bytes read from a store) as JSON rows.
pub fn parquet_rows(file: impl parquet::file::reader::ChunkReader + 'static) -> Vec<Value> {
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("a Parquet file")
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    vipseg::io::json_rows::to_json_rows(&batches).unwrap()
}

pub fn read_parquet_rows(path: &Path) -> Vec<Value> {
    parquet_rows(std::fs::File::open(path).expect("open parquet"))
}

/// Every file below `dir` (none when it does not exist), sorted.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return files };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_below(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

// ---------------------------------------------------------------------------------------------
// What a run published.

/// Reads a published table through the latest commit (the way readers must), as JSON rows.
pub async fn read_published(out_dir: &Path, table: &str, as_of: &str) -> Vec<Value> {
    let ctx = datafusion::prelude::SessionContext::new();
    let location = vipseg::io::store::open(&ctx, out_dir.to_str().unwrap(), "output.url", &Default::default()).unwrap();
    let files = vipseg::run::publish::published_files(&location, date(as_of), table)
        .await
        .expect("read commit")
        .unwrap_or_else(|| panic!("table {table} not published for {as_of}"));
    let mut rows = Vec::new();
    for url in files {
        let path = url::Url::parse(&url).unwrap().to_file_path().unwrap();
        rows.extend(read_parquet_rows(&path));
    }
    rows.sort_by_key(|r| r.to_string());
    rows
}

/// Rows keyed by their `customer_id`.
pub fn by_customer(rows: &[Value]) -> BTreeMap<String, Value> {
    rows.iter().map(|r| (r["customer_id"].as_str().expect("a customer_id").to_string(), r.clone())).collect()
}

/// The in-process run succeeded (else: its run results).
pub fn assert_success(results: &RunResults) {
    assert_eq!(results.status, RunStatus::Success, "{:#}", results.to_json());
}

// ---------------------------------------------------------------------------------------------
// The `vipseg` binary.

/// The `vipseg` binary with a clean environment: none of this process's `AWS_*`, `AZURE_*`,
/// `AZURITE_*`, `GOOGLE_*` or `VIPSEG_*` variables (a test sets the ones it means), no stdin.
pub fn vipseg_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vipseg"));
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if ["AWS_", "AZURE_", "AZURITE_", "GOOGLE_", "VIPSEG_"].iter().any(|p| key.starts_with(p)) {
            command.env_remove(&*key);
        }
    }
    command.stdin(Stdio::null());
    command
}

/// `vipseg run` for one as-of date, with only `env` as settings from the environment (cloud
/// credentials and endpoints, `VIPSEG_*`).
pub fn vipseg_run(config: &Path, as_of: &str, env: &[(String, String)]) -> Command {
    let mut command = vipseg_command();
    command.args(["run", "--config"]).arg(config).args(["--as-of", as_of]);
    command.envs(env.iter().map(|(k, v)| (k, v)));
    command
}

/// What the binary did.
#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// stdout parsed (the run results), or `null`.
    pub json: Value,
}

impl Outcome {
    /// Runs `command` to its end.
    pub fn of(command: &mut Command) -> Outcome {
        Outcome::from_output(command.output().expect("run vipseg"))
    }

    pub fn from_output(output: Output) -> Outcome {
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        Outcome {
            code: output.status.code(),
            json: serde_json::from_str(&stdout).unwrap_or(Value::Null),
            stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// stdout as JSON; fails the test when it is not.
    pub fn expect_json(&self) -> &Value {
        assert!(!self.json.is_null(), "stdout is not JSON: {}\n{}", self.stdout, self.describe());
        &self.json
    }

    /// The exit code, the error and the tail of stderr, for failure messages.
    pub fn describe(&self) -> String {
        let tail: String = self.stderr.chars().rev().take(3000).collect::<Vec<_>>().into_iter().rev().collect();
        format!("exit {:?}\nerror: {}\nstderr (tail):\n{tail}", self.code, self.json["error"])
    }

    pub fn run_id(&self) -> String {
        self.json["run_id"].as_str().unwrap_or_default().to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// A generated shop.

/// `vipseg generate` (with `args`, e.g. `--customers 700 --seed 11 --end D`) into `data/` of a
/// fresh folder, and a `vipseg.toml` there reading every source, publishing to `out/`.
pub struct GeneratedShop {
    pub dir: TempDir,
    pub data: PathBuf,
    pub config: PathBuf,
}

impl GeneratedShop {
    pub fn new(args: &[&str]) -> Self {
        let dir = TempDir::new().expect("temp dir");
        let data = dir.path().join("data");
        let generated = Outcome::of(vipseg_command().arg("generate").args(args).arg("--out").arg(&data));
        assert_eq!(generated.code, Some(0), "{}", generated.describe());
        let mut config = String::new();
        for source in SOURCES {
            config.push_str(&format!("[sources.{source}]\nurl = \"{}\"\n", data.join(source).display()));
        }
        let out = dir.path().join("out");
        config.push_str(&format!("[output]\nurl = \"{}\"\n[engine]\ntarget_partitions = 2\n", out.display()));
        let config_path = dir.path().join("vipseg.toml");
        std::fs::write(&config_path, config).expect("write config");
        Self { dir, data, config: config_path }
    }

    pub fn out_dir(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// `vipseg run` of the whole pipeline for `as_of`; fails the test unless it exits 0.
    pub fn run(&self, as_of: &str) -> Outcome {
        let run = Outcome::of(
            vipseg_command().env("VIPSEG_LOG", "warn").args(["run", "--as-of", as_of, "--config"]).arg(&self.config),
        );
        assert_eq!(run.code, Some(0), "{}", run.describe());
        run
    }
}
