//! Credentials never appear in logs, run results, errors or written files. Secrets are planted
//! in each cloud's standard variables (an AWS secret key and session token, an Azure account key
//! and SAS token, a GCS service-account private key); runs succeed and fail in several ways at
//! verbose log levels; stdout, stderr and every file written (locally and in the bucket or
//! container) are searched for every planted secret, raw and URL-encoded.

use crate::fault_proxy::{Fault, FaultProxy, Plan};
use crate::servers::{self, SECRET_ACCOUNT, SECRET_ACCOUNT_KEY};
use crate::shop::{SEED, small_shop};
use crate::stores::{FAIL_FAST, STORAGE_SELECTION, Target, run_target};
use crate::support::{Outcome, TestProject, date, files_below};

const AS_OF: &str = "2026-07-01";

const AWS_SECRET: &str = "vipsegPlantedAwsSecret/Qx7+z9Kd";
const AWS_TOKEN: &str = "vipsegPlantedSessionToken0451";
const AZURE_SECRET_TEXT: &str = "vipseg-planted-azure-secret-1f9c2e77d4";
const SAS_SIGNATURE: &str = "vipsegPlantedSasSignature";
const GCS_PRIVATE_KEY: &str = "vipsegPlantedGcsPrivateKey";

fn secrets() -> Vec<String> {
    let mut secrets: Vec<String> =
        [AWS_SECRET, AWS_TOKEN, SECRET_ACCOUNT_KEY, AZURE_SECRET_TEXT, SAS_SIGNATURE, GCS_PRIVATE_KEY]
            .iter()
            .map(|s| s.to_string())
            .collect();
    // As they would appear in a URL or a header dump.
    let encoded: Vec<String> =
        secrets.iter().map(|s| url::form_urlencoded::byte_serialize(s.as_bytes()).collect()).collect();
    secrets.extend(encoded);
    secrets.sort();
    secrets.dedup();
    secrets
}

/// Searches the run's stdout and stderr, every file of the project folder and every object of
/// the target for every planted secret.
fn assert_no_secret(what: &str, outcome: &Outcome, project: &TestProject, target: Option<&Target>) {
    let mut places: Vec<(String, Vec<u8>)> = vec![
        ("stdout".into(), outcome.stdout.clone().into_bytes()),
        ("stderr".into(), outcome.stderr.clone().into_bytes()),
    ];
    for file in files_below(project.path()) {
        places.push((file.display().to_string(), std::fs::read(&file).unwrap()));
    }
    if let Some(target) = target {
        places
            .extend(target.contents("").into_iter().map(|(name, bytes)| (format!("{}{name}", target.base_url), bytes)));
    }
    for secret in secrets() {
        for (place, bytes) in &places {
            let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!found, "{what}: the planted secret {secret:?} appears in {place}");
        }
    }
    assert!(outcome.stderr.len() > 200, "{what}: the logs were written (or this test proves nothing)");
}

fn with_env(target: &Target, extra: &[(&str, &str)]) -> Target {
    let mut target = target.clone();
    for (key, value) in extra {
        target.env.retain(|(k, _)| k != key);
        target.env.push((key.to_string(), value.to_string()));
    }
    target
}

/// Runs and checks the exit code, then scans for secrets.
fn check(what: &str, project: &TestProject, target: &Target, expect: i32, log: &str) {
    let target = with_env(target, &[("VIPSEG_LOG", log)]);
    let outcome = run_target(project.path(), "secrets", &target, AS_OF, FAIL_FAST, STORAGE_SELECTION);
    assert_eq!(outcome.code, Some(expect), "{what}: {}", outcome.describe());
    if expect != 0 {
        assert!(
            outcome.json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: an error is reported"
        );
    }
    assert_no_secret(what, &outcome, project, Some(&target));
}

fn project_with_shop() -> TestProject {
    let project = TestProject::new();
    small_shop(SEED).known_before(date(AS_OF)).write(&project, "part-0.parquet");
    project
}

#[test]
fn aws_credentials_never_appear_in_logs_results_errors_or_files() {
    let moto = servers::moto();
    let project = project_with_shop();
    let planted = [("AWS_SECRET_ACCESS_KEY", AWS_SECRET), ("AWS_SESSION_TOKEN", AWS_TOKEN)];
    let s3 = with_env(&Target::s3(moto, None), &planted);
    s3.upload_dir(&project.path().join("data"), "data");
    check("S3, a successful run, debug logs", &project, &s3, 0, "debug");

    let mut missing = s3.clone();
    missing.base_url = "s3://vipseg-no-such-bucket/".into();
    check("S3, a missing bucket, trace logs", &project, &missing, 2, "trace");

    let proxy = FaultProxy::start(moto.addr, Plan::random(1.0, &[Fault::ServerError]), 1);
    let throttled = with_env(&s3, &[("AWS_ENDPOINT_URL", &proxy.endpoint())]);
    check("S3, every request answers 503, trace logs", &project, &throttled, 2, "trace");

    let refused = with_env(&s3, &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")]);
    check("S3, the endpoint refuses connections, debug logs", &project, &refused, 2, "debug");
}

#[test]
fn azure_keys_and_sas_tokens_never_appear_in_logs_results_errors_or_files() {
    let azurite = servers::azurite();
    let project = project_with_shop();
    // An account whose key is the planted secret: the run succeeds with it.
    let azure = Target::azure_account(azurite, SECRET_ACCOUNT, SECRET_ACCOUNT_KEY);
    azure.upload_dir(&project.path().join("data"), "data");
    check("Azure, a successful run with the account key, debug logs", &project, &azure, 0, "debug");

    let mut missing = azure.clone();
    missing.base_url = "az://vipseg-no-such-container/".into();
    check("Azure, a missing container, trace logs", &project, &missing, 2, "trace");

    // The planted key used for another account: the server rejects every signature.
    let wrong_key = with_env(
        &azure,
        &[
            ("AZURE_STORAGE_ACCOUNT_NAME", servers::AZURITE_ACCOUNT),
            ("AZURE_STORAGE_ENDPOINT", &format!("{}/{}", azurite.endpoint(), servers::AZURITE_ACCOUNT)),
        ],
    );
    check("Azure, a key the server rejects, trace logs", &project, &wrong_key, 2, "trace");

    // A SAS token travels in every request's URL: errors must not print those URLs.
    let mut sas = with_env(&azure, &[]);
    sas.env.retain(|(k, _)| k != "AZURE_STORAGE_ACCOUNT_KEY");
    sas.env.push((
        "AZURE_STORAGE_SAS_KEY".into(),
        format!("sv=2021-08-06&ss=b&srt=sco&sp=rl&se=2030-01-01T00:00:00Z&sig={SAS_SIGNATURE}%3D"),
    ));
    check("Azure, a SAS token the server rejects, trace logs", &project, &sas, 2, "trace");
}

#[test]
fn a_gcs_service_account_key_never_appears_in_errors() {
    // No GCS server runs here: the run fails while signing with the (planted, invalid) key.
    let project = project_with_shop();
    let key = serde_json::json!({
        "type": "service_account",
        "project_id": "vipseg-test",
        "private_key_id": "0123",
        "private_key": format!("-----BEGIN PRIVATE KEY-----\n{GCS_PRIVATE_KEY}\n-----END PRIVATE KEY-----\n"),
        "client_email": "vipseg@vipseg-test.iam.gserviceaccount.com",
    });
    let local = Target::local(project.path());
    let gcs = Target {
        label: "gs".into(),
        base_url: "gs://vipseg-test-bucket/".into(),
        env: vec![("GOOGLE_SERVICE_ACCOUNT_KEY".into(), key.to_string())],
        ..local
    };
    let target = with_env(&gcs, &[("VIPSEG_LOG", "trace")]);
    let outcome = run_target(project.path(), "secrets", &target, AS_OF, FAIL_FAST, STORAGE_SELECTION);
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    assert_no_secret("GCS, an invalid service-account key", &outcome, &project, None);
}

#[test]
fn the_secret_scan_finds_a_planted_secret() {
    // The scanner itself: a secret in stderr, URL-encoded in stdout, or in a written file is found.
    let project = TestProject::new();
    let outcome = |stdout: &str, stderr: &str| Outcome {
        code: Some(0),
        stdout: stdout.into(),
        stderr: format!("{stderr}{}", "x".repeat(300)),
        json: serde_json::Value::Null,
    };
    let leaks = [outcome("", &format!("key={AWS_SECRET}")), outcome("vipsegPlantedAwsSecret%2FQx7%2Bz9Kd", "")];
    for leak in &leaks {
        let found = std::panic::catch_unwind(|| assert_no_secret("leak", leak, &project, None));
        assert!(found.is_err(), "missed a leak in {leak:?}");
    }
    std::fs::write(project.path().join("log.txt"), AZURE_SECRET_TEXT).unwrap();
    let found = std::panic::catch_unwind(|| assert_no_secret("leak", &outcome("", ""), &project, None));
    assert!(found.is_err(), "missed a leak in a written file");
}
