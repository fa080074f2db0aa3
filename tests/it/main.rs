//! The one integration-test binary (one link of DataFusion for the whole suite).

mod support;

mod bad_input;
mod binding;
mod business_fixtures;
mod clv_pipeline;
mod clv_reference;
mod generate;
mod models_graph;
mod pipeline_run;

