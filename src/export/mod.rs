//! Audience files for the ad platforms: the rules that normalise personal data by each
//! platform's published rules (`normalize`; their SQL functions are in `crate::functions`), the files (one per audience and platform, written by the engine
//! from the platform's SQL model) and their adds and removes against the previous date.

pub mod diff;
pub mod file;
pub mod normalize;
pub mod platform;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::audiences::Platform;

/// One audience file in the run results.
#[derive(Debug, Clone, Serialize)]
pub struct AudienceFile {
    pub audience: String,
    pub platform: Platform,
    /// The segment behind the audience.
    pub segment: String,
    /// The value sent per member (a `customer_value` column), for value-based files.
    pub value: Option<&'static str>,
    /// Where the published file is (set once the run has published).
    pub url: Option<String>,
    pub rows: u64,
    /// Members of the segment not in the file, by reason: `no_consent` (no ad consent, or no
    /// customer record), `no_identifier` (nothing the platform can match on),
    /// `no_positive_value` (value-based files only).
    pub left_out: BTreeMap<String, u64>,
    /// Per field: members in the file whose record held a value that could not be normalised
    /// (left empty, never uploaded as it was).
    pub empty_fields: BTreeMap<String, u64>,
    /// Rows added and removed since the previous published date (all rows are adds when there is
    /// none), and where those files are.
    pub adds: u64,
    pub removes: u64,
    pub adds_url: Option<String>,
    pub removes_url: Option<String>,
    /// The date compared with, if any.
    pub previous_as_of: Option<chrono::NaiveDate>,
    /// Platform minimums not met (the file is written all the same).
    pub warnings: Vec<String>,
}
