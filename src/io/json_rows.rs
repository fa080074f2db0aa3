//! Arrow record batches as JSON objects, for samples in run results and test output.

use arrow_json::ArrayWriter;
use datafusion::arrow::record_batch::RecordBatch;

use crate::error::Error;

pub fn to_json_rows(batches: &[RecordBatch]) -> Result<Vec<serde_json::Value>, Error> {
    let mut writer = ArrayWriter::new(Vec::new());
    let refs: Vec<&RecordBatch> = batches.iter().collect();
    writer.write_batches(&refs).map_err(datafusion::error::DataFusionError::from)?;
    writer.finish().map_err(datafusion::error::DataFusionError::from)?;
    let bytes = writer.into_inner();
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_slice(&bytes).map_err(|e| Error::Internal(format!("JSON of result rows: {e}")))
}
