//! The run results document (in the spirit of dbt's `run_results.json`): what a run read, ran,
//! tested and published. Printed on stdout and stored in the commit record.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::config::params::Params;
use crate::config::windows::Windows;
use crate::error::{Error, ExitStatus};
use crate::export::AudienceFile;
use crate::io::sources::SourceFiles;
use crate::run::data_tests::{TestResult, TestStatus};
use crate::run::runner::ModelResult;
use crate::run::summary::VipTier;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Success,
    /// A data test failed: nothing was published.
    DataTestsFailed,
    /// Too many rows were rejected: nothing was published.
    DataQualityFailed,
    /// Configuration, SQL, input or infrastructure error: nothing was published.
    Error,
}

impl RunStatus {
    pub fn exit_status(self) -> ExitStatus {
        match self {
            RunStatus::Success => ExitStatus::Success,
            RunStatus::DataTestsFailed | RunStatus::DataQualityFailed => ExitStatus::DataFailure,
            RunStatus::Error => ExitStatus::Error,
        }
    }
}

/// Where a successful run's tables were published.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedRun {
    pub output: String,
    pub commit_seq: u64,
    pub tables: Vec<String>,
    /// URL of the date's `report.html` (this run's, or an earlier run's after a `--select` run).
    pub report: Option<String>,
}

/// Rows of one source that staging read, accepted and rejected (input = accepted + rejected).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SourceQuality {
    pub source: String,
    pub input_rows: u64,
    pub accepted_rows: u64,
    pub rejected_rows: u64,
    pub rejected_rate: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunResults {
    pub vipseg_version: &'static str,
    pub run_id: String,
    pub status: RunStatus,
    pub as_of: NaiveDate,
    pub windows: Windows,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub elapsed_seconds: f64,
    pub selected: Vec<String>,
    pub params: Params,
    pub inputs: Vec<SourceFiles>,
    pub models: Vec<ModelResult>,
    pub tests: Vec<TestResult>,
    pub data_quality: Vec<SourceQuality>,
    /// VIP tier sizes and entry thresholds of this run (empty when segments were not built).
    pub vip_tiers: Vec<VipTier>,
    /// Model fits and their diagnostics (CLV, lookalike), by model name.
    pub fits: serde_json::Map<String, serde_json::Value>,
    /// The audience files of this run, one per (audience, platform).
    pub audiences: Vec<AudienceFile>,
    pub published: Option<PublishedRun>,
    pub error: Option<ErrorReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorReport {
    pub kind: &'static str,
    pub message: String,
}

impl RunResults {
    pub fn new(run_id: String, windows: Windows, params: Params) -> Self {
        Self {
            vipseg_version: env!("CARGO_PKG_VERSION"),
            run_id,
            status: RunStatus::Success,
            as_of: windows.as_of,
            windows,
            started_at: Utc::now(),
            finished_at: None,
            elapsed_seconds: 0.0,
            selected: Vec::new(),
            params,
            inputs: Vec::new(),
            models: Vec::new(),
            tests: Vec::new(),
            data_quality: Vec::new(),
            vip_tiers: Vec::new(),
            fits: serde_json::Map::new(),
            audiences: Vec::new(),
            published: None,
            error: None,
        }
    }

    pub fn failed_tests(&self) -> usize {
        self.tests.iter().filter(|t| t.status == TestStatus::Fail).count()
    }

    pub fn fail_with(&mut self, error: &Error) {
        self.status = RunStatus::Error;
        self.error = Some(ErrorReport { kind: error.kind(), message: error.to_string() });
    }

    pub fn finish(&mut self) {
        let now = Utc::now();
        self.finished_at = Some(now);
        self.elapsed_seconds = ((now - self.started_at).num_milliseconds() as f64) / 1000.0;
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("run results serialize")
    }
}
