//! Determinism of the whole pipeline: the same input gives the same tables, bit for bit, and a
//! backfill for D on a dataset that has grown since gives what the run on D gave.

use crate::shop::{SEED, small_shop};
use std::collections::BTreeMap;

use crate::stores::{
    FAIL_FAST, Target, View, assert_same_tables, read_published_bytes, read_view, run_target, write_target_config,
};
use crate::support::{Outcome, TestProject, date, vipseg_run};

const D: &str = "2026-07-01";

/// Every published file's bytes, by table.
type Files = BTreeMap<String, Vec<Vec<u8>>>;

fn run(project: &TestProject, as_of: &str) -> (Outcome, View) {
    let (outcome, view, _) = run_with_files(project, as_of);
    (outcome, view)
}

/// A run, with what it published as rows and as files (read before a later run replaces them).
fn run_with_files(project: &TestProject, as_of: &str) -> (Outcome, View, Files) {
    let local = Target::local(project.path());
    let outcome = run_target(project.path(), "local", &local, as_of, FAIL_FAST, "");
    assert_eq!(outcome.code, Some(0), "run for {as_of}: {}", outcome.describe());
    let view = read_view(&local.location("out"), date(as_of)).expect("published");
    (outcome, view, read_published_bytes(&local.location("out"), date(as_of)))
}

#[test]
fn two_runs_on_the_same_input_publish_identical_tables() {
    let project = TestProject::new();
    small_shop(SEED).known_before(date(D)).write(&project, "part-0.parquet");
    let (first_outcome, first, first_files) = run_with_files(&project, D);
    let (second_outcome, second, second_files) = run_with_files(&project, D);
    assert_ne!(first.run_id, second.run_id);
    assert_eq!(second.seq, first.seq + 1);
    assert!(first.tables.values().all(|rows| !rows.is_empty()), "every table has rows: {:?}", first.tables.keys());
    // Bit for bit, floats included: a consumer diffing two nights, or a hash of the export,
    // must not see changes where the data did not change.
    assert_same_tables(&second, &first, "the second run on the same input");
    // Files, not only rows: a row order that moves (audience files are sorted by customer),
    // or a writer setting that depends on the run, changes the bytes a consumer hashes.
    assert!(first_files.keys().any(|name| name.starts_with("audiences/")), "audience files: {:?}", first_files.keys());
    assert_same_bytes(&second_files, &first_files, "the second run");
    for key in ["data_quality", "tests", "inputs"] {
        assert_eq!(first_outcome.json[key], second_outcome.json[key], "run results: {key}");
    }

    // Nor may the machine matter: other parallelism, one model at a time or four, same bits.
    let local = Target::local(project.path());
    for (partitions, models) in [(1, 1), (5, 4)] {
        let config = write_target_config(project.path(), "other", &local, FAIL_FAST);
        let text = std::fs::read_to_string(&config).unwrap();
        let engine = format!("target_partitions = {partitions}\nconcurrent_models = {models}");
        std::fs::write(&config, text.replace("target_partitions = 2", &engine)).unwrap();
        let outcome = Outcome::of(&mut vipseg_run(&config, D, &[]));
        assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
        let view = read_view(&local.location("out"), date(D)).unwrap();
        let machine = format!("target_partitions = {partitions}, concurrent_models = {models}");
        assert_same_tables(&view, &first, &machine);
        assert_same_bytes(&read_published_bytes(&local.location("out"), date(D)), &first_files, &machine);
        assert_eq!(outcome.json["tests"], first_outcome.json["tests"], "tests, in the same order");
    }
}

/// Asserts every published file has the same bytes; names the tables whose files differ.
fn assert_same_bytes(actual: &Files, expected: &Files, what: &str) {
    assert_eq!(actual.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>(), "{what}: the tables published");
    let differing: Vec<&String> = expected.keys().filter(|name| actual[*name] != expected[*name]).collect();
    assert!(differing.is_empty(), "{what}: other bytes in {differing:?}");
}

#[test]
fn a_backfill_on_a_grown_dataset_publishes_what_the_run_on_d_published() {
    let shop = small_shop(SEED);
    let project = TestProject::new();
    shop.known_before(date(D)).write(&project, "part-0.parquet");
    let (_, on_d) = run(&project, D);

    // Four months later the sources hold more: new orders and customers, returns and tickets
    // for old orders, reviews, referrals — appended as new files, as a lake grows.
    let growth = shop.known_since(date(D));
    for (source, rows) in &growth.0 {
        assert!(!rows.is_empty(), "the growth has {source} rows");
    }
    growth.write(&project, "part-1.parquet");
    let (_, later) = run(&project, "2026-11-01");
    assert_ne!(later.tables, on_d.tables, "a run after the growth sees it (or this test proves nothing)");

    let (backfill_outcome, backfill) = run(&project, D);
    assert_eq!(backfill.run_id, backfill_outcome.run_id());
    // The customers source is a snapshot, not a history: it has no time at which a customer
    // became known, so its input count in source_quality is what the file held when read (the
    // orders, returns, ... counts are point-in-time). Everything else must match.
    let (mut on_d, mut backfill) = (on_d, backfill);
    for view in [&mut on_d, &mut backfill] {
        if let Some(rows) = view.tables.get_mut("source_quality") {
            rows.retain(|row| row["source"] != "customers");
        }
    }
    assert_same_tables(&backfill, &on_d, "the backfill for D on the grown dataset");
}
