//! `models.toml` next to the SQL files: how each model is materialized and the data tests
//! declared on its columns, in the manner of dbt's `schema.yml`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::ModelError;

/// How a model's result is kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Materialized {
    /// Inlined into the models that read it; nothing is written.
    #[default]
    View,
    /// Written as Parquet to the run's staging area, tested, then published.
    Table,
}

fn yes() -> bool {
    true
}

/// One model's declaration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelDeclaration {
    #[serde(default)]
    pub materialized: Materialized,
    /// A table that is only a step for other models: written to the run's staging area (so it
    /// is computed once, however many models read it) and tested, but not published.
    #[serde(default = "yes")]
    pub publish: bool,
    /// What the table holds, for `vipseg ls` and the README.
    #[serde(default)]
    pub description: String,
    /// Data tests per column: `customer_id = ["not_null", "unique"]`.
    #[serde(default)]
    pub tests: BTreeMap<String, Vec<ColumnTest>>,
}

impl Default for ModelDeclaration {
    fn default() -> Self {
        Self { materialized: Materialized::View, publish: true, description: String::new(), tests: BTreeMap::new() }
    }
}

/// A generic column test.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ColumnTest {
    /// `"not_null"` or `"unique"`.
    Named(NamedTest),
    /// `{ accepted_values = ["a", "b"] }`.
    AcceptedValues { accepted_values: Vec<String> },
    /// `{ relationships = { to = "customer_value", field = "customer_id" } }`.
    Relationships { relationships: Relationship },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamedTest {
    NotNull,
    Unique,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relationship {
    pub to: String,
    pub field: String,
}

/// Parses `models.toml` (`file` names it in errors).
pub fn parse(text: &str, file: &str) -> Result<BTreeMap<String, ModelDeclaration>, ModelError> {
    toml::from_str(text).map_err(|e| ModelError::Declaration { file: file.to_string(), message: e.to_string() })
}
