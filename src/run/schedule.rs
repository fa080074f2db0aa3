//! Models in dependency order, several at once: each model starts as soon as the models it reads
//! are done, so the steps of one model that use a single core (a fit on the client, a Parquet
//! footer, the final merge of a sort) overlap the work of another.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use datafusion::common::ParamValues;
use datafusion::prelude::SessionContext;
use object_store::path::Path as StorePath;
use tokio::task::JoinSet;

use crate::config::params::Params;
use crate::config::windows::Windows;
use crate::error::Error;
use crate::io::store::Location;
use crate::project::declarations::Materialized;
use crate::project::{Model, ModelKind};
use crate::run::runner::{self, ModelResult};

/// What a model needs to run on its own task: the engine, the bound parameters, and where it stages.
#[derive(Clone)]
pub(super) struct ModelContext {
    pub ctx: SessionContext,
    pub params: ParamValues,
    pub config_params: Params,
    pub windows: Windows,
    pub root: Location,
}

/// A model that ran: its result, and a Rust model's fit report.
pub(super) struct Finished {
    pub result: ModelResult,
    pub fit: Option<serde_json::Value>,
}

/// A model that failed, and why.
pub(super) struct Failed {
    pub model: Model,
    pub error: Error,
}

/// Runs `models` (in the project's order, each after the models of the list it reads), at most
/// `concurrency` at a time; `staging_dir` names where a model's table goes. Returns them in the
/// order given whatever order they finished in, so run results do not depend on timing. On the
/// first failure the models still running are cancelled.
pub(super) async fn run_models(
    context: &ModelContext,
    models: &[Model],
    concurrency: usize,
    staging_dir: impl Fn(&str) -> StorePath,
    mut on_done: impl FnMut(&ModelResult),
) -> Result<Vec<Finished>, Failed> {
    let names: BTreeSet<&str> = models.iter().map(|m| m.name.as_str()).collect();
    let mut done: BTreeMap<usize, Finished> = BTreeMap::new();
    let mut done_names: BTreeSet<&str> = BTreeSet::new();
    let mut started = vec![false; models.len()];
    let mut running = JoinSet::new();
    loop {
        while running.len() < concurrency.max(1) {
            let ready = models.iter().enumerate().find(|(i, model)| {
                !started[*i]
                    && model.depends_on.iter().all(|d| !names.contains(d.as_str()) || done_names.contains(d.as_str()))
            });
            let Some((index, model)) = ready else { break };
            started[index] = true;
            let (context, model, dir) = (context.clone(), model.clone(), staging_dir(&model.name));
            running.spawn(async move { (index, run_model(&context, &model, dir).await) });
        }
        let Some(joined) = running.join_next().await else { break };
        // A panic in a model's task is a panic of the run, as it was before models ran on tasks.
        let (index, outcome) = joined.unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()));
        match outcome {
            Ok(finished) => {
                on_done(&finished.result);
                done_names.insert(models[index].name.as_str());
                done.insert(index, finished);
            }
            Err(error) => return Err(Failed { model: models[index].clone(), error }),
        }
    }
    // Only a cycle leaves a model waiting, and the project graph refuses cycles when loading.
    if let Some((_, model)) = models.iter().enumerate().find(|(i, _)| !done.contains_key(i)) {
        let error = Error::Internal(format!("model {} waits for models that never ran", model.name));
        return Err(Failed { model: model.clone(), error });
    }
    Ok(done.into_values().collect())
}

/// Runs a model: a table (and a Rust model, always one) is written to the staging area, where
/// later models read it; a view is registered for later models to inline.
async fn run_model(context: &ModelContext, model: &Model, dir: StorePath) -> Result<Finished, Error> {
    let start = Instant::now();
    let ctx = &context.ctx;
    let (rows, fit) = match model.kind {
        ModelKind::Sql => {
            let frame = runner::plan(ctx, &model.file, &model.sql, &context.params).await?;
            if model.materialized() == Materialized::Table {
                (Some(runner::materialize(ctx, model, frame, &context.root, &dir).await?), None)
            } else {
                runner::register_view(ctx, &model.name, frame).await?;
                (None, None)
            }
        }
        ModelKind::Rust(rust) => {
            let (batch, report) = rust.run(ctx, &context.windows, &context.config_params).await?;
            // Fitted on the client: written from its memory to staging, where the engine reads it.
            (Some(crate::run::staged::stage_table(ctx, &model.name, &batch, &context.root, &dir).await?), Some(report))
        }
    };
    let result = ModelResult {
        name: model.name.clone(),
        file: model.file.clone(),
        materialized: if rows.is_some() { Materialized::Table } else { Materialized::View },
        status: "success",
        rows,
        seconds: runner::seconds_since(start),
    };
    Ok(Finished { result, fit })
}
