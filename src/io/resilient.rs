//! A cloud store wrapper that rides out broken connections where the object store gives up.

use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path as StorePath;
use object_store::{
    CopyMode, CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, PutMode,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
};

use crate::io::retry::{self, on_broken_connection};

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
pub(super) struct Resilient {
    pub inner: Arc<dyn ObjectStore>,
}

impl std::fmt::Display for Resilient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
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
                    Some(Err(e)) if retry::should_retry(s.failures, &e) => {
                        s.failures += 1;
                        tracing::warn!("listing broke off ({e}); resuming ({} of {})", s.failures, retry::ATTEMPTS - 1);
                        tokio::time::sleep(retry::backoff(s.failures)).await;
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
        on_broken_connection("writing", location, || self.inner.put_opts(location, payload.clone(), opts.clone())).await
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
        on_broken_connection("listing", &location, || self.inner.list_with_delimiter(prefix)).await
    }

    async fn copy_opts(&self, from: &StorePath, to: &StorePath, options: CopyOptions) -> object_store::Result<()> {
        if options.mode != CopyMode::Overwrite {
            return self.inner.copy_opts(from, to, options).await;
        }
        on_broken_connection("copying to", to, || self.inner.copy_opts(from, to, options.clone())).await
    }

    async fn rename_opts(&self, from: &StorePath, to: &StorePath, options: RenameOptions) -> object_store::Result<()> {
        self.inner.rename_opts(from, to, options).await
    }
}
