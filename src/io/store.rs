//! Object stores behind the source and output URLs: `file://` / plain paths, `s3://`, `az://`,
//! `gs://`, built from each cloud's standard environment variables, with the retry and timeout
//! settings of `[engine]`.

use std::sync::Arc;
use std::time::Duration;

use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{
    BackoffConfig, ClientConfigKey, CopyMode, CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload,
    ObjectMeta, ObjectStore, ObjectStoreScheme, PutMode, PutMultipartOptions, PutOptions, PutPayload, PutResult,
    RenameOptions, RetryConfig,
};
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
    /// The path of `parts` below this folder.
    pub fn child(&self, parts: &[&str]) -> StorePath {
        parts.iter().fold(self.prefix.clone(), |p, part| p.join(*part))
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
        format!("{}{}{}", base.as_str().trim_end_matches('/'), encode_path(path), slash)
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
    let store = build_store(&scheme, &url, engine).map_err(|e| ConfigError::invalid(key, e))?;
    let root = ObjectStoreUrl::parse(&url[..url::Position::BeforePath])
        .map_err(|e| ConfigError::invalid(key, e.to_string()))?;
    ctx.register_object_store(root.as_ref(), Arc::clone(&store));
    Ok(Location { url, store, prefix })
}

fn has_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

fn build_store(scheme: &ObjectStoreScheme, url: &Url, engine: &EngineConfig) -> Result<Arc<dyn ObjectStore>, String> {
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
            Arc::new(builder.build().map_err(|e| e.to_string())?)
        }
        ObjectStoreScheme::MicrosoftAzure => {
            let builder = MicrosoftAzureBuilder::from_env().with_url(url.as_str()).with_retry(retry);
            let builder = timeouts.iter().fold(builder, |b, (k, v)| b.with_config(AzureConfigKey::Client(*k), v));
            Arc::new(builder.build().map_err(|e| e.to_string())?)
        }
        ObjectStoreScheme::GoogleCloudStorage => {
            let builder = GoogleCloudStorageBuilder::from_env().with_url(url.as_str()).with_retry(retry);
            let builder = timeouts.iter().fold(builder, |b, (k, v)| b.with_config(GoogleConfigKey::Client(*k), v));
            Arc::new(builder.build().map_err(|e| e.to_string())?)
        }
        other => return Err(format!("unsupported URL scheme {other:?} in `{url}`")),
    };
    Ok(Arc::new(Resilient { inner: store }))
}

/// Whether `error` is a failure of the connection (reset, closed, timed out, body cut off)
/// rather than an answer of the store: then the request may or may not have been applied, and
/// only an idempotent or create-only request may be sent again.
pub fn is_transport_error(error: &object_store::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.downcast_ref::<object_store::client::HttpError>().is_some() {
            return true;
        }
        source = e.source();
    }
    false
}

/// Attempts of an idempotent request whose connection broke (see [`Resilient`]).
const TRANSPORT_ATTEMPTS: usize = 4;

/// A cloud store that rides out broken connections where the object store gives up. The
/// object store retries failed requests, but not
/// - a response whose body breaks off half-way (a reset while reading a listing page or the
///   answer to a copy), nor
/// - a non-idempotent-looking request whose connection broke after it was sent.
///
/// This wrapper repeats what is safe to repeat: listings resume after the last key they
/// returned (listings are in key order on S3, Azure and GCS), plain puts and copies (they
/// overwrite with the same bytes) are sent again. Create-only writes are left to their caller,
/// which must tell its own earlier attempt from another writer's (`publish::create_commit`).
#[derive(Debug)]
struct Resilient {
    inner: Arc<dyn ObjectStore>,
}

impl std::fmt::Display for Resilient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

/// Runs `attempt` until it succeeds, fails other than by a broken connection, or has failed
/// [`TRANSPORT_ATTEMPTS`] times.
async fn repeat<T, F, Fut>(what: &str, location: &StorePath, mut attempt: F) -> object_store::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = object_store::Result<T>>,
{
    let mut failures = 0;
    loop {
        match attempt().await {
            Err(e) if failures + 1 < TRANSPORT_ATTEMPTS && is_transport_error(&e) => {
                failures += 1;
                tracing::warn!(
                    "{what} {location}: the connection broke ({e}); trying again ({failures} of {})",
                    TRANSPORT_ATTEMPTS - 1
                );
                tokio::time::sleep(Duration::from_millis(100 << failures)).await;
            }
            result => return result,
        }
    }
}

impl Resilient {
    fn resumable(
        &self,
        prefix: Option<&StorePath>,
        offset: Option<&StorePath>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        struct State {
            inner: Arc<dyn ObjectStore>,
            prefix: Option<StorePath>,
            /// Resume after this key: the last one returned, or the caller's offset.
            after: Option<StorePath>,
            stream: BoxStream<'static, object_store::Result<ObjectMeta>>,
            failures: usize,
            done: bool,
        }
        let open = |inner: &Arc<dyn ObjectStore>, prefix: Option<&StorePath>, after: Option<&StorePath>| match after {
            Some(after) => inner.list_with_offset(prefix, after),
            None => inner.list(prefix),
        };
        let state = State {
            stream: open(&self.inner, prefix, offset),
            inner: Arc::clone(&self.inner),
            prefix: prefix.cloned(),
            after: offset.cloned(),
            failures: 0,
            done: false,
        };
        futures::stream::unfold(state, move |mut s| async move {
            if s.done {
                return None;
            }
            loop {
                match s.stream.next().await {
                    None => return None,
                    Some(Ok(meta)) => {
                        s.after = Some(meta.location.clone());
                        return Some((Ok(meta), s));
                    }
                    Some(Err(e)) if s.failures + 1 < TRANSPORT_ATTEMPTS && is_transport_error(&e) => {
                        s.failures += 1;
                        tracing::warn!(
                            "listing broke off ({e}); resuming ({} of {})",
                            s.failures,
                            TRANSPORT_ATTEMPTS - 1
                        );
                        tokio::time::sleep(Duration::from_millis(100 << s.failures)).await;
                        s.stream = open(&s.inner, s.prefix.as_ref(), s.after.as_ref());
                    }
                    Some(Err(e)) => {
                        s.done = true;
                        return Some((Err(e), s));
                    }
                }
            }
        })
        .boxed()
    }
}

#[async_trait::async_trait]
impl ObjectStore for Resilient {
    async fn put_opts(
        &self,
        location: &StorePath,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        if opts.mode != PutMode::Overwrite {
            return self.inner.put_opts(location, payload, opts).await;
        }
        repeat("writing", location, || self.inner.put_opts(location, payload.clone(), opts.clone())).await
    }

    async fn put_multipart_opts(
        &self,
        location: &StorePath,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &StorePath, options: GetOptions) -> object_store::Result<GetResult> {
        // The object store itself resumes a body that breaks off.
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<StorePath>>,
    ) -> BoxStream<'static, object_store::Result<StorePath>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&StorePath>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.resumable(prefix, None)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&StorePath>,
        offset: &StorePath,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.resumable(prefix, Some(offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&StorePath>) -> object_store::Result<ListResult> {
        let location = prefix.cloned().unwrap_or_default();
        repeat("listing", &location, || self.inner.list_with_delimiter(prefix)).await
    }

    async fn copy_opts(&self, from: &StorePath, to: &StorePath, options: CopyOptions) -> object_store::Result<()> {
        if options.mode != CopyMode::Overwrite {
            return self.inner.copy_opts(from, to, options).await;
        }
        repeat("copying to", to, || self.inner.copy_opts(from, to, options.clone())).await
    }

    async fn rename_opts(&self, from: &StorePath, to: &StorePath, options: RenameOptions) -> object_store::Result<()> {
        self.inner.rename_opts(from, to, options).await
    }
}
