//! Flaky networks between vipseg and S3: a fault proxy (fault_proxy.rs) sits between the
//! `vipseg` binary and moto and injects 503 SlowDown answers, connection resets, responses
//! lost after the server applied the request, responses cut off mid-body, and slow answers —
//! on reads and on writes.
//!
//! - Under a 10% fault rate runs complete and publish exactly what a fault-free run publishes.
//! - Under permanent faults a run fails with exit 2, in seconds, and publishes nothing.
//! - A create-only commit whose response was lost is recognised as the run's own write.

use std::time::{Duration, Instant};

use crate::fault_proxy::{Fault, FaultProxy, Plan, Request};
use crate::servers;
use crate::shop::{SEED, small_shop};
use crate::stores::{FAIL_FAST, PATIENT, STORAGE_SELECTION, Target, View, assert_same_tables, read_view, run_target};
use crate::support::{Outcome, TestProject, date};

const AS_OF: &str = "2026-07-01";

fn as_of() -> chrono::NaiveDate {
    date(AS_OF)
}

/// Every kind of fault, with slow answers of up to 0.3 s (the request timeout is 2 s).
const ALL_FAULTS: [Fault; 6] = [
    Fault::ServerError,
    Fault::Reset,
    Fault::LoseResponse,
    Fault::LoseResponseClose,
    Fault::CutResponse,
    Fault::Slow(Duration::from_millis(300)),
];

/// 10% random faults of every kind, plus one of each on the few writes of a run, so writes
/// are hit every time: a staging write and a copy applied but unanswered, a delete unanswered,
/// the commit throttled — and one source read slower than the request timeout.
fn flaky_plan() -> Plan {
    let under = |dir: &'static str| move |r: &Request| r.target.contains(dir);
    Plan::random(0.10, &ALL_FAULTS)
        .rule(Fault::LoseResponse, 1, move |r| r.method == "PUT" && under("/out/_staging/")(r))
        .rule(Fault::LoseResponseClose, 1, |r| {
            r.method == "PUT"
                && r.target.contains("/out/")
                && !r.target.contains("/_staging/")
                && !r.target.contains("/_vipseg/")
        })
        .rule(Fault::LoseResponse, 1, |r| r.method == "POST" && r.target.contains("?delete"))
        .rule(Fault::ServerError, 1, is_commit_put)
        .rule(Fault::Slow(Duration::from_millis(2500)), 1, move |r| r.method == "GET" && under("/data/orders/")(r))
}

/// The shop on local files and in a fresh bucket, with the proxy in front of moto, and what a
/// fault-free run publishes (on local files).
struct Setup {
    project: TestProject,
    /// The bucket as vipseg sees it: through the proxy.
    s3: Target,
    proxy: FaultProxy,
    expected: View,
}

fn setup(plan: Plan, seed: u64) -> Setup {
    let moto = servers::moto();
    let project = TestProject::new();
    small_shop(SEED).known_before(as_of()).write(&project, "part-0.parquet");
    let local = Target::local(project.path());
    let clean = run_target(project.path(), "local", &local, AS_OF, FAIL_FAST, STORAGE_SELECTION);
    assert_eq!(clean.code, Some(0), "fault-free local run: {}", clean.describe());
    let expected = read_view(&local.location("out"), as_of()).expect("published");
    let proxy = FaultProxy::start(moto.addr, Plan::none(), seed);
    let s3 = Target::s3(moto, Some(&proxy.endpoint()));
    s3.upload_dir(&project.path().join("data"), "data");
    proxy.set_plan(plan);
    Setup { project, s3, proxy, expected }
}

impl Setup {
    fn run(&self, name: &str, engine: &str) -> Outcome {
        run_target(self.project.path(), name, &self.s3, AS_OF, engine, STORAGE_SELECTION)
    }

    fn view(&self) -> Option<View> {
        read_view(&self.s3.location("out"), as_of())
    }
}

#[test]
fn runs_under_a_10_percent_fault_rate_publish_what_a_fault_free_run_publishes() {
    let setup = setup(Plan::none(), 0x5eed_0001);
    let mut run_ids = Vec::new();
    for round in 1..=2 {
        setup.proxy.set_plan(flaky_plan());
        let started = Instant::now();
        let outcome = setup.run(&format!("flaky-{round}"), PATIENT);
        assert_eq!(
            outcome.code,
            Some(0),
            "round {round} under faults ({}): {}",
            setup.proxy.summary(),
            outcome.describe()
        );
        setup.proxy.set_plan(Plan::none());
        let view = setup.view().expect("published");
        assert_eq!(view.run_id, outcome.run_id(), "round {round}: the latest commit is this run's");
        assert_eq!(view.seq, round, "round {round}: one commit per run");
        assert_same_tables(&view, &setup.expected, &format!("round {round} under faults"));
        eprintln!("round {round}: {:.1}s, {}", started.elapsed().as_secs_f64(), setup.proxy.summary());
        run_ids.push(outcome.run_id());
    }
    // The runs really met every kind of fault, on reads and on writes.
    let records = setup.proxy.records();
    for kind in ALL_FAULTS {
        assert!(setup.proxy.count(kind) > 0, "no {kind:?} injected: {}", setup.proxy.summary());
    }
    let faulted_writes = records.iter().filter(|r| r.fault.is_some() && r.request.is_write()).count();
    assert!(faulted_writes >= 8, "{}", setup.proxy.summary());
    assert!(records.iter().any(|r| r.fault.is_some() && !r.request.is_write()), "{}", setup.proxy.summary());
    // Re-runs replaced the partition: only the last run's files remain, no staging.
    let objects = setup.s3.list("out");
    let last = run_ids.last().unwrap();
    for object in objects.iter().filter(|o| o.ends_with(".parquet")) {
        assert!(object.contains(last.as_str()), "a file of an earlier or failed attempt is left: {object}");
    }
    assert!(!objects.iter().any(|o| o.starts_with("out/_staging/")), "staging left behind: {objects:?}");
}

fn is_commit_put(request: &Request) -> bool {
    request.method == "PUT" && request.target.contains("/_vipseg/commits/")
}

#[test]
fn a_commit_whose_response_was_lost_is_recognised_as_the_runs_own_write() {
    // The commit is a create-only PUT: the server stores it, the response never arrives (the
    // connection is reset, or closed), the client tries again and hears "already exists". The
    // run must read the record back, see its own run id, and succeed — not report a conflict.
    for fault in [Fault::LoseResponse, Fault::LoseResponseClose] {
        let setup = setup(Plan::none().rule(fault, 1, is_commit_put), 7);
        let outcome = setup.run("lost-commit", FAIL_FAST);
        assert_eq!(outcome.code, Some(0), "{fault:?}: {}", outcome.describe());
        let commit_puts: Vec<_> = setup.proxy.records().into_iter().filter(|r| is_commit_put(&r.request)).collect();
        assert_eq!(commit_puts[0].fault, Some(fault), "the commit's response was lost");
        assert!(commit_puts.len() >= 2, "{fault:?}: the commit was sent again: {commit_puts:?}");
        let view = setup.view().expect("published");
        assert_eq!((view.seq, view.run_id.as_str()), (1, outcome.run_id().as_str()), "{fault:?}");
        assert_eq!(outcome.json["published"]["commit_seq"], 1, "{fault:?}");
        let commits: Vec<String> =
            setup.s3.list("out/_vipseg/commits").into_iter().filter(|o| o.ends_with(".json")).collect();
        assert_eq!(commits.len(), 1, "{fault:?}: exactly one commit: {commits:?}");
        assert_same_tables(&view, &setup.expected, &format!("{fault:?}"));
    }
}

/// Runs under a permanent fault and checks: exit 2 within `limit`, nothing new published.
fn fails_and_publishes_nothing(setup: &Setup, what: &str, before: Option<&View>) {
    let started = Instant::now();
    let outcome = setup.run(what, FAIL_FAST);
    let elapsed = started.elapsed();
    assert_eq!(outcome.code, Some(2), "{what}: {}", outcome.describe());
    assert_eq!(outcome.json["status"], "error", "{what}");
    assert!(outcome.json["published"].is_null(), "{what}: {}", outcome.json["published"]);
    assert!(elapsed < Duration::from_secs(30), "{what}: failing took {elapsed:?}");
    setup.proxy.set_plan(Plan::none());
    assert_eq!(setup.view().as_ref(), before, "{what}: the published state changed");
    eprintln!("{what}: failed in {:.1}s ({})", elapsed.as_secs_f64(), setup.proxy.summary());
}

#[test]
fn under_permanent_faults_a_run_fails_with_exit_2_and_publishes_nothing() {
    let cases: [(&str, Plan); 4] = [
        ("every request answers 503", Plan::random(1.0, &[Fault::ServerError])),
        ("every connection is reset", Plan::random(1.0, &[Fault::Reset])),
        ("every write answers 503", Plan::none().rule(Fault::ServerError, usize::MAX, |r: &Request| r.is_write())),
        (
            "every response of a write is lost",
            Plan::none().rule(Fault::LoseResponse, usize::MAX, |r: &Request| r.is_write()),
        ),
    ];
    for (what, plan) in cases {
        let setup = setup(plan, 3);
        fails_and_publishes_nothing(&setup, what, None);
    }
}

#[test]
fn a_run_that_cannot_commit_leaves_the_previous_run_published() {
    let setup = setup(Plan::none(), 5);
    let first = setup.run("first", FAIL_FAST);
    assert_eq!(first.code, Some(0), "{}", first.describe());
    let before = setup.view().expect("published");
    for (what, fault) in
        [("the commit answers 503", Fault::ServerError), ("the commit's connection resets", Fault::Reset)]
    {
        setup.proxy.set_plan(Plan::none().rule(fault, usize::MAX, is_commit_put));
        fails_and_publishes_nothing(&setup, what, Some(&before));
    }
    // The store heals: the next run publishes on top of the first.
    let next = setup.run("healed", FAIL_FAST);
    assert_eq!(next.code, Some(0), "{}", next.describe());
    let view = setup.view().expect("published");
    assert_eq!(view.seq, 2);
    assert_same_tables(&view, &before, "after healing");
}
