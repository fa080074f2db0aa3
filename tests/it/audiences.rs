//! Audience files: a tiny shop whose every file row is worked out by hand (consent, no record,
//! nothing to match on, a value that cannot be normalised, Gmail rules, the value-based file),
//! `[audiences]` choosing platforms and segments, and a generated shop: each platform's exact
//! header, hashes only in hashed columns, nobody without consent in any file (checked against
//! the source with hashes computed here), the counts adding up, and the adds and removes equal
//! to the set differences of two runs' files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::fixtures::{Rows, completed, line};
use crate::support::{GeneratedShop, Outcome, TestProject, assert_success, vipseg_command};

const D: &str = "2026-03-01";

/// The exact headers of each platform's file (docs/audiences.md has the sources).
const META: [&str; 13] =
    ["EMAIL", "PHONE", "FN", "LN", "CT", "ST", "ZIP", "COUNTRY", "DOBY", "DOBM", "DOBD", "GEN", "EXTERN_ID"];
const GOOGLE: [&str; 6] = ["Email", "Phone", "First Name", "Last Name", "Country", "Zip"];
const TIKTOK: [&str; 2] = ["Email_SHA256", "Phone_SHA256"];
const LINKEDIN: [&str; 7] = ["email", "firstname", "lastname", "jobtitle", "employeecompany", "country", "googleaid"];

fn header_of(platform: &str, value_based: bool) -> Vec<String> {
    let mut header: Vec<&str> = match platform {
        "meta" => META.to_vec(),
        "google" => GOOGLE.to_vec(),
        "tiktok" => TIKTOK.to_vec(),
        "linkedin" => LINKEDIN.to_vec(),
        other => panic!("unknown platform {other}"),
    };
    if value_based {
        header.push("LOOKALIKE_VALUE");
    }
    header.into_iter().map(str::to_string).collect()
}

/// Columns holding SHA-256 hashes.
fn hashed_columns(platform: &str) -> &'static [&'static str] {
    match platform {
        "meta" => &META[..12],
        "google" => &GOOGLE[..4],
        "tiktok" => &TIKTOK,
        _ => &LINKEDIN[..1],
    }
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A CSV file as header and rows (RFC 4180 quoting, as the files are written).
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines().map(split_csv_line);
    let header = lines.next().unwrap_or_else(|| panic!("{}: empty file", path.display()));
    (header, lines.collect())
}

fn split_csv_line(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted, mut chars) = (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

fn file_path(url: &Value) -> PathBuf {
    PathBuf::from(url.as_str().expect("a published URL").strip_prefix("file://").expect("a file:// URL"))
}

fn entry<'a>(results: &'a Value, audience: &str, platform: &str) -> &'a Value {
    let all = results["audiences"].as_array().expect("audiences in the run results");
    all.iter().find(|a| a["audience"] == audience && a["platform"] == platform).unwrap_or_else(|| {
        panic!("no {audience} file for {platform}: {:#}", results["audiences"]);
    })
}

/// Rows of a file as maps of column to value.
fn records(path: &Path) -> Vec<BTreeMap<String, String>> {
    let (header, rows) = read_csv(path);
    rows.into_iter().map(|row| header.iter().cloned().zip(row).collect()).collect()
}

// ---------------------------------------------------------------------------------------------
// A tiny shop, by hand.

fn person(id: &str, consent: bool, fields: Value) -> Value {
    let mut row = json!({"customer_id": id, "ad_consent": consent});
    row.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
    row
}

/// Six customers, all VIP (static tiers, every order 500): c1 valid everything; c2 no consent;
/// c3 no customer record; c4 consents but nothing can be matched; c5 a broken email but a phone;
/// c6 a Gmail address with dots and a tag, and no birth date.
fn tiny_shop() -> TestProject {
    let mut rows = Rows::default();
    for (i, c) in ["c1", "c2", "c3", "c4", "c5", "c6"].iter().enumerate() {
        for (j, day) in ["2025-09-10", "2025-12-10"].iter().enumerate() {
            let order = format!("o{i}{j}");
            rows.add("orders", vec![completed(&order, c, &format!("{day}T10:00:00Z"))]);
            rows.add("order_lines", vec![line(&order, "s1", "books", 1, 500.0, 500.0, 250.0)]);
        }
    }
    rows.add(
        "customers",
        vec![
            person(
                "c1",
                true,
                json!({"email": "  John_Smith@Example.COM ", "phone": "(650) 555-1212", "first_name": "Zoë",
                       "last_name": "O'Brien", "city": "San Francisco", "region": "California",
                       "postal_code": "94103-1234", "country": "United States", "birth_date": "1990-05-07", "gender": "F"}),
            ),
            person("c2", false, json!({"email": "no.consent@example.com", "phone": "+1 650 555 1213", "country": "US"})),
            person("c4", true, json!({"email": "not-an-email", "phone": "12", "country": "US"})),
            person("c5", true, json!({"email": "broken@", "phone": "+49 30 901820", "country": "DE"})),
            person("c6", true, json!({"email": "Cloudy.SanFrancisco+shopping@gmail.com", "country": "GB"})),
        ],
    );
    let project = TestProject::new()
        .with_param("vip_mode = \"static\"")
        .with_param("vip_rank_by = \"net_revenue_12m\"")
        .with_param("vip_tier_thresholds = { platinum = 5000, gold = 2000, silver = 500 }");
    rows.write(&project, "part-0.parquet");
    project
}

async fn run_with(project: &TestProject, audiences: &str) -> Value {
    let config = format!("{}\n{audiences}", project.config_text());
    let path = project.path().join("vipseg.toml");
    std::fs::write(&path, config).unwrap();
    let config = vipseg::config::Config::load(Some(&path), &Default::default()).expect("valid config");
    let request = vipseg::run::pipeline::RunRequest { config, as_of: crate::support::date(D), select: Vec::new() };
    let results = vipseg::run::pipeline::run(&request).await;
    assert_success(&results);
    results.to_json()
}

#[tokio::test]
async fn the_rows_of_a_tiny_shop_are_worked_out_by_hand() {
    let project = tiny_shop();
    // Six customers are too few for a CLV fit: the value-based file sends 12-month net revenue.
    let vip =
        "[audiences.vip]\nplatforms = [\"meta\", \"google\", \"tiktok\", \"linkedin\"]\nvalue = \"net_revenue_12m\"\n";
    let results = run_with(&project, vip).await;

    let meta = entry(&results, "vip", "meta");
    assert_eq!(meta["left_out"], json!({"no_consent": 2, "no_identifier": 1, "no_positive_value": 0}), "{meta:#}");
    assert_eq!(meta["empty_fields"]["email"], 1, "c5's broken email: {meta:#}");
    assert_eq!(meta["value"], "net_revenue_12m");
    let (header, _) = read_csv(&file_path(&meta["url"]));
    assert_eq!(header, header_of("meta", true));
    let rows = records(&file_path(&meta["url"]));
    let ids: Vec<&str> = rows.iter().map(|r| r["EXTERN_ID"].as_str()).collect();
    assert_eq!(
        ids,
        ["c1", "c5", "c6"],
        "sorted by customer; no c2 (no consent), c3 (no record), c4 (nothing to match)"
    );
    let c1 = &rows[0];
    assert_eq!(c1["EMAIL"], sha256_hex("john_smith@example.com"));
    assert_eq!(c1["PHONE"], sha256_hex("16505551212"), "Meta: country code, no +");
    assert_eq!(c1["FN"], sha256_hex("zoë"), "accents kept");
    assert_eq!(c1["LN"], sha256_hex("obrien"), "punctuation removed");
    assert_eq!(c1["CT"], sha256_hex("sanfrancisco"));
    assert_eq!(c1["ST"], sha256_hex("ca"));
    assert_eq!(c1["ZIP"], sha256_hex("94103"), "US ZIP+4 to 5 digits");
    assert_eq!(c1["COUNTRY"], sha256_hex("us"));
    assert_eq!((c1["DOBY"].as_str(), c1["DOBM"].as_str()), (sha256_hex("1990").as_str(), sha256_hex("05").as_str()));
    assert_eq!(c1["DOBD"], sha256_hex("07"));
    assert_eq!(c1["GEN"], sha256_hex("f"));
    let value: f64 = c1["LOOKALIKE_VALUE"].parse().expect("a number in clear");
    assert!(value > 0.0);
    let c5 = &rows[1];
    assert_eq!(c5["EMAIL"], "", "an email that cannot be normalised is left empty");
    assert_eq!(c5["PHONE"], sha256_hex("4930901820"));
    let c6 = &rows[2];
    assert_eq!(c6["EMAIL"], sha256_hex("cloudy.sanfrancisco+shopping@gmail.com"), "the Gmail rule is Google's only");
    assert_eq!((c6["DOBY"].as_str(), c6["PHONE"].as_str()), ("", ""));

    let google = records(&file_path(&entry(&results, "vip", "google")["url"]));
    let emails: Vec<&str> = google.iter().map(|r| r["Email"].as_str()).collect();
    assert_eq!(
        emails,
        [sha256_hex("john_smith@example.com"), String::new(), sha256_hex("cloudysanfrancisco@gmail.com")]
    );
    assert_eq!(google[0]["Phone"], sha256_hex("+16505551212"), "Google: E.164 with +");
    assert_eq!(
        (google[0]["Country"].as_str(), google[0]["Zip"].as_str()),
        ("US", "94103-1234"),
        "in clear; Google takes ZIP+4"
    );
    assert_eq!(google[2]["Country"], "GB");

    let linkedin = records(&file_path(&entry(&results, "vip", "linkedin")["url"]));
    assert_eq!(linkedin.len(), 2, "LinkedIn matches on the email: c5 has none usable");
    assert_eq!((linkedin[0]["firstname"].as_str(), linkedin[0]["lastname"].as_str()), ("Zoë", "O'Brien"));
    assert_eq!(linkedin[0]["country"], "US");
    let tiktok = entry(&results, "vip", "tiktok");
    assert_eq!(tiktok["rows"], 3);
    assert!(tiktok["warnings"][0].as_str().unwrap().contains("1,000"), "{tiktok:#}");
    assert_eq!(meta["adds"], 3, "the first date: every row is an add");
    assert_eq!(meta["removes"], 0);
}

#[tokio::test]
async fn audiences_choose_their_platforms_and_segments() {
    let project = tiny_shop();
    let audiences = "[audiences.vip]\nplatforms = [\"google\"]\n\
                     [audiences.near_vip]\nplatforms = []\n\
                     [audiences.regulars]\nsegment = \"one_time_buyer\"\nplatforms = [\"tiktok\", \"meta\"]\n";
    let results = run_with(&project, audiences).await;
    let files: BTreeSet<(String, String)> = results["audiences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["audience"].as_str().unwrap().to_string(), a["platform"].as_str().unwrap().to_string()))
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("lapsed_vip", "google"),
        ("lapsed_vip", "meta"),
        ("lookalike_top", "google"),
        ("lookalike_top", "meta"),
        ("regulars", "meta"),
        ("regulars", "tiktok"),
        ("vip", "google"),
    ]
    .into_iter()
    .map(|(a, p)| (a.to_string(), p.to_string()))
    .collect();
    assert_eq!(files, expected);
    // No value configured: Meta's file is the plain customer list.
    let regulars = entry(&results, "regulars", "meta");
    assert_eq!((regulars["rows"].as_u64(), regulars["value"].is_null()), (Some(0), true), "{regulars:#}");
    assert_eq!(read_csv(&file_path(&regulars["url"])).0, header_of("meta", false));

    let bad = format!("{}\n[audiences.x]\nsegment = \"whales\"\nplatforms = [\"meta\"]\n", project.config_text());
    std::fs::write(project.path().join("bad.toml"), bad).unwrap();
    let outcome =
        Outcome::of(vipseg_command().args(["run", "--as-of", D, "--config"]).arg(project.path().join("bad.toml")));
    assert_eq!(outcome.code, Some(2), "{}", outcome.describe());
    assert!(outcome.stderr.contains("audiences.x.segment"), "{}", outcome.describe());
}

// ---------------------------------------------------------------------------------------------
// A generated shop.

const D1: &str = "2026-02-01";
const D2: &str = "2026-03-01";

fn generated_shop(customers: &str) -> GeneratedShop {
    GeneratedShop::new(&["--customers", customers, "--seed", "5", "--end", D2])
}

fn run_generated(shop: &GeneratedShop, as_of: &str) -> Value {
    shop.run(as_of).json
}

/// customer_id -> (ad_consent, email) from the generated source, read here.
fn source_customers(data: &Path) -> BTreeMap<String, (bool, Option<String>)> {
    let mut customers = BTreeMap::new();
    for file in crate::support::files_below(&data.join("customers")) {
        for row in crate::support::read_parquet_rows(&file) {
            let id = row["customer_id"].as_str().unwrap().to_string();
            customers.insert(id, (row["ad_consent"] == true, row["email"].as_str().map(str::to_string)));
        }
    }
    customers
}

/// Every way an address may be hashed by a platform: trimmed and lowercased, and with Google's
/// Gmail rule.
fn email_hashes(email: &str) -> Vec<String> {
    let plain = email.trim().to_lowercase();
    let mut forms = vec![sha256_hex(&plain)];
    if let Some((local, domain)) = plain.split_once('@') {
        let local = local.split('+').next().unwrap_or_default().replace('.', "");
        forms.push(sha256_hex(&format!("{local}@{domain}")));
    }
    forms
}

#[tokio::test]
async fn generated_files_keep_to_each_format_and_to_consent() {
    let shop = generated_shop("1500");
    let results = run_generated(&shop, D2);
    let customers = source_customers(&shop.data);
    let without_consent: BTreeSet<String> = customers
        .values()
        .filter(|(consent, _)| !consent)
        .filter_map(|(_, email)| email.as_deref())
        .flat_map(email_hashes)
        .collect();
    let files = results["audiences"].as_array().unwrap();
    assert_eq!(files.len(), 9, "the default audiences: {:#}", results["audiences"]);
    let mut rows_seen = 0;
    for file in files {
        let (audience, platform) = (file["audience"].as_str().unwrap(), file["platform"].as_str().unwrap());
        let (header, rows) = read_csv(&file_path(&file["url"]));
        assert_eq!(header, header_of(platform, !file["value"].is_null()), "{audience} {platform}");
        assert_eq!(rows.len() as u64, file["rows"].as_u64().unwrap(), "{audience} {platform}");
        rows_seen += rows.len();
        let records = records(&file_path(&file["url"]));
        for record in &records {
            for column in hashed_columns(platform) {
                let value = &record[*column];
                let is_hash =
                    value.len() == 64 && value.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
                assert!(value.is_empty() || is_hash, "{audience} {platform} {column}: {value:?} is not a SHA-256");
            }
            let email_column = hashed_columns(platform)[0];
            assert!(
                !without_consent.contains(&record[email_column]),
                "{audience} {platform}: a customer without consent"
            );
            if platform == "meta" {
                let id = &record["EXTERN_ID"];
                assert_eq!(customers.get(id).map(|c| c.0), Some(true), "{audience} meta: {id} has no consent");
                if let Some(value) = record.get("LOOKALIKE_VALUE") {
                    assert!(value.parse::<f64>().unwrap() > 0.0, "{audience}: value {value}");
                }
            }
        }
    }
    assert!(rows_seen > 300, "too few rows to show anything: {rows_seen}");
    // The vip file for Meta: every VIP is in it or left out with a reason.
    let vip = entry(&results, "vip", "meta");
    let segments = crate::support::read_published(&shop.out_dir(), "customer_segments", D2).await;
    let vips = segments.iter().filter(|r| r["segment"] == "vip").count() as u64;
    let left_out: u64 = vip["left_out"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(vip["rows"].as_u64().unwrap() + left_out, vips, "{vip:#}");
    assert!(vip["left_out"]["no_consent"].as_u64().unwrap() > 0, "the generator leaves some without consent");
}

#[test]
fn adds_and_removes_are_the_set_differences_of_two_runs() {
    let shop = generated_shop("1200");
    let first = run_generated(&shop, D1);
    let second = run_generated(&shop, D2);
    let (mut adds_seen, mut removes_seen) = (0, 0);
    for file in second["audiences"].as_array().unwrap() {
        let (audience, platform) = (file["audience"].as_str().unwrap(), file["platform"].as_str().unwrap());
        let before = entry(&first, audience, platform);
        assert_eq!(file["previous_as_of"], D1, "{audience} {platform}");
        let keys = |url: &Value| -> BTreeSet<Vec<String>> {
            let (header, rows) = read_csv(&file_path(url));
            let value = header.iter().position(|h| h == "LOOKALIKE_VALUE");
            rows.into_iter()
                .map(|mut row| {
                    if let Some(i) = value {
                        row.remove(i);
                    }
                    row
                })
                .collect()
        };
        let (now, then) = (keys(&file["url"]), keys(&before["url"]));
        let adds: BTreeSet<_> = now.difference(&then).cloned().collect();
        let removes: BTreeSet<_> = then.difference(&now).cloned().collect();
        let listed = |url: &Value| -> BTreeSet<Vec<String>> { read_csv(&file_path(url)).1.into_iter().collect() };
        assert_eq!(listed(&file["adds_url"]), adds, "{audience} {platform} adds");
        assert_eq!(listed(&file["removes_url"]), removes, "{audience} {platform} removes");
        assert_eq!(
            (file["adds"].as_u64(), file["removes"].as_u64()),
            (Some(adds.len() as u64), Some(removes.len() as u64))
        );
        adds_seen += adds.len();
        removes_seen += removes.len();
    }
    assert!(adds_seen > 0 && removes_seen > 0, "a month apart, some members come and go: {adds_seen} {removes_seen}");
}
