//! vipseg: order history to VIP segments, customer lifetime value and lookalike audiences,
//! as SQL models on Apache DataFusion.

pub mod bgnbd;
pub mod cli;
pub mod clv;
pub mod clv_fit;
pub mod config;
pub mod data_tests;
pub mod declarations;
pub mod diagnostics;
pub mod engine;
pub mod error;
pub mod gamma_gamma;
pub mod generate;
pub mod generate_cli;
mod generate_orders;
mod generate_people;
pub mod hyp2f1;
pub mod json_rows;
pub mod ls;
pub mod models;
pub mod params;
pub mod pipeline;
pub mod publish;
pub mod quality;
pub mod run_results;
pub mod runner;
pub mod rust_models;
pub mod schema;
pub mod sources;
pub mod storage;
