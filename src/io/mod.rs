//! Input and output: object stores behind the URLs (with retries), the input sources and their
//! canonical schema, and Arrow rows as JSON.

pub mod file_check;
pub mod json_rows;
pub mod parquet;
mod resilient;
pub mod retry;
pub mod schema;
pub mod sources;
pub mod store;
