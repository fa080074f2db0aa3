//! vipseg: order history to VIP segments, customer lifetime value and lookalike audiences,
//! as SQL models on Apache DataFusion.
//!
//! The folders are the architecture (docs/architecture.md walks one run through them):
//! `cli` (commands) → `run` (pipeline, data tests, publish) → `project` (the SQL model graph),
//! `models` (models fitted in Rust), `engine` (the query session; local or a Ballista client),
//! `functions` (the SQL functions every session gets),
//! `cluster` (the Ballista scheduler and executor processes), `io` (object stores, sources,
//! the canonical schema), `config` (settings and business parameters); `generate` writes sample
//! data. `error` holds the crate's error type and exit statuses.

pub mod cli;
pub mod cluster;
pub mod config;
pub mod engine;
pub mod error;
pub mod export;
pub mod functions;
pub mod generate;
pub mod io;
pub mod models;
pub mod project;
pub mod report;
pub mod run;
