//! Object stores behind the source and output URLs: `file://` / plain paths, `s3://`, `az://`,
//! `gs://`, built from each cloud's standard environment variables, with the retry and timeout
//! settings of `[engine]`.

use std::sync::Arc;
use std::time::Duration;

use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::prelude::SessionContext;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{BackoffConfig, ClientConfigKey, ObjectStore, ObjectStoreScheme, RetryConfig};
use url::Url;

use crate::config::EngineConfig;
use crate::error::ConfigError;

/// A folder in an object store: the store and the path of the folder inside it.
#[derive(Clone)]
pub struct Location {
    /// `s3://bucket/prefix/` or `file:///abs/path/`, always ending in `/`.
    pub url: Url,
    pub store: Arc<dyn ObjectStore>,
    pub prefix: StorePath,
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.url)
    }
}

impl Location {
    /// The path of `parts` below this folder; a part may itself hold `/`-separated folders
    /// (`audiences/vip/meta/full`).
    pub fn child(&self, parts: &[&str]) -> StorePath {
        parts.iter().flat_map(|part| part.split('/')).fold(self.prefix.clone(), |p, part| p.join(part))
    }

    /// The path of `relative` (slash-separated, e.g. as stored in a commit record) below this folder.
    pub fn path_of(&self, relative: &str) -> StorePath {
        StorePath::from(format!("{}/{relative}", self.prefix.as_ref()))
    }

    /// The URL of a path below the same store, as DataFusion wants it (folders end in `/`).
    pub fn url_of(&self, path: &StorePath, folder: bool) -> String {
        let mut base = self.url.clone();
        base.set_path("/");
        let slash = if folder { "/" } else { "" };
        // One slash off: `file:///` must stay `file://` before the absolute path.
        let base = base.as_str();
        format!("{}{}{}", base.strip_suffix('/').unwrap_or(base), encode_path(path), slash)
    }
}

fn encode_path(path: &StorePath) -> String {
    if path.as_ref().is_empty() { String::new() } else { format!("/{}", path.as_ref()) }
}

/// Turns a config URL or plain path into a URL (plain paths become absolute `file://` URLs).
pub fn to_url(text: &str, key: &str) -> Result<Url, ConfigError> {
    if text.contains("://") {
        return Url::parse(text).map_err(|e| ConfigError::invalid(key, format!("`{text}`: {e}")));
    }
    let path = std::path::absolute(text).map_err(|e| ConfigError::invalid(key, format!("`{text}`: {e}")))?;
    Url::from_file_path(&path).map_err(|_| ConfigError::invalid(key, format!("`{text}` is not a usable path")))
}

/// Builds the store for `url` and registers it with the engine, so SQL can read and write it.
pub fn open(ctx: &SessionContext, text: &str, key: &str, engine: &EngineConfig) -> Result<Location, ConfigError> {
    let mut url = to_url(text, key)?;
    if !url.path().ends_with('/') && !has_glob(url.path()) {
        url.set_path(&format!("{}/", url.path()));
    }
    let (scheme, prefix) =
        ObjectStoreScheme::parse(&url).map_err(|e| ConfigError::invalid(key, format!("`{url}`: {e}")))?;
    let store = build_store(&scheme, &url, engine).map_err(|e| ConfigError::invalid(key, e.to_string()))?;
    let root = ObjectStoreUrl::parse(&url[..url::Position::BeforePath])
        .map_err(|e| ConfigError::invalid(key, e.to_string()))?;
    ctx.register_object_store(root.as_ref(), Arc::clone(&store));
    Ok(Location { url, store, prefix })
}

/// The store for `url` (only its scheme and bucket/container matter), built as [`open`] builds
/// it: what a Ballista executor or scheduler uses for the URLs a job names.
pub fn store_for(url: &Url, engine: &EngineConfig) -> Result<Arc<dyn ObjectStore>, object_store::Error> {
    let (scheme, _) = ObjectStoreScheme::parse(url)?;
    build_store(&scheme, url, engine)
}

fn has_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

fn build_store(
    scheme: &ObjectStoreScheme,
    url: &Url,
    engine: &EngineConfig,
) -> Result<Arc<dyn ObjectStore>, object_store::Error> {
    let retry = RetryConfig {
        backoff: BackoffConfig::default(),
        max_retries: engine.max_retries,
        retry_timeout: Duration::from_secs(engine.retry_timeout_secs),
    };
    // The timeouts are set key by key: `with_client_options` would replace the client options
    // `from_env` read (`AWS_ALLOW_HTTP`, `AZURE_ALLOW_HTTP`, proxy settings, ...), and every
    // request to an `http://` endpoint would then fail with "builder error".
    let timeouts = [
        (ClientConfigKey::Timeout, format!("{}s", engine.request_timeout_secs)),
        (ClientConfigKey::ConnectTimeout, format!("{}s", engine.connect_timeout_secs)),
    ];
    let store: Arc<dyn ObjectStore> = match scheme {
        ObjectStoreScheme::Local => return Ok(Arc::new(LocalFileSystem::new())),
        ObjectStoreScheme::AmazonS3 => {
            let builder = AmazonS3Builder::from_env().with_url(url.as_str()).with_retry(retry);
            let builder = timeouts.iter().fold(builder, |b, (k, v)| b.with_config(AmazonS3ConfigKey::Client(*k), v));
            Arc::new(builder.build()?)
        }
        ObjectStoreScheme::MicrosoftAzure => {
            let builder = MicrosoftAzureBuilder::from_env().with_url(url.as_str()).with_retry(retry);
            let builder = timeouts.iter().fold(builder, |b, (k, v)| b.with_config(AzureConfigKey::Client(*k), v));
            Arc::new(builder.build()?)
        }
        ObjectStoreScheme::GoogleCloudStorage => {
            let builder = GoogleCloudStorageBuilder::from_env().with_url(url.as_str()).with_retry(retry);
            let builder = timeouts.iter().fold(builder, |b, (k, v)| b.with_config(GoogleConfigKey::Client(*k), v));
            Arc::new(builder.build()?)
        }
        other => {
            let source = format!("unsupported URL scheme {other:?} in `{url}`").into();
            return Err(object_store::Error::Generic { store: "vipseg", source });
        }
    };
    Ok(Arc::new(super::resilient::Resilient { inner: store }))
}
