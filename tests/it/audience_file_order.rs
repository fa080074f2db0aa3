//! An audience file is written in customer order however the engine splits the work: the order is
//! what makes two nights' files byte-identical when their members are (docs/audiences.md).

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use vipseg::config::audiences::Platform;
use vipseg::config::params::RankBy;
use vipseg::export::file::{FileRequest, write};

const MEMBERS: usize = 6_000;
const PARTITIONS: usize = 4;

/// Customer ids in a scrambled order (a fixed permutation), so no input order can pass as sorted.
fn scrambled_ids() -> Vec<String> {
    (0..MEMBERS).map(|i| format!("C{:06}", (i * 3_989) % MEMBERS)).collect()
}

/// The number in a customer id.
fn number(id: &str) -> usize {
    id[1..].parse().unwrap()
}

/// A Meta-shaped model: bookkeeping columns (`_…`) and two file columns. Every seventh member is
/// left out, every eleventh has no positive value.
fn members_table() -> MemTable {
    let schema = Arc::new(Schema::new(vec![
        Field::new("_segment", DataType::Utf8, false),
        Field::new("_customer_id", DataType::Utf8, false),
        Field::new("_left_out", DataType::Utf8, true),
        Field::new("_value_net_value_12m", DataType::Float64, false),
        Field::new("_country", DataType::Utf8, false),
        Field::new("EMAIL", DataType::Utf8, false),
        Field::new("EXTERN_ID", DataType::Utf8, false),
    ]));
    let ids = scrambled_ids();
    let batch = |rows: &[String]| {
        let column = |values: Vec<Option<String>>| Arc::new(StringArray::from(values)) as ArrayRef;
        let each = |f: &dyn Fn(&str) -> Option<String>| column(rows.iter().map(|id| f(id)).collect());
        let values: Vec<f64> =
            rows.iter().map(|id| if number(id).is_multiple_of(11) { 0.0 } else { number(id) as f64 + 0.125 }).collect();
        RecordBatch::try_new(
            schema.clone(),
            vec![
                each(&|_| Some("vip".into())),
                each(&|id| Some(id.into())),
                each(&|id| (number(id).is_multiple_of(7)).then(|| "no_consent".into())),
                Arc::new(Float64Array::from(values)),
                each(&|_| Some("US".into())),
                each(&|id| Some(format!("hash-of-{id}"))),
                each(&|id| Some(id.into())),
            ],
        )
        .unwrap()
    };
    let per_partition = MEMBERS.div_ceil(PARTITIONS);
    let partitions: Vec<Vec<RecordBatch>> =
        ids.chunks(per_partition).map(|part| part.chunks(100).map(batch).collect()).collect();
    MemTable::try_new(schema.clone(), partitions).unwrap()
}

// Small batches on several threads: the engine has every chance to spread the sorted rows over
// its threads and gather them back in another order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_based_file_is_in_customer_order_on_any_number_of_threads() {
    let config = SessionConfig::new().with_target_partitions(PARTITIONS).with_batch_size(64);
    let ctx = SessionContext::new_with_config(config);
    ctx.register_table("audience_meta", Arc::new(members_table())).unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("vip.csv");
    let request = FileRequest {
        segment: "vip",
        platform: Platform::Meta,
        value: Some(RankBy::NetValue12m),
        url: path.to_str().unwrap().to_string(),
    };
    let written = write(&ctx, &request).await.expect("write");

    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("EMAIL,EXTERN_ID,LOOKALIKE_VALUE"));
    let ids: Vec<&str> = lines.map(|line| line.split(',').nth(1).unwrap()).collect();
    let expected: Vec<String> =
        (0..MEMBERS).filter(|n| !n.is_multiple_of(7) && !n.is_multiple_of(11)).map(|n| format!("C{n:06}")).collect();
    assert_eq!(written.rows as usize, expected.len());
    let out_of_order = ids.windows(2).filter(|pair| number(pair[0]) >= number(pair[1])).count();
    assert_eq!(out_of_order, 0, "rows out of customer order, first: {:?}", &ids[..5]);
    assert_eq!(ids, expected);
}
