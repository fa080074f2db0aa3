//! Crash safety of the publish protocol: `vipseg run` killed with SIGKILL at random points,
//! runs racing for the same as_of, and two `Publisher`s begun on the same base.
//!
//! After every kill a reader resolving through the latest commit sees the previous complete
//! run or the killed run complete (if it got as far as its commit) — never a mix, never a
//! missing file — and the next run succeeds and cleans the leftovers out of the partitions.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use object_store::ObjectStoreExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use vipseg::error::{Error, PublishError};
use vipseg::run::publish::{Publisher, latest_commit};

use crate::servers;
use crate::shop::{SEED, small_shop};
use crate::stores::{
    FAIL_FAST, STORAGE_SELECTION, Target, View, assert_same_tables, block_on, read_view, write_target_config,
};
use crate::support::{Outcome, TestProject, date, files_below, json_batch, vipseg_run};

const AS_OF: &str = "2026-07-01";

fn as_of() -> NaiveDate {
    date(AS_OF)
}

/// Two inputs whose runs publish different tables (the second shop has other customers), so
/// a reader can tell which run it sees, and a mix of both shows.
struct TwoInputs {
    /// Holds the configs (and, on file://, the output) until the test ends.
    _project: TestProject,
    target: Target,
    /// Config files: sources from `a/data/` or `b/data/`, the output in `out/` for both.
    configs: [std::path::PathBuf; 2],
}

fn two_inputs(target_for: impl Fn(&TestProject) -> Target) -> TwoInputs {
    let project = TestProject::new();
    let target = target_for(&project);
    let mut configs = Vec::new();
    for (i, seed) in [SEED, SEED + 1].into_iter().enumerate() {
        let input = TestProject::new();
        small_shop(seed).known_before(as_of()).write(&input, "part-0.parquet");
        let name = ["a", "b"][i];
        target.upload_dir(&input.path().join("data"), &format!("{name}/data"));
        // Each config reads its own sources and publishes to the shared `out/`.
        let mut source_target = target.clone();
        source_target.base_url = target.url(&format!("{name}/"));
        let config = write_target_config(project.path(), name, &source_target, FAIL_FAST);
        let text = std::fs::read_to_string(&config).unwrap().replace(&source_target.url("out/"), &target.url("out/"));
        std::fs::write(&config, text).unwrap();
        configs.push(config);
    }
    TwoInputs { _project: project, target, configs: configs.try_into().unwrap() }
}

impl TwoInputs {
    fn spawn(&self, input: usize) -> Child {
        vipseg_run(&self.configs[input], AS_OF, &self.target.env)
            .args(["--select", STORAGE_SELECTION])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn vipseg")
    }

    fn run(&self, input: usize) -> Outcome {
        Outcome::from_output(self.spawn(input).wait_with_output().unwrap())
    }

    fn view(&self) -> Option<View> {
        read_view(&self.target.location("out"), as_of())
    }
}

/// Every file a commit names belongs to one run (its run id is in the file name): tables of
/// one commit never mix files of two runs, as all runs here publish the same tables.
fn assert_one_run(view: &View, location: &vipseg::io::store::Location) {
    let commit = block_on(latest_commit(location, as_of())).unwrap().unwrap();
    for (table, published) in &commit.tables {
        for file in &published.files {
            assert!(file.contains(&format!("part-{}-", view.run_id)), "{table}: {file} is not of run {}", view.run_id);
        }
    }
}

/// Where a kill landed.
#[derive(Debug, Default)]
struct Kills {
    /// The process was still running.
    running: usize,
    /// ... and had begun to publish (logged "publishing").
    publishing: usize,
}

/// Runs `input` to completion; returns the outcome, the run's duration and the duration of its
/// publish step (from the "publishing" log line to the exit).
fn timed_run(inputs: &TwoInputs, input: usize) -> (Outcome, Duration, Duration) {
    let started = Instant::now();
    let mut child = inputs.spawn(input);
    let stderr = child.stderr.take().unwrap();
    let mut publishing = None;
    let mut log = String::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if line.contains("publishing") {
            publishing = Some(Instant::now());
        }
        log.push_str(&line);
        log.push('\n');
    }
    let output = child.wait_with_output().unwrap();
    let mut outcome = Outcome::from_output(output);
    outcome.stderr = log;
    let publish_time = publishing.map_or(Duration::ZERO, |p| p.elapsed());
    (outcome, started.elapsed(), publish_time)
}

/// Starts a run and SIGKILLs it at a random point: uniformly over a whole run, or (half the
/// time) within the publish step, at a random time after it logs "publishing".
fn run_and_kill(
    inputs: &TwoInputs,
    input: usize,
    rng: &mut StdRng,
    run_time: Duration,
    publish_time: Duration,
    kills: &mut Kills,
) {
    let mut child = inputs.spawn(input);
    let stderr = child.stderr.take().unwrap();
    let (publishing_tx, publishing_rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("publishing") {
                let _ = publishing_tx.send(());
            }
        }
    });
    let publishing = if rng.random_bool(0.5) {
        std::thread::sleep(run_time.mul_f64(rng.random_range(0.0..1.0)));
        publishing_rx.try_recv().is_ok()
    } else {
        let seen = publishing_rx.recv_timeout(run_time * 5).is_ok();
        std::thread::sleep(publish_time.mul_f64(rng.random_range(0.0..1.0)));
        seen
    };
    let running = child.try_wait().unwrap().is_none();
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    reader.join().unwrap();
    kills.running += usize::from(running);
    kills.publishing += usize::from(running && publishing);
}

fn sigkill_at_random_points(inputs: TwoInputs, kills: usize, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    // Complete runs of both inputs: what a reader may see, and how long a run and its publish
    // step take.
    let mut expected = Vec::new();
    let (mut run_time, mut publish_time) = (Duration::ZERO, Duration::ZERO);
    for input in 0..2 {
        let (outcome, run, publish) = timed_run(&inputs, input);
        assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
        run_time = run_time.max(run);
        publish_time = publish_time.max(publish);
        expected.push(inputs.view().expect("published"));
    }
    assert_ne!(expected[0].tables, expected[1].tables, "the two inputs must publish different tables");
    let location = inputs.target.location("out");
    let mut previous = inputs.view().unwrap();
    let mut landed = Kills::default();
    for kill in 0..kills {
        let input = rng.random_range(0..2);
        run_and_kill(&inputs, input, &mut rng, run_time, publish_time, &mut landed);
        let view = inputs.view().expect("something stays published");
        if view.seq == previous.seq {
            assert_eq!(view, previous, "kill {kill}: the same commit reads differently");
        } else {
            assert_eq!(view.seq, previous.seq + 1, "kill {kill}: commits are consecutive");
            assert_same_tables(&view, &expected[input], &format!("kill {kill}: the new commit"));
        }
        assert_one_run(&view, &location);
        previous = view;
        // Every third kill, a run to completion must succeed despite the leftovers.
        if kill % 3 == 2 {
            let input = rng.random_range(0..2);
            let outcome = inputs.run(input);
            assert_eq!(outcome.code, Some(0), "the run after kill {kill}: {}", outcome.describe());
            previous = inputs.view().unwrap();
            assert_eq!(previous.run_id, outcome.run_id());
            assert_same_tables(&previous, &expected[input], "after a kill");
        }
    }
    // The kills really hit running processes, some of them while publishing.
    assert!(landed.running >= kills / 3 && landed.publishing >= 1, "{landed:?} of {kills} kills");

    // A last complete run: it succeeds, and afterwards every partition holds exactly the files
    // its commit names (the killed runs' copies are gone).
    let outcome = inputs.run(0);
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let commit = block_on(latest_commit(&location, as_of())).unwrap().unwrap();
    for (table, published) in &commit.tables {
        let mut named = published.files.clone();
        named.sort();
        let present = inputs.target.list(&format!("out/{table}/as_of={AS_OF}"));
        let present: Vec<String> = present.into_iter().map(|p| p.trim_start_matches("out/").to_string()).collect();
        assert_eq!(present, named, "{table}: leftovers in the partition");
    }
    eprintln!("{kills} kills: {landed:?}; run {run_time:?}, publish step {publish_time:?}; {} commits", commit.seq);
}

#[test]
fn sigkill_at_random_points_never_exposes_a_mix_and_the_next_run_succeeds() {
    sigkill_at_random_points(two_inputs(|p| Target::local(p.path())), 15, 0xc0ffee);
}

#[test]
fn sigkill_at_random_points_on_s3_never_exposes_a_mix() {
    let moto = servers::moto();
    sigkill_at_random_points(two_inputs(|_| Target::s3(moto, None)), 6, 0xbadcafe);
}

#[test]
fn racing_runs_on_the_same_as_of_never_both_publish_on_the_same_base() {
    let inputs = two_inputs(|p| Target::local(p.path()));
    let mut conflicts = 0;
    for round in 0..3 {
        let before = inputs.view().map_or(0, |v| v.seq);
        let children = [inputs.spawn(0), inputs.spawn(1)];
        let outcomes: Vec<Outcome> =
            children.into_iter().map(|c| Outcome::from_output(c.wait_with_output().unwrap())).collect();
        let winners: Vec<&Outcome> = outcomes.iter().filter(|o| o.code == Some(0)).collect();
        assert!(!winners.is_empty(), "round {round}: one run must win: {}", outcomes[0].describe());
        for loser in outcomes.iter().filter(|o| o.code != Some(0)) {
            assert_eq!(loser.code, Some(2), "{}", loser.describe());
            let message = loser.json["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains("another run"), "round {round}: {message}");
            assert!(loser.json["published"].is_null());
            conflicts += 1;
        }
        // Both succeeded only if one began after the other had published: then they hold
        // consecutive commits. Either way every commit holds one run's complete tables.
        let seqs: Vec<u64> = winners.iter().map(|o| o.json["published"]["commit_seq"].as_u64().unwrap()).collect();
        let expected_seqs: Vec<u64> = (before + 1..=before + winners.len() as u64).collect();
        let mut sorted = seqs.clone();
        sorted.sort();
        assert_eq!(sorted, expected_seqs, "round {round}");
        let view = inputs.view().unwrap();
        assert_one_run(&view, &inputs.target.location("out"));
    }
    eprintln!("{conflicts} of 3 races ended in a conflict");
}

/// A table's staging: one small Parquet file with a marker column.
fn stage(publisher: &Publisher, table: &str, marker: &str) {
    let schema = std::sync::Arc::new(arrow::datatypes::Schema::new(vec![arrow::datatypes::Field::new(
        "marker",
        arrow::datatypes::DataType::Utf8,
        false,
    )]));
    let batch = json_batch(&schema, &[json!({"marker": marker})]);
    let mut bytes = Vec::new();
    let mut writer = parquet::arrow::ArrowWriter::try_new(&mut bytes, schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let path = publisher.staging_dir(table).join("part-0.parquet");
    block_on(publisher.root.store.put(&path, bytes.into())).unwrap();
}

fn begin(dir: &Path, run_id: &str) -> Publisher {
    let ctx = datafusion::prelude::SessionContext::new();
    let root = vipseg::io::store::open(&ctx, dir.to_str().unwrap(), "output.url", &Default::default()).unwrap();
    block_on(Publisher::begin(root, as_of(), run_id.to_string())).unwrap()
}

#[test]
fn two_publishers_begun_on_the_same_base_cannot_both_publish() {
    let dir = tempfile::TempDir::new().unwrap();
    let out = dir.path().join("out");
    for round in 0..2 {
        // Both begin on the same base (nothing, then commit 1), both stage, both publish.
        let (a, b) = (format!("run-a{round}"), format!("run-b{round}"));
        let first = begin(&out, &a);
        let second = begin(&out, &b);
        stage(&first, "t", &a);
        stage(&second, "t", &b);
        let commit = block_on(first.publish(&[("t".into(), 1)], json!({}))).expect("the first publishes");
        assert_eq!(commit.seq, round + 1);
        let lost = block_on(second.publish(&[("t".into(), 1)], json!({})));
        match lost {
            Err(Error::Publish(PublishError::Conflict { other_run, .. })) => assert_eq!(other_run, a),
            other => panic!("the second must lose the race, got {other:?}"),
        }
        block_on(second.discard()).unwrap();
        // Readers see the winner's table; the loser's copies and staging are gone.
        let view = read_view(&Target::local(dir.path()).location("out"), as_of()).unwrap();
        assert_eq!(view.run_id, a);
        assert_eq!(view.tables["t"], vec![json!({"marker": a})]);
        let files = files_below(&out);
        assert!(!files.iter().any(|f| f.to_string_lossy().contains(&b)), "{files:?}");
    }
}

#[test]
fn a_commit_record_that_is_already_ours_counts_as_published() {
    // What a retry after a lost response finds: the record exists and names this run.
    let dir = tempfile::TempDir::new().unwrap();
    let out = dir.path().join("out");
    let publisher = begin(&out, "run-mine");
    stage(&publisher, "t", "mine");
    let mut record = json!({
        "seq": 1, "run_id": "run-mine", "as_of": AS_OF, "committed_at": "2026-07-01T00:00:00Z",
        "tables": {}, "run_results": {},
    });
    // The record as the lost write stored it: the same run, the files it was about to name.
    record["tables"]["t"] =
        json!({"files": [format!("t/as_of={AS_OF}/part-run-mine-0000.parquet")], "rows": 1, "run_id": "run-mine"});
    let commit_path = out.join(format!("_vipseg/commits/as_of={AS_OF}/0000000001.json"));
    std::fs::create_dir_all(commit_path.parent().unwrap()).unwrap();
    std::fs::write(&commit_path, record.to_string()).unwrap();
    let commit = block_on(publisher.publish(&[("t".into(), 1)], json!({}))).expect("recognised as our own");
    assert_eq!(commit.seq, 1);
    let view = read_view(&Target::local(dir.path()).location("out"), as_of()).unwrap();
    assert_eq!(view.tables["t"], vec![json!({"marker": "mine"})]);
}
