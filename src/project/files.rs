//! Reading the project's files: every `*.sql` under the models folder, what relations each one
//! reads (DataFusion's SQL parser), and the Rust models that join the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use datafusion::config::Dialect;
use datafusion::execution::context::SessionState;
use datafusion::sql::parser::Statement;
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;

use super::declarations::ModelDeclaration;
use super::model_files::ModelFile;
use super::{Model, ModelKind};
use crate::error::ModelError;
use crate::io::sources::RAW_SCHEMA;
use crate::models::REGISTRY;

pub(super) fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

pub(super) struct References {
    pub models: BTreeSet<String>,
    pub sources: BTreeSet<String>,
}

pub(super) fn parse_model(
    file: &ModelFile,
    state: &SessionState,
    declarations: &BTreeMap<String, ModelDeclaration>,
) -> Result<Model, ModelError> {
    let refs = resolve(file, state)?;
    let name = stem(&file.relative);
    let declaration = declarations.get(&name).cloned().unwrap_or_default();
    Ok(Model {
        name,
        file: file.display.clone(),
        sql: file.text.clone(),
        depends_on: refs.models,
        sources: refs.sources,
        declaration,
        kind: ModelKind::Sql,
    })
}

/// Adds each Rust model whose inputs the project has (and that no SQL file overrides).
pub(super) fn add_rust_models(models: &mut BTreeMap<String, Model>, declarations: &BTreeMap<String, ModelDeclaration>) {
    for &rust in REGISTRY {
        let available = rust.reads().iter().all(|r| models.contains_key(*r));
        if !available || models.contains_key(rust.name()) {
            continue;
        }
        models.insert(
            rust.name().to_string(),
            Model {
                name: rust.name().to_string(),
                file: rust.file().to_string(),
                sql: String::new(),
                depends_on: rust.reads().iter().map(|r| r.to_string()).collect(),
                sources: BTreeSet::new(),
                declaration: declarations.get(rust.name()).cloned().unwrap_or_default(),
                kind: ModelKind::Rust(rust),
            },
        );
    }
}

/// Parses a file as one SELECT and finds the models (`name`) and sources (`raw.name`) it reads.
pub(super) fn resolve(model_file: &ModelFile, state: &SessionState) -> Result<References, ModelError> {
    let (file, sql) = (model_file.display.clone(), model_file.text.as_str());
    let statement =
        state.sql_to_statement(sql, &Dialect::Generic).map_err(|e| super::diagnostics::sql_error(&file, sql, &e))?;
    let is_query = matches!(&statement, Statement::Statement(s) if matches!(s.as_ref(), SqlStatement::Query(_)));
    if !is_query {
        return Err(ModelError::Sql {
            location: file,
            message: "a model is exactly one SELECT (WITH ... SELECT); DDL and other statements are not allowed".into(),
        });
    }
    let tables =
        state.resolve_table_references(&statement).map_err(|e| super::diagnostics::sql_error(&file, sql, &e))?;
    let mut refs = References { models: BTreeSet::new(), sources: BTreeSet::new() };
    for table in tables {
        match table.schema() {
            Some(RAW_SCHEMA) => {
                refs.sources.insert(table.table().to_string());
            }
            None => {
                refs.models.insert(table.table().to_string());
            }
            Some(_) => {
                return Err(ModelError::UnknownRelation { file, relation: table.to_string() });
            }
        }
    }
    Ok(refs)
}

pub(super) fn check_known(
    file: &str,
    depends_on: &BTreeSet<String>,
    known: &BTreeSet<String>,
) -> Result<(), ModelError> {
    match depends_on.iter().find(|d| !known.contains(*d)) {
        Some(unknown) => Err(ModelError::UnknownRelation { file: file.to_string(), relation: unknown.clone() }),
        None => Ok(()),
    }
}
