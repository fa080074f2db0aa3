//! The distributed engine: a real Ballista cluster — `vipseg scheduler` and two `vipseg
//! executor` processes on loopback — runs the whole pipeline against moto's S3 and publishes
//! what the in-process engine publishes; an executor killed mid-run; the settings Ballista
//! cannot honour are configuration errors.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::servers;
use crate::shop::{SEED, small_shop};
use crate::stores::{FAIL_FAST, Target, View, read_view, run_target, write_target_config};
use crate::support::{Outcome, TestProject, date, vipseg_command, vipseg_run};

const AS_OF: &str = "2026-07-01";

/// A scheduler and its executors, each a `vipseg` process; killed when dropped.
struct Cluster {
    scheduler: SocketAddr,
    processes: Vec<Child>,
    /// Executors' work dirs, logs.
    dir: tempfile::TempDir,
}

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free loopback port")
}

fn wait_listening(addr: SocketAddr, process: &mut Child, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = process.try_wait() {
            panic!("{what} exited with {status}: {}", std::fs::read_to_string(log).unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} is not listening on {addr}: {}", std::fs::read_to_string(log).unwrap_or_default());
}

impl Cluster {
    /// Short liveness settings, so a killed executor is noticed within seconds.
    fn start(executors: usize, env: &[(String, String)]) -> Cluster {
        let dir = tempfile::TempDir::new().unwrap();
        let scheduler = free_addr();
        let log = dir.path().join("scheduler.log");
        let mut process = vipseg_command()
            .args(["scheduler", "--bind", &scheduler.to_string()])
            .args(["--executor-timeout-secs", "3", "--expire-interval-secs", "1", "--no-executors-grace-secs", "5"])
            // The scheduler lists each scan's files while planning: it needs the credentials too.
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("VIPSEG_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start vipseg scheduler");
        wait_listening(scheduler, &mut process, "the scheduler", &log);
        let mut cluster = Cluster { scheduler, processes: vec![process], dir };
        for i in 0..executors {
            let (flight, grpc) = (free_addr(), free_addr());
            let log = cluster.dir.path().join(format!("executor-{i}.log"));
            let mut process = vipseg_command()
                .args(["executor", "--scheduler", &scheduler.to_string()])
                .args(["--bind", &flight.to_string(), "--grpc-bind", &grpc.to_string()])
                .arg("--work-dir")
                .arg(cluster.dir.path().join(format!("executor-{i}")))
                .args(["--concurrency", "2", "--memory-limit", "512MiB", "--heartbeat-secs", "1"])
                // The executors read and write the bucket with the cloud's standard variables.
                .envs(env.iter().map(|(k, v)| (k, v)))
                .env("VIPSEG_LOG", "info")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .expect("start vipseg executor");
            wait_listening(flight, &mut process, &format!("executor {i}"), &log);
            wait_listening(grpc, &mut process, &format!("executor {i}"), &log);
            cluster.processes.push(process);
        }
        cluster
    }

    /// The `[engine]` lines of a run on this cluster.
    fn engine(&self) -> String {
        format!("kind = \"ballista\"\nscheduler = \"df://{}\"\n{FAIL_FAST}", self.scheduler)
    }

    /// The processes' logs, for failure messages.
    fn logs(&self) -> String {
        let mut text = String::new();
        for entry in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
            if entry.path().extension().is_some_and(|e| e == "log") {
                let log = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let tail: String = log.chars().rev().take(2000).collect::<Vec<_>>().into_iter().rev().collect();
                text.push_str(&format!("--- {}\n{tail}\n", entry.path().display()));
            }
        }
        text
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for process in &mut self.processes {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

/// The small shop on `target` under `data/`, and what the in-process engine publishes for it
/// on local files.
fn shop_and_local_view(project: &TestProject, target: &Target) -> View {
    small_shop(SEED).known_before(date(AS_OF)).write(project, "part-0.parquet");
    target.upload_dir(&project.path().join("data"), "data");
    let local = Target::local(project.path());
    let outcome = run_target(project.path(), "local", &local, AS_OF, FAIL_FAST, "");
    assert_eq!(outcome.code, Some(0), "local run: {}", outcome.describe());
    let view = read_view(&local.location("out"), date(AS_OF)).expect("published locally");
    assert!(view.tables.values().all(|rows| !rows.is_empty()), "every table has rows: {:?}", view.tables.keys());
    view
}

#[test]
fn a_ballista_cluster_publishes_what_the_local_engine_publishes() {
    let moto = servers::moto();
    let project = TestProject::new();
    let target = Target::s3(moto, None);
    let expected = shop_and_local_view(&project, &target);
    let cluster = Cluster::start(2, &target.env);
    let outcome = run_target(project.path(), "cluster", &target, AS_OF, &cluster.engine(), "");
    assert_eq!(outcome.code, Some(0), "run on the cluster: {}\n{}", outcome.describe(), cluster.logs());
    let view = read_view(&target.location("out"), date(AS_OF)).expect("published on S3");
    assert_equal_within_a_cent(&view, &expected);
    assert!(target.list("out").iter().all(|o| !o.starts_with("out/_staging/")), "staging left behind");
}

#[test]
fn killing_an_executor_mid_run_completes_on_the_other() {
    let moto = servers::moto();
    let project = TestProject::new();
    let target = Target::s3(moto, None);
    let expected = shop_and_local_view(&project, &target);
    let mut cluster = Cluster::start(2, &target.env);
    let config = write_target_config(project.path(), "cluster", &target, &cluster.engine());
    let mut run = vipseg_run(&config, AS_OF, &target.env);
    let child = run.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start vipseg run");
    // Mid-run: once the first models are in staging (the sources are read, shuffles exist).
    wait_for_staged_models(&target, 3);
    let victim = cluster.processes.last_mut().expect("an executor");
    victim.kill().expect("SIGKILL an executor");
    let _ = victim.wait();
    let outcome = Outcome::from_output(child.wait_with_output().expect("the run ends"));
    let published = read_view(&target.location("out"), date(AS_OF));
    match outcome.code {
        // Ballista reran the lost tasks (and the lost shuffle output) on the other executor.
        Some(0) => assert_equal_within_a_cent(&published.expect("published"), &expected),
        other => panic!(
            "expected the run to finish on the surviving executor, got {other:?}: {}\n{}",
            outcome.describe(),
            cluster.logs()
        ),
    }
}

/// Waits until `count` model folders exist in the run's staging area on `target`.
fn wait_for_staged_models(target: &Target, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let mut models: Vec<String> = target
            .list("out/_staging")
            .iter()
            .filter_map(|o| o.split('/').nth(3).map(str::to_string))
            .filter(|m| !m.starts_with("raw."))
            .collect();
        models.dedup();
        if models.len() >= count {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the run staged fewer than {count} models in two minutes");
}

#[test]
fn delta_output_on_ballista_is_a_configuration_error() {
    let project = TestProject::new();
    small_shop(SEED).known_before(date(AS_OF)).write(&project, "part-0.parquet");
    let local = Target::local(project.path());
    // No cluster is needed: the setting is refused before anything connects.
    let engine = "kind = \"ballista\"\nscheduler = \"df://127.0.0.1:9\"\n";
    let config: PathBuf = write_target_config(project.path(), "delta", &local, engine);
    let outcome = Outcome::of(vipseg_run(&config, AS_OF, &[]).args(["--output-format", "delta"]));
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    let message = outcome.json["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("output.format") && message.contains("ballista"), "{message}");
    assert!(!project.path().join("out").exists(), "nothing written");
}

/// Same tables and rows; numbers within a cent (money) — the cluster adds up in another order.
fn assert_equal_within_a_cent(actual: &View, expected: &View) {
    let names = |v: &View| v.tables.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(actual), names(expected), "different tables published");
    let mut report = Vec::new();
    for (name, rows) in &expected.tables {
        let (mut got, mut want) = (actual.tables[name].clone(), rows.clone());
        if got.len() != want.len() {
            report.push(format!("{name}: {} rows, expected {}", got.len(), want.len()));
            continue;
        }
        // Rows in an order that tiny float differences cannot change.
        got.sort_by_key(sort_key);
        want.sort_by_key(sort_key);
        let differing = got.iter().zip(&want).filter(|(a, b)| !close(a, b)).count();
        if let Some((a, b)) = got.iter().zip(&want).find(|(a, b)| !close(a, b)) {
            report.push(format!(
                "{name}: {differing} of {} rows differ, e.g.\n    got      {a}\n    expected {b}",
                want.len()
            ));
        }
    }
    assert!(report.is_empty(), "the cluster's tables differ from the local engine's:\n  {}", report.join("\n  "));
}

fn sort_key(row: &Value) -> String {
    let mut key = String::new();
    for (column, value) in row.as_object().into_iter().flatten() {
        let text = match value {
            Value::Number(n) if n.is_f64() => format!("{:.1}", n.as_f64().unwrap_or_default()),
            other => other.to_string(),
        };
        key.push_str(&format!("{column}={text};"));
    }
    key
}

fn close(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| close(v, w)))
        }
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(v, w)| close(v, w)),
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= 0.01 + 1e-9 * x.abs().max(y.abs()),
            _ => x == y,
        },
        _ => a == b,
    }
}

/// A failed attempt of a write leaves its files beside those of the attempt that succeeded (what
/// an executor killed mid-write does): the table keeps only the files of one whole write of the
/// rows the engine reported, found by their footers, and deletes the rest.
#[test]
fn a_table_keeps_only_one_write_of_its_rows() {
    use std::sync::Arc;

    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use futures::TryStreamExt;
    use object_store::ObjectStoreExt;
    use object_store::local::LocalFileSystem;
    use object_store::path::Path as StorePath;
    use vipseg::io::parquet::{keep_one_write, put_batch};
    use vipseg::io::store::Location;

    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalFileSystem::new_with_prefix(dir.path()).unwrap());
    let url = url::Url::from_directory_path(dir.path()).unwrap();
    let location = Location { url, store, prefix: StorePath::from("") };
    let table = StorePath::from("staging/table");
    let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
    let batch = |rows: i64| {
        RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from_iter_values(0..rows))]).unwrap()
    };
    let runtime = crate::stores::runtime();
    runtime.block_on(async {
        // the write that succeeded (3 + 2 rows), a whole earlier attempt of other rows, a cut file
        put_batch(&location, &table.clone().join("okWrite_0.parquet"), &batch(3)).await.unwrap();
        put_batch(&location, &table.clone().join("okWrite_1.parquet"), &batch(2)).await.unwrap();
        put_batch(&location, &table.clone().join("deadWrite_0.parquet"), &batch(4)).await.unwrap();
        location
            .store
            .put(&table.clone().join("cutWrite_0.parquet"), b"PAR1 and then nothing".to_vec().into())
            .await
            .unwrap();
        let names = || async {
            let mut names: Vec<String> = location
                .store
                .list(Some(&table))
                .map_ok(|m| m.location.filename().unwrap().to_string())
                .try_collect()
                .await
                .unwrap();
            names.sort();
            names
        };
        let error = keep_one_write(&location, &table, 7).await.unwrap_err().to_string();
        assert!(error.contains("no write of the 7 rows"), "{error}");
        assert_eq!(names().await.len(), 4, "nothing is deleted when no write holds the rows");
        keep_one_write(&location, &table, 5).await.unwrap();
        assert_eq!(names().await, ["okWrite_0.parquet", "okWrite_1.parquet"]);
    });
}
