//! The session every Ballista process builds for a job: DataFusion's functions plus vipseg's,
//! object stores from `stores`, and the store settings the client sends with each job.

use std::any::Any;
use std::sync::Arc;

use ballista_core::extension::{
    SessionConfigExt, ballista_aggregate_functions, ballista_scalar_functions, ballista_window_functions,
};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::{ConfigProducer, RuntimeProducer};
use ballista_scheduler::SessionBuilder;
use datafusion::common::config_err;
use datafusion::config::{ConfigEntry, ConfigExtension, ExtensionOptions};
use datafusion::error::Result;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::prelude::SessionConfig;

use super::stores::LazyStores;
use crate::config::EngineConfig;

/// The object-store settings of `[engine]`, carried in the session config of every job: the
/// executors and the scheduler build their stores with the client's retries and timeouts, so one
/// `vipseg.toml` governs every process that touches the stores.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_retries: usize,
    pub retry_timeout_secs: u64,
    pub request_timeout_secs: u64,
    pub connect_timeout_secs: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self::from_engine(&EngineConfig::default())
    }
}

impl StoreOptions {
    pub fn from_engine(engine: &EngineConfig) -> Self {
        Self {
            max_retries: engine.max_retries,
            retry_timeout_secs: engine.retry_timeout_secs,
            request_timeout_secs: engine.request_timeout_secs,
            connect_timeout_secs: engine.connect_timeout_secs,
        }
    }

    fn engine(&self) -> EngineConfig {
        EngineConfig {
            max_retries: self.max_retries,
            retry_timeout_secs: self.retry_timeout_secs,
            request_timeout_secs: self.request_timeout_secs,
            connect_timeout_secs: self.connect_timeout_secs,
            ..EngineConfig::default()
        }
    }
}

impl ConfigExtension for StoreOptions {
    const PREFIX: &'static str = "vipseg_store";
}

/// Written out rather than with `extensions_options!`: Ballista sends a session's settings by
/// the keys of `entries()`, which must therefore carry the prefix (as Ballista's own do).
impl ExtensionOptions for StoreOptions {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn cloned(&self) -> Box<dyn ExtensionOptions> {
        Box::new(self.clone())
    }

    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let key = key.strip_prefix(&format!("{}.", Self::PREFIX)).unwrap_or(key);
        let parsed = value.parse::<u64>();
        let Ok(number) = parsed else { return config_err!("{}.{key}: `{value}` is not a number", Self::PREFIX) };
        match key {
            "max_retries" => self.max_retries = number as usize,
            "retry_timeout_secs" => self.retry_timeout_secs = number,
            "request_timeout_secs" => self.request_timeout_secs = number,
            "connect_timeout_secs" => self.connect_timeout_secs = number,
            _ => return config_err!("unknown setting {}.{key}", Self::PREFIX),
        }
        Ok(())
    }

    fn entries(&self) -> Vec<ConfigEntry> {
        let entry = |key: &str, value: u64, description: &'static str| ConfigEntry {
            key: format!("{}.{key}", Self::PREFIX),
            value: Some(value.to_string()),
            description,
        };
        vec![
            entry("max_retries", self.max_retries as u64, "object store: retries of a failed request"),
            entry("retry_timeout_secs", self.retry_timeout_secs, "object store: give up retrying after"),
            entry("request_timeout_secs", self.request_timeout_secs, "object store: timeout of one request"),
            entry("connect_timeout_secs", self.connect_timeout_secs, "object store: timeout of connecting"),
        ]
    }
}

/// The session config a job's settings are applied to: Ballista's, and ours, registered so the
/// scheduler and executors keep our keys (unknown keys are dropped silently).
pub fn config_producer() -> ConfigProducer {
    Arc::new(|| SessionConfig::new_with_ballista().with_option_extension(StoreOptions::default()))
}

/// A fresh runtime per session: its stores follow the job's settings, and no list-files cache
/// outlives a job (a later job may rewrite a folder an earlier one listed). Spills go to
/// `temp_dir` (an executor's work dir) when given.
pub fn runtime(config: &SessionConfig, temp_dir: Option<&str>) -> Result<Arc<RuntimeEnv>> {
    let options = config.options().extensions.get::<StoreOptions>().cloned().unwrap_or_default();
    let mut builder = RuntimeEnvBuilder::new().with_object_store_registry(Arc::new(LazyStores::new(options.engine())));
    if let Some(dir) = temp_dir {
        builder = builder.with_temp_file_path(dir);
    }
    builder.build_arc()
}

/// An executor's runtime producer: [`runtime`] with spills in its work dir.
pub fn runtime_producer(work_dir: String) -> RuntimeProducer {
    Arc::new(move |config: &SessionConfig| runtime(config, Some(&work_dir)))
}

/// Ballista's default session (its optimizer rules and functions) with vipseg's functions added.
pub fn session_state(config: SessionConfig, runtime: Arc<RuntimeEnv>) -> SessionState {
    let mut scalars = ballista_scalar_functions();
    scalars.extend(crate::functions::udfs().into_iter().map(Arc::new));
    SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .with_runtime_env(runtime)
        .with_optimizer_rules(ballista_core::optimizer::ballista_default_optimizer_rules())
        .with_scalar_functions(scalars)
        .with_aggregate_functions(ballista_aggregate_functions())
        .with_window_functions(ballista_window_functions())
        .build()
}

/// The scheduler's session builder: one session per job.
pub fn session_builder() -> SessionBuilder {
    Arc::new(|config: SessionConfig| {
        let runtime = runtime(&config, None)?;
        Ok(session_state(config, runtime))
    })
}

/// The functions an executor resolves a task's function names with.
pub fn function_registry() -> Result<BallistaFunctionRegistry> {
    let config = (config_producer())();
    let state = session_state(config.clone(), runtime(&config, None)?);
    Ok(BallistaFunctionRegistry::from(&state))
}
