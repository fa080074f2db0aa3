//! A fault-injecting HTTP/1.1 proxy for the storage tests: vipseg talks to it as its S3
//! endpoint, it forwards to the real server and, per request, may instead
//!
//! - answer `503 SlowDown` without forwarding (S3's throttling answer),
//! - reset the connection without forwarding,
//! - forward the request, let the server apply it, and lose the response (connection reset,
//!   or a clean close, after the server answered),
//! - cut a response off in the middle of its body,
//! - answer slowly.
//!
//! Faults come from a seeded random plan (a rate and a mix of kinds) or from targeted rules
//! ("lose the response of the first PUT under `_vipseg/commits/`"), and every request and fault is
//! recorded. The proxy parses only message boundaries (Content-Length, chunked, or until close)
//! and forwards bytes unchanged, so request signatures stay valid.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::stores::runtime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `503 SlowDown`, request not forwarded.
    ServerError,
    /// Connection reset, request not forwarded.
    Reset,
    /// Forwarded and applied by the server; the connection is reset instead of answering.
    LoseResponse,
    /// Forwarded and applied by the server; the connection is closed (FIN) instead of answering.
    LoseResponseClose,
    /// The response head and half its body, then a reset.
    CutResponse,
    /// The request is forwarded after a delay (in a plan: a random delay up to this one).
    Slow(Duration),
}

/// What a request looked like, for rules and the record.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
}

impl Request {
    pub fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD")
    }
}

/// A targeted fault: applied to the first `times` requests that match.
pub struct Rule {
    pub matches: Box<dyn Fn(&Request) -> bool + Send + Sync>,
    pub fault: Fault,
    pub times: usize,
}

/// Random faults: each request draws a fault with probability `rate`, the kind uniformly from `kinds`.
pub struct Plan {
    pub rate: f64,
    pub kinds: Vec<Fault>,
    pub rules: Vec<Rule>,
}

impl Plan {
    pub fn none() -> Self {
        Self { rate: 0.0, kinds: Vec::new(), rules: Vec::new() }
    }

    pub fn random(rate: f64, kinds: &[Fault]) -> Self {
        Self { rate, kinds: kinds.to_vec(), rules: Vec::new() }
    }

    pub fn rule(
        mut self,
        fault: Fault,
        times: usize,
        matches: impl Fn(&Request) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.rules.push(Rule { matches: Box::new(matches), fault, times });
        self
    }
}

/// Every request the proxy saw, with the fault it got.
#[derive(Debug, Clone)]
pub struct Record {
    pub request: Request,
    pub fault: Option<Fault>,
}

struct State {
    plan: Plan,
    rng: StdRng,
    records: Vec<Record>,
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    accept: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream`.
    pub fn start(upstream: SocketAddr, plan: Plan, seed: u64) -> Self {
        let state = Arc::new(Mutex::new(State { plan, rng: StdRng::seed_from_u64(seed), records: Vec::new() }));
        let listener = runtime().block_on(TcpListener::bind("127.0.0.1:0")).expect("bind proxy");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::clone(&state);
        let accept = runtime().spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let state = Arc::clone(&shared);
                tokio::spawn(async move {
                    let _ = serve(client, upstream, state).await;
                });
            }
        });
        Self { addr, state, accept }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replaces the plan (e.g. to stop faults before reading results back).
    pub fn set_plan(&self, plan: Plan) {
        self.state.lock().unwrap().plan = plan;
    }

    pub fn records(&self) -> Vec<Record> {
        self.state.lock().unwrap().records.clone()
    }

    /// How many requests got `fault` (any delay counts for `Slow`).
    pub fn count(&self, fault: Fault) -> usize {
        self.records()
            .iter()
            .filter(|r| match (r.fault, fault) {
                (Some(Fault::Slow(_)), Fault::Slow(_)) => true,
                (Some(f), _) => f == fault,
                (None, _) => false,
            })
            .count()
    }

    /// A summary for failure messages: requests, faults by kind, on reads and writes.
    pub fn summary(&self) -> String {
        let records = self.records();
        let faulted: Vec<&Record> = records.iter().filter(|r| r.fault.is_some()).collect();
        let writes = faulted.iter().filter(|r| r.request.is_write()).count();
        let mut kinds = std::collections::BTreeMap::new();
        for r in &faulted {
            let kind = match r.fault.unwrap() {
                Fault::Slow(_) => "Slow".to_string(),
                other => format!("{other:?}"),
            };
            *kinds.entry(kind).or_insert(0) += 1;
        }
        format!(
            "{} requests, {} faults ({} on writes, {} on reads): {kinds:?}",
            records.len(),
            faulted.len(),
            writes,
            faulted.len() - writes
        )
    }

    fn decide(state: &Mutex<State>, request: &Request) -> Option<Fault> {
        let mut state = state.lock().unwrap();
        let state = &mut *state;
        let mut fault = None;
        for rule in state.plan.rules.iter_mut() {
            if rule.times > 0 && (rule.matches)(request) {
                rule.times -= 1;
                fault = Some(rule.fault);
                break;
            }
        }
        if fault.is_none() && !state.plan.kinds.is_empty() && state.rng.random_bool(state.plan.rate.clamp(0.0, 1.0)) {
            fault = Some(state.plan.kinds[state.rng.random_range(0..state.plan.kinds.len())]);
        }
        // `Slow(max)` waits a random time between max / 4 and max.
        if let Some(Fault::Slow(max)) = fault {
            let max = max.as_millis() as u64;
            fault = Some(Fault::Slow(Duration::from_millis(state.rng.random_range(max / 4..=max))));
        }
        state.records.push(Record { request: request.clone(), fault });
        fault
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// One client connection: requests one after the other (keep-alive), each to the upstream.
async fn serve(client: TcpStream, upstream: SocketAddr, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let (client_read, mut client_write) = client.into_split();
    let mut client_read = BufReader::new(client_read);
    let mut server: Option<(BufReader<tokio::net::tcp::OwnedReadHalf>, tokio::net::tcp::OwnedWriteHalf)> = None;
    loop {
        let Some(head) = read_head(&mut client_read).await? else { return Ok(()) };
        let (request, headers) = parse_request(&head);
        let mut bytes = head.clone();
        read_body(&mut client_read, &headers, BodyKind::Request, &mut bytes).await?;
        let fault = FaultProxy::decide(&state, &request);
        match fault {
            Some(Fault::ServerError) => {
                let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>fault-proxy</RequestId></Error>";
                let body = if request.method == "HEAD" { "" } else { body };
                let answer = format!(
                    "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                client_write.write_all(answer.as_bytes()).await?;
                continue;
            }
            Some(Fault::Reset) => return reset(client_read, client_write),
            _ => {}
        }
        if let Some(Fault::Slow(delay)) = fault {
            tokio::time::sleep(delay).await;
        }
        // Forward on the kept-alive upstream connection; if the server has closed it meanwhile,
        // once more on a fresh one (that is no fault of the plan's).
        let mut response_head = None;
        for fresh in [server.is_none(), true] {
            if fresh {
                let stream = TcpStream::connect(upstream).await?;
                let (read, write) = stream.into_split();
                server = Some((BufReader::new(read), write));
            }
            let (server_read, server_write) = server.as_mut().unwrap();
            let answered = match server_write.write_all(&bytes).await {
                Ok(()) => read_head(server_read).await.ok().flatten(),
                Err(_) => None,
            };
            if answered.is_some() || fresh {
                response_head = answered;
                break;
            }
        }
        let Some(response_head) = response_head else { return Ok(()) };
        let (server_read, _) = server.as_mut().unwrap();
        let response_headers = parse_headers(&response_head);
        let status = status_of(&response_head);
        let kind = if request.method == "HEAD" || status == 204 || status == 304 || (100..200).contains(&status) {
            BodyKind::None
        } else {
            BodyKind::Response
        };
        let mut response = response_head.clone();
        read_body(server_read, &response_headers, kind, &mut response).await?;
        match fault {
            Some(Fault::LoseResponse) => return reset(client_read, client_write),
            Some(Fault::LoseResponseClose) => {
                client_write.shutdown().await?;
                return Ok(());
            }
            Some(Fault::CutResponse) => {
                let cut = response_head.len() + (response.len() - response_head.len()) / 2;
                client_write.write_all(&response[..cut]).await?;
                client_write.flush().await?;
                return reset(client_read, client_write);
            }
            _ => {}
        }
        client_write.write_all(&response).await?;
        let closes = header(&response_headers, "connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
            || kind == BodyKind::Response && is_until_close(&response_headers);
        if closes {
            client_write.shutdown().await?;
            return Ok(());
        }
    }
}

/// Drops the connection with a TCP reset (SO_LINGER 0) instead of a clean close.
fn reset(
    read: BufReader<tokio::net::tcp::OwnedReadHalf>,
    write: tokio::net::tcp::OwnedWriteHalf,
) -> std::io::Result<()> {
    let stream = read.into_inner().reunite(write).expect("halves of one stream");
    stream.set_zero_linger()?;
    drop(stream);
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    None,
    Request,
    Response,
}

/// The head of a message up to and including the empty line; `None` at a clean end of stream.
async fn read_head<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = reader.read_until(b'\n', &mut head).await?;
        if n == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "end of stream inside a message head"))
            };
        }
        let line = &head[before..];
        if line == b"\r\n" || line == b"\n" {
            // Skip stray empty lines before a message.
            if before == 0 {
                head.clear();
                continue;
            }
            return Ok(Some(head));
        }
    }
}

fn parse_headers(head: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(head)
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect()
}

fn parse_request(head: &[u8]) -> (Request, Vec<(String, String)>) {
    let text = String::from_utf8_lossy(head);
    let mut parts = text.lines().next().unwrap_or_default().split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    (Request { method, target }, parse_headers(head))
}

fn status_of(head: &[u8]) -> u16 {
    String::from_utf8_lossy(head).split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

fn is_chunked(headers: &[(String, String)]) -> bool {
    header(headers, "transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
}

fn is_until_close(headers: &[(String, String)]) -> bool {
    !is_chunked(headers) && header(headers, "content-length").is_none()
}

/// Appends the message body, exactly as sent, to `out`.
async fn read_body<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    headers: &[(String, String)],
    kind: BodyKind,
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    if kind == BodyKind::None {
        return Ok(());
    }
    if is_chunked(headers) {
        loop {
            let start = out.len();
            reader.read_until(b'\n', out).await?;
            let line = String::from_utf8_lossy(&out[start..]).to_string();
            let size_text = line.trim().split(';').next().unwrap_or_default().to_string();
            let size = usize::from_str_radix(&size_text, 16)
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("chunk size `{line}`")))?;
            if size == 0 {
                // Trailers, then the empty line.
                loop {
                    let start = out.len();
                    let n = reader.read_until(b'\n', out).await?;
                    if n == 0 || &out[start..] == b"\r\n" || &out[start..] == b"\n" {
                        return Ok(());
                    }
                }
            }
            let start = out.len();
            out.resize(start + size + 2, 0);
            reader.read_exact(&mut out[start..]).await?;
        }
    }
    match header(headers, "content-length").and_then(|v| v.parse::<usize>().ok()) {
        Some(length) => {
            let start = out.len();
            out.resize(start + length, 0);
            reader.read_exact(&mut out[start..]).await?;
        }
        // A request without a length has no body; a response without one runs until close.
        None if kind == BodyKind::Request => {}
        None => {
            reader.read_to_end(out).await?;
        }
    }
    Ok(())
}
