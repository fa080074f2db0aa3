//! Parquet output of `vipseg generate`: sorts the records by explicit keys, cuts them into
//! month partitions (`<source>/<column>=YYYY-MM/part-0.parquet`, customers in files of
//! 262,144), renders them as Arrow batches of the canonical schema and writes zstd Parquet.

use std::fmt::Write as _;
use std::io::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, StringBuilder, TimestampMicrosecondArray};
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::generate::catalog::CATEGORIES;
use crate::generate::options::GenerateError;
use crate::generate::plan::month_key;
use crate::generate::records::{CHANNELS, Data, LineRec, NO_CUSTOMER, STATUSES};
use crate::io::schema::Source;

/// Blocks per customers file.
const BLOCKS_PER_CUSTOMER_FILE: usize = 64;
const ZSTD_LEVEL: i32 = 3;

/// One Parquet file to write.
pub(super) enum Task {
    Orders { path: PathBuf, rows: Vec<u32> },
    Lines { path: PathBuf, rows: Vec<u32>, extra: Range<usize> },
    Returns { path: PathBuf, rows: Range<usize> },
    Tickets { path: PathBuf, rows: Range<usize> },
    Referrals { path: PathBuf, rows: Range<usize> },
    Reviews { path: PathBuf, rows: Range<usize> },
    Customers { path: PathBuf, batches: Range<usize> },
}

impl Data {
    /// Sorts every collection by explicit keys and cuts it into one file per month.
    pub(super) fn tasks(&mut self, out: &Path, first_month: i32) -> Vec<Task> {
        let mut tasks = Vec::new();
        let orders = &self.orders;
        let mut seq: Vec<u32> = (0..orders.len() as u32).collect();
        seq.sort_unstable_by_key(|&i| {
            let o = &orders[i as usize];
            (o.ts, o.id, i)
        });
        self.extra_lines.sort_unstable_by_key(|e| (e.month, e.order_id, e.line.category, e.line.sku));
        let extra = &self.extra_lines;
        let months = group_by(&seq, |&i| month_key(orders[i as usize].ts));
        if months.is_empty() {
            tasks.push(Task::Orders { path: part(out, Source::Orders, first_month), rows: vec![] });
            tasks.push(Task::Lines { path: part(out, Source::OrderLines, first_month), rows: vec![], extra: 0..0 });
        }
        for (month, range) in months {
            let rows: Vec<u32> = seq[range].to_vec();
            let lo = extra.partition_point(|e| e.month < month);
            let hi = extra.partition_point(|e| e.month <= month);
            tasks.push(Task::Lines { path: part(out, Source::OrderLines, month), rows: rows.clone(), extra: lo..hi });
            tasks.push(Task::Orders { path: part(out, Source::Orders, month), rows });
        }

        let returns = &mut self.returns;
        returns.sort_unstable_by_key(|r| (r.ts, orders[r.order as usize].id, r.line));
        for (month, rows) in group_or_empty(returns, first_month, |r| month_key(r.ts)) {
            tasks.push(Task::Returns { path: part(out, Source::Returns, month), rows });
        }
        self.tickets.sort_unstable_by_key(|t| (t.ts, t.cust, t.cost_cents));
        for (month, rows) in group_or_empty(&self.tickets, first_month, |t| month_key(t.ts)) {
            tasks.push(Task::Tickets { path: part(out, Source::SupportTickets, month), rows });
        }
        self.referrals.sort_unstable_by_key(|r| (r.ts, r.referred, r.referrer));
        for (month, rows) in group_or_empty(&self.referrals, first_month, |r| month_key(r.ts)) {
            tasks.push(Task::Referrals { path: part(out, Source::Referrals, month), rows });
        }
        self.reviews.sort_unstable_by_key(|r| (r.ts, r.cust, r.rating));
        for (month, rows) in group_or_empty(&self.reviews, first_month, |r| month_key(r.ts)) {
            tasks.push(Task::Reviews { path: part(out, Source::Reviews, month), rows });
        }
        let n = self.customers.len();
        for (k, start) in (0..n.max(1)).step_by(BLOCKS_PER_CUSTOMER_FILE).enumerate() {
            let path = out.join(Source::Customers.name()).join(format!("part-{k}.parquet"));
            tasks.push(Task::Customers { path, batches: start..(start + BLOCKS_PER_CUSTOMER_FILE).min(n) });
        }
        tasks
    }

    pub(super) fn write(&self, task: &Task) -> Result<(), GenerateError> {
        let (source, path, batch) = match task {
            Task::Orders { path, rows } => (Source::Orders, path, self.orders_batch(rows)),
            Task::Lines { path, rows, extra } => (Source::OrderLines, path, self.lines_batch(rows, extra.clone())),
            Task::Returns { path, rows } => (Source::Returns, path, self.returns_batch(rows.clone())),
            Task::Tickets { path, rows } => (Source::SupportTickets, path, self.tickets_batch(rows.clone())),
            Task::Referrals { path, rows } => (Source::Referrals, path, self.referrals_batch(rows.clone())),
            Task::Reviews { path, rows } => (Source::Reviews, path, self.reviews_batch(rows.clone())),
            Task::Customers { path, batches } => {
                let schema = Source::Customers.arrow_schema();
                return write_parquet(path, schema, &self.customers[batches.clone()]);
            }
        };
        let table = source.name();
        let batch = batch.map_err(|source| GenerateError::Arrow { table, source })?;
        write_parquet(path, source.arrow_schema(), &[batch])
    }

    fn orders_batch(&self, rows: &[u32]) -> Result<RecordBatch, ArrowError> {
        let n = rows.len();
        let (mut id, mut cust) = (StringBuilder::with_capacity(n, n * 10), StringBuilder::with_capacity(n, n * 8));
        let (mut status, mut channel) =
            (StringBuilder::with_capacity(n, n * 9), StringBuilder::with_capacity(n, n * 5));
        let mut ts = Vec::with_capacity(n);
        for &i in rows {
            let o = &self.orders[i as usize];
            order_id(&mut id, o.id);
            customer_id(&mut cust, o.cust);
            status.append_value(STATUSES[o.status as usize]);
            channel.append_value(CHANNELS[o.channel as usize]);
            ts.push(o.ts);
        }
        batch(
            Source::Orders,
            vec![
                Arc::new(id.finish()),
                Arc::new(cust.finish()),
                Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
                Arc::new(status.finish()),
                Arc::new(channel.finish()),
            ],
        )
    }

    fn lines_batch(&self, rows: &[u32], extra: Range<usize>) -> Result<RecordBatch, ArrowError> {
        let n: usize = rows.iter().map(|&i| self.orders[i as usize].n_lines as usize).sum::<usize>() + extra.len();
        let mut id = StringBuilder::with_capacity(n, n * 10);
        let mut sku = StringBuilder::with_capacity(n, n * 9);
        let mut category = StringBuilder::with_capacity(n, n * 10);
        let (mut qty, mut unit, mut list, mut cost) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let mut push = |oid: u64, l: &LineRec| {
            order_id(&mut id, oid);
            let cat = &CATEGORIES[l.category as usize];
            write!(sku, "{}-{:05}", cat.sku_prefix, l.sku).ok();
            sku.append_value("");
            category.append_value(cat.name);
            qty.push(l.quantity);
            unit.push(money(l.unit_cents));
            list.push(money(l.list_cents));
            cost.push(money(l.cost_cents));
        };
        for &i in rows {
            let o = &self.orders[i as usize];
            for l in &self.lines[o.first_line as usize..o.first_line as usize + o.n_lines as usize] {
                push(o.id, l);
            }
        }
        for e in &self.extra_lines[extra] {
            push(e.order_id, &e.line);
        }
        batch(
            Source::OrderLines,
            vec![
                Arc::new(id.finish()),
                Arc::new(sku.finish()),
                Arc::new(category.finish()),
                Arc::new(Int64Array::from(qty)),
                Arc::new(Float64Array::from(unit)),
                Arc::new(Float64Array::from(list)),
                Arc::new(Float64Array::from(cost)),
            ],
        )
    }

    fn returns_batch(&self, rows: Range<usize>) -> Result<RecordBatch, ArrowError> {
        let rows = &self.returns[rows];
        let n = rows.len();
        let (mut id, mut sku) = (StringBuilder::with_capacity(n, n * 10), StringBuilder::with_capacity(n, n * 9));
        let (mut qty, mut refund, mut ts) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for r in rows {
            order_id(&mut id, self.orders[r.order as usize].id);
            let l = &self.lines[r.line as usize];
            write!(sku, "{}-{:05}", CATEGORIES[l.category as usize].sku_prefix, l.sku).ok();
            sku.append_value("");
            qty.push(r.quantity);
            refund.push(money(r.refund_cents));
            ts.push(r.ts);
        }
        batch(
            Source::Returns,
            vec![
                Arc::new(id.finish()),
                Arc::new(sku.finish()),
                Arc::new(Int64Array::from(qty)),
                Arc::new(Float64Array::from(refund)),
                Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
            ],
        )
    }

    fn tickets_batch(&self, rows: Range<usize>) -> Result<RecordBatch, ArrowError> {
        let rows = &self.tickets[rows];
        let n = rows.len();
        let mut cust = StringBuilder::with_capacity(n, n * 8);
        let (mut ts, mut cost) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for t in rows {
            customer_id(&mut cust, t.cust);
            ts.push(t.ts);
            cost.push((t.cost_cents >= 0).then(|| money(t.cost_cents)));
        }
        batch(
            Source::SupportTickets,
            vec![
                Arc::new(cust.finish()),
                Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
                Arc::new(Float64Array::from(cost)),
            ],
        )
    }

    fn referrals_batch(&self, rows: Range<usize>) -> Result<RecordBatch, ArrowError> {
        let rows = &self.referrals[rows];
        let n = rows.len();
        let (mut from, mut to) = (StringBuilder::with_capacity(n, n * 8), StringBuilder::with_capacity(n, n * 8));
        let mut ts = Vec::with_capacity(n);
        for r in rows {
            customer_id(&mut from, r.referrer);
            customer_id(&mut to, r.referred);
            ts.push(r.ts);
        }
        batch(
            Source::Referrals,
            vec![
                Arc::new(from.finish()),
                Arc::new(to.finish()),
                Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
            ],
        )
    }

    fn reviews_batch(&self, rows: Range<usize>) -> Result<RecordBatch, ArrowError> {
        let rows = &self.reviews[rows];
        let n = rows.len();
        let mut cust = StringBuilder::with_capacity(n, n * 8);
        let (mut ts, mut rating) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for r in rows {
            customer_id(&mut cust, r.cust);
            ts.push(r.ts);
            rating.push(r.rating as i64);
        }
        batch(
            Source::Reviews,
            vec![
                Arc::new(cust.finish()),
                Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
                Arc::new(Int64Array::from(rating)),
            ],
        )
    }
}

fn batch(source: Source, columns: Vec<ArrayRef>) -> Result<RecordBatch, ArrowError> {
    RecordBatch::try_new(source.arrow_schema(), columns)
}

fn money(cents: i64) -> f64 {
    cents as f64 / 100.0
}

fn order_id(b: &mut StringBuilder, id: u64) {
    write!(b, "O{id:09}").ok();
    b.append_value("");
}

fn customer_id(b: &mut StringBuilder, cust: u32) {
    if cust == NO_CUSTOMER {
        b.append_null();
    } else {
        write!(b, "C{:07}", cust as u64 + 1).ok();
        b.append_value("");
    }
}

/// `<out>/<source>/<column>=YYYY-MM/part-0.parquet`, the file of one month of a source.
fn part(out: &Path, source: Source, month: i32) -> PathBuf {
    let mut dir = out.join(source.name());
    if let Some(column) = source.partition_column() {
        dir.push(format!("{column}={:04}-{:02}", month.div_euclid(12), month.rem_euclid(12) + 1));
    }
    dir.join("part-0.parquet")
}

/// Consecutive runs of equal keys in a sorted slice.
fn group_by<T>(items: &[T], key: impl Fn(&T) -> i32) -> Vec<(i32, Range<usize>)> {
    let mut out: Vec<(i32, Range<usize>)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let k = key(item);
        match out.last_mut() {
            Some((last, range)) if *last == k => range.end = i + 1,
            _ => out.push((k, i..i + 1)),
        }
    }
    out
}

/// Like [`group_by`], but an empty source still gets one (empty) file so its folder and
/// schema exist.
fn group_or_empty<T>(items: &[T], first_month: i32, key: impl Fn(&T) -> i32) -> Vec<(i32, Range<usize>)> {
    let groups = group_by(items, key);
    if groups.is_empty() { vec![(first_month, 0..0)] } else { groups }
}

fn write_parquet(path: &Path, schema: SchemaRef, batches: &[RecordBatch]) -> Result<(), GenerateError> {
    let io = |source| GenerateError::Io { path: path.to_path_buf(), source };
    let pq = |source| GenerateError::Parquet { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let file = std::fs::File::create(path).map_err(io)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL).map_err(pq)?))
        .build();
    let mut writer = ArrowWriter::try_new(std::io::BufWriter::new(file), schema, Some(props)).map_err(pq)?;
    for b in batches {
        writer.write(b).map_err(pq)?;
    }
    let mut buffered = writer.into_inner().map_err(pq)?;
    buffered.flush().map_err(io)?;
    Ok(())
}

/// Removes what a previous run wrote (the source folders and the manifest), nothing else.
pub(super) fn remove_previous(out: &Path) -> Result<(), GenerateError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| GenerateError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    for source in Source::ALL {
        let dir = out.join(source.name());
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
    }
    let manifest = out.join("_generator.json");
    if manifest.exists() {
        std::fs::remove_file(&manifest).map_err(io(&manifest))?;
    }
    Ok(())
}
