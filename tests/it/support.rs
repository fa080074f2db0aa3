//! Test support: a throw-away project folder with sources written as real Parquet from JSON
//! rows (typed by the canonical schema), the repository's SQL models, and readers of what a
//! run published.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use serde_json::Value;
use tempfile::TempDir;
use vipseg::config::{Config, Overrides};
use vipseg::pipeline::{RunRequest, run};
use vipseg::run_results::RunResults;

/// The repository's own `sql/` folder.
pub fn repo_sql_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sql")
}

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("YYYY-MM-DD")
}

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
        let schema = vipseg::schema::arrow_schema(source).expect("canonical source");
        let batch = json_batch(&schema, rows);
        write_parquet(&self.path().join("data").join(source).join(file), &batch);
        self
    }

    /// vipseg.toml with every source folder that exists under `data/`.
    pub fn config_text(&self) -> String {
        let mut text = String::new();
        for source in ["orders", "order_lines", "customers", "returns", "support_tickets", "referrals", "reviews"] {
            if self.path().join("data").join(source).exists() {
                text.push_str(&format!("[sources.{source}]\nurl = \"data/{source}/\"\n"));
            }
        }
        text.push_str(&format!("[output]\nurl = \"out/\"\n[models]\ndir = \"{}\"\n", self.models_dir.display()));
        text.push_str(&format!("[params]\n{}\n[engine]\ntarget_partitions = 2\n", self.params.join("\n")));
        text
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

    /// Rows of a published table of the latest commit for `as_of`, sorted by their JSON text.
    pub async fn published(&self, table: &str, as_of: &str) -> Vec<Value> {
        read_published(&self.out_dir(), table, as_of).await
    }
}

pub fn json_batch(schema: &arrow::datatypes::SchemaRef, rows: &[Value]) -> RecordBatch {
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

/// Reads a published table through the latest commit (the way readers must), as JSON rows.
pub async fn read_published(out_dir: &Path, table: &str, as_of: &str) -> Vec<Value> {
    let ctx = datafusion::prelude::SessionContext::new();
    let location = vipseg::storage::open(&ctx, out_dir.to_str().unwrap(), "output.url", &Default::default()).unwrap();
    let files = vipseg::publish::published_files(&location, date(as_of), table)
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

pub fn read_parquet_rows(path: &Path) -> Vec<Value> {
    let file = std::fs::File::open(path).expect("open parquet");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    vipseg::json_rows::to_json_rows(&batches).unwrap()
}
