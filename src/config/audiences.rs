//! `[audiences]` of vipseg.toml: which audiences go to which ad platforms, and the value a
//! value-based audience carries. The defaults of docs/audiences.md stay unless an entry of the
//! same name replaces them; `platforms = []` switches an audience off.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::config::params::RankBy;
use crate::error::ConfigError;

/// An ad platform vipseg writes customer-list files for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Meta,
    Google,
    Tiktok,
    Linkedin,
}

impl Platform {
    pub const ALL: [Platform; 4] = [Platform::Meta, Platform::Google, Platform::Tiktok, Platform::Linkedin];

    pub fn name(self) -> &'static str {
        match self {
            Platform::Meta => "meta",
            Platform::Google => "google",
            Platform::Tiktok => "tiktok",
            Platform::Linkedin => "linkedin",
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The audience that is not a segment: the top decile of `lookalike_scores`.
pub const LOOKALIKE_TOP: &str = "lookalike_top";

/// One audience: who is in it and where it goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudienceConfig {
    /// The segment of `customer_segments` whose members form the audience (`vip` = every tier),
    /// or `lookalike_top`. Default: the audience's own name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// The platforms that get a file; empty = the audience is not written.
    #[serde(default)]
    pub platforms: Vec<Platform>,
    /// For platforms that take a value per person (Meta's value-based lookalike source): the
    /// `customer_value` column sent. Members without a positive value are left out of that file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<RankBy>,
}

impl AudienceConfig {
    /// The segment behind the audience named `name`.
    pub fn segment_of<'a>(&'a self, name: &'a str) -> &'a str {
        self.segment.as_deref().unwrap_or(name)
    }
}

/// Every audience by name: the defaults, with the file's entries replacing those of the same name.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Audiences(pub BTreeMap<String, AudienceConfig>);

impl Default for Audiences {
    fn default() -> Self {
        use Platform::*;
        let entry =
            |platforms: Vec<Platform>, value: Option<RankBy>| AudienceConfig { segment: None, platforms, value };
        Audiences(BTreeMap::from([
            ("vip".to_string(), entry(vec![Meta, Google, Tiktok, Linkedin], Some(RankBy::PredictedClv12m))),
            ("lapsed_vip".to_string(), entry(vec![Meta, Google], None)),
            ("near_vip".to_string(), entry(vec![Meta], None)),
            (LOOKALIKE_TOP.to_string(), entry(vec![Meta, Google], None)),
        ]))
    }
}

impl<'de> Deserialize<'de> for Audiences {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let given = BTreeMap::<String, AudienceConfig>::deserialize(deserializer)?;
        let mut audiences = Audiences::default();
        audiences.0.extend(given);
        Ok(audiences)
    }
}

/// The segments an audience may name (those of `customer_segments`, and `lookalike_top`).
const SEGMENTS: [&str; 12] = [
    "vip",
    "near_vip",
    "lapsed_vip",
    "at_risk_vip",
    "bargain_hunter",
    "high_cost",
    "advocate",
    "new_customer",
    "one_time_buyer",
    "loyal_frequent",
    "big_spender",
    LOOKALIKE_TOP,
];

impl Audiences {
    /// Every (audience, platform) pair to write, in a stable order.
    pub fn files(&self) -> impl Iterator<Item = (&str, &AudienceConfig, Platform)> {
        self.0.iter().flat_map(|(name, audience)| {
            let mut platforms = audience.platforms.clone();
            platforms.sort();
            platforms.dedup();
            platforms.into_iter().map(move |p| (name.as_str(), audience, p))
        })
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        for (name, audience) in &self.0 {
            let valid_name =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid_name {
                return Err(ConfigError::invalid(
                    format!("audiences.{name}"),
                    "an audience name is lowercase letters, digits and `_` (it names files)",
                ));
            }
            let segment = audience.segment_of(name);
            if !SEGMENTS.contains(&segment) {
                return Err(ConfigError::invalid(
                    format!("audiences.{name}.segment"),
                    format!("unknown segment `{segment}`; expected one of {}", SEGMENTS.join(", ")),
                ));
            }
        }
        Ok(())
    }
}
