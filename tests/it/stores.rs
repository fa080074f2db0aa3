//! Where the storage tests keep sources and outputs — a local folder, a moto bucket, an Azurite
//! container — how they run the `vipseg` binary against them (credentials and endpoints only in
//! the child's environment; this process's environment is never changed), and how they read
//! back what a run published, through the latest commit as every reader must.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde_json::Value;
use url::Url;
use vipseg::io::store::Location;
use vipseg::run::publish::{self, Commit};

use crate::fixtures::SOURCES;
use crate::servers::{self, Server};
use crate::support::{Outcome, config_text, files_below, parquet_rows, repo_sql_dir, vipseg_run};

/// One runtime for the tests' own object-store calls and the fault proxy (shared, so pooled
/// connections and spawned tasks outlive a single call). Tests are plain `#[test]`s that block.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
    })
}

pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    runtime().block_on(future)
}

/// A folder in some store that one test owns.
#[derive(Clone)]
pub struct Target {
    pub label: String,
    /// `file:///tmp/.../`, `s3://bucket/`, `az://container/` (always ends in `/`).
    pub base_url: String,
    /// The environment the `vipseg` process gets (credentials, endpoint overrides).
    pub env: Vec<(String, String)>,
    /// The same store, for this process's own reads and writes (never through a fault proxy).
    pub store: Arc<dyn ObjectStore>,
    /// `base_url` as a path in `store`.
    pub base: StorePath,
}

impl Target {
    pub fn local(dir: &Path) -> Self {
        let url = Url::from_directory_path(dir).expect("absolute path");
        Self {
            label: "file".into(),
            base_url: url.to_string(),
            env: Vec::new(),
            store: Arc::new(LocalFileSystem::new()),
            base: StorePath::from_url_path(url.path()).expect("path"),
        }
    }

    /// A fresh bucket on moto; vipseg reaches it at `endpoint` (moto itself, or a proxy).
    pub fn s3(server: &Server, endpoint: Option<&str>) -> Self {
        let bucket = servers::unique_name("vipseg");
        servers::create_bucket(server, &bucket);
        let store = AmazonS3Builder::new()
            .with_endpoint(server.endpoint())
            .with_allow_http(true)
            .with_bucket_name(&bucket)
            .with_region(servers::MOTO_REGION)
            .with_access_key_id(servers::MOTO_KEY_ID)
            .with_secret_access_key(servers::MOTO_SECRET)
            .build()
            .expect("S3 client");
        let env = [
            ("AWS_ENDPOINT_URL", endpoint.map(str::to_string).unwrap_or_else(|| server.endpoint())),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_ACCESS_KEY_ID", servers::MOTO_KEY_ID.into()),
            ("AWS_SECRET_ACCESS_KEY", servers::MOTO_SECRET.into()),
            ("AWS_REGION", servers::MOTO_REGION.into()),
        ];
        Self {
            label: "s3".into(),
            base_url: format!("s3://{bucket}/"),
            env: env.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            store: Arc::new(store),
            base: StorePath::default(),
        }
    }

    /// A fresh container on Azurite, reached the way the emulator is usually configured
    /// (`AZURE_STORAGE_USE_EMULATOR`, `AZURITE_BLOB_STORAGE_URL`).
    pub fn azure_emulator(server: &Server) -> Self {
        let env = vec![
            ("AZURE_STORAGE_USE_EMULATOR".to_string(), "true".to_string()),
            ("AZURITE_BLOB_STORAGE_URL".to_string(), server.endpoint()),
        ];
        Self::azure(server, servers::AZURITE_ACCOUNT, servers::AZURITE_KEY, env)
    }

    /// A fresh container reached the way a real account is configured: account name, key and
    /// endpoint (`AZURE_STORAGE_ACCOUNT_NAME`, `AZURE_STORAGE_ACCOUNT_KEY`, `AZURE_STORAGE_ENDPOINT`).
    pub fn azure_account(server: &Server, account: &str, key: &str) -> Self {
        let env = vec![
            ("AZURE_STORAGE_ACCOUNT_NAME".to_string(), account.to_string()),
            ("AZURE_STORAGE_ACCOUNT_KEY".to_string(), key.to_string()),
            ("AZURE_STORAGE_ENDPOINT".to_string(), format!("{}/{account}", server.endpoint())),
            ("AZURE_ALLOW_HTTP".to_string(), "true".to_string()),
        ];
        Self::azure(server, account, key, env)
    }

    fn azure(server: &Server, account: &str, key: &str, env: Vec<(String, String)>) -> Self {
        let container = servers::unique_name("vipseg");
        servers::create_container(server, account, key, &container);
        let store = MicrosoftAzureBuilder::new()
            .with_account(account)
            .with_access_key(key)
            .with_endpoint(format!("{}/{account}", server.endpoint()))
            .with_allow_http(true)
            .with_container_name(&container)
            .build()
            .expect("Azure client");
        Self {
            label: "az".into(),
            base_url: format!("az://{container}/"),
            env,
            store: Arc::new(store),
            base: StorePath::default(),
        }
    }

    pub fn url(&self, rel: &str) -> String {
        format!("{}{rel}", self.base_url)
    }

    pub fn path(&self, rel: &str) -> StorePath {
        rel.split('/').filter(|p| !p.is_empty()).fold(self.base.clone(), |p, part| p.join(part))
    }

    /// The folder `rel` (e.g. `out`) as vipseg's own code sees a configured URL.
    pub fn location(&self, rel: &str) -> Location {
        let mut url = self.url(rel);
        if !url.ends_with('/') {
            url.push('/');
        }
        Location { url: Url::parse(&url).unwrap(), store: Arc::clone(&self.store), prefix: self.path(rel) }
    }

    /// Copies every file below the local folder `dir` to `rel/` of this target.
    pub fn upload_dir(&self, dir: &Path, rel: &str) {
        for file in files_below(dir) {
            let relative = file.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
            let bytes = std::fs::read(&file).unwrap();
            let path = self.path(&format!("{rel}/{relative}"));
            block_on(self.store.put(&path, PutPayload::from(bytes))).expect("upload");
        }
    }

    /// Every object below `rel`, as paths relative to the target (sorted).
    pub fn list(&self, rel: &str) -> Vec<String> {
        let prefix = self.path(rel);
        let mut names: Vec<String> = block_on(self.store.list(Some(&prefix)).try_collect::<Vec<_>>())
            .expect("list")
            .into_iter()
            .map(|m| m.location.as_ref().strip_prefix(self.base.as_ref()).unwrap().trim_start_matches('/').to_string())
            .collect();
        names.sort();
        names
    }

    /// Every byte stored below `rel`, file by file (for the secrets scan).
    pub fn contents(&self, rel: &str) -> Vec<(String, Vec<u8>)> {
        self.list(rel)
            .into_iter()
            .map(|name| {
                let bytes = block_on(async { self.store.get(&self.path(&name)).await?.bytes().await }).expect("read");
                (name, bytes.to_vec())
            })
            .collect()
    }
}

/// `[engine]` settings that make a failing run fail in seconds: few, quick retries.
pub const FAIL_FAST: &str =
    "max_retries = 2\nretry_timeout_secs = 2\nrequest_timeout_secs = 5\nconnect_timeout_secs = 1\n";
/// `[engine]` settings that ride out a flaky store: more retries, a short request timeout.
pub const PATIENT: &str =
    "max_retries = 10\nretry_timeout_secs = 30\nrequest_timeout_secs = 2\nconnect_timeout_secs = 1\n";

/// What readers see for one as-of date: the latest commit and every table it names, as rows.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub run_id: String,
    pub seq: u64,
    pub tables: BTreeMap<String, Vec<Value>>,
}

/// Reads the latest commit of `as_of` and every file it names; `None` when nothing is published.
/// Fails when a named file is missing or unreadable, or a table's row count differs from the
/// commit's: a reader would then see an incomplete run.
pub fn read_view(location: &Location, as_of: NaiveDate) -> Option<View> {
    block_on(async {
        let commit: Commit = publish::latest_commit(location, as_of).await.expect("read the latest commit")?;
        let mut tables = BTreeMap::new();
        for (name, table) in &commit.tables {
            // A document published with the tables (report.html) is not a table to compare.
            if !table.files.is_empty() && table.files.iter().all(|f| !f.ends_with(".parquet")) {
                continue;
            }
            let mut rows = Vec::new();
            for file in &table.files {
                rows.extend(parquet_rows(read_committed(location, &commit, file).await));
            }
            assert_eq!(
                rows.len() as u64,
                table.rows,
                "table {name} of commit {} holds other rows than it says",
                commit.seq
            );
            rows.sort_by_key(|r| r.to_string());
            tables.insert(name.clone(), rows);
        }
        Some(View { run_id: commit.run_id.clone(), seq: commit.seq, tables })
    })
}

/// The bytes of every file the latest commit of `as_of` names, by table (audience files
/// included), in the commit's order; the report is left out, as it names its run.
pub fn read_published_bytes(location: &Location, as_of: NaiveDate) -> BTreeMap<String, Vec<Vec<u8>>> {
    block_on(async {
        let commit: Commit = publish::latest_commit(location, as_of).await.expect("read the latest commit").unwrap();
        let mut tables = BTreeMap::new();
        for (name, table) in commit.tables.iter().filter(|(name, _)| name.as_str() != "report") {
            let mut files = Vec::new();
            for file in &table.files {
                files.push(read_committed(location, &commit, file).await.as_ref().to_vec());
            }
            tables.insert(name.clone(), files);
        }
        tables
    })
}

/// A file a commit names (a path relative to the output root); panics when it is unreadable.
async fn read_committed(
    location: &Location,
    commit: &Commit,
    file: &str,
) -> impl parquet::file::reader::ChunkReader + AsRef<[u8]> + 'static {
    let path = StorePath::from(format!("{}/{file}", location.prefix.as_ref()).trim_start_matches('/'));
    let read = async { location.store.get(&path).await?.bytes().await };
    read.await.unwrap_or_else(|e| panic!("commit {} names {file}, which is unreadable: {e}", commit.seq))
}

/// Asserts two views hold the same tables with the same rows (run ids and sequence numbers
/// may differ), bit for bit; the message names every table and column that differs.
pub fn assert_same_tables(actual: &View, expected: &View, what: &str) {
    let names = |v: &View| v.tables.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(actual), names(expected), "{what}: different tables published");
    let same = |a: &Value, b: &Value| a == b;
    let mut report = Vec::new();
    for (name, rows) in &expected.tables {
        let got = &actual.tables[name];
        if got.len() != rows.len() {
            report.push(format!("{name}: {} rows, expected {}", got.len(), rows.len()));
            continue;
        }
        let differing: Vec<(&Value, &Value)> = got.iter().zip(rows).filter(|(a, b)| !same(a, b)).collect();
        if differing.is_empty() {
            continue;
        }
        // The columns that differ, with the largest relative difference of numbers.
        let mut columns: BTreeMap<String, f64> = BTreeMap::new();
        for (a, b) in &differing {
            for (column, expected_value) in b.as_object().into_iter().flatten() {
                let got_value = &a[column.as_str()];
                if !same(got_value, expected_value) {
                    let relative = match (got_value.as_f64(), expected_value.as_f64()) {
                        (Some(x), Some(y)) => (x - y).abs() / x.abs().max(y.abs()).max(f64::MIN_POSITIVE),
                        _ => f64::INFINITY,
                    };
                    let entry = columns.entry(column.clone()).or_insert(0.0);
                    *entry = entry.max(relative);
                }
            }
        }
        let (a, b) = differing[0];
        report.push(format!(
            "{name}: {} of {} rows differ in {}\n    e.g. got      {a}\n         expected {b}",
            differing.len(),
            rows.len(),
            columns
                .iter()
                .map(|(c, r)| format!("{c} (max relative difference {r:.1e})"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    assert!(report.is_empty(), "{what}: tables differ:\n  {}", report.join("\n  "));
}

/// The tables the storage, fault and crash tests publish: several tables over every source,
/// without the slowest models (customer_segments and its dependents, the CLV fits), so a run
/// takes about a second. The whole pipeline runs in object_stores.rs and determinism.rs.
pub const STORAGE_SELECTION: &str = "rejected_rows,source_quality,customer_value,pareto";

/// Writes `<dir>/<name>.toml` for the sources under `<target>/data/` and the output
/// `<target>/out/`, and runs `vipseg run` on it (`select`: `--select`, empty = every model).
pub fn run_target(dir: &Path, name: &str, target: &Target, as_of: &str, engine: &str, select: &str) -> Outcome {
    let config = write_target_config(dir, name, target, engine);
    let mut command = vipseg_run(&config, as_of, &target.env);
    if !select.is_empty() {
        command.args(["--select", select]);
    }
    Outcome::of(&mut command)
}

/// The small shop (shop.rs) has only a handful of customers who became VIP a year on: a lower
/// bar lets the lookalike model fit on it, so every table has rows and is compared across
/// stores, runs and partitionings.
const SHOP_PARAMS: [&str; 1] = ["lookalike_min_positives = 3"];

pub fn write_target_config(dir: &Path, name: &str, target: &Target, engine: &str) -> PathBuf {
    let config = dir.join(format!("{name}.toml"));
    let params: Vec<String> = SHOP_PARAMS.iter().map(|p| p.to_string()).collect();
    let text = config_text(&target.url("data/"), &target.url("out/"), &SOURCES, &repo_sql_dir(), &params, engine);
    std::fs::write(&config, text).expect("write config");
    config
}
