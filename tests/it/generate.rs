//! `vipseg generate`: determinism, the canonical schema, month partitions, the Gamma-Gamma order
//! values, the configured consent share and countries, the consistency of returns, tickets,
//! referrals and reviews, bad-row injection and option validation.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Date32Type, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType};
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Datelike, NaiveDate};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use tempfile::TempDir;
use vipseg::generate::{GenerateError, GenerateOptions, GenerateSummary, TrueParams, generate};
use vipseg::io::schema::Source;

const DAY_US: i64 = 86_400_000_000;

fn end() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).expect("date")
}

fn run(customers: u64, seed: u64, tweak: impl FnOnce(&mut GenerateOptions)) -> (TempDir, GenerateSummary) {
    let dir = TempDir::new().expect("temp dir");
    let mut opts = GenerateOptions { customers, seed, out: dir.path().to_path_buf(), end: end(), ..Default::default() };
    tweak(&mut opts);
    let summary = generate(&opts).expect("generate");
    (dir, summary)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() { walk(&path, out) } else { out.push(path) }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// Every batch of a source with the file it came from.
fn read(dir: &Path, source: &str) -> Vec<(PathBuf, RecordBatch)> {
    let mut out = Vec::new();
    for file in files(&dir.join(source)) {
        assert_eq!(file.extension().and_then(|e| e.to_str()), Some("parquet"), "{}", file.display());
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&file).expect("open"))
            .expect("parquet")
            .build()
            .expect("reader");
        for batch in reader {
            out.push((file.clone(), batch.expect("batch")));
        }
    }
    out
}

/// One source as columns of all its files, for row-wise checks.
struct Table {
    batches: Vec<(PathBuf, RecordBatch)>,
}

impl Table {
    fn load(dir: &Path, source: &str) -> Table {
        Table { batches: read(dir, source) }
    }
    fn len(&self) -> usize {
        self.batches.iter().map(|(_, b)| b.num_rows()).sum()
    }
    fn strings(&self, column: &str) -> Vec<Option<String>> {
        let mut out = Vec::new();
        for (_, b) in &self.batches {
            let a = b.column_by_name(column).expect(column).as_string::<i32>();
            out.extend((0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_string())));
        }
        out
    }
    fn ids(&self, column: &str) -> Vec<String> {
        self.strings(column).into_iter().map(|s| s.expect("no null ids without bad rows")).collect()
    }
    fn i64s(&self, column: &str) -> Vec<i64> {
        let mut out = Vec::new();
        for (_, b) in &self.batches {
            out.extend(b.column_by_name(column).expect(column).as_primitive::<Int64Type>().values().iter().copied());
        }
        out
    }
    fn f64s(&self, column: &str) -> Vec<Option<f64>> {
        let mut out = Vec::new();
        for (_, b) in &self.batches {
            let a = b.column_by_name(column).expect(column).as_primitive::<Float64Type>();
            out.extend((0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i))));
        }
        out
    }
    fn money(&self, column: &str) -> Vec<f64> {
        self.f64s(column).into_iter().map(|v| v.expect("money not null")).collect()
    }
    fn ts(&self, column: &str) -> Vec<Option<i64>> {
        let mut out = Vec::new();
        for (_, b) in &self.batches {
            let a = b.column_by_name(column).expect(column).as_primitive::<TimestampMicrosecondType>();
            out.extend((0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i))));
        }
        out
    }
    fn bools(&self, column: &str) -> Vec<bool> {
        let mut out = Vec::new();
        for (_, b) in &self.batches {
            let a = b.column_by_name(column).expect(column).as_boolean();
            out.extend((0..a.len()).map(|i| a.value(i)));
        }
        out
    }
    /// The file each row came from.
    fn row_files(&self) -> Vec<&Path> {
        self.batches.iter().flat_map(|(f, b)| std::iter::repeat_n(f.as_path(), b.num_rows())).collect()
    }
}

fn month(ts_us: i64) -> String {
    let d = DateTime::from_timestamp_micros(ts_us).expect("ts").date_naive();
    format!("{:04}-{:02}", d.year(), d.month())
}

/// `YYYY-MM` of a file's `<column>=YYYY-MM` folder.
fn folder_month(file: &Path, column: &str) -> String {
    let folder = file.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).expect("folder");
    folder.strip_prefix(&format!("{column}=")).unwrap_or_else(|| panic!("{} not in {column}=", file.display())).into()
}

fn end_us() -> i64 {
    end().and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp_micros()
}

#[test]
fn same_seed_gives_byte_identical_files_whatever_the_threads_and_another_seed_differs() {
    // Three blocks of customers, so that threads really share the work.
    let (a, _) = run(9_000, 7, |o| o.threads = 1);
    let (b, _) = run(9_000, 7, |o| o.threads = 3);
    let (c, _) = run(9_000, 8, |o| o.threads = 1);
    let rel = |dir: &TempDir| -> Vec<PathBuf> {
        files(dir.path()).iter().map(|f| f.strip_prefix(dir.path()).expect("prefix").to_path_buf()).collect()
    };
    assert_eq!(rel(&a), rel(&b));
    for file in rel(&a) {
        let (x, y) = (std::fs::read(a.path().join(&file)).expect("a"), std::fs::read(b.path().join(&file)).expect("b"));
        assert!(x == y, "{} differs between runs with the same seed", file.display());
    }
    let differs =
        rel(&a).iter().any(|file| std::fs::read(a.path().join(file)).ok() != std::fs::read(c.path().join(file)).ok());
    assert!(differs, "another seed must give other data");
    let orders = |dir: &TempDir| Table::load(dir.path(), "orders").ids("customer_id");
    assert_ne!(orders(&a), orders(&c));
}

#[test]
fn every_file_has_the_canonical_schema_and_every_source_is_written() {
    let (dir, summary) = run(3_000, 1, |_| {});
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let (s, i, f) = (DataType::Utf8, DataType::Int64, DataType::Float64);
    let expected: BTreeMap<&str, Vec<(&str, DataType)>> = BTreeMap::from([
        (
            "orders",
            vec![
                ("order_id", s.clone()),
                ("customer_id", s.clone()),
                ("order_ts", ts.clone()),
                ("status", s.clone()),
                ("channel", s.clone()),
            ],
        ),
        (
            "order_lines",
            vec![
                ("order_id", s.clone()),
                ("sku", s.clone()),
                ("category", s.clone()),
                ("quantity", i.clone()),
                ("unit_price", f.clone()),
                ("list_price", f.clone()),
                ("unit_cost", f.clone()),
            ],
        ),
        (
            "returns",
            vec![
                ("order_id", s.clone()),
                ("sku", s.clone()),
                ("quantity", i.clone()),
                ("refund_amount", f.clone()),
                ("return_ts", ts.clone()),
            ],
        ),
        ("support_tickets", vec![("customer_id", s.clone()), ("ticket_ts", ts.clone()), ("cost", f.clone())]),
        (
            "customers",
            vec![
                ("customer_id", s.clone()),
                ("email", s.clone()),
                ("phone", s.clone()),
                ("first_name", s.clone()),
                ("last_name", s.clone()),
                ("city", s.clone()),
                ("region", s.clone()),
                ("postal_code", s.clone()),
                ("country", s.clone()),
                ("birth_date", DataType::Date32),
                ("gender", s.clone()),
                ("ad_consent", DataType::Boolean),
                ("consent_ts", ts.clone()),
            ],
        ),
        ("referrals", vec![("referrer_id", s.clone()), ("referred_id", s.clone()), ("referral_ts", ts.clone())]),
        ("reviews", vec![("customer_id", s.clone()), ("review_ts", ts.clone()), ("rating", i.clone())]),
    ]);
    assert_eq!(Source::ALL.iter().map(|s| s.name()).collect::<BTreeSet<_>>(), expected.keys().copied().collect());
    let mut parquet_files = 0;
    for (source, columns) in &expected {
        let source_files = files(&dir.path().join(source));
        assert!(!source_files.is_empty(), "{source} has no file");
        for file in source_files {
            parquet_files += 1;
            let builder =
                ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&file).expect("open")).expect("pq");
            let got: Vec<(String, DataType)> =
                builder.schema().fields().iter().map(|f| (f.name().clone(), f.data_type().clone())).collect();
            let want: Vec<(String, DataType)> = columns.iter().map(|(n, t)| (n.to_string(), t.clone())).collect();
            assert_eq!(got, want, "{}", file.display());
            assert_eq!(
                **builder.schema(),
                *Source::from_name(source).expect("source").arrow_schema(),
                "{}",
                file.display()
            );
            let compression = builder.metadata().row_group(0).column(0).compression();
            assert!(matches!(compression, parquet::basic::Compression::ZSTD(_)), "{}: {compression:?}", file.display());
        }
        assert!(summary.rows[*source] > 0, "{source} is empty");
        assert_eq!(Table::load(dir.path(), source).len() as u64, summary.rows[*source], "{source} row count");
    }
    assert_eq!(parquet_files, summary.files);
}

#[test]
fn month_folders_match_the_timestamps_inside() {
    let (dir, _) = run(6_000, 2, |_| {});
    let start_us =
        NaiveDate::from_ymd_opt(2023, 11, 21).expect("d").and_hms_opt(0, 0, 0).expect("t").and_utc().timestamp_micros();
    for (source, column, ts) in [
        ("orders", "order_month", "order_ts"),
        ("returns", "return_month", "return_ts"),
        ("support_tickets", "ticket_month", "ticket_ts"),
        ("referrals", "referral_month", "referral_ts"),
        ("reviews", "review_month", "review_ts"),
    ] {
        let t = Table::load(dir.path(), source);
        for (file, ts) in t.row_files().into_iter().zip(t.ts(ts)) {
            let ts = ts.expect("timestamp");
            assert_eq!(folder_month(file, column), month(ts), "{}", file.display());
            assert!((start_us..end_us()).contains(&ts), "{source} timestamp {ts} outside the 36 months before the end");
            assert_eq!(file.file_name().and_then(|n| n.to_str()), Some("part-0.parquet"));
        }
    }
    // Lines sit in the month folder of their order.
    let orders = Table::load(dir.path(), "orders");
    let order_month: HashMap<String, String> = orders
        .ids("order_id")
        .into_iter()
        .zip(orders.ts("order_ts"))
        .map(|(id, ts)| (id, month(ts.expect("ts"))))
        .collect();
    let lines = Table::load(dir.path(), "order_lines");
    for (file, id) in lines.row_files().into_iter().zip(lines.ids("order_id")) {
        assert_eq!(folder_month(file, "order_month"), order_month[&id], "line of {id} in {}", file.display());
    }
    // Customers are a few plain files.
    for file in files(&dir.path().join("customers")) {
        assert_eq!(file.parent(), Some(dir.path().join("customers").as_path()));
    }
}

/// Completed orders of each customer: (customer, order_ts, Σ quantity × unit_price).
fn completed_order_values(dir: &Path) -> Vec<(String, i64, f64)> {
    let orders = Table::load(dir, "orders");
    let lines = Table::load(dir, "order_lines");
    let mut revenue: HashMap<String, f64> = HashMap::new();
    let mut n_lines: HashMap<String, usize> = HashMap::new();
    for ((id, q), u) in lines.ids("order_id").into_iter().zip(lines.i64s("quantity")).zip(lines.money("unit_price")) {
        *revenue.entry(id.clone()).or_default() += q as f64 * u;
        *n_lines.entry(id).or_default() += 1;
    }
    let mut out = Vec::new();
    for (((id, c), ts), status) in orders
        .ids("order_id")
        .into_iter()
        .zip(orders.ids("customer_id"))
        .zip(orders.ts("order_ts"))
        .zip(orders.ids("status"))
    {
        assert!((1..=5).contains(&n_lines.get(&id).copied().unwrap_or(0)), "order {id} has 1-5 lines");
        if status == "completed" {
            out.push((c, ts.expect("ts"), revenue[&id]));
        }
    }
    out
}

/// Method-of-moments estimate of the Gamma-Gamma shape p, free of ν: within a customer the
/// shares z_i / Σz of n orders are Dirichlet(p, ..., p), so E[Σ (share − 1/n)²] = (n−1)/(n(np+1)).
fn estimate_p(values: &[(String, i64, f64)]) -> f64 {
    let mut by_customer: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for (c, _, v) in values {
        by_customer.entry(c).or_default().push(*v);
    }
    let groups: Vec<(f64, f64)> = by_customer
        .values()
        .filter(|v| v.len() >= 2)
        .map(|v| {
            let (n, total) = (v.len() as f64, v.iter().sum::<f64>());
            (n, v.iter().map(|x| (x / total - 1.0 / n).powi(2)).sum())
        })
        .collect();
    let observed: f64 = groups.iter().map(|g| g.1).sum();
    let expected = |p: f64| groups.iter().map(|(n, _)| (n - 1.0) / (n * (n * p + 1.0))).sum::<f64>();
    let (mut lo, mut hi) = (0.01f64, 1000.0f64);
    for _ in 0..100 {
        let mid = (lo * hi).sqrt();
        if expected(mid) > observed { lo = mid } else { hi = mid }
    }
    lo
}

#[test]
fn order_values_are_whole_cents_drawn_from_gamma_gamma() {
    let (dir, summary) = run(20_000, 3, |_| {});
    let values = completed_order_values(dir.path());
    for (c, ts, v) in &values {
        assert!(*v > 0.0, "{c}: order value {v} at {ts}");
        assert!((v * 100.0 - (v * 100.0).round()).abs() < 1e-6, "{c}: order value {v} is not whole cents");
    }
    // One completed order per customer and day (the CLV fit merges same-day orders).
    let days: BTreeSet<(&str, i64)> = values.iter().map(|(c, ts, _)| (c.as_str(), ts.div_euclid(DAY_US))).collect();
    assert_eq!(days.len(), values.len());

    let truth = summary.truth;
    let mean = values.iter().map(|v| v.2).sum::<f64>() / values.len() as f64;
    assert!((mean / truth.mean_order_value() - 1.0).abs() < 0.06, "mean order {mean} vs {}", truth.mean_order_value());
    let p = estimate_p(&values);
    assert!((p / truth.p - 1.0).abs() < 0.08, "Gamma-Gamma p estimated {p}, truth {}", truth.p);

    // Other parameters are honoured.
    let truth = TrueParams { p: 3.0, q: 3.0, gamma: 100.0, ..TrueParams::default() };
    let (dir, summary) = run(20_000, 4, |o| o.truth = truth);
    assert_eq!(summary.truth, truth);
    let values = completed_order_values(dir.path());
    let mean = values.iter().map(|v| v.2).sum::<f64>() / values.len() as f64;
    assert!((mean / 150.0 - 1.0).abs() < 0.10, "mean order {mean} vs 150");
    let p = estimate_p(&values);
    assert!((p / 3.0 - 1.0).abs() < 0.08, "Gamma-Gamma p estimated {p}, truth 3");
}

#[test]
fn order_lines_have_categories_margins_discounts_and_bargain_hunters() {
    let (dir, _) = run(20_000, 5, |_| {});
    let orders = Table::load(dir.path(), "orders");
    let statuses: BTreeMap<String, usize> = orders.ids("status").into_iter().fold(BTreeMap::new(), |mut m, s| {
        *m.entry(s).or_default() += 1;
        m
    });
    assert_eq!(
        statuses.keys().map(String::as_str).collect::<Vec<_>>(),
        ["cancelled", "completed", "pending", "refunded"]
    );
    assert!(statuses["completed"] as f64 / orders.len() as f64 > 0.85, "{statuses:?}");
    let channels: BTreeSet<String> = orders.ids("channel").into_iter().collect();
    assert_eq!(channels.iter().map(String::as_str).collect::<Vec<_>>(), ["app", "marketplace", "store", "web"]);
    for id in orders.ids("order_id").iter().take(1000) {
        assert!(id.len() == 10 && id.starts_with('O') && id[1..].bytes().all(|b| b.is_ascii_digit()), "{id}");
    }
    let customer_of: HashMap<String, String> =
        orders.ids("order_id").into_iter().zip(orders.ids("customer_id")).collect();

    let lines = Table::load(dir.path(), "order_lines");
    let (ids, skus, cats) = (lines.ids("order_id"), lines.ids("sku"), lines.ids("category"));
    let (qty, unit, list, cost) =
        (lines.i64s("quantity"), lines.money("unit_price"), lines.money("list_price"), lines.money("unit_cost"));
    let mut seen = BTreeSet::new();
    // category -> (revenue, margin); customer -> (lines, discounted lines)
    let mut margin: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    let mut discounted: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for k in 0..lines.len() {
        assert!(seen.insert((ids[k].as_str(), skus[k].as_str())), "sku {} twice in order {}", skus[k], ids[k]);
        assert!(qty[k] >= 1 && unit[k] > 0.0 && cost[k] > 0.0, "line {k}");
        assert!(list[k] >= unit[k], "list price {} below unit price {}", list[k], unit[k]);
        let m = margin.entry(cats[k].as_str()).or_default();
        m.0 += qty[k] as f64 * unit[k];
        m.1 += qty[k] as f64 * (unit[k] - cost[k]);
        let d = discounted.entry(customer_of[&ids[k]].as_str()).or_default();
        d.0 += 1;
        d.1 += u32::from(unit[k] < 0.95 * list[k]);
    }
    assert!(margin.len() >= 8, "{:?}", margin.keys());
    let rate = |c: &str| margin[c].1 / margin[c].0;
    assert!(rate("electronics") < 0.15 && rate("accessories") > 0.5, "{} {}", rate("electronics"), rate("accessories"));
    // Bargain hunters: customers with many lines, most of them discounted.
    let regular: Vec<&(u32, u32)> = discounted.values().filter(|d| d.0 >= 6).collect();
    let hunters = regular.iter().filter(|d| d.1 as f64 >= 0.7 * d.0 as f64).count() as f64 / regular.len() as f64;
    assert!((0.08..0.25).contains(&hunters), "bargain hunter share {hunters}");
    let full_price = discounted.values().map(|d| (d.0 - d.1) as f64).sum::<f64>() / lines.len() as f64;
    assert!((0.55..0.85).contains(&full_price), "full-price line share {full_price}");
}

#[test]
fn consent_share_and_countries_are_as_configured() {
    let (dir, _) = run(20_000, 6, |o| {
        o.countries = vec!["DE".into(), "fr".into()];
        o.ad_consent_rate = 0.4;
    });
    let customers = Table::load(dir.path(), "customers");
    let consent = customers.bools("ad_consent");
    let share = consent.iter().filter(|c| **c).count() as f64 / consent.len() as f64;
    assert!((share - 0.4).abs() < 0.015, "ad consent share {share}");
    for (c, ts) in consent.iter().zip(customers.ts("consent_ts")) {
        assert!(!c || ts.is_some(), "consent without consent_ts");
        assert!(ts.is_none_or(|ts| ts < end_us()), "consent_ts after the end");
    }
    let countries: Vec<String> =
        customers.strings("country").into_iter().map(|c| c.expect("country").trim().to_uppercase()).collect();
    let de = countries.iter().filter(|c| *c == "DE").count() as f64 / countries.len() as f64;
    assert!(countries.iter().all(|c| c == "DE" || c == "FR"), "only DE and FR");
    assert!((de - 16.0 / 28.0).abs() < 0.02, "DE share {de}");

    let (dir, _) = run(20_000, 6, |_| {});
    let customers = Table::load(dir.path(), "customers");
    let consent = customers.bools("ad_consent");
    let share = consent.iter().filter(|c| **c).count() as f64 / consent.len() as f64;
    assert!((share - 0.7).abs() < 0.015, "default ad consent share {share}");
    let countries: BTreeSet<String> =
        customers.strings("country").into_iter().map(|c| c.expect("country").trim().to_uppercase()).collect();
    assert_eq!(countries.iter().map(String::as_str).collect::<Vec<_>>(), ["CA", "DE", "FR", "GB", "NL", "US"]);

    // A few buyers have no customer record, a few records never ordered.
    let ids: BTreeSet<String> = customers.ids("customer_id").into_iter().collect();
    assert!(ids.iter().all(|id| id.len() == 8 && id.starts_with('C')), "customer ids like C0000042");
    let buyers: BTreeSet<String> = Table::load(dir.path(), "orders").ids("customer_id").into_iter().collect();
    let without_record = buyers.difference(&ids).count() as f64 / buyers.len() as f64;
    assert!(without_record > 0.0 && without_record < 0.005, "buyers without record {without_record}");
    let prospects = ids.difference(&buyers).count() as f64 / ids.len() as f64;
    assert!((0.01..0.06).contains(&prospects), "records without orders {prospects}");
}

#[test]
fn pii_is_messy_and_fictional() {
    let (dir, _) = run(20_000, 9, |_| {});
    let c = Table::load(dir.path(), "customers");
    let rows: Vec<_> = c
        .strings("email")
        .into_iter()
        .zip(c.strings("phone"))
        .zip(c.strings("country"))
        .zip(c.strings("postal_code"))
        .map(|(((e, p), country), z)| (e, p, country.expect("country").trim().to_uppercase(), z))
        .collect();
    let emails: Vec<&String> = rows.iter().filter_map(|r| r.0.as_ref()).collect();
    let domains = [
        "gmail.com",
        "googlemail.com",
        "example.com",
        "example.org",
        "example.net",
        "mail.example",
        "web.example",
        "post.example",
    ];
    for e in &emails {
        let clean = e.trim().to_lowercase();
        let (local, domain) = clean.split_once('@').expect("an @");
        assert!(!local.is_empty() && domains.contains(&domain), "{e:?}");
    }
    let share = |f: &dyn Fn(&str) -> bool| emails.iter().filter(|e| f(e)).count() as f64 / emails.len() as f64;
    assert!(share(&|e| e != e.trim()) > 0.01, "emails with surrounding spaces");
    assert!(share(&|e| e.chars().any(|c| c.is_ascii_uppercase())) > 0.1, "mixed-case emails");
    assert!(share(&|e| e.to_lowercase().contains("@gmail.com") && e.contains('+')) > 0.01, "gmail +tags");
    assert!(
        share(&|e| e.to_lowercase().contains("@gmail.com") && e.split('@').next().is_some_and(|l| l.contains('.')))
            > 0.05,
        "gmail dots"
    );

    let digits = |p: &str| p.chars().filter(char::is_ascii_digit).collect::<String>();
    let mut formats: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (_, phone, country, _) in &rows {
        let Some(phone) = phone else { continue };
        let d = digits(phone);
        let fictional = match country.as_str() {
            "US" | "CA" => d.len() >= 10 && d[d.len() - 7..].starts_with("55501"),
            "GB" => ["79460", "4960", "20180", "7700900"].iter().any(|r| d.contains(r)),
            "DE" => ["3023125", "4066969", "8999998", "2214710", "6990009"].iter().any(|r| d.contains(r)),
            "FR" => ["19900", "26191", "35301", "46571", "53649", "63998"].iter().any(|r| d.contains(r)),
            _ => true, // NL has no range reserved for fiction
        };
        assert!(fictional, "{country} phone {phone:?} outside the fictional ranges");
        let shape: String = phone.chars().map(|c| if c.is_ascii_digit() { '9' } else { c }).collect();
        formats.entry(if country == "CA" { "US" } else { country.as_str() }).or_default().insert(shape);
    }
    for (country, shapes) in &formats {
        assert!(shapes.len() >= 5, "{country} phones in only {shapes:?}");
    }
    let phone_of = |country: &str, prefix: &str| {
        rows.iter().any(|r| r.2 == country && r.1.as_deref().is_some_and(|p| p.starts_with(prefix)))
    };
    assert!(phone_of("GB", "(0)") && phone_of("GB", "+44 ") && phone_of("DE", "0049 ") && phone_of("FR", "+33 "));
    assert!(formats["US"].contains("(999) 999-9999") && formats["US"].contains("+9 999 999 9999"));

    let names: Vec<String> =
        c.strings("last_name").into_iter().flatten().chain(c.strings("first_name").into_iter().flatten()).collect();
    assert!(names.iter().filter(|n| !n.is_ascii()).count() > 100, "accented names");
    for (_, _, country, zip) in &rows {
        let Some(zip) = zip else { continue };
        let z = zip.trim().to_uppercase().replace(' ', "");
        let ok = match country.as_str() {
            "US" => z.len() >= 4 && z.chars().all(|c| c.is_ascii_digit() || c == '-'),
            "DE" | "FR" => (4..=5).contains(&z.len()) && z.chars().all(|c| c.is_ascii_digit()),
            "NL" => z.len() == 6 && z[..4].chars().all(|c| c.is_ascii_digit()),
            "GB" => (5..=7).contains(&z.len()),
            "CA" => z.len() == 6,
            _ => false,
        };
        assert!(ok, "{country} postal code {zip:?}");
    }
    let mut births: Vec<i32> = Vec::new();
    for (_, b) in &c.batches {
        let a = b.column_by_name("birth_date").expect("birth_date").as_primitive::<Date32Type>();
        births.extend((0..a.len()).filter(|i| a.is_valid(*i)).map(|i| a.value(i)));
    }
    let genders: BTreeSet<Option<String>> = c.strings("gender").into_iter().collect();
    assert_eq!(genders, BTreeSet::from([None, Some("f".into()), Some("m".into()), Some("x".into())]));
    assert!(births.len() > 17_000 && births.len() < 19_500, "some birth dates missing: {}", births.len());
}

#[test]
fn returns_tickets_referrals_and_reviews_are_consistent() {
    let (dir, _) = run(20_000, 10, |_| {});
    let orders = Table::load(dir.path(), "orders");
    let order: HashMap<String, (String, i64, String)> = orders
        .ids("order_id")
        .into_iter()
        .zip(orders.ids("customer_id"))
        .zip(orders.ts("order_ts"))
        .zip(orders.ids("status"))
        .map(|(((id, c), ts), s)| (id, (c, ts.expect("ts"), s)))
        .collect();
    let lines = Table::load(dir.path(), "order_lines");
    let line: HashMap<(String, String), (i64, f64)> = lines
        .ids("order_id")
        .into_iter()
        .zip(lines.ids("sku"))
        .zip(lines.i64s("quantity").into_iter().zip(lines.money("unit_price")))
        .collect();

    let returns = Table::load(dir.path(), "returns");
    let share = returns.len() as f64 / lines.len() as f64;
    assert!((0.02..0.08).contains(&share), "returned line share {share}");
    let mut partial = 0;
    let mut seen = BTreeSet::new();
    for (((id, sku), (q, refund)), ts) in returns
        .ids("order_id")
        .into_iter()
        .zip(returns.ids("sku"))
        .zip(returns.i64s("quantity").into_iter().zip(returns.money("refund_amount")))
        .zip(returns.ts("return_ts"))
    {
        let (line_q, unit) = line[&(id.clone(), sku.clone())];
        let (_, order_ts, status) = &order[&id];
        assert_eq!(status, "completed", "return of a {status} order");
        assert!(q >= 1 && q <= line_q, "returned {q} of {line_q}");
        partial += usize::from(q < line_q);
        assert!(refund > 0.0 && refund <= q as f64 * unit + 1e-9, "refund {refund} for {q} × {unit}");
        let ts = ts.expect("ts");
        assert!(ts > *order_ts && ts < end_us());
        assert!(seen.insert((id, sku)), "one return per line");
    }
    assert!(partial > 0, "some partial returns");

    let tickets = Table::load(dir.path(), "support_tickets");
    let costs = tickets.f64s("cost");
    let nulls = costs.iter().filter(|c| c.is_none()).count() as f64 / costs.len() as f64;
    assert!((0.1..0.4).contains(&nulls), "null ticket costs {nulls}");
    assert!(costs.iter().flatten().all(|c| *c > 0.0));
    let mut per_customer: BTreeMap<String, usize> = BTreeMap::new();
    for c in tickets.ids("customer_id") {
        *per_customer.entry(c).or_default() += 1;
    }
    assert!(per_customer.values().any(|n| *n >= 10), "some customers are heavy ticket users");

    let mut first_order: HashMap<&str, i64> = HashMap::new();
    let mut completed_ts: HashMap<&str, Vec<i64>> = HashMap::new();
    for (c, ts, status) in order.values() {
        let f = first_order.entry(c).or_insert(*ts);
        *f = (*f).min(*ts);
        if status == "completed" {
            completed_ts.entry(c).or_default().push(*ts);
        }
    }
    let referrals = Table::load(dir.path(), "referrals");
    assert!(referrals.len() > 200);
    for ((from, to), ts) in
        referrals.ids("referrer_id").into_iter().zip(referrals.ids("referred_id")).zip(referrals.ts("referral_ts"))
    {
        let ts = ts.expect("ts");
        assert_ne!(from, to);
        assert!(first_order[to.as_str()] > ts, "{to} ordered before being referred");
        assert!(completed_ts[from.as_str()].iter().any(|t| *t < ts), "{from} referred before buying");
    }
    let reviews = Table::load(dir.path(), "reviews");
    assert!(reviews.len() > 500);
    let ratings: BTreeSet<i64> = reviews.i64s("rating").into_iter().collect();
    assert_eq!(ratings, BTreeSet::from([1, 2, 3, 4, 5]));
    for (c, ts) in reviews.ids("customer_id").into_iter().zip(reviews.ts("review_ts")) {
        assert!(completed_ts[c.as_str()].iter().any(|t| *t < ts.expect("ts")), "{c} reviewed before buying");
    }
}

#[test]
fn bad_rows_are_injected_only_on_request_and_leave_good_rows_alone() {
    let (good, _) = run(5_000, 11, |_| {});
    let (dir, summary) = run(5_000, 11, |o| o.bad_rows = 0.01);
    assert_eq!(
        summary.bad_rows.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "order_lines_negative_quantity",
            "order_lines_without_order",
            "orders_duplicate_id",
            "orders_future_ts",
            "orders_null_customer_id"
        ]
    );
    assert!(summary.bad_rows.values().all(|n| *n > 0));
    let orders = Table::load(dir.path(), "orders");
    let customers = orders.strings("customer_id");
    assert_eq!(customers.iter().filter(|c| c.is_none()).count() as u64, summary.bad_rows["orders_null_customer_id"]);
    let future = orders.ts("order_ts").into_iter().filter(|ts| ts.expect("ts") >= end_us()).count() as u64;
    assert_eq!(future, summary.bad_rows["orders_future_ts"]);
    let ids = orders.ids("order_id");
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!((ids.len() - distinct.len()) as u64, summary.bad_rows["orders_duplicate_id"]);
    let lines = Table::load(dir.path(), "order_lines");
    let negative = lines.i64s("quantity").into_iter().filter(|q| *q < 0).count() as u64;
    assert_eq!(negative, summary.bad_rows["order_lines_negative_quantity"]);
    let orphans = lines.ids("order_id").into_iter().filter(|id| !distinct.contains(id)).count() as u64;
    assert_eq!(orphans, summary.bad_rows["order_lines_without_order"]);
    // Good rows are the same as without bad rows.
    assert!(
        Table::load(good.path(), "orders").len() as u64
            + summary.bad_rows.iter().filter(|(k, _)| k.starts_with("orders")).map(|(_, n)| n).sum::<u64>()
            == orders.len() as u64
    );
    for file in files(&good.path().join("customers")) {
        let other = dir.path().join(file.strip_prefix(good.path()).expect("prefix"));
        assert_eq!(std::fs::read(&file).expect("good"), std::fs::read(other).expect("bad"), "customers unchanged");
    }
}

#[test]
fn manifest_records_options_truth_and_row_counts() {
    let (dir, summary) = run(2_000, 12, |o| o.months = 12);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("_generator.json")).expect("manifest")).expect("json");
    assert_eq!(manifest["options"]["customers"], 2_000);
    assert_eq!(manifest["options"]["seed"], 12);
    assert_eq!(manifest["options"]["end"], "2026-11-21");
    assert_eq!(manifest["options"]["months"], 12);
    assert_eq!(manifest["truth"], serde_json::to_value(TrueParams::default()).expect("json"));
    assert_eq!(manifest["rows"], serde_json::to_value(&summary.rows).expect("json"));
    assert_eq!(manifest["files"], summary.files);
    assert_eq!(manifest["history"], serde_json::json!(["2025-11-21", "2026-11-20"]));
    assert!(manifest["options"].get("out").is_none(), "the manifest does not depend on where it is");
    let population = &manifest["population"];
    let (buyers, prospects) = (population["buyers"].as_u64().expect("n"), population["prospects"].as_u64().expect("n"));
    assert_eq!(buyers + prospects, 2_000);
    let without_record = population["buyers_without_record"].as_u64().expect("n");
    assert_eq!(summary.rows["customers"], 2_000 - without_record);
    let months: BTreeSet<String> =
        files(&dir.path().join("orders")).iter().map(|f| folder_month(f, "order_month")).collect();
    assert_eq!(months.first().map(String::as_str), Some("2025-11"));
    assert_eq!(months.last().map(String::as_str), Some("2026-11"));
}

#[test]
fn tiny_data_sets_still_write_every_source() {
    for customers in [1, 7] {
        let (dir, summary) = run(customers, 13, |o| o.months = 1);
        for source in Source::ALL.map(Source::name) {
            let table = Table::load(dir.path(), source);
            assert!(!table.batches.is_empty() || !files(&dir.path().join(source)).is_empty(), "{source} has a file");
            assert_eq!(table.len() as u64, summary.rows[source], "{source}");
        }
    }
}

#[test]
fn a_rerun_replaces_the_previous_output_and_nothing_else() {
    let dir = TempDir::new().expect("temp dir");
    std::fs::write(dir.path().join("keep.txt"), "mine").expect("write");
    let opts = GenerateOptions { customers: 1_000, out: dir.path().to_path_buf(), end: end(), ..Default::default() };
    generate(&opts).expect("first run");
    generate(&GenerateOptions { months: 6, ..opts }).expect("second run");
    let months: BTreeSet<String> =
        files(&dir.path().join("orders")).iter().map(|f| folder_month(f, "order_month")).collect();
    assert_eq!(months.first().map(String::as_str), Some("2026-05"), "older months of the first run are gone");
    assert_eq!(std::fs::read_to_string(dir.path().join("keep.txt")).expect("kept"), "mine");
}

#[test]
fn invalid_options_are_refused_before_anything_is_written() {
    let dir = TempDir::new().expect("temp dir");
    let base = GenerateOptions { customers: 100, out: dir.path().join("out"), end: end(), ..Default::default() };
    let err = |o: GenerateOptions| generate(&o).expect_err("invalid");
    assert!(matches!(err(GenerateOptions { customers: 0, ..base.clone() }), GenerateError::InvalidOption(_)));
    assert!(matches!(err(GenerateOptions { months: 0, ..base.clone() }), GenerateError::InvalidOption(_)));
    assert!(matches!(err(GenerateOptions { bad_rows: 0.9, ..base.clone() }), GenerateError::InvalidOption(_)));
    assert!(matches!(err(GenerateOptions { ad_consent_rate: 1.5, ..base.clone() }), GenerateError::InvalidOption(_)));
    let truth = TrueParams { r: -1.0, ..TrueParams::default() };
    assert!(
        matches!(err(GenerateOptions { truth, ..base.clone() }), GenerateError::InvalidOption(m) if m.contains("truth.r"))
    );
    let e = err(GenerateOptions { countries: vec!["US".into(), "XX".into()], ..base.clone() });
    assert!(matches!(&e, GenerateError::UnknownCountry(c) if c == "XX"), "{e}");
    assert!(!dir.path().join("out").exists());
}
