//! The data-quality gate: per source, rows read by staging, accepted and rejected, from the
//! `source_quality` model; the run fails when a source rejects more than `max_rejected_rate`.

use std::collections::BTreeSet;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::prelude::SessionContext;

use crate::error::Error;
use crate::project::Project;
use crate::run::results::SourceQuality;

/// The model whose rows are (source, input_rows, accepted_rows, rejected_rows).
pub const QUALITY_MODEL: &str = "source_quality";

pub async fn source_quality(
    ctx: &SessionContext,
    project: &Project,
    needed: &BTreeSet<String>,
) -> Result<Vec<SourceQuality>, Error> {
    if project.get(QUALITY_MODEL).is_none() || !needed.contains(QUALITY_MODEL) {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT source, CAST(input_rows AS BIGINT), CAST(accepted_rows AS BIGINT), CAST(rejected_rows AS BIGINT) \
         FROM {QUALITY_MODEL} ORDER BY source"
    );
    let batches = ctx.sql(&sql).await?.collect().await?;
    let mut rows = Vec::new();
    for batch in &batches {
        let names = datafusion::arrow::compute::cast(batch.column(0), &DataType::Utf8)
            .map_err(datafusion::error::DataFusionError::from)?;
        let names = names.as_string::<i32>();
        let int = |i: usize| batch.column(i).as_primitive::<Int64Type>().clone();
        let (input, accepted, rejected) = (int(1), int(2), int(3));
        for row in 0..batch.num_rows() {
            let source = names.value(row).to_string();
            let input_rows = input.value(row).max(0) as u64;
            let rejected_rows = rejected.value(row).max(0) as u64;
            rows.push(SourceQuality {
                source,
                input_rows,
                accepted_rows: accepted.value(row).max(0) as u64,
                rejected_rows,
                rejected_rate: if input_rows == 0 { 0.0 } else { rejected_rows as f64 / input_rows as f64 },
            });
        }
    }
    Ok(rows)
}

pub fn too_many_rejected(quality: &[SourceQuality], max_rate: f64) -> bool {
    quality.iter().any(|q| q.rejected_rate > max_rate)
}
