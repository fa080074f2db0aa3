//! Models computed in Rust — what SQL cannot do (model fitting) — placed in the model graph like
//! SQL models: each reads named models and yields one table, written to staging as Parquet.

use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;

use crate::error::Error;
use crate::params::{Params, Windows};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RustModel {
    /// Fitted BG/NBD and Gamma-Gamma parameters.
    ClvModel,
    /// Per purchase pattern: P(alive), expected and discounted expected orders.
    ClvScores,
    /// Holdout validation of the BG/NBD model by frequency bucket.
    ClvHoldout,
}

impl RustModel {
    pub const ALL: [RustModel; 3] = [RustModel::ClvModel, RustModel::ClvScores, RustModel::ClvHoldout];

    pub fn name(self) -> &'static str {
        match self {
            RustModel::ClvModel => "clv_model",
            RustModel::ClvScores => "clv_scores",
            RustModel::ClvHoldout => "clv_holdout",
        }
    }

    /// The models it reads; it joins the graph only when they all exist.
    pub fn reads(self) -> &'static [&'static str] {
        match self {
            RustModel::ClvModel => &["clv_patterns", "clv_spend_patterns"],
            RustModel::ClvScores => &["clv_model", "clv_patterns"],
            RustModel::ClvHoldout => &["clv_holdout_patterns"],
        }
    }

    /// Where the logic lives, shown where a SQL model would show its file.
    pub fn file(self) -> &'static str {
        "src/clv.rs"
    }

    /// An empty result with the model's schema, so downstream SQL can be planned without running.
    pub fn empty(self, ctx: &SessionContext) -> Result<DataFrame, Error> {
        let batch = match self {
            RustModel::ClvModel => crate::clv::empty_parameters()?,
            RustModel::ClvScores => crate::clv::empty_scores()?,
            RustModel::ClvHoldout => crate::clv::empty_holdout()?,
        };
        Ok(ctx.read_batch(batch)?)
    }

    /// Computes the table; the JSON goes into the run results under `fits.<name>`.
    pub async fn run(
        self,
        ctx: &SessionContext,
        windows: &Windows,
        params: &Params,
    ) -> Result<(DataFrame, serde_json::Value), Error> {
        let computed = match self {
            RustModel::ClvModel => crate::clv::fit_models(ctx, params).await?,
            RustModel::ClvScores => crate::clv::score_patterns(ctx, params).await?,
            RustModel::ClvHoldout => crate::clv::holdout(ctx, windows, params).await?,
        };
        Ok((ctx.read_batch(computed.batch)?, computed.report))
    }
}
