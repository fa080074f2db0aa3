//! The one retry policy for object-store requests that `object_store`'s own retry does not
//! cover: a request whose connection broke after it was sent (the store may or may not have
//! applied it), repeated only where repeating is safe — idempotent or create-only requests.

use std::future::Future;
use std::time::Duration;

use object_store::path::Path as StorePath;

/// Attempts of a request whose connection broke (the first one included).
pub const ATTEMPTS: usize = 4;

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

/// The pause before attempt `failures + 1`: 200 ms, 400 ms, 800 ms.
pub fn backoff(failures: usize) -> Duration {
    Duration::from_millis(100 << failures)
}

/// Whether a request that failed `failures` times so far with `error` should be sent again.
pub fn should_retry(failures: usize, error: &object_store::Error) -> bool {
    failures + 1 < ATTEMPTS && is_transport_error(error)
}

/// Runs `attempt` until it succeeds, fails other than by a broken connection, or has failed
/// [`ATTEMPTS`] times. Only for requests that are safe to repeat.
pub async fn on_broken_connection<T, F, Fut>(
    what: &str,
    location: &StorePath,
    mut attempt: F,
) -> object_store::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = object_store::Result<T>>,
{
    let mut failures = 0;
    loop {
        match attempt().await {
            Err(e) if should_retry(failures, &e) => {
                failures += 1;
                tracing::warn!(
                    "{what} {location}: the connection broke ({e}); trying again ({failures} of {})",
                    ATTEMPTS - 1
                );
                tokio::time::sleep(backoff(failures)).await;
            }
            result => return result,
        }
    }
}
