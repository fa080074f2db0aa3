//! One run of the pipeline and what it leaves: the runner that plans and materializes models,
//! the data tests and the quality gate, the all-or-nothing publish, and the run results.

pub mod audiences;
pub mod data_tests;
pub mod delta;
pub mod inspect;
pub mod pipeline;
pub mod publish;
pub mod quality;
pub mod results;
pub mod runner;
mod schedule;
pub mod staged;
pub mod summary;
