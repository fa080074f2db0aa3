//! The object-store registry of a scheduler's or executor's session: stores are built on first
//! use of a URL, as `io::store` builds them for the client (credentials from the process's
//! environment, the retries and timeouts of the job's `[engine]`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::object_store::ObjectStoreRegistry;
use object_store::ObjectStore;
use url::Url;

use crate::config::EngineConfig;
use crate::io::store;

/// Stores by `scheme://bucket`, built lazily: a job may name any bucket, and the executor learns
/// of it only from the plan.
#[derive(Debug)]
pub struct LazyStores {
    engine: EngineConfig,
    stores: RwLock<HashMap<String, Arc<dyn ObjectStore>>>,
}

impl LazyStores {
    pub fn new(engine: EngineConfig) -> Self {
        Self { engine, stores: RwLock::new(HashMap::new()) }
    }
}

fn key(url: &Url) -> String {
    format!("{}://{}", url.scheme(), &url[url::Position::BeforeHost..url::Position::AfterPort])
}

impl ObjectStoreRegistry for LazyStores {
    fn register_store(&self, url: &Url, store: Arc<dyn ObjectStore>) -> Option<Arc<dyn ObjectStore>> {
        self.stores.write().unwrap_or_else(|e| e.into_inner()).insert(key(url), store)
    }

    fn deregister_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        self.stores
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key(url))
            .ok_or_else(|| DataFusionError::Internal(format!("no object store registered for {url}")))
    }

    fn get_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        let key = key(url);
        if let Some(found) = self.stores.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(Arc::clone(found));
        }
        let built = store::store_for(url, &self.engine).map_err(|e| DataFusionError::ObjectStore(Box::new(e)))?;
        let mut stores = self.stores.write().unwrap_or_else(|e| e.into_inner());
        Ok(Arc::clone(stores.entry(key).or_insert(built)))
    }
}
