//! Models computed in Rust — what SQL cannot do (model fitting) — placed in the model graph like
//! SQL models: each reads named models and yields one table (written to staging as Parquet) and
//! a typed report for the run results. Adding one is a module implementing [`RustModel`] and a
//! line in [`REGISTRY`].

pub mod clv;
pub mod lookalike;
pub mod mle;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;
use serde::Serialize;

use crate::config::params::Params;
use crate::config::windows::Windows;
use crate::error::Error;

/// Every model computed in Rust, in no particular order (the graph orders them by what they read).
pub static REGISTRY: &[&dyn FittedModel] =
    &[&clv::ClvModel, &clv::ClvScores, &clv::ClvHoldout, &lookalike::LookalikeModel];

/// What a Rust model may read: only the models it declares, so the graph's edges are its reads.
pub struct ModelInput<'a> {
    pub ctx: &'a SessionContext,
    pub windows: &'a Windows,
    pub params: &'a Params,
    reads: &'static [&'static str],
    name: &'static str,
}

impl ModelInput<'_> {
    /// A model this one declared in `reads`; any other is an error (a missing graph edge).
    pub async fn table(&self, name: &str) -> Result<DataFrame, Error> {
        if !self.reads.contains(&name) {
            return Err(Error::Internal(format!(
                "Rust model `{}` reads `{name}`, which it does not declare in its reads {:?}",
                self.name, self.reads
            )));
        }
        Ok(self.ctx.table(name).await?)
    }
}

/// A model computed in Rust, with its own typed report.
#[async_trait]
pub trait RustModel: Send + Sync + 'static {
    /// The report in the run results under `fits.<name>`: a serialisable struct.
    type Report: Serialize + Send;

    /// The table's name: other models read it by this name.
    fn name(&self) -> &'static str;
    /// The models it reads; it joins the graph only when they all exist.
    fn reads(&self) -> &'static [&'static str];
    /// Where the logic lives, shown where a SQL model would show its file.
    fn file(&self) -> &'static str;
    /// The schema of its table (also of the empty stand-in that `compile` plans against).
    fn schema(&self) -> SchemaRef;
    /// Computes the table and the report.
    async fn run(&self, input: &ModelInput<'_>) -> Result<(RecordBatch, Self::Report), Error>;
}

/// [`RustModel`] with the report serialised, so models of different report types share one
/// registry. Implemented for every `RustModel`.
#[async_trait]
pub trait FittedModel: Send + Sync {
    fn name(&self) -> &'static str;
    fn reads(&self) -> &'static [&'static str];
    fn file(&self) -> &'static str;
    /// An empty result with the model's schema, so downstream SQL can be planned without running.
    fn empty(&self, ctx: &SessionContext) -> Result<DataFrame, Error>;
    /// Runs the model: its table (in the client's memory: the caller stages it), and its
    /// report as JSON for the run results.
    async fn run(
        &self,
        ctx: &SessionContext,
        windows: &Windows,
        params: &Params,
    ) -> Result<(RecordBatch, serde_json::Value), Error>;
}

#[async_trait]
impl<M: RustModel> FittedModel for M {
    fn name(&self) -> &'static str {
        RustModel::name(self)
    }

    fn reads(&self) -> &'static [&'static str] {
        RustModel::reads(self)
    }

    fn file(&self) -> &'static str {
        RustModel::file(self)
    }

    fn empty(&self, ctx: &SessionContext) -> Result<DataFrame, Error> {
        Ok(ctx.read_batch(RecordBatch::new_empty(self.schema()))?)
    }

    async fn run(
        &self,
        ctx: &SessionContext,
        windows: &Windows,
        params: &Params,
    ) -> Result<(RecordBatch, serde_json::Value), Error> {
        let input = ModelInput { ctx, windows, params, reads: RustModel::reads(self), name: RustModel::name(self) };
        let (batch, report) = RustModel::run(self, &input).await?;
        let report = serde_json::to_value(&report)
            .map_err(|e| Error::Internal(format!("report of `{}`: {e}", RustModel::name(self))))?;
        Ok((batch, report))
    }
}

impl std::fmt::Debug for dyn FittedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RustModel({})", self.name())
    }
}
