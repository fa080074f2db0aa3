//! What reads the project but writes nothing: `compile` and `run --dry-run` (plan every model
//! against the sources' real schemas), the data tests on a published run (`vipseg test`), and
//! the latest commit of a date (what `backfill` skips).

use std::collections::BTreeSet;

use chrono::{NaiveDate, Utc};
use serde::Serialize;

use super::data_tests::TestResult;
use super::pipeline::{Session, open_session, run_tests};
use super::publish::{self, Commit};
use super::runner;
use crate::config::Config;
use crate::config::windows::Windows;
use crate::engine;
use crate::error::Error;
use crate::io::store;
use crate::project::ModelKind;

/// One model of `compile`'s report.
#[derive(Debug, Clone, Serialize)]
pub struct Compiled {
    pub name: String,
    pub file: String,
    pub status: &'static str,
}

/// Plans every model and assertion against the sources' real schemas without running them.
pub async fn compile(config: &Config, as_of: NaiveDate) -> Result<Vec<Compiled>, Error> {
    let (session, _) = open_session(config, &Windows::new(as_of), Utc::now()).await?;
    compile_models(&session).await
}

/// Plans every model and assertion of an opened session.
async fn compile_models(session: &Session) -> Result<Vec<Compiled>, Error> {
    let mut compiled = Vec::new();
    for model in &session.project.models {
        match model.kind {
            ModelKind::Sql => {
                runner::compile(&session.ctx, &model.name, &model.file, &model.sql, &session.params).await?
            }
            // A fit cannot be planned without running it: its empty result stands in, with its schema.
            ModelKind::Rust(rust) => {
                runner::register_view(&session.ctx, &model.name, rust.empty(&session.ctx)?).await?
            }
        }
        compiled.push(Compiled { name: model.name.clone(), file: model.file.clone(), status: "ok" });
    }
    for assertion in &session.project.assertions {
        let frame = runner::plan(&session.ctx, &assertion.file, &assertion.sql, &session.params).await?;
        frame
            .create_physical_plan()
            .await
            .map_err(|e| crate::project::diagnostics::sql_error(&assertion.file, &assertion.sql, &e))?;
        compiled.push(Compiled { name: assertion.name.clone(), file: assertion.file.clone(), status: "ok" });
    }
    Ok(compiled)
}

/// Runs the data tests on the latest published run of `as_of` (`vipseg test`).
pub async fn test_published(config: &Config, as_of: NaiveDate) -> Result<Vec<TestResult>, Error> {
    let (session, _) = open_session(config, &Windows::new(as_of), Utc::now()).await?;
    let output = store::open(&session.ctx, &config.output.url, "output.url", &config.engine)?;
    let commit = publish::latest_commit(&output, as_of)
        .await?
        .ok_or_else(|| Error::Internal(format!("nothing published for as_of={as_of} under {}", output.url)))?;
    let mut tables = BTreeSet::new();
    for model in &session.project.models {
        match commit.tables.get(&model.name) {
            Some(published) => {
                runner::register_files(&session.ctx, &model.name, &published.urls(&output)).await?;
                tables.insert(model.name.clone());
            }
            None if matches!(model.kind, ModelKind::Sql) => {
                let frame = runner::plan(&session.ctx, &model.file, &model.sql, &session.params).await?;
                runner::register_view(&session.ctx, &model.name, frame).await?;
            }
            None => {}
        }
    }
    let all: BTreeSet<String> = session.project.models.iter().map(|m| m.name.clone()).collect();
    run_tests(&session, &tables, &all).await
}

/// The latest commit of `as_of` under the configured output, without opening the sources.
pub async fn latest_published(config: &Config, as_of: NaiveDate) -> Result<Option<Commit>, Error> {
    let ctx = engine::session(&config.engine)?;
    let output = store::open(&ctx, &config.output.url, "output.url", &config.engine)?;
    publish::latest_commit(&output, as_of).await
}

/// What `run --dry-run` found: every model planned, which ones the selection runs, and the
/// commit a run would publish on top of.
#[derive(Debug, Clone, Serialize)]
pub struct DryRun {
    pub models: Vec<Compiled>,
    pub selected: BTreeSet<String>,
    pub output: String,
    /// Sequence number of the latest commit of the date, if any (a run would publish the next).
    pub published_seq: Option<u64>,
}

/// Plans everything `run` would run, against the real sources, and reads the output's latest
/// commit; writes nothing.
pub async fn dry_run(config: &Config, as_of: NaiveDate, select: &[String]) -> Result<DryRun, Error> {
    // One session: the sources' files are listed and checked once.
    let (session, _) = open_session(config, &Windows::new(as_of), Utc::now()).await?;
    let selected = session.project.select(select)?;
    let models = compile_models(&session).await?;
    let output = store::open(&session.ctx, &config.output.url, "output.url", &config.engine)?;
    let published_seq = publish::latest_commit(&output, as_of).await?.map(|c| c.seq);
    Ok(DryRun { models, selected, output: config.output.url.clone(), published_seq })
}
