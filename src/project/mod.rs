//! The project: the SQL models in `sql/` (one file, one SELECT, named by its file stem), their
//! declarations (`models.toml`), the Rust models that join them, and the assertions; loaded
//! into one graph in dependency order.

pub mod declarations;
pub mod diagnostics;
mod files;
mod graph;
pub mod model_files;

use std::collections::{BTreeMap, BTreeSet};

use datafusion::execution::context::SessionState;

use self::declarations::{Materialized, ModelDeclaration};
use self::files::{add_rust_models, check_known, parse_model, resolve, stem};
use self::model_files::{DECLARATIONS, ModelsLocation};
use crate::error::ModelError;
use crate::models::FittedModel;

/// Folder (under the models folder) of custom assertion SELECTs; they are tests, not models.
pub const TESTS_DIR: &str = "tests";

/// One SQL model.
#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    /// Path as shown in messages (relative to the working directory when possible).
    pub file: String,
    pub sql: String,
    /// Models this one reads.
    pub depends_on: BTreeSet<String>,
    /// Sources this one reads (`raw.<name>`).
    pub sources: BTreeSet<String>,
    pub declaration: ModelDeclaration,
    /// SQL, or a model computed in Rust.
    pub kind: ModelKind,
}

#[derive(Debug, Clone, Copy)]
pub enum ModelKind {
    Sql,
    Rust(&'static dyn FittedModel),
}

impl Model {
    pub fn materialized(&self) -> Materialized {
        match self.kind {
            // A Rust model's result exists only once written: it is always a table.
            ModelKind::Rust(_) => Materialized::Table,
            ModelKind::Sql => self.declaration.materialized,
        }
    }
}

/// A custom assertion: a SELECT that returns the rows violating a rule.
#[derive(Debug, Clone)]
pub struct Assertion {
    pub name: String,
    pub file: String,
    pub sql: String,
    pub depends_on: BTreeSet<String>,
}

/// All models of a project, in dependency order.
#[derive(Debug, Clone)]
pub struct Project {
    /// Topologically sorted (dependencies first; ties by name).
    pub models: Vec<Model>,
    pub assertions: Vec<Assertion>,
}

impl Project {
    /// Reads every `*.sql` file and `models.toml` of `location`, checks references and cycles.
    pub fn load(location: ModelsLocation<'_>, state: &SessionState) -> Result<Project, ModelError> {
        let declarations = match location.declarations()? {
            Some(file) => declarations::parse(&file.text, &file.display)?,
            None => BTreeMap::new(),
        };
        let mut models: BTreeMap<String, Model> = BTreeMap::new();
        let mut assertion_files = Vec::new();
        for file in location.sql_files()? {
            if file.relative.starts_with(TESTS_DIR) {
                assertion_files.push(file);
                continue;
            }
            let model = parse_model(&file, state, &declarations)?;
            if let Some(previous) = models.get(&model.name) {
                return Err(ModelError::Duplicate {
                    name: model.name.clone(),
                    first: previous.file.clone(),
                    second: model.file,
                });
            }
            models.insert(model.name.clone(), model);
        }
        add_rust_models(&mut models, &declarations);
        if let Some(name) = declarations.keys().find(|name| !models.contains_key(*name)) {
            return Err(ModelError::Declaration {
                file: format!("{}/{DECLARATIONS}", location.describe()),
                message: format!("declares `{name}`, but there is no {name}.sql"),
            });
        }
        let known: BTreeSet<String> = models.keys().cloned().collect();
        for model in models.values() {
            check_known(&model.file, &model.depends_on, &known)?;
        }
        let mut assertions = Vec::new();
        for file in assertion_files {
            let refs = resolve(&file, state)?;
            check_known(&file.display, &refs.models, &known)?;
            assertions.push(Assertion {
                name: stem(&file.relative),
                file: file.display,
                sql: file.text,
                depends_on: refs.models,
            });
        }
        let models = graph::topological_order(models)?;
        Ok(Project { models, assertions })
    }

    pub fn get(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }
}
