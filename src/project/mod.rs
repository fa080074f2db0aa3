//! The SQL models in `sql/`: one file, one SELECT, named by its file stem. Finds them, reads
//! what relations each one reads (DataFusion's SQL parser), orders them by dependency and
//! applies `--select`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use datafusion::config::Dialect;
use datafusion::execution::context::SessionState;
use datafusion::sql::parser::Statement;
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;

use crate::declarations::{self, Materialized, ModelDeclaration};
use crate::error::ModelError;
use crate::rust_models::RustModel;
use crate::sources::RAW_SCHEMA;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Sql,
    Rust(RustModel),
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
    pub dir: PathBuf,
    /// Topologically sorted (dependencies first; ties by name).
    pub models: Vec<Model>,
    pub assertions: Vec<Assertion>,
}

impl Project {
    /// Reads every `*.sql` under `dir` and `dir/models.toml`, checks references and cycles.
    pub fn load(dir: &Path, state: &SessionState) -> Result<Project, ModelError> {
        let declarations = declarations::load(&dir.join("models.toml"))?;
        let mut files = Vec::new();
        collect_sql_files(dir, &mut files)?;
        files.sort();
        let mut models: BTreeMap<String, Model> = BTreeMap::new();
        let mut assertion_files = Vec::new();
        for path in files {
            let in_tests = path.strip_prefix(dir).is_ok_and(|p| p.starts_with(TESTS_DIR));
            if in_tests {
                assertion_files.push(path);
                continue;
            }
            let model = parse_model(&path, state, &declarations)?;
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
        for name in declarations.keys() {
            if !models.contains_key(name) {
                return Err(ModelError::Declaration {
                    file: dir.join("models.toml").display().to_string(),
                    message: format!("declares `{name}`, but there is no {name}.sql"),
                });
            }
        }
        let known: BTreeSet<String> = models.keys().cloned().collect();
        for model in models.values() {
            check_known(&model.file, &model.depends_on, &known)?;
        }
        let mut assertions = Vec::new();
        for path in assertion_files {
            let (sql, file, refs) = read_and_resolve(&path, state)?;
            check_known(&file, &refs.models, &known)?;
            let name = stem(&path);
            assertions.push(Assertion { name, file, sql, depends_on: refs.models });
        }
        let models = topological_order(models)?;
        Ok(Project { dir: dir.to_path_buf(), models, assertions })
    }

    pub fn get(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.name == name)
    }

    /// dbt-style selection: `name`, `name+` (and everything downstream), `+name` (and upstream).
    /// No selector selects everything.
    pub fn select(&self, selectors: &[String]) -> Result<BTreeSet<String>, ModelError> {
        if selectors.is_empty() {
            return Ok(self.models.iter().map(|m| m.name.clone()).collect());
        }
        let mut selected = BTreeSet::new();
        for selector in selectors.iter().flat_map(|s| s.split([',', ' '])).filter(|s| !s.is_empty()) {
            let upstream = selector.starts_with('+');
            let downstream = selector.ends_with('+');
            let name = selector.trim_matches('+');
            if self.get(name).is_none() {
                return Err(ModelError::UnknownSelector { selector: selector.to_string() });
            }
            selected.insert(name.to_string());
            if upstream {
                selected.extend(self.ancestors(name));
            }
            if downstream {
                selected.extend(self.descendants(name));
            }
        }
        Ok(selected)
    }

    /// Every model `name` reads, directly or not.
    pub fn ancestors(&self, name: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut stack = vec![name.to_string()];
        while let Some(current) = stack.pop() {
            if let Some(model) = self.get(&current) {
                for dep in &model.depends_on {
                    if found.insert(dep.clone()) {
                        stack.push(dep.clone());
                    }
                }
            }
        }
        found
    }

    /// Every model that reads `name`, directly or not.
    pub fn descendants(&self, name: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        // Models are in dependency order, so one forward pass sees each parent before its child.
        for model in &self.models {
            if model.depends_on.iter().any(|d| d == name || found.contains(d)) {
                found.insert(model.name.clone());
            }
        }
        found
    }
}

fn collect_sql_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ModelError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ModelError::Read { path: dir.to_path_buf(), source })?;
    for entry in entries {
        let path = entry.map_err(|source| ModelError::Read { path: dir.to_path_buf(), source })?.path();
        if path.is_dir() {
            collect_sql_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "sql") {
            out.push(path);
        }
    }
    Ok(())
}

fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// A path as a person would type it: relative to the working directory when below it.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd).unwrap_or(path).display().to_string()
}

struct References {
    models: BTreeSet<String>,
    sources: BTreeSet<String>,
}

fn parse_model(
    path: &Path,
    state: &SessionState,
    declarations: &BTreeMap<String, ModelDeclaration>,
) -> Result<Model, ModelError> {
    let (sql, file, refs) = read_and_resolve(path, state)?;
    let name = stem(path);
    let declaration = declarations.get(&name).cloned().unwrap_or_default();
    Ok(Model { name, file, sql, depends_on: refs.models, sources: refs.sources, declaration, kind: ModelKind::Sql })
}

/// Adds each Rust model whose inputs the project has (and that no SQL file overrides).
fn add_rust_models(models: &mut BTreeMap<String, Model>, declarations: &BTreeMap<String, ModelDeclaration>) {
    for rust in RustModel::ALL {
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

fn read_and_resolve(path: &Path, state: &SessionState) -> Result<(String, String, References), ModelError> {
    let file = display_path(path);
    let sql = std::fs::read_to_string(path).map_err(|source| ModelError::Read { path: path.to_path_buf(), source })?;
    let statement =
        state.sql_to_statement(&sql, &Dialect::Generic).map_err(|e| crate::diagnostics::sql_error(&file, &sql, &e))?;
    let is_query = matches!(&statement, Statement::Statement(s) if matches!(s.as_ref(), SqlStatement::Query(_)));
    if !is_query {
        return Err(ModelError::Sql {
            location: file,
            message: "a model is exactly one SELECT (WITH ... SELECT); DDL and other statements are not allowed".into(),
        });
    }
    let tables =
        state.resolve_table_references(&statement).map_err(|e| crate::diagnostics::sql_error(&file, &sql, &e))?;
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
    Ok((sql, file, refs))
}

fn check_known(file: &str, depends_on: &BTreeSet<String>, known: &BTreeSet<String>) -> Result<(), ModelError> {
    match depends_on.iter().find(|d| !known.contains(*d)) {
        Some(unknown) => Err(ModelError::UnknownRelation { file: file.to_string(), relation: unknown.clone() }),
        None => Ok(()),
    }
}

/// Kahn's algorithm with ties broken by name, so the order is stable across runs. Hand-written
/// (30 lines) because the error must name the files of the cycle, which graph crates do not give.
fn topological_order(mut models: BTreeMap<String, Model>) -> Result<Vec<Model>, ModelError> {
    let mut ordered = Vec::with_capacity(models.len());
    let mut done: BTreeSet<String> = BTreeSet::new();
    while !models.is_empty() {
        let ready: Vec<String> =
            models.values().filter(|m| m.depends_on.iter().all(|d| done.contains(d))).map(|m| m.name.clone()).collect();
        if ready.is_empty() {
            return Err(ModelError::Cycle { cycle: describe_cycle(&models) });
        }
        for name in ready {
            let model = models.remove(&name).expect("ready model present");
            done.insert(name);
            ordered.push(model);
        }
    }
    Ok(ordered)
}

/// Walks unresolved dependencies from any remaining model until a model repeats.
fn describe_cycle(remaining: &BTreeMap<String, Model>) -> String {
    let mut path: Vec<&Model> = Vec::new();
    let mut current = remaining.values().next().expect("non-empty");
    loop {
        if let Some(pos) = path.iter().position(|m| m.name == current.name) {
            let cycle: Vec<String> = path[pos..]
                .iter()
                .chain(std::iter::once(&current))
                .map(|m| format!("{} ({})", m.name, m.file))
                .collect();
            return cycle.join(" -> ");
        }
        path.push(current);
        let next = current
            .depends_on
            .iter()
            .find_map(|d| remaining.get(d))
            .expect("a model in a cycle has a remaining dependency");
        current = next;
    }
}
