//! A run: sources → models in dependency order → data tests and the quality gate → an
//! all-or-nothing publish, with every outcome in the run results.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use datafusion::common::ParamValues;
use datafusion::prelude::SessionContext;
use futures::{StreamExt, TryStreamExt, stream};

use crate::config::Config;
use crate::config::params::Params;
use crate::config::windows::{Windows, bound_values};
use crate::engine;
use crate::error::Error;
use crate::io::{sources, store};
use crate::project::{Model, Project};
use crate::report;
use crate::run::data_tests::{self, TestResult};
use crate::run::publish::Publisher;
use crate::run::results::{PublishedRun, RunResults, RunStatus};
use crate::run::runner::ModelResult;
use crate::run::schedule::{self, Failed, Finished, ModelContext};
use crate::run::{audiences, quality, summary};

/// What to run.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub config: Config,
    pub as_of: NaiveDate,
    /// dbt-style selectors; empty = every model.
    pub select: Vec<String>,
}

/// A new run id: sortable by start time, unique across machines.
pub fn new_run_id() -> String {
    format!("{}-{:08x}", Utc::now().format("%Y%m%dT%H%M%SZ"), rand::random::<u32>())
}

/// Runs the pipeline. Never returns early: every outcome, errors included, is in the results.
pub async fn run(request: &RunRequest) -> RunResults {
    let windows = Windows::new(request.as_of);
    let mut results = RunResults::new(new_run_id(), windows, request.config.params.clone());
    let mut publisher = None;
    if let Err(error) = execute(request, &mut results, &mut publisher).await {
        tracing::error!("{error}");
        results.fail_with(&error);
        if let Some(publisher) = publisher {
            let _ = publisher.discard().await;
        }
    }
    results.finish();
    results
}

pub(super) struct Session {
    pub ctx: SessionContext,
    pub project: Project,
    pub params: ParamValues,
    config_params: Params,
    /// Models, and then data tests, run at once (`[engine] concurrent_models`).
    concurrency: usize,
}

/// The engine with sources registered and models loaded.
pub(super) async fn open_session(
    config: &Config,
    windows: &Windows,
    started_at: DateTime<Utc>,
) -> Result<(Session, Vec<sources::SourceFiles>), Error> {
    config.require_sources()?;
    let ctx = engine::session(&config.engine)?;
    let inputs = sources::register_all(&ctx, config).await?;
    let project = Project::load(config.models.location(), &ctx.state())?;
    let params = bound_values(windows, &config.params, started_at);
    let concurrency = config.engine.models_at_once();
    Ok((Session { ctx, project, params, config_params: config.params.clone(), concurrency }, inputs))
}

async fn execute(
    request: &RunRequest,
    results: &mut RunResults,
    publisher_slot: &mut Option<Publisher>,
) -> Result<(), Error> {
    let config = &request.config;
    let (session, inputs) = open_session(config, &results.windows, results.started_at).await?;
    results.inputs = inputs;
    sources::require_rows(&results.inputs)?;
    let selected = session.project.select(&request.select)?;
    results.selected = selected.iter().cloned().collect();
    let needed = with_ancestors(&session.project, &selected);
    let output = store::open(&session.ctx, &config.output.url, "output.url", &config.engine)?;
    let publisher = Publisher::begin(output, request.as_of, results.run_id.clone()).await?;
    let publisher = publisher_slot.insert(publisher.with_format(config.output.format));
    crate::run::staged::stage_undeclared_sources(&session.ctx, config, publisher).await?;

    let models: Vec<Model> = session.project.models.iter().filter(|m| needed.contains(&m.name)).cloned().collect();
    let context = ModelContext {
        ctx: session.ctx.clone(),
        params: session.params.clone(),
        config_params: session.config_params.clone(),
        windows: results.windows,
        root: publisher.root.clone(),
    };
    let progress = progress_bar(models.len());
    let on_done = |result: &ModelResult| {
        tracing::debug!(model = %result.name, rows = ?result.rows, seconds = result.seconds, "model done");
        progress.set_message(result.name.clone());
        progress.inc(1);
    };
    let staging_dir = |name: &str| publisher.staging_dir(name);
    let finished = match schedule::run_models(&context, &models, session.concurrency, staging_dir, on_done).await {
        Ok(finished) => finished,
        // A value the engine cannot read (invalid UTF-8, ...) fails the first model that
        // scans it, with a message that names neither file nor column: find them.
        Err(Failed { model, error }) => {
            return Err(read_error_of(&session, &model, &results.inputs).await.unwrap_or(error));
        }
    };
    let (mut tables, mut written) = (Vec::new(), BTreeSet::new());
    for Finished { result, fit } in finished {
        if let Some(rows) = result.rows {
            written.insert(result.name.clone());
            let publish = session.project.get(&result.name).is_some_and(|m| m.declaration.publish);
            if selected.contains(&result.name) && publish {
                tables.push((result.name.clone(), rows));
            }
        }
        if let Some(report) = fit {
            results.fits.insert(result.name.clone(), report);
        }
        results.models.push(result);
    }
    progress.finish_and_clear();

    results.data_quality = quality::source_quality(&session.ctx, &session.project, &needed).await?;
    results.vip_tiers = summary::vip_tiers(&session.ctx, written.contains("customer_segments")).await?;
    results.tests = run_tests(&session, &written, &needed).await?;
    if results.failed_tests() > 0 {
        tracing::error!("{} data test(s) failed; nothing is published", results.failed_tests());
        results.status = RunStatus::DataTestsFailed;
    } else if quality::too_many_rejected(&results.data_quality, config.params.max_rejected_rate) {
        tracing::error!("rejected rows above max_rejected_rate; nothing is published");
        results.status = RunStatus::DataQualityFailed;
    }
    if results.status != RunStatus::Success {
        publisher.discard().await?;
        return Ok(());
    }
    let staged = audiences::stage(&session.ctx, &config.audiences, publisher, &written, session.concurrency).await?;
    results.audiences = staged.files;
    tables.extend(staged.documents);
    // The run report, published in the same commit as the tables it describes. A selective run
    // (--select) keeps the date's earlier report, as it keeps the tables it did not run.
    if selected.len() == session.project.models.len() {
        let html = report::render(&session.ctx, &results.to_json()).await?;
        publisher.stage_document(report::TABLE, report::FILE_NAME, html).await?;
        tables.push((report::TABLE.to_string(), 0));
    }
    let mut snapshot = results.clone();
    snapshot.finish();
    let commit = publisher.publish(&tables, snapshot.to_json()).await?;
    audiences::set_urls(&mut results.audiences, &commit, &publisher.root);
    let report = commit.tables.get(report::TABLE).and_then(|t| t.urls(&publisher.root).into_iter().next());
    if let Some(url) = &report {
        tracing::info!("report: {url}");
    }
    results.published = Some(PublishedRun {
        output: publisher.root.url.to_string(),
        commit_seq: commit.seq,
        tables: tables.into_iter().map(|(t, _)| t).collect(),
        report,
    });
    Ok(())
}

/// The input file and column behind a failed model, when a source it reads (itself or through
/// the views it inlines) holds a value that cannot be read.
async fn read_error_of(session: &Session, model: &Model, inputs: &[sources::SourceFiles]) -> Option<Error> {
    let mut read = model.sources.clone();
    for ancestor in session.project.ancestors(&model.name) {
        if let Some(upstream) = session.project.get(&ancestor) {
            read.extend(upstream.sources.iter().cloned());
        }
    }
    if read.is_empty() {
        return None;
    }
    sources::locate_read_error(&session.ctx, inputs, &read).await.map(Error::from)
}

/// A bar on stderr when it is a terminal; invisible (and free) otherwise, e.g. under an orchestrator.
fn progress_bar(models: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(Some(models as u64), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {pos}/{len} models  {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn with_ancestors(project: &Project, selected: &BTreeSet<String>) -> BTreeSet<String> {
    let mut needed = selected.clone();
    for name in selected {
        needed.extend(project.ancestors(name));
    }
    needed
}

/// Column tests of the `tables`, and every assertion that reads only models that were run
/// and at least one of the tables; several at once, reported in the project's order.
pub(super) async fn run_tests(
    session: &Session,
    tables: &BTreeSet<String>,
    needed: &BTreeSet<String>,
) -> Result<Vec<TestResult>, Error> {
    let models = session.project.models.iter().filter(|m| tables.contains(&m.name));
    let column_tests = stream::iter(models.map(|model| data_tests::column_tests(&session.ctx, model)));
    let mut results: Vec<TestResult> = column_tests.buffered(session.concurrency).try_concat().await?;
    let runnable = session.project.assertions.iter().filter(|assertion| {
        assertion.depends_on.is_subset(needed) && assertion.depends_on.iter().any(|d| tables.contains(d))
    });
    let assertions =
        stream::iter(runnable.map(|assertion| data_tests::assertion(&session.ctx, assertion, &session.params)));
    results.extend(assertions.buffered(session.concurrency).try_collect::<Vec<_>>().await?);
    Ok(results)
}
