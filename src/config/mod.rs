//! `vipseg.toml`: sources, output, business parameters and engine settings, merged
//! flags > environment > file > defaults. Unknown keys and bad values are errors naming the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::params::Params;

/// Sources the shipped SQL reads; the last four may be left out (an empty table stands in).
pub const REQUIRED_SOURCES: [&str; 3] = ["orders", "order_lines", "customers"];
pub const OPTIONAL_SOURCES: [&str; 4] = ["returns", "support_tickets", "referrals", "reviews"];

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
}

fn default_output_url() -> String {
    "out".to_string()
}

impl Default for OutputConfig {
    fn default() -> Self {
        Self { url: default_output_url() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelsConfig {
    /// Folder of the SQL models (`*.sql`) and their declarations (`models.toml`).
    #[serde(default = "default_models_dir")]
    pub dir: PathBuf,
}

fn default_models_dir() -> PathBuf {
    PathBuf::from("sql")
}

impl Default for ModelsConfig {
    fn default() -> Self {
        Self { dir: default_models_dir() }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    /// In-process DataFusion.
    #[default]
    Local,
    /// An Apache DataFusion Ballista cluster (`scheduler` URL).
    Ballista,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    pub kind: EngineKind,
    /// Ballista scheduler, e.g. `df://127.0.0.1:50050`.
    pub scheduler: Option<String>,
    /// Parallelism of queries; default: the number of cores.
    pub target_partitions: Option<usize>,
    /// Memory pool for the engine, e.g. `4GiB`; beyond it, sorts and joins spill to disk.
    pub memory_limit: Option<String>,
    /// Object store requests: retries of a failed request.
    pub max_retries: usize,
    /// Object store requests: give up retrying after this many seconds.
    pub retry_timeout_secs: u64,
    /// Object store requests: timeout of one request.
    pub request_timeout_secs: u64,
    /// Object store requests: timeout of connecting.
    pub connect_timeout_secs: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            kind: EngineKind::Local,
            scheduler: None,
            target_partitions: None,
            memory_limit: None,
            max_retries: 10,
            retry_timeout_secs: 180,
            request_timeout_secs: 30,
            connect_timeout_secs: 5,
        }
    }
}

impl EngineConfig {
    pub fn memory_limit_bytes(&self) -> Result<Option<usize>, ConfigError> {
        self.memory_limit.as_deref().map(parse_bytes).transpose()
    }
}

/// `4GiB`, `512MiB`, `2G`, `1000000` → bytes. A dozen lines: not worth a crate.
fn parse_bytes(text: &str) -> Result<usize, ConfigError> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(ConfigError::invalid("engine.memory_limit", format!("unknown unit in `{text}`"))),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| ConfigError::invalid("engine.memory_limit", format!("`{text}` is not a size like 4GiB")))?;
    Ok((value * factor) as usize)
}

/// Settings given on the command line or in `VIPSEG_*` variables; they win over the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub output_url: Option<String>,
    pub models_dir: Option<PathBuf>,
    pub engine: Option<EngineKind>,
    pub scheduler: Option<String>,
    pub target_partitions: Option<usize>,
    pub memory_limit: Option<String>,
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
        Self::parse(&text).map_err(|message| ConfigError::Parse { path: path.to_path_buf(), message })
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    fn apply(&mut self, o: &Overrides) -> Result<(), ConfigError> {
        if let Some(url) = &o.output_url {
            self.output.url = url.clone();
        }
        if let Some(dir) = &o.models_dir {
            self.models.dir = dir.clone();
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
        if self.models.dir.is_relative() {
            self.models.dir = base.join(&self.models.dir);
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        for name in self.sources.keys() {
            if !REQUIRED_SOURCES.contains(&name.as_str()) && !OPTIONAL_SOURCES.contains(&name.as_str()) {
                return Err(ConfigError::invalid(
                    format!("sources.{name}"),
                    format!(
                        "unknown source; expected one of {}",
                        [REQUIRED_SOURCES.as_slice(), OPTIONAL_SOURCES.as_slice()].concat().join(", ")
                    ),
                ));
            }
        }
        if self.engine.target_partitions == Some(0) {
            return Err(ConfigError::invalid("engine.target_partitions", "must be at least 1"));
        }
        if self.engine.kind == EngineKind::Ballista && self.engine.scheduler.is_none() {
            return Err(ConfigError::Missing { key: "engine.scheduler".into() });
        }
        self.engine.memory_limit_bytes()?;
        self.params.validate()
    }

    /// Checks that every required source is declared (not needed by `generate` or `ls`).
    pub fn require_sources(&self) -> Result<(), ConfigError> {
        for name in REQUIRED_SOURCES {
            if !self.sources.contains_key(name) {
                return Err(ConfigError::Missing { key: format!("sources.{name}.url") });
            }
        }
        Ok(())
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
        set_dotted(&mut table, key.trim(), value).map_err(|m| ConfigError::invalid(format!("params.{key}"), m))?;
    }
    Params::deserialize(toml::Value::Table(table)).map_err(|e| ConfigError::invalid("params", e.to_string()))
}

fn set_dotted(table: &mut toml::Table, key: &str, value: toml::Value) -> Result<(), String> {
    match key.split_once('.') {
        None => {
            table.insert(key.to_string(), value);
            Ok(())
        }
        Some((head, rest)) => match table.get_mut(head) {
            Some(toml::Value::Table(inner)) => set_dotted(inner, rest, value),
            _ => Err(format!("`{head}` is not a table of parameters")),
        },
    }
}
