//! vipseg's own SQL functions other than the audience normalisers (tests/it/normalize.rs):
//! `hash(…)`, which `order_lines_checked` counts its (order_id, sku) keys by.

use arrow::array::AsArray;
use arrow::datatypes::UInt64Type;
use datafusion::prelude::SessionContext;
use vipseg::config::EngineConfig;

fn session() -> SessionContext {
    vipseg::engine::session(&EngineConfig::default()).expect("session")
}

/// The booleans of a one-row query, in column order.
async fn checks(ctx: &SessionContext, query: &str) -> Vec<bool> {
    let batch = &ctx.sql(query).await.expect(query).collect().await.expect(query)[0];
    batch.columns().iter().map(|c| c.as_boolean().value(0)).collect()
}

#[tokio::test]
async fn hash_is_one_number_per_key() {
    let ctx = session();
    let facts = checks(
        &ctx,
        "SELECT hash('ab', 'c') = hash('ab', 'c'),
                hash('ab', 'c') <> hash('a', 'bc'),
                hash(NULL, 'c') <> hash('', 'c'),
                hash('ab', 'c') = hash(arrow_cast('ab', 'Utf8View'), arrow_cast('c', 'LargeUtf8')),
                hash(12, 'c') = hash('12', 'c'),
                hash('ab', 'c') IS NOT NULL AND hash(NULL) IS NOT NULL,
                arrow_typeof(hash('a')) = 'UInt64'",
    )
    .await;
    assert_eq!(facts, vec![true; 7]);
}

#[tokio::test]
async fn hash_of_columns_matches_the_keys_row_by_row() {
    let ctx = session();
    let query = "SELECT hash(order_id, sku) AS h FROM (VALUES ('o1', 's1'), ('o1', 's2'), ('o1', 's1'), ('o2', 's1'), (NULL, 's1')) AS t(order_id, sku)";
    let batches = ctx.sql(query).await.expect(query).collect().await.expect(query);
    let hashes = batches[0].column(0).as_primitive::<UInt64Type>();
    assert_eq!(hashes.len(), 5);
    assert_eq!(hashes.value(0), hashes.value(2));
    let distinct: std::collections::BTreeSet<u64> = [0, 1, 3, 4].iter().map(|&i| hashes.value(i)).collect();
    assert_eq!(distinct.len(), 4, "different keys, different hashes: {hashes:?}");
}
