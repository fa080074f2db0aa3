//! `vipseg.toml`: sources, output, business parameters, audiences and engine settings, merged
//! flags > environment > file > defaults. Unknown keys and bad values are errors naming the key.

pub mod audiences;
mod engine;
pub mod params;
pub mod template;
pub mod windows;

pub use self::engine::{EngineConfig, EngineKind, parse_size};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use self::audiences::Audiences;
use self::params::Params;
use crate::error::ConfigError;
use crate::io::schema::Source;
use crate::project::model_files::ModelsLocation;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// One entry per input table, keyed by source name (`orders`, `order_lines`, ...).
    #[serde(default)]
    pub sources: BTreeMap<String, SourceConfig>,
    #[serde(default)]
    pub output: OutputConfig,
    #[serde(default)]
    pub params: Params,
    #[serde(default)]
    pub engine: EngineConfig,
    #[serde(default)]
    pub models: ModelsConfig,
    /// Which audiences go to which ad platforms (defaults in `Audiences::default`).
    #[serde(default)]
    pub audiences: Audiences,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// A folder or glob of files: `file://`, `s3://`, `az://`, `gs://` or a plain path.
    pub url: String,
    /// File format; only `parquet` for now.
    #[serde(default)]
    pub format: SourceFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    #[default]
    Parquet,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// Tables land in `<url>/<table>/as_of=<D>/`.
    #[serde(default = "default_output_url")]
    pub url: String,
    /// How each table is published: Parquet files named by the commit record, or a Delta table.
    #[serde(default)]
    pub format: OutputFormat,
}

/// `[output] format`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    /// Parquet files in `<table>/as_of=<D>/`, named by the commit record.
    #[default]
    Parquet,
    /// One Delta Lake table per output at `<table>/`, partitioned by `as_of`.
    Delta,
}

fn default_output_url() -> String {
    "out".to_string()
}

impl Default for OutputConfig {
    fn default() -> Self {
        Self { url: default_output_url(), format: OutputFormat::default() }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelsConfig {
    /// Folder of the SQL models (`*.sql`) and their declarations (`models.toml`), as written by
    /// `vipseg init`. Unset: the models shipped in the binary.
    pub dir: Option<PathBuf>,
}

impl ModelsConfig {
    pub fn location(&self) -> ModelsLocation<'_> {
        match &self.dir {
            Some(dir) => ModelsLocation::Folder(dir),
            None => ModelsLocation::Shipped,
        }
    }
}

/// Settings given on the command line or in `VIPSEG_*` variables; they win over the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub output_url: Option<String>,
    pub output_format: Option<OutputFormat>,
    pub models_dir: Option<PathBuf>,
    pub engine: Option<EngineKind>,
    pub scheduler: Option<String>,
    pub target_partitions: Option<usize>,
    pub memory_limit: Option<String>,
    pub concurrent_models: Option<usize>,
    /// `key=value` pairs for `[params]`; dotted keys reach nested tables (`vip_tier_shares.gold=0.1`).
    pub params: Vec<String>,
}

impl Config {
    /// Reads the file (when given), applies overrides, resolves relative paths against the
    /// file's folder, and validates.
    pub fn load(path: Option<&Path>, overrides: &Overrides) -> Result<Config, ConfigError> {
        let (mut config, base) = match path {
            Some(path) => (Self::read(path)?, path.parent().map(Path::to_path_buf).unwrap_or_default()),
            None => (Config::default(), PathBuf::new()),
        };
        config.apply(overrides)?;
        config.resolve_relative(&base);
        config.validate()?;
        Ok(config)
    }

    pub fn read(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse { path: path.to_path_buf(), message: e.to_string() })
    }

    fn apply(&mut self, o: &Overrides) -> Result<(), ConfigError> {
        if let Some(url) = &o.output_url {
            self.output.url = url.clone();
        }
        if let Some(format) = o.output_format {
            self.output.format = format;
        }
        if let Some(dir) = &o.models_dir {
            self.models.dir = Some(dir.clone());
        }
        if let Some(kind) = o.engine {
            self.engine.kind = kind;
        }
        if let Some(s) = &o.scheduler {
            self.engine.scheduler = Some(s.clone());
        }
        if let Some(n) = o.target_partitions {
            self.engine.target_partitions = Some(n);
        }
        if let Some(m) = &o.memory_limit {
            self.engine.memory_limit = Some(m.clone());
        }
        if let Some(n) = o.concurrent_models {
            self.engine.concurrent_models = Some(n);
        }
        if !o.params.is_empty() {
            self.params = override_params(&self.params, &o.params)?;
        }
        Ok(())
    }

    /// Plain relative paths in the file mean "next to the file", as in dbt projects.
    fn resolve_relative(&mut self, base: &Path) {
        let resolve = |url: &mut String| {
            if !url.contains("://") && Path::new(url.as_str()).is_relative() {
                *url = base.join(&*url).to_string_lossy().into_owned();
            }
        };
        for source in self.sources.values_mut() {
            resolve(&mut source.url);
        }
        resolve(&mut self.output.url);
        if let Some(dir) = self.models.dir.as_mut().filter(|d| d.is_relative()) {
            *dir = base.join(&*dir);
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        for name in self.sources.keys() {
            if Source::from_name(name).is_none() {
                let known: Vec<&str> = Source::ALL.iter().map(|s| s.name()).collect();
                return Err(ConfigError::invalid(
                    format!("sources.{name}"),
                    format!("unknown source; expected one of {}", known.join(", ")),
                ));
            }
        }
        if self.engine.target_partitions == Some(0) {
            return Err(ConfigError::invalid("engine.target_partitions", "must be at least 1"));
        }
        if self.engine.concurrent_models == Some(0) {
            return Err(ConfigError::invalid("engine.concurrent_models", "must be at least 1"));
        }
        if self.engine.kind == EngineKind::Ballista && self.engine.scheduler.is_none() {
            return Err(ConfigError::Missing { key: "engine.scheduler".into() });
        }
        // Delta tables are written through deltalake's own table provider, which Ballista cannot
        // send to its executors: refused here rather than failing after the models ran.
        if self.engine.kind == EngineKind::Ballista && self.output.format == OutputFormat::Delta {
            return Err(ConfigError::invalid(
                "output.format",
                "\"delta\" cannot be written by engine.kind = \"ballista\"; use format = \"parquet\" (or engine.kind = \"local\")",
            ));
        }
        self.engine.memory_limit_bytes()?;
        self.audiences.validate()?;
        self.params.validate()
    }

    /// Checks that every required source is declared (not needed by `generate` or `ls`).
    pub fn require_sources(&self) -> Result<(), ConfigError> {
        match Source::ALL.into_iter().find(|s| s.required() && self.source(*s).is_none()) {
            Some(missing) => Err(ConfigError::Missing { key: format!("sources.{missing}.url") }),
            None => Ok(()),
        }
    }

    /// The declared source, if any.
    pub fn source(&self, source: Source) -> Option<&SourceConfig> {
        self.sources.get(source.name())
    }
}

/// Applies `key=value` overrides through TOML so they get the same typing and errors as the file.
fn override_params(params: &Params, pairs: &[String]) -> Result<Params, ConfigError> {
    let mut table = toml::Table::try_from(params).map_err(|e| ConfigError::invalid("params", e.to_string()))?;
    for pair in pairs {
        let (key, raw) = pair
            .split_once('=')
            .ok_or_else(|| ConfigError::invalid(format!("--param {pair}"), "expected key=value"))?;
        let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(raw.to_string()));
        set_dotted(&mut table, key.trim(), key, value)?;
    }
    Params::deserialize(toml::Value::Table(table)).map_err(|e| ConfigError::invalid("params", e.to_string()))
}

/// Sets `key` (dotted: `vip_tier_shares.gold`) of the parameter table; `full_key` names it in errors.
fn set_dotted(table: &mut toml::Table, key: &str, full_key: &str, value: toml::Value) -> Result<(), ConfigError> {
    match key.split_once('.') {
        None => {
            table.insert(key.to_string(), value);
            Ok(())
        }
        Some((head, rest)) => match table.get_mut(head) {
            Some(toml::Value::Table(inner)) => set_dotted(inner, rest, full_key, value),
            _ => Err(ConfigError::invalid(
                format!("params.{full_key}"),
                format!("`{head}` is not a table of parameters"),
            )),
        },
    }
}
