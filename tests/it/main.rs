//! The one integration-test binary (one link of DataFusion for the whole suite).

// Shared by every module: fixture rows (fixtures.rs); projects, configs, runs, readers (support.rs).
mod fixtures;
mod support;

mod audience_file_order;
mod audiences;
mod bad_input;
mod ballista;
mod binding;
mod business_fixtures;
mod clv_pipeline;
mod clv_reference;
mod clv_robust;
mod commands;
mod delta;
mod generate;
mod lookalike;
mod models_graph;
mod normalize;
mod pipeline_run;
mod published_files;
mod report;
mod sql_functions;

// Storage and reliability (issue 5): real servers on loopback, faults, crashes, determinism, secrets.
mod crash_safety;
mod determinism;
mod fault_proxy;
mod faults;
mod object_stores;
mod secrets;
mod servers;
mod shop;
mod stores;
