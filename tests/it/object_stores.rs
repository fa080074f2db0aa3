//! The whole pipeline with sources and output on real object-store servers on loopback — S3
//! (moto) and Azure Blob (Azurite) — publishes exactly the tables it publishes on `file://`.
//! The `vipseg` binary gets the servers only through each cloud's standard environment
//! variables, as in production.

use crate::servers;
use std::sync::Mutex;

use crate::shop::{SEED, small_shop};
use crate::stores::{FAIL_FAST, Target, View, assert_same_tables, block_on, read_view, run_target};
use crate::support::{TestProject, date};

const AS_OF: &str = "2026-07-01";

/// A project with the small shop as it was on `AS_OF`, and what the whole pipeline publishes
/// for it on local files (run once per test binary, shared by the tests here).
fn local_baseline() -> (TestProject, View) {
    static BASELINE: Mutex<Option<View>> = Mutex::new(None);
    let project = TestProject::new();
    small_shop(SEED).known_before(date(AS_OF)).write(&project, "part-0.parquet");
    let mut baseline = BASELINE.lock().unwrap();
    if baseline.is_none() {
        let local = Target::local(project.path());
        let outcome = run_target(project.path(), "local", &local, AS_OF, FAIL_FAST, "");
        assert_eq!(outcome.code, Some(0), "local run: {}", outcome.describe());
        let view = read_view(&local.location("out"), date(AS_OF)).expect("published on file://");
        assert!(view.tables.values().all(|rows| !rows.is_empty()), "the fixture gives every table rows");
        *baseline = Some(view);
    }
    (project, baseline.clone().unwrap())
}

/// Runs the project's sources on `target` and checks the published tables and the layout.
fn same_tables_as_local(target: Target) {
    let (project, expected) = local_baseline();
    target.upload_dir(&project.path().join("data"), "data");
    let outcome = run_target(project.path(), &target.label, &target, AS_OF, FAIL_FAST, "");
    assert_eq!(outcome.code, Some(0), "{} run: {}", target.label, outcome.describe());
    let view = read_view(&target.location("out"), date(AS_OF)).expect("published");
    assert_same_tables(&view, &expected, &format!("{} vs file://", target.label));
    assert_eq!(view.seq, 1);
    assert_eq!(view.run_id, outcome.run_id());

    // The layout of docs/contract.md §4: tables under <output>/<table>/as_of=<D>/, the commit
    // record, and nothing left in staging.
    let objects = target.list("out");
    for table in view.tables.keys() {
        assert!(
            objects
                .iter()
                .any(|o| o.starts_with(&format!("out/{table}/as_of={AS_OF}/part-")) && o.ends_with(".parquet")),
            "{table} is not under out/{table}/as_of={AS_OF}/: {objects:?}"
        );
    }
    assert!(objects.contains(&format!("out/_vipseg/commits/as_of={AS_OF}/0000000001.json")), "{objects:?}");
    assert!(!objects.iter().any(|o| o.starts_with("out/_staging/")), "staging left behind: {objects:?}");
    // The run results name the inputs by their URLs on the store.
    let inputs = outcome.json["inputs"].as_array().expect("inputs");
    assert!(inputs.iter().all(|i| i["url"].as_str().unwrap().starts_with(&target.base_url)), "{inputs:?}");
}

#[test]
fn s3_sources_and_output_publish_the_same_tables_as_local_files() {
    let moto = servers::moto();
    same_tables_as_local(Target::s3(moto, None));
}

#[test]
fn azure_emulator_sources_and_output_publish_the_same_tables_as_local_files() {
    let azurite = servers::azurite();
    same_tables_as_local(Target::azure_emulator(azurite));
}

#[test]
fn azure_account_key_and_endpoint_publish_the_same_tables_as_local_files() {
    // The way a real storage account is configured (name, key, endpoint), not the emulator switch.
    let azurite = servers::azurite();
    same_tables_as_local(Target::azure_account(azurite, servers::AZURITE_ACCOUNT, servers::AZURITE_KEY));
}

#[test]
fn s3_create_only_writes_are_enforced_by_the_server() {
    // The commit protocol rests on `PutMode::Create` (`If-None-Match: *`); moto must refuse the
    // second create of the same key, or the race tests would prove nothing.
    let moto = servers::moto();
    create_only_is_enforced(&Target::s3(moto, None));
}

#[test]
fn azure_create_only_writes_are_enforced_by_the_server() {
    let azurite = servers::azurite();
    create_only_is_enforced(&Target::azure_emulator(azurite));
}

fn create_only_is_enforced(target: &Target) {
    use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
    let path = target.path("commits/0000000001.json");
    let create = || PutOptions { mode: PutMode::Create, ..Default::default() };
    block_on(async {
        target.store.put_opts(&path, PutPayload::from("first"), create()).await.expect("first create");
        let second = target.store.put_opts(&path, PutPayload::from("second"), create()).await;
        assert!(matches!(second, Err(object_store::Error::AlreadyExists { .. })), "{}: {second:?}", target.label);
        let kept = target.store.get(&path).await.unwrap().bytes().await.unwrap();
        assert_eq!(&kept[..], b"first");
    });
}

#[test]
fn a_missing_bucket_fails_with_exit_2_naming_the_source() {
    let moto = servers::moto();
    let project = TestProject::new();
    let mut target = Target::s3(moto, None);
    target.base_url = "s3://no-such-bucket-vipseg/".into();
    let outcome = run_target(project.path(), "missing", &target, AS_OF, FAIL_FAST, "");
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    let message = outcome.json["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("no-such-bucket-vipseg"), "{message}");
}
