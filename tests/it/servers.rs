//! Real object-store servers on loopback for the storage tests: moto's S3 server and Azurite's
//! Blob service, installed by `scripts/test-setup` into `.test-tools/` and started here, once
//! per test-binary run, on free ports of 127.0.0.1 (never another address).
//!
//! Each server runs under a small `sh` watchdog that holds a pipe from this process: when the
//! test binary exits (even by SIGKILL) the pipe closes and the watchdog kills the server, so no
//! server outlives the tests.
//!
//! A storage test never passes without its server: when a tool is not installed, or its server
//! does not start, every test that needs it fails with a message naming what is missing and
//! saying to run `scripts/test-setup` (which `make test` runs first).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// The access key of moto (it accepts any; these are the documented test values).
pub const MOTO_KEY_ID: &str = "testing";
pub const MOTO_SECRET: &str = "testing";
pub const MOTO_REGION: &str = "us-east-1";

/// Azurite's well-known development account.
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/// A second Azurite account whose key is the planted secret of the security tests.
pub const SECRET_ACCOUNT: &str = "vipsegsecret";
/// base64 of "vipseg-planted-azure-secret-1f9c2e77d4": grepped for in every output.
pub const SECRET_ACCOUNT_KEY: &str = "dmlwc2VnLXBsYW50ZWQtYXp1cmUtc2VjcmV0LTFmOWMyZTc3ZDQ=";

/// A server started by this test binary.
pub struct Server {
    pub addr: SocketAddr,
    /// The watchdog shell; its stdin is the pipe whose closing stops the server.
    _watchdog: Mutex<(Child, ChildStdin)>,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// `http://127.0.0.1:<port>`
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's last lines of output (for failure messages).
    pub fn log_tail(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

/// Where scripts/test-setup installs the servers: `.test-tools/` of the repository, or
/// `VIPSEG_TEST_TOOLS` (e.g. a CI cache).
fn tools_dir() -> PathBuf {
    std::env::var_os("VIPSEG_TEST_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".test-tools"))
}

/// What to do when a server is missing or broken.
const SETUP_HINT: &str = "run scripts/test-setup, which installs the test servers";

/// moto's S3 server, started on first use. Fails the test when moto is not installed or does
/// not start.
pub fn moto() -> &'static Server {
    static MOTO: OnceLock<Server> = OnceLock::new();
    MOTO.get_or_init(|| {
        start_installed("moto (S3)", "venv/bin/moto_server", |command, port| {
            command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        })
    })
}

/// Azurite's Blob service (in memory), started on first use; it knows the development account
/// and [`SECRET_ACCOUNT`]. Fails the test when Azurite is not installed or does not start.
pub fn azurite() -> &'static Server {
    static AZURITE: OnceLock<Server> = OnceLock::new();
    AZURITE.get_or_init(|| {
        start_installed("Azurite (Azure Blob)", "node_modules/.bin/azurite-blob", |command, port| {
            command
                .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
                .args(["--inMemoryPersistence", "--skipApiVersionCheck", "--disableProductStyleUrl", "--silent"])
                .env(
                    "AZURITE_ACCOUNTS",
                    format!("{AZURITE_ACCOUNT}:{AZURITE_KEY};{SECRET_ACCOUNT}:{SECRET_ACCOUNT_KEY}"),
                )
                // Azurite writes nothing with in-memory persistence; a throw-away folder anyway.
                .current_dir(std::env::temp_dir());
        })
    })
}

/// Starts the tool installed at `program` (relative to the tools folder), with the arguments
/// `configure` adds for a port. Fails the test (it must not pass without its server) when the
/// tool is not installed.
fn start_installed(what: &str, program: &str, configure: impl Fn(&mut Command, u16)) -> Server {
    let program = tools_dir().join(program);
    assert!(program.exists(), "{what} is not installed at {}: {SETUP_HINT}", program.display());
    start(what, |port| {
        let mut command = Command::new(&program);
        configure(&mut command, port);
        command
    })
}

/// Starts a server on a free loopback port and waits until it accepts connections; retries
/// with another port if the first was taken in the meantime.
fn start(name: &str, command_for: impl Fn(u16) -> Command) -> Server {
    let mut last_log = String::new();
    for _attempt in 0..3 {
        let port = free_port();
        let server = command_for(port);
        let (mut watchdog, stdin, log) = spawn_watched(server);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Server { addr, _watchdog: Mutex::new((watchdog, stdin)), log };
            }
            if watchdog.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        drop(stdin);
        let _ = watchdog.wait();
        last_log = log.lock().unwrap().clone();
    }
    panic!("{name} did not start listening on 127.0.0.1 ({SETUP_HINT}); its output:\n{last_log}");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free loopback port").port()
}

/// Runs `server` under `sh`: the shell starts it in the background, kills it when its stdin
/// (a pipe from this process) reaches end-of-file, and exits when the server exits.
fn spawn_watched(server: Command) -> (Child, ChildStdin, Arc<Mutex<String>>) {
    let mut watchdog = Command::new("sh");
    watchdog.arg("-c").arg(
        r#"exec 3<&0
"$@" </dev/null 3<&- &
pid=$!
{ read -r _ <&3; kill "$pid" 2>/dev/null; } &
watcher=$!
wait "$pid"
status=$?
kill "$watcher" 2>/dev/null
exit "$status""#,
    );
    watchdog.arg("sh").arg(server.get_program()).args(server.get_args());
    for (key, value) in server.get_envs() {
        match value {
            Some(value) => watchdog.env(key, value),
            None => watchdog.env_remove(key),
        };
    }
    if let Some(dir) = server.get_current_dir() {
        watchdog.current_dir(dir);
    }
    let mut child = watchdog
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {:?}: {e} ({SETUP_HINT})", server.get_program()));
    let stdin = child.stdin.take().expect("piped stdin");
    let log = Arc::new(Mutex::new(String::new()));
    // Drain the server's output (moto logs every request) and keep its tail for diagnostics.
    for stream in [
        child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>),
        child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let log = Arc::clone(&log);
        std::thread::spawn(move || drain(stream, &log));
    }
    (child, stdin, log)
}

fn drain(mut stream: Box<dyn Read + Send>, log: &Mutex<String>) {
    let mut buffer = [0u8; 8192];
    while let Ok(n) = stream.read(&mut buffer) {
        if n == 0 {
            break;
        }
        let mut log = log.lock().unwrap();
        log.push_str(&String::from_utf8_lossy(&buffer[..n]));
        if log.len() > 16_384 {
            let cut = log.len() - 8192;
            let cut = (cut..log.len()).find(|&i| log.is_char_boundary(i)).unwrap_or(log.len());
            log.replace_range(..cut, "");
        }
    }
}

/// One plain HTTP/1.1 request to a server (set-up calls the object_store API has no verb for).
pub fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, String)]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, response)
}

/// Creates an S3 bucket on moto (which takes unsigned set-up calls).
pub fn create_bucket(server: &Server, bucket: &str) {
    let (status, response) = http(server.addr, "PUT", &format!("/{bucket}"), &[]);
    assert_eq!(status, 200, "create bucket {bucket}: {response}\nmoto's output:\n{}", server.log_tail());
}

/// Creates a blob container on Azurite, signed with the account's shared key.
pub fn create_container(server: &Server, account: &str, key: &str, container: &str) {
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let version = "2021-08-06";
    let string_to_sign = format!(
        "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n/{account}/{account}/{container}\nrestype:container"
    );
    let signature = base64_encode(&hmac_sha256(&base64_decode(key), string_to_sign.as_bytes()));
    let (status, response) = http(
        server.addr,
        "PUT",
        &format!("/{account}/{container}?restype=container"),
        &[
            ("x-ms-date", date),
            ("x-ms-version", version.to_string()),
            ("Authorization", format!("SharedKey {account}:{signature}")),
        ],
    );
    assert_eq!(status, 201, "create container {container}: {response}\nAzurite's output:\n{}", server.log_tail());
}

/// A fresh bucket / container name for one test (lowercase, valid on S3 and Azure).
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{:08x}", rand::random::<u32>())
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner = Sha256::new().chain_update(block.map(|b| b ^ 0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(block.map(|b| b ^ 0x5c)).chain_update(inner).finalize().into()
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=') {
        let value = BASE64.iter().position(|b| *b == c).expect("base64") as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

#[test]
fn base64_and_hmac_match_known_values() {
    assert_eq!(base64_encode(b"vipseg-planted-azure-secret-1f9c2e77d4"), SECRET_ACCOUNT_KEY);
    assert_eq!(base64_decode(SECRET_ACCOUNT_KEY), b"vipseg-planted-azure-secret-1f9c2e77d4");
    // RFC 4231, test case 2.
    assert_eq!(
        hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}
