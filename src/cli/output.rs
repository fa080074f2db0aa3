//! What a command prints: one JSON document on stdout, logs (text or JSON) on stderr.

use serde_json::json;

use super::args::LogFormat;
use crate::error::{Error, ExitStatus};

pub fn print_json(value: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(value).expect("JSON"));
}

pub fn report_error(error: &Error) -> ExitStatus {
    tracing::error!("{error}");
    print_json(&json!({ "status": "error", "error": { "kind": error.kind(), "message": error.to_string() } }));
    error.exit_status()
}

/// The default `--log` filter.
pub const DEFAULT_LOG: &str = "info";

/// Logs on stderr. With JSON logs (for log shippers) and the default filter, the per-model lines
/// (debug on a terminal, where the progress bar and the summary say enough) are kept too.
pub fn init_logging(format: LogFormat, filter: &str) {
    let filter = match format {
        LogFormat::Json if filter == DEFAULT_LOG => "info,vipseg::run::pipeline=debug",
        _ => filter,
    };
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
