//! The crate's error type: user faults (config, SQL, input data) apart from system faults,
//! each mapped to the documented exit status.

use std::path::PathBuf;

use datafusion::error::DataFusionError;

use crate::generate::GenerateError;

/// Exit statuses of the `vipseg` binary (docs/contract.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitStatus {
    /// Everything ran and was published.
    Success = 0,
    /// The data failed its tests or its quality gate: nothing was published.
    DataFailure = 1,
    /// Configuration, SQL, input schema, or an internal / infrastructure fault.
    Error = 2,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// Errors of the configuration layer: every message names the key or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid value for `{key}`: {message}")]
    Invalid { key: String, message: String },
    #[error("missing required setting `{key}`")]
    Missing { key: String },
}

impl ConfigError {
    pub fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { key: key.into(), message: message.into() }
    }
}

/// Errors in the SQL models: every message names the file (and line when known).
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read models in {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{location}: {message}")]
    Sql { location: String, message: String },
    #[error("{file}: reads unknown relation `{relation}` (not a model, not a source)")]
    UnknownRelation { file: String, relation: String },
    #[error("dependency cycle between models: {cycle}")]
    Cycle { cycle: String },
    #[error("model `{name}` is defined twice: {first} and {second}")]
    Duplicate { name: String, first: String, second: String },
    #[error("{file}: {message}")]
    Declaration { file: String, message: String },
}

/// Command-line usage the project cannot satisfy (the options themselves parsed).
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("--select `{selector}` matches no model")]
    UnknownSelector { selector: String },
    #[error("{path} exists already; `vipseg init` never overwrites (choose another folder)")]
    WouldOverwrite { path: PathBuf },
}

/// Faults in the input data that stop a run before any model runs.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("source `{source_name}`: file {file}: {message}")]
    File { source_name: String, file: String, message: String },
    #[error("source `{source_name}` at {url}: {message}")]
    Source { source_name: String, url: String, message: String },
}

/// Faults while writing, committing or cleaning outputs.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(
        "another run (id {other_run}) published as_of={as_of} while this run was running; nothing was published by this run"
    )]
    Conflict { as_of: String, other_run: String },
    #[error("object store {url}: {source}")]
    Store { url: String, source: object_store::Error },
    #[error("corrupt commit record {path}: {message}")]
    CorruptCommit { path: String, message: String },
}

/// Any error a vipseg command can end with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error("generate: {0}")]
    Generate(#[from] GenerateError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error("CLV model: {0}")]
    Clv(String),
    #[error("query engine: {0}")]
    Engine(#[from] DataFusionError),
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io { context: context.into(), source }
    }

    /// Short machine-readable kind, for the JSON result of a failed run.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Config(_) => "config",
            Error::Model(_) => "sql",
            Error::Usage(_) => "usage",
            // Bad options are the caller's to fix; a failed write is the machine's.
            Error::Generate(GenerateError::InvalidOption(_) | GenerateError::UnknownCountry(_)) => "usage",
            Error::Generate(_) => "io",
            Error::Input(_) => "input",
            Error::Publish(_) => "publish",
            Error::Clv(_) => "clv",
            Error::Engine(_) => "engine",
            Error::Io { .. } => "io",
            Error::Internal(_) => "internal",
        }
    }

    pub fn exit_status(&self) -> ExitStatus {
        ExitStatus::Error
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
