//! The bad input corpus (issue 5, item 5; docs/contract.md §2 "Bad input": it never crashes the
//! job and is never dropped silently). Each case is one test and ends in one of two ways:
//!
//! - a **clear error**: the `vipseg` binary exits 2 with `{"status": "error"}` on stdout, the
//!   message names the source, the file and (for a schema or value fault) the column, nothing is
//!   published, and nothing panicked;
//! - **rejected rows**: the run succeeds (`max_rejected_rate = 1.0` here, so the gate does not
//!   stop it), `rejected_rows` holds each bad row with its reason, and for every source the run
//!   results balance: input rows = accepted + rejected.
//!
//! Files of odd but valid types (naive or nanosecond timestamps, decimals, int32, dictionary
//! strings) are accepted; stray non-Parquet files are ignored. As-of date D = 2026-03-01.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, AsArray, BinaryArray, BooleanArray, DictionaryArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray, TimestampSecondArray, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef, TimeUnit};
use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use vipseg::run::results::RunResults;

use crate::fixtures::{Rows, SOURCES, book_line, completed, customer, order, referral, ret, review, ticket};
use crate::support::{Outcome, TestProject, assert_success, by_customer, canonical_schema, json_batch, write_parquet};

const D: &str = "2026-03-01";

// ---------------------------------------------------------------------------------------------
// The shop.

/// A small valid shop with a row in every source: c1 (orders o1, o2; a return, a ticket,
/// a review, a referral of c2) and c2 (order o3).
fn valid_shop() -> Rows {
    let mut shop = Rows::default();
    shop.add(
        "orders",
        vec![
            completed("o1", "c1", "2025-11-10T10:00:00Z"),
            completed("o2", "c1", "2026-01-10T10:00:00Z"),
            completed("o3", "c2", "2026-02-01T10:00:00Z"),
        ],
    );
    shop.add(
        "order_lines",
        vec![book_line("o1", "s1", 2, 10.0), book_line("o2", "s2", 1, 30.0), book_line("o3", "s1", 1, 10.0)],
    );
    shop.add("returns", vec![ret("o1", "s1", 1, 10.0, "2025-11-20T10:00:00Z")]);
    shop.add("support_tickets", vec![ticket("c1", "2025-12-01T10:00:00Z", None)]);
    shop.add("customers", vec![customer("c1"), customer("c2")]);
    shop.add("referrals", vec![referral("c1", "c2", "2026-01-15T10:00:00Z")]);
    shop.add("reviews", vec![review("c1", "2026-01-20T10:00:00Z", Some(5))]);
    shop
}

/// The project of `shop`, with the data-quality gate open so that rejected rows get published.
fn project(shop: &Rows) -> TestProject {
    shop.project().with_param("max_rejected_rate = 1.0")
}

// ---------------------------------------------------------------------------------------------
// Files of other types than the canonical ones.

fn data_file(project: &TestProject, source: &str, file: &str) -> PathBuf {
    project.path().join("data").join(source).join(file)
}

/// The canonical schema of `source` with some columns retyped (`Some`) or left out (`None`).
fn schema_with(source: &str, changes: &[(&str, Option<DataType>)]) -> SchemaRef {
    let canonical = canonical_schema(source);
    let fields: Vec<Field> = canonical
        .fields()
        .iter()
        .filter_map(|f| match changes.iter().find(|(name, _)| name == f.name()) {
            Some((_, Some(kind))) => Some(Field::new(f.name(), kind.clone(), true)),
            Some((_, None)) => None,
            None => Some(f.as_ref().clone()),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// Writes JSON rows as a file of `source` whose schema differs from the canonical one.
fn write_typed(project: &TestProject, source: &str, file: &str, changes: &[(&str, Option<DataType>)], rows: &[Value]) {
    let batch = json_batch(&schema_with(source, changes), rows);
    write_parquet(&data_file(project, source, file), &batch);
}

/// Writes the given columns (arrays built by hand) as a file of `source`.
fn write_columns(project: &TestProject, source: &str, file: &str, columns: Vec<(&str, ArrayRef)>) {
    let fields: Vec<Field> = columns.iter().map(|(name, a)| Field::new(*name, a.data_type().clone(), true)).collect();
    let arrays: Vec<ArrayRef> = columns.into_iter().map(|(_, a)| a).collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap();
    write_parquet(&data_file(project, source, file), &batch);
}

fn strings(values: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

fn write_raw(project: &TestProject, source: &str, file: &str, bytes: &[u8]) {
    let path = data_file(project, source, file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Running and checking.

/// `vipseg run` for D through the binary, with text logs.
fn run_binary(project: &TestProject) -> Outcome {
    let outcome = Outcome::of(project.run_command(D).env("VIPSEG_LOG_FORMAT", "text"));
    outcome.expect_json();
    outcome
}

/// The binary exits 2 with an input error whose message names `source`, the file `file` and
/// every one of `mentions` (column names, ...); nothing panicked and nothing was published.
fn assert_input_error(project: &TestProject, source: &str, file: &str, mentions: &[&str]) -> String {
    let outcome = run_binary(project);
    assert_eq!(outcome.code, Some(2), "{:#}\n{}", outcome.json, outcome.stderr);
    assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
    assert_eq!(outcome.json["status"], "error", "{:#}", outcome.json);
    assert_eq!(outcome.json["error"]["kind"], "input", "{:#}", outcome.json);
    let message = outcome.json["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains(&format!("source `{source}`")), "names the source: {message}");
    assert!(message.contains(&format!("/data/{source}/{file}")), "names the file {file}: {message}");
    for mention in mentions {
        assert!(message.contains(mention), "mentions {mention}: {message}");
    }
    assert!(outcome.json["published"].is_null(), "{:#}", outcome.json);
    assert!(!project.out_dir().join("_vipseg").exists(), "nothing is committed");
    message
}

/// (source, reason, row_key) of the published rejected_rows.
type Rejected = Vec<(String, String, String)>;

/// Runs in-process; the run must succeed and balance for every source.
async fn run_ok(project: &TestProject) -> (RunResults, Rejected) {
    let results = project.run(D).await;
    assert_success(&results);
    assert_balanced(&results);
    let rejected = project
        .published("rejected_rows", D)
        .await
        .iter()
        .map(|r| (str_of(&r["source"]), str_of(&r["reason"]), str_of(&r["row_key"])))
        .collect();
    (results, rejected)
}

fn str_of(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}")).to_string()
}

/// Every source is reported, and input rows = accepted + rejected for each.
fn assert_balanced(results: &RunResults) {
    let reported: Vec<&str> = results.data_quality.iter().map(|q| q.source.as_str()).collect();
    let mut sources = SOURCES;
    sources.sort_unstable();
    assert_eq!(reported, sources, "every source is in the run results, by name");
    for q in &results.data_quality {
        assert_eq!(q.input_rows, q.accepted_rows + q.rejected_rows, "{q:?}");
    }
}

/// (input, accepted, rejected) rows of a source.
fn quality(results: &RunResults, source: &str) -> (u64, u64, u64) {
    let q = results.data_quality.iter().find(|q| q.source == source).unwrap();
    (q.input_rows, q.accepted_rows, q.rejected_rows)
}

/// The rejected rows of `source`, as (reason, row_key), sorted.
fn rejected_of(rejected: &Rejected, source: &str) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> =
        rejected.iter().filter(|r| r.0 == source).map(|r| (r.1.clone(), r.2.clone())).collect();
    rows.sort();
    rows
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    rows.sort();
    rows
}

async fn customer_values(project: &TestProject) -> BTreeMap<String, Value> {
    by_customer(&project.published("customer_value", D).await)
}

/// Every number in every row of every published table is finite (JSON has no NaN or infinity;
/// the Arrow JSON writer would have failed, or written null, for one).
async fn assert_outputs_finite(project: &TestProject) {
    for table in ["customer_value", "vip_status", "customer_segments", "segment_summary", "pareto", "core_categories"] {
        for row in project.published(table, D).await {
            for (column, value) in row.as_object().unwrap() {
                if let Some(number) = value.as_f64() {
                    assert!(number.is_finite() && number.abs() < 1e30, "{table}.{column} = {number}: {row}");
                }
            }
        }
    }
}

// =============================================================================================
// Schema faults: exit 2, naming file and column.

#[test]
fn a_missing_column_is_an_error_naming_file_and_column() {
    let project = project(&valid_shop());
    std::fs::remove_file(data_file(&project, "order_lines", "part-0.parquet")).unwrap();
    write_typed(&project, "order_lines", "part-0.parquet", &[("unit_cost", None)], &[book_line("o1", "s1", 2, 10.0)]);
    let message = assert_input_error(&project, "order_lines", "part-0.parquet", &["missing column `unit_cost`"]);
    assert!(message.contains("the file has: order_id, sku, category, quantity, unit_price, list_price"), "{message}");
}

#[test]
fn a_column_name_in_another_case_is_a_missing_column() {
    let project = project(&valid_shop());
    write_columns(
        &project,
        "orders",
        "part-0.parquet",
        vec![
            ("Order_ID", strings(&["o1"])),
            ("customer_id", strings(&["c1"])),
            ("order_ts", Arc::new(TimestampMicrosecondArray::from(vec![1_760_000_000_000_000]).with_timezone("UTC"))),
            ("status", strings(&["completed"])),
        ],
    );
    assert_input_error(&project, "orders", "part-0.parquet", &["missing column `order_id`", "Order_ID"]);
}

#[test]
fn quantity_stored_as_string_is_an_error_naming_file_and_column() {
    let project = project(&valid_shop());
    let mut row = book_line("o1", "s1", 2, 10.0);
    row["quantity"] = json!("2");
    write_typed(&project, "order_lines", "part-0.parquet", &[("quantity", Some(DataType::Utf8))], &[row]);
    assert_input_error(&project, "order_lines", "part-0.parquet", &["column `quantity` has type Utf8", "an integer"]);
}

#[test]
fn order_ts_stored_as_string_is_an_error_naming_file_and_column() {
    let project = project(&valid_shop());
    write_typed(
        &project,
        "orders",
        "part-0.parquet",
        &[("order_ts", Some(DataType::Utf8))],
        &[completed("o1", "c1", "2025-11-10T10:00:00Z")],
    );
    assert_input_error(&project, "orders", "part-0.parquet", &["column `order_ts` has type Utf8", "a timestamp"]);
}

/// Consent is what allows exporting a customer to an ad platform: a customer file without it is
/// an error, never "no consent" or "consent" silently.
#[test]
fn a_customer_file_without_the_consent_column_is_an_error() {
    let project = project(&valid_shop());
    write_typed(&project, "customers", "part-0.parquet", &[("ad_consent", None)], &[customer("c1")]);
    assert_input_error(&project, "customers", "part-0.parquet", &["missing column `ad_consent`"]);
}

#[test]
fn consent_stored_as_text_is_an_error_naming_file_and_column() {
    let project = project(&valid_shop());
    let mut row = customer("c1");
    row["ad_consent"] = json!("yes");
    write_typed(&project, "customers", "part-0.parquet", &[("ad_consent", Some(DataType::Utf8))], &[row]);
    assert_input_error(&project, "customers", "part-0.parquet", &["column `ad_consent` has type Utf8", "a boolean"]);
}

#[test]
fn a_binary_column_for_a_string_is_an_error_naming_file_and_column() {
    let project = project(&valid_shop());
    write_columns(
        &project,
        "customers",
        "part-0.parquet",
        vec![
            ("customer_id", strings(&["c1"])),
            ("email", Arc::new(BinaryArray::from(vec![&b"c1@example.com"[..]]))),
            ("country", strings(&["DE"])),
            ("ad_consent", Arc::new(BooleanArray::from(vec![true]))),
        ],
    );
    assert_input_error(&project, "customers", "part-0.parquet", &["column `email` has type Binary", "a string"]);
}

/// Text between Parquet's magic bytes: the "footer length" read from it exceeds the file. (The
/// parquet crate's footer decoder used to panic on this: see `check_footer` in src/io/sources.rs.)
#[test]
fn a_corrupt_parquet_file_is_an_error_naming_the_file() {
    let project = project(&valid_shop());
    write_raw(&project, "orders", "part-1.parquet", b"PAR1 this is not really a parquet file, just text PAR1");
    assert_input_error(&project, "orders", "part-1.parquet", &["corrupt Parquet file", "footer claims"]);
}

/// A CSV export saved under a .parquet name.
#[test]
fn a_csv_file_named_parquet_is_an_error_naming_the_file() {
    let project = project(&valid_shop());
    write_raw(
        &project,
        "customers",
        "part-1.parquet",
        b"customer_id,email,country,ad_consent\nc3,c3@example.com,DE,true\n",
    );
    assert_input_error(&project, "customers", "part-1.parquet", &["not a Parquet file"]);
}

/// A well-framed file whose footer (the schema and row groups) is garbage.
#[test]
fn a_parquet_file_with_a_garbled_footer_is_an_error_naming_the_file() {
    let project = project(&valid_shop());
    let mut bytes = std::fs::read(data_file(&project, "order_lines", "part-0.parquet")).unwrap();
    let n = bytes.len();
    let footer = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
    bytes[n - 8 - footer..n - 8].iter_mut().for_each(|b| *b = 0xA5);
    write_raw(&project, "order_lines", "part-1.parquet", &bytes);
    assert_input_error(&project, "order_lines", "part-1.parquet", &["not a readable Parquet file"]);
}

#[test]
fn a_truncated_parquet_file_is_an_error_naming_the_file() {
    let project = project(&valid_shop());
    let path = data_file(&project, "order_lines", "part-0.parquet");
    let bytes = std::fs::read(&path).unwrap();
    write_raw(&project, "order_lines", "part-1.parquet", &bytes[..bytes.len() / 2]);
    assert_input_error(&project, "order_lines", "part-1.parquet", &["truncated"]);
}

#[test]
fn a_zero_byte_file_is_an_error_naming_the_file() {
    let project = project(&valid_shop());
    write_raw(&project, "returns", "part-1.parquet", b"");
    assert_input_error(&project, "returns", "part-1.parquet", &["empty (0-byte) file"]);
}

/// Of several files, the message names the one at fault.
#[test]
fn one_bad_file_among_good_ones_is_the_one_named() {
    let project = project(&valid_shop());
    project.source_file("orders", "part-1.parquet", &[completed("o9", "c1", "2026-01-12T10:00:00Z")]);
    write_typed(
        &project,
        "orders",
        "part-2.parquet",
        &[("status", None)],
        &[completed("o8", "c1", "2026-01-11T10:00:00Z")],
    );
    let message = assert_input_error(&project, "orders", "part-2.parquet", &["missing column `status`"]);
    assert!(!message.contains("part-0") && !message.contains("part-1"), "{message}");
}

// --- values the engine cannot read: found after the failing model, named by file and column ---

/// Arrow strings are UTF-8 by definition, so a row with invalid bytes cannot even be read to be
/// rejected: the run stops, naming the file and the column. (Parquet lets a writer store any
/// bytes in a UTF8-annotated column; the low-level writer below does that.)
#[test]
fn invalid_utf8_in_a_string_column_is_an_error_naming_file_and_column() {
    use parquet::data_type::{BoolType, ByteArray, ByteArrayType};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    let project = project(&valid_shop());
    let message = "message schema {
        optional binary customer_id (UTF8);
        optional binary email (UTF8);
        optional binary country (UTF8);
        optional boolean ad_consent;
    }";
    let schema = Arc::new(parse_message_type(message).unwrap());
    let file = std::fs::File::create(data_file(&project, "customers", "part-1.parquet")).unwrap();
    let mut writer = SerializedFileWriter::new(file, schema, Arc::new(WriterProperties::builder().build())).unwrap();
    let mut group = writer.next_row_group().unwrap();
    for bytes in [&b"c3"[..], b"c3\xff\xfe@example.com", b"DE"] {
        let mut column = group.next_column().unwrap().unwrap();
        column.typed::<ByteArrayType>().write_batch(&[ByteArray::from(bytes.to_vec())], Some(&[1]), None).unwrap();
        column.close().unwrap();
    }
    let mut column = group.next_column().unwrap().unwrap();
    column.typed::<BoolType>().write_batch(&[true], Some(&[1]), None).unwrap();
    column.close().unwrap();
    group.close().unwrap();
    writer.close().unwrap();

    assert_input_error(&project, "customers", "part-1.parquet", &["column `email`", "UTF-8"]);
}

/// Any integer width is accepted, but an unsigned value beyond Int64 cannot be represented.
#[test]
fn an_unsigned_quantity_beyond_int64_is_an_error_naming_file_and_column() {
    let project = project(&valid_shop());
    write_columns(
        &project,
        "order_lines",
        "part-1.parquet",
        vec![
            ("order_id", strings(&["o2", "o3"])),
            ("sku", strings(&["s7", "s7"])),
            ("category", strings(&["books", "books"])),
            ("quantity", Arc::new(UInt64Array::from(vec![1, u64::MAX]))),
            ("unit_price", Arc::new(Float64Array::from(vec![1.0, 1.0]))),
            ("list_price", Arc::new(Float64Array::from(vec![1.0, 1.0]))),
            ("unit_cost", Arc::new(Float64Array::from(vec![0.5, 0.5]))),
        ],
    );
    assert_input_error(&project, "order_lines", "part-1.parquet", &["column `quantity`", "18446744073709551615"]);
}

/// A timestamp in seconds far beyond the year 294,000 has no microsecond representation.
#[test]
fn a_timestamp_beyond_the_microsecond_range_is_an_error_naming_file_and_column() {
    let project = project(&valid_shop());
    write_columns(
        &project,
        "reviews",
        "part-1.parquet",
        vec![
            ("customer_id", strings(&["c2"])),
            ("review_ts", Arc::new(TimestampSecondArray::from(vec![i64::MAX / 10]))),
            ("rating", Arc::new(Int64Array::from(vec![4]))),
        ],
    );
    assert_input_error(&project, "reviews", "part-1.parquet", &["column `review_ts`", "Timestamp"]);
}

// =============================================================================================
// Empty sources and stray files.

/// The orders folder holds only a Spark `_SUCCESS` marker.
#[test]
fn a_required_source_without_parquet_files_is_an_error_naming_the_source() {
    let project = project(&valid_shop());
    std::fs::remove_file(data_file(&project, "orders", "part-0.parquet")).unwrap();
    write_raw(&project, "orders", "_SUCCESS", b"");
    let outcome = run_binary(&project);
    assert_eq!(outcome.code, Some(2), "{:#}", outcome.json);
    let message = outcome.json["error"]["message"].as_str().unwrap();
    assert!(message.contains("source `orders`") && message.contains("/data/orders/"), "{message}");
    assert!(message.contains("no .parquet files"), "{message}");
    assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
}

/// A required source whose files hold no row is an error: an empty orders export is an upstream
/// failure far more often than a shop without orders, and publishing from it would empty every
/// segment and audience.
#[test]
fn a_required_source_with_only_zero_row_files_is_an_error() {
    let project = project(&valid_shop());
    project.source("customers", &[]).source_file("customers", "part-1.parquet", &[]);
    let outcome = run_binary(&project);
    assert_eq!(outcome.code, Some(2), "{:#}", outcome.json);
    assert_eq!(outcome.json["error"]["kind"], "input", "{:#}", outcome.json);
    let message = outcome.json["error"]["message"].as_str().unwrap();
    assert!(message.contains("source `customers`") && message.contains("/data/customers/"), "{message}");
    assert!(message.contains("no rows in its 2 file(s)"), "{message}");
    assert!(!project.out_dir().join("_vipseg").exists());
}

/// An optional source may be empty: a configured folder without files, or a file with no row.
#[tokio::test]
async fn an_empty_optional_source_is_fine() {
    let mut shop = valid_shop();
    shop.remove("returns");
    shop.remove("reviews");
    let project = project(&shop);
    project.source("returns", &[]); // a file with the schema and no row
    std::fs::create_dir_all(project.path().join("data/reviews")).unwrap(); // an empty folder
    let (results, rejected) = run_ok(&project).await;
    assert!(project.config_text().contains("[sources.reviews]"), "the empty folder is configured");
    assert_eq!(quality(&results, "returns"), (0, 0, 0));
    assert_eq!(quality(&results, "reviews"), (0, 0, 0));
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(customer_values(&project).await["c1"]["returns_count_12m"], 0);
}

/// Spark's `_SUCCESS`, Hadoop's `.crc` checksums and an editor's backup are not Parquet and are
/// not read (the source reads `*.parquet` only), even when their content is garbage.
#[tokio::test]
async fn stray_non_parquet_files_in_a_source_folder_are_ignored() {
    let project = project(&valid_shop());
    write_raw(&project, "orders", "_SUCCESS", b"");
    write_raw(&project, "orders", ".part-0.parquet.crc", b"crc\x00\x01\x02");
    write_raw(&project, "orders", "part-0.parquet.crc", b"\xff\xfe not parquet");
    write_raw(&project, "order_lines", "README.txt", b"exported nightly");
    write_raw(&project, "order_lines", "part-0.parquet~", b"");
    let (results, rejected) = run_ok(&project).await;
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(quality(&results, "orders"), (3, 3, 0));
    let files: Vec<&str> = results.inputs.iter().flat_map(|s| s.files.iter().map(|f| f.path.as_str())).collect();
    assert!(files.iter().all(|f| f.ends_with(".parquet")), "{files:?}");
}

// =============================================================================================
// Odd but valid types: accepted.

/// A timestamp without time zone is UTC: 23:30 the day before D is inside the run, 00:30 on D
/// is a later fact.
#[tokio::test]
async fn timestamps_without_time_zone_are_read_as_utc() {
    let mut shop = valid_shop();
    shop.remove("orders");
    let project = project(&shop);
    let naive = Some(DataType::Timestamp(TimeUnit::Microsecond, None));
    write_typed(
        &project,
        "orders",
        "part-0.parquet",
        &[("order_ts", naive)],
        &[
            completed("o1", "c1", "2025-11-10T10:00:00"),
            completed("o2", "c1", "2026-02-28T23:30:00"),
            completed("o3", "c2", "2026-03-01T00:30:00"),
        ],
    );
    let (results, rejected) = run_ok(&project).await;
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(quality(&results, "orders"), (2, 2, 0), "o3 is a later fact");
    let values = customer_values(&project).await;
    assert_eq!(values["c1"]["last_order_ts"], "2026-02-28T23:30:00Z");
    assert!(!values.contains_key("c2"));
}

#[tokio::test]
async fn timestamps_in_nanoseconds_and_milliseconds_are_accepted() {
    let mut shop = valid_shop();
    shop.remove("orders");
    shop.remove("returns");
    let project = project(&shop);
    let nanos = Some(DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())));
    let millis = Some(DataType::Timestamp(TimeUnit::Millisecond, None));
    write_typed(&project, "orders", "part-0.parquet", &[("order_ts", nanos)], &valid_shop().0["orders"]);
    write_typed(
        &project,
        "returns",
        "part-0.parquet",
        &[("return_ts", millis)],
        &[ret("o1", "s1", 1, 10.0, "2025-11-20T10:00:00.123")],
    );
    let (results, rejected) = run_ok(&project).await;
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(quality(&results, "orders"), (3, 3, 0));
    assert_eq!(quality(&results, "returns"), (1, 1, 0));
    let values = customer_values(&project).await;
    assert_eq!(values["c1"]["first_order_ts"], "2025-11-10T10:00:00Z");
    assert_eq!(values["c1"]["returns_count_12m"], 1);
}

#[tokio::test]
async fn decimal_money_columns_are_accepted() {
    let mut shop = valid_shop();
    shop.remove("order_lines");
    shop.remove("returns");
    let project = project(&shop);
    let money = Some(DataType::Decimal128(12, 2));
    write_typed(
        &project,
        "order_lines",
        "part-0.parquet",
        &[("unit_price", money.clone()), ("list_price", money.clone()), ("unit_cost", money.clone())],
        &[
            json!({"order_id": "o1", "sku": "s1", "category": "books", "quantity": 2,
                   "unit_price": "10.25", "list_price": "10.25", "unit_cost": "4.10"}),
            json!({"order_id": "o2", "sku": "s2", "category": "books", "quantity": 1,
                   "unit_price": "30.00", "list_price": "30.00", "unit_cost": "15.00"}),
            json!({"order_id": "o3", "sku": "s1", "category": "books", "quantity": 1,
                   "unit_price": "10.00", "list_price": "10.00", "unit_cost": "5.00"}),
        ],
    );
    write_typed(
        &project,
        "returns",
        "part-0.parquet",
        &[("refund_amount", Some(DataType::Decimal256(40, 4)))],
        &[
            json!({"order_id": "o1", "sku": "s1", "quantity": 1, "refund_amount": "10.2500", "return_ts": "2025-11-20T10:00:00Z"}),
        ],
    );
    let (_, rejected) = run_ok(&project).await;
    assert!(rejected.is_empty(), "{rejected:?}");
    let c1 = &customer_values(&project).await["c1"];
    let net = c1["net_revenue_12m"].as_f64().unwrap();
    assert!((net - (2.0 * 10.25 + 30.0 - 10.25)).abs() < 1e-9, "{c1}");
}

#[tokio::test]
async fn int32_quantities_and_int16_ratings_are_accepted() {
    let mut shop = valid_shop();
    shop.remove("order_lines");
    shop.remove("reviews");
    let project = project(&shop);
    write_typed(
        &project,
        "order_lines",
        "part-0.parquet",
        &[("quantity", Some(DataType::Int32))],
        &valid_shop().0["order_lines"],
    );
    write_typed(
        &project,
        "reviews",
        "part-0.parquet",
        &[("rating", Some(DataType::Int16))],
        &valid_shop().0["reviews"],
    );
    let (results, rejected) = run_ok(&project).await;
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(quality(&results, "order_lines"), (3, 3, 0));
    assert_eq!(quality(&results, "reviews"), (1, 1, 0));
    assert_eq!(customer_values(&project).await["c1"]["net_revenue_12m"], 2.0 * 10.0 + 30.0 - 10.0);
}

/// pandas categoricals and pyarrow write dictionary-encoded strings; extra columns are ignored
/// and optional columns (channel) may be missing.
#[tokio::test]
async fn dictionary_strings_extra_columns_and_missing_optional_columns_are_accepted() {
    let mut shop = valid_shop();
    shop.remove("orders");
    let project = project(&shop);
    let status: DictionaryArray<Int32Type> = vec!["completed", "completed", "completed"].into_iter().collect();
    write_columns(
        &project,
        "orders",
        "part-0.parquet",
        vec![
            ("order_id", strings(&["o1", "o2", "o3"])),
            ("customer_id", Arc::new(vec!["c1", "c1", "c2"].into_iter().collect::<DictionaryArray<Int32Type>>())),
            (
                "order_ts",
                Arc::new(
                    TimestampMicrosecondArray::from(vec![
                        1_762_768_800_000_000,
                        1_768_039_200_000_000,
                        1_769_940_000_000_000,
                    ])
                    .with_timezone("UTC"),
                ),
            ),
            ("status", Arc::new(status)),
            ("warehouse", strings(&["north", "south", "north"])),
        ],
    );
    let (results, rejected) = run_ok(&project).await;
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(quality(&results, "orders"), (3, 3, 0));
    assert_eq!(customer_values(&project).await["c1"]["orders_12m"], 2);
}

// =============================================================================================
// Bad rows: rejected with a reason, counted.

#[tokio::test]
async fn null_and_blank_keys_of_orders_are_rejected() {
    let mut shop = valid_shop();
    shop.add(
        "orders",
        vec![
            json!({"order_id": null, "customer_id": "c1", "order_ts": "2026-01-02T10:00:00Z", "status": "completed"}),
            json!({"order_id": "o4", "customer_id": null, "order_ts": "2026-01-02T10:00:00Z", "status": "completed"}),
            completed("  ", "c1", "2026-01-03T10:00:00Z"),
            completed("o5", "", "2026-01-03T10:00:00Z"),
        ],
    );
    let (results, rejected) = run_ok(&project(&shop)).await;
    assert_eq!(
        rejected_of(&rejected, "orders"),
        pairs(&[
            ("null_key", "order_id=NULL"),
            ("null_key", "order_id=o4"),
            ("null_key", "order_id=  "),
            ("null_key", "order_id=o5")
        ])
    );
    assert_eq!(quality(&results, "orders"), (7, 3, 4));
}

#[tokio::test]
async fn null_keys_of_order_lines_are_rejected() {
    let mut shop = valid_shop();
    let mut no_sku = book_line("o1", "x", 1, 5.0);
    no_sku["sku"] = Value::Null;
    let mut no_order = book_line("x", "s5", 1, 5.0);
    no_order["order_id"] = Value::Null;
    shop.add("order_lines", vec![no_sku, no_order, book_line("o2", " ", 1, 5.0)]);
    let (results, rejected) = run_ok(&project(&shop)).await;
    assert_eq!(
        rejected_of(&rejected, "order_lines"),
        pairs(&[
            ("null_key", "order_id=o1, sku=NULL"),
            ("null_key", "order_id=NULL, sku=s5"),
            ("null_key", "order_id=o2, sku= "),
        ])
    );
    assert_eq!(quality(&results, "order_lines"), (6, 3, 3));
}

#[tokio::test]
async fn null_keys_of_returns_are_rejected() {
    let mut shop = valid_shop();
    let mut no_sku = ret("o1", "x", 1, 1.0, "2025-11-21T10:00:00Z");
    no_sku["sku"] = Value::Null;
    let mut no_order = ret("x", "s1", 1, 1.0, "2025-11-22T10:00:00Z");
    no_order["order_id"] = Value::Null;
    shop.add("returns", vec![no_sku, no_order]);
    let (results, rejected) = run_ok(&project(&shop)).await;
    assert_eq!(
        rejected_of(&rejected, "returns"),
        pairs(&[
            ("null_key", "order_id=NULL, sku=s1, return_ts=2025-11-22T10:00:00Z"),
            ("null_key", "order_id=o1, sku=NULL, return_ts=2025-11-21T10:00:00Z"),
        ])
    );
    assert_eq!(quality(&results, "returns"), (3, 1, 2));
}

#[tokio::test]
async fn null_keys_of_support_tickets_are_rejected() {
    let mut shop = valid_shop();
    shop.add(
        "support_tickets",
        vec![
            json!({"customer_id": null, "ticket_ts": "2025-12-02T10:00:00Z", "cost": 4.0}),
            ticket("", "2025-12-03T10:00:00Z", None),
        ],
    );
    let (results, rejected) = run_ok(&project(&shop)).await;
    assert_eq!(
        rejected_of(&rejected, "support_tickets"),
        pairs(&[
            ("null_key", "customer_id=, ticket_ts=2025-12-03T10:00:00Z"),
            ("null_key", "customer_id=NULL, ticket_ts=2025-12-02T10:00:00Z"),
        ])
    );
    assert_eq!(quality(&results, "support_tickets"), (3, 1, 2));
}

#[tokio::test]
async fn null_keys_of_customers_are_rejected() {
    let mut shop = valid_shop();
    shop.add(
        "customers",
        vec![
            json!({"customer_id": null, "email": "x@example.com", "country": "DE", "ad_consent": true}),
            json!({"customer_id": "   ", "email": "y@example.com", "country": "DE", "ad_consent": true}),
        ],
    );
    let (results, rejected) = run_ok(&project(&shop)).await;
    assert_eq!(
        rejected_of(&rejected, "customers"),
        pairs(&[("null_key", "customer_id=NULL"), ("null_key", "customer_id=   ")])
    );
    assert_eq!(quality(&results, "customers"), (4, 2, 2));
}

#[tokio::test]
async fn null_keys_of_referrals_are_rejected() {
    let mut shop = valid_shop();
    shop.add(
        "referrals",
        vec![
            json!({"referrer_id": null, "referred_id": "c3", "referral_ts": "2026-01-16T10:00:00Z"}),
            json!({"referrer_id": "c1", "referred_id": null, "referral_ts": "2026-01-16T10:00:00Z"}),
        ],
    );
    let (results, rejected) = run_ok(&project(&shop)).await;
    assert_eq!(
        rejected_of(&rejected, "referrals"),
        pairs(&[("null_key", "referrer_id=NULL, referred_id=c3"), ("null_key", "referrer_id=c1, referred_id=NULL")])
    );
    assert_eq!(quality(&results, "referrals"), (3, 1, 2));
}

#[tokio::test]
async fn null_keys_of_reviews_are_rejected() {
    let mut shop = valid_shop();
    shop.add("reviews", vec![json!({"customer_id": null, "review_ts": "2026-01-21T10:00:00Z", "rating": 4})]);
    let (results, rejected) = run_ok(&project(&shop)).await;
    assert_eq!(
        rejected_of(&rejected, "reviews"),
        pairs(&[("null_key", "customer_id=NULL, review_ts=2026-01-21T10:00:00Z")])
    );
    assert_eq!(quality(&results, "reviews"), (2, 1, 1));
}

/// A line needs its order, category, quantity and prices; an order its time and status.
#[tokio::test]
async fn null_values_are_rejected() {
    let mut shop = valid_shop();
    let mut no_price = book_line("o2", "s8", 1, 5.0);
    no_price["unit_price"] = Value::Null;
    shop.add("order_lines", vec![no_price]);
    shop.add(
        "orders",
        vec![json!({"order_id": "o6", "customer_id": "c1", "order_ts": "2026-01-05T10:00:00Z", "status": null})],
    );
    shop.add("returns", vec![json!({"order_id": "o2", "sku": "s2", "quantity": 1, "refund_amount": null, "return_ts": "2026-01-20T10:00:00Z"})]);
    let (results, rejected) = run_ok(&project(&shop)).await;
    assert_eq!(rejected_of(&rejected, "order_lines"), pairs(&[("null_value", "order_id=o2, sku=s8")]));
    assert_eq!(rejected_of(&rejected, "orders"), pairs(&[("null_value", "order_id=o6")]));
    assert_eq!(
        rejected_of(&rejected, "returns"),
        pairs(&[("null_value", "order_id=o2, sku=s2, return_ts=2026-01-20T10:00:00Z")])
    );
    assert_eq!(quality(&results, "order_lines"), (4, 3, 1));
}

#[tokio::test]
async fn negative_and_zero_quantities_are_rejected() {
    let mut shop = valid_shop();
    shop.add("order_lines", vec![book_line("o1", "s3", -2, 10.0), book_line("o1", "s4", 0, 10.0)]);
    shop.add(
        "returns",
        vec![ret("o2", "s2", 0, 0.0, "2026-01-20T10:00:00Z"), ret("o2", "s2", -1, 5.0, "2026-01-21T10:00:00Z")],
    );
    let (results, rejected) = run_ok(&project(&shop)).await;
    assert_eq!(
        rejected_of(&rejected, "order_lines"),
        pairs(&[("non_positive_quantity", "order_id=o1, sku=s3"), ("non_positive_quantity", "order_id=o1, sku=s4")])
    );
    assert_eq!(
        rejected_of(&rejected, "returns"),
        pairs(&[
            ("non_positive_quantity", "order_id=o2, sku=s2, return_ts=2026-01-20T10:00:00Z"),
            ("non_positive_quantity", "order_id=o2, sku=s2, return_ts=2026-01-21T10:00:00Z"),
        ])
    );
    assert_eq!(quality(&results, "order_lines"), (5, 3, 2));
    assert_eq!(quality(&results, "returns"), (3, 1, 2));
}

/// Prices and costs below zero are rejected; a free item (price 0) is fine.
#[tokio::test]
async fn negative_prices_are_rejected() {
    let mut shop = valid_shop();
    let mut negative_list = book_line("o1", "s4", 1, 10.0);
    negative_list["list_price"] = json!(-10.0);
    let mut negative_cost = book_line("o1", "s5", 1, 10.0);
    negative_cost["unit_cost"] = json!(-0.01);
    shop.add(
        "order_lines",
        vec![book_line("o1", "s3", 1, -10.0), negative_list, negative_cost, book_line("o2", "s6", 1, 0.0)],
    );
    let (results, rejected) = run_ok(&project(&shop)).await;
    assert_eq!(
        rejected_of(&rejected, "order_lines"),
        pairs(&[
            ("negative_price", "order_id=o1, sku=s3"),
            ("negative_price", "order_id=o1, sku=s4"),
            ("negative_price", "order_id=o1, sku=s5"),
        ])
    );
    assert_eq!(quality(&results, "order_lines"), (7, 4, 3));
}

/// A timestamp after the run's own start cannot have happened yet: the row is input of the run
/// and rejected as `future_timestamp`, in every source with a timestamp. A timestamp between D
/// and the run's start is a later fact, not input of the run for D (neither accepted nor
/// rejected), so that a backfill sees what the run on D saw.
#[tokio::test]
async fn future_timestamps_are_rejected_in_every_source() {
    let future = (Utc::now() + Duration::days(400)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let future = future.as_str();
    let later = "2026-03-02T10:00:00Z"; // after D, before the run
    assert!(Utc::now().to_rfc3339().as_str() > later, "the clock is after D");
    let mut shop = valid_shop();
    shop.add("orders", vec![completed("o7", "c1", future), completed("o8", "c1", later)]);
    shop.add("order_lines", vec![book_line("o7", "s1", 1, 10.0), book_line("o8", "s1", 1, 10.0)]);
    shop.add("returns", vec![ret("o2", "s2", 1, 30.0, future), ret("o2", "s2", 1, 30.0, later)]);
    shop.add("support_tickets", vec![ticket("c1", future, None), ticket("c1", later, None)]);
    shop.add("referrals", vec![referral("c1", "c3", future), referral("c1", "c4", later)]);
    shop.add("reviews", vec![review("c1", future, Some(4)), review("c1", later, Some(4))]);
    shop.add("customers", vec![
        json!({"customer_id": "c5", "email": "c5@example.com", "country": "DE", "ad_consent": true, "consent_ts": future}),
        json!({"customer_id": "c6", "email": "c6@example.com", "country": "DE", "ad_consent": true, "consent_ts": later}),
    ]);
    let project = project(&shop);
    let (results, rejected) = run_ok(&project).await;
    let ts = future; // row keys print timestamps as RFC 3339, like the input
    assert_eq!(rejected_of(&rejected, "orders"), pairs(&[("future_timestamp", "order_id=o7")]));
    assert_eq!(rejected_of(&rejected, "order_lines"), pairs(&[("order_rejected", "order_id=o7, sku=s1")]));
    assert_eq!(
        rejected_of(&rejected, "returns"),
        vec![("future_timestamp".into(), format!("order_id=o2, sku=s2, return_ts={ts}"))]
    );
    assert_eq!(
        rejected_of(&rejected, "support_tickets"),
        vec![("future_timestamp".into(), format!("customer_id=c1, ticket_ts={ts}"))]
    );
    assert_eq!(rejected_of(&rejected, "referrals"), pairs(&[("future_timestamp", "referrer_id=c1, referred_id=c3")]));
    assert_eq!(
        rejected_of(&rejected, "reviews"),
        vec![("future_timestamp".into(), format!("customer_id=c1, review_ts={ts}"))]
    );
    assert_eq!(rejected_of(&rejected, "customers"), pairs(&[("future_timestamp", "customer_id=c5")]));
    // The later facts (o8 and its line, ...) are not input; the future rows are.
    assert_eq!(quality(&results, "orders"), (4, 3, 1));
    assert_eq!(quality(&results, "order_lines"), (4, 3, 1));
    assert_eq!(quality(&results, "returns"), (2, 1, 1));
    assert_eq!(quality(&results, "support_tickets"), (2, 1, 1));
    assert_eq!(quality(&results, "referrals"), (2, 1, 1));
    assert_eq!(quality(&results, "reviews"), (2, 1, 1));
    assert_eq!(quality(&results, "customers"), (4, 3, 1), "customer records are input of every run");
    assert_eq!(customer_values(&project).await["c1"]["orders_12m"], 2, "o7 and o8 do not count");
}

/// The same order exported twice is one order: every copy is accepted (and counted as input),
/// they collapse into one, and the customer has one order, not two.
#[tokio::test]
async fn identical_duplicate_orders_collapse_and_are_not_rejected() {
    let mut shop = valid_shop();
    shop.add(
        "orders",
        vec![completed("o2", "c1", "2026-01-10T10:00:00Z"), completed("o2", "c1", "2026-01-10T10:00:00Z")],
    );
    shop.add("order_lines", vec![book_line("o2", "s2", 1, 30.0)]);
    let project = project(&shop);
    let (results, rejected) = run_ok(&project).await;
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(quality(&results, "orders"), (5, 5, 0));
    assert_eq!(quality(&results, "order_lines"), (4, 4, 0));
    let c1 = &customer_values(&project).await["c1"];
    assert_eq!(c1["orders_12m"], 2);
    assert_eq!(c1["gross_revenue_12m"], 2.0 * 10.0 + 30.0, "the duplicated line counts once");
}

/// The same customer record exported twice is one customer: both copies are accepted, and
/// segment_profiles (which reads the customer records) is what it is with one copy. A second row
/// in staging would count the customer twice there and in the audiences.
#[tokio::test]
async fn identical_duplicate_customers_collapse_and_are_not_rejected() {
    let once = project(&valid_shop());
    run_ok(&once).await;
    let mut shop = valid_shop();
    shop.add("customers", vec![customer("c2")]);
    let twice = project(&shop);
    let (results, rejected) = run_ok(&twice).await;
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(quality(&results, "customers"), (3, 3, 0));
    let profiles = twice.published("segment_profiles", D).await;
    assert!(!profiles.is_empty(), "segment_profiles is empty");
    assert_eq!(profiles, once.published("segment_profiles", D).await, "a copied customer record changed the profiles");
}

/// Two versions of one order: nothing tells which is right, so both are rejected, and so are
/// the order's lines; the customer's other orders still count.
#[tokio::test]
async fn conflicting_duplicate_orders_are_all_rejected_with_their_lines() {
    let mut shop = valid_shop();
    shop.add("orders", vec![order("o2", "c1", "2026-01-10T10:00:00Z", "cancelled")]);
    let project = project(&shop);
    let (results, rejected) = run_ok(&project).await;
    assert_eq!(
        rejected_of(&rejected, "orders"),
        pairs(&[("conflicting_duplicate", "order_id=o2"), ("conflicting_duplicate", "order_id=o2")])
    );
    assert_eq!(rejected_of(&rejected, "order_lines"), pairs(&[("order_rejected", "order_id=o2, sku=s2")]));
    assert_eq!(quality(&results, "orders"), (4, 2, 2));
    assert_eq!(customer_values(&project).await["c1"]["orders_12m"], 1);
}

/// Two order ids whose (order_id, sku) keys share one 64-bit `hash`, the number
/// order_lines_checked counts keys by: found by a cycle search over xxHash64 (Brent's algorithm,
/// about 1.4e10 hashes), as no shop's data can be counted on to hold one.
const COLLIDING_ORDER_IDS: [&str; 2] = ["Oa0e3ef9787c67dda", "O9462e7599ca9ce39"];

/// Keys that share a hash meet when the keys are counted; only the grouping by the key itself
/// may decide whether a key repeats. Each has one line, so neither is a duplicate, and their
/// different values are no conflict.
#[tokio::test]
async fn lines_whose_keys_share_a_hash_are_not_duplicates() {
    let [a, b] = COLLIDING_ORDER_IDS;
    let ctx = vipseg::engine::session(&vipseg::config::EngineConfig::default()).unwrap();
    let query = format!("SELECT hash('{a}', 's1') = hash('{b}', 's1') AND '{a}' <> '{b}'");
    let batch = &ctx.sql(&query).await.unwrap().collect().await.unwrap()[0];
    assert!(batch.column(0).as_boolean().value(0), "the two keys share a hash (or this test proves nothing)");

    let mut shop = valid_shop();
    shop.add("orders", vec![completed(a, "c1", "2026-01-12T10:00:00Z"), completed(b, "c2", "2026-01-15T10:00:00Z")]);
    shop.add("order_lines", vec![book_line(a, "s1", 1, 10.0), book_line(b, "s1", 3, 20.0)]);
    let project = project(&shop);
    let (results, rejected) = run_ok(&project).await;
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(quality(&results, "order_lines"), (5, 5, 0));
    let values = customer_values(&project).await;
    assert_eq!(values["c1"]["gross_revenue_12m"], 2.0 * 10.0 + 30.0 + 10.0);
    assert_eq!(values["c2"]["gross_revenue_12m"], 10.0 + 3.0 * 20.0);
}

#[tokio::test]
async fn lines_without_an_order_are_rejected() {
    let mut shop = valid_shop();
    shop.add("order_lines", vec![book_line("o404", "s1", 1, 10.0), book_line("o405", "s2", 3, 1.0)]);
    let (results, rejected) = run_ok(&project(&shop)).await;
    assert_eq!(
        rejected_of(&rejected, "order_lines"),
        pairs(&[("line_without_order", "order_id=o404, sku=s1"), ("line_without_order", "order_id=o405, sku=s2")])
    );
    assert_eq!(quality(&results, "order_lines"), (5, 3, 2));
}

#[tokio::test]
async fn returns_without_a_line_are_rejected() {
    let mut shop = valid_shop();
    shop.add(
        "returns",
        vec![
            ret("o1", "s9", 1, 10.0, "2025-11-21T10:00:00Z"), // the order exists, the sku is not in it
            ret("o404", "s1", 1, 10.0, "2025-11-21T10:00:00Z"), // no such order
        ],
    );
    let (results, rejected) = run_ok(&project(&shop)).await;
    assert_eq!(
        rejected_of(&rejected, "returns"),
        pairs(&[
            ("return_without_line", "order_id=o1, sku=s9, return_ts=2025-11-21T10:00:00Z"),
            ("return_without_line", "order_id=o404, sku=s1, return_ts=2025-11-21T10:00:00Z"),
        ])
    );
    assert_eq!(quality(&results, "returns"), (3, 1, 2));
}

/// o1's line holds 2 units: returning 3 is impossible; returning all 2 is fine.
#[tokio::test]
async fn a_return_of_more_units_than_the_line_holds_is_rejected() {
    let mut shop = valid_shop();
    shop.set(
        "returns",
        vec![ret("o1", "s1", 3, 30.0, "2025-11-20T10:00:00Z"), ret("o3", "s1", 1, 10.0, "2026-02-02T10:00:00Z")],
    );
    let project = project(&shop);
    let (results, rejected) = run_ok(&project).await;
    assert_eq!(
        rejected_of(&rejected, "returns"),
        pairs(&[("return_exceeds_line", "order_id=o1, sku=s1, return_ts=2025-11-20T10:00:00Z")])
    );
    assert_eq!(quality(&results, "returns"), (2, 1, 1));
    assert_eq!(customer_values(&project).await["c2"]["net_revenue_12m"], 0.0, "c2's full return counts");
}

#[tokio::test]
async fn a_return_before_its_order_is_rejected() {
    let mut shop = valid_shop();
    shop.add("returns", vec![ret("o2", "s2", 1, 30.0, "2026-01-09T10:00:00Z")]);
    let (results, rejected) = run_ok(&project(&shop)).await;
    assert_eq!(
        rejected_of(&rejected, "returns"),
        pairs(&[("return_before_order", "order_id=o2, sku=s2, return_ts=2026-01-09T10:00:00Z")])
    );
    assert_eq!(quality(&results, "returns"), (2, 1, 1));
}

/// Statuses outside completed / cancelled / pending / refunded (a blank one too) are rejected,
/// with the lines of those orders.
#[tokio::test]
async fn an_unknown_order_status_is_rejected() {
    let mut shop = valid_shop();
    shop.add(
        "orders",
        vec![order("o4", "c1", "2026-01-11T10:00:00Z", "shipped"), order("o5", "c2", "2026-01-12T10:00:00Z", " ")],
    );
    shop.add("order_lines", vec![book_line("o4", "s1", 1, 10.0)]);
    let project = project(&shop);
    let (results, rejected) = run_ok(&project).await;
    assert_eq!(
        rejected_of(&rejected, "orders"),
        pairs(&[("unknown_status", "order_id=o4"), ("unknown_status", "order_id=o5")])
    );
    assert_eq!(rejected_of(&rejected, "order_lines"), pairs(&[("order_rejected", "order_id=o4, sku=s1")]));
    assert_eq!(quality(&results, "orders"), (5, 3, 2));
    assert_eq!(customer_values(&project).await["c1"]["orders_12m"], 2);
}

/// Statuses are compared trimmed and lower-cased: " COMPLETED " and "Completed" count;
/// "Cancelled\t" is a cancelled order (accepted, not counted).
#[tokio::test]
async fn mixed_case_and_space_padded_statuses_are_accepted() {
    let mut shop = valid_shop();
    shop.set(
        "orders",
        vec![
            order("o1", "c1", "2025-11-10T10:00:00Z", " COMPLETED "),
            order("o2", "c1", "2026-01-10T10:00:00Z", "Completed"),
            order("o3", "c2", "2026-02-01T10:00:00Z", "Cancelled\t"),
        ],
    );
    let project = project(&shop);
    let (results, rejected) = run_ok(&project).await;
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(quality(&results, "orders"), (3, 3, 0));
    let values = customer_values(&project).await;
    assert_eq!(values["c1"]["orders_12m"], 2);
    assert!(!values.contains_key("c2"), "a cancelled order does not count");
}

/// No real line has a billion units or a price of a trillion: beyond those bounds a row is
/// rejected as `out_of_range`, so quantity sums cannot wrap around and money sums cannot reach
/// infinity. Values at the bounds are accepted and add up to finite totals.
#[tokio::test]
async fn absurdly_large_values_are_rejected_as_out_of_range() {
    let mut shop = valid_shop();
    let mut huge_cost = book_line("o2", "s5", 1, 10.0);
    huge_cost["unit_cost"] = json!(1e13);
    shop.add(
        "order_lines",
        vec![
            book_line("o2", "s3", i64::MAX, 10.0),
            book_line("o2", "s4", 1, 1e300),
            huge_cost,
            book_line("o3", "s9", 1_000_000_000, 1e12), // at the bounds: accepted
        ],
    );
    shop.add("returns", vec![ret("o2", "s2", 1, 1e300, "2026-01-20T10:00:00Z")]);
    shop.add("support_tickets", vec![ticket("c1", "2025-12-02T10:00:00Z", Some(f64::MAX))]);
    shop.add("reviews", vec![review("c1", "2026-01-21T10:00:00Z", Some(i64::MAX))]);
    let project = project(&shop);
    let (results, rejected) = run_ok(&project).await;
    assert_eq!(
        rejected_of(&rejected, "order_lines"),
        pairs(&[
            ("out_of_range", "order_id=o2, sku=s3"),
            ("out_of_range", "order_id=o2, sku=s4"),
            ("out_of_range", "order_id=o2, sku=s5")
        ])
    );
    assert_eq!(
        rejected_of(&rejected, "returns"),
        pairs(&[("out_of_range", "order_id=o2, sku=s2, return_ts=2026-01-20T10:00:00Z")])
    );
    assert_eq!(
        rejected_of(&rejected, "support_tickets"),
        pairs(&[("out_of_range", "customer_id=c1, ticket_ts=2025-12-02T10:00:00Z")])
    );
    assert_eq!(
        rejected_of(&rejected, "reviews"),
        pairs(&[("out_of_range", "customer_id=c1, review_ts=2026-01-21T10:00:00Z")])
    );
    assert_eq!(quality(&results, "order_lines"), (7, 4, 3));
    assert_eq!(customer_values(&project).await["c2"]["gross_revenue_12m"], 10.0 + 1e21);
    assert_outputs_finite(&project).await;
}

/// NaN and infinities in money columns would spread into every total they touch.
#[tokio::test]
async fn nan_and_infinite_money_is_rejected() {
    let project = project(&valid_shop());
    write_columns(
        &project,
        "order_lines",
        "part-1.parquet",
        vec![
            ("order_id", strings(&["o2", "o2", "o2", "o2"])),
            ("sku", strings(&["n1", "n2", "n3", "n4"])),
            ("category", strings(&["books"; 4])),
            ("quantity", Arc::new(Int64Array::from(vec![1; 4]))),
            ("unit_price", Arc::new(Float64Array::from(vec![f64::NAN, f64::INFINITY, 5.0, 5.0]))),
            ("list_price", Arc::new(Float64Array::from(vec![5.0, 5.0, f64::NEG_INFINITY, 5.0]))),
            ("unit_cost", Arc::new(Float64Array::from(vec![1.0, 1.0, 1.0, -f64::NAN]))),
        ],
    );
    write_columns(
        &project,
        "returns",
        "part-1.parquet",
        vec![
            ("order_id", strings(&["o2"])),
            ("sku", strings(&["s2"])),
            ("quantity", Arc::new(Int64Array::from(vec![1]))),
            ("refund_amount", Arc::new(Float64Array::from(vec![f64::NAN]))),
            ("return_ts", Arc::new(TimestampMicrosecondArray::from(vec![1_768_903_200_000_000]).with_timezone("UTC"))),
        ],
    );
    write_columns(
        &project,
        "support_tickets",
        "part-1.parquet",
        vec![
            ("customer_id", strings(&["c2"])),
            ("ticket_ts", Arc::new(TimestampMicrosecondArray::from(vec![1_768_903_200_000_000]).with_timezone("UTC"))),
            ("cost", Arc::new(Float64Array::from(vec![f64::INFINITY]))),
        ],
    );
    let (results, rejected) = run_ok(&project).await;
    assert_eq!(
        rejected_of(&rejected, "order_lines"),
        pairs(&[
            ("non_finite_number", "order_id=o2, sku=n1"),
            ("non_finite_number", "order_id=o2, sku=n2"),
            ("non_finite_number", "order_id=o2, sku=n3"),
            ("non_finite_number", "order_id=o2, sku=n4"),
        ])
    );
    assert_eq!(
        rejected_of(&rejected, "returns"),
        pairs(&[("non_finite_number", "order_id=o2, sku=s2, return_ts=2026-01-20T10:00:00Z")])
    );
    assert_eq!(
        rejected_of(&rejected, "support_tickets"),
        pairs(&[("non_finite_number", "customer_id=c2, ticket_ts=2026-01-20T10:00:00Z")])
    );
    assert_eq!(quality(&results, "order_lines"), (7, 3, 4));
    assert_outputs_finite(&project).await;
}

/// An email is contact data, not a key: upper case, padding or a missing @ do not make the
/// customer record unusable (it still holds consent, country, ...). Records are accepted as
/// they are; the audience exports normalise (trim, lower-case) and hash what they send.
#[tokio::test]
async fn odd_emails_are_accepted_as_given() {
    let mut shop = valid_shop();
    shop.set(
        "customers",
        vec![
            json!({"customer_id": "c1", "email": "  Alice.Smith@EXAMPLE.com ", "country": "DE", "ad_consent": true}),
            json!({"customer_id": "c2", "email": "no-at-sign.example.com", "country": "DE", "ad_consent": true}),
            json!({"customer_id": "c3", "email": "", "country": "DE", "ad_consent": false}),
            json!({"customer_id": "c4", "email": null, "country": "DE", "ad_consent": null}),
        ],
    );
    let (results, rejected) = run_ok(&project(&shop)).await;
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(quality(&results, "customers"), (4, 4, 0));
}

/// A customer record without any order is a valid record: accepted, but no customer_value row
/// (customer_value holds customers with a completed order before D).
#[tokio::test]
async fn a_customer_without_any_order_is_accepted_and_has_no_value_row() {
    let mut shop = valid_shop();
    shop.add("customers", vec![customer("c9")]);
    let project = project(&shop);
    let (results, rejected) = run_ok(&project).await;
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(quality(&results, "customers"), (3, 3, 0));
    let values = customer_values(&project).await;
    assert_eq!(values.keys().collect::<Vec<_>>(), vec!["c1", "c2"]);
}

#[tokio::test]
async fn a_referral_to_oneself_is_rejected() {
    let mut shop = valid_shop();
    shop.add("referrals", vec![referral("c2", "c2", "2026-02-02T10:00:00Z")]);
    let project = project(&shop);
    let (results, rejected) = run_ok(&project).await;
    assert_eq!(rejected_of(&rejected, "referrals"), pairs(&[("self_referral", "referrer_id=c2, referred_id=c2")]));
    assert_eq!(quality(&results, "referrals"), (2, 1, 1));
    assert_eq!(customer_values(&project).await["c2"]["referrals_12m"], 0);
}

/// Ratings are 1 to 5 stars; a review without a rating is still a review.
#[tokio::test]
async fn a_review_rating_outside_one_to_five_is_rejected() {
    let mut shop = valid_shop();
    shop.add(
        "reviews",
        vec![
            review("c1", "2026-01-21T10:00:00Z", Some(0)),
            review("c1", "2026-01-22T10:00:00Z", Some(6)),
            review("c1", "2026-01-23T10:00:00Z", Some(-1)),
            review("c1", "2026-01-24T10:00:00Z", None),
            review("c1", "2026-01-25T10:00:00Z", Some(1)),
        ],
    );
    let project = project(&shop);
    let (results, rejected) = run_ok(&project).await;
    assert_eq!(
        rejected_of(&rejected, "reviews"),
        pairs(&[
            ("out_of_range", "customer_id=c1, review_ts=2026-01-21T10:00:00Z"),
            ("out_of_range", "customer_id=c1, review_ts=2026-01-22T10:00:00Z"),
            ("out_of_range", "customer_id=c1, review_ts=2026-01-23T10:00:00Z"),
        ])
    );
    assert_eq!(quality(&results, "reviews"), (6, 3, 3));
    assert_eq!(customer_values(&project).await["c1"]["reviews_12m"], 3);
}

/// A ticket cannot cost less than nothing; a ticket without its own cost costs ticket_cost.
#[tokio::test]
async fn a_support_ticket_with_negative_cost_is_rejected() {
    let mut shop = valid_shop();
    shop.add(
        "support_tickets",
        vec![ticket("c2", "2026-02-02T10:00:00Z", Some(-5.0)), ticket("c2", "2026-02-03T10:00:00Z", Some(0.0))],
    );
    let project = project(&shop);
    let (results, rejected) = run_ok(&project).await;
    assert_eq!(
        rejected_of(&rejected, "support_tickets"),
        pairs(&[("negative_cost", "customer_id=c2, ticket_ts=2026-02-02T10:00:00Z")])
    );
    assert_eq!(quality(&results, "support_tickets"), (3, 2, 1));
    let c2 = &customer_values(&project).await["c2"];
    assert_eq!(c2["support_tickets_12m"], 1);
    assert_eq!(c2["indirect_cost_12m"], 0.0);
}

/// Good and bad rows spread over two files of one source, through the binary: the bad rows of
/// both files are rejected, the good ones of both are used, and the JSON on stdout balances.
#[tokio::test]
async fn good_and_bad_rows_across_two_files_of_one_source() {
    let mut shop = valid_shop();
    shop.remove("order_lines");
    let project = project(&shop);
    project.source_file(
        "order_lines",
        "part-0.parquet",
        &[book_line("o1", "s1", 2, 10.0), book_line("o1", "s3", -1, 10.0)],
    );
    project.source_file(
        "order_lines",
        "part-1.parquet",
        &[book_line("o2", "s2", 1, 30.0), book_line("o9", "s1", 1, 10.0), book_line("o3", "s1", 1, 10.0)],
    );
    let outcome = run_binary(&project);
    assert_eq!(outcome.code, Some(0), "{:#}\n{}", outcome.json, outcome.stderr);
    let quality = outcome.json["data_quality"].as_array().unwrap();
    assert_eq!(quality.len(), SOURCES.len());
    for q in quality {
        assert_eq!(q["input_rows"], q["accepted_rows"].as_u64().unwrap() + q["rejected_rows"].as_u64().unwrap(), "{q}");
    }
    let lines = quality.iter().find(|q| q["source"] == "order_lines").unwrap();
    assert_eq!(
        (&lines["input_rows"], &lines["accepted_rows"], &lines["rejected_rows"]),
        (&json!(5), &json!(3), &json!(2))
    );
    let files =
        outcome.json["inputs"].as_array().unwrap().iter().find(|s| s["name"] == "order_lines").unwrap()["files"]
            .clone();
    assert_eq!(files.as_array().unwrap().iter().map(|f| f["rows"].as_u64().unwrap()).collect::<Vec<_>>(), vec![2, 3]);
    let rejected: Vec<String> = project
        .published("rejected_rows", D)
        .await
        .iter()
        .filter(|r| r["source"] == "order_lines")
        .map(|r| format!("{} {}", str_of(&r["reason"]), str_of(&r["row_key"])))
        .collect();
    assert_eq!(rejected, vec!["line_without_order order_id=o9, sku=s1", "non_positive_quantity order_id=o1, sku=s3"]);
}
