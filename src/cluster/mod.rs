//! The Ballista cluster processes, `vipseg scheduler` and `vipseg executor`, built from the
//! ballista-scheduler and ballista-executor libraries with vipseg's object stores and SQL
//! functions, and what they share with the client (`engine::ballista`): the session every
//! process builds for a job.

mod engine;
pub mod executor;
pub mod scheduler;
pub mod session;
mod stores;

use std::net::SocketAddr;

use crate::error::{ConfigError, Error};

/// `host:port` of a `--bind`/`--scheduler` flag (a host name is resolved).
pub fn parse_address(text: &str, flag: &str) -> Result<SocketAddr, ConfigError> {
    use std::net::ToSocketAddrs;
    let text = text.trim();
    let text = text.split_once("://").map_or(text, |(_, rest)| rest).trim_end_matches('/');
    text.to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| ConfigError::invalid(flag, format!("`{text}` is not a host:port address")))
}

/// A Ballista library error, as a vipseg error of the process that met it.
fn cluster_error(what: &str, error: ballista_core::error::BallistaError) -> Error {
    Error::Internal(format!("{what}: {error}"))
}
